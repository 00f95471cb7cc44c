"""The triage report as plain text that fits an 80-column terminal.

Findings first (grouped by kind, most severe kinds first), then engines, then pods. Every
line is at most ``WIDTH`` columns: long names are shortened in the middle (the ends of a
pod name are the parts that tell pods apart) and summaries wrap. Cluster text was made
inert at ingest, so it is printed as is.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from datetime import datetime

from kubetui.model.findings import KINDS, summarize
from kubetui.model.triage import PodRow, TriageReport

WIDTH = 80

#: Text markers, so severity reads without colour (NO_COLOR, logs, mail).
MARKER = {"critical": "!!", "warning": " !"}


def fit(text: str, width: int) -> str:
    """Shorten ``text`` to ``width`` columns, keeping both ends around an ellipsis."""
    if len(text) <= width:
        return text
    if width <= 1:
        return "…"[:width]
    head = (width - 1) // 2
    return f"{text[:head]}…{text[len(text) - (width - 1 - head) :]}"


def _qualified(namespace: str | None, name: str | None) -> str:
    return f"{namespace or '-'}/{name or '?'}"


def _wrap(text: str, indent: int) -> list[str]:
    pad = " " * indent
    return textwrap.wrap(
        " ".join(text.split()), WIDTH, initial_indent=pad, subsequent_indent=pad
    ) or [pad]


def _findings(report: TriageReport) -> Iterator[str]:
    counts = {k: n for k, n in summarize(report.findings).items() if n}
    yield f"FINDINGS ({len(report.findings)})"
    if not counts:
        yield "  none"
        return
    for kind in KINDS:
        if not counts.get(kind):
            continue
        yield f"{kind} ({counts[kind]})"
        for f in report.findings:
            if f.kind == kind:
                where = fit(_qualified(f.namespace, f.name), WIDTH - 3)
                yield f"{MARKER.get(f.severity, '  ')} {where}"
                yield from _wrap(f.summary, 5)


def _engines(report: TriageReport) -> Iterator[str]:
    yield f"ENGINES ({len(report.engines)})"
    if not report.engines:
        yield "  none (no pods with spark-app-selector or kyuubi-unique-tag labels)"
        return
    yield f"  {'STATE':<9} {'KYUUBI SAYS':<11} {'PODS':>4}  NAMESPACE/ENGINE"
    for e in report.engines:
        kyuubi = e.kyuubi_would_say or "-"
        marker = "≠" if e.kyuubi_would_say not in (None, e.state) else " "
        line = f"{marker} {e.state:<9} {kyuubi:<11} {len(e.pods):>4}  "
        yield line + fit(_qualified(e.namespace, e.id), WIDTH - len(line))
        if e.reason:
            yield from _wrap(f"reason: {e.reason}", 14)


def _pod_lines(pod: PodRow) -> Iterator[str]:
    """Two lines a pod: its full name, then the columns (names are too long to share)."""
    adjs = sorted({c.oom_score_adj for c in pod.containers if c.oom_score_adj is not None})
    adj = ",".join(map(str, adjs)) if adjs else "?"
    yield fit(_qualified(pod.namespace, pod.name), WIDTH)
    cells = (
        f"    {fit(pod.status, 24):<24} {pod.ready:>5} {fit(pod.restarts_cell, 12):<12} "
        f"{pod.qos or '?':<10} {adj:>5} {pod.age:>6}"
    )
    yield cells.rstrip()
    if pod.last_termination:
        yield from _wrap(f"last termination: {pod.last_termination}", 6)


def _pods(report: TriageReport) -> Iterator[str]:
    yield f"PODS ({len(report.pods)})"
    yield "NAMESPACE/NAME"
    yield f"    {'STATUS':<24} {'READY':>5} {'RESTARTS':<12} {'QOS':<10} {'ADJ':>5} {'AGE':>6}"
    for pod in report.pods:
        yield from _pod_lines(pod)
    if not report.nodes_known:
        yield "(no nodes in the input: Burstable oom_score_adj shown as '?')"


def render_text(report: TriageReport, now: datetime) -> str:
    """The whole report, one string ending in a newline."""
    head = (
        f"kubetui triage at {now.strftime('%Y-%m-%d %H:%M:%S %Z')}: "
        f"{len(report.pods)} pods, {len(report.engines)} engines, "
        f"{len(report.findings)} findings"
    )
    sections = [[head], list(_findings(report)), list(_engines(report)), list(_pods(report))]
    return "\n\n".join("\n".join(lines) for lines in sections) + "\n"
