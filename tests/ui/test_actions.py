"""Pilot tests of the write keys on a frozen incidents cluster the test may change.

Each test counts what reached the sim (``sim.request_log`` by verb): cancelling sends no
write, confirming sends exactly the plan (a server-side dry run, then the real call, for
exactly the chosen pods), and every other pod stays as it was.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Static

from kubetui.config import Settings
from kubetui.sim.runner import RunningSim
from kubetui.ui import action_runner
from kubetui.ui.action_runner import ActionRunScreen
from kubetui.ui.app import KubetuiApp
from kubetui.ui.cleanup_screen import CleanupScreen
from kubetui.ui.cli import demo_kyuubi
from kubetui.ui.confirm import ConfirmScreen, ForceConfirmScreen
from kubetui.ui.dialogs import HelpScreen
from kubetui.ui.line_table import LineTable
from tests.ui.conftest import make_app, screen_text, settle
from tests.ui.test_hostile_text import MARKUP, NAMESPACE, _assert_inert, _hostile_objects

BIG = (160, 50)
ZOMBIE = "kyuubi-ml-train-d0b93207-12cb-4f3f-847a-ddc92d9b4f22-driver"
STUCK = "kyuubi-nightly-etl-3ebebe3e-1790-40da-9891-0052cebcc1ba-exec-4"
WRITES = ("DELETE", "POST", "PATCH", "PUT")


@pytest.fixture(autouse=True)
def _audit_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


@pytest.fixture
def kyuubi_requests(fresh_incidents: RunningSim) -> list[tuple[str, str]]:
    """(method, path) of every request the Kyuubi lookalike receives."""
    assert fresh_incidents.kyuubi is not None
    return fresh_incidents.kyuubi.request_log


def pods_of(sim: RunningSim) -> dict[str, tuple[str, str]]:
    """uid → (namespace/name, resourceVersion) of every pod the sim holds."""
    return {
        p["metadata"]["uid"]: (
            f"{p['metadata']['namespace']}/{p['metadata']['name']}",
            p["metadata"]["resourceVersion"],
        )
        for p in sim.state.list("pods")
    }


def pod(sim: RunningSim, name: str) -> dict:
    return next(p for p in sim.state.list("pods") if p["metadata"]["name"] == name)


def writes(sim: RunningSim) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in sim.request_log if r.method in WRITES]


def shown(app: KubetuiApp, selector: str) -> str:
    """The plain text of one Static on the current screen (unwrapped)."""
    return str(app.screen.query_one(selector, Static).content)


async def select_pod(pilot: Pilot, app: KubetuiApp, uid: str) -> None:
    await pilot.press("2")
    assert app.screen.query_one("#pods-table", LineTable).select_key(uid)
    await pilot.pause()


async def planned(pilot: Pilot, app: KubetuiApp) -> None:
    """Wait for a plan made in a worker (relaunch plans may read the cluster)."""
    await app.workers.wait_for_complete()
    await pilot.pause()


async def finish_run(pilot: Pilot, app: KubetuiApp) -> ActionRunScreen:
    screen = app.screen
    assert isinstance(screen, ActionRunScreen)
    await app.workers.wait_for_complete()
    for _ in range(200):
        await pilot.pause()
        if screen.finished:
            await settle(pilot)  # the analysis of the changed cluster is done before exit
            return screen
    raise AssertionError("the run never finished")


async def test_delete_cancel_sends_nothing(fresh_incidents: RunningSim) -> None:
    sim = fresh_incidents
    app = make_app(sim)
    async with app.run_test(size=BIG) as pilot:
        await settle(pilot)
        await select_pod(pilot, app, pod(sim, ZOMBIE)["metadata"]["uid"])
        for cancel in ("n", "escape"):
            await pilot.press("ctrl+d")
            assert isinstance(app.screen, ConfirmScreen)
            await pilot.press(cancel)
            assert not isinstance(app.screen, ConfirmScreen)
        await pilot.pause()
    assert writes(sim) == []


async def test_delete_confirm_sends_exactly_the_plan(fresh_incidents: RunningSim) -> None:
    sim = fresh_incidents
    before = pods_of(sim)
    target = pod(sim, ZOMBIE)["metadata"]
    path = f"/api/v1/namespaces/{target['namespace']}/pods/{ZOMBIE}"
    app = make_app(sim)
    async with app.run_test(size=BIG) as pilot:
        await settle(pilot)
        await select_pod(pilot, app, target["uid"])
        await pilot.press("ctrl+d")
        assert isinstance(app.screen, ConfirmScreen)
        text = screen_text(app)
        assert f"Delete pod spark-bob/{ZOMBIE}" in text and "1 object, 1 API call" in text
        plan = shown(app, "#confirm-plan")
        assert f"DELETE {path} (preconditions uid={target['uid']}," in plan
        assert f"delete  Pod spark-bob/{ZOMBIE}" in plan
        assert writes(sim) == []
        await pilot.press("y")
        run = await finish_run(pilot, app)
        assert [o.status for o in run.outcomes] == ["deleted"]
        assert f"deleted            spark-bob/{ZOMBIE}" in screen_text(app)
        await pilot.press("escape")
        assert not isinstance(app.screen, ActionRunScreen)
    assert writes(sim) == [("DELETE", path), ("DELETE", path)]  # dry run, then for real
    after = pods_of(sim)
    assert set(before) - set(after) == {target["uid"]}
    assert {uid: before[uid] for uid in after} == after  # every other pod unchanged
    audit = (Path(app_state_dir()) / "audit.jsonl").read_text().splitlines()
    record = json.loads(audit[0])
    assert record["verb"] == "delete" and record["outcomes"][0]["uid"] == target["uid"]


async def test_delete_from_the_pod_detail_screen(fresh_incidents: RunningSim) -> None:
    """The write keys work on the pod the detail screen shows; cancel sends nothing,
    confirm deletes exactly that pod."""
    from kubetui.ui.detail import PodDetailScreen

    sim = fresh_incidents
    target = pod(sim, ZOMBIE)["metadata"]
    app = make_app(sim)
    async with app.run_test(size=BIG) as pilot:
        await settle(pilot)
        await select_pod(pilot, app, target["uid"])
        await pilot.press("enter")
        assert isinstance(app.screen, PodDetailScreen)
        await pilot.press("ctrl+d")
        assert isinstance(app.screen, ConfirmScreen)
        assert f"Delete pod spark-bob/{ZOMBIE}" in screen_text(app)
        await pilot.press("n")
        assert isinstance(app.screen, PodDetailScreen) and writes(sim) == []
        await pilot.press("ctrl+d", "y")
        run = await finish_run(pilot, app)
        assert [(o.name, o.status) for o in run.outcomes] == [(ZOMBIE, "deleted")]
    path = f"/api/v1/namespaces/{target['namespace']}/pods/{ZOMBIE}"
    assert writes(sim) == [("DELETE", path), ("DELETE", path)]


def app_state_dir() -> str:
    from kubetui.paths import state_dir

    return str(state_dir())


async def test_force_delete_needs_the_typed_second_confirmation(
    fresh_incidents: RunningSim,
) -> None:
    sim = fresh_incidents
    target = pod(sim, STUCK)["metadata"]
    path = f"/api/v1/namespaces/etl/pods/{STUCK}"
    app = make_app(sim)
    async with app.run_test(size=BIG) as pilot:
        await settle(pilot)
        await select_pod(pilot, app, target["uid"])
        # First screen, then the second: esc there sends nothing.
        await pilot.press("D")
        assert isinstance(app.screen, ConfirmScreen)
        plan = shown(app, "#confirm-plan")
        assert f"force-delete  Pod etl/{STUCK}" in plan
        assert "resourceVersion=" in plan and "gracePeriodSeconds=0" in plan
        assert "finalizers acme.io/shuffle-archive" in plan
        await pilot.press("y")
        assert isinstance(app.screen, ForceConfirmScreen)
        risk = shown(app, "#force-risk")
        assert "may keep running" in risk and "acme.io/shuffle-archive" in risk
        await pilot.press("escape")
        await pilot.pause()
        assert writes(sim) == []
        # A wrong word and enter: still nothing.
        await pilot.press("D", "y", *"forc", "enter")
        assert isinstance(app.screen, ForceConfirmScreen)
        assert writes(sim) == []
        await pilot.press("e", "enter")
        run = await finish_run(pilot, app)
        assert [o.status for o in run.outcomes] == ["held-by-finalizers"]
    assert writes(sim) == [("DELETE", path), ("DELETE", path)]
    held = sim.state.get("pods", "etl", STUCK)
    assert held is not None and held["metadata"]["finalizers"]


@pytest.mark.parametrize(
    "key",
    [
        "D",  # force delete: the pod is neither stuck Terminating nor on a vanished node
        "r",  # relaunch: a bare driver pod, no Kyuubi configured: nothing would recreate it
    ],
)
async def test_refused_action_shows_no_plan_and_sends_nothing(
    fresh_incidents: RunningSim, key: str
) -> None:
    sim = fresh_incidents
    app = make_app(sim)
    async with app.run_test(size=BIG) as pilot:
        await settle(pilot)
        await select_pod(pilot, app, pod(sim, ZOMBIE)["metadata"]["uid"])
        await pilot.press(key)
        await planned(pilot, app)
        assert not isinstance(app.screen, ConfirmScreen)
    assert writes(sim) == []


def engine_key(app: KubetuiApp, name: str) -> str:
    table = app.screen.query_one("#engines-table", LineTable)
    return next(k for k in table.keys if name in (app.main.views[3].engine(k).name or ""))


async def test_kill_engine_without_kyuubi_deletes_the_driver_and_follows(
    fresh_incidents: RunningSim,
) -> None:
    sim = fresh_incidents
    app = make_app(sim)
    async with app.run_test(size=BIG) as pilot:
        await settle(pilot)
        await pilot.press("3")
        key = engine_key(app, "warehouse-load")
        engine = app.main.views[3].engine(key)
        driver = engine.driver.metadata
        app.screen.query_one("#engines-table", LineTable).select_key(key)
        await pilot.press("K")
        assert isinstance(app.screen, ConfirmScreen)
        plan = shown(app, "#confirm-plan")
        path = f"/api/v1/namespaces/{driver.namespace}/pods/{driver.name}"
        assert f"DELETE {path} (preconditions uid={driver.uid}," in plan
        executors = sorted(p.metadata.name for p in engine.executors)
        assert f"executors follow by owner GC: {', '.join(executors)}" in plan
        assert "follow pods spark-app-selector=" in plan
        await pilot.press("y")
        run = app.screen
        assert isinstance(run, ActionRunScreen)
        seen = 0
        for _ in range(1000):  # sim time stands still: move it past the grace periods
            if run.finished:
                break
            if len(run.lines) > seen:  # each time the follow-up reports a change
                seen = len(run.lines)
                sim.state.clock.advance(31)
            await pilot.pause(0.02)
        run = await finish_run(pilot, app)
        assert [o.status for o in run.outcomes] == ["killed"], run.outcomes
        assert "killed: driver and 3 executors gone" in shown(app, "#run-lines")
    assert writes(sim) == [("DELETE", path), ("DELETE", path)]
    assert all(
        sim.state.get("pods", driver.namespace, p.metadata.name) is None for p in engine.pods
    )


async def test_kill_engine_through_kyuubi_shows_the_call_and_cancel_sends_nothing(
    fresh_incidents: RunningSim, kyuubi_requests: list[tuple[str, str]]
) -> None:
    sim = fresh_incidents
    app = make_app(sim, settings=Settings(kyuubi=demo_kyuubi(sim)))
    async with app.run_test(size=BIG) as pilot:
        await settle(pilot)
        await pilot.press("3")
        key = engine_key(app, "warehouse-load")
        app.screen.query_one("#engines-table", LineTable).select_key(key)
        await pilot.press("K")
        assert isinstance(app.screen, ConfirmScreen)
        engine = app.main.views[3].engine(key)
        plan = shown(app, "#confirm-plan")
        assert f"kyuubi-kill-batch  Pod {engine.namespace}/{engine.driver.metadata.name}" in plan
        assert f"DELETE {sim.kyuubi_url.rstrip('/')}/api/v1/batches/{engine.kyuubi_tag}" in plan
        assert "else       DELETE /api/v1/namespaces/" in plan
        await pilot.press("n")
        await pilot.pause()
    assert writes(sim) == []
    assert kyuubi_requests and {method for method, _ in kyuubi_requests} == {"GET"}


async def test_bulk_cleanup_cancelled_midway_keeps_what_was_done(
    fresh_incidents: RunningSim, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker waits after the first pod until esc was pressed: one deleted, the rest
    reported as cancelled, and only that one pod is gone."""
    sim = fresh_incidents
    before = pods_of(sim)
    sim_pods = sim.state.list("pods")
    real_execute = action_runner.execute

    def first_then_wait(kube, plan, *, cancel, on_outcome, **kw):
        def reported(outcome):
            on_outcome(outcome)
            cancel.wait(10)

        return real_execute(kube, plan, cancel=cancel, on_outcome=reported, **kw)

    monkeypatch.setattr(action_runner, "execute", first_then_wait)
    app = make_app(sim)
    async with app.run_test(size=BIG) as pilot:
        await settle(pilot)
        await pilot.press("c")
        assert isinstance(app.screen, CleanupScreen)
        await pilot.press("enter")  # zombie engine pods, the first choice
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        run = app.screen
        assert isinstance(run, ActionRunScreen)
        for _ in range(500):
            if run.outcomes:
                break
            await pilot.pause(0.02)
        await pilot.press("escape")
        run = await finish_run(pilot, app)
        statuses = [o.status for o in run.outcomes]
        assert statuses[0] == "deleted" and set(statuses[1:]) == {"cancelled"}
        assert len(statuses) == 15
        assert shown(app, "#run-lines").count("not run: cancelled by the operator") == 14
    first = run.outcomes[0].uid
    executors = {  # the first zombie's executors went with it by owner GC
        p["metadata"]["uid"]
        for p in sim_pods
        if any(ref["uid"] == first for ref in p["metadata"].get("ownerReferences", ()))
    }
    after = pods_of(sim)
    assert set(before) - set(after) == {first} | executors
    deletes = [path for method, path in writes(sim) if method == "DELETE"]
    assert len(deletes) == 2 and deletes[0].endswith(f"/{run.outcomes[0].name}")


async def test_restart_of_a_deployment_pod_is_a_rollout_restart(
    fresh_incidents: RunningSim,
) -> None:
    sim = fresh_incidents
    coredns = next(
        p for p in sim.state.list("pods") if p["metadata"]["name"].startswith("coredns-")
    )
    app = make_app(sim)
    async with app.run_test(size=BIG) as pilot:
        await settle(pilot)
        await select_pod(pilot, app, coredns["metadata"]["uid"])
        await pilot.press("r")
        await planned(pilot, app)
        assert isinstance(app.screen, ConfirmScreen)
        assert "Rollout restart Deployment kube-system/coredns" in screen_text(app)
        plan = shown(app, "#confirm-plan")
        assert "PATCH /apis/apps/v1/namespaces/kube-system/deployments/coredns" in plan
        await pilot.press("y")
        run = await finish_run(pilot, app)
        assert [o.status for o in run.outcomes] == ["restarted"]
    patches = [path for method, path in writes(sim) if method == "PATCH"]
    assert patches == ["/apis/apps/v1/namespaces/kube-system/deployments/coredns"] * 2


async def select_alice_engine(pilot: Pilot, app: KubetuiApp):
    """Select, in Engines, alice's interactive engine Kyuubi lists (USER, subdomain default)."""
    node = next(
        n for n in app.data.store.kyuubi.engines if n.user == "alice" and n.subdomain == "default"
    )
    await pilot.press("3")
    table = app.screen.query_one("#engines-table", LineTable)
    key = next(k for k in table.keys if app.main.views[3].engine(k).kyuubi_tag == node.ref_id)
    table.select_key(key)
    return app.main.views[3].engine(key)


async def test_relaunch_of_an_interactive_engine_shows_the_session_and_cancel_sends_nothing(
    fresh_incidents: RunningSim, kyuubi_requests: list[tuple[str, str]]
) -> None:
    sim = fresh_incidents
    app = make_app(sim, settings=Settings(kyuubi=demo_kyuubi(sim)))
    async with app.run_test(size=BIG) as pilot:
        await settle(pilot)
        await select_alice_engine(pilot, app)
        await pilot.press("r")
        await planned(pilot, app)
        assert isinstance(app.screen, ConfirmScreen), [n.message for n in app._notifications]
        assert "USER SPARK_SQL default as alice" in screen_text(app)
        plan = shown(app, "#confirm-plan")
        kyuubi = sim.kyuubi_url.rstrip("/")
        assert "1. kyuubi-kill-engine" in plan and f"DELETE {kyuubi}/api/v1/admin/engine?" in plan
        assert "2. kyuubi-open-session" in plan and f"POST {kyuubi}/api/v1/sessions" in plan
        assert "3. kyuubi-close-session" in plan
        await pilot.press("escape")
        await pilot.pause()
    assert writes(sim) == []
    assert {method for method, _ in kyuubi_requests} == {"GET"}


async def test_relaunch_refusal_says_what_is_missing(fresh_incidents: RunningSim) -> None:
    """A batch whose conf ConfigMap is gone: nothing to rebuild the request from."""
    sim = fresh_incidents
    driver = next(
        p
        for p in sim.state.list("pods", "etl")
        if "warehouse-load" in p["metadata"]["name"] and p["metadata"]["name"].endswith("-driver")
    )
    for volume in driver["spec"].get("volumes", ()):
        if "configMap" in volume and sim.state.get(
            "configmaps", "etl", volume["configMap"]["name"]
        ):
            sim.state.remove("configmaps", "etl", volume["configMap"]["name"])
    app = make_app(sim, settings=Settings(kyuubi=demo_kyuubi(sim)))
    async with app.run_test(size=BIG, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("3")
        app.screen.query_one("#engines-table", LineTable).select_key(
            engine_key(app, "warehouse-load")
        )
        await pilot.press("r")
        await planned(pilot, app)
        assert app.screen is app.main
        (message,) = [n.message for n in app._notifications]
        assert "the batch request cannot be rebuilt: ConfigMap " in message
    assert writes(sim) == []


WRITE_IDS = ("pod-delete", "pod-force-delete", "pod-restart", "engine-kill", "cleanup")


def palette_help(app: KubetuiApp) -> dict[str, str]:
    """The palette's binding entries over the current screen: id → help line (keys · id)."""
    return {
        str(c.help).rsplit("·", 1)[1].strip(): str(c.help)
        for c in app.get_system_commands(app.screen)
        if "·" in str(c.help)
    }


async def test_read_only_hides_the_write_keys_and_sends_nothing(
    fresh_incidents: RunningSim,
) -> None:
    sim = fresh_incidents
    app = make_app(sim, settings=Settings(read_only=True))
    async with app.run_test(size=BIG) as pilot:
        await settle(pilot)
        await select_pod(pilot, app, pod(sim, STUCK)["metadata"]["uid"])
        for _ in range(100):  # the footer recomposes a frame after a view switch
            footer = screen_text(app).splitlines()[-1]
            if "Filter" in footer:
                break
            await pilot.pause(0.02)
        assert "Filter" in footer and "Delete" not in footer
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        help_text = screen_text(app)
        assert "view-pods" in help_text
        assert not [i for i in WRITE_IDS if i in help_text]
        await pilot.press("escape")
        assert not set(WRITE_IDS) & set(palette_help(app))
        for key in ("ctrl+d", "D", "r", "K", "c"):
            await pilot.press(key)
            await pilot.pause()
            assert app.screen is app.main, key
        # Invoked anyway (a remapped key, a script): refused before any plan is shown.
        app.main.action_delete_pod()
        app.main.action_cleanup()
        await pilot.pause()
        assert app.screen is app.main
    assert writes(sim) == []


async def test_write_keys_are_in_help_and_palette(incidents: RunningSim) -> None:
    app = make_app(incidents)
    async with app.run_test(size=BIG) as pilot:
        await settle(pilot)
        footer = screen_text(app).splitlines()[-1]
        assert "^d Delete" in footer and "? Help" in footer
        await pilot.press("question_mark")
        help_text = screen_text(app)
        assert all(i in help_text for i in WRITE_IDS)
        await pilot.press("escape")
        entries = palette_help(app)
        assert set(WRITE_IDS) <= set(entries)
        assert entries["pod-delete"].startswith("^d") and entries["engine-kill"].startswith("K")


async def test_hostile_pod_name_is_inert_in_the_confirm_screen(
    fresh_incidents: RunningSim,
) -> None:
    sim = fresh_incidents
    _hostile_objects(sim)
    app = make_app(sim)
    async with app.run_test(size=BIG) as pilot:
        await settle(pilot)
        uid = next(k for k, p in app.data.store.pods.items() if p.metadata.namespace == NAMESPACE)
        await select_pod(pilot, app, uid)
        await pilot.press("ctrl+d")
        assert isinstance(app.screen, ConfirmScreen)
        text = _assert_inert(app)
        assert f"Delete pod {NAMESPACE}/{MARKUP}-␛[2J-␇-" in text
        assert app.is_running
        await pilot.press("n")
    assert writes(sim) == []


async def drive(pilot: Pilot, app: KubetuiApp, sim: RunningSim) -> ActionRunScreen:
    """Run the confirmed plan to its end. Sim time stands still: each new line on the run
    screen moves it on, past the 30 s grace periods while a pod is terminating, else by a
    second (Kyuubi gives a new driver 30 s to appear). Decided from the sim's pods, not the
    line's text: lines reach the screen after the worker has moved on."""
    run = app.screen
    assert isinstance(run, ActionRunScreen)
    seen = 0
    for _ in range(2000):
        if run.finished:
            break
        if len(run.lines) > seen:
            seen = len(run.lines)
            terminating = any(
                p["metadata"].get("deletionTimestamp") and not p["metadata"].get("finalizers")
                for p in sim.state.list("pods")
            )
            sim.state.clock.advance(31 if terminating else 1)
        await pilot.pause(0.02)
    return await finish_run(pilot, app)


def kyuubi_writes(sim: RunningSim) -> list[tuple[str, str]]:
    assert sim.kyuubi is not None
    return [(m, p) for m, p in sim.kyuubi.request_log if m != "GET"]


async def test_kill_engine_through_kyuubi_confirmed_reaches_kyuubi_and_the_pods_go(
    fresh_incidents: RunningSim,
) -> None:
    sim = fresh_incidents
    sim.kyuubi.users["admin"] = "tui-kyuubi-s3cret"  # the demo's is its user name
    app = make_app(sim, settings=Settings(kyuubi=demo_kyuubi(sim)))
    async with app.run_test(size=BIG) as pilot:
        await settle(pilot)
        await pilot.press("3")
        key = engine_key(app, "warehouse-load")
        engine = app.main.views[3].engine(key)
        app.screen.query_one("#engines-table", LineTable).select_key(key)
        await pilot.press("K")
        assert isinstance(app.screen, ConfirmScreen)
        assert kyuubi_writes(sim) == [] and writes(sim) == []
        await pilot.press("y")
        run = await drive(pilot, app, sim)
        assert [o.status for o in run.outcomes] == ["killed"], run.outcomes
        lines = shown(app, "#run-lines")
        assert "success=true" in lines and "killed: driver and 3 executors gone" in lines
    # exactly the plan: Kyuubi's DELETE of this batch; at the API server only the fallback's
    # server-side dry run (Kyuubi deleted the driver itself)
    assert kyuubi_writes(sim) == [("DELETE", f"/api/v1/batches/{engine.kyuubi_tag}")]
    driver = engine.driver.metadata
    assert writes(sim) == [("DELETE", f"/api/v1/namespaces/{driver.namespace}/pods/{driver.name}")]
    assert all(
        sim.state.get("pods", driver.namespace, p.metadata.name) is None for p in engine.pods
    )
    audit = (Path(app_state_dir()) / "audit.jsonl").read_text()
    record = json.loads(audit)
    assert record["verb"] == "kill" and record["kyuubi"] == sim.kyuubi_url.rstrip("/")
    assert record["outcomes"][0]["status"] == "killed"
    for secret in ("tui-kyuubi-s3cret", *sim.tokens.values()):
        assert secret not in audit


async def test_relaunch_of_an_interactive_engine_confirmed_ends_with_a_new_driver(
    fresh_incidents: RunningSim,
) -> None:
    sim = fresh_incidents
    sim.kyuubi.launch_delay = 0.05
    app = make_app(sim, settings=Settings(kyuubi=demo_kyuubi(sim)))
    async with app.run_test(size=BIG) as pilot:
        await settle(pilot)
        old = (await select_alice_engine(pilot, app)).driver.metadata
        await pilot.press("r")
        await planned(pilot, app)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        run = await drive(pilot, app, sim)
        statuses = [o.status for o in run.outcomes]
        assert statuses == ["killed", "restarted", "deleted"], run.outcomes
        handle = run.outcomes[1].detail.split()[1].rstrip(":")
        assert "Running" in run.outcomes[1].detail
        assert f"session {handle} closed" in shown(app, "#run-lines")
    new = next(
        p
        for p in sim.state.list("pods", old.namespace)
        if p["metadata"].get("labels", {}).get("kyuubi-unique-tag") == handle
    )
    assert new["status"]["phase"] == "Running" and new["metadata"]["uid"] != old.uid
    assert sim.state.get("pods", old.namespace, old.name) is None
    # Kyuubi saw exactly the plan: kill the engine space, open a session, close it
    methods = [(m, p.split("?")[0]) for m, p in kyuubi_writes(sim)]
    assert methods == [
        ("DELETE", "/api/v1/admin/engine"),
        ("POST", "/api/v1/sessions"),
        ("DELETE", f"/api/v1/sessions/{handle}"),
    ]


async def test_read_only_with_kyuubi_sends_no_write_to_either_server(
    fresh_incidents: RunningSim,
) -> None:
    """Read-only with a Kyuubi server configured: the keys are refused before a plan,
    and the Kyuubi client the app holds refuses writes too."""
    sim = fresh_incidents
    app = make_app(sim, settings=Settings(read_only=True, kyuubi=demo_kyuubi(sim)))
    async with app.run_test(size=BIG) as pilot:
        await settle(pilot)
        assert app.kyuubi is not None and app.kyuubi.read_only
        await pilot.press("3")
        key = engine_key(app, "warehouse-load")
        app.screen.query_one("#engines-table", LineTable).select_key(key)
        for keys in ("K", "r", "ctrl+d", "D", "c"):
            await pilot.press(keys)
            await planned(pilot, app)
            assert app.screen is app.main, keys
        app.main.action_kill_engine()
        app.main.action_restart()
        await planned(pilot, app)
        assert app.screen is app.main
    assert writes(sim) == [] and kyuubi_writes(sim) == []


async def test_relaunch_of_a_batch_confirmed_resubmits_the_rebuilt_request(
    fresh_incidents: RunningSim,
) -> None:
    """A batch kubetui did not submit: the request is rebuilt from the driver pod and its
    spark.properties ConfigMap, shown in the confirm screen, and resubmitted as shown."""
    from kubetui.actions.relaunch import SubmittedRequests
    from kubetui.model.batch_request import PROXY_USER_KEY, BatchRequest
    from kubetui.sources.kyuubi import KyuubiClient

    sim = fresh_incidents
    sim.kyuubi.launch_delay = 0.05
    original = BatchRequest(
        batch_type="SPARK",
        resource="s3a://jobs/nightly/nightly.jar",
        class_name="com.example.Nightly",
        name="nightly-tui",
        conf={"spark.kubernetes.namespace": "etl", PROXY_USER_KEY: "bob"},
        args=("--day", "2026-03-03"),
    )
    settings = Settings(kyuubi=demo_kyuubi(sim))
    old_id = KyuubiClient(settings.kyuubi).submit_batch(original.to_json()).id
    for _ in range(500):
        if any(
            p["metadata"].get("labels", {}).get("kyuubi-unique-tag") == old_id
            for p in sim.state.list("pods", "etl")
        ):
            break
        await asyncio.sleep(0.01)
    sim.kyuubi.request_log.clear()
    app = make_app(sim, settings=settings)
    async with app.run_test(size=BIG) as pilot:
        await settle(pilot)
        await pilot.press("3")
        table = app.screen.query_one("#engines-table", LineTable)
        key = next(k for k in table.keys if app.main.views[3].engine(k).kyuubi_tag == old_id)
        table.select_key(key)
        await pilot.press("r")
        await planned(pilot, app)
        assert isinstance(app.screen, ConfirmScreen)
        plan = shown(app, "#confirm-plan")
        assert '"className": "com.example.Nightly"' in plan
        assert "s3a://jobs/nightly/nightly.jar" in plan and "2026-03-03" in plan
        assert kyuubi_writes(sim) == []
        await pilot.press("y")
        run = await drive(pilot, app, sim)
        assert [o.status for o in run.outcomes] == ["killed", "restarted"], run.outcomes
        new_id = run.outcomes[1].detail.split()[1].rstrip(":")
    assert new_id != old_id
    new = next(
        p
        for p in sim.state.list("pods", "etl")
        if p["metadata"].get("labels", {}).get("kyuubi-unique-tag") == new_id
    )
    assert new["status"]["phase"] == "Running"
    writes_seen = [(m, p.split("?")[0]) for m, p in kyuubi_writes(sim)]
    assert writes_seen == [("DELETE", f"/api/v1/batches/{old_id}"), ("POST", "/api/v1/batches")]
    assert SubmittedRequests().get(new_id) == original  # remembered for the next relaunch
