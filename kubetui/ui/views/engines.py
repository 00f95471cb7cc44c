"""3 Engines: the state each engine's pods prove, beside what Kyuubi's rule says."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult

from kubetui.model.engines import Engine
from kubetui.ui.line_table import Column, LineTable, Row
from kubetui.ui.rows import engine_cells
from kubetui.ui.views.base import View

COLUMNS = (
    Column("", 1),
    Column("NAMESPACE", 15),
    Column("ENGINE", 20, flex=2, middle=True),
    Column("STATE", 9),
    Column("KYUUBI SAYS", 11),
    Column("DRIVER", 16),
    Column("EXEC R/F/N", 10),
    Column("REASON", 16, flex=1),
    Column("AGE", 5, right=True),
)
_STATE_ORDER = ("KILLED", "FAILED", "UNKNOWN", "NOT_FOUND", "PENDING", "RUNNING", "FINISHED")


def engine_key(engine: Engine) -> str:
    return f"{engine.namespace or ''}/{engine.id}"


class EnginesView(View):
    NUMBER: ClassVar[int] = 3
    TITLE: ClassVar[str] = "Engines"
    SHORT: ClassVar[str] = "Engines"
    SORTS: ClassVar[tuple[str, ...]] = ("name", "state", "age")

    def __init__(self, data, *, id: str | None = None) -> None:
        super().__init__(data, id=id)
        self._by_key: dict[str, Engine] = {}
        self._total = 0

    def compose(self) -> ComposeResult:
        yield LineTable(
            COLUMNS,
            self._row,
            lambda key: (self.data.generation, self.data.tick()),
            empty_text="Analysing…",
            id="engines-table",
        )

    def _row(self, key: str) -> Row:
        cells, styles = engine_cells(self._by_key[key], self.data.now())
        return Row(cells, styles)

    def engine(self, key: str | None) -> Engine | None:
        return self._by_key.get(key) if key else None

    def reload(self) -> None:
        analysis = self.data.analysis
        if analysis is None:
            self.table.set_keys([])
            return
        needle = self.filter_text.strip().lower()
        engines = [e for e in analysis.engines if self.data.in_scope(e.namespace)]
        self._total = len(engines)
        if needle:
            engines = [
                e
                for e in engines
                if needle
                in " ".join(
                    filter(None, (engine_key(e), e.name, e.app_id, e.state, e.reason))
                ).lower()
            ]
        if self.sort == "state":
            rank = {s: i for i, s in enumerate(_STATE_ORDER)}
            engines.sort(key=lambda e: (rank.get(e.state, 99), engine_key(e)))
        elif self.sort == "age":
            engines.sort(key=self._age_key)
        self._by_key = {engine_key(e): e for e in engines}
        self.table.empty_text = (
            "No engine matches the filter."
            if self._total
            else "No engines: no pod carries spark-app-selector or kyuubi-unique-tag."
        )
        self.table.set_keys(list(self._by_key))

    @staticmethod
    def _age_key(engine: Engine) -> tuple:
        pod = engine.driver or (engine.executors[0] if engine.executors else None)
        created = pod.metadata.creation_timestamp if pod is not None else None
        return (-(created.timestamp()) if created else 0.0, engine_key(engine))

    def counts(self) -> tuple[int, int]:
        return len(self._by_key), self._total
