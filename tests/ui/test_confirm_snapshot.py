"""SVG snapshot of the force-delete confirmation at 80×24 (frozen incidents cluster).

Refresh after an intended change with
``pytest tests/ui/test_confirm_snapshot.py --snapshot-update`` and review the SVG.
"""

from __future__ import annotations

from kubetui.sim.runner import RunningSim
from tests.ui.conftest import make_app, settle

STUCK = "etl-3ebebe3e-1790-40da-9891-0052cebcc1ba-exec-4"


def test_force_delete_confirm(snap_compare, incidents: RunningSim) -> None:
    """The stuck Terminating executor: the call, its finalizer and the force warning."""
    app = make_app(incidents)
    press = ["2", "slash", *STUCK, "enter", "D"]
    assert snap_compare(app, press=press, terminal_size=(80, 24), run_before=settle)
