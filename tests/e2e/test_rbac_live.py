"""RBAC for real: a viewer whose Role allows pods in spark-alice and etl only. kubetui
shows what it may read and names each refusal in one line, in the real server's words;
without any namespace it may list, it says so and exits 2."""

from __future__ import annotations

import json
from pathlib import Path

import incidents
import yaml
from control_plane import ControlPlane
from kubetui_cli import triage

from kubetui.sources.kube_client import connect
from tests.sources.ingest_support import Fed


def with_namespace(plane: ControlPlane, tmp_path: Path, user: str, namespace: str) -> Path:
    """The user's kubeconfig with a default namespace in its context (kubectl's -n default)."""
    config = yaml.safe_load(plane.kubeconfig(user).read_text())
    config["contexts"][0]["context"]["namespace"] = namespace
    path = tmp_path / f"kubeconfig-{user}-{namespace}"
    path.write_text(yaml.safe_dump(config))
    return path


def test_viewer_sees_its_namespaces_and_each_refusal(
    control_plane: ControlPlane, built: incidents.Incidents, tmp_path: Path
) -> None:
    result = triage(
        control_plane.kubeconfig("viewer"),
        tmp_path,
        "-n",
        "spark-alice,etl,ops",
        "--format",
        "json",
        "--now",
        built.judge_at.isoformat(),
    )
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert {p["namespace"] for p in report["pods"]} == {"spark-alice", "etl"}
    lines = result.stderr.strip().splitlines()
    # the real server's message, one line each: the namespace and the nodes
    assert any(
        "namespace ops" in line
        and 'User "viewer" cannot list resource "pods"' in line
        and 'in the namespace "ops"' in line
        for line in lines
    ), lines
    assert any(
        'cannot list resource "nodes"' in line and "orphans unknown" in line for line in lines
    )
    assert len(lines) == 2
    assert report["nodes_known"] is False
    # without nodes, orphans cannot be decided: the pod of the deleted node is not named
    kinds = {(f["kind"], f["name"]) for f in report["findings"]}
    assert ("oom_killed", "alice-oom-driver") in kinds and ("crash_loop", "etl-loader") in kinds


def test_viewer_cluster_wide_falls_back_to_the_context_namespace(
    control_plane: ControlPlane, built: incidents.Incidents, tmp_path: Path
) -> None:
    kubeconfig = with_namespace(control_plane, tmp_path, "viewer", "etl")
    result = triage(kubeconfig, tmp_path, "--format", "json")
    assert result.returncode == 1, result.stderr
    assert {p["namespace"] for p in json.loads(result.stdout)["pods"]} == {"etl"}
    assert "falling back to the namespaces you can list" in result.stderr


def test_user_without_any_list_is_one_line_and_exit_2(
    control_plane: ControlPlane, built: incidents.Incidents, tmp_path: Path
) -> None:
    result = triage(control_plane.kubeconfig("limited"), tmp_path, "-n", "etl")
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert 'User "limited" cannot list resource "pods"' in line and "Traceback" not in result.stderr
    result = triage(control_plane.kubeconfig("limited"), tmp_path)
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert "namespaces cannot be listed" in line


def test_live_ingest_reports_the_refused_namespace_and_goes_on(
    control_plane: ControlPlane, built: incidents.Incidents
) -> None:
    kube = connect(str(control_plane.kubeconfig("viewer")))
    with Fed(kube, namespaces=["spark-alice", "etl", "ops"]) as fed:
        fed.wait_for(
            lambda: (s := fed.last("pods/ops")) is not None and s.phase == "forbidden",
            "the ops namespace to be reported forbidden",
        )
        fed.wait_for(
            lambda: (
                {p.metadata.namespace for p in fed.store.pods.values()} == {"spark-alice", "etl"}
            ),
            "the pods of the readable namespaces",
        )
        message = fed.last("pods/ops").message
        assert 'User "viewer" cannot list resource "pods"' in message and "\n" not in message
        assert fed.last("pods/spark-alice").phase == "live"
