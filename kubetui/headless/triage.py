"""``kubetui triage``: the findings report, headless, from a file, a cluster or the demo.

Live, the report is one sync (pods and nodes), optionally followed by ``--watch SECONDS``
of metadata watching (hot reconcile loops need rates, which a single read cannot give),
and optionally one Kyuubi poll (``--kyuubi-url``) whose view of the engines is compared
with what the pods prove (``kyuubi_disagreement`` findings, listed after the report).
"""

from __future__ import annotations

import argparse
import gc
import sys
import textwrap
import time
from datetime import datetime
from typing import TYPE_CHECKING

import msgspec

from kubetui.cli_args import UsageError, namespaces_of
from kubetui.cluster_input import check_sources, open_cluster
from kubetui.headless.input import notice, read_dump, resolve_now, write_json
from kubetui.headless.markdown_report import (
    NoteSource,
    cluster_source,
    kyuubi_standing,
    render_markdown,
)
from kubetui.headless.text_report import MARKER, WIDTH, fit, render_text
from kubetui.model.engines import group_engines
from kubetui.model.findings import Finding, ObjectRate
from kubetui.model.kyuubi_join import DISAGREEMENT, disagreement_findings
from kubetui.model.records import Node, Pod
from kubetui.model.store import ClusterState
from kubetui.model.triage import TriageReport, build_triage

if TYPE_CHECKING:
    from kubetui.sources.kube_client import KubeClient
    from kubetui.sources.kyuubi import KyuubiUpdate


def _watch_churn(kube: KubeClient, args: argparse.Namespace) -> list[ObjectRate]:
    """Watch object metadata for ``--watch`` seconds; the rates at the end."""
    from kubetui.sources.churn import ChurnWatcher

    watcher = ChurnWatcher(kube, namespaces_of(args), report_interval=3600)
    watcher.start(lambda _update: None)
    try:
        time.sleep(args.watch)
        update = watcher.update()
    finally:
        watcher.stop()
    if update.sync.message:
        notice(f"hot-loop watch: {update.sync.message}")
    if update.warmup is not None:
        # A short watch finds only the hottest loops: say so, not a silent "none".
        notice(
            f"hot-loop watch: stopped while {update.warmup.text()} (server time); an"
            " object not reported hot may still be one"
        )
    return update.rates


def _from_cluster(
    args: argparse.Namespace,
) -> tuple[list[Pod], list[Node] | None, list, str | None, str]:
    """Pods, nodes, churn rates, the kube context they came from and its server."""
    from kubetui.sources.snapshot import take_snapshot

    with open_cluster(args) as kube:
        snap = take_snapshot(kube, namespaces_of(args))
        for line in (*snap.notices, *snap.errors):
            notice(line)
        rates = _watch_churn(kube, args) if args.watch else []
    return snap.pods, snap.nodes, rates, kube.context, kube.server


def _poll_kyuubi(args: argparse.Namespace, context: str | None) -> KyuubiUpdate | None:
    """One poll of ``--kyuubi-url``, else of the context's Kyuubi in the config; None
    when neither names a server."""
    from kubetui.config import kyuubi_from_flags, load_settings
    from kubetui.sources.kyuubi import KyuubiPoller

    configured = load_settings(context).kyuubi if context is not None else None
    config = kyuubi_from_flags(
        args.kyuubi_url, args.kyuubi_user, args.kyuubi_password_env, configured
    )
    if config is None:
        return None
    update = KyuubiPoller(config).poll_once()
    if update.sync.message:
        notice(update.sync.message)
    return update


def _check_sources(args: argparse.Namespace) -> None:
    check_sources(args, "triage")
    if args.from_file and args.watch:
        raise UsageError("kubetui triage: --watch needs a cluster; a dump cannot be watched")
    if args.watch is not None and not args.watch > 0:
        raise UsageError("kubetui triage: --watch takes a number of seconds above 0")
    if (args.kyuubi_user or args.kyuubi_password_env) and not args.kyuubi_url:
        raise UsageError("kubetui triage: --kyuubi-user/--kyuubi-password-env need --kyuubi-url")


def _kyuubi_lines(update: KyuubiUpdate, findings: list[Finding]) -> list[str]:
    """The text report's Kyuubi section: where it stands, then its disagreements."""
    data, pad = update.data, " " * 5
    lines = [f"KYUUBI ({kyuubi_standing(update.sync.phase, data)})"]
    lines += textwrap.wrap(update.sync.message or "", WIDTH, initial_indent="  ")
    if data is None:
        return lines
    if not findings:
        return [*lines, "  no disagreements with the pods"]
    lines.append(f"{DISAGREEMENT} ({len(findings)})")
    for f in findings:
        where = f"{f.namespace or '-'}/{f.name or '?'}"
        lines.append(f"{MARKER[f.severity]} {fit(where, WIDTH - 3)}")
        lines += textwrap.wrap(f.summary, WIDTH, initial_indent=pad, subsequent_indent=pad)
    return lines


def _report(
    pods: list[Pod],
    nodes: list[Node] | None,
    now: datetime,
    rates: list[ObjectRate],
    kyuubi: KyuubiUpdate | None,
) -> tuple[TriageReport, list[Finding]]:
    """The report, plus the Kyuubi disagreements (also appended to its findings)."""
    if kyuubi is None:
        return build_triage(pods, nodes, now, rates=rates), []
    store = ClusterState()
    store.set_kyuubi(kyuubi)
    report = build_triage(
        pods, nodes, now, rates=rates, known_engine_ids=store.known_engine_ids(now)
    )
    extra = disagreement_findings(store.join_kyuubi(group_engines(pods)))
    return msgspec.structs.replace(report, findings=[*report.findings, *extra]), extra


def run_triage(args: argparse.Namespace) -> int:
    """Print the report; exit 1 when there are findings, 0 when there are none."""
    _check_sources(args)
    if args.from_file:
        loaded = read_dump(args.from_file)
        # A dump without any Node object says nothing about nodes: they are unknown.
        pods, nodes, rates, context = loaded.pods, (loaded.nodes or None), [], None
        where = f"file {args.from_file}"
    else:
        pods, nodes, rates, context, server = _from_cluster(args)
        where = cluster_source(context, server)
    kyuubi = _poll_kyuubi(args, context)
    now = resolve_now(args.now)
    # The report is acyclic (records, rows, findings) and the command ends after printing
    # it: the cyclic collector would only rescan the growing heap (~0.3 s of 1.4 s CPU at
    # 50k pods, full collections over 50k rows); it is back on before the report is printed.
    collecting = gc.isenabled()
    gc.disable()
    try:
        report, disagreements = _report(pods, nodes, now, rates, kyuubi)
    finally:
        if collecting:
            gc.enable()
    if args.format == "json":
        write_json(report)
    elif args.format == "markdown":
        standing = None if kyuubi is None else kyuubi_standing(kyuubi.sync.phase, kyuubi.data)
        source = NoteSource(where, namespaces_of(args), standing)
        sys.stdout.write(render_markdown(report.findings, report.engines, now, source))
    else:
        sys.stdout.write(render_text(report, now))
        if kyuubi is not None:
            sys.stdout.write("\n" + "\n".join(_kyuubi_lines(kyuubi, disagreements)) + "\n")
    sys.stdout.flush()
    return 1 if report.findings else 0
