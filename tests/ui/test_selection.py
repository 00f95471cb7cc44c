"""The selected pod stays selected, and at the same height, while the sim adds, deletes
and changes pods around it (through the live LIST+WATCH path)."""

from __future__ import annotations

from kubetui.sim.runner import RunningSim
from kubetui.ui.line_table import LineTable
from tests.ui.conftest import make_app, screen_text, settle


def _new_pod(name: str) -> dict:
    return {
        "metadata": {"namespace": "etl", "name": name},
        "spec": {"containers": [{"name": "c", "image": "x"}]},
        "status": {"phase": "Pending"},
    }


def _cursor_line(table: LineTable) -> tuple[int, str]:
    """(screen row of the cursor within the table, that row's text)."""
    row = table.cursor - table.scroll_offset.y + 1
    return row, table.render_line(row).text


async def _until(pilot, predicate, what: str) -> None:
    for _ in range(500):
        if predicate():
            return
        await pilot.pause(0.02)
    raise AssertionError(f"timed out waiting for {what}")


async def test_selection_survives_adds_deletes_and_resorts(fresh_incidents: RunningSim) -> None:
    sim = fresh_incidents
    app = make_app(sim)
    async with app.run_test(size=(160, 24)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        table = app.screen.query_one("#pods-table", LineTable)
        pods = app.data.store.pods
        warehouse = next(k for k in table.keys if "warehouse" in pods[k].metadata.name)
        assert table.select_key(warehouse)
        await pilot.press("down", "down")  # exec-2 of the same engine
        selected = table.selected_key
        name = pods[selected].metadata.name
        row_before, line = _cursor_line(table)
        assert name[-10:] in line
        above = pods[table.keys[table.cursor - 1]].metadata

        for i in range(5):
            sim.state.create("pods", _new_pod(f"aaa-new-{i}"))
        sim.state.remove("pods", above.namespace, above.name)
        await _until(pilot, lambda: len(app.data.store.pods) == 57, "4 more pods")  # 53 + 5 - 1
        await settle(pilot)
        assert table.selected_key == selected
        assert table.keys.index(selected) == table.cursor
        row_after, line = _cursor_line(table)
        assert row_after == row_before and name[-10:] in line
        assert "57 · sort name" in screen_text(app)

        await pilot.press("s", "s", "s")  # by age: the new pods move to the top
        assert "sort age" in screen_text(app)
        assert pods[table.keys[0]].metadata.name.startswith("aaa-new-")
        assert table.selected_key == selected
        assert name[-10:] in _cursor_line(table)[1]

        index = table.cursor
        sim.state.remove("pods", "etl", name)
        await _until(pilot, lambda: selected not in app.data.store.pods, "the deletion")
        await settle(pilot)
        assert selected not in table.keys
        assert table.cursor == index and table.selected_key == table.keys[index]
