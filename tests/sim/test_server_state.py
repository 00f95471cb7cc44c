"""SimState on its own: RV persistence, compaction timer, watch window, GC, controllers."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubetui.sim import wire_status
from kubetui.sim.runner import running_sim
from kubetui.sim.state import RV_RESTART_MARGIN, SimClock, SimState
from tests.sim.conftest import Api, TinyScenario, populate_tiny


def _state(**kw) -> SimState:
    state = SimState(SimClock(frozen=True), **kw)
    populate_tiny(state)
    return state


def test_state_file_keeps_resource_versions_moving_forward(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    with running_sim(TinyScenario(), tmp_dir=tmp_path / "a", state_file=path) as first:
        first.state.mutate(
            "pods", "default", "web-0", lambda o: o["metadata"]["labels"].update(x="1")
        )
        saved_rv = first.state.resource_version
        saved_uid = first.state.get("pods", "default", "web-0")["metadata"]["uid"]
    with running_sim(TinyScenario(), tmp_dir=tmp_path / "b", state_file=path) as second:
        assert second.state.resource_version == saved_rv + RV_RESTART_MARGIN
        web0 = second.state.get("pods", "default", "web-0")
        assert (web0["metadata"]["uid"], web0["metadata"]["labels"]["x"]) == (saved_uid, "1")
        assert second.state.log_lines("default", "crashy", "app", True)[0][1] == "boom 1"
        created = second.state.create(
            "configmaps", {"metadata": {"name": "new", "namespace": "default"}}
        )
        assert int(created["metadata"]["resourceVersion"]) > saved_rv + RV_RESTART_MARGIN
        old_watch = Api(second).watch_lines(f"/api/v1/pods?watch=true&resourceVersion={saved_rv}")[
            1
        ]
        assert old_watch[0]["object"]["code"] == 410


def test_compaction_runs_on_the_sim_clock() -> None:
    state = _state(compaction_interval=300)
    first_rv = state.resource_version
    state.clock.advance(300)  # first tick compacts to the RV seen at start
    assert state.compacted_rv == 0
    state.mutate("pods", "default", "web-0", lambda o: o["status"].update(reason="x"))
    state.clock.advance(300)  # second tick compacts to the RV of the first tick
    assert state.compacted_rv == first_rv
    with pytest.raises(wire_status.ApiError) as caught:
        state.check_readable(first_rv - 1)
    assert caught.value.code == 410


def test_watch_window_drops_old_events_after_fresh_duration() -> None:
    state = _state(watch_cache_min=2, watch_cache_fresh=75)
    start = state.resource_version
    state.watch("pods", None, start).close()
    for _ in range(3):
        state.mutate("pods", "default", "web-0", lambda o: o["status"].update(reason="x"))
    state.clock.advance(80)
    state.mutate("pods", "default", "web-0", lambda o: o["status"].update(reason="y"))
    with pytest.raises(wire_status.ApiError) as caught:
        state.watch("pods", None, start)
    assert caught.value.message.startswith(f"too old resource version: {start} (")


def test_foreground_deletion_waits_for_dependents() -> None:
    state = _state()
    state.delete(
        "pods", "spark", "spark-pi-driver", propagation_policy="Foreground", grace_period_seconds=0
    )
    driver = state.get("pods", "spark", "spark-pi-driver")
    assert driver["metadata"]["finalizers"] == ["foregroundDeletion"]
    state.process_due()
    assert all(p["metadata"].get("deletionTimestamp") for p in state.list("pods", "spark"))
    state.clock.advance(31)
    assert state.list("pods", "spark") == []


def test_dry_run_writes_nothing() -> None:
    state = _state()
    rv = state.resource_version
    obj, removed = state.delete("pods", "default", "web-0", dry_run=True)
    assert obj["metadata"]["deletionTimestamp"] and not removed
    obj, removed = state.delete("pods", "default", "pending", dry_run=True)
    assert removed
    assert state.resource_version == rv
    assert state.get("pods", "default", "pending") is not None


def test_snapshot_reads_undo_later_changes() -> None:
    state = _state()
    rv = state.resource_version
    state.remove("pods", "default", "web-1")
    state.mutate("pods", "default", "web-0", lambda o: o["metadata"]["labels"].update(v="2"))
    then = {e.key: e for e in state.iter_snapshot("pods", rv, "default/")}
    assert "default/web-1" in then and "v" not in then["default/web-0"].labels
    assert state.count_after("pods", rv, "default/", "default/web-0") == 2
    assert state.count_after("pods", state.resource_version, "default/", "default/web-0") == 1


def test_namespace_deletion_empties_it_first() -> None:
    state = _state()
    obj, removed = state.delete("namespaces", None, "spark")
    assert not removed and obj["status"]["phase"] == "Terminating"
    state.process_due()
    assert all(p["metadata"].get("deletionTimestamp") for p in state.list("pods", "spark"))
    assert state.get("namespaces", None, "spark") is not None
    state.clock.advance(31)
    assert state.list("pods", "spark") == [] and state.get("namespaces", None, "spark") is None
