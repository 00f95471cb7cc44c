"""The findings as a Markdown incident note.

One renderer for ``kubetui triage --format markdown`` and the dashboard's ``x`` key, so a
note written during the incident and one printed from a dump afterwards read the same:
what happened (a count per kind), the evidence of each finding, the engines, Kyuubi's
disagreements with the pods, the time window and where it was read from.

Names, summaries and evidence come from whoever can write to the cluster, and the note
is pasted into tickets and chat that render Markdown. Every piece of cluster text goes
through :func:`md_text`: one line, inert (``kubetui.model.inert_text``), and every
character that CommonMark 0.31 or GitHub Flavored Markdown 0.29 gives a meaning inline
(emphasis, code spans, links, images, raw HTML, entities, table pipes, strikethrough,
extended autolinks) is escaped, so a pod named ``[x](https://evil)`` or ``<img …>``
is shown as those characters and never becomes a link, an image or a table cell.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import NamedTuple

from kubetui.model.findings import KINDS, SEVERITY, Finding, summarize
from kubetui.model.inert_text import inert, single_line
from kubetui.model.kyuubi_join import DISAGREEMENT, KyuubiData
from kubetui.model.triage import EngineRow

#: ASCII punctuation with an inline meaning (brackets start links and images, so ``(``
#: and ``!`` need no escape); CommonMark lets a backslash escape any ASCII punctuation
#: (spec 0.31 section 2.4), so this is always safe.
_INLINE = re.compile(r"([\\`*_\[\]~|@])")
#: ``<``, ``>`` and ``&`` as entities: no raw HTML, ``<…>`` autolink or entity reference
#: can start (CommonMark 0.31 sections 6.5, 6.6 and 2.5), and ``>`` cannot quote.
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
#: GFM extended autolinks (``https://…``, ``www.…``): break the ``://`` and the dot.
_AUTOLINK = re.compile(r"(?i)://|\bwww\.")
#: The evidence timestamps the findings carry (``findings._iso``: RFC 3339, UTC).
_ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def md_text(value: object) -> str:
    """Cluster text (or a number) as Markdown that shows exactly these characters."""
    text = single_line(inert(str(value)))
    text = "".join(_ENTITIES.get(ch, ch) for ch in text)
    text = _INLINE.sub(r"\\\1", text)
    return _AUTOLINK.sub(_break_autolink, text)


def _break_autolink(match: re.Match[str]) -> str:
    found = match.group()
    return "\\://" if found == "://" else found[:-1] + "\\."


class NoteSource(NamedTuple):
    """Where the findings were read from, for the note's header."""

    #: ``context NAME at SERVER``, ``file PATH``: the words to show (escaped by the
    #: renderer like cluster text).
    where: str
    #: The namespaces the read was limited to; None for all.
    namespaces: Sequence[str] | None
    #: Kyuubi's standing (``live, 3 batches …``); None when no Kyuubi server was polled.
    kyuubi: str | None


def cluster_source(context: str | None, server: str) -> str:
    """The note's "read from" words for a live read (headless triage, the dashboard)."""
    return f"context {context or '(in-cluster)'} at {server}"


def kyuubi_standing(phase: str, data: KyuubiData | None) -> str:
    """``live, 3 batches, 5 engines registered``: the sync phase of the last Kyuubi poll
    and what it returned (the text report's KYUUBI line and the note's header)."""
    if data is None:
        return phase
    return f"{phase}, {len(data.batches)} batches, {len(data.engines)} engines registered"


def _qualified(namespace: str | None, name: str | None) -> str:
    return md_text(f"{namespace}/{name or '?'}" if namespace else name or "?")


def time_window(findings: Sequence[Finding]) -> tuple[datetime, datetime] | None:
    """The oldest and newest instant among the findings' evidence, or None."""
    moments = [
        datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        for f in findings
        for value in f.evidence.values()
        if isinstance(value, str) and _ISO.fullmatch(value)
    ]
    return (min(moments), max(moments)) if moments else None


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _header(findings: Sequence[Finding], now: datetime, source: NoteSource) -> list[str]:
    scope = ", ".join(md_text(ns) for ns in source.namespaces) if source.namespaces else "all"
    window = time_window(findings)
    span = (
        f"{_stamp(window[0])} to {_stamp(window[1])} (the oldest and newest evidence)"
        if window
        else "no timestamps in the evidence"
    )
    return [
        f"# Incident note: {len(findings)} findings",
        "",
        f"- **Read from:** {md_text(source.where)}",
        f"- **Namespaces:** {scope}",
        f"- **Written:** {_stamp(now)}",
        f"- **Time window:** {span}",
        f"- **Kyuubi:** {md_text(source.kyuubi) if source.kyuubi else 'not polled'}",
    ]


def _what_happened(findings: Sequence[Finding], engines: Sequence[EngineRow]) -> list[str]:
    counts = {kind: n for kind, n in summarize(findings).items() if n}
    lines = ["## What happened", ""]
    if not counts:
        lines.append("- No findings.")
    for kind, n in counts.items():
        names = sorted({_qualified(f.namespace, f.name) for f in findings if f.kind == kind})
        shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        lines.append(f"- **{kind}** ({SEVERITY[kind]}): {n} — {shown}")
    disagreements = [f for f in findings if f.kind == DISAGREEMENT]
    if disagreements:
        lines.append(f"- **{DISAGREEMENT}**: {len(disagreements)} (see Kyuubi disagreements)")
    differ = [e for e in engines if e.kyuubi_would_say not in (None, e.state)]
    if differ:
        lines.append(
            f"- **engines**: {len(differ)} ended otherwise than Kyuubi's pod-phase rule "
            "says (see Engines)"
        )
    return lines


def _evidence(finding: Finding) -> str:
    parts = [
        f"{md_text(key.replace('_', ' '))}: {md_text(value)}"
        for key, value in finding.evidence.items()
        if value is not None
    ]
    return "; ".join(parts) or "none recorded"


def _finding_lines(finding: Finding) -> list[str]:
    return [
        f"- **{_qualified(finding.namespace, finding.name)}** — {md_text(finding.summary)}",
        f"  - evidence: {_evidence(finding)}",
    ]


def _findings(findings: Sequence[Finding]) -> list[str]:
    lines = ["## Findings"]
    for kind in KINDS:
        of_kind = [f for f in findings if f.kind == kind]
        if of_kind:
            lines += ["", f"### {kind} ({len(of_kind)}, {SEVERITY[kind]})", ""]
            for finding in of_kind:
                lines += _finding_lines(finding)
    if len(lines) == 1:
        lines += ["", "None."]
    return lines


def _engines(engines: Sequence[EngineRow]) -> list[str]:
    lines = ["## Engines", ""]
    if not engines:
        return [*lines, "None (no pods with spark-app-selector or kyuubi-unique-tag labels)."]
    lines += [
        "| Namespace | Engine | State (pods) | Kyuubi's rule says | Reason | Pods |",
        "|---|---|---|---|---|---:|",
    ]
    for e in engines:
        mark = " ≠" if e.kyuubi_would_say not in (None, e.state) else ""
        cells = (
            md_text(e.namespace or "-"),
            md_text(e.id),
            md_text(e.state) + mark,
            md_text(e.kyuubi_would_say or "-"),
            md_text(e.reason or "-"),
            str(len(e.pods)),
        )
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _kyuubi(findings: Sequence[Finding], source: NoteSource) -> list[str]:
    lines = ["## Kyuubi disagreements", ""]
    if source.kyuubi is None:
        return [*lines, "Kyuubi was not polled (no --kyuubi-url, no kyuubi.url in the config)."]
    disagreements = [f for f in findings if f.kind == DISAGREEMENT]
    if not disagreements:
        return [*lines, "None: Kyuubi's engine states agree with the pods."]
    for finding in disagreements:
        lines += _finding_lines(finding)
    return lines


def render_markdown(
    findings: Sequence[Finding],
    engines: Sequence[EngineRow],
    now: datetime,
    source: NoteSource,
) -> str:
    """The whole note, one string ending in a newline."""
    sections = [
        _header(findings, now, source),
        _what_happened(findings, engines),
        _findings(findings),
        _engines(engines),
        _kyuubi(findings, source),
    ]
    return "\n\n".join("\n".join(lines) for lines in sections) + "\n"
