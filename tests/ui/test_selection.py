"""The selected pod stays selected, and at the same height, while rows change around it."""

from __future__ import annotations

import msgspec

from kubetui.model.records import Pod
from kubetui.model.store import ADDED, DELETED, MODIFIED, Change, ChangeBatch
from kubetui.sim.runner import RunningSim
from kubetui.ui.line_table import LineTable
from kubetui.ui.messages import ClusterChanged
from tests.ui.conftest import make_app, screen_text, settle


def _pod(namespace: str, name: str, uid: str) -> Pod:
    return msgspec.convert(
        {
            "metadata": {"namespace": namespace, "name": name, "uid": uid},
            "spec": {"containers": [{"name": "c"}]},
            "status": {"phase": "Pending"},
        },
        Pod,
    )


def _cursor_line(app, table: LineTable) -> tuple[int, str]:
    """(screen row of the cursor within the table, that row's text)."""
    row = table.cursor - table.scroll_offset.y + 1
    return row, table.render_line(row).text


async def test_selection_survives_adds_deletes_and_resorts(fresh_incidents: RunningSim) -> None:
    app = make_app(fresh_incidents)
    async with app.run_test(size=(160, 24)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        table = app.screen.query_one("#pods-table", LineTable)
        warehouse = next(
            k for k in table.keys if "warehouse" in app.data.store.pods[k].metadata.name
        )
        assert table.select_key(warehouse)
        await pilot.press("down", "down")  # exec-2 of the same engine
        selected = table.selected_key
        name = app.data.store.pods[selected].metadata.name
        row_before, line = _cursor_line(app, table)
        assert name[-10:] in line

        before = [k for k in table.keys[: table.cursor] if k != selected]
        added = [_pod("etl", f"aaa-new-{i}", f"new-{i}") for i in range(5)]
        batch = ChangeBatch(
            kind="Pod",
            changes=[
                *(Change(ADDED, p) for p in added),
                Change(DELETED, app.data.store.pods[before[-1]]),
                Change(MODIFIED, app.data.store.pods[selected]),
            ],
        )
        app.post_message(ClusterChanged(batch))
        await settle(pilot)
        assert table.selected_key == selected
        assert table.keys.index(selected) == table.cursor
        row_after, line = _cursor_line(app, table)
        assert row_after == row_before and name[-10:] in line
        assert "57 · sort name" in screen_text(app), screen_text(app)[:600]  # 53 + 5 - 1

        await pilot.press("s", "s", "s")  # sort by age: the new pods move to the top
        assert "sort age" in screen_text(app)
        assert table.selected_key == selected
        assert name[-10:] in _cursor_line(app, table)[1]

        gone = ChangeBatch(kind="Pod", changes=[Change(DELETED, app.data.store.pods[selected])])
        index = table.cursor
        app.post_message(ClusterChanged(gone))
        await settle(pilot)
        assert selected not in table.keys
        assert table.cursor == index and table.selected_key == table.keys[index]
