"""Pilot tests of the cleanup screen (``c``): preview counts, the cap, confirm, export."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from textual.widgets import OptionList, Static

from kubetui.config import DEFAULT_PRESETS, Settings
from kubetui.model.cleanup_policy import select_by_any
from kubetui.model.descheduler_yaml import PROFILE_NAME
from kubetui.sim.runner import RunningSim
from kubetui.ui.app import KubetuiApp
from kubetui.ui.cleanup_screen import CleanupScreen
from kubetui.ui.confirm import ConfirmScreen
from tests.ui.conftest import make_app, settle
from tests.ui.test_actions import finish_run, pods_of, writes

BIG = (160, 50)
OOM, SIGNAL = 3, 4  # option indexes of the default presets, after the three finding kinds


@pytest.fixture(autouse=True)
def _dirs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.chdir(tmp_path)  # where ``e`` writes


def preview(app: KubetuiApp) -> str:
    return str(app.screen.query_one("#cleanup-preview", Static).content)


async def highlight(pilot, app: KubetuiApp, index: int) -> None:
    app.screen.query_one(OptionList).highlighted = index
    await pilot.pause()


async def test_zombie_cleanup_previews_then_removes_exactly_the_zombies(
    fresh_incidents: RunningSim,
) -> None:
    sim = fresh_incidents
    before = pods_of(sim)
    app = make_app(sim)
    async with app.run_test(size=BIG) as pilot:
        await settle(pilot)
        zombies = {
            f.uid: f.name for f in app.data.analysis.findings if f.kind == "zombie_engine_pod"
        }
        owned_by_zombies = {
            uid
            for uid, p in app.data.store.pods.items()
            if any(ref.uid in zombies for ref in p.metadata.owner_references)
        }
        await pilot.press("c")
        assert isinstance(app.screen, CleanupScreen)
        text = preview(app)
        assert "15 pod(s) selected (cap 50)" in text
        assert all(name in text for name in zombies.values())
        assert writes(sim) == []
        await pilot.press("enter")
        assert isinstance(app.screen, ConfirmScreen)
        assert "15 objects, 15 API calls" in str(app.screen.query_one("#confirm-count").content)
        await pilot.press("y")
        run = await finish_run(pilot, app)
        assert {o.uid for o in run.outcomes} == set(zombies)
        assert {o.status for o in run.outcomes} <= {"deleted", "gone"}
    after = pods_of(sim)
    assert set(before) - set(after) == set(zombies)
    # Every other pod untouched, except that owner GC marks a zombie's stuck executor.
    untouched = {uid for uid in after if uid not in owned_by_zombies}
    assert {uid: before[uid] for uid in untouched} == {uid: after[uid] for uid in untouched}
    assert {path.rsplit("/", 1)[1] for _, path in writes(sim)} == set(zombies.values())


async def test_cancel_in_the_confirm_screen_sends_nothing(fresh_incidents: RunningSim) -> None:
    sim = fresh_incidents
    app = make_app(sim)
    async with app.run_test(size=BIG) as pilot:
        await settle(pilot)
        await pilot.press("c", "enter")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, CleanupScreen)
        await pilot.press("escape")
        assert app.screen is app.main
    assert writes(sim) == []


async def test_failed_pod_preset_preview_is_the_union_of_its_policies(
    incidents: RunningSim,
) -> None:
    app = make_app(incidents)
    async with app.run_test(size=BIG) as pilot:
        await settle(pilot)
        pods = list(app.data.store.pods.values())
        oom = select_by_any(pods, DEFAULT_PRESETS[0].policies, app.data.now())
        signal = select_by_any(pods, DEFAULT_PRESETS[1].policies, app.data.now())
        assert 0 < len(oom) <= len(signal)
        await pilot.press("c")
        await highlight(pilot, app, OOM)
        text = preview(app)
        assert f"{len(oom)} pod(s) selected" in text
        assert "kyuubi-daily-report-f6bad673-423e-46d0-b8e9-de81b74f3410-driver" in text
        assert all(s.pod.metadata.name in text for s in oom)
        await highlight(pilot, app, SIGNAL)
        assert f"{len(signal)} pod(s) selected" in preview(app)


async def test_over_max_bulk_is_refused_with_the_reason(fresh_incidents: RunningSim) -> None:
    sim = fresh_incidents
    app = make_app(sim, settings=Settings(max_bulk=2))
    async with app.run_test(size=BIG) as pilot:
        await settle(pilot)
        await pilot.press("c")
        assert "15 pods selected: over the cap of 2 (max_bulk)" in preview(app)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, CleanupScreen)
    assert writes(sim) == []


async def test_e_exports_the_preset_as_a_descheduler_policy(
    incidents: RunningSim, tmp_path: Path
) -> None:
    app = make_app(incidents)
    async with app.run_test(size=BIG) as pilot:
        await settle(pilot)
        await pilot.press("c", "e")  # a finding kind: nothing to export
        assert list(tmp_path.glob("*.yaml")) == []
        await highlight(pilot, app, OOM)
        await pilot.press("e")
        path = tmp_path / "descheduler-policy-oom-victims.yaml"
        notes = str(app.screen.query_one("#cleanup-export-notes", Static).content)
        assert f"wrote {path}" in notes
        doc = yaml.safe_load(path.read_text())
        assert doc["apiVersion"] == "descheduler/v1alpha2" and doc["kind"] == "DeschedulerPolicy"
        profiles = doc["profiles"]
        assert [p["name"] for p in profiles] == [f"{PROFILE_NAME}-1", f"{PROFILE_NAME}-2"]
        args = [
            next(c["args"] for c in p["pluginConfig"] if c["name"] == "RemoveFailedPods")
            for p in profiles
        ]
        assert args[0]["reasons"] == ["OOMKilled"] and "exitCodes" not in args[0]
        assert args[1]["exitCodes"] == [137] and "reasons" not in args[1]
        assert all(p["plugins"]["deschedule"]["enabled"] == ["RemoveFailedPods"] for p in profiles)
        assert "'OOM victims'" in path.read_text().splitlines()[0]

        await highlight(pilot, app, SIGNAL)
        await pilot.press("e")
        doc = yaml.safe_load((tmp_path / "descheduler-policy-killed-by-signal.yaml").read_text())
        (profile,) = doc["profiles"]
        assert profile["name"] == PROFILE_NAME
        (removal,) = [c for c in profile["pluginConfig"] if c["name"] == "RemoveFailedPods"]
        assert removal["args"]["exitCodes"] == list(range(129, 256))
