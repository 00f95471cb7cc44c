"""kubetui's command line run the way a user runs it, for the e2e tests: a separate
``python -m kubetui`` process, so that its exit code, stdout and stderr are the ones a
shell would see.

Each run keeps its state and config under the test's ``tmp_path`` (a test neither reads
nor leaves the developer's) and has no ``KUBECONFIG`` (each test names its cluster with
``--kubeconfig``); its stdin is empty, so a prompt cannot wait for input.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def kubetui(tmp_path: Path, *argv: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``kubetui <argv>``, its output captured as text."""
    env = {
        **os.environ,
        "XDG_STATE_HOME": str(tmp_path / "s"),
        "XDG_CONFIG_HOME": str(tmp_path / "c"),
    }
    env.pop("KUBECONFIG", None)
    return subprocess.run(
        [sys.executable, "-m", "kubetui", *argv],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        stdin=subprocess.DEVNULL,
    )


def triage(
    kubeconfig: Path, tmp_path: Path, *args: str, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """``kubetui triage --kubeconfig <kubeconfig> <args>``."""
    return kubetui(tmp_path, "triage", "--kubeconfig", str(kubeconfig), *args, timeout=timeout)
