"""LineTable: a one-line-per-row table over a list of keys, drawn with the line API.

Textual's DataTable builds and measures every row and rebuilds O(N) structures on each
update (Textualize/textual ``src/textual/widgets/_data_table.py``: ``add_rows`` loops over
``add_row``, ``_y_offsets`` and ``ordered_rows`` are rebuilt), which does not scale past
~10k rows (10k rows took about 1.5 s to first paint with Textual 8.2.8).
This widget holds only the ordered keys; a row is asked for when it is about to be drawn,
and its uncropped strip is cached by (key, row version, column layout, theme), so
scrolling, cursor moves and repaints of unchanged rows cost nothing. Cell text is never
parsed as markup: every cell becomes a plain ``Segment``.

Columns fit the width (see ``Column``): they drop out whole by priority, and a cell that
is wider than its column widens the column (a ``whole`` one) in the same frame, measured
only when a row's strip is built, so the layout costs nothing per repaint. Wide mode shows
every column at its widest and scrolls sideways (←/→, a column at a time).

The cursor follows a key, not a position: when rows are added, removed or re-sorted
around it, the selected key stays selected at the same height on screen.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import ClassVar, NamedTuple

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.actions import SkipAction
from textual.binding import Binding
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from kubetui.model.inert_text import single_line

#: Style names a row or cell may ask for; each is a component class ``line-table--NAME``.
STYLE_NAMES = (
    "ok",
    "warning",
    "critical",
    "zombie",
    "oom",
    "dim",
    "group",
    "accent",
)


@dataclass(frozen=True, slots=True)
class Column:
    """One column and how it gives way when the terminal is narrow.

    As the width shrinks, columns drop out whole, highest ``priority`` first; what is
    left over goes to the ``flex`` columns. A ``whole`` column (numbers, states) is never
    shortened: it widens to its widest cell seen, or is hidden, because a cut ``1000``
    reads as ``1``. Other text is shortened at a word (a number in it is never split),
    names in the middle, keeping the suffix that tells a pod's siblings apart.
    """

    title: str
    #: Narrowest width in cells.
    width: int
    #: Share of the spare width this column takes, up to ``max_width`` (0: fixed).
    flex: int = 0
    right: bool = False
    #: Shorten long text in the middle (names: both ends tell rows apart).
    middle: bool = False
    #: 0: always shown; higher numbers drop out first as the terminal narrows.
    priority: int = 0
    #: Widest the column grows (never past its widest cell seen either); a ``whole``
    #: column's cap is for text the cluster writes (Kyuubi's state): a hostile value
    #: then is cut, instead of widening the column out of the table.
    max_width: int = 1000
    #: Shown whole or not at all (numbers, states).
    whole: bool = False
    #: A primary column (NAME) widens to ``grow_to`` before any column of priority
    #: ``grow_at`` or higher is shown: a readable name beats a NODE column.
    grow_to: int = 0
    grow_at: int = 0


class Layout(NamedTuple):
    """Where each column goes at one width: ``widths[i]`` is 0 for a hidden column."""

    widths: tuple[int, ...]
    #: (column index, column, width) of the shown columns, left to right.
    shown: tuple[tuple[int, Column, int], ...]
    #: The row's width: each shown cell and the space after it.
    total: int


def layout_columns(
    columns: Sequence[Column], available: int, seen: Sequence[int], *, wide: bool = False
) -> Layout:
    """The widths of ``columns`` in ``available`` cells; ``seen[i]``: the widest cell of
    column i drawn so far. ``wide``: every column, each as wide as its widest cell (the
    row may then be wider than ``available`` and scroll)."""
    natural = [
        max(c.width, cell_len(c.title) if c.whole else 0, min(c.max_width, s))
        for c, s in zip(columns, seen, strict=True)
    ]
    base = [n if c.whole or wide else c.width for c, n in zip(columns, natural, strict=True)]
    if wide:
        widths = base
    else:
        widths = [b if c.priority == 0 else 0 for c, b in zip(columns, base, strict=True)]
        used = sum(w + 1 for w in widths if w)
        # (priority, 0 = a primary column's widening, 1 = a column, index)
        steps = sorted(
            [(c.priority, 1, i) for i, c in enumerate(columns) if c.priority]
            + [(c.grow_at, 0, i) for i, c in enumerate(columns) if c.grow_to > c.width]
        )
        for _, kind, i in steps:
            if kind == 0:
                grow = min(columns[i].grow_to, natural[i]) - widths[i]
                grow = max(0, min(grow, available - used))
                widths[i] += grow
                used += grow
            elif used + base[i] + 1 <= available:
                widths[i] = base[i]
                used += base[i] + 1
            else:
                break  # strictly by priority: a narrower column further down waits too
    _share_spare(columns, widths, natural, available - sum(w + 1 for w in widths if w))
    cells = tuple((i, columns[i], w) for i, w in enumerate(widths) if w)
    return Layout(tuple(widths), cells, sum(w + 1 for _, _, w in cells))


def _share_spare(
    columns: Sequence[Column], widths: list[int], natural: Sequence[int], spare: int
) -> None:
    """Hand ``spare`` cells to the shown flex columns in proportion to their ``flex``,
    each up to its natural width; what none can take stays blank on the right."""
    while spare > 0:
        growing = [i for i, c in enumerate(columns) if c.flex and 0 < widths[i] < natural[i]]
        if not growing:
            return
        total = sum(columns[i].flex for i in growing)
        given = 0
        for i in growing:
            share = min(spare * columns[i].flex // total, natural[i] - widths[i])
            widths[i] += share
            given += share
        if not given:  # shares rounded down to nothing: one cell to the biggest flex
            i = max(growing, key=lambda i: columns[i].flex)
            widths[i] += 1
            given = 1
        spare -= given


class Row(NamedTuple):
    cells: Sequence[str]
    #: One style name (or None) per cell.
    styles: Sequence[str | None] = ()
    #: A style for the whole row, under the cell styles.
    style: str | None = None
    #: One text across the whole width (a group heading), instead of cells.
    banner: str | None = None
    #: Per cell, a shorter form (or None) shown when the cell does not fit its column.
    shorter: Sequence[str | None] = ()


def _cells(text: str) -> int:
    """Width in cells; ASCII (most cluster text) without Rich's per-character walk."""
    return len(text) if text.isascii() else cell_len(text)


def fit(text: str, width: int, *, middle: bool = False, right: bool = False) -> str:
    """``text`` padded or shortened (with ``…``) to exactly ``width`` cells, on one line."""
    # Cluster text keeps its newlines and tabs (inert_text.py): in a cell they reached the
    # terminal inside the row's segment and broke the screen (found by
    # tests/ui/test_hostile_pipeline_ui.py).
    text = single_line(text)
    return _fit(text, _cells(text), width, middle=middle, right=right)


def _fit(text: str, length: int, width: int, *, middle: bool, right: bool) -> str:
    """``fit`` of a one-line ``text`` whose width in cells is ``length``."""
    if length <= width:
        pad = " " * (width - length)
        return pad + text if right else text + pad
    if width <= 1:
        return "…"[:width]
    if middle and text.isascii():
        head = (width - 1) // 2
        return f"{text[:head]}…{text[len(text) - (width - 1 - head) :]}"
    head = _cut_end(text, width - 1) + "…"
    return head + " " * (width - _cells(head))


def _cut_end(text: str, cells: int) -> str:
    """The start of ``text`` in at most ``cells`` cells, never ending inside a number: a
    cut through a word goes back to the space before it, else (one long word) to before
    the digits it would split. ``Error 143 SIGTERM`` at 10 is ``Error 143 ``, never
    ``Error 14``."""
    head = text[:cells] if text.isascii() else set_cell_size(text, cells).rstrip(" ")
    rest = text[len(head) : len(head) + 1] if text.startswith(head) else ""
    if rest and rest != " " and head and head[-1] != " ":
        space = head.rfind(" ")
        if space >= 0:
            head = head[: space + 1]
        elif rest.isdigit():
            head = head.rstrip("0123456789")
    return head


class LineTable(ScrollView, can_focus=True):
    """A table of rows named by keys; ``row_of(key)`` describes a row when it is drawn."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "line-table--header",
        "line-table--cursor",
        "line-table--cursor-focused",
        "line-table--empty",
        *(f"line-table--{name}" for name in STYLE_NAMES),
    }

    DEFAULT_CSS = """
    LineTable {
        background: $surface;
        scrollbar-size-vertical: 1;
        & > .line-table--header { background: $panel; color: $foreground; text-style: bold; }
        & > .line-table--cursor { background: $block-cursor-blurred-background; }
        & > .line-table--cursor-focused {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: bold;
        }
        & > .line-table--empty { color: $text-muted; }
        & > .line-table--ok { color: $sev-ok; }
        & > .line-table--warning { color: $sev-warning; }
        & > .line-table--critical { color: $sev-critical; text-style: bold; }
        & > .line-table--zombie { color: $sev-zombie; }
        & > .line-table--oom { color: $sev-oom; text-style: bold; }
        & > .line-table--dim { color: $text-muted; }
        & > .line-table--group { color: $accent; text-style: bold; }
        & > .line-table--accent { color: $accent; }
    }
    """

    BINDINGS: ClassVar = [
        Binding("up,k", "cursor(-1)", "Up", show=False, id="cursor-up"),
        Binding("down,j", "cursor(1)", "Down", show=False, id="cursor-down"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="page-up"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="page-down"),
        Binding("home,g", "jump(0)", "First", show=False, id="first-row"),
        Binding("end,G", "jump(-1)", "Last", show=False, id="last-row"),
        Binding("enter", "activate", "Open", id="open-row"),
        Binding("left", "scroll_columns(-1)", "Scroll left", show=False, id="scroll-left"),
        Binding("right", "scroll_columns(1)", "Scroll right", show=False, id="scroll-right"),
    ]

    class CursorMoved(Message):
        """The cursor is on another key (or on nothing: ``key`` is None)."""

        def __init__(self, table: LineTable, key: str | None) -> None:
            super().__init__()
            self.table = table
            self.key = key

        @property
        def control(self) -> LineTable:
            return self.table

    class RowActivated(Message):
        """Enter (or a click on the selected row) on ``key``."""

        def __init__(self, table: LineTable, key: str) -> None:
            super().__init__()
            self.table = table
            self.key = key

        @property
        def control(self) -> LineTable:
            return self.table

    def __init__(
        self,
        columns: Sequence[Column],
        row_of: Callable[[str], Row],
        version_of: Callable[[str], Hashable],
        *,
        empty_text: str = "Nothing to show.",
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.columns = list(columns)
        #: Every column shown at its widest, scrolled sideways (``w``).
        self.wide = False
        #: Per column, the widest cell drawn so far (cells are measured as strips are
        #: built); ``_seen_version`` moves when one outgrew its column.
        self._seen = [0] * len(self.columns)
        self._seen_version = 0
        #: The first screen of rows was measured before its first layout.
        self._measured = False
        #: The rows on screen at the last ``_measure_new_rows``, and the rows it fetched
        #: for this pass's strips (so a row is described once per pass).
        self._measured_rows: Sequence[str] = ()
        self._fetched: dict[str, Row] = {}
        self._layout: Layout | None = None
        #: What ``_layout`` was computed from: (width, wide, seen version).
        self._layout_key: tuple[int, bool, int] | None = None
        #: Names the layout in the strip cache keys; moves whenever the layout may have.
        self._layout_id = 0
        #: The layout every line of the pass being drawn uses.
        self._drawing: Layout | None = None
        self._row_of = row_of
        self._version_of = version_of
        self.empty_text = empty_text
        self.keys: Sequence[str] = ()
        self.cursor = 0
        self._cursor_key: str | None = None
        self._strips: LRUCache[tuple, Strip] = LRUCache(1024)
        #: Screen row (0: the first under the header) → the strip cache key drawn there.
        self._shown: dict[int, tuple] = {}
        #: (size, container size, virtual size) at the last layout that updated them.
        self._sized: tuple[Size, Size, Size] | None = None
        self._base_style = Style()
        #: (row style, cell style) → the combined Style, for the current base style.
        self._combined: dict[tuple[str | None, str | None], Style] = {}

    # ------------------------------------------------------------------ data

    @property
    def selected_key(self) -> str | None:
        return self._cursor_key

    def set_keys(self, keys: Sequence[str]) -> None:
        """Show ``keys`` in this order; the selected key stays selected and in place.

        When the selected key is gone the cursor keeps its position (clamped), which
        selects the row that moved into it.
        """
        old_screen_row = self.cursor - self.scroll_offset.y
        count_changed = len(keys) != len(self.keys)
        same = keys is self.keys or (not count_changed and keys == self.keys)
        top = self.scroll_offset.y
        self.keys = keys
        if count_changed:
            self._update_virtual_size()
        index = self.cursor
        cursor_key = self._cursor_key
        if cursor_key is not None and not (index < len(keys) and keys[index] == cursor_key):
            try:
                index = keys.index(cursor_key)
            except ValueError:
                index = self.cursor
        self._place_cursor(index, screen_row=old_screen_row)
        if same and keys and self.scroll_offset.y == top:
            self.refresh_changed()
        else:
            self.refresh()

    def refresh_changed(self) -> None:
        """Repaint only the rows on screen whose version moved since they were drawn (a
        clock tick changes a few AGE cells; a watch event one row), not the whole table."""
        if not self.keys:
            self.refresh()
            return
        self._current_layout()
        layout_id = self._layout_id
        theme = self.app.theme
        top = self.scroll_offset.y
        shown = self._shown
        for index in range(top, min(top + self._body_height(), len(self.keys))):
            key = self.keys[index]
            if shown.get(index - top) != (key, self._version_of(key), layout_id, theme):
                self.refresh_line(index + 1)

    def select_key(self, key: str) -> bool:
        """Put the cursor on ``key`` (scrolling it into view); False if it is not shown."""
        try:
            index = self.keys.index(key)
        except ValueError:
            return False
        self._place_cursor(index)
        self.refresh()
        return True

    # ------------------------------------------------------------------ geometry

    def _body_height(self) -> int:
        # From the size of the last layout, not the region on screen: a hidden view laid
        # out ahead (``main_screen.lay_out_hidden``) has the one but not the other, and
        # its cursor must stay where it is as it is reloaded there.
        return max(self.container_size.height - self.scrollbar_size_horizontal - 1, 1)

    def _update_virtual_size(self) -> None:
        # Narrow, the columns fit the viewport whatever its width (a vertical scrollbar
        # appearing included), so there is nothing to scroll sideways; wide, the rows'
        # width (which does not depend on the viewport's).
        width = self._current_layout().total if self.wide else 0
        size = Size(width, len(self.keys) + 1)
        old = self.virtual_size
        if size == old:
            return
        if self._scrollbars_stay(old, size):
            # ``virtual_size`` is a layout reactive: assigning it reflows the whole
            # screen. With the same width and the scrollbars staying as they are, the
            # layout cannot change, so only the scrollbars and this widget repaint.
            self.set_reactive(ScrollView.virtual_size, size)
            self._scroll_update(size)
            self.refresh()
            # The scrollbars show this size now: the next layout pass (the filter line
            # asks for one at each keystroke) must not update them again, which drew
            # their new thumb in a frame of its own, one frame after the rows.
            if self._sized is not None:
                self._sized = (*self._sized[:2], size)
        else:
            self.virtual_size = size

    def _scrollbars_stay(self, old: Size, new: Size) -> bool:
        if old.width != new.width or not self.container_size:
            return False
        height = self.container_size.height
        for limit in (height, height - self.styles.scrollbar_size_horizontal):
            if (old.height > limit) != (new.height > limit):
                return False
        return True

    def _current_layout(self) -> Layout:
        """The columns' layout at the current width, recomputed when the width, the mode
        or a widest cell changed."""
        key = (self.scrollable_content_region.width, self.wide, self._seen_version)
        if self._layout is None or key != self._layout_key:
            layout = layout_columns(self.columns, key[0], self._seen, wide=self.wide)
            if self._layout is None or layout != self._layout or key[0] != self._layout_key[0]:
                self._layout_id += 1
                self._layout = layout
            self._layout_key = key
        return self._layout

    def set_wide(self, wide: bool) -> None:
        """Show every column at its widest, scrolled sideways (or fit them again)."""
        if wide == self.wide:
            return
        self.wide = wide
        if not wide:
            self.scroll_to(x=0, animate=False, force=True)
        self._update_virtual_size()
        self.refresh()

    def _size_updated(
        self, size: Size, virtual_size: Size, container_size: Size, layout: bool = True
    ) -> bool:
        """ScrollView's, skipped when the region did not change. For a ScrollView the
        compositor passes the region's size as ``virtual_size``, never the table's own, so
        ScrollView refreshed the scrollbars at every layout pass (each view switch); that
        refresh reached the screen two frames later, ~40 ms after the key."""
        seen = (size, container_size, self.virtual_size)
        if seen == self._sized:
            return False
        self._sized = seen
        return super()._size_updated(size, virtual_size, container_size, layout)

    def on_resize(self, event: events.Resize) -> None:
        # The strips stay cached: a new width is a new layout id in their keys (a view
        # shown again had its strips dropped by the resize that comes with showing it).
        self._update_virtual_size()
        self._place_cursor(self.cursor)

    # ------------------------------------------------------------------ cursor

    def _place_cursor(self, index: int, *, screen_row: int | None = None) -> None:
        count = len(self.keys)
        index = max(0, min(index, count - 1)) if count else 0
        previous_key = self._cursor_key
        self.cursor = index
        self._cursor_key = self.keys[index] if count else None
        height = self._body_height()
        top = self.scroll_offset.y
        if screen_row is not None and 0 <= screen_row < height:
            top = index - screen_row
        if index < top:
            top = index
        elif index >= top + height:
            top = index - height + 1
        top = max(0, min(top, max(count - height, 0)))
        if top != self.scroll_offset.y:
            self.scroll_to(y=top, animate=False, force=True)
        if self._cursor_key != previous_key:
            self.post_message(self.CursorMoved(self, self._cursor_key))

    def action_cursor(self, delta: int) -> None:
        self._move(self.cursor + delta)

    def _move(self, index: int) -> None:
        """Move the cursor; repaint only the two rows involved unless it scrolled."""
        old, top = self.cursor, self.scroll_offset.y
        self._place_cursor(index)
        if self.scroll_offset.y != top:
            self.refresh()
        elif old != self.cursor:
            # Content coordinates: row i is line i + 1, under the header.
            self.refresh_line(old + 1)
            self.refresh_line(self.cursor + 1)

    def action_page(self, direction: int) -> None:
        self._move(self.cursor + direction * self._body_height())

    def action_jump(self, index: int) -> None:
        self._move(len(self.keys) - 1 if index < 0 else index)

    def action_scroll_columns(self, step: int) -> None:
        """Scroll to the next (previous) column's start; when there is nothing more to see
        that way the key goes on to the view (the Nodes view's ←/→)."""
        x, limit = round(self.scroll_offset.x), self.max_scroll_x
        starts, start = [], 0
        for _, _, width in self._current_layout().shown:
            starts.append(start)
            start += width + 1
        if step > 0:
            target = next((s for s in starts if s > x), limit) if x < limit else None
        else:
            target = max((s for s in starts if s < x), default=0) if x > 0 else None
        if target is None:
            raise SkipAction()
        self.scroll_to(x=min(target, limit), animate=False, force=True)

    def action_activate(self) -> None:
        if self._cursor_key is not None:
            self.post_message(self.RowActivated(self, self._cursor_key))

    def on_click(self, event: events.Click) -> None:
        if event.y < 1:
            return
        index = self.scroll_offset.y + event.y - 1
        if index < len(self.keys):
            already = index == self.cursor
            self._move(index)
            if already and event.chain > 1:
                self.action_activate()

    # ------------------------------------------------------------------ drawing

    def _style(self, name: str | None) -> Style:
        return self.get_component_rich_style(f"line-table--{name}") if name else Style()

    def _cell_style(self, row_style: str | None, cell_style: str | None) -> Style:
        """The base style plus a row and a cell style, combined once per pass."""
        key = (row_style, cell_style)
        style = self._combined.get(key)
        if style is None:
            style = self._combined[key] = (
                self._base_style + self._style(row_style) + self._style(cell_style)
            )
        return style

    def watch_has_focus(self, has_focus: bool) -> None:
        """Only the cursor row shows focus (its own component class, not ``:focus``):
        Widget's watcher restyled the table, and a restyle refreshes its scrollbars
        (Textual sets every rule again), which reached the screen frames after a view
        switch. ``_on_focus`` and ``_on_blur`` repaint the table anyway."""

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._combined.clear()

    def _row_strip(self, key: str, layout: Layout, width: int, screen_row: int) -> Strip:
        cache_key = (key, self._version_of(key), self._layout_id, self.app.theme)
        self._shown[screen_row] = cache_key
        strip = self._strips.get(cache_key)
        if strip is not None:
            return strip
        row = self._fetched.pop(key, None) or self._row_of(key)
        if row.banner is not None:
            text = fit(row.banner, max(layout.total, width))
            strip = Strip([Segment(text, self._cell_style(row.style, None))])
            self._strips.set(cache_key, strip)
            return strip
        # Neighbouring cells of one style become one segment: fewer segments for
        # Textual's per-segment line filters, and the same text and colours.
        segments: list[Segment] = []
        texts: list[str] = []
        run_style: Style | None = None
        cells, styles = row.cells, row.styles
        separator = self._cell_style(row.style, None)
        seen = self._seen
        for i, column, cell_width in layout.shown:
            text = single_line(cells[i]) if i < len(cells) else ""
            length = _cells(text)
            if length > seen[i]:
                seen[i] = length
                if length > cell_width:
                    self._seen_version += 1  # the layout may widen this column
            if length > cell_width and i < len(row.shorter) and (short := row.shorter[i]):
                text = single_line(short)
                length = _cells(text)
            text = _fit(text, length, cell_width, middle=column.middle, right=column.right)
            style = self._cell_style(row.style, styles[i] if i < len(styles) else None)
            if style is not run_style:
                if texts:
                    segments.append(Segment("".join(texts), run_style))
                texts, run_style = [], style
            texts.append(text)
            if separator is not run_style:
                segments.append(Segment("".join(texts), run_style))
                texts, run_style = [], separator
            texts.append(" ")
        if texts:
            segments.append(Segment("".join(texts), run_style))
        strip = Strip(segments, layout.total)
        self._strips.set(cache_key, strip)
        return strip

    def _header_strip(self, layout: Layout) -> Strip:
        style = self._base_style + self._style("header")
        segments = []
        for _, column, cell_width in layout.shown:
            segments.append(Segment(fit(column.title, cell_width, right=column.right), style))
            segments.append(Segment(" ", style))
        return Strip(segments)

    def render_lines(self, crop: Region) -> list[Strip]:
        # ``rich_style`` walks the ancestors; once per pass, not once per line.
        base = self.rich_style
        if base != self._base_style:
            self._base_style = base
            self._combined.clear()
        if self.keys and not self._measured:
            self._measure_screen()
        elif self.keys:
            self._measure_new_rows()
        # A cell outgrew its column: lay out again and draw this pass over, so a cut
        # number never reaches the screen. One layout for all the lines of a pass (a
        # layout changing midway mixed widths); widths only grow, so this settles at once.
        self._drawing = layout = self._current_layout()
        try:
            strips = super().render_lines(crop)
            for _ in range(len(self.columns)):
                if self._current_layout() is layout:
                    break
                if self.wide:
                    self.call_later(self._update_virtual_size)
                self._drawing = layout = self._current_layout()
                self.refresh()
                strips = super().render_lines(crop)
        finally:
            self._drawing = None
            self._fetched.clear()
        return strips

    def _measure_screen(self) -> None:
        """Measure every cell of the first screen of rows before laying them out, so the
        first paint builds each strip once (and at 50k rows the table's first paint,
        bench/ui_bench.py, stays where it was), not once per width it grew through."""
        self._measured = True
        seen = self._seen
        top = self.scroll_offset.y
        for key in self.keys[top : top + self._body_height()]:
            row = self._row_of(key)
            if row.banner is None:
                for i, cell in enumerate(row.cells[: len(seen)]):
                    seen[i] = max(seen[i], _cells(single_line(cell)))
        self._seen_version += 1

    def _measure_new_rows(self) -> None:
        """Measure the shown cells of the rows on screen that have no strip yet, as
        ``_row_strip`` will, before the pass picks its layout. A filter keystroke, a sort
        or a page that brings a wider cell on screen then widens its column before any
        line is drawn; found mid-pass, the widening redrew the table in a screen update
        of its own, a frame (~17 ms) after the key's. Only when other rows came on
        screen: a cursor move or a clock tick keeps them (a row changed in place and
        wider is still caught mid-pass)."""
        top = self.scroll_offset.y
        rows = self.keys[top : top + self._body_height()]
        if rows == self._measured_rows:
            return
        self._measured_rows = rows
        layout = self._current_layout()
        theme, layout_id = self.app.theme, self._layout_id
        seen, version_of = self._seen, self._version_of
        for key in rows:
            if self._strips.get((key, version_of(key), layout_id, theme)) is not None:
                continue
            row = self._fetched[key] = self._row_of(key)
            if row.banner is not None:
                continue
            cells = row.cells
            for i, _, cell_width in layout.shown:
                length = _cells(single_line(cells[i])) if i < len(cells) else 0
                if length > seen[i]:
                    seen[i] = length
                    if length > cell_width:
                        self._seen_version += 1

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        scroll_x, scroll_y = self.scroll_offset
        layout = self._drawing or self._current_layout()
        if y == 0:
            header = self._header_strip(layout)
            return header.crop_extend(scroll_x, scroll_x + width, self._style("header"))
        index = scroll_y + y - 1
        if not self.keys:
            lines = textwrap.wrap(self.empty_text, max(width - 4, 10))
            if 2 <= y < 2 + len(lines):
                text = fit("  " + lines[y - 2], width)
                return Strip([Segment(text, self._base_style + self._style("empty"))])
            return Strip.blank(width, self._base_style)
        if index >= len(self.keys):
            return Strip.blank(width, self._base_style)
        strip = self._row_strip(self.keys[index], layout, width, y - 1)
        strip = strip.crop_extend(scroll_x, scroll_x + width, self._base_style)
        if index == self.cursor:
            cursor = self._style("cursor-focused" if self.has_focus else "cursor")
            strip = Strip(Segment.apply_style(strip, post_style=cursor), width)
        return strip
