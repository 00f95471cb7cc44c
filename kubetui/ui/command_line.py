"""k9s' command line: ``:`` then a command (``:pods``, ``:ns spark-prod``, ``:ctx prod``).

The commands take k9s' resource short names as aliases (``po``, ``no``, ``ns``, ``ctx``,
``q``) plus kubetui's own views (``findings``, ``engines``, ``hot``); the line offers a
completion that → accepts, as k9s' command mode does (https://k9scli.io/topics/aliases),
and ``ctrl+a`` lists the commands, k9s' key for its alias list. Parsing is plain data
so the list, the completion and the command line cannot disagree; the app runs what
:func:`parse_command` returns.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Input


@dataclass(frozen=True)
class ColonCommand:
    """One ``:`` command: its names (the first is shown), its argument, what it does."""

    names: tuple[str, ...]
    description: str
    #: The view it shows (1-5, as the number keys), if it is a view command.
    view: int | None = None
    #: The argument's name when it takes one (``NAME``).
    argument: str | None = None


COLON_COMMANDS: tuple[ColonCommand, ...] = (
    ColonCommand(("findings", "finding"), "Findings view", view=1),
    ColonCommand(("pods", "pod", "po"), "Pods view", view=2),
    ColonCommand(("engines", "engine", "spark"), "Engines view", view=3),
    ColonCommand(("nodes", "node", "no"), "Nodes view", view=4),
    ColonCommand(("hot", "hot-loops"), "Hot loops view", view=5),
    ColonCommand(
        ("ns", "namespace"), "show one namespace (all: every one; none: pick)", argument="NAME"
    ),
    ColonCommand(("ctx", "context"), "switch to this kubeconfig context", argument="NAME"),
    ColonCommand(("q", "quit"), "quit kubetui"),
)


def parse_command(text: str) -> tuple[ColonCommand, str | None]:
    """``"ns spark-prod"`` → (the ns command, ``"spark-prod"``); a leading ``:`` is
    allowed. ValueError (one line) for an unknown command or a wrong argument count."""
    words = text.strip().removeprefix(":").split()
    if not words:
        raise ValueError("no command (ctrl+a lists them)")
    name, *rest = words
    command = next((c for c in COLON_COMMANDS if name.lower() in c.names), None)
    if command is None:
        raise ValueError(f":{name} is not a command (ctrl+a lists them)")
    if len(rest) > (1 if command.argument else 0):
        what = f"one {command.argument}" if command.argument else "nothing"
        raise ValueError(f":{command.names[0]} takes {what}, got {' '.join(rest)!r}")
    return command, rest[0] if rest else None


def command_rows() -> list[tuple[str, str, str]]:
    """The commands as help rows (usage, description, aliases) for ``ctrl+a``."""
    rows = []
    for command in COLON_COMMANDS:
        usage = f":{command.names[0]}" + (f" {command.argument}" if command.argument else "")
        aliases = " ".join(f":{n}" for n in command.names[1:])
        rows.append((usage, command.description, aliases))
    return rows


class CommandLine(ModalScreen[str | None]):
    """The ``:`` line at the bottom; dismissed with the text on enter, None on escape.

    Completion (→ accepts it) offers every command name, and after ``ns``/``ctx`` the
    names ``arguments`` gives for them (namespaces seen, kubeconfig contexts).
    """

    BINDINGS: ClassVar = [Binding("escape", "cancel", "Cancel", id="command-line-cancel")]

    DEFAULT_CSS = """
    CommandLine { align: left bottom; background: $background 0%; }
    CommandLine > Input { dock: bottom; height: 1; border: none; padding: 0 1; }
    """

    def __init__(self, arguments: Callable[[str], Sequence[str]]) -> None:
        super().__init__()
        self.arguments = arguments

    def compose(self) -> ComposeResult:
        words = [name for command in COLON_COMMANDS for name in command.names]
        for command in COLON_COMMANDS:
            if command.argument:
                words += [f"{command.names[0]} {arg}" for arg in self.arguments(command.names[0])]
        yield Input(
            placeholder=":command (enter runs, esc cancels, ctrl+a lists)",
            suggester=SuggestFromList(words, case_sensitive=False),
            id="command-input",
        )

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)
