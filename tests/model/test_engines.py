"""Engines from pods: grouping and the pod-proven state (kubetui.model.engines)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec
import pytest

from kubetui.model.engines import engine_state_from_pods, group_engines
from kubetui.model.records import Pod

DRV = "spark-kubernetes-driver"
OOM = {"terminated": {"exitCode": 137, "reason": "OOMKilled", "finishedAt": "2026-03-01T10:00:00Z"}}
ERR = {"terminated": {"exitCode": 1, "reason": "Error", "finishedAt": "2026-03-01T10:00:00Z"}}
DONE = {"terminated": {"exitCode": 0, "reason": "Completed", "finishedAt": "2026-03-01T10:00:00Z"}}
RUN = {"running": {"startedAt": "2026-03-01T09:00:00Z"}}
LOOP = {"waiting": {"reason": "CrashLoopBackOff"}}


def _cs(name: str, state: dict[str, Any], last: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"name": name, "state": state, "lastState": last or {}, "restartCount": 1 if last else 0}


def _driver(
    phase: str | None,
    containers: list[dict[str, Any]],
    *,
    init: list[dict[str, Any]] | None = None,
    reason: str | None = None,
    deleting: bool = False,
    sidecar_init: str | None = None,
    conditions: list[dict[str, Any]] | None = None,
) -> Pod:
    meta: dict[str, Any] = {"name": "d", "namespace": "ns"}
    if deleting:
        meta["deletionTimestamp"] = "2026-03-01T10:05:00Z"
    spec: dict[str, Any] = {"containers": [{"name": c["name"]} for c in containers]}
    if sidecar_init:
        spec["initContainers"] = [{"name": sidecar_init, "restartPolicy": "Always"}]
    status = {
        "phase": phase,
        "reason": reason,
        "containerStatuses": containers,
        "initContainerStatuses": init or [],
        "conditions": conditions or [],
    }
    return msgspec.convert({"metadata": meta, "spec": spec, "status": status}, Pod)


# Pod-proven state; the Kyuubi column in the last field is what Kyuubi's default POD source
# says for the same pod (apache/kyuubi master @ cfbbeec4, KubernetesApplicationOperation.scala).
STATE_CASES: list[tuple[str, Pod | None, str, str | None]] = [
    ("no driver", None, "NOT_FOUND", "no driver pod"),
    ("OOM, restartPolicy Never", _driver("Failed", [_cs(DRV, OOM)]), "KILLED", "OOMKilled"),
    (
        "OOM, sidecar keeps pod Running",
        _driver("Running", [_cs(DRV, OOM), _cs("istio-proxy", RUN)]),
        "KILLED",
        "OOMKilled",
    ),
    (
        "sidecar OOM does not decide when the Spark container runs",
        _driver("Running", [_cs(DRV, RUN), _cs("istio-proxy", OOM)]),
        "RUNNING",
        None,
    ),
    (
        "no Spark container: any regular container OOM",
        _driver("Failed", [_cs("main", ERR), _cs("helper", OOM)]),
        "KILLED",
        "OOMKilled",
    ),
    (
        "init container OOM",
        _driver(
            "Failed",
            [_cs(DRV, {"waiting": {"reason": "PodInitializing"}})],
            init=[_cs("fetch", OOM)],
        ),
        "KILLED",
        "OOMKilled",
    ),
    (
        "OOM last state, waiting in back-off",
        _driver("Running", [_cs(DRV, LOOP, OOM)]),
        "KILLED",
        "OOMKilled",
    ),
    (
        "OOM last state, running again",
        _driver("Running", [_cs(DRV, RUN, OOM)]),
        "RUNNING",
        "OOMKilled before restart",
    ),
    (
        "OOM last state, then succeeded",
        _driver("Succeeded", [_cs(DRV, DONE, OOM)]),
        "FINISHED",
        None,
    ),
    (
        "OOM last state, then failed otherwise",
        _driver("Failed", [_cs(DRV, ERR, OOM)]),
        "FAILED",
        "Error exit 1",
    ),
    ("succeeded", _driver("Succeeded", [_cs(DRV, DONE)]), "FINISHED", None),
    ("failed with exit code", _driver("Failed", [_cs(DRV, ERR)]), "FAILED", "Error exit 1"),
    (
        "failed: first non-zero container",
        _driver("Failed", [_cs("a", DONE), _cs("b", {"terminated": {"exitCode": 143}})]),
        "FAILED",
        "exit 143",
    ),
    (
        "evicted: pod reason wins",
        _driver(
            "Failed",
            [_cs(DRV, {"terminated": {"exitCode": 137, "reason": "Error"}})],
            reason="Evicted",
        ),
        "FAILED",
        "Evicted",
    ),
    ("failed, nothing known", _driver("Failed", []), "FAILED", None),
    (
        "Spark container ended, sidecar running",
        _driver("Running", [_cs(DRV, ERR), _cs("istio-proxy", RUN)]),
        "FAILED",
        "Error exit 1",
    ),
    (
        "Spark container done, sidecar running",
        _driver("Running", [_cs(DRV, DONE), _cs("istio-proxy", RUN)]),
        "FINISHED",
        None,
    ),
    (
        "init containers completed do not finish the pod",
        _driver("Running", [_cs(DRV, RUN)], init=[_cs("fetch", DONE)]),
        "RUNNING",
        None,
    ),
    (
        "native sidecar OOM ignored",
        _driver("Running", [_cs(DRV, RUN)], init=[_cs("proxy", RUN, OOM)], sidecar_init="proxy"),
        "RUNNING",
        None,
    ),
    (
        "crash loop",
        _driver("Running", [_cs(DRV, LOOP, ERR)]),
        "FAILED",
        "CrashLoopBackOff: Error exit 1",
    ),
    ("running", _driver("Running", [_cs(DRV, RUN)]), "RUNNING", None),
    (
        "image pull stays pending",
        _driver("Pending", [_cs(DRV, {"waiting": {"reason": "ImagePullBackOff"}})]),
        "PENDING",
        "ImagePullBackOff",
    ),
    (
        "creating",
        _driver("Pending", [_cs(DRV, {"waiting": {"reason": "ContainerCreating"}})]),
        "PENDING",
        None,
    ),
    (
        "unschedulable",
        _driver(
            "Pending",
            [],
            conditions=[{"type": "PodScheduled", "status": "False", "reason": "Unschedulable"}],
        ),
        "PENDING",
        "Unschedulable",
    ),
    (
        "terminating running",
        _driver("Running", [_cs(DRV, RUN)], deleting=True),
        "RUNNING",
        "Terminating",
    ),
    (
        "terminating pending keeps its reason",
        _driver("Pending", [_cs(DRV, {"waiting": {"reason": "ErrImagePull"}})], deleting=True),
        "PENDING",
        "Terminating; ErrImagePull",
    ),
    (
        "terminating failed stays failed",
        _driver("Failed", [_cs(DRV, ERR)], deleting=True),
        "FAILED",
        "Error exit 1",
    ),
    ("unknown phase", _driver("Unknown", [], reason="NodeLost"), "UNKNOWN", "NodeLost"),
    ("garbage phase", _driver("OOMKilled", []), "UNKNOWN", None),
    ("no phase", _driver(None, []), "UNKNOWN", None),
]


@pytest.mark.parametrize(
    ("driver", "state", "reason"), [c[1:] for c in STATE_CASES], ids=[c[0] for c in STATE_CASES]
)
def test_engine_state_from_pods(driver: Pod | None, state: str, reason: str | None) -> None:
    assert engine_state_from_pods(driver) == (state, reason)


# ------------------------------------------------------------------ grouping


def _pod(
    name: str,
    *,
    ns: str = "spark",
    labels: dict[str, str] | None = None,
    owner: str | None = None,
    phase: str = "Running",
    created: str = "2026-03-01T09:00:00Z",
    containers: list[dict[str, Any]] | None = None,
) -> Pod:
    meta: dict[str, Any] = {
        "name": name,
        "namespace": ns,
        "uid": f"uid-{ns}-{name}",
        "labels": labels or {},
        "creationTimestamp": created,
    }
    if owner:
        meta["ownerReferences"] = [
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "name": owner,
                "uid": f"uid-{ns}-{owner}",
                "controller": True,
            }
        ]
    status = {"phase": phase, "containerStatuses": containers or []}
    return msgspec.convert({"metadata": meta, "status": status}, Pod)


def _drv(name: str, app: str | None, tag: str | None = None, **kw: Any) -> Pod:
    labels = {"spark-role": "driver", "spark-app-name": f"{name}-app"}
    if app:
        labels["spark-app-selector"] = app
    if tag:
        labels["kyuubi-unique-tag"] = tag
    return _pod(name, labels=labels, **kw)


def _exe(name: str, app: str | None, driver: str | None, exec_id: str = "1", **kw: Any) -> Pod:
    labels = {"spark-role": "executor", "spark-exec-id": exec_id}
    if app:
        labels["spark-app-selector"] = app
    return _pod(name, labels=labels, owner=driver, **kw)


def _shape(pods: list[Pod]) -> list[tuple[Any, ...]]:
    return [
        (e.namespace, e.id, e.app_id, e.kyuubi_tag, e.pod_names, e.state)
        for e in group_engines(pods)
    ]


GROUP_CASES: list[tuple[str, list[Pod], list[tuple[Any, ...]]]] = [
    ("no engine pods", [_pod("web-1"), _pod("web-2", owner="web-1")], []),
    (
        "kyuubi batch: id is the tag, executors by owner and by app id",
        [
            _exe("b-exec-10", "spark-1", "b-driver", "10"),
            _drv("b-driver", "spark-1", "batch-uuid"),
            _exe("b-exec-2", "spark-1", None, "2"),
        ],
        [
            (
                "spark",
                "batch-uuid",
                "spark-1",
                "batch-uuid",
                ("b-driver", "b-exec-2", "b-exec-10"),
                "RUNNING",
            )
        ],
    ),
    (
        "plain Spark app: id is the app id",
        [_drv("s-driver", "spark-2"), _exe("s-exec-1", "spark-2", "s-driver")],
        [("spark", "spark-2", "spark-2", None, ("s-driver", "s-exec-1"), "RUNNING")],
    ),
    (
        "executor without labels joins by owner uid",
        [_drv("d", "spark-3", "t3"), _pod("odd", owner="d")],
        [("spark", "t3", "spark-3", "t3", ("d", "odd"), "RUNNING")],
    ),
    (
        "driver with tag only still forms an engine",
        [_pod("k-driver", labels={"kyuubi-unique-tag": "t4"}, phase="Pending")],
        [("spark", "t4", None, "t4", ("k-driver",), "PENDING")],
    ),
    (
        "executors without driver: NOT_FOUND engine",
        [_exe("x-1", "spark-5", "gone", "1"), _exe("x-2", "spark-5", None, "2")],
        [("spark", "spark-5", "spark-5", None, ("x-1", "x-2"), "NOT_FOUND")],
    ),
    (
        "same app id in two namespaces: two engines",
        [
            _drv("d", "spark-6", ns="b"),
            _exe("e", "spark-6", None, ns="a"),
            _drv("d", "spark-6", ns="a"),
        ],
        [
            ("a", "spark-6", "spark-6", None, ("d", "e"), "RUNNING"),
            ("b", "spark-6", "spark-6", None, ("d",), "RUNNING"),
        ],
    ),
    (
        "role-less labelled pod: owned by a Pod = executor, else driver",
        [
            _pod("r-d", labels={"spark-app-selector": "spark-7"}),
            _pod("r-e", labels={"spark-app-selector": "spark-7"}, owner="r-d"),
        ],
        [("spark", "spark-7", "spark-7", None, ("r-d", "r-e"), "RUNNING")],
    ),
    (
        "two drivers, one app id: executors join the newest by label",
        [
            _drv("old", "spark-8", created="2026-03-01T08:00:00Z"),
            _drv("new", "spark-8", created="2026-03-01T09:30:00Z"),
            _exe("e", "spark-8", None),
        ],
        [
            ("spark", "spark-8", "spark-8", None, ("new", "e"), "RUNNING"),
            ("spark", "spark-8", "spark-8", None, ("old",), "RUNNING"),
        ],
    ),
]


@pytest.mark.parametrize(
    ("pods", "expected"), [c[1:] for c in GROUP_CASES], ids=[c[0] for c in GROUP_CASES]
)
def test_group_engines(pods: list[Pod], expected: list[tuple[Any, ...]]) -> None:
    assert _shape(pods) == expected


def test_engine_fields_and_both_states() -> None:
    oom = [{"name": DRV, "state": OOM}]
    pods = [
        _drv("d", "spark-9", "tag-9", phase="Failed", containers=oom),
        _exe("e", "spark-9", "d"),
    ]
    (engine,) = group_engines(pods)
    assert engine.name == "d-app"
    assert engine.user is None
    assert (engine.state, engine.reason) == ("KILLED", "OOMKilled")
    assert engine.kyuubi_state == "FAILED"  # Kyuubi reads only the phase
    assert engine.ended_at == datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
    assert engine.is_terminated
    assert engine.driver is pods[0]
    assert engine.executors == (pods[1],)
    assert engine.kyuubi_meta is None


def test_kyuubi_state_source_is_passed_through() -> None:
    containers = [{"name": DRV, "state": {"waiting": {"reason": "ImagePullBackOff"}}}]
    pods = [_drv("d", "spark-10", "t10", phase="Pending", containers=containers)]
    (pod_mode,) = group_engines(pods)
    (container_mode,) = group_engines(pods, kyuubi_state_source="CONTAINER")
    assert (pod_mode.state, pod_mode.kyuubi_state) == ("PENDING", "PENDING")
    assert container_mode.kyuubi_state == "FAILED"


def test_kyuubi_does_not_watch_untagged_drivers() -> None:
    (engine,) = group_engines([_drv("d", "spark-11")])
    assert engine.kyuubi_state is None
    assert engine.ended_at is None


def test_ended_at_falls_back_to_condition_time() -> None:
    cond = [{"type": "Ready", "status": "False", "lastTransitionTime": "2026-03-01T11:00:00Z"}]
    driver = msgspec.convert(
        {
            "metadata": {"name": "d", "namespace": "n", "labels": {"kyuubi-unique-tag": "t"}},
            "status": {"phase": "Failed", "reason": "Evicted", "conditions": cond},
        },
        Pod,
    )
    (engine,) = group_engines([driver])
    assert (engine.state, engine.reason) == ("FAILED", "Evicted")
    assert engine.ended_at == datetime(2026, 3, 1, 11, 0, tzinfo=UTC)
