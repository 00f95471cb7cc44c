"""What the numbered views share: a main table, a remembered filter, sort and selection."""

from __future__ import annotations

from typing import ClassVar

from textual.containers import Vertical

from kubetui.ui.data import DashboardData
from kubetui.ui.line_table import LineTable


class View(Vertical):
    """One numbered view. Each keeps its filter, sort and cursor while others are shown."""

    #: Number key and title in the view bar.
    NUMBER: ClassVar[int]
    TITLE: ClassVar[str]
    #: For narrow terminals.
    SHORT: ClassVar[str]
    #: Sort orders ``s`` cycles through; the first is the default.
    SORTS: ClassVar[tuple[str, ...]] = ("name",)

    DEFAULT_CSS = """
    View { height: 1fr; }
    """

    def __init__(self, data: DashboardData, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.data = data
        self.filter_text = ""
        self.sort = self.SORTS[0]
        #: Set when the data changed while this view was hidden.
        self.stale = True

    @property
    def table(self) -> LineTable:
        """The table that filter, sort and the cursor act on."""
        return self.query_one(LineTable)

    def reload(self) -> None:
        """Recompute the rows from ``self.data`` (called while visible, and once while
        hidden to lay the view out ahead: ``MainScreen.lay_out_hidden_views``)."""
        raise NotImplementedError

    def set_filter(self, text: str) -> None:
        self.filter_text = text
        self.reload()

    def cycle_sort(self) -> None:
        self.sort = self.SORTS[(self.SORTS.index(self.sort) + 1) % len(self.SORTS)]
        self.reload()

    def counts(self) -> tuple[int, int]:
        """(rows shown, rows before the filter), for the view bar."""
        shown = len(self.table.keys)
        return shown, shown

    def clear_scope(self) -> bool:
        """Drop a view-specific narrowing (esc); False when there was none."""
        return False

    def scope_text(self) -> str:
        """A narrowing to show in the view bar (e.g. one engine's pods), or ''."""
        return ""
