"""``kubectl kubetui …``: real kubectl finds the ``kubectl-kubetui`` entry point on PATH,
runs triage against the sim named by KUBECONFIG, passes exit codes through, and
completes ``kubectl kubetui tri<TAB>`` through ``kubectl_complete-kubetui``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from kubetui.sim.runner import RunningSim, running_sim
from tests.sim.conftest import require_kubectl

BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSim]:
    with running_sim("incidents", 1, frozen=True, tmp_dir=tmp_path_factory.mktemp("sim")) as s:
        yield s


def _kubectl(sim: RunningSim, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """kubectl with only this Python's bin dir (kubectl-kubetui) and the system's on
    PATH, KUBECONFIG at the sim, HOME in tmp."""
    for script in ("kubectl-kubetui", "kubectl_complete-kubetui"):
        assert (BIN / script).is_file(), f"{script} missing: pip install -e '.[test]'"
    env = {
        "PATH": f"{BIN}{os.pathsep}/usr/bin{os.pathsep}/bin",
        "HOME": str(tmp_path),
        "KUBECONFIG": str(sim.kubeconfig_path),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }
    return subprocess.run(
        [require_kubectl(), *args], capture_output=True, text=True, timeout=120, env=env
    )


def test_kubectl_lists_the_plugin(sim: RunningSim, tmp_path: Path) -> None:
    result = _kubectl(sim, tmp_path, "plugin", "list")
    assert str(BIN / "kubectl-kubetui") in result.stdout, result.stderr


def test_kubectl_kubetui_triage_reads_the_kubeconfig_kubectl_has(
    sim: RunningSim, tmp_path: Path
) -> None:
    now = sim.state.clock.now().isoformat()
    result = _kubectl(sim, tmp_path, "kubetui", "triage", "--now", now, "--format", "json")
    assert result.returncode == 1, result.stderr  # findings present
    kinds = {f["kind"] for f in json.loads(result.stdout)["findings"]}
    assert {"oom_killed", "crash_loop", "zombie_engine_pod", "orphaned"} <= kinds
    note = _kubectl(sim, tmp_path, "kubetui", "triage", "--now", now, "--format", "markdown")
    assert (
        f"- **Read from:** context kubetui-sim at https\\://127.0.0.1:{sim.url.rsplit(':', 1)[1]}"
        in (note.stdout)
    )
    # Flags after the plugin's name are kubetui's: -n scopes as kubetui's -n does.
    scoped = _kubectl(sim, tmp_path, "kubetui", "triage", "-n", "kyuubi", "--format", "json")
    assert {p["namespace"] for p in json.loads(scoped.stdout)["pods"]} == {"kyuubi"}


def test_usage_errors_keep_their_exit_code_through_kubectl(sim: RunningSim, tmp_path: Path) -> None:
    result = _kubectl(sim, tmp_path, "kubetui", "triage", "--format", "xml")
    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith("kubetui triage: argument --format: invalid choice: 'xml'")


def test_kubectl_completes_the_plugin(sim: RunningSim, tmp_path: Path) -> None:
    result = _kubectl(sim, tmp_path, "__complete", "kubetui", "tri")
    assert result.stdout.splitlines() == ["triage", ":4"], result.stderr
    flags = _kubectl(sim, tmp_path, "__complete", "kubetui", "triage", "--kubeconfig", "")
    assert flags.stdout.splitlines() == [":0"]  # files: the shell completes them
