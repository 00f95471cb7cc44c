"""The two header lines and the view bar.

Header: where kubetui points (context, server, namespace scope), the sync state of each
source (``listing 3/12`` with a bar, ``live``, ``reconnecting 5s``, ``stale 30s``,
``forbidden``, ``error (data stale): <cause>``), how far the churn rates are measured
(``measuring rates: 0:45 of 2:00``, until hot loops can be told) and the count of
findings by kind. View
bar: the five views with the current one highlighted, and the current view's row count,
sort and filter. Everything is built as ``Content`` from plain strings: cluster text is
never parsed as markup.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from textual.content import Content
from textual.widgets import Static

from kubetui.model.durations import as_aware, human_duration
from kubetui.model.findings import KINDS, summarize
from kubetui.model.store import SyncState
from kubetui.ui.data import DashboardData
from kubetui.ui.rows import KIND_SHORT, KIND_STYLE, MARKER

_BAR_CELLS = 6
#: Characters of an error's cause shown in the header (its notice shows all of it).
_CAUSE_CHARS = 60
_PHASE_STYLE = {
    "live": "$sev-ok",
    "listing": "$accent",
    "reconnecting": "$sev-warning",
    "stale": "$sev-warning",
    "forbidden": "$sev-critical",
    "error": "$sev-critical",
}


@dataclass(frozen=True, slots=True)
class Target:
    """Where the dashboard reads from, as shown in the header."""

    context: str | None
    server: str
    #: Namespaces given with -n; None for all namespaces.
    namespaces: tuple[str, ...] | None = None


def progress_bar(done: int, total: int | None) -> str:
    if not total:
        return ""
    filled = min(_BAR_CELLS, done * _BAR_CELLS // total)
    return "▰" * filled + "▱" * (_BAR_CELLS - filled)


def sync_text(state: SyncState, now: datetime) -> str:
    """``pods listing 3/12 ▰▰▱▱▱▱``, ``nodes live``, ``pods stale 30s, retry in 12s``,
    ``metrics error (data stale): RuntimeError: boom``."""
    since = f" {human_duration(now - as_aware(state.since))}" if state.since else ""
    if state.phase == "listing":
        total = "?" if state.pages_total is None else str(state.pages_total)
        bar = progress_bar(state.pages_done, state.pages_total)
        return f"{state.source} listing {state.pages_done}/{total} {bar}".rstrip()
    if state.phase in ("reconnecting", "stale"):
        retry = ""
        if state.retry_at is not None:
            # Rounded up: "retry in 0s" would read as a hang while the wait lasts.
            wait = math.ceil((as_aware(state.retry_at) - now).total_seconds())
            retry = f", retry in {human_duration(timedelta(seconds=wait))}" if wait > 0 else ""
        return f"{state.source} {state.phase}{since}{retry}"
    if state.phase == "error":
        text = f"{state.source} error" + (" (data stale)" if state.stale else "")
        cause = state.message or ""
        if len(cause) > _CAUSE_CHARS:
            cause = cause[: _CAUSE_CHARS - 1] + "…"
        return f"{text}: {cause}" if cause else text
    return f"{state.source} {state.phase}"


def _sync_parts(states: Iterable[SyncState], now: datetime) -> list[Content]:
    return [
        Content.styled(sync_text(s, now), _PHASE_STYLE.get(s.phase, ""))
        for s in sorted(states, key=lambda s: s.source)
    ]


class StatusHeader(Static):
    DEFAULT_CSS = """
    StatusHeader {
        height: 2; background: $panel; color: $foreground; padding: 0 1;
        text-wrap: nowrap; text-overflow: ellipsis;
    }
    """

    def __init__(self, target: Target, data: DashboardData) -> None:
        super().__init__(Content(""), id="status-header")
        self.target = target
        self.data = data

    def show(self) -> None:
        data, target = self.data, self.target
        scope = ",".join(target.namespaces) if target.namespaces else "all namespaces"
        if data.namespace is not None:
            scope = f"{scope} ▸ {data.namespace}"
        where = Content.assemble(
            (target.context or "in-cluster", "bold $accent"),
            " @ ",
            target.server,
            " · ns ",
            (scope, "bold"),
            " · ",
        )
        store = data.store
        # The sources stamp their phases with the wall clock (the demo's clock is the sim's).
        sync = _sync_parts(store.sync.values(), datetime.now(UTC)) or [
            Content.styled("connecting…", "$accent")
        ]
        line1 = Content.assemble(where, Content(" · ").join(sync))
        counts = Content(f"{len(store.pods)} pods · {len(store.nodes)} nodes · ")
        # Before the counts of findings, which an 80-column line cuts: no hot loop yet
        # is not "none" while the rates are measured.
        warmup = store.rates_warmup
        measuring = Content.styled(f"{warmup.text()} · ", "$accent") if warmup else Content("")
        line2 = Content.assemble(counts, measuring, self._findings_line())
        show_if_changed(self, Content("\n").join([line1, line2]))

    def _findings_line(self) -> Content:
        analysis = self.data.analysis
        if analysis is None:
            return Content.styled("analysing…", "$text-muted")
        scoped = [f for f in analysis.findings if self.data.in_scope(f.namespace)]
        if not scoped:
            return Content.styled("no findings", "$sev-ok")
        counts = summarize(scoped)
        parts = []
        for kind in KINDS:
            if counts[kind]:
                style = KIND_STYLE[kind]
                text = f"{MARKER[style].strip()} {KIND_SHORT[kind]} {counts[kind]}"
                parts.append(Content.styled(text, f"$sev-{style}"))
        return Content.assemble(f"{len(scoped)} findings ", Content(" ").join(parts))


class ViewBar(Static):
    DEFAULT_CSS = """
    ViewBar {
        height: 1; background: $surface; color: $text-muted; padding: 0 1;
        text-wrap: nowrap; text-overflow: ellipsis;
    }
    """

    def show(self, titles: list[tuple[int, str, str]], current: int, state: str) -> None:
        """``titles``: (number, title, short title); short ones below 100 columns."""
        narrow = self.size.width and self.size.width < 100
        parts = []
        for number, title, short in titles:
            label = f" {number} {short if narrow else title} "
            style = "bold reverse $accent" if number == current else ""
            parts.append(Content.styled(label, style))
        show_if_changed(self, Content.assemble(*parts, "  ", Content(state)))


def show_if_changed(widget: Static, content: Content) -> None:
    """Update only when the text changed, without a layout pass (the header's heights are
    fixed in CSS): a layout pass re-renders every widget, and the header is redrawn on
    each repaint and every second (measured: 1 full-screen pass a second while idle)."""
    old = widget.content
    same = isinstance(old, Content) and (old.plain, old.spans) == (content.plain, content.spans)
    if not same:  # Content's == compares the text alone
        widget.update(content, layout=False)
