"""The dashboard at scale: first paint against Textual's DataTable, keys and filtering.

```sh
python bench/ui_bench.py --pods 50000 150000 [--runs 3] [--datatable-max 50000]
```

Pods come from the simulator's ``scale:N`` scenario through the real LIST path (decoded
once per size, outside the timings). As the ingest does after its first LIST, the
collector is frozen (``gc.freeze()``) before the snapshot is posted. Then, headless at
160×50, one run prints side by side per size:

* **first paint**: the snapshot batch posted to the app until the end of the first
  screen update that shows the pods table with rows (median of ``--runs`` fresh apps).
  "table part" is the time spent by the pods view and the screen (indexing the batch,
  the visible rows, the compositor update), without the store's apply and the app's
  repaint coalescing delay (``REPAINT_DELAY``);
* **DataTable**: the same rows (cell strings computed for every pod, as DataTable needs
  them all) added to a ``DataTable`` until the end of its first screen update; skipped
  above ``--datatable-max`` pods (it grows linearly: ~12 s at 50k);
* **keypress → repaint**: for each key, the time from the key event's arrival in the app
  (``App.on_event``) to the end of the last screen update it causes (the compositor
  refresh, hooked on the screen), once the app has settled and the index is complete;
  the once-a-second age tick is paused meanwhile so no update of its own is counted
  ("the index complete": every pod's facts computed and every sort order built ahead,
  both in the background after the LIST).
  ``pilot.press`` only paces the keys (it waits until the app is idle); its own ~40 ms
  round trip is not in the figures;
* **filter**: the same for each keystroke typed into (and erased from) the filter line.

Figures vary with the machine; nothing here is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from rich.text import Text
from textual import events
from textual.app import App, ComposeResult
from textual.widgets import DataTable

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
#: Keys per kind: (kind, keys pressed in turn).
KEYS: Sequence[tuple[str, Sequence[str]]] = (
    ("down", ["down"] * 100),
    ("up", ["up"] * 50),
    ("pagedown", ["pagedown"] * 40),
    ("pageup", ["pageup"] * 20),
    ("sort", ["s"] * 15),
    ("view", ["1", "2", "3", "2", "4", "2", "5", "2"] * 3),
)
FILTER_WORDS = ("exec-1", "driver", "team-00", "oomkilled")


class _OneSnapshot:
    """A source that posts the given pods and nodes once, when told to."""

    def __init__(self, pods, nodes) -> None:
        self.pods, self.nodes = pods, nodes
        self.post: Callable | None = None

    def start(self, post) -> None:
        self.post = post

    def freeze(self) -> None:
        """What ``kubetui.sources.ingest`` does once its first LIST is in."""
        gc.collect()
        gc.freeze()

    def fire(self) -> None:
        assert self.post is not None
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


class _Stamps:
    """Hooks: when a key arrives, when each screen update ends, time spent in calls."""

    def __init__(self) -> None:
        self.key_at = 0.0
        self.updates: list[float] = []
        self.spent: dict[str, list[float]] = {}
        #: The end of the first update after which ``drawn()`` held, and that update's
        #: own duration.
        self.drawn_at: float | None = None
        self.drawn_update = 0.0

    def hook_updates(self, screen, drawn: Callable[[], bool] = lambda: False) -> None:
        refresh = screen._compositor_refresh

        def hooked() -> None:
            start = time.perf_counter()
            refresh()
            end = time.perf_counter()
            self.updates.append(end)
            if self.drawn_at is None and drawn():
                self.drawn_at, self.drawn_update = end, end - start

        screen._compositor_refresh = hooked

    def time_calls(self, owner, name: str) -> None:
        call = getattr(owner, name)

        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return call(*args, **kwargs)
            finally:
                self.spent.setdefault(name, []).append(time.perf_counter() - start)

        setattr(owner, name, timed)


class _BenchApp(KubetuiApp):
    """The dashboard, stamping key arrivals; the age tick can be paused."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.stamps = _Stamps()
        self.tick_paused = False

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key):
            self.stamps.key_at = time.perf_counter()
        await super().on_event(event)

    def _every_second(self) -> None:
        if not self.tick_paused:
            super()._every_second()


async def _until(pilot, predicate: Callable[[], bool], timeout: float) -> None:
    deadline = time.perf_counter() + timeout
    while not predicate():
        if time.perf_counter() > deadline:
            raise TimeoutError("the dashboard did not get there in time")
        await pilot.pause(0.002)


async def _first_paint(pods, nodes) -> tuple[float, float]:
    """(batch posted → pods table drawn, of which the table's own work), seconds."""
    source = _OneSnapshot(pods, nodes)
    app = _BenchApp([source], Target(context="bench", server="bench"))
    try:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("2")
            screen = app.screen
            table = screen.query_one("#pods-table", LineTable)
            stamps = app.stamps
            stamps.hook_updates(screen, lambda: len(table.keys) == len(pods))
            stamps.time_calls(screen.pods_view, "pods_changed")
            stamps.time_calls(screen.pods_view, "reload")
            source.freeze()
            start = time.perf_counter()
            source.fire()
            await _until(pilot, lambda: stamps.drawn_at is not None, 120)
            assert stamps.drawn_at is not None
            total = stamps.drawn_at - start
            # Indexing the batch, the reloads that built the rows, the update that drew them.
            spent = stamps.spent
            table_work = sum(spent["pods_changed"] + spent["reload"]) + stamps.drawn_update
    finally:
        gc.unfreeze()
    return total, table_work


async def _keys(pods, nodes) -> dict[str, list[float]]:
    """Per key kind, the latencies (ms) of every press, once the app has settled."""
    source = _OneSnapshot(pods, nodes)
    app = _BenchApp([source], Target(context="bench", server="bench"))
    latencies: dict[str, list[float]] = {}
    try:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("2")
            screen = app.screen
            view = screen.pods_view
            stamps = app.stamps
            stamps.hook_updates(screen)
            source.freeze()
            source.fire()

            def indexed() -> bool:
                # The index complete: every pod's facts, and every sort order built ahead.
                return app.settled and not view.index.pending and view.index.presorted

            await _until(pilot, indexed, 600)
            app.tick_paused = True
            await pilot.pause(0.2)

            async def press(kind: str, key: str) -> None:
                stamps.updates.clear()
                await pilot.press(key)
                if stamps.updates:  # a key that changed nothing draws nothing
                    ms = (stamps.updates[-1] - stamps.key_at) * 1000
                    latencies.setdefault(kind, []).append(ms)

            for kind, keys in KEYS:
                for key in keys:
                    await press(kind, key)
            await pilot.press("slash")
            for word in FILTER_WORDS:
                for char in word:
                    await press("filter", char)
                for _ in word:
                    await press("filter", "backspace")
            await pilot.press("escape")
    finally:
        gc.unfreeze()
    return latencies


class _DataTableApp(App):
    def compose(self) -> ComposeResult:
        yield DataTable()


async def _datatable(pods) -> float:
    """Cells for every pod, ``add_rows``, until DataTable's first screen update ends."""
    app = _DataTableApp()
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(DataTable)
        table.add_columns(*(c.title or " " for c in COLUMNS))
        await pilot.pause()
        stamps = _Stamps()
        stamps.hook_updates(app.screen, lambda: table.row_count == len(pods))
        start = time.perf_counter()
        now = datetime.now(UTC)
        # Plain strings would be parsed as markup by DataTable; Rich Text cells are not.
        rows = [[Text(cell) for cell in pod_cells(p, now, None, None)[0]] for p in pods]
        table.add_rows(rows)
        await _until(pilot, lambda: stamps.drawn_at is not None, 600)
        assert stamps.drawn_at is not None
        return stamps.drawn_at - start


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pods", type=int, nargs="+", default=[50_000])
    parser.add_argument("--runs", type=int, default=3, help="first-paint runs (median)")
    parser.add_argument("--datatable-max", type=int, default=50_000)
    parser.add_argument("--datatable-runs", type=int, default=1)
    args = parser.parse_args()

    paint_rows, key_rows = [], []
    kinds = [kind for kind, _ in KEYS] + ["filter"]
    for count in args.pods:
        with running_sim(f"scale:{count}", 1, frozen=True, kyuubi=False) as sim:
            snap = take_snapshot(connect(str(sim.kubeconfig_path)))
        pods, nodes = snap.pods, snap.nodes or []
        print(f"{len(pods)} pods, {len(nodes)} nodes", flush=True)
        paints = [asyncio.run(_first_paint(pods, nodes)) for _ in range(args.runs)]
        total = statistics.median(p[0] for p in paints)
        table = statistics.median(p[1] for p in paints)
        if count <= args.datatable_max:
            datatable = statistics.median(
                asyncio.run(_datatable(pods)) for _ in range(args.datatable_runs)
            )
            dt = f"{datatable:.2f}"
            ratios = f"{datatable / total:.0f}× | {datatable / table:.0f}×"
        else:
            dt, ratios = "skipped", "– | –"
        paint_rows.append(f"| {count:,} | {total:.3f} | {table:.3f} | {dt} | {ratios} |")
        print(paint_rows[-1], flush=True)
        latencies = asyncio.run(_keys(pods, nodes))
        cells = [
            f"{_p(latencies[k], 0.5):.1f} / {_p(latencies[k], 0.95):.1f}" if k in latencies else "–"
            for k in kinds
        ]
        key_rows.append(f"| {count:,} | " + " | ".join(cells) + " |")
        print(key_rows[-1], flush=True)

    print("\nFirst paint, median of", args.runs, "runs (s)\n")
    print("| pods | kubetui, batch → drawn | table part | DataTable | ratio | ratio (table) |")
    print("|---:|---:|---:|---:|---:|---:|")
    print("\n".join(paint_rows))
    if any(c > args.datatable_max for c in args.pods):
        print(f"\nDataTable is skipped above {args.datatable_max:,} pods (--datatable-max).")
    print("\nKeypress → repaint, p50 / p95 (ms)\n")
    print("| pods | " + " | ".join(kinds) + " |")
    print("|---:|" + "---:|" * len(kinds))
    print("\n".join(key_rows))


if __name__ == "__main__":
    main()
