"""The dashboard's re-analysis: full ``triage.analyse`` against the incremental ``Analyser``.

```sh
python bench/analysis_bench.py [--pods 10000 50000] [--big] [--repeat 5]
```

Pods come from the simulator's ``scale:N`` scenario (Spark drivers and executors,
Deployment pods, ~2 % failing), decoded once per size into records, outside the timings;
then the collector is frozen (``gc.freeze()``) as the ingest does after its first LIST.
``--big`` adds 150k pods. Per size, CPU time (``time.process_time``) of one call, median
of ``--repeat``:

* **full**: ``triage.analyse`` on the snapshot (what the dashboard ran every second);
* **first**: a fresh ``Analyser``'s first call (fills its cache);
* **same**: the same records again, one second later;
* **1 % / 0.1 %**: that share of the pods replaced by new records (a readiness blip on
  their first container, as the sim's ticks write), one second later; a new
  ``Analyser`` is filled before each run.

Every incremental result is checked equal to ``triage.analyse`` on the same snapshot
(outside the timings). Figures vary with the machine; nothing here is asserted.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import msgspec

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kubetui.model.analysis_cache import Analyser
from kubetui.model.decode import decode_json_item
from kubetui.model.records import Node, Pod
from kubetui.model.triage import Analysis, analyse
from kubetui.sim.scenarios.scale import ScaleScenario
from kubetui.sim.state import SimClock, SimState

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
SHARES = (0.01, 0.001)


def load(count: int) -> tuple[list[Pod], list[Node]]:
    state = SimState(SimClock(NOW))
    ScaleScenario(count, seed=7).populate(state)
    pods = [decode_json_item(e.data, Pod)[0] for e in state.entries("pods")]
    nodes = [decode_json_item(e.data, Node)[0] for e in state.entries("nodes")]
    return [p for p in pods if p is not None], [n for n in nodes if n is not None]


def blip(pod: Pod) -> Pod:
    """A new record of ``pod``: its first container's readiness flipped."""
    statuses = pod.status.container_statuses
    if not statuses:
        return msgspec.structs.replace(pod)
    first = msgspec.structs.replace(statuses[0], ready=not statuses[0].ready)
    status = msgspec.structs.replace(pod.status, container_statuses=(first, *statuses[1:]))
    return msgspec.structs.replace(pod, status=status)


def cpu(fn: Callable[[], Analysis]) -> tuple[float, Analysis]:
    start = time.process_time()
    result = fn()
    return time.process_time() - start, result


def measure(count: int, repeat: int, rng: random.Random) -> dict[str, float]:
    pods, nodes = load(count)
    gc.collect()
    gc.freeze()
    later = NOW + timedelta(seconds=1)
    times: dict[str, list[float]] = {"full": [], "first": [], "same": []}
    times.update({f"{s:.1%}": [] for s in SHARES})
    for _ in range(repeat):
        took, expected = cpu(lambda: analyse(pods, nodes, NOW))
        times["full"].append(took)
        analyser = Analyser()
        took, got = cpu(lambda a=analyser: a.analyse(pods, nodes, NOW))
        times["first"].append(took)
        assert got == expected
        same = list(pods)
        took, got = cpu(lambda a=analyser, s=same: a.analyse(s, nodes, later))
        times["same"].append(took)
        assert got == analyse(same, nodes, later)
        for share in SHARES:
            analyser = Analyser()
            analyser.analyse(pods, nodes, NOW)
            changed = list(pods)
            for k in rng.sample(range(len(changed)), max(1, int(len(changed) * share))):
                changed[k] = blip(changed[k])
            took, got = cpu(lambda a=analyser, c=changed: a.analyse(c, nodes, later))
            times[f"{share:.1%}"].append(took)
            assert got == analyse(changed, nodes, later)
    gc.unfreeze()
    return {name: statistics.median(values) for name, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pods", type=int, nargs="+", default=[10_000, 50_000])
    parser.add_argument("--big", action="store_true", help="also 150,000 pods")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    sizes = [*args.pods, *([150_000] if args.big else [])]
    rng = random.Random(1)
    columns = ["full", "first", "same", *(f"{s:.1%}" for s in SHARES)]
    print(
        f"{'pods':>8} "
        + " ".join(f"{c + ' ms':>10}" for c in columns)
        + " "
        + " ".join(f"{'full/' + c:>11}" for c in columns[2:])
    )
    for count in sizes:
        t = measure(count, args.repeat, rng)
        print(
            f"{count:>8,} "
            + " ".join(f"{t[c] * 1000:>10.1f}" for c in columns)
            + " "
            + " ".join(
                f"{t['full'] / t[c] if t[c] else float('inf'):>10.0f}×" for c in columns[2:]
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()
