"""The triage report: every rule of the core applied to one snapshot of the cluster.

One pure function (:func:`build_triage`) is shared by ``kubetui triage --from-file``, the
live headless triage and the dashboard, so a dump and a live sync of the same cluster
state give the same pods, engines and findings. The result is plain data (msgspec
Structs); ``to_builtins`` gives the JSON document ``kubetui triage --format json`` prints.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import NamedTuple

import msgspec

from kubetui.model.engines import Engine, group_engines
from kubetui.model.findings import (
    Finding,
    ObjectRate,
    PodFacts,
    Thresholds,
    find_hot_loops,
    find_pod_findings,
    pod_facts,
)
from kubetui.model.pod_status import pod_columns
from kubetui.model.qos import OomScoreAdj, effective_qos, pod_oom_score_adjs
from kubetui.model.quantity import memory_bytes
from kubetui.model.records import Node, Pod
from kubetui.model.terminations import (
    ContainerReport,
    container_terminations,
    latest_termination,
    termination_line,
)


class ContainerRow(msgspec.Struct, frozen=True, kw_only=True):
    name: str | None
    init: bool
    sidecar: bool
    state: str
    reason: str | None
    exit_code: int | None
    #: Signal name decoded from the exit code (128+N); the API's own field is never set.
    signal: str | None
    exit_meaning: str | None
    restarts: int | None
    last_reason: str | None
    last_exit_code: int | None
    last_signal: str | None
    oom_score_adj: int | None
    oom_score_adj_rule: str
    oom_score_adj_formula: str


class PodRow(msgspec.Struct, frozen=True, kw_only=True):
    namespace: str | None
    name: str | None
    uid: str | None
    node: str | None
    status: str
    ready: str
    restarts: int
    restarts_cell: str
    age: str
    qos: str | None
    #: The most recent termination of any container, decoded ("OOMKilled 137 SIGKILL").
    last_termination: str | None
    engine: str | None
    containers: list[ContainerRow]


class EngineRow(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    name: str | None
    namespace: str | None
    app_id: str | None
    kyuubi_tag: str | None
    #: The state the pods prove (OOMKilled driver ⇒ KILLED).
    state: str
    reason: str | None
    #: What Kyuubi's own pod-phase rule would say from the same driver pod.
    kyuubi_would_say: str | None
    driver: str | None
    pods: list[str]


class TriageReport(msgspec.Struct, frozen=True, kw_only=True):
    pods: list[PodRow]
    engines: list[EngineRow]
    findings: list[Finding]
    #: Whether the node list was known; without it Burstable oom_score_adj and
    #: ``orphaned`` cannot be decided.
    nodes_known: bool


def _container_row(report: ContainerReport, adj: OomScoreAdj | None) -> ContainerRow:
    meaning, last = report.exit_meaning, report.last_exit_meaning
    return ContainerRow(
        name=report.name,
        init=report.init,
        sidecar=report.sidecar,
        state=report.state,
        reason=report.reason,
        exit_code=report.exit_code,
        signal=meaning.signal_name if meaning else None,
        exit_meaning=meaning.summary if meaning and report.exit_code is not None else None,
        restarts=report.restart_count,
        last_reason=report.last_reason,
        last_exit_code=report.last_exit_code,
        last_signal=last.signal_name if last else None,
        oom_score_adj=adj.value if adj else None,
        oom_score_adj_rule=adj.rule if adj else "no such container in the spec",
        oom_score_adj_formula=adj.formula if adj else "",
    )


def _pod_row(
    pod: Pod,
    reports: list[ContainerReport],
    capacity: int | None,
    engine_id: str | None,
    now: datetime,
) -> PodRow:
    """One pod's row from its ``container_terminations`` (made once, shared with the
    findings)."""
    columns = pod_columns(pod, now)
    adjs = {(c.name, is_init): adj for c, is_init, adj in pod_oom_score_adjs(pod, capacity)}
    containers = [_container_row(r, adjs.get((r.name, r.init))) for r in reports]
    last = latest_termination(reports)
    return PodRow(
        namespace=pod.metadata.namespace,
        name=pod.metadata.name,
        uid=pod.metadata.uid,
        node=pod.spec.node_name,
        status=columns.status,
        ready=columns.ready,
        restarts=columns.restart_count,
        restarts_cell=columns.restarts,
        age=columns.age,
        qos=effective_qos(pod),
        last_termination=termination_line(last) if last else None,
        engine=engine_id,
        containers=containers,
    )


def engine_row(engine: Engine) -> EngineRow:
    """An engine as the report lists it (also the dashboard's incident note)."""
    return EngineRow(
        id=engine.id,
        name=engine.name,
        namespace=engine.namespace,
        app_id=engine.app_id,
        kyuubi_tag=engine.kyuubi_tag,
        state=engine.state,
        reason=engine.reason,
        kyuubi_would_say=engine.kyuubi_state,
        driver=engine.driver.metadata.name if engine.driver is not None else None,
        pods=list(engine.pod_names),
    )


def node_memory_capacities(nodes: Iterable[Node]) -> dict[str, int | None]:
    """Node name → ``status.capacity.memory`` in bytes (what the kubelet scores against)."""
    return {
        n.metadata.name: memory_bytes((n.status.capacity or {}).get("memory"))
        for n in nodes
        if n.metadata.name
    }


class Analysis(NamedTuple):
    """The cluster-wide part of the report: engines and findings (no per-pod rows)."""

    engines: list[Engine]
    findings: list[Finding]


def analyse(
    pods: Sequence[Pod],
    nodes: Sequence[Node] | None,
    now: datetime,
    *,
    thresholds: Thresholds | None = None,
    rates: Iterable[ObjectRate] = (),
    known_engine_ids: set[str] | None = None,
    facts: Iterable[PodFacts] | None = None,
) -> Analysis:
    """Engines and every finding for one snapshot; ``nodes=None``: node list unknown.

    Findings are most severe first (see ``find_pod_findings``), hot loops after the pod
    findings. The dashboard runs this alone (its pod rows are computed only when seen).
    ``facts``: the pods' ``pod_facts`` in ``pods``' order, if already made.
    """
    engines = group_engines(pods)
    findings = find_pod_findings(
        pods, nodes, engines, now, thresholds, known_engine_ids, facts=facts
    )
    findings += find_hot_loops(rates, thresholds)
    return Analysis(engines, findings)


def build_triage(
    pods: Sequence[Pod],
    nodes: Sequence[Node] | None,
    now: datetime,
    *,
    thresholds: Thresholds | None = None,
    rates: Iterable[ObjectRate] = (),
    known_engine_ids: set[str] | None = None,
) -> TriageReport:
    """Apply every rule to one snapshot. ``nodes=None``: the node list is unknown.

    Pods are sorted by (namespace, name), engines by (namespace, id).
    """
    # Each pod's container reports feed its findings and its row: made once, here.
    reports = [container_terminations(p) for p in pods]
    th = thresholds or Thresholds()
    engines, findings = analyse(
        pods,
        nodes,
        now,
        thresholds=th,
        rates=rates,
        known_engine_ids=known_engine_ids,
        facts=[pod_facts(p, th, r) for p, r in zip(pods, reports, strict=True)],
    )
    engine_of = {id(p): e.id for e in engines for p in e.pods}
    capacities = node_memory_capacities(nodes or ())
    order = sorted(
        range(len(pods)),
        key=lambda i: (pods[i].metadata.namespace or "", pods[i].metadata.name or ""),
    )
    rows = []
    for i in order:
        pod = pods[i]
        capacity = capacities.get(pod.spec.node_name or "")
        rows.append(_pod_row(pod, reports[i], capacity, engine_of.get(id(pod)), now))
    return TriageReport(
        pods=rows,
        engines=[engine_row(e) for e in engines],
        findings=findings,
        nodes_known=nodes is not None,
    )
