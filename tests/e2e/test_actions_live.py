"""kubetui's actions against the real kube-apiserver and its controllers: the uid
precondition refuses a pod recreated under the same name (409, the server's words), a
server-side dry run changes nothing, a driver's executors are removed by the real
garbage collector after kubetui deletes the driver, and a rollout restart goes through
the real Deployment controller."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from functools import partial

import pytest
from control_plane import ApiError, ControlPlane, apply, ensure_namespace
from incidents import NODE, create, engine, node, pod, running, wait_for

from kubetui.actions.execute import CONFLICT, DELETED, DRY_RUN_OK, RESTARTED, TERMINATING, execute
from kubetui.actions.plans import RESTARTED_AT, plan_delete_pod, plan_restart
from kubetui.model.records import Pod
from kubetui.sources.kube_client import KubeClient, connect
from kubetui.sources.snapshot import take_snapshot
from tests import waiting

NAMESPACE = "actions"


@pytest.fixture(scope="module")
def kube(control_plane: ControlPlane) -> Iterator[KubeClient]:
    ensure_namespace(control_plane, NAMESPACE)
    apply(control_plane, "/api/v1/nodes", node(NODE))
    yield connect(str(control_plane.kubeconfig("admin")))


def snapshot_pod(kube: KubeClient, name: str) -> tuple[Pod, list[Pod]]:
    snap = take_snapshot(kube, [NAMESPACE])
    return next(p for p in snap.pods if p.metadata.name == name), snap.pods


until = partial(waiting.until, timeout=60, interval=0.25)


def gone(plane: ControlPlane, name: str) -> bool:
    try:
        plane.request("GET", f"/api/v1/namespaces/{NAMESPACE}/pods/{name}")
    except ApiError as error:
        return error.status == 404
    return False


def test_a_pod_recreated_under_the_same_name_is_refused_by_uid(
    control_plane: ControlPlane, kube: KubeClient
) -> None:
    create(control_plane, pod(NAMESPACE, "recreated"))
    wait_for(control_plane, NAMESPACE, "recreated", running)
    target, pods = snapshot_pod(kube, "recreated")
    plan = plan_delete_pod(target, pods)
    # Someone deletes and recreates it between kubetui's read and its delete.
    control_plane.request(
        "DELETE", f"/api/v1/namespaces/{NAMESPACE}/pods/recreated", {"gracePeriodSeconds": 0}
    )
    until(lambda: gone(control_plane, "recreated"), "the first pod to go")
    again = create(control_plane, pod(NAMESPACE, "recreated"))
    (outcome,) = execute(kube, plan)
    assert outcome.status == CONFLICT
    # kube-apiserver's own words (apimachinery's storage precondition check)
    assert "the UID in the precondition" in outcome.detail
    assert "deleted and then recreated" in outcome.detail
    still = control_plane.request("GET", f"/api/v1/namespaces/{NAMESPACE}/pods/recreated")
    assert still["metadata"]["uid"] == again["metadata"]["uid"]
    assert "deletionTimestamp" not in still["metadata"]


def test_server_dry_run_changes_nothing(control_plane: ControlPlane, kube: KubeClient) -> None:
    create(control_plane, pod(NAMESPACE, "dry"))
    wait_for(control_plane, NAMESPACE, "dry", running)
    target, pods = snapshot_pod(kube, "dry")
    audit_from = len(control_plane.audit_events())
    (outcome,) = execute(kube, plan_delete_pod(target, pods), dry_run_only=True)
    assert outcome.status == DRY_RUN_OK, outcome.detail
    after = control_plane.request("GET", f"/api/v1/namespaces/{NAMESPACE}/pods/dry")
    assert after["metadata"]["uid"] == target.metadata.uid
    assert after["metadata"]["resourceVersion"] == target.metadata.resource_version
    assert "deletionTimestamp" not in after["metadata"]
    deletes = [
        e
        for e in control_plane.audit_events()[audit_from:]
        if e["verb"] == "delete"
        and e["stage"] == "ResponseComplete"
        and e["objectRef"].get("name") == "dry"
    ]
    # one DELETE reached the server (dryRun rides in its DeleteOptions body) and the pod
    # above is untouched: same uid and resourceVersion, no deletionTimestamp
    assert len(deletes) == 1


def test_executors_follow_their_driver_through_the_garbage_collector(
    control_plane: ControlPlane, kube: KubeClient
) -> None:
    _tag, _app, _driver, executors = engine(
        control_plane, NAMESPACE, "gc-engine", executors=2, frozen=False
    )
    for name in ("gc-engine-driver", "gc-engine-exec-1", "gc-engine-exec-2"):
        wait_for(control_plane, NAMESPACE, name, running)
    driver, pods = snapshot_pod(kube, "gc-engine-driver")
    plan = plan_delete_pod(driver, pods)
    (step,) = plan.steps
    assert sorted(step.dependents) == ["gc-engine-exec-1", "gc-engine-exec-2"]
    (outcome,) = execute(kube, plan)
    assert outcome.status in (DELETED, TERMINATING), outcome.detail
    for name in ("gc-engine-driver", "gc-engine-exec-1", "gc-engine-exec-2"):
        until(lambda name=name: gone(control_plane, name), f"{name} to be gone")
    # the executors were deleted by the garbage collector, not by kubetui
    collector = {
        e["objectRef"]["name"]
        for e in control_plane.audit_events()
        if e["verb"] == "delete"
        and e["stage"] == "ResponseComplete"
        and "generic-garbage-collector" in e.get("userAgent", "")
        and e["objectRef"].get("namespace") == NAMESPACE
    }
    assert {m["metadata"]["name"] for m in executors} <= collector


def test_rollout_restart_goes_through_the_deployment_controller(
    control_plane: ControlPlane, kube: KubeClient
) -> None:
    labels = {"app": "web"}
    apply(
        control_plane,
        f"/apis/apps/v1/namespaces/{NAMESPACE}/deployments",
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web", "namespace": NAMESPACE},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {
                        "nodeName": NODE,
                        "containers": [{"name": "web", "image": "nginx:1.27"}],
                    },
                },
            },
        },
    )

    def web_pods() -> list[Pod]:
        return [
            p
            for p in take_snapshot(kube, [NAMESPACE]).pods
            if (p.metadata.labels or {}).get("app") == "web"
            and p.metadata.deletion_timestamp is None
            and p.status.phase == "Running"
        ]

    until(lambda: len(web_pods()) == 2, "two running web pods")
    first = web_pods()
    plan = plan_restart(first[0], datetime.now(UTC))
    (step,) = plan.steps
    assert (step.target.kind, step.target.name) == ("Deployment", "web")
    (outcome,) = execute(kube, plan)
    assert outcome.status == RESTARTED, outcome.detail
    deployment = control_plane.request(
        "GET", f"/apis/apps/v1/namespaces/{NAMESPACE}/deployments/web"
    )
    assert (
        deployment["spec"]["template"]["metadata"]["annotations"][RESTARTED_AT] == step.restarted_at
    )
    old_uids = {p.metadata.uid for p in first}
    until(
        lambda: len(fresh := web_pods()) == 2 and not {p.metadata.uid for p in fresh} & old_uids,
        "the Deployment controller to replace both pods",
        timeout=120,
    )
    hashes = {p.metadata.labels["pod-template-hash"] for p in web_pods()}
    assert hashes.isdisjoint({p.metadata.labels["pod-template-hash"] for p in first})
