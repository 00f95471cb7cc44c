"""``kubetui triage``: the findings report, headless."""

from __future__ import annotations

import argparse
import sys

import msgspec

from kubetui.headless.input import read_dump, resolve_now
from kubetui.headless.text_report import render_text
from kubetui.model.triage import build_triage


def run_triage(args: argparse.Namespace) -> int:
    """Print the report; exit 1 when there are findings, 0 when there are none."""
    loaded = read_dump(args.from_file)
    now = resolve_now(args.now)
    # A dump without any Node object says nothing about nodes: treat them as unknown.
    nodes = loaded.nodes if loaded.nodes else None
    report = build_triage(loaded.pods, nodes, now)
    if args.format == "json":
        sys.stdout.buffer.write(msgspec.json.format(msgspec.json.encode(report), indent=2))
        sys.stdout.buffer.write(b"\n")
    else:
        sys.stdout.write(render_text(report, now))
    sys.stdout.flush()
    return 1 if report.findings else 0
