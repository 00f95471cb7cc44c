"""The text of the dashboard's rows, computed from records and findings.

No Textual here: each function turns domain values into plain strings (and style names
that ``LineTable`` maps to theme colours), so they are tested without a terminal and
reused by every view. Cluster text is passed through as is (it was made inert at
ingest) and is never treated as markup downstream.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from kubetui.model.durations import as_aware, human_duration, translate_timestamp_since
from kubetui.model.findings import SEVERITY, Finding
from kubetui.model.pod_status import pod_columns
from kubetui.model.qos import effective_qos, pod_oom_score_adjs
from kubetui.model.records import Pod
from kubetui.model.terminations import last_termination, termination_line

#: Text markers, so severity reads without colour (NO_COLOR, 16-colour terminals).
MARKER: Final = {"oom": "!!", "critical": "!!", "zombie": " z", "warning": " !", "ok": ""}
#: A finding kind's row style (also the theme variable ``sev-<style>``).
KIND_STYLE: Final = {
    "oom_killed": "oom",
    "crash_loop": "critical",
    "zombie_engine_pod": "zombie",
    "stuck_terminating": "warning",
    "orphaned": "warning",
    "failed_lingering": "warning",
    "hot_loop": "warning",
}
#: Most telling first: the style a pod with several findings gets.
_STYLE_RANK: Final = ("oom", "critical", "zombie", "warning")
KIND_TITLE: Final = {
    "oom_killed": "OOM killed",
    "crash_loop": "Crash loops",
    "zombie_engine_pod": "Zombie engine pods",
    "stuck_terminating": "Stuck Terminating",
    "orphaned": "On vanished nodes",
    "failed_lingering": "Failed, lingering",
    "hot_loop": "Hot loops",
    "kyuubi_disagreement": "Kyuubi disagrees with the pods",
}
#: Short labels for the header counts.
KIND_SHORT: Final = {
    "oom_killed": "oom",
    "crash_loop": "crash",
    "zombie_engine_pod": "zombie",
    "stuck_terminating": "stuck",
    "orphaned": "orphan",
    "failed_lingering": "failed",
    "hot_loop": "hot",
}
_HEALTHY_STATUS: Final = frozenset({"Running", "Completed"})
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


def qualified(namespace: str | None, name: str | None) -> str:
    return f"{namespace or '-'}/{name or '?'}"


def ago(now: datetime, moment: datetime | None) -> str:
    """``"4m ago"``, or ``""`` when the moment is unknown."""
    return "" if moment is None else f"{human_duration(now - as_aware(moment))} ago"


def style_for_kinds(kinds: Iterable[str]) -> str | None:
    """The row style of a pod with findings of ``kinds`` (None: no finding)."""
    styles = {KIND_STYLE[k] for k in kinds if k in KIND_STYLE}
    return next((s for s in _STYLE_RANK if s in styles), None)


@dataclass(frozen=True, slots=True)
class PodRow:
    """A pods-table row without the clock: what changes only with the record (and its
    findings, node capacity), computed once per record version, and the moments from
    which :meth:`clock_texts` writes RESTARTS' ``(5m ago)``, LAST TERMINATION's age and
    AGE at each tick (a tick then re-renders only the rows whose texts moved)."""

    #: Every cell; RESTARTS, LAST TERMINATION and AGE are filled in by :meth:`cells`.
    fixed: tuple[str, ...]
    styles: tuple[str | None, ...]
    restart_count: int
    last_restart_at: datetime | None
    #: ``termination_line`` of the latest termination, and when it ended.
    termination: str
    terminated_at: datetime | None
    has_termination: bool
    created_at: datetime | None

    def clock_texts(self, now: datetime) -> tuple[str, str, str]:
        """RESTARTS, LAST TERMINATION and AGE at ``now``."""
        restarts = str(self.restart_count)
        if self.restart_count and self.last_restart_at is not None:
            restarts = f"{restarts} ({translate_timestamp_since(self.last_restart_at, now)} ago)"
        last = ""
        if self.has_termination:
            last = f"{self.termination} {ago(now, self.terminated_at)}".rstrip()
        return restarts, last, translate_timestamp_since(self.created_at, now)

    def cells(self, texts: tuple[str, str, str]) -> tuple[str, ...]:
        restarts, last, age = texts
        f = self.fixed
        return (*f[:5], restarts, last, *f[7:10], age)

    def shorter(self, now: datetime) -> tuple[str | None, ...]:
        """The cells' short forms for a narrow table: LAST TERMINATION as reason, exit
        code and age (``OOMKilled 137 4m``), without what the code means."""
        if not self.termination:
            return ()
        head = " ".join(self.termination.split(" ", 2)[:2])
        age = human_duration(now - as_aware(self.terminated_at)) if self.terminated_at else ""
        return (None,) * 6 + (f"{head} {age}".rstrip(),)


def pod_row(pod: Pod, memory_capacity: int | None, style: str | None) -> PodRow:
    """The clock-free part of ``pod``'s row (see :func:`pod_cells`)."""
    columns = pod_columns(pod, _EPOCH)
    last = last_termination(pod)
    termination = termination_line(last) if last is not None else ""
    terminated_at = last.latest_finished_at if last is not None else None
    adjs = sorted(
        {a.value for _, _, a in pod_oom_score_adjs(pod, memory_capacity) if a.value is not None}
    )
    status_style = style or ("ok" if columns.status in _HEALTHY_STATUS else None)
    # LAST TERMINATION is empty exactly when there is no line and no moment, at any time.
    has_last = bool(termination) or terminated_at is not None
    fixed = (
        MARKER.get(style or "", ""),
        pod.metadata.namespace or "",
        columns.name,
        columns.status,
        columns.ready,
        "",
        "",
        effective_qos(pod) or "?",
        ",".join(map(str, adjs)) if adjs else "?",
        columns.node,
        "",
    )
    styles = (style, None, None, status_style, None, None, style if has_last else None)
    return PodRow(
        fixed,
        styles,
        columns.restart_count,
        columns.last_restart_at,
        termination,
        terminated_at,
        has_last,
        pod.metadata.creation_timestamp,
    )


def pod_cells(
    pod: Pod, now: datetime, memory_capacity: int | None, style: str | None
) -> tuple[tuple[str, ...], tuple[str | None, ...]]:
    """The pods table row: (cells, per-cell style names).

    Columns: marker, NAMESPACE, NAME, STATUS, READY, RESTARTS, LAST TERMINATION, QoS,
    OOM ADJ, NODE, AGE. ``style`` is the pod's finding style (``style_for_kinds``); a
    pod without findings whose STATUS is Running or Completed is marked ``ok``.
    """
    row = pod_row(pod, memory_capacity, style)
    return row.cells(row.clock_texts(now)), row.styles


def finding_cells(finding: Finding) -> tuple[tuple[str, ...], tuple[str | None, ...]]:
    """A findings row: marker, NAMESPACE/NAME, one-line summary."""
    style = KIND_STYLE.get(finding.kind, "warning")
    cells = (
        MARKER[style],
        qualified(finding.namespace, finding.name),
        " ".join(finding.summary.split()),
    )
    return cells, (style, None, None)


def finding_group_title(kind: str, count: int) -> str:
    severity = SEVERITY.get(kind, "warning")
    return f"{KIND_TITLE.get(kind, kind)} ({count}) · {kind} · {severity}"


def memory_text(value: int | None) -> str:
    """Bytes as the largest binary unit that keeps one decimal: ``"7.5Gi"``."""
    if value is None:
        return "-"
    size = float(value)
    for unit in ("", "Ki", "Mi", "Gi", "Ti"):
        if abs(size) < 1024 or unit == "Ti":
            return f"{size:.0f}{unit}" if unit in ("", "Ki") else f"{size:.1f}{unit}"
        size /= 1024
    return str(value)
