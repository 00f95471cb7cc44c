"""scale:N builds N realistic pods quickly and keeps modifying them at a steady rate."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime

import msgspec
import pytest

from kubetui.model.pod_status import pod_columns
from kubetui.model.records import Pod
from kubetui.sim.scenarios import get_scenario
from kubetui.sim.scenarios.scale import ScaleScenario
from kubetui.sim.state import SimClock, SimState

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
N = 2000


def _built(seed: int = 3) -> tuple[SimState, ScaleScenario]:
    state = SimState(SimClock(T0))
    scenario = get_scenario(f"scale:{N}", seed)
    assert isinstance(scenario, ScaleScenario)
    scenario.populate(state)
    return state, scenario


@pytest.fixture(scope="module")
def built():
    return _built()


def test_spec_parsing():
    assert get_scenario("scale:10", 1).pods == 10
    for bad in ("scale:x", "scale:0", "scale:-4"):
        with pytest.raises(ValueError):
            get_scenario(bad, 1)


def test_n_pods_with_realistic_sizes(built):
    state, _ = built
    entries = state.entries("pods")
    assert len(entries) == N
    sizes = [len(e.data) for e in entries]
    assert min(sizes) >= 5_000
    assert max(sizes) <= 12_500
    assert 8_000 <= sum(sizes) / len(sizes) <= 10_500
    assert len(state.list("nodes")) == N // 50
    assert len(state.list("namespaces")) >= 2


def test_mostly_spark_with_a_few_failures(built):
    state, _ = built
    pods = [e.obj() for e in state.entries("pods")]
    roles = Counter(p["metadata"]["labels"].get("spark-role", "app") for p in pods)
    assert roles["driver"] + roles["executor"] >= 0.8 * N
    assert roles["app"] >= 0.1 * N
    now = state.clock.now()
    statuses = Counter(pod_columns(msgspec.convert(p, Pod), now).status for p in pods)
    failing = N - statuses["Running"]
    assert 0.005 * N <= failing <= 0.06 * N
    assert statuses["OOMKilled"] >= 1 and statuses["CrashLoopBackOff"] >= 1
    drivers = {
        p["metadata"]["uid"] for p in pods if p["metadata"]["labels"].get("spark-role") == "driver"
    }
    executors = [p for p in pods if p["metadata"]["labels"].get("spark-role") == "executor"]
    assert all(p["metadata"]["ownerReferences"][0]["uid"] in drivers for p in executors)
    assert all(len(p["metadata"]["managedFields"]) == 2 for p in pods)


def test_pods_are_decoded_in_full_by_the_store(built):
    state, scenario = built
    assert scenario._raw is True  # the store kept the pre-encoded parts verbatim
    pod = state.entries("pods")[0].obj()
    assert pod["spec"]["containers"][0]["terminationMessagePath"] == "/dev/termination-log"
    assert not any("{" in str(v) for v in pod["metadata"]["labels"].values())


def test_same_seed_same_pods():
    a, _ = _built(5)
    b, _ = _built(5)
    assert [e.data for e in a.entries("pods")] == [e.data for e in b.entries("pods")]


def test_tick_rate_and_stable_count(built):
    state, scenario = built
    scenario.events_per_second = 40
    before = state.resource_version
    rng = random.Random(1)
    for _ in range(10):
        state.clock.advance(scenario.tick_interval)
        scenario.tick(state, rng)
    writes = state.resource_version - before
    assert writes == 400
    assert len(state.entries("pods")) == N


def test_each_replicaset_wants_the_pods_it_owns(built):
    """A ReplicaSet wanting fewer replicas than it owns would have the sim's controller
    delete the extras at the first write (the live bench saw siblings go Terminating)."""
    state, _ = built
    owned = Counter(
        ref["uid"]
        for pod in state.list("pods")
        for ref in pod["metadata"].get("ownerReferences", [])
        if ref["kind"] == "ReplicaSet"
    )
    replicasets = state.list("replicasets")
    assert owned and replicasets
    for rs in replicasets:
        uid = rs["metadata"]["uid"]
        if uid in owned:
            assert rs["spec"]["replicas"] == owned[uid], rs["metadata"]["name"]
            assert rs["status"]["replicas"] == owned[uid]
