"""``kubectl get pods`` columns, against the API server's own printer tests.

UPSTREAM cases are rewritten from kubernetes/kubernetes
``pkg/printers/internalversion/printers_test.go`` as read in atiratree/kubernetes@9d6ee340
(a fork tracking master, which includes kubernetes#124766): TestPrintPod (test1–test24),
TestPrintPodWithRestartableInitContainer, TestPrintPodwide, TestPrintPodConditions,
TestPrintPodList and TestPrintNonTerminatedPod. Go's ``api.Pod`` literals become the v1
JSON an API server sends; ``make([]api.Container, n)`` becomes ``n`` empty objects; a
``time.Now().Add(-10 * time.Second)`` becomes ``ago(10)`` against a fixed ``NOW``.

DERIVED cases cover the printPod branches upstream's table leaves untested
(Init:Signal:N, Init:ExitCode:N, Init:<reason>, PodInitializing, Signal:N, ExitCode:N,
NodeLost, a failed container beside a completed one, ...); each expectation is read off
printers.go at michaelasp/kubernetes@212194ab, not invented.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import pytest

from kubetui.model.pod_status import PodColumns, pod_columns
from kubetui.model.records import Pod

NOW = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)


def ago(seconds: float) -> str:
    """An RFC 3339 timestamp ``seconds`` before NOW, as the API server writes it."""
    return (NOW - timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


DAY = 24 * 3600
RUNNING: dict[str, Any] = {"running": {}}
WAITING_EMPTY: dict[str, Any] = {"waiting": {}}
SIDECAR = "Always"  # spec.initContainers[].restartPolicy of a restartable init container


def pod(name: str, containers: int = 1, **status: Any) -> dict[str, Any]:
    """A v1 Pod with ``containers`` empty container specs and the given status fields."""
    return {
        "metadata": {"name": name},
        "spec": {"containers": [{} for _ in range(containers)]},
        "status": status,
    }


def last_terminated(seconds_ago: float) -> dict[str, Any]:
    return {"terminated": {"finishedAt": ago(seconds_ago)}}


def with_init(
    doc: dict[str, Any], init_specs: list[dict[str, Any]] | int, statuses: list[dict[str, Any]]
) -> dict[str, Any]:
    specs = [{} for _ in range(init_specs)] if isinstance(init_specs, int) else init_specs
    doc["spec"]["initContainers"] = specs
    doc["status"]["initContainerStatuses"] = statuses
    return doc


def deleted(doc: dict[str, Any]) -> dict[str, Any]:
    doc["metadata"]["deletionTimestamp"] = ago(10)
    return doc


def sidecars(*names: str) -> list[dict[str, Any]]:
    return [{"name": n, "restartPolicy": SIDECAR} for n in names]


# (description, pod JSON, READY, STATUS, RESTARTS)
Case = tuple[str, dict[str, Any], str, str, str]

# ---- UPSTREAM: TestPrintPod
TEST_PRINT_POD: list[Case] = [
    (
        "test1: name, num of containers, restarts, container ready status",
        pod(
            "test1",
            2,
            phase="podPhase",
            containerStatuses=[
                {"ready": True, "restartCount": 3, "state": RUNNING},
                {"restartCount": 3},
            ],
        ),
        "1/2",
        "podPhase",
        "6",
    ),
    (
        "test2: container error overwrites pod phase",
        pod(
            "test2",
            2,
            phase="podPhase",
            containerStatuses=[
                {"ready": True, "restartCount": 3, "state": RUNNING},
                {"state": {"waiting": {"reason": "ContainerWaitingReason"}}, "restartCount": 3},
            ],
        ),
        "1/2",
        "ContainerWaitingReason",
        "6",
    ),
    (
        "test3: Terminated state, and the first container overwrites the rest",
        pod(
            "test3",
            2,
            phase="podPhase",
            containerStatuses=[
                {"state": {"waiting": {"reason": "ContainerWaitingReason"}}, "restartCount": 3},
                {
                    "state": {"terminated": {"reason": "ContainerTerminatedReason"}},
                    "restartCount": 3,
                },
            ],
        ),
        "0/2",
        "ContainerWaitingReason",
        "6",
    ),
    (
        "test4: ready is not enough for reporting running",
        pod(
            "test4",
            2,
            phase="podPhase",
            containerStatuses=[
                {"ready": True, "restartCount": 3, "state": RUNNING},
                {"ready": True, "restartCount": 3},
            ],
        ),
        "1/2",
        "podPhase",
        "6",
    ),
    (
        "test5: ready is not enough for reporting running (pod reason wins over phase)",
        pod(
            "test5",
            2,
            reason="podReason",
            phase="podPhase",
            containerStatuses=[
                {"ready": True, "restartCount": 3, "state": RUNNING},
                {"ready": True, "restartCount": 3},
            ],
        ),
        "1/2",
        "podReason",
        "6",
    ),
    (
        "test6: one container running, one completed, without Ready condition",
        pod(
            "test6",
            2,
            phase="Running",
            reason="",
            containerStatuses=[
                {
                    "ready": True,
                    "restartCount": 3,
                    "state": {"terminated": {"reason": "Completed", "exitCode": 0}},
                },
                {"ready": True, "restartCount": 3, "state": RUNNING},
            ],
        ),
        "1/2",
        "NotReady",
        "6",
    ),
    (
        "test6: one container running, one completed, with Ready condition",
        pod(
            "test6",
            2,
            phase="Running",
            reason="",
            containerStatuses=[
                {
                    "ready": True,
                    "restartCount": 3,
                    "state": {"terminated": {"reason": "Completed", "exitCode": 0}},
                },
                {"ready": True, "restartCount": 3, "state": RUNNING},
            ],
            conditions=[{"type": "Ready", "status": "True", "lastProbeTime": ago(0)}],
        ),
        "1/2",
        "Running",
        "6",
    ),
    (
        "test7: 1 init container restarting and 1 container not running",
        with_init(
            pod(
                "test7",
                1,
                phase="podPhase",
                containerStatuses=[{"ready": False, "restartCount": 0, "state": WAITING_EMPTY}],
            ),
            1,
            [
                {
                    "ready": False,
                    "restartCount": 3,
                    "state": RUNNING,
                    "lastState": last_terminated(10),
                }
            ],
        ),
        "0/1",
        "Init:0/1",
        "3 (10s ago)",
    ),
    (
        "test8: 2 init containers, one restarting and one not running",
        with_init(
            pod(
                "test8",
                1,
                phase="podPhase",
                containerStatuses=[{"ready": False, "state": WAITING_EMPTY}],
            ),
            2,
            [
                {
                    "ready": False,
                    "restartCount": 3,
                    "state": RUNNING,
                    "lastState": last_terminated(10),
                },
                {"ready": False, "state": WAITING_EMPTY},
            ],
        ),
        "0/1",
        "Init:0/2",
        "3 (10s ago)",
    ),
    (
        "test9: 2 init containers, one completed without restarts, one restarting",
        with_init(
            pod(
                "test9",
                1,
                phase="podPhase",
                containerStatuses=[{"ready": False, "state": WAITING_EMPTY}],
            ),
            2,
            [
                {"ready": False, "state": {"terminated": {}}},
                {
                    "ready": False,
                    "restartCount": 3,
                    "state": RUNNING,
                    "lastState": last_terminated(10),
                },
            ],
        ),
        "0/1",
        "Init:1/2",
        "3 (10s ago)",
    ),
    (
        "test10: 2 init containers, one completed with restarts, one restarting",
        with_init(
            pod(
                "test10",
                1,
                phase="podPhase",
                containerStatuses=[{"ready": False, "state": WAITING_EMPTY}],
            ),
            2,
            [
                {
                    "ready": False,
                    "restartCount": 2,
                    "state": {"terminated": {}},
                    "lastState": last_terminated(120),
                },
                {
                    "ready": False,
                    "restartCount": 3,
                    "state": RUNNING,
                    "lastState": last_terminated(10),
                },
            ],
        ),
        "0/1",
        "Init:1/2",
        "5 (10s ago)",
    ),
    (
        "test11: 1 init container completed with restarts, one container restarting",
        with_init(
            pod(
                "test11",
                1,
                phase="Running",
                containerStatuses=[
                    {
                        "ready": False,
                        "restartCount": 4,
                        "state": RUNNING,
                        "lastState": last_terminated(20),
                    }
                ],
            ),
            1,
            [
                {
                    "ready": False,
                    "restartCount": 2,
                    "state": {"terminated": {}},
                    "lastState": last_terminated(120),
                }
            ],
        ),
        "0/1",
        "Running",
        "4 (20s ago)",
    ),
    (
        "test12: 1 container that restarted 5d ago",
        pod(
            "test12",
            1,
            phase="Running",
            containerStatuses=[
                {
                    "ready": True,
                    "restartCount": 3,
                    "state": RUNNING,
                    "lastState": last_terminated(5 * DAY),
                }
            ],
        ),
        "1/1",
        "Running",
        "3 (5d ago)",
    ),
    (
        "test13: 2 containers, one never restarted, the other restarted 10d ago",
        pod(
            "test13",
            2,
            phase="Running",
            containerStatuses=[
                {"ready": True, "restartCount": 0, "state": RUNNING},
                {
                    "ready": True,
                    "restartCount": 3,
                    "state": RUNNING,
                    "lastState": last_terminated(10 * DAY),
                },
            ],
        ),
        "2/2",
        "Running",
        "3 (10d ago)",
    ),
    (
        "test14: 2 containers, one restarted 5d ago, the other 20d ago",
        pod(
            "test14",
            2,
            phase="Running",
            containerStatuses=[
                {
                    "ready": True,
                    "restartCount": 6,
                    "state": RUNNING,
                    "lastState": last_terminated(5 * DAY),
                },
                {
                    "ready": True,
                    "restartCount": 3,
                    "state": RUNNING,
                    "lastState": last_terminated(20 * DAY),
                },
            ],
        ),
        "2/2",
        "Running",
        "9 (5d ago)",
    ),
    (
        "test15: PodScheduled condition with reason SchedulingGated",
        pod(
            "test15",
            2,
            phase="podPhase",
            conditions=[{"type": "PodScheduled", "status": "False", "reason": "SchedulingGated"}],
        ),
        "0/2",
        "SchedulingGated",
        "0",
    ),
    (
        "test16: pod succeeded",
        pod(
            "test16",
            1,
            phase="Succeeded",
            containerStatuses=[
                {"ready": False, "state": {"terminated": {"reason": "Completed", "exitCode": 0}}}
            ],
        ),
        "0/1",
        "Completed",
        "0",
    ),
    (
        "test17: pod failed",
        pod(
            "test17",
            1,
            phase="Failed",
            containerStatuses=[
                {"ready": False, "state": {"terminated": {"reason": "Error", "exitCode": 1}}}
            ],
        ),
        "0/1",
        "Error",
        "0",
    ),
    (
        "test18: pod succeeded, with deletion: terminal phases never read Terminating",
        deleted(
            pod(
                "test18",
                1,
                phase="Succeeded",
                containerStatuses=[
                    {
                        "ready": False,
                        "state": {"terminated": {"reason": "Completed", "exitCode": 0}},
                    }
                ],
            )
        ),
        "0/1",
        "Completed",
        "0",
    ),
    (
        "test19: pod running, with deletion",
        deleted(
            pod(
                "test19",
                1,
                phase="Running",
                containerStatuses=[{"ready": False, "state": RUNNING}],
            )
        ),
        "0/1",
        "Terminating",
        "0",
    ),
    (
        "test20: pod pending, with deletion",
        deleted(pod("test20", 1, phase="Pending")),
        "0/1",
        "Terminating",
        "0",
    ),
    (
        "test21: two containers, Error/Running (kubernetes#107713)",
        pod(
            "test21",
            2,
            phase="Failed",
            containerStatuses=[
                {
                    "ready": False,
                    "state": {
                        "terminated": {"finishedAt": ago(0), "exitCode": 1, "reason": "podCrash"}
                    },
                    "lastState": {},
                },
                {"ready": True, "state": {"running": {"startedAt": ago(0)}}, "lastState": {}},
            ],
        ),
        "1/2",
        "podCrash",
        "0",
    ),
    (
        "test22: two containers, Running/Error (kubernetes#107713)",
        pod(
            "test22",
            2,
            phase="Failed",
            containerStatuses=[
                {"ready": True, "state": {"running": {"startedAt": ago(0)}}, "lastState": {}},
                {
                    "ready": False,
                    "state": {
                        "terminated": {"finishedAt": ago(0), "exitCode": 1, "reason": "podCrash"}
                    },
                    "lastState": {},
                },
            ],
        ),
        "1/2",
        "podCrash",
        "0",
    ),
    (
        "test23: three ready containers, Running/Error/Completed",
        pod(
            "test23",
            3,
            phase="Failed",
            containerStatuses=[
                {"ready": True, "state": {"running": {"startedAt": ago(0)}}, "lastState": {}},
                {
                    "ready": True,
                    "state": {
                        "terminated": {"finishedAt": ago(0), "exitCode": 1, "reason": "podCrash"}
                    },
                    "lastState": {},
                },
                {
                    "ready": True,
                    "state": {"terminated": {"finishedAt": ago(0), "exitCode": 0}},
                    "lastState": {},
                },
            ],
        ),
        "1/3",
        "podCrash",
        "0",
    ),
    (
        "test24: three not-ready containers, Running/Error/Completed",
        pod(
            "test24",
            3,
            phase="Failed",
            containerStatuses=[
                {"ready": False, "state": {"running": {"startedAt": ago(0)}}, "lastState": {}},
                {
                    "ready": False,
                    "state": {
                        "terminated": {"finishedAt": ago(0), "exitCode": 1, "reason": "podCrash"}
                    },
                    "lastState": {},
                },
                {
                    "ready": False,
                    "state": {"terminated": {"finishedAt": ago(0), "exitCode": 0}},
                    "lastState": {},
                },
            ],
        ),
        "0/3",
        "podCrash",
        "0",
    ),
]

# ---- UPSTREAM: TestPrintPodWithRestartableInitContainer
TEST_PRINT_POD_WITH_RESTARTABLE_INIT_CONTAINER: list[Case] = [
    (
        "sidecars: 2 restartable init containers, the first running but not started",
        with_init(
            pod(
                "test1",
                1,
                phase="Pending",
                containerStatuses=[{"ready": False, "restartCount": 0, "state": WAITING_EMPTY}],
                conditions=[{"type": "Initialized", "status": "False"}],
            ),
            sidecars("restartable-init-1", "restartable-init-2"),
            [
                {
                    "name": "restartable-init-1",
                    "ready": False,
                    "restartCount": 3,
                    "state": RUNNING,
                    "started": False,
                    "lastState": last_terminated(10),
                },
                {
                    "name": "restartable-init-2",
                    "ready": False,
                    "state": WAITING_EMPTY,
                    "started": False,
                },
            ],
        ),
        "0/3",
        "Init:0/2",
        "3 (10s ago)",
    ),
    (
        "sidecars: the first started, the second running but not started",
        with_init(
            pod(
                "test1",
                1,
                phase="Pending",
                containerStatuses=[{"ready": False, "restartCount": 0, "state": WAITING_EMPTY}],
                conditions=[{"type": "Initialized", "status": "False"}],
            ),
            sidecars("restartable-init-1", "restartable-init-2"),
            [
                {
                    "name": "restartable-init-1",
                    "ready": False,
                    "restartCount": 3,
                    "state": RUNNING,
                    "started": True,
                    "lastState": last_terminated(10),
                },
                {"name": "restartable-init-2", "ready": False, "state": RUNNING, "started": False},
            ],
        ),
        "0/3",
        "Init:1/2",
        "3 (10s ago)",
    ),
    (
        "sidecars: 2 restartable init containers started and 1 container running",
        with_init(
            pod(
                "test2",
                1,
                phase="Running",
                containerStatuses=[
                    {
                        "ready": True,
                        "restartCount": 4,
                        "state": RUNNING,
                        "lastState": last_terminated(20),
                    }
                ],
                conditions=[{"type": "Initialized", "status": "True"}],
            ),
            sidecars("restartable-init-1", "restartable-init-2"),
            [
                {
                    "name": "restartable-init-1",
                    "ready": False,
                    "restartCount": 3,
                    "state": RUNNING,
                    "started": True,
                    "lastState": last_terminated(10),
                },
                {"name": "restartable-init-2", "ready": False, "state": RUNNING, "started": True},
            ],
        ),
        "1/3",
        "Running",
        "7 (10s ago)",
    ),
    (
        "sidecars: 2 restartable init containers exited non-zero, 1 container completed",
        with_init(
            pod(
                "test3",
                1,
                phase="Succeeded",
                containerStatuses=[
                    {
                        "ready": False,
                        "restartCount": 4,
                        "state": {"terminated": {"reason": "Completed", "exitCode": 0}},
                        "lastState": last_terminated(20),
                    }
                ],
                conditions=[{"type": "Initialized", "status": "True"}],
            ),
            sidecars("restartable-init-1", "restartable-init-2"),
            [
                {
                    "name": "restartable-init-1",
                    "ready": False,
                    "restartCount": 3,
                    "state": {"terminated": {"reason": "Error", "exitCode": 137}},
                    "started": False,
                    "lastState": last_terminated(10),
                },
                {
                    "name": "restartable-init-2",
                    "ready": False,
                    "state": {"terminated": {"reason": "Error", "exitCode": 137}},
                    "started": False,
                },
            ],
        ),
        "0/3",
        "Completed",
        "7 (10s ago)",
    ),
    (
        "sidecars: statuses for init containers and containers that are not in the spec",
        with_init(
            {
                "metadata": {"name": "test4"},
                "spec": {"containers": [{"name": "container1", "image": "containerimage"}]},
                "status": {
                    "phase": "Running",
                    "containerStatuses": [{"name": "containerinvalid"}, {"name": "container1"}],
                },
            },
            [
                {"name": "init1", "image": "initimage"},
                {"name": "sidecar1", "image": "sidecarimage", "restartPolicy": SIDECAR},
            ],
            [{"name": "initinvalid"}, {"name": "init1"}, {"name": "sidecar1"}],
        ),
        "0/2",
        "Init:0/2",
        "0",
    ),
]

_TWO_CONTAINERS_ONE_RUNNING = [
    {"ready": True, "restartCount": 3, "state": RUNNING},
    {"restartCount": 3},
]

# ---- UPSTREAM: TestPrintPodConditions, TestPrintPodList, TestPrintNonTerminatedPod
TEST_PRINT_POD_PHASES: list[Case] = [
    (
        "conditions: running pod",
        pod("test1", 2, phase="Running", containerStatuses=_TWO_CONTAINERS_ONE_RUNNING),
        "1/2",
        "Running",
        "6",
    ),
    (
        "conditions: succeeded pod",
        pod("test1", 2, phase="Succeeded", containerStatuses=_TWO_CONTAINERS_ONE_RUNNING),
        "1/2",
        "Succeeded",
        "6",
    ),
    (
        "conditions: failed pod",
        pod("test2", 2, phase="Failed", containerStatuses=_TWO_CONTAINERS_ONE_RUNNING),
        "1/2",
        "Failed",
        "6",
    ),
    (
        "list: first pod",
        pod(
            "test1",
            2,
            phase="podPhase",
            containerStatuses=[
                {"ready": True, "restartCount": 3, "state": RUNNING},
                {"ready": True, "restartCount": 3, "state": RUNNING},
            ],
        ),
        "2/2",
        "podPhase",
        "6",
    ),
    (
        "list: second pod",
        pod(
            "test2",
            1,
            phase="podPhase",
            containerStatuses=[{"ready": True, "restartCount": 1, "state": RUNNING}],
        ),
        "1/1",
        "podPhase",
        "1",
    ),
    (
        "non-terminated: phase Running is printed",
        pod("test1", 2, phase="Running", containerStatuses=_TWO_CONTAINERS_ONE_RUNNING),
        "1/2",
        "Running",
        "6",
    ),
    (
        "non-terminated: phase Pending is printed",
        pod("test2", 2, phase="Pending", containerStatuses=_TWO_CONTAINERS_ONE_RUNNING),
        "1/2",
        "Pending",
        "6",
    ),
    (
        "non-terminated: phase Unknown is printed",
        pod("test3", 2, phase="Unknown", containerStatuses=_TWO_CONTAINERS_ONE_RUNNING),
        "1/2",
        "Unknown",
        "6",
    ),
    (
        "non-terminated: phase Succeeded is printed",
        pod("test4", 2, phase="Succeeded", containerStatuses=_TWO_CONTAINERS_ONE_RUNNING),
        "1/2",
        "Succeeded",
        "6",
    ),
    (
        "non-terminated: phase Failed is printed",
        pod(
            "test5",
            2,
            phase="Failed",
            containerStatuses=[
                {"ready": True, "restartCount": 3, "state": RUNNING},
                {"ready": True, "restartCount": 3},
            ],
        ),
        "1/2",
        "Failed",
        "6",
    ),
]


def _one_init(init_state: dict[str, Any], **status: Any) -> dict[str, Any]:
    """One plain init container in ``init_state`` and one main container waiting behind it."""
    doc = pod(
        "p",
        1,
        phase="Pending",
        containerStatuses=[
            {"state": {"waiting": {"reason": "PodInitializing"}}, "restartCount": 0}
        ],
        **status,
    )
    return with_init(doc, 1, [{"state": init_state, "restartCount": 2}])


def _main(*states: dict[str, Any], phase: str = "Running", **status: Any) -> dict[str, Any]:
    return pod(
        "p",
        len(states),
        phase=phase,
        containerStatuses=[{"state": s, "ready": "running" in s} for s in states],
        **status,
    )


# ---- DERIVED from printPod's branches (michaelasp/kubernetes@212194ab printers.go)
DERIVED: list[Case] = [
    (
        "init failed with a reason: Init:<reason>",
        _one_init({"terminated": {"exitCode": 1, "reason": "Error"}}),
        "0/1",
        "Init:Error",
        "2",
    ),
    (
        "init killed by a signal, no reason: Init:Signal:N",
        _one_init({"terminated": {"exitCode": 137, "signal": 9}}),
        "0/1",
        "Init:Signal:9",
        "2",
    ),
    (
        "init exited non-zero, no reason, no signal: Init:ExitCode:N",
        _one_init({"terminated": {"exitCode": 3}}),
        "0/1",
        "Init:ExitCode:3",
        "2",
    ),
    (
        "init waiting with a reason: Init:<waiting reason>",
        _one_init({"waiting": {"reason": "CrashLoopBackOff"}}),
        "0/1",
        "Init:CrashLoopBackOff",
        "2",
    ),
    (
        "init waiting in PodInitializing counts as progress: Init:0/1",
        _one_init({"waiting": {"reason": "PodInitializing"}}),
        "0/1",
        "Init:0/1",
        "2",
    ),
    (
        "a started, ready plain init container still blocks: only sidecars are skipped",
        with_init(
            pod("p", 1, phase="Pending"),
            1,
            [{"state": RUNNING, "started": True, "ready": True}],
        ),
        "0/1",
        "Init:0/1",
        "0",
    ),
    (
        "init statuses without init specs: Init:0/0",
        with_init(pod("p", 1, phase="Pending"), 0, [{"state": WAITING_EMPTY}]),
        "0/1",
        "Init:0/0",
        "0",
    ),
    (
        "init done, main container waiting: the main container's reason, its restarts only",
        _one_init({"terminated": {"exitCode": 0, "reason": "Completed"}}),
        "0/1",
        "PodInitializing",
        "0",
    ),
    (
        "init failing but Initialized=True: main containers decide",
        _one_init(
            {"terminated": {"exitCode": 1, "reason": "Error"}},
            conditions=[{"type": "Initialized", "status": "True"}],
        ),
        "0/1",
        "PodInitializing",
        "0",
    ),
    (
        "main container killed by a signal, no reason: Signal:N",
        _main({"terminated": {"exitCode": 137, "signal": 9}}, phase="Failed"),
        "0/1",
        "Signal:9",
        "0",
    ),
    (
        "main container exited non-zero, no reason: ExitCode:N",
        _main({"terminated": {"exitCode": 2}}, phase="Failed"),
        "0/1",
        "ExitCode:2",
        "0",
    ),
    (
        "main container OOMKilled",
        _main({"terminated": {"exitCode": 137, "reason": "OOMKilled"}}, phase="Failed"),
        "0/1",
        "OOMKilled",
        "0",
    ),
    (
        "CrashLoopBackOff with restarts and a last termination",
        pod(
            "p",
            1,
            phase="Running",
            containerStatuses=[
                {
                    "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                    "restartCount": 12,
                    "lastState": {
                        "terminated": {"exitCode": 1, "reason": "Error", "finishedAt": ago(300)}
                    },
                }
            ],
        ),
        "0/1",
        "CrashLoopBackOff",
        "12 (5m ago)",
    ),
    (
        "a failed container hides no more behind Completed (kubernetes#121563, #124766)",
        _main(
            {"terminated": {"exitCode": 0, "reason": "Completed"}},
            {"terminated": {"exitCode": 1, "reason": "Error"}},
            phase="Failed",
        ),
        "0/2",
        "Error",
        "0",
    ),
    (
        "Completed beside a running, not-ready pod: NotReady",
        _main({"terminated": {"exitCode": 0, "reason": "Completed"}}, RUNNING),
        "1/2",
        "NotReady",
        "0",
    ),
    (
        "deleted pod on a lost node: Unknown",
        deleted(_main(RUNNING, reason="NodeLost")),
        "1/1",
        "Unknown",
        "0",
    ),
    (
        "NodeLost without deletion keeps the pod reason",
        _main(RUNNING, reason="NodeLost"),
        "1/1",
        "NodeLost",
        "0",
    ),
    (
        "deleted Failed pod keeps its reason, not Terminating",
        deleted(_main({"terminated": {"exitCode": 1, "reason": "Error"}}, phase="Failed")),
        "0/1",
        "Error",
        "0",
    ),
    (
        "Evicted: the pod-level reason",
        pod("p", 1, phase="Failed", reason="Evicted"),
        "0/1",
        "Evicted",
        "0",
    ),
    (
        "restarts without any last termination time: no '(ago)'",
        pod("p", 1, phase="Running", containerStatuses=[{"restartCount": 4, "state": RUNNING}]),
        "0/1",
        "Running",
        "4",
    ),
    (
        "an empty object: Go's zero values everywhere",
        {},
        "0/0",
        "",
        "0",
    ),
]

ALL_CASES = (
    TEST_PRINT_POD
    + TEST_PRINT_POD_WITH_RESTARTABLE_INIT_CONTAINER
    + TEST_PRINT_POD_PHASES
    + DERIVED
)


@pytest.mark.parametrize(
    ("doc", "ready", "status", "restarts"),
    [c[1:] for c in ALL_CASES],
    ids=[c[0] for c in ALL_CASES],
)
def test_pod_columns(doc: dict[str, Any], ready: str, status: str, restarts: str) -> None:
    cols = pod_columns(msgspec.convert(doc, Pod), NOW)
    assert (cols.ready, cols.status, cols.restarts) == (ready, status, restarts)
    assert cols.name == doc.get("metadata", {}).get("name", "")
    # Upstream's pods carry no creationTimestamp, node, IP or gates.
    assert cols.age == "<unknown>"
    assert (cols.ip, cols.node, cols.nominated_node, cols.readiness_gates) == ("<none>",) * 4
    assert cols.restart_count == int(restarts.split(" ", 1)[0])
    assert (cols.last_restart_at is not None) == ("ago)" in restarts)


# ---- UPSTREAM: TestPrintPodwide (the IP comes from status.podIP; see pod_status docstring)
def _wide_pod(pod_ips: list[str]) -> dict[str, Any]:
    doc = pod(
        "test1",
        2,
        conditions=[
            {"type": "condition1", "status": "False"},
            {"type": "condition2", "status": "True"},
        ],
        phase="podPhase",
        podIP=pod_ips[0],
        podIPs=[{"ip": ip} for ip in pod_ips],
        containerStatuses=_TWO_CONTAINERS_ONE_RUNNING,
        nominatedNodeName="node1",
    )
    doc["spec"]["nodeName"] = "test1"
    doc["spec"]["readinessGates"] = [
        {"conditionType": "condition1"},
        {"conditionType": "condition2"},
        {"conditionType": "condition3"},
    ]
    return doc


TEST_PRINT_POD_WIDE = [
    (
        "NodeName and PodIP are set",
        _wide_pod(["1.1.1.1"]),
        ("test1", "1/2", "podPhase", "6", "<unknown>", "1.1.1.1", "test1", "node1", "1/3"),
    ),
    (
        "NodeName and dual-stack PodIPs are set",
        _wide_pod(["1.1.1.1", "2001:db8::"]),
        ("test1", "1/2", "podPhase", "6", "<unknown>", "1.1.1.1", "test1", "node1", "1/3"),
    ),
    (
        "NodeName and PodIP are none",
        pod(
            "test2",
            2,
            phase="podPhase",
            containerStatuses=[
                {"ready": True, "restartCount": 3, "state": RUNNING},
                {"state": {"waiting": {"reason": "ContainerWaitingReason"}}, "restartCount": 3},
            ],
        ),
        ("test2", "1/2", "ContainerWaitingReason", "6", "<unknown>") + ("<none>",) * 4,
    ),
]


@pytest.mark.parametrize(
    ("doc", "cells"), [c[1:] for c in TEST_PRINT_POD_WIDE], ids=[c[0] for c in TEST_PRINT_POD_WIDE]
)
def test_pod_columns_wide(doc: dict[str, Any], cells: tuple[str, ...]) -> None:
    c = pod_columns(msgspec.convert(doc, Pod), NOW)
    wide = (c.name, c.ready, c.status, c.restarts, c.age, c.ip, c.node, c.nominated_node)
    assert (*wide, c.readiness_gates) == cells


def test_age_and_last_restart_come_from_the_record() -> None:
    doc = pod(
        "web-0",
        1,
        phase="Running",
        containerStatuses=[
            {
                "ready": True,
                "restartCount": 2,
                "state": RUNNING,
                "lastState": last_terminated(90),
            }
        ],
    )
    doc["metadata"]["creationTimestamp"] = ago(3 * DAY + 3600)
    cols = pod_columns(msgspec.convert(doc, Pod), NOW)
    assert cols == PodColumns(
        name="web-0",
        ready="1/1",
        status="Running",
        restarts="2 (90s ago)",
        restart_count=2,
        last_restart_at=NOW - timedelta(seconds=90),
        age="3d1h",
        ip="<none>",
        node="<none>",
        nominated_node="<none>",
        readiness_gates="<none>",
    )


def test_readiness_gate_without_a_condition_type_matches_like_go() -> None:
    """Go compares zero values: a gate with no conditionType meets a condition with no type."""
    doc = pod("p", 1, conditions=[{"status": "True"}])
    doc["spec"]["readinessGates"] = [{}, {"conditionType": "missing"}]
    assert pod_columns(msgspec.convert(doc, Pod), NOW).readiness_gates == "1/2"


def test_naive_timestamps_do_not_raise() -> None:
    naive = (NOW - timedelta(minutes=5)).replace(tzinfo=None)
    doc = pod(
        "p",
        1,
        phase="Running",
        containerStatuses=[{"restartCount": 1, "lastState": {"terminated": {}}}],
    )
    record = msgspec.convert(doc, Pod)
    record.metadata.creation_timestamp = naive
    record.status.container_statuses[0].last_state.terminated.finished_at = naive
    cols = pod_columns(record, NOW)
    assert (cols.age, cols.restarts) == ("5m", "1 (5m ago)")


@pytest.mark.parametrize(
    ("status", "ip"),
    [
        ({"podIP": "10.0.0.1", "podIPs": [{"ip": "fd00::1"}, {"ip": "10.0.0.1"}]}, "fd00::1"),
        ({"podIP": "10.0.0.1"}, "10.0.0.1"),
        ({}, "<none>"),
    ],
)
def test_ip_column_prints_the_first_pod_ip(status: dict[str, Any], ip: str) -> None:
    pod = msgspec.convert({"metadata": {"name": "p"}, "status": status}, Pod)
    assert pod_columns(pod, datetime(2026, 1, 1, tzinfo=UTC)).ip == ip
