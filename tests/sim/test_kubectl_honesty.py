"""Real kubectl against the sim: what an operator would type, and what it must print."""

from __future__ import annotations

import json
import os
import re
from functools import partial
from pathlib import Path

import msgspec
import pytest

from kubetui.model.pod_status import pod_columns
from kubetui.model.records import Pod
from kubetui.sim.runner import RunningSim
from tests.sim.conftest import Kubectl, find_kubectl, kubectl_for
from tests.waiting import until


def _rows(text: str) -> tuple[list[str], list[list[str]]]:
    """Split kubectl's column output on runs of 2+ spaces."""
    import re

    lines = [line for line in text.splitlines() if line.strip()]
    split = [re.split(r"\s{2,}", line.strip()) for line in lines]
    return split[0], split[1:]


_wait = partial(until, timeout=15.0, interval=0.05)


def _statuses(sim: RunningSim) -> dict[tuple[str, str], str]:
    """(namespace, name) → the STATUS kubetui gives each pod the sim holds, at its now."""
    now = sim.state.clock.now()
    return {
        (p["metadata"]["namespace"], p["metadata"]["name"]): pod_columns(
            msgspec.convert(p, Pod), now
        ).status
        for p in sim.state.list("pods")
    }


def test_get_pods_all_namespaces_status_matches_pod_columns(
    sim: RunningSim, kubectl: Kubectl
) -> None:
    out = kubectl.run("get", "pods", "-A").stdout
    header, rows = _rows(out)
    assert header == ["NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    printed = {(r[0], r[1]): r[3] for r in rows}
    assert printed == _statuses(sim)
    assert printed[("default", "crashy")] == "CrashLoopBackOff"
    assert printed[("default", "oom-victim")] == "OOMKilled"


def test_get_pods_wide_prints_server_side_wide_columns(kubectl: Kubectl) -> None:
    header, rows = _rows(kubectl.run("get", "pods", "-A", "-o", "wide").stdout)
    assert header[-4:] == ["IP", "NODE", "NOMINATED NODE", "READINESS GATES"]
    web0 = next(r for r in rows if r[1] == "web-0")
    assert web0[6:] == ["10.244.0.2", "node-1", "<none>", "<none>"]
    pending = next(r for r in rows if r[1] == "pending")
    assert pending[6:8] == ["<none>", "<none>"]


def test_get_pods_json_is_the_stored_objects(sim: RunningSim, kubectl: Kubectl) -> None:
    doc = json.loads(kubectl.run("get", "pods", "-o", "json").stdout)
    names = sorted(i["metadata"]["name"] for i in doc["items"])
    assert names == sorted(p["metadata"]["name"] for p in sim.state.list("pods", "default"))
    web0 = next(i for i in doc["items"] if i["metadata"]["name"] == "web-0")
    assert web0["metadata"]["uid"] == sim.state.get("pods", "default", "web-0")["metadata"]["uid"]


def test_get_pods_watch_sees_a_change_made_through_state(sim: RunningSim, kubectl: Kubectl) -> None:
    proc = kubectl.popen("get", "pods", "-w", "--request-timeout=5s")
    try:
        _wait(lambda: any("watch=true" in r.query for r in sim.request_log), "kubectl's watch")
        sim.state.mutate(
            "pods",
            "default",
            "web-1",
            lambda o: o["status"].update(phase="Failed", reason="Evicted"),
        )
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    header, rows = _rows(out)
    assert header[:3] == ["NAME", "READY", "STATUS"]
    assert ["web-1", "Evicted"] in [[r[0], r[2]] for r in rows]
    watch = next(r for r in sim.request_log if "watch=true" in r.query)
    assert watch.status == 200


def test_delete_dry_run_server_leaves_the_pod(sim: RunningSim, kubectl: Kubectl) -> None:
    before = sim.state.get("pods", "default", "web-0")
    rv = sim.state.resource_version
    out = kubectl.run("delete", "pod", "web-0", "--dry-run=server").stdout
    # kubectl 1.37 names the namespace ("deleted from default namespace"), older ones not
    assert re.search(r'pod "web-0" deleted( from default namespace)? \(server dry run\)', out)
    assert sim.state.get("pods", "default", "web-0") == before
    assert sim.state.resource_version == rv
    assert [r.method for r in sim.request_log].count("DELETE") == 1


def test_delete_waits_for_grace_and_owned_executors_follow(
    sim: RunningSim, kubectl: Kubectl
) -> None:
    proc = kubectl.popen("delete", "pod", "spark-pi-driver", "-n", "spark", "--request-timeout=30s")
    try:
        _wait(
            lambda: (
                (sim.state.get("pods", "spark", "spark-pi-driver") or {})
                .get("metadata", {})
                .get("deletionTimestamp")
            ),
            "the driver to be terminating",
        )
        _wait(
            lambda: any("fieldSelector=metadata.name" in r.query for r in sim.request_log),
            "kubectl's wait",
        )
        sim.state.clock.advance(31)
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert 'pod "spark-pi-driver" deleted' in out
    assert sim.state.get("pods", "spark", "spark-pi-driver") is None
    executors = sim.state.list("pods", "spark")
    assert [e["metadata"]["name"] for e in executors] == ["spark-pi-exec-1", "spark-pi-exec-2"]
    assert all(e["metadata"].get("deletionTimestamp") for e in executors)
    sim.state.clock.advance(31)
    assert sim.state.list("pods", "spark") == []


def test_logs_previous(kubectl: Kubectl) -> None:
    assert kubectl.run("logs", "crashy", "--previous").stdout == "boom 1\nboom 2\n"
    failed = kubectl.run("logs", "web-0", "--previous", check=False)
    assert failed.returncode == 1
    assert 'previous terminated container "app" in pod "web-0" not found' in failed.stderr


def test_get_events(kubectl: Kubectl) -> None:
    header, rows = _rows(kubectl.run("get", "events").stdout)
    assert header == ["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
    assert rows[0][1:] == [
        "Warning",
        "BackOff",
        "pod/crashy",
        "Back-off restarting failed container app",
    ]


def test_api_resources_lists_served_kinds(kubectl: Kubectl) -> None:
    header, rows = _rows(kubectl.run("api-resources").stdout)
    assert header == ["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"]
    by_name = {(r[0], r[-3]): r for r in rows}
    assert by_name[("pods", "v1")] == ["pods", "po", "v1", "true", "Pod"]
    assert by_name[("kuberopipelines", "kubero.dev/v1alpha1")] == [
        "kuberopipelines",
        "kp",
        "kubero.dev/v1alpha1",
        "true",
        "KuberoPipeline",
    ]


def test_forbidden_user_gets_the_rbac_message(
    sim: RunningSim, tmp_path: Path, kubectl: Kubectl
) -> None:
    denied = kubectl.run("--context", "kubetui-sim-viewer", "delete", "pod", "web-0", check=False)
    assert denied.returncode == 1
    assert (
        'pods "web-0" is forbidden: User "viewer" cannot delete resource "pods" in API group "" '
        'in the namespace "default"'
    ) in denied.stderr
    assert sim.state.get("pods", "default", "web-0") is not None


@pytest.mark.parametrize("version", ["1.27", "1.33"])
def test_other_kubectl_versions_get_and_watch(
    sim: RunningSim, tmp_path: Path, version: str
) -> None:
    binary = find_kubectl(version)
    if binary is None:
        pytest.skip(f"kubectl {version} not installed (looked in the Google Cloud SDK bin folder)")
    kubectl = kubectl_for(sim, tmp_path, binary)
    header, rows = _rows(kubectl.run("get", "pods", "-n", "spark").stdout)
    assert header == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert [r[0] for r in rows] == ["spark-pi-driver", "spark-pi-exec-1", "spark-pi-exec-2"]
    assert kubectl.run("logs", "crashy", "--previous").stdout == "boom 1\nboom 2\n"


def test_kubectl_missing_fails_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.sim import conftest

    monkeypatch.setattr(conftest, "find_kubectl", lambda version=None: None)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="required in CI"):
        conftest.require_kubectl()
    monkeypatch.setenv("CI", "")
    with pytest.raises(pytest.skip.Exception, match="not found"):
        conftest.require_kubectl()
    assert os.environ["CI"] == ""


def test_incidents_scenario_status_column_matches_pod_columns(tmp_path: Path) -> None:
    pytest.importorskip("kubetui.sim.scenarios")
    from kubetui.sim.runner import running_sim
    from tests.sim.conftest import require_kubectl

    binary = require_kubectl()
    with running_sim("incidents", seed=1, tmp_dir=tmp_path, kyuubi=False) as sim:
        kubectl = kubectl_for(sim, tmp_path, binary)
        _, rows = _rows(kubectl.run("get", "pods", "-A").stdout)
        expected = _statuses(sim)
        assert {(r[0], r[1]): r[3] for r in rows} == expected
        assert len(set(expected.values())) > 3


def test_rollout_restart_replaces_the_pods(sim: RunningSim, kubectl: Kubectl) -> None:
    template = {
        "metadata": {"labels": {"app": "api"}},
        "spec": {"containers": [{"name": "api", "image": "api:1"}]},
    }
    sim.state.create(
        "deployments",
        {
            "metadata": {"name": "api", "namespace": "default"},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": {"app": "api"}},
                "template": template,
            },
        },
    )

    def api_pods(live_only: bool = True) -> set[str]:
        return {
            p["metadata"]["name"]
            for p in sim.state.list("pods", "default")
            if p["metadata"]["labels"].get("app") == "api"
            and not (live_only and p["metadata"].get("deletionTimestamp"))
        }

    _wait(lambda: len(api_pods()) == 2, "the deployment's pods")
    before = api_pods()
    out = kubectl.run("rollout", "restart", "deployment/api").stdout
    assert out == "deployment.apps/api restarted\n"
    patch = next(r for r in sim.request_log if r.method == "PATCH")
    assert patch.path == "/apis/apps/v1/namespaces/default/deployments/api"
    assert "fieldManager=kubectl-rollout" in patch.query
    _wait(lambda: len(api_pods()) == 2 and api_pods().isdisjoint(before), "replacement pods")
    sim.state.clock.advance(31)
    _wait(lambda: api_pods(live_only=False).isdisjoint(before), "old pods gone")
    _, rows = _rows(kubectl.run("get", "pods", "-l", "app=api").stdout)
    assert {r[0] for r in rows} == api_pods() and {r[2] for r in rows} == {"Running"}
