"""Failures of the data sources as the operator sees them."""

from __future__ import annotations

import asyncio

import pytest

from kubetui.model.store import ClusterState
from kubetui.sim.runner import RunningSim
from kubetui.ui import app as app_module
from kubetui.ui.app import KubetuiApp
from kubetui.ui.header import StatusHeader, Target
from kubetui.ui.main_screen import MainScreen
from kubetui.ui.messages import SourceUpdated
from tests.ui.conftest import make_app, settle


class NotAnUpdate:
    sync = None
    kind = "Pod"
    changes = ()
    snapshot = None


async def test_an_unknown_update_is_reported_and_not_applied() -> None:
    store = ClusterState()
    app = KubetuiApp([], Target(context="t", server="s"), store=store)
    async with app.run_test(size=(120, 30), notifications=True) as pilot:
        version = store.version
        app.post_message(SourceUpdated(NotAnUpdate()))  # type: ignore[arg-type]
        await pilot.pause()
        notices = [str(n.message) for n in app._notifications]
        assert notices == [
            "a source posted an unknown update, NotAnUpdate (known: ChangeBatch, "
            "MetricsUpdate, ChurnUpdate, KyuubiUpdate); it was not applied"
        ]
        assert store.version == version and not store.pods and not store.sync


async def test_a_teardown_mid_second_never_draws_into_removed_widgets(
    incidents: RunningSim, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The once-a-second redraw fires all through teardown (every 5 ms here) while the
    header takes 0.3 s to unmount, so the views are long gone before the main screen is:
    a timer that outlived them drew into removed widgets (NoMatches from ``query_one``,
    a different test failing each full run)."""
    monkeypatch.setattr(app_module, "ANALYSIS_INTERVAL", 0.005)
    drawn: list[bool] = []
    refresh_visible = MainScreen.refresh_visible

    def spy(screen: MainScreen) -> None:
        drawn.append(all(view.is_attached for view in screen.views.values()))
        refresh_visible(screen)

    async def slow_unmount(header: StatusHeader) -> None:
        await asyncio.sleep(0.3)

    monkeypatch.setattr(MainScreen, "refresh_visible", spy)
    monkeypatch.setattr(StatusHeader, "on_unmount", slow_unmount, raising=False)
    app = make_app(incidents)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.pause(0.05)
        before = len(drawn)
    assert before > 3 and all(drawn), drawn
