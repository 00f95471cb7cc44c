"""The dashboard at scale: first paint, keys and filtering, against Textual's DataTable.

```sh
python bench/ui_bench.py --pods 50000
```

Pods come from the simulator's ``scale:N`` scenario through the real LIST path (decoded
once, outside the timings). Then, headless at 160×50:

* **first paint**: a snapshot batch of N pods posted to the dashboard until the pods
  table has drawn its first screen (store apply, index, sort, visible rows only);
* **DataTable first paint**: the same rows (the same cell strings, computed for every
  pod, since DataTable needs them all) added to a ``DataTable`` until it has drawn;
* **keypress → repaint**: the mean of 200 ``down`` presses and 20 ``pagedown`` presses,
  beside the same ``down`` press in an app holding one ``Static`` (Pilot's own cost:
  each press waits for the app to settle);
* **filter keystroke**: the mean time of one keystroke of a filter typed into the pods
  view, from the key to the repainted table.

Figures vary with the machine; nothing here is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import UTC, datetime

from textual.app import App, ComposeResult
from textual.widgets import DataTable, Static

from kubetui.model.store import ChangeBatch, SyncState
from kubetui.sim.runner import running_sim
from kubetui.sources.kube_client import connect
from kubetui.sources.snapshot import take_snapshot
from kubetui.ui.app import KubetuiApp
from kubetui.ui.header import Target
from kubetui.ui.line_table import LineTable
from kubetui.ui.rows import pod_cells
from kubetui.ui.views.pods import COLUMNS

SIZE = (160, 50)


class _OneSnapshot:
    """A source that posts the given pods and nodes once, when told to."""

    def __init__(self, pods, nodes) -> None:
        self.pods, self.nodes = pods, nodes
        self.post = None

    def start(self, post) -> None:
        self.post = post

    def fire(self) -> None:
        now = datetime.now(UTC)
        self.post(
            ChangeBatch(
                kind="Node", snapshot=self.nodes, sync=SyncState(source="nodes", phase="live")
            )
        )
        state = SyncState(source="pods", phase="live", since=now, items=len(self.pods))
        self.post(ChangeBatch(kind="Pod", snapshot=self.pods, sync=state))

    def stop(self, timeout: float = 5.0) -> None:
        pass


async def _dashboard(pods, nodes) -> dict[str, float]:
    source = _OneSnapshot(pods, nodes)
    app = KubetuiApp([source], Target(context="bench", server="bench"))
    figures: dict[str, float] = {}
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2")
        table = app.screen.query_one("#pods-table", LineTable)
        start = time.perf_counter()
        source.fire()
        while len(table.keys) < len(pods):
            await pilot.pause(0.005)
        await pilot.pause()
        figures["first paint s"] = time.perf_counter() - start

        start = time.perf_counter()
        for _ in range(200):
            await pilot.press("down")
        figures["down key ms"] = (time.perf_counter() - start) / 200 * 1000
        start = time.perf_counter()
        for _ in range(20):
            await pilot.press("pagedown")
        figures["pagedown key ms"] = (time.perf_counter() - start) / 20 * 1000

        await pilot.press("slash")
        needle = "exec-1"
        start = time.perf_counter()
        for char in needle:
            await pilot.press(char)
        figures["filter keystroke ms"] = (time.perf_counter() - start) / len(needle) * 1000
        figures["rows after filter"] = len(table.keys)
    return figures


class _Baseline(App):
    def compose(self) -> ComposeResult:
        yield Static("baseline")


async def _baseline() -> float:
    async with _Baseline().run_test(size=SIZE) as pilot:
        start = time.perf_counter()
        for _ in range(200):
            await pilot.press("down")
        return (time.perf_counter() - start) / 200 * 1000


class _DataTableApp(App):
    def __init__(self, rows) -> None:
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        yield DataTable()


async def _datatable(pods, nodes) -> float:
    now = datetime.now(UTC)
    start = time.perf_counter()
    rows = [pod_cells(p, now, None, None)[0] for p in pods]
    app = _DataTableApp(rows)
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(DataTable)
        table.add_columns(*(c.title or " " for c in COLUMNS))
        # Plain strings would be parsed as markup by DataTable; Rich Text cells are not.
        from rich.text import Text

        table.add_rows([[Text(cell) for cell in row] for row in rows])
        await pilot.pause()
        await pilot.pause()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pods", type=int, default=50_000)
    args = parser.parse_args()
    with running_sim(f"scale:{args.pods}", 1, frozen=True, kyuubi=False) as sim:
        snap = take_snapshot(connect(str(sim.kubeconfig_path)))
    print(f"{len(snap.pods)} pods, {len(snap.nodes or [])} nodes")
    figures = asyncio.run(_dashboard(snap.pods, snap.nodes or []))
    for name, value in figures.items():
        print(f"kubetui {name}: {value:.3f}" if "rows" not in name else f"{name}: {value:.0f}")
    print(f"Pilot baseline down key ms: {asyncio.run(_baseline()):.3f}")
    datatable = asyncio.run(_datatable(snap.pods, snap.nodes or []))
    print(f"DataTable first paint s: {datatable:.3f}")
    print(f"ratio DataTable / kubetui first paint: {datatable / figures['first paint s']:.1f}x")


if __name__ == "__main__":
    main()
