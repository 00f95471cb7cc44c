"""3 Engines: the state each engine's pods prove, beside what Kyuubi says.

KYUUBI is Kyuubi's own word when a Kyuubi server is polled: the batch's appState (else
its batch state) from ``GET /batches``, or ``REGISTERED`` for an engine listed by
``GET /admin/engine``. Without a poll (or for an engine Kyuubi does not list) it is what
Kyuubi's pod rule would say about the same driver, marked ``~`` because Kyuubi never said
it. ``≠`` marks an engine whose two views cannot both be true.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from textual.app import ComposeResult

from kubetui.model.durations import as_aware, human_duration
from kubetui.model.engines import Engine
from kubetui.model.kyuubi_join import KyuubiMeta
from kubetui.model.pod_status import pod_columns
from kubetui.ui.line_table import Column, LineTable, Row
from kubetui.ui.views.base import View

#: Narrowing, the columns go in this order: INSTANCE, KIND, USER, NAMESPACE, REASON,
#: DRIVER; at 80 columns the two states side by side (STATE, KYUUBI), the executors and
#: AGE stay, with the ENGINE id.
COLUMNS = (
    Column("", 1, whole=True),
    Column("NAMESPACE", 9, flex=1, max_width=20, priority=7),
    Column("ENGINE", 20, flex=4, max_width=40, middle=True, grow_to=36, grow_at=5),
    Column("STATE", 9, whole=True, priority=1),
    Column("KYUUBI", 10, whole=True, max_width=16, priority=2),
    Column("DRIVER", 10, flex=1, max_width=24, priority=5),
    Column("EXEC R/F/N", 10, whole=True, priority=3),
    Column("REASON", 10, flex=2, max_width=40, priority=6),
    Column("USER", 6, flex=1, max_width=20, priority=8),
    Column("KIND", 4, whole=True, max_width=24, priority=9),
    Column("INSTANCE", 12, flex=1, max_width=40, middle=True, priority=10),
    Column("AGE", 4, right=True, whole=True, priority=4),
)
_STATE_STYLE = {
    "FAILED": "critical",
    "UNKNOWN": "warning",
    "NOT_FOUND": "warning",
    "RUNNING": "ok",
    "FINISHED": "ok",
}
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
            self._version,
            empty_text="Analysing…",
            id="engines-table",
        )

    def _version(self, key: str) -> tuple:
        """The analysis and the AGE text: a tick redraws only rows whose age moved."""
        engine = self._by_key.get(key)
        age = engine_age(engine, self.data.now()) if engine is not None else None
        return self.data.generation, age

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
                    filter(None, (engine_key(e), e.name, e.app_id, e.state, e.reason, e.user))
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


def kyuubi_says(engine: Engine) -> tuple[str, bool]:
    """The KYUUBI cell and whether the two views disagree (see the module docstring)."""
    meta = engine.kyuubi_meta
    if isinstance(meta, KyuubiMeta):
        said = "REGISTERED" if meta.source == "engine" else meta.app_state or meta.batch_state
        return said or "-", meta.disagreement is not None
    if engine.kyuubi_state is None:
        return "-", False
    return f"~{engine.kyuubi_state}", engine.kyuubi_state != engine.state


def engine_kind(meta: KyuubiMeta | None) -> str:
    """``batch SPARK`` or ``USER SPARK_SQL``; ``-`` when Kyuubi did not say."""
    if meta is None:
        return "-"
    if meta.source == "batch":
        return f"batch {meta.engine_type or '?'}"
    return f"{meta.share_level or '?'} {meta.engine_type or '?'}"


def engine_age(engine: Engine, now: datetime) -> str:
    """AGE: since the driver's (else the first executor's) creation; ``?`` if unknown."""
    driver, executors = engine.driver, engine.executors
    started = driver.metadata.creation_timestamp if driver is not None else None
    if started is None and executors:
        started = executors[0].metadata.creation_timestamp
    return human_duration(now - as_aware(started)) if started else "?"


def engine_cells(engine: Engine, now: datetime) -> tuple[tuple[str, ...], tuple[str | None, ...]]:
    """An engines row: ≠ marker, NAMESPACE, ENGINE, STATE, KYUUBI, DRIVER, EXEC (running/
    failed of total), REASON, USER, KIND, INSTANCE, AGE."""
    said, disagree = kyuubi_says(engine)
    meta = engine.kyuubi_meta if isinstance(engine.kyuubi_meta, KyuubiMeta) else None
    driver = engine.driver
    executors = engine.executors
    if engine.state == "KILLED":
        state_style = "oom" if engine.reason == "OOMKilled" else "critical"
    else:
        state_style = _STATE_STYLE.get(engine.state)
    running = sum(p.status.phase == "Running" for p in executors)
    failed = sum(p.status.phase == "Failed" for p in executors)
    cells = (
        "≠" if disagree else "",
        engine.namespace or "",
        engine.id,
        engine.state,
        said,
        "gone" if driver is None else pod_columns(driver, now).status,
        f"{running}/{failed}/{len(executors)}",
        engine.reason or "",
        engine.user or "-",
        engine_kind(meta),
        (meta.kyuubi_instance if meta else None) or "-",
        engine_age(engine, now),
    )
    marker_style = "critical" if disagree else None
    styles = (marker_style, None, None, state_style, "warning" if disagree else None)
    return cells, styles
