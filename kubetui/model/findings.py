"""Findings: the facts an on-call operator is paged about, each with its evidence.

Pure functions over records (no I/O, no clock: ``now`` is a parameter), so a finding can
be reproduced from a dump file and tested with tables of cases. Each ``Finding`` says one
thing about one object, in one readable line with the numbers, plus the fields that
prove it. The kinds, from the incidents of the demo cluster (README.md):

* ``oom_killed`` — a container (init ones too) terminated ``OOMKilled``, now or in its
  last state: what Kyuubi maps to FAILED/UNKNOWN because it reads only the pod phase.
* ``crash_loop`` — a container waiting in ``CrashLoopBackOff``, or restarted at least
  ``crash_loop_min_restarts`` times with a non-zero last exit.
* ``zombie_engine_pod`` — a pod (not yet being deleted) of an engine that ended more than
  ``zombie_grace`` ago, whose driver is gone, or which the engine metadata does not know.
* ``stuck_terminating`` — ``deletionTimestamp`` more than ``stuck_terminating_margin``
  in the past. The API server sets ``deletionTimestamp`` to the request time *plus* the
  grace period (kubernetes/apiserver ``pkg/registry/rest/delete.go`` ``BeforeDelete``, the
  pod's grace from kubernetes/kubernetes ``pkg/registry/core/pod/strategy.go``), so it is
  already the deadline: no grace is added again.
* ``orphaned`` — ``spec.nodeName`` names a node that does not exist (only when the node
  list is known).
* ``failed_lingering`` — phase Failed for longer than ``failed_lingering_after``.
* ``hot_loop`` — an object rewritten far more often than its peers (``find_hot_loops``).

The kinds are independent facts: an evicted driver pod left for hours can be both a
zombie engine pod and a lingering failed pod, and is reported as both.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Final, NamedTuple

import msgspec

from kubetui.model.durations import as_aware, human_duration
from kubetui.model.engines import (
    OOM_KILLED,
    Engine,
    engine_state_from_pods,
    group_engines,
    pod_finished_at,
)
from kubetui.model.exit_codes import describe_termination
from kubetui.model.kyuubi_state import FAILED, FINISHED, KILLED, NOT_FOUND
from kubetui.model.records import Node, Pod
from kubetui.model.terminations import ContainerReport, container_terminations

KINDS: Final = (
    "oom_killed",
    "crash_loop",
    "zombie_engine_pod",
    "stuck_terminating",
    "orphaned",
    "failed_lingering",
    "hot_loop",
)
#: One severity per kind, so the same fact never changes colour between refreshes.
SEVERITY: Final = {
    "oom_killed": "critical",
    "crash_loop": "critical",
    "zombie_engine_pod": "warning",
    "stuck_terminating": "warning",
    "orphaned": "warning",
    "failed_lingering": "warning",
    "hot_loop": "warning",
}
_SEVERITY_RANK: Final = {"critical": 0, "warning": 1}

Evidence = dict[str, str | int | float | None]


class Finding(msgspec.Struct, frozen=True, kw_only=True):
    """One fact about one object: what, where, a one-line summary, and the proof."""

    kind: str
    namespace: str | None
    name: str | None
    summary: str
    evidence: Evidence
    severity: str
    uid: str | None = None


class Thresholds(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Tunable limits of the findings; durations in seconds, rates in updates per minute."""

    #: How far past ``deletionTimestamp`` (which already includes the grace) a pod may be.
    stuck_terminating_margin: float = 60.0
    #: How long a Failed pod may stay before it counts as lingering.
    failed_lingering_after: float = 3600.0
    crash_loop_min_restarts: int = 3
    #: An object is hot at this multiple of its peers' median rate …
    hot_loop_factor: float = 10.0
    #: … and never below this rate (once a minute is normal for many controllers).
    hot_loop_min_rate: float = 1.0
    #: Fewer peers than this make a median meaningless; ``hot_loop_alone_rate`` applies.
    hot_loop_min_peers: int = 3
    #: Absolute rate for objects without enough peers: every 10 s. The Kubero operator
    #: incident reconciled every 5–8 s (7.5–12/min) against an intended 1–5 min.
    hot_loop_alone_rate: float = 6.0
    #: How long an ended engine's pods may remain; Kyuubi's own retain period,
    #: ``kyuubi.kubernetes.terminatedApplicationRetainPeriod`` = PT5M (apache/kyuubi
    #: master @ cfbbeec4, ``kyuubi-common/.../config/KyuubiConf.scala``), after which it
    #: deletes the driver pod when ``cleanupTerminatedDriverPod.kind`` is not NONE.
    zombie_grace: float = 300.0


class ObjectRate(msgspec.Struct, frozen=True, kw_only=True):
    """How often one object was rewritten over a watch window (fed by the churn watch)."""

    kind: str
    namespace: str | None
    name: str | None
    uid: str | None
    updates_per_minute: float
    #: ``managedFields`` manager names seen writing it, the best evidence of who loops.
    managers: tuple[str, ...] = ()
    window_seconds: float = 0.0


# ------------------------------------------------------------------ helpers


def _iso(ts: datetime | None) -> str | None:
    """RFC 3339 in UTC, as the API writes timestamps."""
    return None if ts is None else as_aware(ts).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _ago(now: datetime, ts: datetime | None) -> str:
    """``" 4m ago"`` (leading space) or ``""`` when the time is unknown."""
    return "" if ts is None else f" {human_duration(now - as_aware(ts))} ago"


def _finding(kind: str, pod: Pod, summary: str, evidence: Evidence) -> Finding:
    return Finding(
        kind=kind,
        namespace=pod.metadata.namespace,
        name=pod.metadata.name,
        summary=summary,
        evidence=evidence,
        severity=SEVERITY[kind],
        uid=pod.metadata.uid,
    )


def _per_min(rate: float) -> str:
    """A rate for a summary: one decimal, two below 1/min (``"12.0"``, ``"0.25"``)."""
    return f"{rate:.1f}" if rate >= 1 else f"{rate:.2f}"


def _sort_key(f: Finding) -> tuple[int, int, str, str, str]:
    return (
        _SEVERITY_RANK[f.severity],
        KINDS.index(f.kind),
        f.namespace or "",
        f.name or "",
        f.summary,
    )


def _memory_limit(pod: Pod, container: str | None) -> str | None:
    for c in (*pod.spec.init_containers, *pod.spec.containers):
        if c.name == container and c.resources is not None and c.resources.limits:
            limit = c.resources.limits.get("memory")
            return None if limit is None else str(limit)
    return None


# ------------------------------------------------------------------ per-container findings


def _container_type(r: ContainerReport) -> str:
    return "sidecar" if r.sidecar else "init" if r.init else "regular"


def _oom_kill(r: ContainerReport) -> tuple[int | None, datetime | None, str] | None:
    """(exit code, finishedAt, ``"current"``/``"last"``) of the container's OOM kill."""
    if r.terminated_now and r.reason == OOM_KILLED:
        return r.exit_code, r.finished_at, "current"
    if r.last_reason == OOM_KILLED:
        return r.last_exit_code, r.last_finished_at, "last"
    return None


def _oom_killed(pod: Pod, r: ContainerReport, now: datetime) -> Finding | None:
    if (kill := _oom_kill(r)) is None:
        return None
    code, finished, which = kill
    # An unknown name or restart count reads "?", never "None" or a made-up 0 (found by
    # tests/ui/test_hostile_pipeline_ui.py); the evidence keeps None.
    restarts = r.restart_count
    limit = _memory_limit(pod, r.name)
    summary = (
        f"container {r.name or '?'} OOMKilled (exit {'?' if code is None else code})"
        f"{_ago(now, finished)}{' before its last restart' if which == 'last' else ''}, "
        f"restarts {'?' if restarts is None else restarts}"
        + (f", memory limit {limit}" if limit else "")
    )
    return _finding(
        "oom_killed",
        pod,
        summary,
        {
            "container": r.name,
            "container_type": _container_type(r),
            "state": which,
            "exit_code": code,
            "finished_at": _iso(finished),
            "restarts": restarts,
            "memory_limit": limit,
        },
    )


def _in_backoff(r: ContainerReport) -> bool:
    return r.state == "waiting" and r.reason == "CrashLoopBackOff"


def _crash_looping(r: ContainerReport, th: Thresholds) -> bool:
    failing = r.last_exit_code is not None and r.last_exit_code != 0
    return _in_backoff(r) or ((r.restart_count or 0) >= th.crash_loop_min_restarts and failing)


def _crash_loop(pod: Pod, r: ContainerReport, now: datetime, th: Thresholds) -> Finding | None:
    if not _crash_looping(r, th):
        return None
    restarts = r.restart_count  # unknown stays unknown, as in _oom_killed
    backoff = _in_backoff(r)
    head = f"container {r.name or '?'} " + ("in CrashLoopBackOff" if backoff else "restarting")
    last = ""
    if r.last_exit_code is not None or r.last_reason:
        line = describe_termination(r.last_reason, r.last_exit_code, r.spark)
        last = f", last exit {line}{_ago(now, r.last_finished_at)}"
    return _finding(
        "crash_loop",
        pod,
        f"{head}, restarts {'?' if restarts is None else restarts}{last}",
        {
            "container": r.name,
            "container_type": _container_type(r),
            "restarts": restarts,
            "waiting_reason": r.reason if r.state == "waiting" else None,
            "last_reason": r.last_reason,
            "last_exit_code": r.last_exit_code,
            "last_finished_at": _iso(r.last_finished_at),
        },
    )


# ------------------------------------------------------------------ per-pod findings


def _stuck_terminating(pod: Pod, now: datetime, th: Thresholds) -> Finding | None:
    deadline = pod.metadata.deletion_timestamp
    if deadline is None:
        return None
    overdue = now - as_aware(deadline)
    if overdue <= timedelta(seconds=th.stuck_terminating_margin):
        return None
    finalizers = ", ".join(pod.metadata.finalizers) or None
    grace = pod.metadata.deletion_grace_period_seconds
    summary = (
        f"Terminating {human_duration(overdue)} past its deadline"
        f" (grace {'?' if grace is None else grace}s)"
        + (f", finalizers: {finalizers}" if finalizers else ", no finalizers")
        + (f", node {pod.spec.node_name}" if pod.spec.node_name else ", no node")
    )
    return _finding(
        "stuck_terminating",
        pod,
        summary,
        {
            "deletion_timestamp": _iso(deadline),
            "deletion_grace_period_seconds": grace,
            "overdue_seconds": int(overdue.total_seconds()),
            "finalizers": finalizers,
            "node": pod.spec.node_name,
            "phase": pod.status.phase,
        },
    )


def _orphaned(pod: Pod, node_names: set[str] | None) -> Finding | None:
    node = pod.spec.node_name
    if node_names is None or not node or node in node_names:
        return None
    return _finding(
        "orphaned",
        pod,
        f"bound to node {node}, which no longer exists (phase {pod.status.phase or '?'})",
        {"node": node, "phase": pod.status.phase},
    )


def _failed_lingering(pod: Pod, facts: PodFacts, now: datetime, th: Thresholds) -> Finding | None:
    if not facts.failed:
        return None
    finished = facts.finished_at
    since = finished or pod.metadata.creation_timestamp
    if since is None:
        return None
    age = now - as_aware(since)
    if age <= timedelta(seconds=th.failed_lingering_after):
        return None
    why = facts.failed_reason
    what = "finished" if finished is not None else "created"
    summary = f"Failed{f' ({why})' if why else ''}, {what} {human_duration(age)} ago, still present"
    return _finding(
        "failed_lingering",
        pod,
        summary,
        {
            "reason": why,
            "since": what,
            "since_time": _iso(since),
            "age_seconds": int(age.total_seconds()),
        },
    )


# ------------------------------------------------------------------ engine findings


def _ended_long_ago(engine: Engine, now: datetime, grace: timedelta) -> bool:
    ended = engine.ended_at
    return (
        engine.state in (FINISHED, FAILED, KILLED)
        and ended is not None
        and now - as_aware(ended) > grace
    )


def _unknown_to_metadata(engine: Engine, known: set[str] | None) -> bool:
    return (
        known is not None
        and engine.kyuubi_tag is not None
        and not {engine.id, engine.app_id, engine.kyuubi_tag} & known
    )


def oldest_live_pod(engine: Engine) -> datetime | None:
    """Creation time of the engine's oldest pod not being deleted (``None``: no such pod
    with a known creation time): the first that can become a ``driver_gone`` or
    ``unknown_to_metadata`` zombie. Clock-free, so it can be kept with the engine."""
    times = [
        as_aware(p.metadata.creation_timestamp)
        for p in engine.pods
        if p.metadata.deletion_timestamp is None and p.metadata.creation_timestamp is not None
    ]
    return min(times, default=None)


def may_have_zombies(
    engine: Engine,
    oldest: datetime | None,
    now: datetime,
    th: Thresholds,
    known: set[str] | None,
) -> bool:
    """A cheap pre-check of ``zombie_findings`` for one engine, ``oldest`` being its
    ``oldest_live_pod``: ``False`` only when it would find nothing. Lets a caller that
    keeps engines between runs skip the per-pod work of the engines with no zombies."""
    grace = timedelta(seconds=th.zombie_grace)
    if _ended_long_ago(engine, now, grace):
        return True
    if oldest is None or now - oldest <= grace:
        return False
    return engine.state == NOT_FOUND or _unknown_to_metadata(engine, known)


def _zombies(
    engine: Engine, now: datetime, th: Thresholds, known: set[str] | None
) -> list[tuple[Pod, str, Evidence]]:
    """(pod, summary, evidence) for each leftover pod of ``engine``."""
    grace = timedelta(seconds=th.zombie_grace)
    ended = engine.ended_at
    ended_long_ago = _ended_long_ago(engine, now, grace)
    unknown = _unknown_to_metadata(engine, known)
    state = engine.state + (f": {engine.reason}" if engine.reason else "")
    out: list[tuple[Pod, str, Evidence]] = []
    for pod in engine.pods:
        if pod.metadata.deletion_timestamp is not None:
            continue
        role = "driver" if pod is engine.driver else "executor"
        phase = pod.status.phase or "?"
        created = pod.metadata.creation_timestamp
        old_enough = created is not None and now - as_aware(created) > grace
        if ended_long_ago:
            cause = "ended"
            summary = (
                f"{role} pod ({phase}) still present {human_duration(now - as_aware(ended))}"
                f" after engine {engine.id} ended ({state})"
            )
        elif engine.state == NOT_FOUND and old_enough:
            cause = "driver_gone"
            summary = f"{role} pod ({phase}) of engine {engine.id} whose driver pod is gone"
        elif unknown and old_enough:
            cause = "unknown_to_metadata"
            summary = f"{role} pod ({phase}) of engine {engine.id}, which Kyuubi does not know"
        else:
            continue
        if created is not None and cause != "ended":
            summary += f", age {human_duration(now - as_aware(created))}"
        out.append(
            (
                pod,
                summary,
                {
                    "cause": cause,
                    "engine_id": engine.id,
                    "app_id": engine.app_id,
                    "role": role,
                    "phase": pod.status.phase,
                    "engine_state": engine.state,
                    "engine_reason": engine.reason,
                    "ended_at": _iso(ended),
                    "created_at": _iso(created),
                },
            )
        )
    return out


def zombie_findings(
    engine: Engine, now: datetime, th: Thresholds, known: set[str] | None
) -> list[Finding]:
    """The ``zombie_engine_pod`` findings of one engine, in its pod order."""
    return [
        _finding("zombie_engine_pod", pod, summary, evidence)
        for pod, summary, evidence in _zombies(engine, now, th, known)
    ]


# ------------------------------------------------------------------ clock-free part


class PodFacts(NamedTuple):
    """What the pod findings need from one pod record whatever the clock, the node list
    and the engines say. Records are immutable, so a caller may keep these per record
    (``analysis_cache.Analyser``) and only run the cheap checks at ``now``."""

    #: Containers OOM-killed or crash-looping (their findings only need ``now``).
    reports: tuple[ContainerReport, ...]
    #: Phase Failed and not being deleted: a ``failed_lingering`` candidate.
    failed: bool
    #: ``pod_finished_at`` of a failed pod, else ``None``.
    finished_at: datetime | None
    #: Why a failed pod failed (``engine_state_from_pods``' reason), else ``None``.
    failed_reason: str | None

    def timed(self, pod: Pod) -> bool:
        """Whether anything but ``orphaned`` may be found for ``pod`` at some time."""
        return bool(self.reports) or self.failed or pod.metadata.deletion_timestamp is not None


#: The facts of nearly every pod (no finding can come from it at any time), one object:
#: 50k equal tuples held ~3.6 MB; the dashboard's ``Analyser`` keeps facts only for the
#: other pods and takes this one for the rest.
NOTHING_TO_FIND: Final = PodFacts((), False, None, None)


def pod_facts(
    pod: Pod, th: Thresholds, reports: Iterable[ContainerReport] | None = None
) -> PodFacts:
    """The clock-free part of ``find_pod_findings`` for one pod (the costly part:
    ``container_terminations``, which a caller that has them already passes as
    ``reports``)."""
    if reports is None:
        reports = container_terminations(pod)
    reports = tuple(r for r in reports if _oom_kill(r) is not None or _crash_looping(r, th))
    failed = pod.status.phase == "Failed" and pod.metadata.deletion_timestamp is None
    if not failed:
        return PodFacts(reports, False, None, None) if reports else NOTHING_TO_FIND
    return PodFacts(reports, True, pod_finished_at(pod), engine_state_from_pods(pod)[1])


def pod_findings_at(
    pod: Pod, facts: PodFacts, now: datetime, th: Thresholds, node_names: set[str] | None
) -> list[Finding]:
    """The findings of one pod at ``now`` (aware), from its ``pod_facts``; containers first,
    each OOM kill before its crash loop, then stuck, orphaned, lingering."""
    found: list[Finding] = []
    for report in facts.reports:
        found += filter(None, (_oom_killed(pod, report, now), _crash_loop(pod, report, now, th)))
    found += filter(
        None,
        (
            _stuck_terminating(pod, now, th),
            _orphaned(pod, node_names),
            _failed_lingering(pod, facts, now, th),
        ),
    )
    return found


def node_name_set(nodes: Iterable[Node] | None) -> set[str] | None:
    return None if nodes is None else {n.metadata.name or "" for n in nodes}


def sort_findings(found: list[Finding]) -> None:
    """In place: most severe first, then by kind, namespace, name, summary."""
    found.sort(key=_sort_key)


# ------------------------------------------------------------------ public API


def find_pod_findings(
    pods: Iterable[Pod],
    nodes: Iterable[Node] | None,
    engines: Iterable[Engine] | None,
    now: datetime,
    thresholds: Thresholds | None = None,
    known_engine_ids: set[str] | None = None,
    facts: Iterable[PodFacts] | None = None,
) -> list[Finding]:
    """Every pod finding, most severe first, then by kind, namespace, name, summary.

    ``nodes=None`` means the node list is unknown (no permission, file without nodes):
    no ``orphaned`` finding is made then. ``engines=None`` groups ``pods`` here.
    ``known_engine_ids`` holds the ids the engine metadata knows (batch ids, engine
    refIds, app ids); ``None`` means no metadata, so only the pods can prove a zombie.
    Only engines with a ``kyuubi-unique-tag`` are checked against it: a plain Spark app
    was never Kyuubi's to know. ``facts``: each pod's ``pod_facts``, in ``pods``' order,
    when the caller made them already (``triage.build_triage`` shares the reports behind
    them with its pod rows).
    """
    th = thresholds or Thresholds()
    now = as_aware(now)
    pods = list(pods)
    node_names = node_name_set(nodes)
    if facts is None:
        facts = (pod_facts(pod, th) for pod in pods)
    found: list[Finding] = []
    for pod, pod_fact in zip(pods, facts, strict=True):
        found += pod_findings_at(pod, pod_fact, now, th, node_names)
    for engine in group_engines(pods) if engines is None else engines:
        found += zombie_findings(engine, now, th, known_engine_ids)
    sort_findings(found)
    return found


def _peer_median(ordered: list[float], own: float) -> float:
    """Median of ``ordered`` (sorted) without one occurrence of ``own``, in O(log n)."""
    skip = bisect_left(ordered, own)
    count = len(ordered) - 1

    def peer(k: int) -> float:
        return ordered[k] if k < skip else ordered[k + 1]

    mid = count // 2
    return peer(mid) if count % 2 else (peer(mid - 1) + peer(mid)) / 2


def find_hot_loops(
    rates: Iterable[ObjectRate], thresholds: Thresholds | None = None
) -> list[Finding]:
    """Objects rewritten far more often than their peers (objects of the same kind).

    Hot when the rate is at least ``hot_loop_min_rate`` and at least ``hot_loop_factor``
    times the median rate of the other objects of its kind. With fewer than
    ``hot_loop_min_peers`` peers a median says nothing, so the absolute
    ``hot_loop_alone_rate`` applies instead. Sorted by kind, rate (highest first), name.
    """
    th = thresholds or Thresholds()
    by_kind: defaultdict[str, list[ObjectRate]] = defaultdict(list)
    for rate in rates:
        by_kind[rate.kind].append(rate)
    found: list[tuple[str, float, str, str, Finding]] = []
    for kind, group in by_kind.items():
        ordered = sorted(r.updates_per_minute for r in group)
        peers = len(group) - 1
        for r in group:
            rate = r.updates_per_minute
            if rate < th.hot_loop_min_rate:
                continue
            median = _peer_median(ordered, rate) if peers >= th.hot_loop_min_peers else None
            if median is None:
                if rate < th.hot_loop_alone_rate:
                    continue
                compared = f"only {peers} peers, at least {th.hot_loop_alone_rate:g}/min"
            else:
                if rate < th.hot_loop_factor * median:
                    continue
                times = f"{rate / median:.0f}× " if median else ""
                compared = f"{times}the median of {peers} peers, {_per_min(median)}/min"
            managers = ", ".join(r.managers) or None
            window = human_duration(timedelta(seconds=r.window_seconds))
            summary = (
                f"{kind} updated {_per_min(rate)}/min over {window} ({compared}),"
                f" managers: {managers or 'unknown'}"
            )
            finding = Finding(
                kind="hot_loop",
                namespace=r.namespace,
                name=r.name,
                summary=summary,
                evidence={
                    "object_kind": kind,
                    "updates_per_minute": rate,
                    "peer_median": median,
                    "peers": peers,
                    "managers": managers,
                    "window_seconds": r.window_seconds,
                },
                severity=SEVERITY["hot_loop"],
                uid=r.uid,
            )
            found.append((kind, -rate, r.namespace or "", r.name or "", finding))
    found.sort(key=lambda t: t[:4])
    return [t[4] for t in found]


def summarize(findings: Iterable[Finding]) -> dict[str, int]:
    """Count per kind, every kind present (zeros included), in ``KINDS`` order."""
    counts = Counter(f.kind for f in findings)
    return {kind: counts[kind] for kind in KINDS}
