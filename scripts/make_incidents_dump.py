"""Regenerate tests/fixtures/incidents-dump.json: real kubectl output of the demo cluster.

    python scripts/make_incidents_dump.py

Starts the simulator in-process (``incidents`` scenario, seed 1, frozen clock), runs
``kubectl get pods,nodes -A -o json`` against it through a generated kubeconfig, and
writes the output plus the sim's clock (``incidents-dump.now``), so the triage tests
replay that exact moment with ``--now``. The fixture is what an operator would have
saved with kubectl; regenerate it only on purpose (tests assert its exact findings).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from kubetui.sim.runner import running_sim

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures"


def main() -> int:
    with tempfile.TemporaryDirectory() as home, running_sim("incidents", 1, frozen=True) as sim:
        env = {**os.environ, "KUBECONFIG": str(sim.kubeconfig_path), "HOME": home}
        dump = subprocess.run(
            ["kubectl", "get", "pods,nodes", "-A", "-o", "json"],
            env=env,
            check=True,
            capture_output=True,
            timeout=120,
        ).stdout
        now = sim.state.clock.now()
    (FIXTURES / "incidents-dump.json").write_bytes(dump)
    (FIXTURES / "incidents-dump.now").write_text(now.isoformat().replace("+00:00", "Z") + "\n")
    print(f"wrote {len(dump)} bytes at sim time {now.isoformat()}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
