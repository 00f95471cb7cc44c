"""A bench script's server child: the script itself run with ``--serve N`` (or its real
control-plane twin), which starts a server, prints one JSON line (at least
``kubeconfig``) and serves until its stdin closes.

Shared by ``sync_bench.py`` and ``ui_live_bench.py`` so that each keeps its parent
process free of kubetui imports (the child imports the sim) and every server child is
stopped the same way, even when a measurement fails.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any


@contextlib.contextmanager
def served(
    script: str, pods: int, flag: str = "--serve"
) -> Iterator[tuple[subprocess.Popen[str], dict[str, Any]]]:
    """Run ``script flag pods`` as a child; yield it and its first line (decoded), then
    close its stdin (the child's signal to stop) and wait for it."""
    server = subprocess.Popen(
        [sys.executable, script, flag, str(pods)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdin is not None and server.stdout is not None
    try:
        yield server, json.loads(server.stdout.readline())
    finally:
        server.stdin.close()
        server.wait(timeout=60)
