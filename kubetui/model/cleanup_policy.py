"""Which failed pods a cleanup removes: the descheduler's RemoveFailedPods, as a pure function.

kubetui previews a cleanup and can export it as a descheduler policy
(``descheduler_yaml.py``), so the selection must be the one the descheduler would make.
It follows kubernetes-sigs/descheduler at commit 7d2b28bf2b6a12810317936d909af0270ff38fa3
(master, 2026-06-30, after v0.36.0):

* ``pkg/framework/plugins/removefailedpods/failedpods.go``: ``New`` (phase Failed, then the
  pod filter) and ``validateCanEvict`` (age, owner kinds, reasons, exit codes);
* ``.../removefailedpods/types.go``, ``validation.go``, ``defaults.go``: the arguments, their
  validation, and the 3600 s default of ``minPodLifetimeSeconds`` when it is absent;
* ``pkg/descheduler/pod/pods.go`` ``BuildFilterFunc``: namespaces include/exclude, labelSelector;
* ``pkg/framework/plugins/defaultevictor/defaultevictor.go`` ``Filter`` with its default
  protections, and ``pkg/utils/pod.go``, ``pkg/utils/priority.go``: the evictor rules every
  RemoveFailedPods eviction passes through.

Where kubetui differs, on purpose:

* exit code ranges (``129-255``) are a kubetui extension; the exported policy lists the codes;
* a pod without ``creationTimestamp`` is never old enough (upstream reads Go's zero time,
  which is always old enough), so an undatable pod is never removed;
* evictor rules that need fields the records do not keep are not applied: local storage
  (``volumes``; the exported policy disables that protection so both agree), and the
  mirror/static pod and ``descheduler.alpha.kubernetes.io/evict`` annotations (a mirror pod
  is recognised by its Node owner instead, which the kubelet sets);
* the descheduler only visits pods bound to Ready nodes; kubetui selects among the pods it
  is given, wherever they run.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

import msgspec

from kubetui.model.records import ContainerStatus, Pod, StateTerminated
from kubetui.model.selectors import SelectorError, parse_label_selector

#: ``ExitCodes []int32`` upstream; kubetui takes the non-negative part.
MAX_EXIT_CODE = 2**31 - 1
#: ``utils.SystemCriticalPriority``: pods at or above it are protected by the evictor.
SYSTEM_CRITICAL_PRIORITY = 2_000_000_000

_CODE_RE = re.compile(r"([0-9]+)(?:\s*-\s*([0-9]+))?")


class ExitCodeRange(msgspec.Struct, frozen=True):
    """Exit codes ``start`` to ``end``, both included; one code when they are equal."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if not 0 <= self.start <= self.end <= MAX_EXIT_CODE:
            raise ValueError(
                f"bad exit code range {self.start}-{self.end}: "
                f"need 0 <= start <= end <= {MAX_EXIT_CODE}"
            )

    def codes(self) -> range:
        """The codes as a range (``in`` is O(1) on it)."""
        return range(self.start, self.end + 1)

    def __str__(self) -> str:
        return str(self.start) if self.start == self.end else f"{self.start}-{self.end}"


def parse_exit_codes(text: str) -> tuple[ExitCodeRange, ...]:
    """``"137,143,129-255"`` → ranges, in the order given; ``""`` → none.

    Raises ValueError with a one-line message naming the bad part.
    """
    if not text.strip():
        return ()
    ranges: list[ExitCodeRange] = []
    for part in text.split(","):
        match = _CODE_RE.fullmatch(part.strip())
        if match is None:
            raise ValueError(
                f"bad exit code {part.strip()!r} in {text!r}: expected N or N-M, "
                "comma-separated, e.g. 137,143,129-255"
            )
        start = int(match.group(1))
        ranges.append(ExitCodeRange(start, int(match.group(2) or start)))
    return tuple(ranges)


def format_exit_codes(ranges: Iterable[ExitCodeRange]) -> str:
    """The text :func:`parse_exit_codes` reads back into the same ranges."""
    return ",".join(str(r) for r in ranges)


class CleanupPolicy(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """RemoveFailedPods arguments (``RemoveFailedPodsArgs``) plus two kubetui choices.

    Empty ``reasons`` / ``exit_codes`` do not filter. ``min_pod_lifetime_seconds=None``
    means no minimum (the exported policy writes 0, since the descheduler defaults an
    absent value to 3600). ``include_bare_pods`` turns off the evictor's FailedBarePods
    protection, as Spark driver pods have no owner; upstream protects them by default.
    """

    reasons: tuple[str, ...] = ()
    exit_codes: tuple[ExitCodeRange, ...] = ()
    include_init_containers: bool = False
    min_pod_lifetime_seconds: int | None = None
    exclude_owner_kinds: tuple[str, ...] = ()
    namespaces_include: tuple[str, ...] = ()
    namespaces_exclude: tuple[str, ...] = ()
    label_selector: str | None = None
    include_bare_pods: bool = False

    def __post_init__(self) -> None:
        # validation.go ValidateRemoveFailedPodsArgs; a negative age is what Go's uint rejects.
        errors: list[str] = []
        if self.namespaces_include and self.namespaces_exclude:
            errors.append("only one of Include/Exclude namespaces can be set")
        if self.min_pod_lifetime_seconds is not None and self.min_pod_lifetime_seconds < 0:
            errors.append(
                f"minPodLifetimeSeconds must not be negative, got {self.min_pod_lifetime_seconds}"
            )
        if self.label_selector:
            try:
                parse_label_selector(self.label_selector)
            except SelectorError as err:
                errors.append(f"bad labelSelector {self.label_selector!r}: {err}")
        if errors:
            raise ValueError("; ".join(errors))


class Selection(msgspec.Struct, frozen=True):
    """A pod the policy removes, and one line saying which status made it match."""

    pod: Pod
    reason: str


def select_failed_pods(
    pods: Iterable[Pod], policy: CleanupPolicy, now: datetime
) -> list[Selection]:
    """The pods RemoveFailedPods would evict under ``policy`` at ``now``, in input order.

    Total: any field may be None. ``now`` without a timezone is taken as UTC.
    """
    selector = parse_label_selector(policy.label_selector or "")
    include = frozenset(policy.namespaces_include)
    exclude = frozenset(policy.namespaces_exclude)
    excluded_kinds = frozenset(policy.exclude_owner_kinds)
    # Upstream collects only non-empty status reasons, so "" in ``reasons`` matches nothing.
    reasons = frozenset(policy.reasons) - {""}
    now = _as_utc(now)
    selected: list[Selection] = []
    for pod in pods:
        meta = pod.metadata
        if pod.status.phase != "Failed":
            continue
        namespace = meta.namespace or ""
        if (include and namespace not in include) or namespace in exclude:
            continue
        if not selector.matches(meta.labels):
            continue
        owner_kinds = {owner.kind for owner in meta.owner_references}
        if not _evictor_allows(pod, owner_kinds, policy.include_bare_pods):
            continue
        if not _old_enough(pod, policy.min_pod_lifetime_seconds, now):
            continue
        if owner_kinds & excluded_kinds:
            continue
        reason = _matching_status(pod, policy, reasons)
        if reason is not None:
            selected.append(Selection(pod, reason))
    return selected


def select_by_any(
    pods: Iterable[Pod], policies: Sequence[CleanupPolicy], now: datetime
) -> list[Selection]:
    """Pods any of ``policies`` selects, each once with the first matching policy's reason
    (a cleanup preset: RemoveFailedPods ANDs its filters, so an OR is several policies)."""
    pods = list(pods)
    chosen: dict[str, Selection] = {}
    for policy in policies:
        for selection in select_failed_pods(pods, policy, now):
            chosen.setdefault(selection.pod.metadata.uid or "", selection)
    return list(chosen.values())


def _as_utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _evictor_allows(pod: Pod, owner_kinds: set[str | None], include_bare_pods: bool) -> bool:
    """DefaultEvictor.Filter with its default protections, for a pod already Failed."""
    if pod.metadata.deletion_timestamp is not None:  # IsPodTerminating
        return False
    if not owner_kinds and not include_bare_pods:  # FailedBarePods
        return False
    if "DaemonSet" in owner_kinds:  # DaemonSetPods
        return False
    if "Node" in owner_kinds:  # IsMirrorPod: the kubelet makes the Node own a mirror pod
        return False
    priority = pod.spec.priority  # SystemCriticalPods: IsCriticalPriorityPod
    return priority is None or priority < SYSTEM_CRITICAL_PRIORITY


def _old_enough(pod: Pod, min_seconds: int | None, now: datetime) -> bool:
    """validateCanEvict's age check: whole seconds since creationTimestamp (not startTime)."""
    if min_seconds is None:
        return True
    created = pod.metadata.creation_timestamp
    if created is None:
        return False
    age = max(0, int((now - _as_utc(created)).total_seconds()))
    return age >= min_seconds


def _statuses(pod: Pod, include_init: bool) -> list[tuple[str, ContainerStatus]]:
    found = [("container", s) for s in pod.status.container_statuses]
    if include_init:
        found += [("init container", s) for s in pod.status.init_container_statuses]
    return found


def _waiting(kind: str, status: ContainerStatus, reason: str | None) -> str:
    return f"{kind} {status.name or '?'} waiting {reason or '?'}"


def _terminated(kind: str, status: ContainerStatus, term: StateTerminated) -> str:
    words = [kind, status.name or "?", "terminated"]
    if term.reason:
        words.append(term.reason)
    if term.exit_code is not None:
        words += ["exit", str(term.exit_code)]
    return " ".join(words)


def _status_reason(kind: str, status: ContainerStatus, reasons: frozenset[str]) -> str | None:
    state = status.state
    if state is None:
        return None
    if state.waiting is not None and state.waiting.reason in reasons:
        return _waiting(kind, status, state.waiting.reason)
    if state.terminated is not None and state.terminated.reason in reasons:
        return _terminated(kind, status, state.terminated)
    return None


def _reason_match(pod: Pod, include_init: bool, reasons: frozenset[str]) -> str | None:
    """getFailedContainerStatusReasons: current waiting and terminated reasons, then the
    pod's own status.reason, then init containers when asked; the first match wins."""
    for status in pod.status.container_statuses:
        if hit := _status_reason("container", status, reasons):
            return hit
    if pod.status.reason in reasons:
        return f"pod reason {pod.status.reason}"
    if include_init:
        for status in pod.status.init_container_statuses:
            if hit := _status_reason("init container", status, reasons):
                return hit
    return None


def _exit_code_match(pod: Pod, policy: CleanupPolicy) -> str | None:
    """getFailedContainerStatusExitCodes: only the current terminated state counts."""
    for kind, status in _statuses(pod, policy.include_init_containers):
        term = status.state.terminated if status.state is not None else None
        if term is None or term.exit_code is None:
            continue
        if any(term.exit_code in r.codes() for r in policy.exit_codes):
            return _terminated(kind, status, term)
    return None


def _failure_summary(pod: Pod, include_init: bool) -> str:
    """Why a pod matched when no reason or exit code was asked for: it is Failed, and the
    most telling status is shown: the pod's reason, else a non-zero exit, else any state."""
    if pod.status.reason:
        return f"phase Failed, pod reason {pod.status.reason}"
    statuses = _statuses(pod, include_init)
    terminated = [
        (kind, s, s.state.terminated)
        for kind, s in statuses
        if s.state is not None and s.state.terminated is not None
    ]
    for kind, status, term in terminated:
        if term.exit_code:
            return "phase Failed, " + _terminated(kind, status, term)
    if terminated:
        return "phase Failed, " + _terminated(*terminated[0])
    for kind, status in statuses:
        if status.state is not None and status.state.waiting is not None:
            return "phase Failed, " + _waiting(kind, status, status.state.waiting.reason)
    return "phase Failed"


def _matching_status(pod: Pod, policy: CleanupPolicy, reasons: frozenset[str]) -> str | None:
    """validateCanEvict's reasons and exitCodes checks (each applies only when set, both
    must hold); the line names what matched, or None when the pod does not match."""
    if not policy.reasons and not policy.exit_codes:
        return _failure_summary(pod, policy.include_init_containers)
    parts: list[str] = []
    if policy.reasons:
        by_reason = _reason_match(pod, policy.include_init_containers, reasons)
        if by_reason is None:
            return None
        parts.append(by_reason)
    if policy.exit_codes:
        by_code = _exit_code_match(pod, policy)
        if by_code is None:
            return None
        if by_code not in parts:
            parts.append(by_code)
    return "; ".join(parts)
