"""Starting the dashboard: every failure is one line and exit 2, before the terminal is
taken; the header's sync states."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kubetui.model.store import SyncState
from kubetui.sim.kubeconfig import write_kubeconfig
from kubetui.ui.header import progress_bar, sync_text

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def run(*args: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path))
    env.pop("KUBECONFIG", None)
    return subprocess.run(
        [sys.executable, "-m", "kubetui", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _one_line_exit_2(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, result
    assert result.stdout == ""  # nothing drawn: the app never started
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


def test_unreachable_server(tmp_path: Path) -> None:
    config = write_kubeconfig(
        tmp_path / "kc", f"http://127.0.0.1:{_closed_port()}", {"admin": "t"}, None
    )
    line = _one_line_exit_2(run("--kubeconfig", str(config), tmp_path=tmp_path))
    assert "cannot reach" in line and "connection refused" in line


def test_unknown_context(tmp_path: Path) -> None:
    config = write_kubeconfig(tmp_path / "kc", "http://127.0.0.1:1", {"admin": "t"}, None)
    line = _one_line_exit_2(
        run("--kubeconfig", str(config), "--context", "nope", tmp_path=tmp_path)
    )
    assert "context 'nope' not found" in line


def test_no_kubeconfig_points_at_the_demo(tmp_path: Path) -> None:
    line = _one_line_exit_2(run(tmp_path=tmp_path))
    assert "no kubeconfig found" in line and "kubetui demo" in line


def test_demo_unknown_scenario(tmp_path: Path) -> None:
    line = _one_line_exit_2(run("demo", "--scenario", "nope", tmp_path=tmp_path))
    assert line.startswith("kubetui demo: unknown scenario 'nope'")


def test_demo_port_in_use(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        line = _one_line_exit_2(run("demo", "--port", str(port), tmp_path=tmp_path))
    assert f"cannot serve on 127.0.0.1:{port}" in line


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        (
            SyncState(source="pods", phase="listing", pages_done=3, pages_total=12),
            "pods listing 3/12 ▰▱▱▱▱▱",
        ),
        (SyncState(source="pods", phase="listing", pages_done=2), "pods listing 2/?"),
        (SyncState(source="nodes", phase="live", since=NOW), "nodes live"),
        (
            SyncState(source="pods", phase="reconnecting", since=NOW - timedelta(seconds=5)),
            "pods reconnecting 5s",
        ),
        (
            SyncState(source="churn", phase="stale", since=NOW - timedelta(seconds=30)),
            "churn stale 30s",
        ),
        (
            SyncState(
                source="pods",
                phase="stale",
                since=NOW - timedelta(seconds=30),
                retry_at=NOW + timedelta(seconds=22.2),
            ),
            "pods stale 30s, retry in 23s",
        ),
        (
            SyncState(
                source="pods",
                phase="reconnecting",
                since=NOW - timedelta(seconds=3),
                retry_at=NOW - timedelta(seconds=1),
            ),
            "pods reconnecting 3s",
        ),
        (SyncState(source="pods/etl", phase="forbidden"), "pods/etl forbidden"),
        (SyncState(source="kyuubi", phase="error"), "kyuubi error"),
        (
            SyncState(source="metrics", phase="error", message="RuntimeError: boom", stale=True),
            "metrics error (data stale): RuntimeError: boom",
        ),
        (
            SyncState(source="pods", phase="error", message="x" * 80),
            "pods error: " + "x" * 59 + "…",
        ),
    ],
)
def test_sync_text(state: SyncState, expected: str) -> None:
    assert sync_text(state, NOW) == expected


def test_progress_bar() -> None:
    assert progress_bar(0, 4) == "▱▱▱▱▱▱"
    assert progress_bar(4, 4) == "▰▰▰▰▰▰"
    assert progress_bar(1, None) == ""
