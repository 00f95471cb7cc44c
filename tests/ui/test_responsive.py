"""Responsive tables (issue 14): which columns each width shows, numbers never cut, wide
mode with sideways scrolling, re-layout on resize; and the hot-loop warm-up told as such.

The column layout itself is checked without a terminal (``layout_columns``); the rest
under Pilot on the frozen incidents cluster, reading what each table really drew
(``render_line``) against the full cell values its view gives.
"""

from __future__ import annotations

import re

import pytest
from textual.cache import LRUCache

from kubetui.model.churn_rates import Warmup
from kubetui.model.findings import ObjectRate
from kubetui.model.inert_text import single_line
from kubetui.model.store import SyncState
from kubetui.sim.runner import RunningSim
from kubetui.sources.churn import ChurnUpdate, ChurnWatcher
from kubetui.ui.line_table import Column, LineTable, fit, layout_columns
from kubetui.ui.views.pods import COLUMNS as POD_COLUMNS
from tests.ui.conftest import make_app, screen_text, settle

SIZES = {"80x24": (80, 24), "120x36": (120, 36), "200x50": (200, 50)}
#: Per view key and table: the titles shown, and hidden, at each width; what an operator
#: keeps at 80 columns.
TITLES = {
    ("2", "pods-table"): {
        "80x24": (
            ("NAME", "STATUS", "READY", "RESTARTS", "LAST TERMINATION", "AGE"),
            ("NAMESPACE", "QoS", "OOM ADJ", "NODE"),
        ),
        "120x36": (
            ("NAMESPACE", "NAME", "STATUS", "READY", "RESTARTS", "LAST TERMINATION", "OOM ADJ"),
            ("QoS",),
        ),
        "200x50": (tuple(c.title for c in POD_COLUMNS if c.title), ()),
    },
    ("3", "engines-table"): {
        "80x24": (("ENGINE", "STATE", "KYUUBI", "EXEC R/F/N", "AGE"), ("INSTANCE", "KIND", "USER")),
        "200x50": (("NAMESPACE", "DRIVER", "REASON", "USER", "KIND", "INSTANCE", "AGE"), ()),
    },
    ("4", "oom-table"): {
        "80x24": (("#", "NAMESPACE/POD", "ADJ", "USED", "SCORE"), ("QoS", "REQUEST", "LIMIT")),
        "200x50": (("CONTAINER", "QoS", "ADJ", "USED", "SCORE", "REQUEST", "LIMIT"), ()),
    },
    ("5", "hot-loops-table"): {
        "80x24": (("KIND", "NAMESPACE/NAME", "PER MIN", "PEER MEDIAN", "MANAGERS"), ()),
    },
}


# ------------------------------------------------------------------ layout, no terminal


def _titles(columns: tuple[Column, ...], widths: tuple[int, ...]) -> list[str]:
    return [c.title for c, w in zip(columns, widths, strict=True) if w]


def test_columns_drop_out_whole_by_priority_as_the_width_shrinks() -> None:
    priority = {c.title: c.priority for c in POD_COLUMNS}
    seen = [0] * len(POD_COLUMNS)
    before = set(priority)
    for width in range(200, 40, -1):
        layout = layout_columns(POD_COLUMNS, width, seen)
        shown = set(_titles(POD_COLUMNS, layout.widths))
        assert layout.total <= width
        # Narrowing never brings a column back; what goes ranks below all that stays.
        assert shown <= before
        for gone in before - shown:
            assert all(priority[gone] >= priority[t] for t in shown), (width, gone)
        before = shown
    assert before == {"", "NAME", "STATUS"}


def test_a_whole_column_takes_its_widest_cell_or_is_hidden() -> None:
    columns = (
        Column("NAME", 10, flex=1, max_width=40),
        Column("N", 1, right=True, whole=True, priority=1),
    )
    # "1000,-997" seen: the column is 9 wide, or gone when 9 does not fit.
    assert layout_columns(columns, 40, [30, 9]).widths[1] == 9
    assert layout_columns(columns, 20, [30, 9]).widths == (19, 0)
    # The spare width goes to the flex column, up to its widest cell.
    assert layout_columns(columns, 60, [30, 9]).widths == (30, 9)


def test_a_hostile_value_in_a_capped_whole_column_does_not_push_the_others_out() -> None:
    """Kyuubi writes the KYUUBI state: 10k characters of it stay within the cap."""
    columns = (
        Column("ENGINE", 20, flex=1, max_width=40),
        Column("KYUUBI", 10, whole=True, max_width=16, priority=1),
        Column("AGE", 4, whole=True, priority=2),
    )
    assert layout_columns(columns, 50, [36, 10_000, 4]).widths == (27, 16, 4)


def test_a_primary_column_grows_before_optional_columns_are_shown() -> None:
    columns = (
        Column("NAME", 10, flex=1, max_width=40, grow_to=20, grow_at=2),
        Column("A", 5, whole=True, priority=1),
        Column("B", 5, whole=True, priority=2),
    )
    seen = [40, 5, 5]
    assert layout_columns(columns, 25, seen).widths == (18, 5, 0)
    assert layout_columns(columns, 30, seen).widths == (23, 5, 0)  # B waits for NAME
    assert layout_columns(columns, 33, seen).widths == (20, 5, 5)


def test_wide_layout_shows_every_column_at_its_widest() -> None:
    columns = (Column("NAME", 10, flex=1, max_width=40), Column("X", 5, priority=9))
    layout = layout_columns(columns, 12, [35, 30], wide=True)
    assert layout.widths == (35, 30) and layout.total == 67


@pytest.mark.parametrize(
    ("text", "width", "expected"),
    [
        ("Error 143 SIGTERM 2m ago", 12, "Error 143 … "),
        ("Error 143 SIGTERM 2m ago", 9, "Error …  "),
        ("Init:0/12", 8, "Init:0/…"),
        ("12345678", 5, "…    "),
    ],
)
def test_text_is_never_cut_inside_a_number(text: str, width: int, expected: str) -> None:
    assert fit(text, width) == expected


# ------------------------------------------------------------------ on screen


def _drawn(table: LineTable) -> list[tuple[str, dict[int, tuple[int, int]]]]:
    """(row text as drawn, column index → (start, width)) for each body row on screen;
    scrolled sideways, only the columns wholly in view."""
    x = round(table.scroll_offset.x)
    view = table.scrollable_content_region.width
    spans, start = {}, 0
    for index, _, width in table._current_layout().shown:
        if start >= x and start + width <= x + view:
            spans[index] = (start, width)
        start += width + 1
    rows = []
    for y in range(1, min(len(table.keys), table.scrollable_content_region.height - 1) + 1):
        text = table.render_line(y).text
        rows.append((" " * x + text, spans))
    return rows


def _assert_numbers_whole(table: LineTable) -> int:
    """Every drawn cell of a whole column equals its full value; no other cell ends in a
    cut number. Returns how many number cells were checked."""
    top = round(table.scroll_offset.y)
    checked = 0
    for offset, (text, spans) in enumerate(_drawn(table)):
        row = table._row_of(table.keys[top + offset])
        if row.banner is not None:
            continue
        for index, (start, width) in spans.items():
            column = table.columns[index]
            full = single_line(row.cells[index]) if index < len(row.cells) else ""
            shown = text[start : start + width].strip()
            if column.whole:
                assert shown == full.strip(), (table.id, column.title, shown, full)
                checked += bool(re.search(r"\d", full))
            elif not column.middle and shown.endswith("…"):
                # The kept text is a prefix of the full value (or its short form) ending
                # at a word or before a digit run, never inside a number.
                kept = shown[:-1].rstrip()
                forms = [full, *(s for s in row.shorter[index : index + 1] if s)]
                source = next(f for f in forms if f.startswith(kept))
                following = source[len(kept) : len(kept) + 1]
                assert not (kept[-1:].isdigit() and following.isdigit()), (shown, source)
    return checked


@pytest.mark.parametrize("size", SIZES)
async def test_columns_shown_per_width_and_no_number_cut(incidents: RunningSim, size: str) -> None:
    app = make_app(incidents)
    async with app.run_test(size=SIZES[size]) as pilot:
        await settle(pilot)
        numbers = 0
        for key in "12345":
            await pilot.press(key)
            await pilot.pause()
            for table in app.screen.query(LineTable):
                if table.display and table.keys:
                    numbers += _assert_numbers_whole(table)
        assert numbers > 50  # READY, RESTARTS, OOM ADJ, EXEC, MEMORY, ADJ... were checked
        for (key, table_id), by_size in TITLES.items():
            if size not in by_size:
                continue
            await pilot.press(key)
            header = f" {app.screen.query_one(f'#{table_id}', LineTable).render_line(0).text} "
            shown, hidden = by_size[size]
            assert all(f" {t} " in header for t in shown), header
            assert not any(f" {t} " in header for t in hidden), header


async def test_best_effort_oom_adj_reads_1000_not_1(incidents: RunningSim) -> None:
    """The issue's own case: at 120×36 the OOM ADJ column was cut at the edge."""
    app = make_app(incidents)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("2", "slash", *"netshoot", "enter")
        line = next(x for x in screen_text(app).splitlines() if "netshoot-debug" in x)
        assert re.search(r" 1000 ", line), line


async def test_wide_mode_shows_every_column_and_scrolls_by_column(incidents: RunningSim) -> None:
    app = make_app(incidents)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        table = app.screen.query_one("#pods-table", LineTable)
        assert table.max_scroll_x == 0
        await pilot.press("right")  # nothing to scroll: nothing moves
        assert table.scroll_offset.x == 0
        await pilot.press("w")
        await pilot.pause()
        assert "sort name · wide" in screen_text(app)
        layout = table._current_layout()
        assert all(layout.widths) and layout.total > 80
        assert table.virtual_size.width == layout.total
        starts = []
        start = 0
        for _, _, width in layout.shown:
            starts.append(start)
            start += width + 1
        seen_titles = set()
        for expected in starts[1:]:
            if expected > table.max_scroll_x:
                break
            await pilot.press("right")
            await pilot.pause()
            assert table.scroll_offset.x == expected
            seen_titles.update(table.render_line(0).text.split())
        while table.scroll_offset.x < table.max_scroll_x:
            await pilot.press("right")
            await pilot.pause()
        seen_titles.update(table.render_line(0).text.split())
        assert {"QoS", "NODE", "AGE"} <= seen_titles
        assert _assert_numbers_whole(table) > 0
        await pilot.press("left")
        await pilot.pause()
        assert table.scroll_offset.x < table.max_scroll_x
        await pilot.press("w")
        await pilot.pause()
        assert table.scroll_offset.x == 0 and table.virtual_size.width == 0
        assert "wide" not in screen_text(app)


async def test_nodes_view_arrows_scroll_in_wide_mode_then_move_focus(
    incidents: RunningSim,
) -> None:
    app = make_app(incidents)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("4")
        nodes = app.screen.query_one("#nodes-table", LineTable)
        await pilot.press("right")  # narrow: → moves into the OOM list, as before
        assert app.screen.query_one("#oom-table", LineTable).has_focus
        await pilot.press("left", "w")
        await pilot.pause()
        assert nodes.has_focus and nodes.max_scroll_x > 0
        while nodes.scroll_offset.x < nodes.max_scroll_x:
            await pilot.press("right")
            await pilot.pause()
            assert nodes.has_focus
        await pilot.press("right")  # at the edge: the view's → again
        assert app.screen.query_one("#oom-table", LineTable).has_focus


async def test_resize_lays_the_columns_out_again_at_once(incidents: RunningSim) -> None:
    app = make_app(incidents)
    async with app.run_test(size=(200, 50)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        table = app.screen.query_one("#pods-table", LineTable)
        assert "NODE" in table.render_line(0).text
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        header = table.render_line(0).text
        assert "NODE" not in header and "LAST TERMINATION" in header and "AGE" in header
        assert _assert_numbers_whole(table) > 0
        assert max(len(line.rstrip()) for line in screen_text(app).splitlines()) <= 80
        await pilot.resize_terminal(200, 50)
        await pilot.pause()
        assert "NODE" in table.render_line(0).text


async def test_the_first_paint_builds_each_row_once(incidents: RunningSim) -> None:
    """The first screen is measured before its first layout: no strip is built at a
    width the columns then grow out of (at 50k pods that doubled the table's first
    paint in bench/ui_bench.py)."""
    app = make_app(incidents)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#pods-table", LineTable)
        built: list[tuple] = []

        class Counting(LRUCache):
            def set(self, key: tuple, value: object) -> None:
                built.append(key)
                super().set(key, value)

        table._strips = Counting(1024)
        await pilot.press("2")
        await pilot.pause()
        visible = min(len(table.keys), table.scrollable_content_region.height - 1)
        rows = [key for key, *_ in built]
        assert len(rows) == visible and len(set(rows)) == visible, rows
        assert _assert_numbers_whole(table) > 0


# ------------------------------------------------------------------ warm-up


async def test_hot_loops_and_header_say_the_rates_are_still_measured(
    incidents: RunningSim,
) -> None:
    app = make_app(incidents)
    rates = [
        ObjectRate(kind="Secret", namespace="shop", name=f"s{i}", uid=f"u{i}", updates_per_minute=0)
        for i in range(5)
    ]
    live = SyncState(source="churn", phase="live")
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("5")
        app.apply_churn(ChurnUpdate(rates=rates, sync=live, warmup=Warmup(45.0, 120.0)))
        await settle(pilot)
        text = screen_text(app)
        header = "\n".join(text.splitlines()[:2])
        assert "measuring rates: 0:45 of 2:00" in header
        assert "Still measuring rates: 0:45 of 2:00 (5 objects watched)" in text
        assert "none is rewritten" not in text
        app.apply_churn(ChurnUpdate(rates=rates, sync=live, warmup=None))
        await settle(pilot)
        text = screen_text(app)
        assert "measuring rates" not in text
        assert "5 objects watched; none is rewritten far more often than its peers." in text


async def test_the_churn_watch_on_a_frozen_cluster_stays_measuring(incidents: RunningSim) -> None:
    """End to end through the real metadata watch: the frozen cluster's server clock never
    moves, so the rates never cover 2:00 and the dashboard never says "none"."""
    app = make_app(incidents, hot_loops=True)
    watcher = next(s for s in app.sources if isinstance(s, ChurnWatcher))
    watcher.report_interval = 0.1
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        for _ in range(200):
            if app.data.store.rates:
                break
            await pilot.pause(0.05)
        await pilot.press("5")
        await settle(pilot)
        text = screen_text(app)
        assert "measuring rates: 0:00 of 2:00" in "\n".join(text.splitlines()[:2])
        assert f"Still measuring rates: 0:00 of 2:00 ({len(app.data.store.rates)} objects" in text
        assert "none is rewritten" not in text
