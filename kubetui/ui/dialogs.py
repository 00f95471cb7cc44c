"""Modal dialogs: the namespace picker (``n``) and the key help (``?``).

Namespace names come from the cluster, so options are ``Content`` objects (never markup).
Help is built from the bindings that are live on the screen it was opened over, so it
shows remapped keys and only the keys that apply there.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import ActiveBinding, Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

ALL_NAMESPACES = "all namespaces"


class NamespacePicker(ModalScreen[str | None]):
    """Pick the namespace every view shows (a display filter); dismisses with the choice."""

    BINDINGS: ClassVar = [Binding("escape", "cancel", "Cancel", id="namespace-cancel")]

    DEFAULT_CSS = """
    NamespacePicker { align: center middle; }
    NamespacePicker > Vertical {
        width: 60; max-width: 90%; height: auto; max-height: 80%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    NamespacePicker OptionList { height: auto; max-height: 20; border: none; }
    """

    def __init__(self, namespaces: list[str], current: str | None) -> None:
        super().__init__()
        self.namespaces = namespaces
        self.current = current

    def compose(self) -> ComposeResult:
        options = [Option(Content(ALL_NAMESPACES))]
        options += [Option(Content(ns or "(none)")) for ns in self.namespaces]
        with Vertical():
            yield Static(Content.styled("Show namespace", "bold"))
            yield OptionList(*options, id="namespace-options")

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        if self.current in self.namespaces:
            options.highlighted = self.namespaces.index(self.current) + 1
        else:
            options.highlighted = 0

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        index = event.option_index
        self.dismiss(None if index == 0 else self.namespaces[index - 1])

    def action_cancel(self) -> None:
        self.dismiss(self.current)


def help_lines(
    bindings: dict[str, ActiveBinding], key_display: Callable[[Binding], str]
) -> list[tuple[str, str, str]]:
    """(keys, description, id) per binding id, in binding order; system keys left out."""
    rows: dict[str, tuple[list[str], str]] = {}
    for active in bindings.values():
        binding = active.binding
        if binding.system:
            continue
        ident = binding.id or f"({binding.action})"
        keys, _ = rows.setdefault(ident, ([], binding.description or binding.action))
        display = key_display(binding)
        if display not in keys:
            keys.append(display)
    return [(", ".join(keys), description, ident) for ident, (keys, description) in rows.items()]


class HelpScreen(ModalScreen[None]):
    """Every key that works on the screen below, with its binding id (for keymaps)."""

    BINDINGS: ClassVar = [
        Binding("escape,question_mark,q", "dismiss", "Close", id="help-close"),
    ]

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 76; max-width: 95%; height: auto; max-height: 90%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    """

    def __init__(self, rows: list[tuple[str, str, str]], title: str) -> None:
        super().__init__()
        self.rows = rows
        self.title_text = title

    def compose(self) -> ComposeResult:
        width = max((len(keys) for keys, _, _ in self.rows), default=4)
        lines = [Content.styled(self.title_text, "bold")]
        for keys, description, ident in self.rows:
            lines.append(
                Content.assemble(
                    (keys.ljust(width), "bold $accent"), "  ", description.ljust(22), (ident, "dim")
                )
            )
        with VerticalScroll(id="help-body"):
            yield Static(Content("\n").join(lines))

    def on_mount(self) -> None:
        self.query_one("#help-body").focus()
