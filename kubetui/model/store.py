"""ClusterState: what kubetui currently knows about the cluster, fed by batches.

Sources (LIST+WATCH threads, the Kyuubi poll, the churn watch) never touch it: they post
:class:`ChangeBatch` messages, and the UI thread (or a headless loop) applies them here,
one batch at a time. So the store is single-threaded by construction, and everything
the findings and widgets read is consistent within a batch.

Pods are keyed by uid (a pod deleted and recreated under the same name is another pod),
nodes by name. A batch may carry a ``snapshot``: the complete list for its kind and scope
after a (re)LIST, which replaces what was there, so a relist after 410 drops pods
deleted while the watch was down and never duplicates the rest.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Final, NamedTuple, Protocol

import msgspec

from kubetui.model.churn_rates import Warmup
from kubetui.model.durations import as_aware
from kubetui.model.engines import Engine
from kubetui.model.findings import ObjectRate, Thresholds
from kubetui.model.kyuubi_join import KyuubiData, join_engines, known_engine_ids
from kubetui.model.records import Node, Pod
from kubetui.model.triage import TriageReport, build_triage

ADDED: Final = "ADDED"
MODIFIED: Final = "MODIFIED"
DELETED: Final = "DELETED"


class SyncState(msgspec.Struct, frozen=True, kw_only=True):
    """Where one source stands, for the header ("syncing 3/12", "live", "stale 30s")."""

    #: "pods", "nodes", "kyuubi", "churn", "metrics" (with "/<namespace>" when scoped).
    source: str
    #: "listing", "live", "reconnecting", "stale", "forbidden" or "error".
    phase: str
    #: When this phase began (for "reconnecting since", "stale for").
    since: datetime | None = None
    pages_done: int = 0
    #: Estimated from remainingItemCount; None when the server does not say.
    pages_total: int | None = None
    items: int = 0
    #: The last error or notice, one line, already inert.
    message: str | None = None
    #: "reconnecting"/"stale": when the source tries again (its backoff's next step).
    retry_at: datetime | None = None
    #: The source failed ("error") after delivering data: the data is kept but no longer
    #: follows the cluster until the source is back.
    stale: bool = False


class Change(NamedTuple):
    type: str  # ADDED, MODIFIED or DELETED
    record: Pod | Node


class ChangeBatch(msgspec.Struct, kw_only=True):
    """A batch of changes of one kind from one source, applied atomically."""

    kind: str  # "Pod" or "Node"
    changes: list[Change] = msgspec.field(default_factory=list)
    #: After a (re)LIST: every record of this kind in ``scope``; replaces what was there.
    snapshot: list[Pod] | list[Node] | None = None
    #: The namespace the snapshot covers; None = all namespaces (and always for nodes).
    scope: str | None = None
    sync: SyncState | None = None


class Applied(NamedTuple):
    """What one batch changed: keys (pod uid or node name) touched and removed."""

    changed: set[str]
    removed: set[str]


class Usage(NamedTuple):
    """Resource usage from metrics.k8s.io: millicores and bytes (None = not reported)."""

    cpu_millis: int | None
    memory_bytes: int | None


class KyuubiUpdateLike(Protocol):
    """What ``sources.kyuubi.KyuubiUpdate`` carries (the model cannot import sources)."""

    data: KyuubiData | None
    sync: SyncState


class UsageUpdateLike(Protocol):
    """What ``sources.metrics.MetricsUpdate`` carries."""

    #: "namespace/name" → container name → usage.
    pods: Mapping[str, Mapping[str, Usage]]
    #: node name → usage.
    nodes: Mapping[str, Usage]
    sync: SyncState


def pod_key(pod: Pod) -> str:
    """The store key of a pod: its uid, or namespace/name for uid-less input."""
    meta = pod.metadata
    return meta.uid or f"{meta.namespace or ''}/{meta.name or ''}"


def node_key(node: Node) -> str:
    return node.metadata.name or ""


class ClusterState:
    """The current view of pods, nodes, sync states and churn rates."""

    def __init__(self, *, thresholds: Thresholds | None = None) -> None:
        self.pods: dict[str, Pod] = {}
        self.nodes: dict[str, Node] = {}
        #: False until a node LIST succeeded (forbidden, or not synced yet).
        self.nodes_known = False
        self.sync: dict[str, SyncState] = {}
        self.rates: list[ObjectRate] = []
        #: The churn rates are still being measured: no hot loop is not "none".
        self.rates_warmup: Warmup | None = None
        self.thresholds = thresholds or Thresholds()
        #: The last good Kyuubi poll (kept while Kyuubi is unreachable; see ``sync``).
        self.kyuubi: KyuubiData | None = None
        #: metrics.k8s.io usage: "namespace/name" → container → usage; node → usage.
        self.pod_usage: Mapping[str, Mapping[str, Usage]] = {}
        self.node_usage: Mapping[str, Usage] = {}
        #: Bumped by every change; caches (reports, UI indexes) compare against it.
        self.version = 0

    # ------------------------------------------------------------------ writing

    def apply(self, batch: ChangeBatch) -> Applied:
        """Apply one batch; returns the keys it touched."""
        if batch.sync is not None:
            self.sync[batch.sync.source] = batch.sync
        table, key = (self.pods, pod_key) if batch.kind == "Pod" else (self.nodes, node_key)
        changed: set[str] = set()
        removed: set[str] = set()
        if batch.snapshot is not None:
            fresh = {key(r): r for r in batch.snapshot}
            in_scope = [
                k
                for k, r in table.items()
                if batch.scope is None or r.metadata.namespace == batch.scope
            ]
            for k in in_scope:
                if k not in fresh:
                    del table[k]
                    removed.add(k)
            for k, record in fresh.items():
                if table.get(k) is not record:
                    table[k] = record
                    changed.add(k)
            if batch.kind == "Node":
                self.nodes_known = True
        for change in batch.changes:
            k = key(change.record)
            if change.type == DELETED:
                if table.pop(k, None) is not None:
                    removed.add(k)
                changed.discard(k)
            else:
                table[k] = change.record
                changed.add(k)
                removed.discard(k)
        if changed or removed or batch.snapshot is not None:
            self.version += 1
        return Applied(changed, removed)

    def set_rates(self, rates: Iterable[ObjectRate], warmup: Warmup | None = None) -> None:
        """Replace the churn rates (the churn source recomputes them as a whole) and how
        far their measurement is."""
        self.rates = list(rates)
        self.rates_warmup = warmup
        self.version += 1

    def set_sync(self, sync: SyncState) -> None:
        """Record a source's state alone (the churn watch posts it with its rates)."""
        self.sync[sync.source] = sync

    def set_kyuubi(self, update: KyuubiUpdateLike) -> None:
        """Keep the Kyuubi poll's data (the last good one when it failed) and state."""
        self.kyuubi = update.data
        self.sync[update.sync.source] = update.sync
        self.version += 1

    def set_usage(self, update: UsageUpdateLike) -> bool:
        """Replace the pod and node usage from the metrics poll; the version (which makes
        the app re-analyse) moves only when the usage did (polls come every 15 s)."""
        self.sync[update.sync.source] = update.sync
        if (update.pods, update.nodes) == (self.pod_usage, self.node_usage):
            return False
        self.pod_usage, self.node_usage = update.pods, update.nodes
        self.version += 1
        return True

    # ------------------------------------------------------------------ reading

    def known_engine_ids(self, now: datetime) -> set[str] | None:
        """The ids Kyuubi knows, for the ``unknown_to_metadata`` zombie rule; None (no
        opinion) without a complete poll, or when the last good one is older than the
        zombie grace: an engine launched since could not be in it."""
        data = self.kyuubi
        if data is None or not data.complete:
            return None
        age = (as_aware(now) - as_aware(data.fetched_at)).total_seconds()
        return known_engine_ids(data) if age <= self.thresholds.zombie_grace else None

    def join_kyuubi(self, engines: Iterable[Engine]) -> list[Engine]:
        """``engines`` with Kyuubi's word attached (``Engine.kyuubi_meta``), if polled."""
        return list(engines) if self.kyuubi is None else join_engines(engines, self.kyuubi)

    def snapshot(self) -> Snapshot:
        """Immutable lists of the current records, safe to hand to a worker thread."""
        nodes = list(self.nodes.values()) if self.nodes_known else None
        return Snapshot(self.version, list(self.pods.values()), nodes, tuple(self.rates))

    def report(self, now: datetime) -> TriageReport:
        """The full triage report (headless use), built from the current snapshot."""
        snap = self.snapshot()
        return build_triage(
            snap.pods,
            snap.nodes,
            now,
            thresholds=self.thresholds,
            rates=snap.rates,
            known_engine_ids=self.known_engine_ids(now),
        )


class Snapshot(NamedTuple):
    """The store at one version: records are never mutated after decoding."""

    version: int
    pods: list[Pod]
    #: None while the node list is unknown (not synced, or forbidden).
    nodes: list[Node] | None
    rates: tuple[ObjectRate, ...]
