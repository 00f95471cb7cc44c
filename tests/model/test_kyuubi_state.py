"""Kyuubi's own pod → ApplicationState mapping (kubetui.model.kyuubi_state)."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from kubetui.model.kyuubi_state import (
    container_state_to_app_state,
    is_terminated,
    kyuubi_app_state,
    pod_phase_to_app_state,
)
from kubetui.model.records import ContainerState, Pod


def _state(d: dict[str, Any] | None) -> ContainerState | None:
    return None if d is None else msgspec.convert(d, ContainerState)


def _driver(phase: str | None, *containers: tuple[str, dict[str, Any]]) -> Pod:
    return msgspec.convert(
        {
            "metadata": {"name": "d", "labels": {"kyuubi-unique-tag": "t"}},
            "status": {
                "phase": phase,
                "containerStatuses": [{"name": n, "state": s} for n, s in containers],
            },
        },
        Pod,
    )


# Rewritten from apache/kyuubi master @ cfbbeec429db0115ce42fbaf91f13c6eb9092762,
# kyuubi-server/src/test/scala/org/apache/kyuubi/engine/KubernetesApplicationOperationSuite.scala
# ("containerStateToApplicationState waiting reasons" and "... failure reasons and empty
# reason"), plus the running/terminated/no-state branches of containerStateToApplicationState.
CONTAINER_CASES = [
    ({"waiting": {"reason": "ContainerCreating"}}, "PENDING"),
    ({"waiting": {"reason": "PodInitializing"}}, "PENDING"),
    ({"waiting": {"reason": "ErrImagePull"}}, "FAILED"),
    ({"waiting": {"reason": "ImagePullBackOff"}}, "FAILED"),
    ({"waiting": {"reason": "CrashLoopBackOff"}}, "FAILED"),
    ({"waiting": {"reason": "CreateContainerConfigError"}}, "FAILED"),
    ({"waiting": {}}, "PENDING"),
    ({"waiting": {"reason": "   "}}, "PENDING"),
    ({"running": {"startedAt": "2026-01-01T00:00:00Z"}}, "RUNNING"),
    ({"terminated": {"exitCode": 0, "reason": "Completed"}}, "FINISHED"),
    ({"terminated": {"exitCode": 1, "reason": "Error"}}, "FAILED"),
    ({"terminated": {"exitCode": 137, "reason": "OOMKilled"}}, "FAILED"),
    ({}, "UNKNOWN"),
    (None, "UNKNOWN"),
]


@pytest.mark.parametrize(("state", "expected"), CONTAINER_CASES)
def test_container_state_to_app_state(state: dict[str, Any] | None, expected: str) -> None:
    assert container_state_to_app_state(_state(state)) == expected


# podStateToApplicationState, kyuubi-server/.../engine/KubernetesApplicationOperation.scala
# at the same commit.
PHASE_CASES = [
    ("Pending", "PENDING"),
    ("Running", "RUNNING"),
    ("Succeeded", "FINISHED"),
    ("Failed", "FAILED"),
    ("Error", "FAILED"),
    ("OOMKilled", "KILLED"),
    ("Unknown", "UNKNOWN"),
    ("running", "UNKNOWN"),
    ("Terminating", "UNKNOWN"),
    (None, "UNKNOWN"),
]


@pytest.mark.parametrize(("phase", "expected"), PHASE_CASES)
def test_pod_phase_to_app_state(phase: str | None, expected: str) -> None:
    assert pod_phase_to_app_state(phase) == expected


OOM = {"terminated": {"exitCode": 137, "reason": "OOMKilled"}}
RUN = {"running": {}}
DONE = {"terminated": {"exitCode": 0, "reason": "Completed"}}
PULL = {"waiting": {"reason": "ImagePullBackOff"}}
CREATING = {"waiting": {"reason": "ContainerCreating"}}
DRV = "spark-kubernetes-driver"

# getApplicationStateAndErrorFromPod precedence, same file and commit: a terminal container
# state > a terminal pod state > the container state > the pod state.
PRECEDENCE_CASES = [
    # POD source (default) ignores containers entirely: a real OOM kill is FAILED, never KILLED.
    ("real OOM kill, POD", "Failed", [(DRV, OOM)], "POD", "FAILED"),
    ("phase OOMKilled never happens", "OOMKilled", [(DRV, OOM)], "POD", "KILLED"),
    ("POD ignores waiting reason", "Pending", [(DRV, PULL)], "POD", "PENDING"),
    ("POD running with dead driver", "Running", [(DRV, OOM), ("istio", RUN)], "POD", "RUNNING"),
    # CONTAINER source.
    (
        "terminal container beats live pod",
        "Running",
        [(DRV, OOM), ("istio", RUN)],
        "CONTAINER",
        "FAILED",
    ),
    ("terminal container beats terminal pod", "Succeeded", [(DRV, OOM)], "CONTAINER", "FAILED"),
    ("terminal pod beats live container", "Failed", [(DRV, RUN)], "CONTAINER", "FAILED"),
    (
        "container exit 0 in running pod",
        "Running",
        [(DRV, DONE), ("s", RUN)],
        "CONTAINER",
        "FINISHED",
    ),
    ("container beats live pod", "Pending", [(DRV, PULL)], "CONTAINER", "FAILED"),
    ("creating stays pending", "Pending", [(DRV, CREATING)], "CONTAINER", "PENDING"),
    (
        "name is case-insensitive",
        "Pending",
        [("Spark-Kubernetes-Driver", PULL)],
        "CONTAINER",
        "FAILED",
    ),
    ("source is case-insensitive", "Pending", [(DRV, PULL)], "container", "FAILED"),
    ("no such container: pod state", "Pending", [("main", PULL)], "CONTAINER", "PENDING"),
    ("non-terminal container vs unknown pod", "Unknown", [(DRV, RUN)], "CONTAINER", "RUNNING"),
]


@pytest.mark.parametrize(
    ("phase", "containers", "source", "expected"),
    [c[1:] for c in PRECEDENCE_CASES],
    ids=[c[0] for c in PRECEDENCE_CASES],
)
def test_kyuubi_app_state(
    phase: str, containers: list[tuple[str, dict[str, Any]]], source: str, expected: str
) -> None:
    assert kyuubi_app_state(_driver(phase, *containers), source) == expected


def test_custom_state_container() -> None:
    pod = _driver("Running", ("main", OOM), (DRV, RUN))
    assert kyuubi_app_state(pod, "CONTAINER") == "RUNNING"
    assert kyuubi_app_state(pod, "CONTAINER", container_name="MAIN") == "FAILED"


def test_bad_source_rejected() -> None:
    with pytest.raises(ValueError, match="POD or CONTAINER"):
        kyuubi_app_state(_driver("Running"), "SVC")


@pytest.mark.parametrize(
    ("state", "terminated"),
    [
        ("FINISHED", True),
        ("FAILED", True),
        ("KILLED", True),
        ("NOT_FOUND", True),
        ("PENDING", False),
        ("RUNNING", False),
        ("UNKNOWN", False),
        ("ZOMBIE", False),
    ],
)
def test_is_terminated(state: str, terminated: bool) -> None:
    assert is_terminated(state) is terminated
