"""2 Pods: kubectl's columns plus how each pod last died, its QoS and OOM score."""

from __future__ import annotations

from collections.abc import Collection, Hashable, Iterable
from typing import ClassVar, Final, NamedTuple

from textual.app import ComposeResult
from textual.cache import LRUCache
from textual.timer import Timer

from kubetui.model.pod_status import pod_columns
from kubetui.model.records import Pod
from kubetui.ui.data import DashboardData
from kubetui.ui.line_table import Column, LineTable, Row
from kubetui.ui.pod_index import SORTS, PodIndex
from kubetui.ui.rows import PodRow, pod_row, style_for_kinds
from kubetui.ui.views.base import View

#: Background indexing: at most this long per slice, one slice per interval, so a key
#: waits at most one slice while a big LIST's facts are computed, then while the other
#: sort orders are built ahead.
INDEX_SLICE: Final = 0.004
INDEX_INTERVAL: Final = 0.006
#: Rows whose clock-free part is kept (a few screens' worth).
ROW_CACHE: Final = 2048

#: Narrowing, the columns go in this order: QoS (OOM ADJ implies it: 1000 BestEffort,
#: -997 Guaranteed), NODE, OOM ADJ, NAMESPACE (the header names the scope); at 80 columns
#: what tells a pod's trouble stays: STATUS, READY, RESTARTS, LAST TERMINATION and AGE.
COLUMNS = (
    Column("", 2, whole=True),
    Column("NAMESPACE", 9, flex=1, max_width=20, priority=7),
    Column("NAME", 16, flex=2, max_width=80, middle=True, grow_to=32, grow_at=6),
    Column("STATUS", 16, flex=1, max_width=24, priority=1),
    Column("READY", 5, whole=True, priority=2),
    Column("RESTARTS", 8, whole=True, priority=3),
    Column("LAST TERMINATION", 16, flex=2, max_width=60, priority=5),
    Column("QoS", 10, whole=True, max_width=12, priority=10),
    Column("OOM ADJ", 7, right=True, whole=True, max_width=24, priority=8),
    # EC2 names differ in the middle (ip-10-0-0-11.ec2.internal): cut at the end.
    Column("NODE", 16, flex=1, max_width=40, priority=9),
    Column("AGE", 4, right=True, whole=True, priority=4),
)


class _Parts(NamedTuple):
    """A cached ``PodRow`` and what it was computed from; ``serial`` names it uniquely in
    the table's row versions."""

    pod: Pod
    style: str | None
    capacity: int | None
    serial: int
    row: PodRow


class PodsView(View):
    NUMBER: ClassVar[int] = 2
    TITLE: ClassVar[str] = "Pods"
    SHORT: ClassVar[str] = "Pods"
    SORTS: ClassVar[tuple[str, ...]] = SORTS

    def __init__(self, data: DashboardData, *, id: str | None = None) -> None:
        super().__init__(data, id=id)
        self.index = PodIndex(data.store.pods, self._status)
        self.engine_label = ""
        self._indexer: Timer | None = None
        #: Rows' clock-free parts, for the rows on screen and recently shown.
        self._rows: LRUCache[str, _Parts] = LRUCache(ROW_CACHE)
        self._serial = 0

    def compose(self) -> ComposeResult:
        yield LineTable(
            COLUMNS, self._row, self._version, empty_text="Waiting for pods…", id="pods-table"
        )

    def _status(self, pod: Pod) -> str:
        return pod_columns(pod, self.data.now()).status

    def _parts(self, uid: str) -> _Parts | None:
        """The clock-free part of ``uid``'s row, rebuilt only when its record, finding
        style or node capacity changed (not at each tick, nor at each analysis)."""
        data = self.data
        pod = data.store.pods.get(uid)
        if pod is None:
            return None
        style = style_for_kinds(f.kind for f in data.findings_by_uid.get(uid, ()))
        capacity = data.capacities.get(pod.spec.node_name or "")
        parts = self._rows.get(uid)
        if (
            parts is None
            or parts.pod is not pod
            or (parts.style, parts.capacity)
            != (
                style,
                capacity,
            )
        ):
            self._serial += 1
            parts = _Parts(pod, style, capacity, self._serial, pod_row(pod, capacity, style))
            self._rows.set(uid, parts)
        return parts

    def _version(self, uid: str) -> Hashable:
        parts = self._parts(uid)
        if parts is None:
            return None
        return parts.serial, parts.row.clock_texts(self.data.now())

    def _row(self, uid: str) -> Row:
        parts = self._parts(uid)
        if parts is None:
            return Row(("", "", "(deleted)"))
        row, now = parts.row, self.data.now()
        return Row(row.cells(row.clock_texts(now)), row.styles, shorter=row.shorter(now))

    # ------------------------------------------------------------------ data

    def pods_changed(self, changed: Collection[str], removed: Collection[str]) -> None:
        self.index.changed(changed, removed)
        if self._indexer is None and (self.index.pending or not self.index.presorted):
            self._indexer = self.set_interval(INDEX_INTERVAL, self._index_slice)

    def _index_slice(self) -> None:
        """Compute some of a big batch's facts between keys, then build the other sort
        orders ahead, so that no key waits for either (see ``PodIndex``)."""
        index = self.index
        if index.pending:
            index.index_some(INDEX_SLICE)
        elif index.presort_some(INDEX_SLICE) and self._indexer is not None:
            self._indexer.stop()
            self._indexer = None

    def reload(self) -> None:
        self.index.set_filter(self.filter_text)
        self.index.set_sort(self.sort)
        self.index.set_namespace(self.data.namespace)
        self.table.set_keys(self.index.visible())
        self.table.empty_text = (
            "No pod matches the filter." if self.index.total else "Waiting for pods…"
        )

    def counts(self) -> tuple[int, int]:
        return len(self.table.keys), self.index.total

    def show_only(self, uids: Iterable[str], label: str) -> None:
        """Narrow to some pods (an engine's), until esc."""
        self.index.set_only(uids)
        self.engine_label = label
        self.reload()

    def clear_scope(self) -> bool:
        if self.index.only is None:
            return False
        self.index.set_only(None)
        self.engine_label = ""
        self.reload()
        return True

    def scope_text(self) -> str:
        return self.engine_label
