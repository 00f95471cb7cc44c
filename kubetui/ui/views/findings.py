"""1 Findings: everything wrong, grouped by kind, one line of evidence each."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult

from kubetui.model.findings import KINDS, Finding
from kubetui.model.kyuubi_join import DISAGREEMENT
from kubetui.ui.line_table import Column, LineTable, Row
from kubetui.ui.rows import finding_cells, finding_group_title, qualified
from kubetui.ui.views.base import View

#: Both always shown: the evidence takes most of the spare width, the name the rest.
COLUMNS = (
    Column("", 2, whole=True),
    Column("NAMESPACE/NAME", 30, flex=1, max_width=80, middle=True),
    Column("EVIDENCE", 30, flex=2),
)
_GROUP = "group:"


class FindingsView(View):
    NUMBER: ClassVar[int] = 1
    TITLE: ClassVar[str] = "Findings"
    SHORT: ClassVar[str] = "Findings"
    SORTS: ClassVar[tuple[str, ...]] = ("severity", "name")

    def __init__(self, data, *, id: str | None = None) -> None:
        super().__init__(data, id=id)
        self._by_key: dict[str, Finding] = {}
        self._group_counts: dict[str, int] = {}
        self._total = 0

    def compose(self) -> ComposeResult:
        yield LineTable(
            COLUMNS, self._row, self._version, empty_text="Analysing…", id="findings-table"
        )

    def _version(self, key: str) -> tuple:
        return (self.data.generation, self._group_counts.get(key[len(_GROUP) :]))

    def _row(self, key: str) -> Row:
        if key.startswith(_GROUP):
            kind = key[len(_GROUP) :]
            title = finding_group_title(kind, self._group_counts[kind])
            return Row((), style="group", banner=title)
        cells, styles = finding_cells(self._by_key[key])
        return Row(cells, styles)

    def finding(self, key: str | None) -> Finding | None:
        return self._by_key.get(key) if key else None

    def reload(self) -> None:
        analysis = self.data.analysis
        table = self.table
        if analysis is None:
            table.set_keys([])
            return
        needle = self.filter_text.strip().lower()
        by_kind: dict[str, list[tuple[str, Finding]]] = {}
        seen: dict[str, int] = {}
        self._by_key = {}
        self._total = 0
        for f in analysis.findings:
            if not self.data.in_scope(f.namespace):
                continue
            self._total += 1
            where = qualified(f.namespace, f.name)
            base = f"{f.kind}|{f.uid or where}"
            seen[base] = seen.get(base, 0) + 1
            key = f"{base}|{seen[base]}"
            if needle and needle not in f"{where} {f.kind} {f.summary}".lower():
                continue
            self._by_key[key] = f
            by_kind.setdefault(f.kind, []).append((key, f))
        keys: list[str] = []
        self._group_counts = {}
        for kind in (*KINDS, DISAGREEMENT):
            rows = by_kind.get(kind)
            if not rows:
                continue
            if self.sort == "name":
                rows.sort(key=lambda pair: (pair[1].namespace or "", pair[1].name or ""))
            self._group_counts[kind] = len(rows)
            keys.append(_GROUP + kind)
            keys.extend(key for key, _ in rows)
        table.empty_text = (
            "No finding matches the filter."
            if self._total
            else "No findings: nothing is OOM-killed, crash-looping, zombie, stuck, "
            "orphaned or lingering."
        )
        table.set_keys(keys)

    def counts(self) -> tuple[int, int]:
        return len(self._by_key), self._total
