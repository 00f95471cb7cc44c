"""The columns of ``kubectl get pods`` (``-o wide`` included), computed as the API server does.

``kubectl get pods`` prints a Table the API server builds with ``printPod`` in
kubernetes/kubernetes ``pkg/printers/internalversion/printers.go``. This module follows
that function branch for branch, in the same order, as read in michaelasp/kubernetes at
commit 212194ab8a9e (a fork tracking master; it includes kubernetes#124766, the
``errorReason`` fix that stops a failed container hiding behind "Completed"). Helpers
keep upstream's names: ``isRestartableInitContainer`` (``pkg/api/pod/util.go``),
``IsPodPhaseTerminal`` (``pkg/api/v1/pod/util.go``), ``hasPodReadyCondition``,
``isPodInitializedConditionTrue``.

Every record field may be ``None`` ("unknown"). Go has no such state: an absent JSON
field decodes to the zero value, so ``None`` reads here as ``""``, ``0``, ``False``, a nil
pointer, or the zero time, exactly as kubectl would see the same object. The function is
total: it never raises, whatever the record holds.

The IP column prints ``podIPs[0]`` as the API server does, falling back to ``podIP`` for
objects (files, old servers) that lack ``podIPs``. The Table row's ``conditions`` (see
:data:`COMPLETED_ROW_MESSAGES`) are the caller's.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from kubetui.model.durations import as_aware, translate_timestamp_since
from kubetui.model.records import Condition, Container, ContainerStatus, Pod

#: ``pkg/util/node``: the reason the node lifecycle controller sets on pods of a lost node.
NODE_UNREACHABLE_POD_REASON = "NodeLost"
#: ``k8s.io/api/core/v1``: PodScheduled's reason while spec.schedulingGates is non-empty.
POD_REASON_SCHEDULING_GATED = "SchedulingGated"
#: printers.go ``podSuccessConditions`` / ``podFailedConditions``: a Table row of a pod in
#: one of these phases carries ``{type: Completed, status: "True", reason: <phase>,
#: message: <this>}``.
COMPLETED_ROW_MESSAGES = {
    "Succeeded": "The pod has completed successfully.",
    "Failed": "The pod failed.",
}

_NONE = "<none>"


class PodColumns(NamedTuple):
    """One ``kubectl get pods -o wide`` row, as strings, plus the numbers behind RESTARTS."""

    name: str
    #: "ready/total"; sidecars (restartable init containers) count in the total.
    ready: str
    status: str
    #: The RESTARTS cell: "0", "3", or "3 (5m ago)".
    restarts: str
    #: The number kubectl sums into RESTARTS.
    restart_count: int
    #: When the most recent counted restart ended; ``None`` is Go's zero time.
    last_restart_at: datetime | None
    age: str
    ip: str
    node: str
    nominated_node: str
    readiness_gates: str


def is_restartable_init_container(container: Container | None) -> bool:
    """True for a sidecar: an init container with ``restartPolicy: Always``."""
    return container is not None and container.restart_policy == "Always"


def is_pod_phase_terminal(phase: str | None) -> bool:
    return phase == "Failed" or phase == "Succeeded"


def has_pod_ready_condition(conditions: tuple[Condition, ...]) -> bool:
    """Any ``Ready`` condition with status ``"True"``."""
    return any(c.type == "Ready" and c.status == "True" for c in conditions)


def is_pod_initialized_condition_true(conditions: tuple[Condition, ...]) -> bool:
    """The first ``Initialized`` condition decides; none at all means not initialized."""
    for c in conditions:
        if c.type == "Initialized":
            return c.status == "True"
    return False


def _later(current: datetime | None, candidate: datetime | None) -> datetime | None:
    """Go's ``if current.Before(&candidate) { current = candidate }`` with None as zero time."""
    if candidate is None:
        return current
    candidate = as_aware(candidate)
    if current is None or current < candidate:
        return candidate
    return current


def _last_termination_finished_at(cs: ContainerStatus) -> datetime | None:
    """``lastState.terminated.finishedAt``; ``None`` where any step is absent."""
    last_state = cs.last_state
    if last_state is None or last_state.terminated is None:
        return None
    return last_state.terminated.finished_at


def _readiness_gates(pod: Pod) -> str:
    gates = pod.spec.readiness_gates
    if not gates:
        return _NONE
    conditions = pod.status.conditions
    true_conditions = 0
    for gate in gates:
        wanted = gate.condition_type or ""
        for c in conditions:
            if (c.type or "") == wanted:
                if c.status == "True":
                    true_conditions += 1
                break
    return f"{true_conditions}/{len(gates)}"


def pod_columns(pod: Pod, now: datetime) -> PodColumns:
    """The row ``kubectl get pods -o wide`` prints for ``pod`` at time ``now``."""
    spec = pod.spec
    status = pod.status
    conditions = status.conditions
    restarts = 0
    restartable_init_restarts = 0
    total_containers = len(spec.containers)
    ready_containers = 0
    last_restart: datetime | None = None
    last_restartable_init_restart: datetime | None = None

    phase = status.phase or ""
    reason = status.reason or phase

    # If the Pod carries {type:PodScheduled, reason:SchedulingGated}, say so.
    for c in conditions:
        if c.type == "PodScheduled" and c.reason == POD_REASON_SCHEDULING_GATED:
            reason = POD_REASON_SCHEDULING_GATED

    init_specs = spec.init_containers
    for c in init_specs:
        if is_restartable_init_container(c):
            total_containers += 1

    initializing = False
    init_statuses = status.init_container_statuses
    if init_statuses:
        # Go's map[name]*Container: an unknown name finds nothing, a repeated one the last.
        by_name = {(c.name or ""): c for c in init_specs}
        for i, cs in enumerate(init_statuses):
            count = cs.restart_count or 0
            restarts += count
            finished = _last_termination_finished_at(cs)
            last_restart = _later(last_restart, finished)
            restartable = is_restartable_init_container(by_name.get(cs.name or ""))
            if restartable:
                restartable_init_restarts += count
                last_restartable_init_restart = _later(last_restartable_init_restart, finished)
            state = cs.state
            terminated = state.terminated if state else None
            waiting = state.waiting if state else None
            if terminated is not None and not terminated.exit_code:
                continue
            if restartable and cs.started:
                if cs.ready:
                    ready_containers += 1
                continue
            if terminated is not None:
                # Initialization failed.
                if terminated.reason:
                    reason = "Init:" + terminated.reason
                elif terminated.signal:
                    reason = f"Init:Signal:{terminated.signal}"
                else:
                    reason = f"Init:ExitCode:{terminated.exit_code or 0}"
            elif waiting is not None and waiting.reason and waiting.reason != "PodInitializing":
                reason = "Init:" + waiting.reason
            else:
                reason = f"Init:{i}/{len(init_specs)}"
            initializing = True
            break

    if not initializing or is_pod_initialized_condition_true(conditions):
        restarts = restartable_init_restarts
        last_restart = last_restartable_init_restart
        has_running = False
        error_reason = ""
        for cs in reversed(status.container_statuses):
            restarts += cs.restart_count or 0
            last_restart = _later(last_restart, _last_termination_finished_at(cs))
            state = cs.state
            waiting = state.waiting if state else None
            terminated = state.terminated if state else None
            if waiting is not None and waiting.reason:
                reason = waiting.reason
            elif terminated is not None:
                if terminated.reason:
                    reason = terminated.reason
                elif terminated.signal:
                    reason = f"Signal:{terminated.signal}"
                else:
                    reason = f"ExitCode:{terminated.exit_code or 0}"
                if terminated.exit_code:
                    error_reason = reason
            elif cs.ready and state is not None and state.running is not None:
                has_running = True
                ready_containers += 1

        # Back to "Running" if at least one container still reports running.
        if reason == "Completed":
            if has_running and has_pod_ready_condition(conditions):
                reason = "Running"
            elif error_reason:
                reason = error_reason
            elif has_running:
                reason = "NotReady"

    deleted = pod.metadata.deletion_timestamp is not None
    if deleted and status.reason == NODE_UNREACHABLE_POD_REASON:
        reason = "Unknown"
    elif deleted and not is_pod_phase_terminal(phase):
        reason = "Terminating"

    restarts_cell = str(restarts)
    if restarts != 0 and last_restart is not None:
        restarts_cell = f"{restarts} ({translate_timestamp_since(last_restart, now)} ago)"

    return PodColumns(
        name=pod.metadata.name or "",
        ready=f"{ready_containers}/{total_containers}",
        status=reason,
        restarts=restarts_cell,
        restart_count=restarts,
        last_restart_at=last_restart,
        age=translate_timestamp_since(pod.metadata.creation_timestamp, now),
        ip=(status.pod_ips[0].ip if status.pod_ips else status.pod_ip) or _NONE,
        node=spec.node_name or _NONE,
        nominated_node=status.nominated_node_name or _NONE,
        readiness_gates=_readiness_gates(pod),
    )
