"""Per-container termination reports over a Pod record.

The pod phase hides how containers ended (an OOM-killed driver is just "Failed"), so
the detail pane and the LAST TERMINATION column read each container's status instead:
its current state, its last termination, and what the exit codes mean.

Rules, with the upstream code they mirror:

* Init containers come first, then regular ones, each matched to its status by name;
  the first status of a name wins, as in kubernetes ``pkg/kubelet/container/runtime.go``
  ``FindContainerStatusByName``. A container without a status is state ``"unknown"``;
  a status whose container is not in the spec is still reported (after the spec's
  containers), because it still tells how something ended.
* An init container with ``restartPolicy: Always`` is a sidecar (kubernetes
  ``pkg/api/v1/pod/util.go`` ``IsRestartableInitContainer``).
* A container that never started has ``startedAt`` at the Unix epoch: the kubelet
  converts the CRI's zero nanoseconds with ``time.Unix(0, status.StartedAt)``
  (``pkg/kubelet/kuberuntime/kuberuntime_container.go`` @fbba6b47, containerd's
  ``StartError``). Such times, and timestamps without a zone (taken as UTC), are
  normalised so nothing here compares naive and aware datetimes or reports a
  55-year lifetime.
* A Spark pod carries the ``spark-role`` label or a container named
  ``spark-kubernetes-driver``/``spark-kubernetes-executor`` (apache/spark
  ``resource-managers/kubernetes/core/.../deploy/k8s/Constants.scala``). Only its Spark
  container decodes Spark exit codes: the one with one of those names, else the last
  regular container, because Spark appends its container after a pod template's
  others (``KubernetesClientApplication.scala`` ``addToContainers``,
  ``KubernetesUtils.selectSparkContainer``). Sidecars keep generic decoding.
* Everything is total: a missing or ``None`` field reads as unknown, never raises.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

import msgspec

from kubetui.model.exit_codes import ExitCodeMeaning, decode_exit_code, describe_termination
from kubetui.model.records import (
    Container,
    ContainerState,
    ContainerStatus,
    Pod,
    StateTerminated,
)

SPARK_ROLE_LABEL = "spark-role"
SPARK_CONTAINER_NAMES = frozenset({"spark-kubernetes-driver", "spark-kubernetes-executor"})

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class ContainerReport(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """How one container is and how it last ended; ``None`` everywhere means unknown."""

    name: str | None
    init: bool
    #: An init container with ``restartPolicy: Always`` (runs beside the main ones).
    sidecar: bool
    #: Exit codes were decoded with Spark's table (this is a Spark pod's Spark container).
    spark: bool
    #: ``"waiting"``, ``"running"``, ``"terminated"`` or ``"unknown"``.
    state: str
    reason: str | None = None
    message: str | None = None
    exit_code: int | None = None
    #: The status's ``signal`` field; the kubelet never sets it (read ``exit_meaning``).
    signal: int | None = None
    exit_meaning: ExitCodeMeaning | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    lived: timedelta | None = None
    restart_count: int | None = None
    last_reason: str | None = None
    last_exit_code: int | None = None
    last_exit_meaning: ExitCodeMeaning | None = None
    last_started_at: datetime | None = None
    last_finished_at: datetime | None = None
    last_lived: timedelta | None = None
    ready: bool | None = None

    @property
    def terminated_now(self) -> bool:
        return self.state == "terminated"

    @property
    def has_termination(self) -> bool:
        """It is terminated now, or its status remembers a previous termination."""
        return self.terminated_now or self.last_exit_meaning is not None

    @property
    def latest_finished_at(self) -> datetime | None:
        """When its latest termination ended: the current state's when terminated (always
        newer than the last state), else the last state's."""
        return self.finished_at if self.terminated_now else self.last_finished_at


def is_spark_pod(pod: Pod) -> bool:
    """A pod Spark created: it has the ``spark-role`` label or a Spark container name."""
    labels = pod.metadata.labels or {}
    if SPARK_ROLE_LABEL in labels:
        return True
    names = {c.name for c in pod.spec.containers}
    names.update(s.name for s in pod.status.container_statuses)
    return not SPARK_CONTAINER_NAMES.isdisjoint(names)


def container_terminations(pod: Pod) -> list[ContainerReport]:
    """One report per container, init containers first, each group in spec order.

    Statuses whose name is not in the spec follow their group, in status order.
    """
    spark_name = _spark_container_name(pod) if is_spark_pod(pod) else None
    reports: list[ContainerReport] = []
    for init, containers, statuses in (
        (True, pod.spec.init_containers, pod.status.init_container_statuses),
        (False, pod.spec.containers, pod.status.container_statuses),
    ):
        by_name = _first_by_name(statuses)
        entries = [(c.name, init and _is_sidecar(c)) for c in containers]
        in_spec = {name for name, _ in entries}
        entries += [(name, False) for name in by_name if name not in in_spec]
        for name, sidecar in entries:
            spark = not init and spark_name is not None and name == spark_name
            reports.append(
                _report(name, init=init, sidecar=sidecar, spark=spark, status=by_name.get(name))
            )
    return reports


def last_termination(pod: Pod) -> ContainerReport | None:
    """The container whose latest termination is the most recent, for LAST TERMINATION.

    A report's latest termination is its current state when terminated (always newer
    than its last state), else its last state. Terminations with a ``finishedAt`` win
    over those without (the kubelet's synthetic ``ContainerStatusUnknown`` has none);
    among equals the first container in pod order wins.
    """
    return latest_termination(container_terminations(pod))


def latest_termination(reports: Iterable[ContainerReport]) -> ContainerReport | None:
    """:func:`last_termination` over a pod's ``container_terminations`` already made: the
    triage report builds them once per pod for its rows, findings and this column (they
    were the costliest part of a 50k-pod report, built three times over)."""
    candidates = [r for r in reports if r.has_termination]
    if not candidates:
        return None
    return max(candidates, key=_recency)


def termination_line(report: ContainerReport) -> str:
    """The one-line description of a report's latest termination, or ``""`` if none."""
    if report.terminated_now:
        return describe_termination(report.reason, report.exit_code, report.spark)
    if report.last_exit_meaning is not None:
        return describe_termination(report.last_reason, report.last_exit_code, report.spark)
    return ""


# ---------------------------------------------------------------- internals


def _recency(report: ContainerReport) -> datetime:
    # Kept timestamps are all after the epoch, so an unknown time sorts below them.
    return report.latest_finished_at or _EPOCH


def _first_by_name(statuses: Iterable[ContainerStatus]) -> dict[str | None, ContainerStatus]:
    by_name: dict[str | None, ContainerStatus] = {}
    for status in statuses:
        by_name.setdefault(status.name, status)
    return by_name


def _is_sidecar(container: Container) -> bool:
    return container.restart_policy == "Always"


def _spark_container_name(pod: Pod) -> str | None:
    names = [c.name for c in pod.spec.containers]
    for name in names:
        if name in SPARK_CONTAINER_NAMES:
            return name
    if names:
        return names[-1]
    # No spec (a status-only record): only a Spark container name can be trusted.
    for status in pod.status.container_statuses:
        if status.name in SPARK_CONTAINER_NAMES:
            return status.name
    return None


class _Ended(NamedTuple):
    """The fields of one ``terminated`` state, normalised and decoded."""

    reason: str | None = None
    message: str | None = None
    exit_code: int | None = None
    signal: int | None = None
    meaning: ExitCodeMeaning | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    lived: timedelta | None = None


def _ended(terminated: StateTerminated | None, spark: bool) -> _Ended:
    if terminated is None:
        return _Ended()
    started = _moment(terminated.started_at)
    finished = _moment(terminated.finished_at)
    return _Ended(
        reason=terminated.reason,
        message=terminated.message,
        exit_code=terminated.exit_code,
        signal=terminated.signal,
        meaning=decode_exit_code(terminated.exit_code, spark=spark),
        started_at=started,
        finished_at=finished,
        lived=_lived(started, finished),
    )


def _report(
    name: str | None,
    *,
    init: bool,
    sidecar: bool,
    spark: bool,
    status: ContainerStatus | None,
) -> ContainerReport:
    if status is None:
        return ContainerReport(name=name, init=init, sidecar=sidecar, spark=spark, state="unknown")
    state = status.state or ContainerState()
    # Only one state is ever set by a kubelet; garbage with several reads in kubectl's
    # order (waiting, terminated, running: pkg/printers/internalversion/printers.go).
    waiting, running = state.waiting, state.running
    now = _ended(state.terminated if waiting is None else None, spark)
    before = _ended((status.last_state or ContainerState()).terminated, spark)
    started: datetime | None = None
    reason: str | None = None
    message: str | None = None
    if waiting is not None:
        kind, reason, message = "waiting", waiting.reason, waiting.message
    elif now.meaning is not None:
        kind, reason, message, started = "terminated", now.reason, now.message, now.started_at
    elif running is not None:
        kind, started = "running", _moment(running.started_at)
    else:
        kind = "unknown"
    return ContainerReport(
        name=name,
        init=init,
        sidecar=sidecar,
        spark=spark,
        state=kind,
        reason=reason,
        message=message,
        exit_code=now.exit_code,
        signal=now.signal,
        exit_meaning=now.meaning,
        started_at=started,
        finished_at=now.finished_at,
        lived=now.lived,
        restart_count=status.restart_count,
        last_reason=before.reason,
        last_exit_code=before.exit_code,
        last_exit_meaning=before.meaning,
        last_started_at=before.started_at,
        last_finished_at=before.finished_at,
        last_lived=before.lived,
        ready=status.ready,
    )


def _moment(value: datetime | None) -> datetime | None:
    """An aware timestamp, or ``None`` for a missing one or the never-started epoch."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value if value > _EPOCH else None


def _lived(started: datetime | None, finished: datetime | None) -> timedelta | None:
    if started is None or finished is None or finished < started:
        return None
    return finished - started
