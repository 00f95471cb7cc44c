"""What every view reads: the store, the latest analysis, the clock and display scope.

The app owns one :class:`DashboardData` and mutates it only on the UI thread; views read
it when they draw. ``generation`` changes whenever something a row shows changes other
than its own record (a new analysis, node capacities); rows cache what does not depend
on the clock and recompute their ages when drawn.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime

from kubetui.model.findings import Finding
from kubetui.model.store import ClusterState
from kubetui.model.triage import Analysis, node_memory_capacities

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class DashboardData:
    def __init__(self, store: ClusterState, clock: Clock = utc_now) -> None:
        self.store = store
        self.clock = clock
        self.analysis: Analysis | None = None
        #: Store version the analysis was computed from (-1: none yet).
        self.analysed_version = -1
        self.findings_by_uid: dict[str, list[Finding]] = {}
        self.capacities: dict[str, int | None] = {}
        self.generation = 0
        #: The namespace picked with ``n`` (a display filter), or None for all.
        self.namespace: str | None = None

    def now(self) -> datetime:
        return self.clock()

    def set_analysis(self, version: int, analysis: Analysis) -> None:
        self.analysis = analysis
        self.analysed_version = version
        by_uid: defaultdict[str, list[Finding]] = defaultdict(list)
        for finding in analysis.findings:
            if finding.uid:
                by_uid[finding.uid].append(finding)
        self.findings_by_uid = dict(by_uid)
        self.generation += 1

    def nodes_changed(self) -> None:
        self.capacities = node_memory_capacities(self.store.nodes.values())
        self.generation += 1

    def in_scope(self, namespace: str | None) -> bool:
        return self.namespace is None or namespace == self.namespace
