"""The simulator at scale: build time, RSS, full LIST and one page, side by side.

    python bench/sim_bench.py [--pods 10000 50000 150000]

Each size runs in a fresh child process: build the ``scale:N`` scenario, start the HTTPS
server, then time (over loopback, with the bearer token, reading every byte) one full
``GET /api/v1/pods`` (no limit: the sim's biggest single answer), one 500-item page, and
a WATCH from resourceVersion 0 (synthetic ADDED for every pod) until the last object.
RSS is the child's resident set after the scenario is built and after serving.
"""

from __future__ import annotations

import argparse
import json
import os
import ssl
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _child(pods: int) -> None:
    from kubetui.sim.runner import running_sim

    start = time.perf_counter()
    with running_sim(f"scale:{pods}", 1, frozen=True, kyuubi=False) as sim:
        built = time.perf_counter() - start
        rss_built = _rss_mb()
        context = ssl.create_default_context(cafile=str(sim.ca_path))
        headers = {"Authorization": f"Bearer {sim.token}", "Accept": "application/json"}

        def get(path: str) -> tuple[float, int]:
            begin = time.perf_counter()
            request = urllib.request.Request(sim.url + path, headers=headers)
            with urllib.request.urlopen(request, context=context, timeout=600) as response:
                size = 0
                while chunk := response.read(1 << 20):
                    size += len(chunk)
            return time.perf_counter() - begin, size

        full_s, full_bytes = get("/api/v1/pods")
        page_s, _ = get("/api/v1/pods?limit=500")
        begin = time.perf_counter()
        request = urllib.request.Request(
            sim.url + "/api/v1/pods?watch=true&resourceVersion=0&timeoutSeconds=600",
            headers=headers,
        )
        seen = 0
        with urllib.request.urlopen(request, context=context, timeout=600) as response:
            for _line in response:
                seen += 1
                if seen == pods:
                    break
        watch_s = time.perf_counter() - begin
        print(
            json.dumps(
                {
                    "built_s": built,
                    "rss_built": rss_built,
                    "rss_after": _rss_mb(),
                    "full_s": full_s,
                    "full_mb": full_bytes / 1e6,
                    "page_s": page_s,
                    "watch_s": watch_s,
                }
            )
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pods", type=int, nargs="+", default=[10_000, 50_000, 150_000])
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child)
        return
    print(
        f"{'pods':>7} {'build s':>8} {'RSS MB':>7} {'RSS after':>9} {'LIST s':>7} "
        f"{'LIST MB':>8} {'MB/s':>6} {'page s':>7} {'watch-all s':>11}"
    )
    for pods in args.pods:
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(pods)],
            check=True,
            capture_output=True,
            text=True,
            timeout=3600,
        ).stdout
        r = json.loads(out.strip().splitlines()[-1])
        print(
            f"{pods:>7} {r['built_s']:>8.1f} {r['rss_built']:>7.0f} {r['rss_after']:>9.0f} "
            f"{r['full_s']:>7.2f} {r['full_mb']:>8.0f} {r['full_mb'] / r['full_s']:>6.0f} "
            f"{r['page_s']:>7.3f} {r['watch_s']:>11.2f}"
        )


if __name__ == "__main__":
    main()
