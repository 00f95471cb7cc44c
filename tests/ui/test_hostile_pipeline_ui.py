"""Hostile and malformed clusters on screen, property-based (issue 13).

Each generated cluster (tests/hostile_objects.py) is decoded as kubetui's sources decode
it (a PodList and a NodeList page, metadata watch lines into the churn tracker, a real
Kyuubi poll of a loopback server) and fed to the dashboard as the sources' updates; the
detail screen reads the pod's logs and events from the same loopback server through the
real ``KubeClient``. Under Pilot the test visits every view, the cleanup screen, the
command palette, and for two pods the detail screen's containers, logs and events and the
confirmation screens of delete, force delete, restart and kill. After each step:

* nothing executable is drawn: no ESC/CSI/OSC/DCS, BEL, C1 or bidi control, tab or
  newline in any segment of the rendered strips (toasts included);
* nothing invented: no "None" anywhere on screen (generated text never holds it), every
  exit code and restart count the containers pane shows is one the pod's record holds,
  and the log pane shows exactly the served lines, decoded, cut and made inert;
* the app runs on and sends no write (the server refuses and records any).

A modest number of clusters (each is a whole app run); derandomized for CI.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable

from hypothesis import Phase, given, settings
from kubernetes import client
from textual.content import Content
from textual.pilot import Pilot
from textual.widgets import Log, Static

from kubetui.config import Settings
from kubetui.model.churn_rates import ChurnTracker
from kubetui.model.decode import decode_node_page, decode_pod_page
from kubetui.model.records import Pod
from kubetui.model.store import ChangeBatch, SyncState
from kubetui.sources.churn import ChurnUpdate, decode_metadata_event
from kubetui.sources.kube_client import KubeClient
from kubetui.sources.kyuubi import KyuubiConfig, KyuubiPoller
from kubetui.sources.updates import Post, SourceUpdate
from kubetui.ui.app import KubetuiApp
from kubetui.ui.confirm import ConfirmScreen, ForceConfirmScreen
from kubetui.ui.detail import LOG_LINES, PodDetailScreen
from kubetui.ui.header import Target
from kubetui.ui.messages import PodChosen
from tests.hostile_objects import (
    NOW,
    SCREEN_UNSAFE,
    TRIED,
    Cluster,
    HostileServer,
    assert_text_inert,
    clusters,
    encode,
    expected_log_lines,
    list_page,
    reproducible,
)
from tests.ui.conftest import settle

UI_EXAMPLES = 12
SIZE = (160, 48)
#: Detail screens opened per cluster.
DETAIL_PODS = 2


class Feed:
    """A source that posts one cluster's decoded state once, as the ingest, the Kyuubi
    poller and the churn watch post theirs after their first LIST or poll."""

    def __init__(self, updates: list[SourceUpdate]) -> None:
        self.updates = updates

    def start(self, post: Post) -> None:
        for update in self.updates:
            post(update)

    def stop(self, timeout: float = 5.0) -> None:
        pass


def updates_of(cluster: Cluster, server: HostileServer, kyuubi: KyuubiConfig) -> list:
    live = {"phase": "live", "since": NOW}
    pods = decode_pod_page(list_page("PodList", cluster.pods, cluster.encoding))
    nodes = decode_node_page(list_page("NodeList", cluster.nodes, cluster.encoding))
    tracker = ChurnTracker(settle_seconds=0)
    for doc in cluster.churn:
        for kind in ("ADDED", "MODIFIED", "MODIFIED", "MODIFIED"):
            line = b'{"type":"' + kind.encode() + b'","object":' + encode(doc) + b"}"
            event = decode_metadata_event(line)
            if event is not None and event.record is not None:
                tracker.observe("ConfigMap", kind, event.record)
    server.serve(cluster)
    return [
        ChangeBatch(kind="Pod", snapshot=pods.items, sync=SyncState(source="pods", **live)),
        ChangeBatch(kind="Node", snapshot=nodes.items, sync=SyncState(source="nodes", **live)),
        KyuubiPoller(kyuubi).poll_once(),
        ChurnUpdate(rates=tracker.rates(min_updates=1), sync=SyncState(source="churn", **live)),
    ]


def drawn(app: KubetuiApp, what: str) -> str:
    """The screen as drawn, checked: no control character, no leaked ``None``."""
    lines = []
    for strip in app.screen._compositor.render_strips():
        line = "".join(segment.text for segment in strip)
        assert_text_inert(line, what, SCREEN_UNSAFE)
        lines.append(line)
    text = "\n".join(lines)
    assert "None" not in text, f"{what}: a Python None on screen: {text[:2000]}"
    return text


def plain(app: KubetuiApp, selector: str) -> str:
    content = app.screen.query_one(selector, Static).content
    assert isinstance(content, Content)
    return content.plain


async def until(pilot: Pilot, done: Callable[[], object], seconds: float = 5.0) -> bool:
    for _ in range(int(seconds / 0.02)):
        if done():
            return True
        await pilot.pause(0.02)
    return False


# "exit code unknown" is what the pane says for a missing code: not a value to check
_EXIT = re.compile(r"^\s+state\s.*?\bexit (?!code unknown)(\S+)", re.M)
_LAST_EXIT = re.compile(r"^\s+last state\s.*?\bexit (?!code unknown)(\S+)", re.M)
_RESTARTS = re.compile(r"^\s+restarts\s+(\S+)", re.M)


def check_containers_pane(text: str, pod: Pod) -> None:
    """Every exit code and restart count shown is one the record holds."""
    statuses = (*pod.status.container_statuses, *pod.status.init_container_statuses)
    now = {str(s.state.terminated.exit_code) for s in statuses if s.state and s.state.terminated}
    last = {
        str(s.last_state.terminated.exit_code)
        for s in statuses
        if s.last_state and s.last_state.terminated
    }
    restarts = {str(s.restart_count) for s in statuses if s.restart_count is not None} | {"?"}
    for shown, held, what in (
        (_EXIT.findall(text), now, "exit code"),
        (_LAST_EXIT.findall(text), last, "last exit code"),
        (_RESTARTS.findall(text), restarts, "restart count"),
    ):
        for value in shown:
            assert value in held, f"invented {what} {value!r} (record: {sorted(held)})"


async def confirmations(pilot: Pilot, app: KubetuiApp, where: str) -> None:
    """Delete, force delete, restart and kill: each confirmation screen (or the notice
    refusing it) is drawn inert; every one is cancelled, a force delete after its first
    screen (nothing is sent before the second one)."""
    for key in ("ctrl+d", "D", "r", "K"):
        before = app.screen
        seen = {n.identity for n in app._notifications}
        await pilot.press(key)

        # Each key confirms or says why not (a restart plans in a thread first).
        def answered(before=before, seen=seen) -> bool:
            return app.screen is not before or any(
                n.identity not in seen for n in app._notifications
            )

        assert await until(pilot, answered), f"{where}: {key} did nothing"
        await pilot.pause()
        drawn(app, f"{where}: {key}")
        if isinstance(app.screen, ConfirmScreen):
            plan = app.screen.plan
            if plan.needs_second_confirmation:
                await pilot.press("y")
                await until(pilot, lambda: isinstance(app.screen, ForceConfirmScreen), 1.0)
                assert isinstance(app.screen, ForceConfirmScreen)
                drawn(app, f"{where}: {key}: the second confirmation")
                await pilot.press("escape")
            else:
                await pilot.press("n")
            await pilot.pause()
        assert app.screen is before, f"{where}: {key} left {app.screen}"


async def detail(pilot: Pilot, app: KubetuiApp, uid: str, logs: list[str] | None) -> None:
    app.main.post_message(PodChosen(uid))
    await until(pilot, lambda: isinstance(app.screen, PodDetailScreen), 2.0)
    assert isinstance(app.screen, PodDetailScreen)
    pod = app.data.store.pods[uid]
    drawn(app, "detail: containers")
    check_containers_pane(plain(app, "#detail-containers-body"), pod)

    await pilot.press("l")
    log = app.screen.query_one(Log)
    if logs is not None:
        # Textual's Log.write_lines splits each line with str.splitlines: an empty line
        # is dropped and U+2028/U+2029 (which inert_text.py leaves alone) start a new one.
        logs = [piece for line in logs for piece in line.splitlines()]
        # The served lines, or the one line saying why they cannot be read (a pod name of
        # a megabyte makes a URL no server takes).
        failed = lambda: len(log.lines) == 1 and log.lines[0].startswith("[kubetui] ")  # noqa: E731
        assert await until(pilot, lambda: log.lines == logs[-LOG_LINES:] or failed()), (
            f"log pane {log.lines[:5]} … served {logs[:5]} …"
        )
    drawn(app, "detail: logs")
    assert "error" not in plain(app, "#log-title")

    await pilot.press("e")
    assert await until(pilot, lambda: not plain(app, "#detail-events-body").startswith("Loading"))
    drawn(app, "detail: events")

    await confirmations(pilot, app, "detail")
    await pilot.press("escape")
    await pilot.pause()


async def drive(app: KubetuiApp, cluster: Cluster, logs: list[str] | None) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for key in ("1", "2", "3", "4", "5"):
            await pilot.press(key)
            await pilot.pause()
            drawn(app, f"view {key}")
            await confirmations(pilot, app, f"view {key}")
        await pilot.press("1", "c")
        await pilot.pause()
        drawn(app, "cleanup screen")
        await pilot.press("escape")
        await pilot.press("ctrl+p", *"namespace:")
        await pilot.pause(0.2)
        drawn(app, "command palette")
        await pilot.press("escape")
        await pilot.pause()
        for uid in list(app.data.store.pods)[:DETAIL_PODS]:
            await detail(pilot, app, uid, logs)
        assert app.is_running


def kube_client(url: str) -> KubeClient:
    configuration = client.Configuration()
    configuration.host = url
    configuration.retries = False
    api = client.ApiClient(configuration)
    return KubeClient(api=api, context="hostile", server=url, namespace=None, user=None)


def test_hostile_clusters_on_every_screen() -> None:
    with HostileServer() as server:
        kyuubi = KyuubiConfig(url=server.url, user="admin", timeout=5.0)

        # No shrinking: each step is a whole app run, and a failing cluster is printed.
        @settings(reproducible(UI_EXAMPLES), phases=[Phase.explicit, Phase.generate])
        @given(cluster=clusters(max_pods=4))
        def on_screen(cluster: Cluster) -> None:
            TRIED["dashboard: every view, detail, confirmations (Pilot)"] += cluster.objects()
            app = KubetuiApp(
                [Feed(updates_of(cluster, server, kyuubi))],
                Target(context="hostile", server=server.url),
                kube=kube_client(server.url),
                clock=lambda: NOW,
                source_names=("pods", "nodes", "kyuubi", "churn"),
                settings=Settings(kyuubi=kyuubi),
            )
            asyncio.run(drive(app, cluster, expected_log_lines(cluster.logs)))

        on_screen()
        assert server.writes() == []
    assert TRIED["dashboard: every view, detail, confirmations (Pilot)"] > UI_EXAMPLES
