"""Dashboard test fixtures: a frozen incidents sim, the CLI's app factory, and waits.

The sim's clock is frozen and handed to the app, so every age on screen is the same on
every run; the header shows a fixed server label instead of the sim's ephemeral port.
Tests wait for ``app.settled`` (sources listed, analysis current, repaint done) instead
of sleeping.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from textual.app import App
from textual.pilot import Pilot

from kubetui.sim.runner import RunningSim, running_sim
from kubetui.sources.kube_client import connect
from kubetui.ui.app import KubetuiApp
from kubetui.ui.cli import dashboard_app

SERVER_LABEL = "demo incidents seed 1"


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """No user themes or config from this machine, its own state dir (the log file),
    colour on, default theme."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("xdg")))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path_factory.mktemp("state")))
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("TEXTUAL_THEME", raising=False)


@pytest.fixture(scope="session")
def incidents() -> Iterator[RunningSim]:
    """One frozen incidents cluster shared by the read-only tests."""
    with running_sim("incidents", 1, frozen=True) as sim:
        yield sim


@pytest.fixture
def fresh_incidents() -> Iterator[RunningSim]:
    """A frozen incidents cluster a test may change."""
    with running_sim("incidents", 1, frozen=True) as sim:
        yield sim


def make_app(sim: RunningSim, **kwargs) -> KubetuiApp:
    """The app ``kubetui demo`` builds, on the sim's frozen clock."""
    kube = connect(str(sim.kubeconfig_path))
    return dashboard_app(kube, None, server_label=SERVER_LABEL, clock=sim.state.clock.now, **kwargs)


async def settle(pilot: Pilot, app: App | None = None) -> None:
    """Wait until the data is in, analysed and drawn (bounded: fails after ~10 s)."""
    app = app or pilot.app
    assert isinstance(app, KubetuiApp)
    await pilot.pause()  # let posted messages be handled first
    for _ in range(500):
        if app.settled:
            break
        await pilot.pause(0.02)
    else:
        raise AssertionError(f"the dashboard never settled: sync={app.data.store.sync}")
    await pilot.pause()


def screen_text(app: App) -> str:
    """What the terminal shows, as plain text lines."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())
