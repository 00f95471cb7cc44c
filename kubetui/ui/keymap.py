"""Every key of the dashboard, as data: the bindings with their kebab-case ids.

Help (``?``) and the command palette read the live bindings, so a key remapped with
``App.set_keymap({id: keys})`` shows its new key everywhere. The palette lists every
binding with an id except :data:`PALETTE_HIDDEN`, with its keys and id.
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
    Binding("w", "toggle_wide", "Wide columns", show=False, id="wide"),
    Binding("escape", "back", "Back", show=False, id="back"),
]

#: The write keys (issue 8), on the main screen and the pod detail screen. They act on the
#: selected pod (Pods, Findings: the finding's pod, detail: its pod) or engine (Engines).
#: In read-only mode ``check_action`` hides them from the footer, help and palette. Only
#: ctrl+d is in the footer (an 80-column footer has room for one more key); ``?`` and the
#: palette list them all.
POD_ACTION_BINDINGS: list[Binding] = [
    Binding("ctrl+d", "delete_pod", "Delete", id="pod-delete"),
    Binding("D", "force_delete_pod", "Force delete", show=False, id="pod-force-delete"),
    Binding("r", "restart", "Restart / relaunch", show=False, id="pod-restart"),
    Binding("K", "kill_engine", "Kill engine", show=False, id="engine-kill"),
]
#: Main screen only (``c`` is the detail screen's Containers tab).
CLEANUP_BINDINGS: list[Binding] = [
    Binding("c", "cleanup", "Cleanup", show=False, id="cleanup"),
]
#: Copy and export (kubetui/ui/clipboard.py), on the main and pod detail screens; they
#: only read, so read-only keeps them.
COPY_BINDINGS: list[Binding] = [
    Binding("y", "copy_name", "Copy name", show=False, id="copy-name"),
    Binding("Y", "copy_kubectl", "Copy kubectl command", show=False, id="copy-kubectl"),
    Binding("x", "export_note", "Export incident note", show=False, id="export-note"),
]
#: Action names of the write keys, for ``check_action``.
WRITE_ACTIONS = frozenset(b.action for b in (*POD_ACTION_BINDINGS, *CLEANUP_BINDINGS))

#: ``:`` is k9s' command line (``:pods``, ``:ns NAME``, ``:ctx NAME``; kubetui/ui/command_line.py)
#: and ctrl+a lists its commands, as in k9s; the palette is ctrl+p, Textual's own key.
APP_BINDINGS: list[Binding] = [
    Binding("ctrl+p", "command_palette", "Commands", id="command-palette"),
    Binding("colon", "command_line", "Command line", show=False, id="command-line"),
    Binding("ctrl+a", "colon_commands", ": commands", show=False, id="command-list"),
    Binding("question_mark", "help", "Help", id="help"),
    Binding("q", "quit", "Quit", id="quit"),
    Binding("ctrl+q", "quit", "Quit", show=False, priority=True, id="quit-now"),
]

#: Bindings the palette leaves out: moving in a list and the keys that open the palette
#: or the command line themselves.
PALETTE_HIDDEN = frozenset(
    {
        "cursor-up",
        "cursor-down",
        "page-up",
        "page-down",
        "first-row",
        "last-row",
        "scroll-left",
        "scroll-right",
        "back",
        "command-palette",
        "command-line",
        "quit-now",
    }
)
