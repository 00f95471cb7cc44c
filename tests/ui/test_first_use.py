"""First uses made cheap (issue 15): views laid out while hidden show what they would
have shown, and a wider cell brought on screen widens its column before the pass draws.

Timings are bench/ui_bench.py's business; these tests check that the mechanisms keep
the screen the same.
"""

from __future__ import annotations

import pytest
from textual.app import App, ComposeResult
from textual.cache import LRUCache

from kubetui.sim.runner import RunningSim
from kubetui.ui import main_screen
from kubetui.ui.line_table import Column, LineTable, Row
from kubetui.ui.themes import SEVERITY_DEFAULTS
from tests.ui.conftest import make_app, screen_text, settle


async def _screens(incidents: RunningSim) -> tuple[list[str], bool]:
    """What each view shows on its first visit, and whether the hidden views had been
    laid out at the shown view's size before it."""
    app = make_app(incidents)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await pilot.pause(0.5)  # the hidden views are laid out a timer apart
        main = app.main
        size = main.current_view.outer_size
        laid_out = all(v.outer_size == size for v in main.views.values())
        screens = []
        for key in "13452":
            await pilot.press(key)
            await pilot.pause()
            screens.append(screen_text(app))
    return screens, laid_out


async def test_views_laid_out_ahead_show_what_they_showed_before(
    incidents: RunningSim, monkeypatch: pytest.MonkeyPatch
) -> None:
    ahead, laid_out = await _screens(incidents)
    assert laid_out
    # The fallback of a Textual without its private compositor: laid out when shown.
    monkeypatch.setattr(main_screen, "CAN_LAY_OUT_AHEAD", False)
    plain, laid_out = await _screens(incidents)
    assert not laid_out
    assert ahead == plain


async def test_a_view_laid_out_ahead_keeps_its_cursor_across_a_resize(
    incidents: RunningSim,
) -> None:
    """Reloaded while hidden (after a resize), a table keeps its cursor row and scroll."""
    app = make_app(incidents)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("2", "down", "down", "down", "1")
        await pilot.pause(0.3)
        table = app.main.pods_view.table
        before = (table.cursor, table.scroll_offset.y, table.selected_key)
        await pilot.resize_terminal(100, 30)
        await pilot.pause(0.3)
        assert app.main.pods_view.outer_size == app.main.current_view.outer_size
        await pilot.press("2")
        await pilot.pause()
        assert (table.cursor, table.scroll_offset.y, table.selected_key) == before


class _Rows(App):
    """100 rows, row 80's name three times as wide as the others'."""

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return dict(SEVERITY_DEFAULTS)

    def compose(self) -> ComposeResult:
        yield LineTable(
            (Column("NAME", 4, flex=1, max_width=40), Column("N", 3, whole=True)),
            lambda key: Row(("x" * 30 if key == "k80" else key, key[1:])),
            lambda key: 0,
        )


async def test_a_wider_cell_widens_its_column_before_the_rows_are_drawn() -> None:
    """Paging onto row 80 builds each row's strip once, at the widened width (measured
    mid-pass, the rows were built twice and drawn again in a frame of their own)."""
    app = _Rows()
    async with app.run_test(size=(60, 12)) as pilot:
        table = app.query_one(LineTable)
        table.set_keys([f"k{i}" for i in range(100)])
        table.focus()
        await pilot.pause()
        built: list[str] = []

        class Counting(LRUCache):
            def set(self, key: tuple, value: object) -> None:
                built.append(key[0])
                super().set(key, value)

        table._strips = Counting(1024)
        table.select_key("k80")
        await pilot.pause()
        assert "k80" in built and len(built) == len(set(built)), built
        assert "x" * 30 in table.render_line(1 + 80 - table.scroll_offset.y).text
