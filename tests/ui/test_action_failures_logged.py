"""An action that breaks in a way the runner does not expect ends in its result screen
with one line, and the traceback goes to kubetui's log file (``kubetui locate log``):
the operator sees what broke, the log keeps the whole story for the post-mortem."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubetui.paths import log_file
from kubetui.sim.runner import RunningSim
from kubetui.ui import action_runner
from tests.ui.conftest import make_app, screen_text, settle
from tests.ui.test_actions import BIG, ZOMBIE, finish_run, pod, select_pod, writes


def _explode(*args: object, **kwargs: object) -> None:
    raise RuntimeError("connection pool exploded")


async def test_a_broken_run_is_one_line_on_screen_and_its_traceback_in_the_log(
    fresh_incidents: RunningSim, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setattr(action_runner, "execute", _explode)
    sim = fresh_incidents
    app = make_app(sim)
    async with app.run_test(size=BIG) as pilot:
        await settle(pilot)
        await select_pod(pilot, app, pod(sim, ZOMBIE)["metadata"]["uid"])
        await pilot.press("ctrl+d")
        await pilot.press("y")
        await finish_run(pilot, app)
        shown = screen_text(app)
        assert "the run stopped: RuntimeError: connection pool exploded" in shown
        assert "Traceback" not in shown
    log = log_file().read_text()
    assert "Traceback (most recent call last)" in log
    assert "RuntimeError: connection pool exploded" in log
    assert writes(sim) == []
