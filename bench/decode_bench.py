"""Decode one PodList body three ways and print the figures side by side.

    python bench/decode_bench.py [--pods 10000 50000] [--repeat 3]

The same bytes (realistic Spark driver/executor pods from the simulator's factory, ~7–8 KB
each with managedFields) go through:
  * kubetui   — ``kubetui.model.decode.decode_pod_page`` (msgspec, typed records);
  * official  — the kubernetes client's ``ApiClient.deserialize(..., "V1PodList")``, which is
                what ``list_pod_for_all_namespaces`` does with a response;
  * orjson    — bare ``orjson.loads`` into dicts (only if orjson is installed).
The GC stays on, as in the app. Medians of ``--repeat`` runs; RSS growth is measured in a
fresh child process per method so one method's garbage does not bill the next.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import msgspec

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def build_body(count: int, seed: int = 7) -> bytes:
    """A PodList of ``count`` pods: one driver per eight executors."""
    from kubetui.sim.factory import spark_app_id
    from kubetui.sim.factory.spark import spark_driver_pod, spark_executor_pod

    rng = random.Random(seed)
    created = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
    items: list[dict] = []
    while len(items) < count:
        app = spark_app_id(rng)
        driver = spark_driver_pod(
            rng,
            namespace=f"spark-{len(items) % 7}",
            app_name=f"etl-{len(items)}",
            app_id=app,
            ref_id=f"{rng.getrandbits(128):032x}",
            user="alice",
            node=f"node-{rng.randrange(200)}",
            created=created,
        )
        items.append(driver)
        for exec_id in range(1, 9):
            if len(items) >= count:
                break
            items.append(
                spark_executor_pod(
                    rng, driver, exec_id, node=f"node-{rng.randrange(200)}", created=created
                )
            )
    body = {
        "kind": "PodList",
        "apiVersion": "v1",
        "metadata": {"resourceVersion": "1"},
        "items": items,
    }
    return msgspec.json.encode(body)


def _decode(method: str, body: bytes) -> list:
    if method == "kubetui":
        from kubetui.model.decode import decode_pod_page

        return decode_pod_page(body).items
    if method == "official":
        from kubernetes.client import ApiClient

        # kubernetes 36+ (openapi-generator 7): deserialize(text, type, content_type),
        # after the client decodes the body to str, as its REST layer does.
        pods = ApiClient().deserialize(body.decode(), "V1PodList", "application/json")
        return pods.items
    import orjson

    return orjson.loads(body)["items"]


def _rss_mb() -> float:
    """Current resident set size (not the peak), from /proc."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _child(method: str, path: str, repeat: int) -> None:
    body = Path(path).read_bytes()
    times, kept = [], 0
    for _ in range(repeat):
        gc.collect()
        before = _rss_mb()
        start = time.perf_counter()
        result = _decode(method, body)
        times.append(time.perf_counter() - start)
        held = _rss_mb() - before  # what the decoded result keeps alive
        kept = len(result)
        del result
    print(json.dumps({"median": statistics.median(times), "rss_mb": held, "n": kept}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pods", type=int, nargs="+", default=[10_000, 50_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child[0], args.child[1], int(args.child[2]))
        return
    methods = ["kubetui", "official"]
    try:
        import orjson  # noqa: F401

        methods.append("orjson")
    except ImportError:
        print("(orjson not installed: its column is skipped)")
    tmp = Path("/tmp/kubetui-bench-podlist.json")
    print(
        f"{'pods':>7} {'MB':>6} "
        + " ".join(f"{m + ' s':>11} {m + ' MB':>11}" for m in methods)
        + "  ratios"
    )
    for count in args.pods:
        body = build_body(count)
        tmp.write_bytes(body)
        results = {}
        for method in methods:
            repeat = args.repeat if method != "official" or count <= 10_000 else 1
            out = subprocess.run(
                [sys.executable, __file__, "--child", method, str(tmp), str(repeat)],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            results[method] = json.loads(out.strip().splitlines()[-1])
            assert results[method]["n"] == count, results[method]
        cells = " ".join(
            f"{results[m]['median']:>11.3f} {results[m]['rss_mb']:>11.0f}" for m in methods
        )
        ratios = ", ".join(
            f"{m}/kubetui {results[m]['median'] / results['kubetui']['median']:.0f}x"
            for m in methods[1:]
        )
        print(f"{count:>7} {len(body) / 1e6:>6.0f} {cells}  {ratios}")
    tmp.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
