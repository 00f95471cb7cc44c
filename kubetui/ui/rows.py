"""The text of the dashboard's rows, computed from records and findings.

No Textual here: each function turns domain values into plain strings (and style names
that ``LineTable`` maps to theme colours), so they are tested without a terminal and
reused by every view. Cluster text is passed through as is (it was made inert at
ingest) and is never treated as markup downstream.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Final

from kubetui.model.durations import as_aware, human_duration
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


def qualified(namespace: str | None, name: str | None) -> str:
    return f"{namespace or '-'}/{name or '?'}"


def ago(now: datetime, moment: datetime | None) -> str:
    """``"4m ago"``, or ``""`` when the moment is unknown."""
    return "" if moment is None else f"{human_duration(now - as_aware(moment))} ago"


def style_for_kinds(kinds: Iterable[str]) -> str | None:
    """The row style of a pod with findings of ``kinds`` (None: no finding)."""
    styles = {KIND_STYLE[k] for k in kinds if k in KIND_STYLE}
    return next((s for s in _STYLE_RANK if s in styles), None)


def pod_cells(
    pod: Pod, now: datetime, memory_capacity: int | None, style: str | None
) -> tuple[tuple[str, ...], tuple[str | None, ...]]:
    """The pods table row: (cells, per-cell style names).

    Columns: marker, NAMESPACE, NAME, STATUS, READY, RESTARTS, LAST TERMINATION, QoS,
    OOM ADJ, NODE, AGE. ``style`` is the pod's finding style (``style_for_kinds``); a
    pod without findings whose STATUS is Running or Completed is marked ``ok``.
    """
    columns = pod_columns(pod, now)
    last = last_termination(pod)
    if last is not None:
        when = ago(now, last.latest_finished_at)
        last_text = f"{termination_line(last)} {when}".rstrip()
    else:
        last_text = ""
    adjs = sorted(
        {a.value for _, _, a in pod_oom_score_adjs(pod, memory_capacity) if a.value is not None}
    )
    adj_text = ",".join(map(str, adjs)) if adjs else "?"
    status_style = style or ("ok" if columns.status in _HEALTHY_STATUS else None)
    cells = (
        MARKER.get(style or "", ""),
        pod.metadata.namespace or "",
        columns.name,
        columns.status,
        columns.ready,
        columns.restarts,
        last_text,
        effective_qos(pod) or "?",
        adj_text,
        columns.node,
        columns.age,
    )
    styles = (style, None, None, status_style, None, None, style if last_text else None)
    return cells, styles


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
