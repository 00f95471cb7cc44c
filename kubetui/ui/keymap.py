"""Every key of the dashboard, as data: the bindings with their kebab-case ids.

Help (``?``) and the command palette read the live bindings, so a key remapped with
``App.set_keymap({id: keys})`` shows its new key everywhere.
"""

from __future__ import annotations

from textual.binding import Binding

#: View bindings live on the main screen, so Tab reaches them before focus cycling.
VIEW_BINDINGS: list[Binding] = [
    Binding("1", "show_view(1)", "Findings", show=False, id="view-findings"),
    Binding("2", "show_view(2)", "Pods", show=False, id="view-pods"),
    Binding("3", "show_view(3)", "Engines", show=False, id="view-engines"),
    Binding("4", "show_view(4)", "Nodes", show=False, id="view-nodes"),
    Binding("5", "show_view(5)", "Hot loops", show=False, id="view-hot-loops"),
    Binding("tab", "cycle_view(1)", "Next view", show=False, id="view-next"),
    Binding("shift+tab", "cycle_view(-1)", "Previous view", show=False, id="view-previous"),
    Binding("slash", "filter", "Filter", id="filter"),
    Binding("s", "sort", "Sort", id="sort"),
    Binding("n", "pick_namespace", "Namespace", id="namespace"),
    Binding("escape", "back", "Back", show=False, id="back"),
]

APP_BINDINGS: list[Binding] = [
    Binding("ctrl+p,colon", "command_palette", "Commands", id="command-palette"),
    Binding("question_mark", "help", "Help", id="help"),
    Binding("q", "quit", "Quit", id="quit"),
    Binding("ctrl+q", "quit", "Quit", show=False, priority=True, id="quit-now"),
]
