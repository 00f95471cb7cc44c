"""Plans are data: the exact DeleteOptions each step sends, and how plans merge."""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec
import pytest

from kubetui.actions.plans import (
    DELETE,
    FORCE_DELETE,
    RESTARTED_AT,
    ROLLOUT_RESTART,
    PlanRefused,
    Step,
    Target,
    merge_plans,
    plan_failed_pods,
    plan_finding_cleanup,
    plan_restart,
)
from kubetui.model.cleanup_policy import Selection
from kubetui.model.findings import Finding
from kubetui.model.records import Pod


def pod(name: str, uid: str | None, **meta: object) -> Pod:
    return msgspec.convert(
        {
            "metadata": {
                "name": name,
                "namespace": "ns",
                "uid": uid,
                "resourceVersion": "42",
                **meta,
            },
            "spec": {"nodeName": "gone-node"},
        },
        Pod,
    )


def finding(kind: str, uid: str) -> Finding:
    return Finding(
        kind=kind,
        namespace="ns",
        name=uid,
        summary=f"{kind} summary",
        evidence={},
        severity="warning",
        uid=uid,
    )


def test_dry_run_travels_in_the_body_with_the_preconditions() -> None:
    step = Step(
        action=FORCE_DELETE,
        target=Target(namespace="ns", name="p", uid="u1", resource_version="7"),
        reason="r",
        grace_seconds=0,
        check_resource_version=True,
    )
    assert step.delete_options(dry_run=True) == {
        "kind": "DeleteOptions",
        "apiVersion": "v1",
        "preconditions": {"uid": "u1", "resourceVersion": "7"},
        "propagationPolicy": "Background",
        "gracePeriodSeconds": 0,
        "dryRun": ["All"],
    }
    assert "dryRun" not in step.delete_options(dry_run=False)
    assert step.api_call() == (
        "DELETE /api/v1/namespaces/ns/pods/p (preconditions uid=u1, resourceVersion=7, "
        "gracePeriodSeconds=0, propagationPolicy=Background)"
    )


def test_plain_delete_uses_uid_only_and_the_pods_own_grace() -> None:
    step = Step(
        action=DELETE,
        target=Target(namespace="ns", name="p", uid="u1", resource_version="7"),
        reason="r",
    )
    options = step.delete_options(dry_run=False)
    assert options["preconditions"] == {"uid": "u1"}
    assert "gracePeriodSeconds" not in options


def test_pods_without_uid_are_never_planned() -> None:
    plan = plan_failed_pods([Selection(pod("a", None), "x"), Selection(pod("b", "ub"), "y")], [])
    assert [s.target.name for s in plan.steps] == ["b"]


def test_executors_listed_as_dependents_of_their_driver() -> None:
    driver = pod("driver", "ud")
    executor = pod("exec-1", "ue", ownerReferences=[{"kind": "Pod", "name": "driver", "uid": "ud"}])
    plan = plan_failed_pods([Selection(driver, "x")], [driver, executor])
    assert plan.steps[0].dependents == ("exec-1",)


def test_force_delete_wins_and_warns() -> None:
    pods = [pod("p", "u1", finalizers=["acme.io/keep"])]
    plan = plan_finding_cleanup(
        [finding("zombie_engine_pod", "u1"), finding("stuck_terminating", "u1")], pods
    )
    (step,) = plan.steps
    assert step.action == FORCE_DELETE and step.grace_seconds == 0
    assert step.target.resource_version == "42" and step.check_resource_version
    assert plan.needs_second_confirmation
    assert any("gone-node" in w for w in plan.warnings)
    assert any("acme.io/keep" in w for w in plan.warnings)
    only_zombies = plan_finding_cleanup(
        [finding("zombie_engine_pod", "u1"), finding("stuck_terminating", "u1")],
        pods,
        ["zombie_engine_pod"],
    )
    assert only_zombies.steps[0].action == DELETE and not only_zombies.warnings


def test_merge_keeps_each_pod_once() -> None:
    pods = [pod("p", "u1"), pod("q", "u2")]
    a = plan_failed_pods([Selection(pods[0], "failed"), Selection(pods[1], "failed")], pods)
    b = plan_finding_cleanup([finding("orphaned", "u1")], pods)
    merged = merge_plans("t", [a, b])
    assert [(s.target.uid, s.action) for s in merged.steps] == [
        ("u1", FORCE_DELETE),
        ("u2", DELETE),
    ]


def owned(kind: str, name: str, labels: dict | None = None) -> Pod:
    return msgspec.convert(
        {
            "metadata": {
                "name": "p-1",
                "namespace": "ns",
                "uid": "up",
                "labels": labels or {},
                "ownerReferences": [{"kind": kind, "name": name, "uid": "uo", "controller": True}],
            }
        },
        Pod,
    )


NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("pod", "action", "kind", "name"),
    [
        (
            owned("ReplicaSet", "web-7d4b9c", {"pod-template-hash": "7d4b9c"}),
            ROLLOUT_RESTART,
            "Deployment",
            "web",
        ),
        (owned("StatefulSet", "kyuubi"), ROLLOUT_RESTART, "StatefulSet", "kyuubi"),
        (owned("DaemonSet", "kube-proxy"), ROLLOUT_RESTART, "DaemonSet", "kube-proxy"),
        (owned("ReplicaSet", "bare-rs"), DELETE, "Pod", "p-1"),
        (owned("Job", "repair-1"), DELETE, "Pod", "p-1"),
        (owned("Pod", "spark-driver"), DELETE, "Pod", "p-1"),
    ],
)
def test_restart_follows_the_controller(pod: Pod, action: str, kind: str, name: str) -> None:
    (step,) = plan_restart(pod, NOW).steps
    assert (step.action, step.target.kind, step.target.name) == (action, kind, name)
    if action == ROLLOUT_RESTART:
        assert (
            step.method == "PATCH" and step.content_type == "application/strategic-merge-patch+json"
        )
        assert step.body(dry_run=True) == {
            "spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: step.restarted_at}}}}
        }
        assert ("dryRun", "All") in step.query(dry_run=True)
        assert ("dryRun", "All") not in step.query(dry_run=False)


def test_restart_refuses_a_pod_nothing_would_recreate() -> None:
    with pytest.raises(PlanRefused, match="no controller"):
        plan_restart(pod("bare", "u1"), NOW)
