"""The live dashboard against the sim: first frame, watch event → visible, idle CPU, RSS.

    python bench/ui_live_bench.py [--pods 50000 150000] [--repeat 3] [--idle 20]

Three kinds of process, so that the figures are the app's own: the simulator
(``scale:N`` over HTTPS, one child per size, frozen: no writes of its own), one app child
per run (the real ``kubetui`` path: ``connect`` + ``/version`` probe + ``dashboard_app``,
headless with ``App.run_test()`` at 160×50), and this parent, which relays the app
child's write requests to the sim and prints the table. Per run, in the app child:

* **first frame**: wall time from ``connect()`` (kubetui and textual already imported;
  "import s" is the process start to that point) to the first screen update the
  compositor hands to the driver, beside the time both initial LISTs (pods, nodes) were
  applied to the store ("synced") and the time the app is ``settled`` (analysis done);
* **RSS** after settling and after the idle period;
* **idle CPU**: the pods view shown, nothing written by the sim for ``--idle`` seconds;
  user+system CPU of the whole app process (all threads) over wall time, with the screen
  updates and table lines rendered meanwhile, and CPU per thread (``--profile`` adds a
  cProfile of the UI thread);
* **watch → visible** at ``--rate`` writes/s for ``--secs`` s, twice: "modify" bumps
  the restart count of the pods on screen (round robin), "add" creates pods that sort
  right under the selected row. Each write carries a unique number (the RESTARTS cell);
  the sim stamps the wall time just after the write, the app child the wall time of
  every screen update that carries a number. A modification counts as visible when its
  number or a later one of the same pod is on screen (a newer write supersedes it); an
  added pod pushed off screen before a paint is never visible (counted, not timed).

Screen updates are taken from ``App._display`` (headless skips only the terminal write).
Figures vary with the machine; nothing here is asserted. Medians of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from server_child import served  # bench/, the script's own dir, is sys.path[0]

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SIZE = (160, 50)
MODIFY_BASE = 710_000_000
ADD_BASE = 720_000_000
TOKEN = re.compile(r"\b7[12]\d{7}\b")
TARGETS = {
    "first_frame_s": 0.5,
    "modify_p95_ms": 500.0,
    "add_p95_ms": 500.0,
    "idle_cpu_pct": 1.0,
}


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# ---------------------------------------------------------------- the sim child


def _serve(pods: int) -> None:
    """Run ``scale:N`` frozen; print the kubeconfig; obey one JSON command per line.

    The sim's controllers are switched off: ``scale:N`` ReplicaSets want fewer replicas
    than they own, so the first write to one of their pods would make the controller
    delete its siblings (the selected row among them) in the middle of a measurement.
    """
    from kubetui.sim.controllers import Controllers
    from kubetui.sim.runner import running_sim

    Controllers.run_once = lambda self: None  # type: ignore[method-assign]

    with running_sim(f"scale:{pods}", 1, frozen=True, kyuubi=False) as sim:
        print(json.dumps({"kubeconfig": str(sim.kubeconfig_path)}), flush=True)
        added: list[tuple[str, str]] = []
        #: Write numbers go on across phases and runs: every number is on screen once.
        counter = iter(range(10**7))
        for line in sys.stdin:
            command = json.loads(line)
            if "modify" in command:
                reply = _modify(sim.state, counter, **command["modify"])
            elif "add" in command:
                reply = _add(sim.state, added, counter, **command["add"])
            else:
                for namespace, name in added:
                    sim.state.remove("pods", namespace, name)
                reply = {"removed": len(added)}
                added.clear()
            print(json.dumps(reply), flush=True)


def _set_restarts(obj: dict[str, Any], count: int) -> None:
    """Make ``count`` the pod's RESTARTS: the first container has it, the others 0."""
    status = obj["status"]
    for cs in status.get("initContainerStatuses") or []:
        cs["restartCount"] = 0
    for i, cs in enumerate(status.get("containerStatuses") or []):
        cs["restartCount"] = count if i == 0 else 0


def _paced(rate: float, secs: float, counter: Iterator[int], write: Any) -> list[tuple[int, float]]:
    """Call ``write(seq)`` ``rate`` times a second for ``secs`` (``seq`` from
    ``counter``); (seq, wall time after)."""
    start = time.monotonic()
    done: list[tuple[int, float]] = []
    while (now := time.monotonic()) - start < secs:
        if len(done) >= (now - start) * rate:
            time.sleep(0.0005)
            continue
        seq = next(counter)
        write(seq)
        done.append((seq, time.time()))
    return done


def _modify(
    state: Any, counter: Iterator[int], rate: float, secs: float, pods: list[list[str]]
) -> dict[str, Any]:
    """Bump the restart count of ``pods`` round robin (Running pods with statuses only)."""
    targets = [
        (ns, name)
        for ns, name in pods
        if ((state.get("pods", ns, name) or {}).get("status") or {}).get("containerStatuses")
    ]

    def write(seq: int) -> None:
        ns, name = targets[seq % len(targets)]
        state.mutate("pods", ns, name, lambda obj: _set_restarts(obj, MODIFY_BASE + seq))

    done = _paced(rate, secs, counter, write)
    return {
        "writes": [[MODIFY_BASE + seq, at] for seq, at in done],
        "pod_of": [seq % len(targets) for seq, _ in done],
        "targets": len(targets),
    }


def _add(
    state: Any,
    added: list[tuple[str, str]],
    counter: Iterator[int],
    rate: float,
    secs: float,
    after: list[str],
    templates: list[list[str]],
) -> dict[str, Any]:
    """Create pods named ``<after>-live-<descending n>``: each sorts right under ``after``
    (the selected row), above the previous ones; copies of the first of ``templates``
    that has container statuses."""
    namespace, first = after
    base = next(
        obj
        for obj in (state.get("pods", ns, name) for ns, name in templates)
        if obj and (obj.get("status") or {}).get("containerStatuses")
    )

    def write(seq: int) -> None:
        obj = json.loads(json.dumps(base))
        meta = obj["metadata"]
        # A bare pod: a copy owned by the template's ReplicaSet would be scaled away
        # (and others with it) by the sim's controllers.
        for field in ("uid", "resourceVersion", "creationTimestamp", "ownerReferences"):
            meta.pop(field, None)
        meta["namespace"] = namespace
        meta["name"] = f"{first}-live-{9_999_999 - seq:07d}"
        _set_restarts(obj, ADD_BASE + seq)
        state.create("pods", obj)
        added.append((namespace, meta["name"]))

    done = _paced(rate, secs, counter, write)
    return {"writes": [[ADD_BASE + seq, at] for seq, at in done]}


# ---------------------------------------------------------------- the app child


class _ScreenWatch:
    """Wraps ``App._display``: the time of each screen update and the numbers it shows."""

    def __init__(self, app: Any) -> None:
        self.updates = 0
        self.first: tuple[float, list[str]] | None = None
        self.tracking = False
        self.seen: dict[str, float] = {}
        display = app._display

        def hooked(screen: Any, update: Any) -> None:
            display(screen, update)
            if update is None:
                return
            now = time.time()
            self.updates += 1
            if self.first is None:
                self.first = (now, _update_text(update))
            if self.tracking:
                for text in _update_text(update):
                    for match in TOKEN.finditer(text):
                        self.seen.setdefault(match.group(), now)

        app._display = hooked


def _update_text(update: Any) -> list[str]:
    """The text of each line a compositor update carries."""
    from textual._compositor import ChopsUpdate, LayoutUpdate

    if isinstance(update, LayoutUpdate):
        return ["".join(seg.text for strip in line for seg in strip) for line in update.strips]
    if isinstance(update, ChopsUpdate):
        lines = []
        for y, _x1, _x2 in update.spans:
            strips = [s for s in update.chops[y].values() if s is not None]
            lines.append("".join(seg.text for strip in strips for seg in strip))
        return lines
    return []


class _Counters:
    """Counts what the app does in a window: screen updates, table lines rendered,
    layout passes and analyses (instance-level wrappers, nothing else changes)."""

    def __init__(self, app: Any, table: Any, watch: _ScreenWatch) -> None:
        self.watch = watch
        self.lines = self.layouts = self.analyses = 0
        render_line, refresh_layout = table.render_line, app.screen._refresh_layout
        set_analysis = app.data.set_analysis

        def counted_line(y: int) -> Any:
            self.lines += 1
            return render_line(y)

        def counted_layout(*a: Any, **k: Any) -> Any:
            self.layouts += 1
            return refresh_layout(*a, **k)

        def counted_analysis(*a: Any, **k: Any) -> Any:
            self.analyses += 1
            return set_analysis(*a, **k)

        table.render_line = counted_line
        app.screen._refresh_layout = counted_layout
        app.data.set_analysis = counted_analysis

    def read(self) -> tuple[int, int, int, int]:
        return self.watch.updates, self.lines, self.layouts, self.analyses


def _thread_cpu() -> dict[str, float]:
    """CPU seconds per live thread (name from ``threading``, else the OS's)."""
    names = {t.native_id: t.name for t in threading.enumerate()}
    tick = os.sysconf("SC_CLK_TCK")
    result: dict[str, float] = {}
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            with open(f"/proc/self/task/{tid}/comm") as comm:
                os_name = comm.read().strip()
        except OSError:
            continue
        name = names.get(int(tid), os_name)
        result[f"{name}[{tid}]"] = (int(fields[11]) + int(fields[12])) / tick
    return result


class _Relay:
    """Talks to the parent (which talks to the sim) on a private copy of stdout."""

    def __init__(self) -> None:
        self.out = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1)
        self.inp = os.fdopen(os.dup(sys.stdin.fileno()), "r", buffering=1)

    def send(self, message: dict[str, Any]) -> None:
        self.out.write(json.dumps(message) + "\n")
        self.out.flush()

    async def ask_sim(self, command: dict[str, Any]) -> None:
        """Start a sim command; the parent keeps the sim's reply (the write log)."""
        self.send({"sim": command})
        await asyncio.to_thread(self.inp.readline)  # "started"


async def _run_app(args: argparse.Namespace, spawned: float) -> dict[str, Any]:
    # What `kubetui` imports before it connects (so "import s" is the same for every run).
    from kubetui.sources.kube_client import connect
    from kubetui.ui import app as _app  # noqa: F401
    from kubetui.ui import feed as _feed  # noqa: F401
    from kubetui.ui.cli import dashboard_app
    from kubetui.ui.line_table import LineTable

    relay = _Relay()
    result: dict[str, Any] = {"import_s": time.time() - spawned}
    start = time.time()
    kube = connect(args.app)
    kube.get("/version")
    app = dashboard_app(kube, None, server_label="bench")
    watch = _ScreenWatch(app)
    snapshots: dict[str, float] = {}
    store = app.data.store
    apply = store.apply

    def applied(batch: Any) -> Any:
        out = apply(batch)
        if batch.snapshot is not None:
            snapshots.setdefault(batch.kind, time.time())
        return out

    store.apply = applied
    async with app.run_test(size=SIZE) as pilot:
        while not ({"Pod", "Node"} <= snapshots.keys() and app.settled):
            await asyncio.sleep(0.02)
        settled = time.time()
        assert watch.first is not None
        first_at, first_lines = watch.first
        synced = max(snapshots["Pod"], snapshots["Node"])
        result.update(
            first_frame_s=first_at - start,
            synced_s=synced - start,
            settled_s=settled - start,
            first_before_sync=first_at < synced,
            first_lines=[line.rstrip() for line in first_lines[:4]],
            pods=len(store.pods),
            rss_settled_mb=_rss_mb(),
        )
        await pilot.press("2")
        table = app.screen.query_one("#pods-table", LineTable)
        counters = _Counters(app, table, watch)
        await asyncio.sleep(2.0)
        result.update(await _window("idle", args.idle, counters, "idle" in args.profile))
        result["rss_idle_mb"] = _rss_mb()
        keys = table.keys
        height = table.scrollable_content_region.height - 1
        top = table.scroll_offset.y
        shown = [store.pods[uid].metadata for uid in keys[top : top + height]]
        on_screen = [[m.namespace, m.name] for m in shown]
        watch.tracking = True
        for phase in ("modify", "add"):
            if phase == "modify":
                command = {"pods": on_screen}
            else:
                command = {"after": on_screen[0], "templates": on_screen}
            watch.seen.clear()
            await relay.ask_sim({phase: {"rate": args.rate, "secs": args.secs, **command}})
            result.update(await _window(phase, args.secs, counters, phase in args.profile))
            await asyncio.sleep(2.0)
            result[f"{phase}_seen"] = dict(watch.seen)
        watch.tracking = False
    relay.send({"result": result})
    return result


async def _window(name: str, seconds: float, counters: _Counters, profile: bool) -> dict[str, Any]:
    """CPU of the process (and per thread), screen updates, table lines, layout passes
    and analyses per second over the next ``seconds``; a cProfile of the UI thread."""
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
    before = counters.read()
    threads = _thread_cpu()
    cpu, wall = _cpu_s(), time.monotonic()
    if profiler is not None:
        profiler.enable()
    await asyncio.sleep(seconds)
    if profiler is not None:
        profiler.disable()
    cpu, wall = _cpu_s() - cpu, time.monotonic() - wall
    after = _thread_cpu()
    per_thread = {
        thread: round((after[thread] - threads.get(thread, 0.0)) / wall * 100, 2)
        for thread in after
        if after[thread] - threads.get(thread, 0.0) > 0
    }
    if profiler is not None:
        import pstats

        print(f"==== cProfile of the UI thread: {name}", file=sys.stderr)
        stats = pstats.Stats(profiler, stream=sys.stderr)
        stats.sort_stats("tottime").print_stats(25)
        stats.sort_stats("cumulative").print_stats(45)
    rates = [(a - b) / wall for a, b in zip(counters.read(), before, strict=True)]
    return {
        f"{name}_cpu_pct": cpu / wall * 100,
        f"{name}_updates_per_s": rates[0],
        f"{name}_lines_per_s": rates[1],
        f"{name}_layouts_per_s": rates[2],
        f"{name}_analyses": rates[3] * wall,
        f"{name}_threads_pct": per_thread,
    }


# ---------------------------------------------------------------- the parent


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def _lags(
    writes: list[list[float]], seen: dict[str, float], pod_of: list[int] | None
) -> tuple[list[float], int]:
    """Write → visible (ms) per write seen, and how many were seen exactly."""
    exact = sum(str(token) in seen for token, _ in writes)
    visible = [seen.get(str(int(token))) for token, _ in writes]
    if pod_of is not None:  # a later write of the same pod on screen shows this one too
        later: dict[int, float] = {}
        for i in range(len(writes) - 1, -1, -1):
            pod = pod_of[i]
            best = later.get(pod)
            if visible[i] is not None and (best is None or visible[i] < best):
                best = visible[i]
            if best is not None:
                later[pod] = best
            visible[i] = best
    lags = [(v - at) * 1e3 for (_, at), v in zip(writes, visible, strict=True) if v is not None]
    return lags, exact


def _run_once(server: subprocess.Popen[str], kubeconfig: str, args: argparse.Namespace) -> dict:
    command = [sys.executable, __file__, "--app", kubeconfig, "--spawned", f"{time.time():.6f}"]
    command += ["--idle", str(args.idle), "--rate", str(args.rate), "--secs", str(args.secs)]
    command += ["--profile", *args.profile] if args.profile else []
    client = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert client.stdin and client.stdout and server.stdin and server.stdout
    replies: dict[str, dict[str, Any]] = {}
    result: dict[str, Any] = {}
    for line in client.stdout:
        message = json.loads(line)
        if "sim" in message:
            phase = next(iter(message["sim"]))
            client.stdin.write("started\n")
            client.stdin.flush()
            server.stdin.write(json.dumps(message["sim"]) + "\n")
            server.stdin.flush()
            replies[phase] = json.loads(server.stdout.readline())
        elif "result" in message:
            result = message["result"]
    client.wait()
    server.stdin.write(json.dumps({"reset": None}) + "\n")
    server.stdin.flush()
    server.stdout.readline()
    for phase, reply in replies.items():
        lags, exact = _lags(reply["writes"], result.pop(f"{phase}_seen"), reply.get("pod_of"))
        result[f"{phase}_writes"] = len(reply["writes"])
        result[f"{phase}_exact"] = exact
        result[f"{phase}_visible"] = len(lags)
        if lags:
            for q in (50, 95, 99):
                result[f"{phase}_p{q}_ms"] = _percentile(lags, q / 100)
    return result


def _run_size(pods: int, args: argparse.Namespace) -> list[dict[str, Any]]:
    runs = []
    with served(__file__, pods) as (server, started):
        for n in range(args.repeat):
            run = _run_once(server, started["kubeconfig"], args)
            runs.append(run)
            print(f"  run {n + 1}: {json.dumps(run)}", file=sys.stderr, flush=True)
    return runs


def _median(runs: list[dict[str, Any]], key: str) -> float:
    values = [r[key] for r in runs if key in r]
    return statistics.median(values) if values else float("nan")


COLUMNS = (
    ("import s", "import_s", "{:.2f}"),
    ("first frame s", "first_frame_s", "{:.2f}"),
    ("synced s", "synced_s", "{:.2f}"),
    ("settled s", "settled_s", "{:.2f}"),
    ("RSS settled MB", "rss_settled_mb", "{:.0f}"),
    ("RSS idle MB", "rss_idle_mb", "{:.0f}"),
    ("idle CPU %", "idle_cpu_pct", "{:.1f}"),
    ("idle updates/s", "idle_updates_per_s", "{:.1f}"),
    ("idle lines/s", "idle_lines_per_s", "{:.0f}"),
    ("idle layouts/s", "idle_layouts_per_s", "{:.1f}"),
    ("idle analyses", "idle_analyses", "{:.0f}"),
    ("modify p50 ms", "modify_p50_ms", "{:.0f}"),
    ("modify p95 ms", "modify_p95_ms", "{:.0f}"),
    ("modify p99 ms", "modify_p99_ms", "{:.0f}"),
    ("add p50 ms", "add_p50_ms", "{:.0f}"),
    ("add p95 ms", "add_p95_ms", "{:.0f}"),
    ("add p99 ms", "add_p99_ms", "{:.0f}"),
    ("modify CPU %", "modify_cpu_pct", "{:.0f}"),
    ("modify analyses", "modify_analyses", "{:.0f}"),
    ("add CPU %", "add_cpu_pct", "{:.0f}"),
    ("add analyses", "add_analyses", "{:.0f}"),
)


def _report(pods: int, runs: list[dict[str, Any]], args: argparse.Namespace) -> None:
    print(
        f"\n{pods:,} pods, {len(runs)} run(s), medians; {args.rate:g} writes/s for {args.secs:g} s"
    )
    for title, key, fmt in COLUMNS:
        print(f"  {title:<16} {fmt.format(_median(runs, key)):>8}")
    before = sum(bool(r["first_before_sync"]) for r in runs)
    print(f"  first frame before sync: {before}/{len(runs)} runs")
    for phase in ("modify", "add"):
        parts = [
            f"{r.get(f'{phase}_visible', 0)}/{r.get(f'{phase}_writes', 0)}"
            f" (exact {r.get(f'{phase}_exact', 0)})"
            for r in runs
        ]
        print(f"  {phase} visible/writes per run: {', '.join(parts)}")
    print(f"  first frame (run 1): {runs[0]['first_lines'][:2]}")
    for name in ("idle", "modify", "add"):
        print(f"  {name} CPU by thread % (run 1): {runs[0][f'{name}_threads_pct']}")
    print("  targets:")
    for key, target in TARGETS.items():
        value = _median(runs, key)
        unit = "s" if key.endswith("_s") else "ms" if key.endswith("_ms") else "%"
        ok = value <= target
        if key == "first_frame_s":
            ok = ok and before == len(runs)
        print(
            f"    {key:<16} {value:>9.3f} {unit:<2} target ≤ {target:g} {unit}: "
            f"{'met' if ok else 'MISSED'}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pods", type=int, nargs="+", default=[50_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--idle", type=float, default=20.0, help="quiet seconds (CPU)")
    parser.add_argument("--rate", type=float, default=200.0, help="writes per second")
    parser.add_argument("--secs", type=float, default=10.0, help="seconds per write phase")
    parser.add_argument(
        "--profile",
        nargs="+",
        default=[],
        choices=("idle", "modify", "add"),
        help="print a cProfile of the UI thread in these windows (stderr)",
    )
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--app", help=argparse.SUPPRESS)
    parser.add_argument("--spawned", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        _serve(args.serve)
        return
    if args.app:
        asyncio.run(_run_app(args, args.spawned))
        return
    for pods in args.pods:
        print(f"{pods:,} pods: building the sim …", file=sys.stderr, flush=True)
        _report(pods, _run_size(pods, args), args)


if __name__ == "__main__":
    main()
