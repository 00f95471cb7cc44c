"""Kyuubi's own driver pod → ApplicationState mapping, reproduced rule for rule.

kubetui shows two states per engine: the one the pods prove (``engines.py``) and the one
Kyuubi derives from the same driver pod (this module), so the operator can see where they
disagree. The classic case: a driver whose container was OOM-killed has pod phase
``Failed``; Kyuubi's ``OOMKilled → KILLED`` rule (#6720 / PR #6721, 1.9.3 and 1.10.0)
reads ``status.phase``, which Kubernetes never sets to ``OOMKilled`` (the word lives in the
container's ``terminated.reason``), so Kyuubi reports FAILED at best and never sees the
OOM kill.

Mirrors apache/kyuubi master @ cfbbeec429db0115ce42fbaf91f13c6eb9092762,
``kyuubi-server/src/main/scala/org/apache/kyuubi/engine/KubernetesApplicationOperation.scala``
(``getApplicationStateAndErrorFromPod``, ``containerStateToApplicationState``,
``podStateToApplicationState``) and ``engine/ApplicationOperation.scala``
(``object ApplicationState``). Config defaults from ``kyuubi-common/.../KyuubiConf.scala``:
``kyuubi.kubernetes.application.state.source`` = POD (1.8.1+) and
``kyuubi.kubernetes.application.state.container`` = ``spark-kubernetes-driver``.

Not modelled: Kyuubi's DELETE-event rule (a pod deleted while non-terminal → FAILED,
``Pod <name> is deleted``, 1.11.0+), because kubetui maps only pods that still exist.
"""

from __future__ import annotations

from typing import Final, Literal

from kubetui.model.records import ContainerState, Pod

#: ``org.apache.kyuubi.engine.ApplicationState`` values, in Kyuubi's declaration order.
PENDING: Final = "PENDING"
RUNNING: Final = "RUNNING"
FINISHED: Final = "FINISHED"
KILLED: Final = "KILLED"
FAILED: Final = "FAILED"
ZOMBIE: Final = "ZOMBIE"
NOT_FOUND: Final = "NOT_FOUND"
UNKNOWN: Final = "UNKNOWN"
APPLICATION_STATES: Final = (PENDING, RUNNING, FINISHED, KILLED, FAILED, ZOMBIE, NOT_FOUND, UNKNOWN)

#: ``ApplicationState.isTerminated``.
TERMINATED_STATES: Final = frozenset({FAILED, KILLED, FINISHED, NOT_FOUND})

StateSource = Literal["POD", "CONTAINER"]
DEFAULT_STATE_CONTAINER: Final = "spark-kubernetes-driver"

#: ``PENDING_WAITING_REASONS``: the only waiting reasons Kyuubi still calls PENDING (#7214,
#: 1.11.0+); any other non-blank reason (ImagePullBackOff, CrashLoopBackOff, …) is FAILED.
_PENDING_WAITING_REASONS: Final = frozenset({"ContainerCreating", "PodInitializing"})

#: ``podStateToApplicationState``. "OOMKilled" is not a phase Kubernetes ever sets.
_PHASE_TO_STATE: Final = {
    "Pending": PENDING,
    "Running": RUNNING,
    "Succeeded": FINISHED,
    "Failed": FAILED,
    "Error": FAILED,
    "OOMKilled": KILLED,
    "Unknown": UNKNOWN,
}


def is_terminated(state: str) -> bool:
    """``ApplicationState.isTerminated``: Kyuubi stops waiting for these apps."""
    return state in TERMINATED_STATES


def pod_phase_to_app_state(phase: str | None) -> str:
    """Kyuubi's ``podStateToApplicationState`` on ``status.phase``; anything else → UNKNOWN."""
    return _PHASE_TO_STATE.get(phase or "", UNKNOWN)


def container_state_to_app_state(state: ContainerState | None) -> str:
    """Kyuubi's ``containerStateToApplicationState`` (as of #7214, 1.11.0).

    A status without any state reads as UNKNOWN (Kyuubi would pass ``null`` on and fail;
    an empty state is the nearest defined case).
    """
    if state is None:
        return UNKNOWN
    if state.waiting is not None:
        reason = (state.waiting.reason or "").strip()
        return PENDING if not reason or reason in _PENDING_WAITING_REASONS else FAILED
    if state.running is not None:
        return RUNNING
    if state.terminated is None:
        return UNKNOWN
    return FINISHED if state.terminated.exit_code == 0 else FAILED


def kyuubi_app_state(
    driver: Pod,
    source: StateSource | str = "POD",
    container_name: str = DEFAULT_STATE_CONTAINER,
) -> str:
    """What Kyuubi would report for this driver pod (ADD/UPDATE events).

    ``source`` is ``kyuubi.kubernetes.application.state.source`` (POD or CONTAINER, any
    case), ``container_name`` is ``kyuubi.kubernetes.application.state.container``
    (matched case-insensitively against ``status.containerStatuses`` only). Precedence, as
    in ``getApplicationStateAndErrorFromPod``: a terminal container state (the Spark
    container ended while a sidecar keeps the pod alive) > a terminal pod state >
    the container state > the pod state.
    """
    mode = source.upper()
    if mode not in ("POD", "CONTAINER"):
        raise ValueError(f"state source must be POD or CONTAINER, not {source!r}")
    pod_state = pod_phase_to_app_state(driver.status.phase)
    container_state: str | None = None
    if mode == "CONTAINER":
        wanted = container_name.lower()
        for status in driver.status.container_statuses:
            if (status.name or "").lower() == wanted:
                container_state = container_state_to_app_state(status.state)
                break
    if container_state is not None and is_terminated(container_state):
        return container_state
    if is_terminated(pod_state):
        return pod_state
    return container_state if container_state is not None else pod_state
