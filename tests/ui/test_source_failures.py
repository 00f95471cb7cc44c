"""Failures of the data sources as the operator sees them, through the dashboard on the
simulator: an exception injected into each kind of source (the pod watch, the metrics
poll, the Kyuubi poll, the churn report, the detail screen's log follower and events
read) shows as that source's error state with its cause (in the header, or the pane's
own title), its traceback is in the log file without credentials, and the source comes
back: its state returns to live and later data arrives. Also: an unknown update is
reported, not applied; a teardown never draws into removed widgets."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable

import pytest
from textual.pilot import Pilot
from textual.widgets import Log, Static

from kubetui.config import Settings
from kubetui.model.store import ClusterState
from kubetui.paths import log_file
from kubetui.sim.runner import RunningSim
from kubetui.sources import ingest as ingest_module
from kubetui.sources import metrics as metrics_module
from kubetui.sources import pod_events as pod_events_module
from kubetui.sources import pod_logs as pod_logs_module
from kubetui.sources.churn import ChurnWatcher
from kubetui.sources.kyuubi import KyuubiPoller
from kubetui.sources.reflector import PODS
from kubetui.ui import app as app_module
from kubetui.ui import detail as detail_module
from kubetui.ui.app import KubetuiApp
from kubetui.ui.cli import demo_kyuubi
from kubetui.ui.detail import PodDetailScreen
from kubetui.ui.header import StatusHeader, Target
from kubetui.ui.main_screen import MainScreen
from kubetui.ui.messages import PodChosen, SourceUpdated
from tests.sim.conftest import pod as pod_dict
from tests.sources.faults import Fault
from tests.ui.conftest import make_app, settle

WIDE = (240, 40)


async def wait_until(pilot: Pilot, check: Callable[[], object], what: str) -> None:
    for _ in range(600):
        if check():
            return
        await pilot.pause(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def header(app: KubetuiApp) -> str:
    content = app.main.query_one(StatusHeader).content
    return getattr(content, "plain", str(content))


def logged(fault: Fault, secret: str) -> None:
    """The log file holds the failure's traceback, and not the credential."""
    text = log_file().read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in text
    assert f"InjectedFault: {fault.message.split(' (')[0]}" in text
    assert secret not in text


def source(app: KubetuiApp, kind: type) -> object:
    return next(s for s in app.sources if isinstance(s, kind))


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


async def test_the_pod_watch_fails_and_comes_back(
    fresh_incidents: RunningSim, monkeypatch: pytest.MonkeyPatch
) -> None:
    sim = fresh_incidents
    fault = Fault(PODS.decode_event, "the watch", when=lambda line: b"late-pod" in line)
    monkeypatch.setattr(ingest_module, "PODS", dataclasses.replace(PODS, decode_event=fault))
    app = make_app(sim)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        sim.state.create("pods", pod_dict("late-pod"))
        shown = f"pods error (data stale): {fault.cause}"
        await wait_until(pilot, lambda: shown in header(app), "the error in the header")
        await wait_until(pilot, lambda: "pods live" in header(app), "pods live again")
        names = {p.metadata.name for p in app.data.store.pods.values()}
        assert "late-pod" in names  # its event was lost in the failure; the relist has it
    assert fault.raised == 1
    logged(fault, sim.token)


def _metrics(app: KubetuiApp, monkeypatch: pytest.MonkeyPatch, where: str) -> Fault:
    fault = Fault(metrics_module.decode_pod_metrics, where)
    monkeypatch.setattr(metrics_module, "decode_pod_metrics", fault)
    return fault


def _kyuubi(app: KubetuiApp, monkeypatch: pytest.MonkeyPatch, where: str) -> Fault:
    poller = source(app, KyuubiPoller)
    assert isinstance(poller, KyuubiPoller)
    fault = Fault(poller.client.fetch, where)
    monkeypatch.setattr(poller.client, "fetch", fault)
    return fault


def _churn(app: KubetuiApp, monkeypatch: pytest.MonkeyPatch, where: str) -> Fault:
    watcher = source(app, ChurnWatcher)
    assert isinstance(watcher, ChurnWatcher)
    watcher.report_interval = 0.2
    fault = Fault(watcher.tracker.rates, where)
    monkeypatch.setattr(watcher.tracker, "rates", fault)
    return fault


@pytest.mark.parametrize(
    ("name", "inject"),
    [("metrics", _metrics), ("kyuubi", _kyuubi), ("churn", _churn)],
)
async def test_a_polling_source_fails_and_comes_back(
    incidents: RunningSim,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    inject: Callable[[KubetuiApp, pytest.MonkeyPatch, str], Fault],
) -> None:
    """The injected exception carries the cluster's token in an Authorization header:
    neither the header nor the log file shows it."""
    app = make_app(incidents, hot_loops=True, settings=Settings(kyuubi=demo_kyuubi(incidents)))
    secret = incidents.token
    fault = inject(app, monkeypatch, f"{name} (Authorization: Bearer {secret})")
    async with app.run_test(size=WIDE) as pilot:
        shown = f"{name} error: InjectedFault: injected in {name} (Author"  # then cut: "…"
        await wait_until(pilot, lambda: shown in header(app), "the error in the header")
        assert secret not in header(app)
        await wait_until(pilot, lambda: f"{name} live" in header(app), f"{name} live again")
    assert fault.raised == 1
    logged(fault, secret)


async def _open_detail(app: KubetuiApp, pilot: Pilot, sim: RunningSim, prefix: str) -> None:
    pod = next(p for p in sim.state.list("pods") if p["metadata"]["name"].startswith(prefix))
    app.main.post_message(PodChosen(pod["metadata"]["uid"]))
    await pilot.pause()
    assert isinstance(app.screen, PodDetailScreen)


async def test_the_log_follower_fails_and_starts_over(
    incidents: RunningSim, monkeypatch: pytest.MonkeyPatch
) -> None:
    fault = Fault(pod_logs_module._clean, "the log follower")
    monkeypatch.setattr(pod_logs_module, "_clean", fault)
    app = make_app(incidents)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await _open_detail(app, pilot, incidents, "kyuubi-hourly-sessionize")
        await pilot.press("l")
        title = app.screen.query_one("#log-title", Static)
        await wait_until(
            pilot, lambda: f"error: {fault.cause}; restarting in" in str(title.content), "error"
        )
        log = app.screen.query_one(Log)
        assert log.line_count == 0  # the first chunk failed
        await wait_until(pilot, lambda: log.line_count > 0, "the log after the restart")
        assert "error" not in str(title.content)
        assert "(following" in str(title.content)
    assert fault.raised == 1
    logged(fault, incidents.token)


async def test_the_events_read_fails_and_is_read_again(
    incidents: RunningSim, monkeypatch: pytest.MonkeyPatch
) -> None:
    fault = Fault(pod_events_module.fetch_pod_events, "the events read")
    monkeypatch.setattr(detail_module, "fetch_pod_events", fault)
    app = make_app(incidents)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await _open_detail(app, pilot, incidents, "kyuubi-clickstream-agg")
        await pilot.press("e")
        body = app.screen.query_one("#detail-events-body", Static)
        await wait_until(
            pilot, lambda: f"Events: error: {fault.cause}" in str(body.content), "the error"
        )
        await wait_until(pilot, lambda: "REASON" in str(body.content), "the events")
    assert fault.raised == 1
    logged(fault, incidents.token)
