"""Pilot tests of the write keys on a frozen incidents cluster the test may change.

Each test counts what reached the sim (``sim.request_log`` by verb): cancelling sends no
write, confirming sends exactly the plan (a server-side dry run, then the real call, for
exactly the chosen pods), and every other pod stays as it was.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Static

from kubetui.sim.runner import RunningSim
from kubetui.ui.action_runner import ActionRunScreen
from kubetui.ui.app import KubetuiApp
from kubetui.ui.confirm import ConfirmScreen, ForceConfirmScreen
from kubetui.ui.line_table import LineTable
from tests.ui.conftest import make_app, screen_text, settle

BIG = (160, 50)
ZOMBIE = "kyuubi-ml-train-d0b93207-12cb-4f3f-847a-ddc92d9b4f22-driver"
STUCK = "kyuubi-nightly-etl-3ebebe3e-1790-40da-9891-0052cebcc1ba-exec-4"
WRITES = ("DELETE", "POST", "PATCH", "PUT")


@pytest.fixture(autouse=True)
def _audit_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


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


async def finish_run(pilot: Pilot, app: KubetuiApp) -> ActionRunScreen:
    screen = app.screen
    assert isinstance(screen, ActionRunScreen)
    await app.workers.wait_for_complete()
    for _ in range(200):
        await pilot.pause()
        if screen.finished:
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


async def test_force_delete_refused_for_a_pod_that_is_not_stuck(
    fresh_incidents: RunningSim,
) -> None:
    sim = fresh_incidents
    app = make_app(sim)
    async with app.run_test(size=BIG) as pilot:
        await settle(pilot)
        await select_pod(pilot, app, pod(sim, ZOMBIE)["metadata"]["uid"])
        await pilot.press("D")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmScreen)
    assert writes(sim) == []
