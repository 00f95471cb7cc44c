"""``kubetui triage``: the findings report, headless, from a file, a cluster or the demo."""

from __future__ import annotations

import argparse
import sys

import msgspec

from kubetui.cli import UsageError
from kubetui.headless.input import read_dump, resolve_now
from kubetui.headless.text_report import render_text
from kubetui.model.records import Node, Pod
from kubetui.model.triage import build_triage


def _namespaces(args: argparse.Namespace) -> list[str] | None:
    """``-n a -n b,c`` → ``[a, b, c]``; ``None`` for all namespaces."""
    if not args.namespace:
        return None
    return [ns for value in args.namespace for ns in value.split(",") if ns]


def _from_cluster(args: argparse.Namespace) -> tuple[list[Pod], list[Node] | None]:
    from kubetui.sources.kube_client import connect
    from kubetui.sources.snapshot import take_snapshot

    if args.demo:
        from kubetui.sim.runner import running_sim

        with running_sim(args.scenario, args.seed, frozen=False) as sim:
            snap = take_snapshot(connect(str(sim.kubeconfig_path)), _namespaces(args))
    else:
        snap = take_snapshot(connect(args.kubeconfig, args.context), _namespaces(args))
    for line in (*snap.notices, *snap.errors):
        print(f"kubetui: {line}", file=sys.stderr)
    return snap.pods, snap.nodes


def _check_sources(args: argparse.Namespace) -> None:
    cluster_flags = args.kubeconfig or args.context or args.namespace or args.all_namespaces
    if args.from_file and (args.demo or cluster_flags):
        raise UsageError(
            "kubetui triage: --from-file reads a dump; it cannot be combined with "
            "--demo, --kubeconfig, --context, -n or -A"
        )
    if args.demo and (args.kubeconfig or args.context):
        raise UsageError("kubetui triage: --demo runs its own cluster; drop --kubeconfig/--context")


def run_triage(args: argparse.Namespace) -> int:
    """Print the report; exit 1 when there are findings, 0 when there are none."""
    _check_sources(args)
    if args.from_file:
        loaded = read_dump(args.from_file)
        # A dump without any Node object says nothing about nodes: they are unknown.
        pods, nodes = loaded.pods, (loaded.nodes or None)
    else:
        pods, nodes = _from_cluster(args)
    now = resolve_now(args.now)
    report = build_triage(pods, nodes, now)
    if args.format == "json":
        sys.stdout.buffer.write(msgspec.json.format(msgspec.json.encode(report), indent=2))
        sys.stdout.buffer.write(b"\n")
    else:
        sys.stdout.write(render_text(report, now))
    sys.stdout.flush()
    return 1 if report.findings else 0
