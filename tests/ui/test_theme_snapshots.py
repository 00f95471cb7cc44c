"""SVG snapshots of each shipped theme on the Findings and Pods views at 80×24 (issue 14,
item 4), on the frozen incidents cluster. Refresh after an intended change with
``pytest tests/ui/test_theme_snapshots.py --snapshot-update`` and review the SVGs."""

from __future__ import annotations

import pytest
from textual.pilot import Pilot

from kubetui.sim.runner import RunningSim
from tests.ui.conftest import make_app, settle

THEMES = (
    "kubetui-dark",
    "kubetui-light",
    "kubetui-high-contrast",
    "kubetui-okabe-ito",
    "kubetui-ansi",
)
VIEWS = {"findings": "1", "pods": "2"}


async def _settled(pilot: Pilot) -> None:
    await settle(pilot)


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("theme", THEMES)
def test_theme(snap_compare, incidents: RunningSim, theme: str, view: str) -> None:
    app = make_app(incidents, theme=theme)
    assert snap_compare(app, press=[VIEWS[view]], terminal_size=(80, 24), run_before=_settled)
