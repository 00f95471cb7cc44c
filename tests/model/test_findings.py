"""Findings over pods, engines and update rates (kubetui.model.findings)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec
import pytest

from kubetui.model.engines import group_engines
from kubetui.model.findings import (
    KINDS,
    Finding,
    ObjectRate,
    Thresholds,
    find_hot_loops,
    find_pod_findings,
    summarize,
)
from kubetui.model.records import Node, Pod

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
DRV = "spark-kubernetes-driver"


def ts(minutes_ago: float) -> str:
    """RFC 3339 time ``minutes_ago`` before NOW (negative = in the future)."""
    t = NOW.timestamp() - minutes_ago * 60
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def term(reason: str | None, code: int, minutes_ago: float) -> dict[str, Any]:
    return {"terminated": {"reason": reason, "exitCode": code, "finishedAt": ts(minutes_ago)}}


RUN = {"running": {"startedAt": ts(30)}}


def cs(
    name: str, state: dict[str, Any], last: dict[str, Any] | None = None, restarts: int = 0
) -> dict[str, Any]:
    return {"name": name, "state": state, "lastState": last or {}, "restartCount": restarts}


def pod(
    name: str = "p",
    *,
    ns: str = "ns",
    phase: str = "Running",
    containers: list[dict[str, Any]] | None = None,
    init: list[dict[str, Any]] | None = None,
    created: float = 120,
    node: str | None = "node-1",
    deleted: float | None = None,
    grace: int | None = None,
    finalizers: list[str] | None = None,
    labels: dict[str, str] | None = None,
    owner: str | None = None,
    reason: str | None = None,
    limits: dict[str, str] | None = None,
) -> Pod:
    meta: dict[str, Any] = {
        "name": name,
        "namespace": ns,
        "uid": f"uid-{name}",
        "creationTimestamp": ts(created),
        "labels": labels or {},
        "finalizers": finalizers or [],
    }
    if deleted is not None:
        meta["deletionTimestamp"] = ts(deleted)
        meta["deletionGracePeriodSeconds"] = grace
    if owner:
        meta["ownerReferences"] = [{"kind": "Pod", "name": owner, "uid": f"uid-{owner}"}]
    containers = containers or []
    spec: dict[str, Any] = {
        "nodeName": node,
        "containers": [
            {"name": c["name"], "resources": {"limits": limits or {}}} for c in containers
        ],
        "initContainers": [{"name": c["name"]} for c in init or []],
    }
    status = {
        "phase": phase,
        "reason": reason,
        "containerStatuses": containers,
        "initContainerStatuses": init or [],
    }
    return msgspec.convert({"metadata": meta, "spec": spec, "status": status}, Pod)


def run(pods: list[Pod], kind: str, **kw: Any) -> list[tuple[str | None, str]]:
    kw.setdefault("nodes", None)
    kw.setdefault("engines", None)
    found = find_pod_findings(pods, kw.pop("nodes"), kw.pop("engines"), NOW, **kw)
    return [(f.name, f.summary) for f in found if f.kind == kind]


def ids(table: list[tuple[Any, ...]]) -> list[str]:
    return [row[0] for row in table]


# ------------------------------------------------------------------ oom_killed

OOM_CASES = [
    (
        "driver OOM, restartPolicy Never",
        pod(
            "d",
            phase="Failed",
            containers=[cs(DRV, term("OOMKilled", 137, 4))],
            limits={"memory": "2Gi"},
        ),
        [("d", f"container {DRV} OOMKilled (exit 137) 4m ago, restarts 0, memory limit 2Gi")],
    ),
    (
        "last state OOM, running again",
        pod("w", containers=[cs("app", RUN, term("OOMKilled", 137, 90), restarts=2)]),
        [("w", "container app OOMKilled (exit 137) 90m ago before its last restart, restarts 2")],
    ),
    (
        "init container OOM",
        pod(
            "i",
            phase="Failed",
            init=[cs("fetch", term("OOMKilled", 137, 3))],
            containers=[cs("app", {"waiting": {"reason": "PodInitializing"}})],
        ),
        [("i", "container fetch OOMKilled (exit 137) 3m ago, restarts 0")],
    ),
    (
        "plain error exit is not OOM",
        pod("e", phase="Failed", containers=[cs("a", term("Error", 137, 4))]),
        [],
    ),
    ("running pod", pod("r", containers=[cs("a", RUN)]), []),
    ("no statuses", pod("n", phase="Pending"), []),
]


@pytest.mark.parametrize(("p", "expected"), [c[1:] for c in OOM_CASES], ids=ids(OOM_CASES))
def test_oom_killed(p: Pod, expected: list[tuple[str, str]]) -> None:
    assert run([p], "oom_killed") == expected


def test_oom_evidence() -> None:
    p = pod("d", phase="Failed", containers=[cs(DRV, term("OOMKilled", 137, 4))])
    (f,) = [f for f in find_pod_findings([p], None, None, NOW) if f.kind == "oom_killed"]
    assert f.severity == "critical"
    assert f.uid == "uid-d"
    assert f.evidence == {
        "container": DRV,
        "container_type": "regular",
        "state": "current",
        "exit_code": 137,
        "finished_at": ts(4),
        "restarts": 0,
        "memory_limit": None,
    }


# ------------------------------------------------------------------ crash_loop

LOOP = {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 5m0s"}}
CRASH_CASES = [
    (
        "CrashLoopBackOff",
        pod("c", containers=[cs("app", LOOP, term("Error", 1, 2), restarts=7)]),
        [("c", "container app in CrashLoopBackOff, restarts 7, last exit Error 1 2m ago")],
    ),
    (
        "back-off after first restart counts",
        pod("c1", containers=[cs("app", LOOP, term("Error", 2, 1), restarts=1)]),
        [
            (
                "c1",
                "container app in CrashLoopBackOff, restarts 1,"
                " last exit Error 2 usage error / shell builtin misuse 60s ago",
            )
        ],
    ),
    (
        "restarts at threshold, last exit non-zero, running now",
        pod("r3", containers=[cs("app", RUN, term("Error", 143, 10), restarts=3)]),
        [("r3", "container app restarting, restarts 3, last exit Error 143 SIGTERM 10m ago")],
    ),
    (
        "restarts below threshold",
        pod("r2", containers=[cs("app", RUN, term("Error", 1, 10), restarts=2)]),
        [],
    ),
    (
        "many restarts but last exit 0",
        pod("ok", containers=[cs("app", RUN, term("Completed", 0, 10), restarts=9)]),
        [],
    ),
    (
        "image pull back-off is not a crash loop",
        pod(
            "pull",
            phase="Pending",
            containers=[cs("app", {"waiting": {"reason": "ImagePullBackOff"}})],
        ),
        [],
    ),
]


@pytest.mark.parametrize(("p", "expected"), [c[1:] for c in CRASH_CASES], ids=ids(CRASH_CASES))
def test_crash_loop(p: Pod, expected: list[tuple[str, str]]) -> None:
    assert run([p], "crash_loop") == expected


def test_crash_loop_threshold_is_a_parameter() -> None:
    p = pod("r2", containers=[cs("app", RUN, term("Error", 1, 10), restarts=2)])
    assert run([p], "crash_loop", thresholds=Thresholds(crash_loop_min_restarts=2))


# ------------------------------------------------------------------ stuck_terminating

STUCK_CASES = [
    (
        "deadline long past, finalizer",
        pod("s", deleted=12, grace=30, finalizers=["example.com/hold"]),
        [
            (
                "s",
                "Terminating 12m past its deadline (grace 30s), finalizers: example.com/hold,"
                " node node-1",
            )
        ],
    ),
    (
        "no node, no finalizers",
        pod("u", phase="Pending", node=None, deleted=3, grace=0),
        [("u", "Terminating 3m past its deadline (grace 0s), no finalizers, no node")],
    ),
    ("within margin (deadline already includes grace)", pod("m", deleted=0.5, grace=30), []),
    ("deadline in the future (grace running)", pod("f", deleted=-0.4, grace=30), []),
    ("not deleted", pod("n"), []),
]


@pytest.mark.parametrize(("p", "expected"), [c[1:] for c in STUCK_CASES], ids=ids(STUCK_CASES))
def test_stuck_terminating(p: Pod, expected: list[tuple[str, str]]) -> None:
    assert run([p], "stuck_terminating") == expected


def test_stuck_terminating_evidence() -> None:
    p = pod("s", deleted=2, grace=30, finalizers=["a", "b"])
    (f,) = [f for f in find_pod_findings([p], None, None, NOW) if f.kind == "stuck_terminating"]
    assert f.evidence["overdue_seconds"] == 120
    assert f.evidence["finalizers"] == "a, b"
    assert f.evidence["deletion_timestamp"] == ts(2)


# ------------------------------------------------------------------ orphaned

NODES = [msgspec.convert({"metadata": {"name": "node-1"}}, Node)]
ORPHAN_CASES = [
    (
        "node gone",
        pod("o", node="node-9"),
        NODES,
        [("o", "bound to node node-9, which no longer exists (phase Running)")],
    ),
    ("node present", pod("k", node="node-1"), NODES, []),
    ("unscheduled", pod("p", phase="Pending", node=None), NODES, []),
    ("node list unknown", pod("o", node="node-9"), None, []),
    (
        "empty node list is known",
        pod("o", node="node-1"),
        [],
        [("o", "bound to node node-1, which no longer exists (phase Running)")],
    ),
]


@pytest.mark.parametrize(
    ("p", "nodes", "expected"), [c[1:] for c in ORPHAN_CASES], ids=ids(ORPHAN_CASES)
)
def test_orphaned(p: Pod, nodes: list[Node] | None, expected: list[tuple[str, str]]) -> None:
    assert run([p], "orphaned", nodes=nodes) == expected


# ------------------------------------------------------------------ failed_lingering

LINGER_CASES = [
    (
        "failed 2h ago",
        pod("f", phase="Failed", containers=[cs("a", term("Error", 1, 120))]),
        [("f", "Failed (Error exit 1), finished 120m ago, still present")],
    ),
    (
        "evicted, no termination time: creation counts",
        pod("ev", phase="Failed", reason="Evicted", created=300),
        [("ev", "Failed (Evicted), created 5h ago, still present")],
    ),
    ("failed recently", pod("r", phase="Failed", containers=[cs("a", term("Error", 1, 59))]), []),
    (
        "old pod, recent failure",
        pod("o", phase="Failed", created=600, containers=[cs("a", term("Error", 1, 30))]),
        [],
    ),
    (
        "succeeded long ago",
        pod("s", phase="Succeeded", containers=[cs("a", term("Completed", 0, 600))]),
        [],
    ),
    (
        "already being deleted",
        pod("d", phase="Failed", deleted=-1, containers=[cs("a", term("Error", 1, 600))]),
        [],
    ),
]


@pytest.mark.parametrize(("p", "expected"), [c[1:] for c in LINGER_CASES], ids=ids(LINGER_CASES))
def test_failed_lingering(p: Pod, expected: list[tuple[str, str]]) -> None:
    assert run([p], "failed_lingering") == expected


# ------------------------------------------------------------------ zombie_engine_pod


def driver(name: str, tag: str | None, app: str = "spark-1", **kw: Any) -> Pod:
    labels = {"spark-role": "driver", "spark-app-selector": app}
    if tag:
        labels["kyuubi-unique-tag"] = tag
    return pod(name, labels=labels, **kw)


def executor(name: str, owner: str, app: str = "spark-1", **kw: Any) -> Pod:
    labels = {"spark-role": "executor", "spark-app-selector": app, "spark-exec-id": "1"}
    return pod(name, labels=labels, owner=owner, **kw)


ENDED_OOM = {"phase": "Failed", "containers": [cs(DRV, term("OOMKilled", 137, 12))]}
ZOMBIE_CASES: list[tuple[str, list[Pod], set[str] | None, list[tuple[str, str]]]] = [
    (
        "executor still running after the driver was OOM-killed",
        [driver("d", "b1", **ENDED_OOM), executor("e", "d", containers=[cs("x", RUN)])],
        None,
        [
            (
                "d",
                "driver pod (Failed) still present 12m after engine b1 ended (KILLED: OOMKilled)",
            ),
            (
                "e",
                "executor pod (Running) still present 12m after engine b1 ended"
                " (KILLED: OOMKilled)",
            ),
        ],
    ),
    (
        "finished within the grace",
        [driver("d", "b2", phase="Succeeded", containers=[cs(DRV, term("Completed", 0, 4))])],
        None,
        [],
    ),
    (
        "finished long ago",
        [driver("d", "b3", phase="Succeeded", containers=[cs(DRV, term("Completed", 0, 600))])],
        None,
        [("d", "driver pod (Succeeded) still present 10h after engine b3 ended (FINISHED)")],
    ),
    (
        "pods already being deleted are not zombies",
        [driver("d", "b4", deleted=-0.2, **ENDED_OOM)],
        None,
        [],
    ),
    ("running engine", [driver("d", "b5", containers=[cs(DRV, RUN)])], None, []),
    (
        "driver gone, executor left",
        [executor("e", "gone", created=30)],
        None,
        [("e", "executor pod (Running) of engine spark-1 whose driver pod is gone, age 30m")],
    ),
    ("driver gone a moment ago", [executor("e", "gone", created=2)], None, []),
    (
        "unknown to Kyuubi",
        [driver("d", "b6", containers=[cs(DRV, RUN)], created=60)],
        {"other-batch"},
        [("d", "driver pod (Running) of engine b6, which Kyuubi does not know, age 60m")],
    ),
    (
        "known to Kyuubi by batch id",
        [driver("d", "b7", containers=[cs(DRV, RUN)], created=60)],
        {"b7"},
        [],
    ),
    (
        "known to Kyuubi by app id",
        [driver("d", "b8", app="spark-8", containers=[cs(DRV, RUN)], created=60)],
        {"spark-8"},
        [],
    ),
    (
        "unknown but just launched",
        [driver("d", "b9", containers=[cs(DRV, RUN)], created=1)],
        set(),
        [],
    ),
    (
        "plain Spark app is never Kyuubi's",
        [driver("d", None, containers=[cs(DRV, RUN)], created=60)],
        set(),
        [],
    ),
]


@pytest.mark.parametrize(
    ("pods", "known", "expected"), [c[1:] for c in ZOMBIE_CASES], ids=ids(ZOMBIE_CASES)
)
def test_zombie_engine_pod(
    pods: list[Pod], known: set[str] | None, expected: list[tuple[str, str]]
) -> None:
    assert run(pods, "zombie_engine_pod", known_engine_ids=known) == expected
    # Passing pre-grouped engines gives the same answer.
    engines = group_engines(pods)
    assert run(pods, "zombie_engine_pod", engines=engines, known_engine_ids=known) == expected


def test_zombie_grace_is_a_parameter() -> None:
    pods = [driver("d", "b2", phase="Succeeded", containers=[cs(DRV, term("Completed", 0, 4))])]
    assert run(pods, "zombie_engine_pod", thresholds=Thresholds(zombie_grace=180))


def test_zombie_evidence() -> None:
    pods = [driver("d", "b1", **ENDED_OOM)]
    (f,) = [f for f in find_pod_findings(pods, None, None, NOW) if f.kind == "zombie_engine_pod"]
    assert f.evidence["cause"] == "ended"
    assert f.evidence["engine_state"] == "KILLED"
    assert f.evidence["ended_at"] == ts(12)
    assert f.severity == "warning"


# ------------------------------------------------------------------ order and summary


def test_order_is_deterministic_and_most_severe_first() -> None:
    pods = [
        pod("z-stuck", deleted=10, grace=30),
        pod("a-oom", phase="Failed", containers=[cs("a", term("OOMKilled", 137, 200))]),
        pod("b-oom", phase="Failed", ns="a", containers=[cs("a", term("OOMKilled", 137, 1))]),
    ]
    found = find_pod_findings(pods, None, None, NOW)
    order = [(f.kind, f.namespace, f.name) for f in found]
    assert order == [
        ("oom_killed", "a", "b-oom"),
        ("oom_killed", "ns", "a-oom"),
        ("stuck_terminating", "ns", "z-stuck"),
        ("failed_lingering", "ns", "a-oom"),
    ]
    assert find_pod_findings(list(reversed(pods)), None, None, NOW) == found
    assert summarize(found) == {
        "oom_killed": 2,
        "crash_loop": 0,
        "zombie_engine_pod": 0,
        "stuck_terminating": 1,
        "orphaned": 0,
        "failed_lingering": 1,
        "hot_loop": 0,
    }
    assert list(summarize([])) == list(KINDS)


def test_finding_round_trips_as_json() -> None:
    p = pod("d", phase="Failed", containers=[cs(DRV, term("OOMKilled", 137, 4))])
    found = find_pod_findings([p], None, None, NOW)
    assert msgspec.json.decode(msgspec.json.encode(found), type=list[Finding]) == found


# ------------------------------------------------------------------ hot_loop


def rates(kind: str, *values: float, managers: tuple[str, ...] = ()) -> list[ObjectRate]:
    return [
        ObjectRate(
            kind=kind,
            namespace="ns",
            name=f"{kind.lower()}-{i}",
            uid=f"u-{kind}-{i}",
            updates_per_minute=v,
            managers=managers,
            window_seconds=600,
        )
        for i, v in enumerate(values)
    ]


HOT_CASES: list[tuple[str, list[ObjectRate], list[tuple[str, str]]]] = [
    (
        "one secret rewritten every 6 s among quiet peers",
        rates("Secret", 10.0, 0.2, 0.5, 0.4, 0.3, managers=("kubero-operator",)),
        [
            (
                "secret-0",
                "Secret updated 10.0/min over 10m (29× the median of 4 peers, 0.35/min),"
                " managers: kubero-operator",
            )
        ],
    ),
    ("busy but not 10× the peers", rates("Lease", 6.0, 1.0, 1.0, 1.0), []),
    (
        "peers idle: any rate above the floor",
        rates("ConfigMap", 1.5, 0.0, 0.0, 0.0),
        [
            (
                "configmap-0",
                "ConfigMap updated 1.5/min over 10m (the median of 3 peers, 0.00/min),"
                " managers: unknown",
            )
        ],
    ),
    ("below the floor", rates("ConfigMap", 0.9, 0.0, 0.0, 0.0), []),
    ("too few peers, slow", rates("Job", 5.0, 0.1), []),
    (
        "too few peers, fast",
        rates("Job", 8.0, 0.1),
        [
            (
                "job-0",
                "Job updated 8.0/min over 10m (only 1 peers, at least 6/min), managers: unknown",
            )
        ],
    ),
    (
        "alone, fast",
        rates("Foo", 12.0)[:1],
        [
            (
                "foo-0",
                "Foo updated 12.0/min over 10m (only 0 peers, at least 6/min), managers: unknown",
            )
        ],
    ),
    (
        "kinds are not peers of each other",
        rates("Pod", 3.0, 3.0, 3.0) + rates("Node", 0.1, 0.1, 0.1, 0.1),
        [],
    ),
    (
        "two hot objects, highest rate first",
        rates("Deployment", 5.0, 20.0, 0.1, 0.1, 0.1, 0.1),
        [
            (
                "deployment-1",
                "Deployment updated 20.0/min over 10m (200× the median of 5 peers,"
                " 0.10/min), managers: unknown",
            ),
            (
                "deployment-0",
                "Deployment updated 5.0/min over 10m (50× the median of 5 peers,"
                " 0.10/min), managers: unknown",
            ),
        ],
    ),
]


@pytest.mark.parametrize(("rs", "expected"), [c[1:] for c in HOT_CASES], ids=ids(HOT_CASES))
def test_hot_loops(rs: list[ObjectRate], expected: list[tuple[str, str]]) -> None:
    assert [(f.name, f.summary) for f in find_hot_loops(rs)] == expected


def test_hot_loop_evidence_and_thresholds() -> None:
    rs = rates("Secret", 10.0, 0.2, 0.5, 0.4, 0.3, managers=("op", "kubectl"))
    (f,) = find_hot_loops(rs)
    assert f.kind == "hot_loop"
    assert f.uid == "u-Secret-0"
    assert f.evidence == {
        "object_kind": "Secret",
        "updates_per_minute": 10.0,
        "peer_median": 0.35,
        "peers": 4,
        "managers": "op, kubectl",
        "window_seconds": 600,
    }
    assert find_hot_loops(rs, Thresholds(hot_loop_factor=30)) == []
    assert find_hot_loops(rs, Thresholds(hot_loop_min_rate=11)) == []
