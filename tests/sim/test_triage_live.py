"""``kubetui triage`` against a live (simulated) cluster, through a real kubeconfig.

The sim is reached exactly as a real cluster would be: HTTPS with a generated CA, a
bearer token, the kubernetes package's kubeconfig loader. kubectl's own dump of the same
moment must give the same report, and every connection failure must be one line.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml

from kubetui.sim import tls
from kubetui.sim.runner import RunningSim, running_sim
from tests.sim.conftest import kubectl_for, require_kubectl


@pytest.fixture(scope="module")
def incidents(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSim]:
    with running_sim("incidents", 1, frozen=True, tmp_dir=tmp_path_factory.mktemp("sim")) as sim:
        yield sim


def now_of(sim: RunningSim) -> str:
    return sim.state.clock.now().isoformat()


def triage(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kubetui", "triage", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_live_equals_kubectl_dump(incidents: RunningSim, tmp_path: Path) -> None:
    kubectl = kubectl_for(incidents, tmp_path, require_kubectl())
    dump = tmp_path / "dump.json"
    dump.write_text(kubectl.run("get", "pods,nodes", "-A", "-o", "json").stdout)
    now = now_of(incidents)
    live = triage("--kubeconfig", str(incidents.kubeconfig_path), "--now", now, "--format", "json")
    from_file = triage("--from-file", str(dump), "--now", now, "--format", "json")
    assert live.returncode == from_file.returncode == 1, live.stderr + from_file.stderr
    live_report, file_report = json.loads(live.stdout), json.loads(from_file.stdout)
    assert len(live_report["pods"]) > 40
    assert {f["kind"] for f in live_report["findings"]} >= {
        "oom_killed",
        "crash_loop",
        "zombie_engine_pod",
        "stuck_terminating",
        "orphaned",
    }
    assert live_report == file_report


def test_namespace_scope(incidents: RunningSim) -> None:
    result = triage(
        "--kubeconfig",
        str(incidents.kubeconfig_path),
        "-n",
        "spark-bob,spark-alice",
        "--now",
        now_of(incidents),
        "--format",
        "json",
    )
    assert result.returncode == 1, result.stderr
    namespaces = {p["namespace"] for p in json.loads(result.stdout)["pods"]}
    assert namespaces == {"spark-alice", "spark-bob"}


def test_forbidden_namespace_is_named_and_the_rest_works(incidents: RunningSim) -> None:
    result = triage(
        "--kubeconfig",
        str(incidents.kubeconfig_path),
        "--context",
        "kubetui-sim-viewer",
        "-n",
        "etl",
        "-n",
        "spark-bob",
        "--format",
        "json",
        "--now",
        now_of(incidents),
    )
    assert result.returncode == 1, result.stderr
    assert "namespace etl: forbidden (403)" in result.stderr
    assert {p["namespace"] for p in json.loads(result.stdout)["pods"]} == {"spark-bob"}


def _kubeconfig(sim: RunningSim, tmp_path: Path, **fields: object) -> Path:
    """The sim's kubeconfig with ``clusters__server=…`` / ``users__token=…`` replaced."""

    def edit(doc: dict) -> None:
        for key, value in fields.items():
            section, field = key.split("__")
            doc[section][0][section[:-1]][field] = value

    return _edited(sim, tmp_path, edit)


def _with_user(sim: RunningSim, tmp_path: Path, user: dict) -> Path:
    return _edited(sim, tmp_path, lambda doc: doc["users"][0].update(user=user))


def _edited(sim: RunningSim, tmp_path: Path, edit: Callable[[dict], object]) -> Path:
    doc = yaml.safe_load(sim.kubeconfig_path.read_text())
    edit(doc)
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(doc))
    return path


def test_connection_failures_are_one_line(incidents: RunningSim, tmp_path: Path) -> None:
    other_ca = tls.generate(tmp_path / "other-pki").ca_pem()

    cases = {
        "missing file": (["--kubeconfig", str(tmp_path / "nope")], "no such file"),
        "unknown context": (
            ["--kubeconfig", str(incidents.kubeconfig_path), "--context", "prod"],
            "context 'prod' not found",
        ),
        "wrong token": (
            ["--kubeconfig", str(_kubeconfig(incidents, tmp_path / "t", users__token="wrong"))],
            "unauthorized (401)",
        ),
        "unreachable": (
            [
                "--kubeconfig",
                str(_kubeconfig(incidents, tmp_path / "u", clusters__server="https://127.0.0.1:9")),
            ],
            "cannot reach https://127.0.0.1:9",
        ),
        "wrong CA": (
            [
                "--kubeconfig",
                str(
                    _kubeconfig(
                        incidents,
                        tmp_path / "c",
                        **{
                            "clusters__certificate-authority-data": base64.b64encode(
                                other_ca
                            ).decode()
                        },
                    )
                ),
            ],
            "TLS failure",
        ),
    }
    malformed = tmp_path / "malformed"
    malformed.write_text("apiVersion: v1\nclusters: [unclosed\n")
    cases["malformed"] = (["--kubeconfig", str(malformed)], "kubeconfig")
    for name, (args, needle) in cases.items():
        result = triage(*args)
        assert result.returncode == 2, (name, result.stdout, result.stderr)
        assert needle in result.stderr, (name, result.stderr)
        assert "Traceback" not in result.stderr, name
        assert len(result.stderr.strip().splitlines()) == 1, (name, result.stderr)


def test_exec_credential_plugin(incidents: RunningSim, tmp_path: Path) -> None:
    """The kubeconfig's exec plugin runs, as with kubectl; its failure is one line."""
    plugin = tmp_path / "credential-plugin"
    credential = {
        "apiVersion": "client.authentication.k8s.io/v1beta1",
        "kind": "ExecCredential",
        "status": {"token": incidents.token},
    }
    plugin.write_text(f"#!/bin/sh\necho '{json.dumps(credential)}'\n")
    plugin.chmod(0o755)
    ok = triage(
        "--kubeconfig",
        str(
            _with_user(
                incidents,
                tmp_path / "ok",
                {
                    "exec": {
                        "apiVersion": "client.authentication.k8s.io/v1beta1",
                        "command": str(plugin),
                    }
                },
            )
        ),
        "-n",
        "spark-bob",
        "--format",
        "json",
    )
    assert ok.returncode == 1, ok.stderr
    assert {p["namespace"] for p in json.loads(ok.stdout)["pods"]} == {"spark-bob"}
    broken = triage(
        "--kubeconfig",
        str(
            _with_user(
                incidents,
                tmp_path / "broken",
                {
                    "exec": {
                        "apiVersion": "client.authentication.k8s.io/v1beta1",
                        "command": str(tmp_path / "missing-plugin"),
                    }
                },
            )
        ),
    )
    assert broken.returncode == 2
    assert "credentials of user 'admin'" in broken.stderr
    assert len(broken.stderr.strip().splitlines()) == 1, broken.stderr


def test_triage_demo_runs_the_report_through_the_client_path() -> None:
    result = triage("--demo", "--format", "json")
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    kinds = {f["kind"] for f in report["findings"]}
    assert {"oom_killed", "zombie_engine_pod", "orphaned", "stuck_terminating"} <= kinds
    assert any(e["state"] == "KILLED" and e["reason"] == "OOMKilled" for e in report["engines"])
    bad = triage("--demo", "--kubeconfig", "x")
    assert bad.returncode == 2 and "--demo runs its own cluster" in bad.stderr
