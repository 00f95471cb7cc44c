"""5 Hot loops: objects rewritten far more often than their peers (``find_hot_loops``)."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult

from kubetui.model.findings import Finding
from kubetui.ui.line_table import Column, LineTable, Row
from kubetui.ui.rows import MARKER, qualified
from kubetui.ui.views.base import View

#: Narrowing, MANAGERS goes first, then the peers' median, then KIND.
COLUMNS = (
    Column("", 2, whole=True),
    Column("KIND", 10, flex=1, max_width=40, priority=2),
    Column("NAMESPACE/NAME", 24, flex=3, max_width=80, middle=True, grow_to=40, grow_at=3),
    Column("PER MIN", 7, right=True, whole=True, priority=1),
    Column("PEER MEDIAN", 11, right=True, whole=True, priority=3),
    Column("MANAGERS", 10, flex=2, priority=4),
)
NO_CHURN = (
    "No churn data. Hot loops are found from metadata-only watches of workload kinds "
    "and custom resources: each object's update rate is compared with its peers'. "
    "Churn is watched when that source is enabled."
)


def _number(value: object) -> str:
    return f"{value:.1f}" if isinstance(value, (int, float)) else "-"


class HotLoopsView(View):
    NUMBER: ClassVar[int] = 5
    TITLE: ClassVar[str] = "Hot loops"
    SHORT: ClassVar[str] = "Hot loops"
    SORTS: ClassVar[tuple[str, ...]] = ("rate", "name")

    def __init__(self, data, *, id: str | None = None) -> None:
        super().__init__(data, id=id)
        self._by_key: dict[str, Finding] = {}
        self._total = 0

    def compose(self) -> ComposeResult:
        yield LineTable(
            COLUMNS,
            self._row,
            lambda key: self.data.generation,
            empty_text=NO_CHURN,
            id="hot-loops-table",
        )

    def _row(self, key: str) -> Row:
        f = self._by_key[key]
        ev = f.evidence
        peers = ev.get("peers")
        median = ev.get("peer_median")
        median_text = f"{_number(median)} " if median is not None else ""
        peer_text = f"{median_text}({peers} peers)"
        cells = (
            MARKER["warning"],
            str(ev.get("object_kind") or ""),
            qualified(f.namespace, f.name),
            _number(ev.get("updates_per_minute")),
            peer_text,
            str(ev.get("managers") or "unknown"),
        )
        return Row(cells, ("warning", None, None, "warning"))

    def finding(self, key: str | None) -> Finding | None:
        """The hot-loop finding of row ``key`` (``y``/``Y`` copy its object)."""
        return self._by_key.get(key) if key else None

    def reload(self) -> None:
        analysis = self.data.analysis
        rates = self.data.store.rates
        loops = [
            f
            for f in (analysis.findings if analysis else ())
            if f.kind == "hot_loop" and self.data.in_scope(f.namespace)
        ]
        self._total = len(loops)
        needle = self.filter_text.strip().lower()
        if needle:
            loops = [
                f
                for f in loops
                if needle in f"{qualified(f.namespace, f.name)} {f.summary}".lower()
            ]
        if self.sort == "name":
            loops.sort(key=lambda f: (f.namespace or "", f.name or ""))
        self._by_key = {f"{f.uid or qualified(f.namespace, f.name)}": f for f in loops}
        warmup = self.data.store.rates_warmup
        if not rates and warmup is None:
            self.table.empty_text = NO_CHURN
        elif self._total:
            self.table.empty_text = "No hot loop matches the filter."
        elif warmup is not None:
            self.table.empty_text = (
                f"Still {warmup.text()} ({len(rates)} objects watched): no hot loop so far,"
                " which does not yet mean none."
            )
        else:
            self.table.empty_text = (
                f"{len(rates)} objects watched; none is rewritten far more often than its peers."
            )
        self.table.set_keys(list(self._by_key))

    def counts(self) -> tuple[int, int]:
        return len(self._by_key), self._total

    def scope_text(self) -> str:
        """While the rates are measured, the loops shown may not be all of them."""
        warmup = self.data.store.rates_warmup
        return warmup.text() if warmup else ""
