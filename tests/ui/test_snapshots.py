"""SVG snapshots of every view on the frozen incidents cluster (seed 1).

The sim's clock is frozen and is the app's clock, so ages are identical on every run;
80×24 proves the header and footer fit a small terminal; at each size the tables show
the columns that fit, whole. Refresh after an intended
change with ``pytest tests/ui/test_snapshots.py --snapshot-update`` and review the SVGs.
"""

from __future__ import annotations

import pytest
from textual.pilot import Pilot

from kubetui.sim.runner import RunningSim
from tests.ui.conftest import make_app, settle

#: The README's promise (80×24), a common split pane (120×36) and a wide screen.
SIZES = {"80x24": (80, 24), "120x36": (120, 36), "200x50": (200, 50)}
VIEWS = {"findings": "1", "pods": "2", "engines": "3", "nodes": "4", "hot-loops": "5"}


async def _settled(pilot: Pilot) -> None:
    await settle(pilot)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("view", VIEWS)
def test_view(snap_compare, incidents: RunningSim, view: str, size: str) -> None:
    app = make_app(incidents)
    assert snap_compare(app, press=[VIEWS[view]], terminal_size=SIZES[size], run_before=_settled)


@pytest.mark.parametrize("size", SIZES)
def test_pod_detail(snap_compare, incidents: RunningSim, size: str) -> None:
    """An OOM-killed driver: container state, exit code meaning, oom_score_adj formula."""
    app = make_app(incidents)
    press = ["2", "slash", *"daily-report-f6", "enter", "enter"]
    assert snap_compare(app, press=press, terminal_size=SIZES[size], run_before=_settled)


def test_pods_no_color(snap_compare, incidents: RunningSim, monkeypatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(incidents)
    assert snap_compare(app, press=["2"], terminal_size=(80, 24), run_before=_settled)


def test_findings_ansi_theme(snap_compare, incidents: RunningSim) -> None:
    app = make_app(incidents, theme="kubetui-ansi")
    assert snap_compare(app, press=["1"], terminal_size=(80, 24), run_before=_settled)


def test_help(snap_compare, incidents: RunningSim) -> None:
    app = make_app(incidents)
    assert snap_compare(app, press=["question_mark"], terminal_size=(80, 24), run_before=_settled)
