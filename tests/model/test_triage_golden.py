"""The triage report stays byte-identical while it is made faster.

``build_triage`` is shared by ``kubetui triage`` (json, text, markdown) and the dashboard,
and its speed work (container reports computed once per pod, memoised requirements,
compacted records, the JSON streamed pod by pod) must change nothing an operator or a
script reads. The digests below were taken from the code before that work (tree at
a8e81d3) on the demo's kubectl dump and on ``scale:3000`` (seeded, fixed clock): any
change of output, however small, fails here and says which document moved.
"""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, datetime
from pathlib import Path

import msgspec
import pytest

from kubetui.headless.input import write_json
from kubetui.headless.markdown_report import NoteSource, render_markdown
from kubetui.headless.text_report import render_text
from kubetui.model.decode import decode_json_item, load_objects
from kubetui.model.records import Node, Pod
from kubetui.model.triage import build_triage
from kubetui.sim.scenarios.scale import ScaleScenario
from kubetui.sim.state import SimClock, SimState
from kubetui.sources.watch_decode import Compactor

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SCALE_NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
SCALE_PODS = 3000

#: sha256 of each document, from the code before the speed work.
GOLDEN = {
    ("incidents", "json"): "dd420309bce6bc99253181258e0da0bc1364eadd72c289f496bcc86415e0bbb9",
    ("incidents", "text"): "edf1a47b6bc66238d6cadf2c9b682910d0ad57476cca99b48e1892824d655b71",
    ("incidents", "markdown"): "6c7a5d7a37e438ac8de9f051af76159db05400b7edac8755565cc329b3391a1e",
    ("scale", "json"): "66fe0d3ae088dff2301cb0b10f0c18706ab75bc703fadc6dba13a629637834ec",
    ("scale", "text"): "59a74d7a8d58b2ffecb4ad81b3215aa69bf77eb5dd600b1223527bab75e5f130",
    ("scale", "markdown"): "d7ae08e3b203af24e4a4993de6365c5cd1f74ea4b1c7a723c94cc0469b33c82c",
}


def incidents() -> tuple[list[Pod], list[Node] | None, datetime]:
    loaded = load_objects((FIXTURES / "incidents-dump.json").read_bytes())
    now = datetime.fromisoformat((FIXTURES / "incidents-dump.now").read_text().strip())
    return loaded.pods, loaded.nodes or None, now


def scale() -> tuple[list[Pod], list[Node] | None, datetime]:
    state = SimState(SimClock(SCALE_NOW))
    ScaleScenario(SCALE_PODS, seed=7).populate(state)
    pods = [decode_json_item(e.data, Pod)[0] for e in state.entries("pods")]
    nodes = [decode_json_item(e.data, Node)[0] for e in state.entries("nodes")]
    return [p for p in pods if p], [n for n in nodes if n], SCALE_NOW


def documents(pods: list[Pod], nodes: list[Node] | None, now: datetime) -> dict[str, bytes]:
    """The three ``kubetui triage`` outputs for one snapshot, as printed."""
    report = build_triage(pods, nodes, now)
    out = io.BytesIO()
    write_json(report, out)
    source = NoteSource("file dump.json", None, None)
    return {
        "json": out.getvalue(),
        "text": render_text(report, now).encode(),
        "markdown": render_markdown(report.findings, report.engines, now, source).encode(),
    }


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


INPUTS = {"incidents": incidents, "scale": scale}


@pytest.mark.parametrize("name", sorted(INPUTS))
def test_report_is_byte_identical_to_the_reference(name: str) -> None:
    docs = documents(*INPUTS[name]())
    moved = [fmt for fmt, data in docs.items() if digest(data) != GOLDEN[name, fmt]]
    assert not moved, f"{name}: {moved} differ from the reference output"


@pytest.mark.parametrize("name", sorted(INPUTS))
def test_compacted_records_give_the_same_report(name: str) -> None:
    """The live triage compacts records as it lists (shared equal parts); the report
    must not see the difference."""
    pods, nodes, now = INPUTS[name]()
    plain = documents(pods, nodes, now)
    compactor = Compactor()
    again = documents(
        [compactor.pod(msgspec.structs.replace(p)) for p in INPUTS[name]()[0]],
        nodes,
        now,
    )
    assert again == plain


def test_streamed_json_equals_one_encode() -> None:
    """``write_json`` streams a report pod by pod; the bytes are those of one
    ``msgspec.json.format(encode(report), indent=2)``."""
    pods, nodes, now = incidents()
    report = build_triage(pods, nodes, now)
    out = io.BytesIO()
    write_json(report, out)
    assert out.getvalue() == msgspec.json.format(msgspec.json.encode(report), indent=2) + b"\n"
