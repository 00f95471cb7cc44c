"""The incidents scenario holds every incident of the demo and keeps evolving, bounded."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta

import msgspec
import pytest

from kubetui.model.pod_status import pod_columns
from kubetui.model.records import Pod
from kubetui.sim.scenarios import SCENARIOS, get_scenario
from kubetui.sim.scenarios.incidents import GONE_NODE, PRESSURE_NODE, VIEWER_TOKEN
from kubetui.sim.state import SimClock, SimState

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
RESOURCES = (
    "pods",
    "nodes",
    "namespaces",
    "events",
    "configmaps",
    "secrets",
    "deployments",
    "replicasets",
    "statefulsets",
    "jobs",
    "kuberopipelines",
)


def _populated(seed: int = 7):
    state = SimState(SimClock(T0))
    scenario = get_scenario("incidents", seed)
    scenario.populate(state)
    return state, scenario


@pytest.fixture(scope="module")
def world():
    return _populated()


def _rows(state: SimState) -> dict[str, tuple]:
    now = state.clock.now()
    return {
        p["metadata"]["name"]: (p, pod_columns(msgspec.convert(p, Pod), now))
        for p in state.list("pods")
    }


def _by_label(state: SimState, key: str, value: str) -> list[dict]:
    return [p for p in state.list("pods") if p["metadata"]["labels"].get(key) == value]


def test_registry_and_spec_parsing():
    assert set(SCENARIOS) == {"incidents", "scale"}
    with pytest.raises(ValueError):
        get_scenario("nope", 1)
    with pytest.raises(ValueError):
        get_scenario("incidents:3", 1)
    assert get_scenario("incidents", 1).tick_interval > 0


def test_same_seed_same_objects():
    a, _ = _populated(3)
    b, _ = _populated(3)
    c, _ = _populated(4)
    for resource in RESOURCES:
        assert a.list(resource) == b.list(resource), resource
    assert a.list("pods") != c.list("pods")
    assert a.usage() == b.usage()


def test_oom_killed_driver_that_kyuubi_reports_as_failed(world):
    state, scenario = world
    batch = next(
        b for b in scenario.kyuubi.batches.values() if b.name == "daily-report" and b.in_memory
    )
    (driver,) = _by_label(state, "kyuubi-unique-tag", batch.id)
    assert driver["spec"]["restartPolicy"] == "Never"
    assert driver["status"]["phase"] == "Failed"
    term = driver["status"]["containerStatuses"][0]["state"]["terminated"]
    assert (term["reason"], term["exitCode"]) == ("OOMKilled", 137)
    assert (batch.state, batch.app_state) == ("ERROR", "FAILED")  # never KILLED
    assert '"reason":"OOMKilled"' in batch.app_diagnostic
    lines = state.log_lines(
        driver["metadata"]["namespace"],
        driver["metadata"]["name"],
        "spark-kubernetes-driver",
        False,
    )
    assert any("java.lang.OutOfMemoryError" in line for _, line in lines[-12:])
    executors = _by_label(state, "spark-app-selector", batch.app_id)
    assert {p["status"]["phase"] for p in executors} == {"Failed"}
    assert len(executors) == 3  # the driver and two orphaned executors


def test_stale_batch_of_a_dead_instance_still_running_in_kyuubi(world):
    state, scenario = world
    batch = next(b for b in scenario.kyuubi.batches.values() if b.name == "hourly-sessionize")
    assert batch.kyuubi_instance != scenario.kyuubi.instance
    assert (batch.state, batch.app_state) == ("RUNNING", "RUNNING")
    (driver,) = _by_label(state, "kyuubi-unique-tag", batch.id)
    assert driver["status"]["containerStatuses"][0]["state"]["terminated"]["reason"] == "OOMKilled"


def test_oom_killed_engine_still_registered(world):
    state, scenario = world
    (engine,) = [e for e in scenario.kyuubi.engines if e.subdomain == "adhoc"]
    (driver,) = _by_label(state, "kyuubi-unique-tag", engine.ref_id)
    assert driver["status"]["phase"] == "Failed"
    assert any(s.engine_ref == engine.ref_id for s in scenario.kyuubi.sessions.values())


def test_zombies_of_finished_engines(world):
    state, scenario = world
    finished = [
        b
        for b in scenario.kyuubi.batches.values()
        if b.state == "FINISHED" and _by_label(state, "kyuubi-unique-tag", b.id)
    ]
    assert [b.name for b in finished] == ["nightly-etl"]
    registered = {e.ref_id for e in scenario.kyuubi.engines}
    known = set(scenario.kyuubi.batches) | registered
    orphans = [
        p
        for p in state.list("pods")
        if p["metadata"]["labels"].get("kyuubi-unique-tag") not in (None, *known)
    ]
    assert {p["metadata"]["namespace"] for p in orphans} == {"spark-analytics"}
    assert {p["status"]["phase"] for p in orphans} == {"Succeeded", "Failed"}


def test_stuck_terminating_and_lost_node(world):
    state, _ = world
    now = state.clock.now()
    stuck = [p for p in state.list("pods") if p["metadata"].get("deletionTimestamp")]
    assert len(stuck) == 1
    meta = stuck[0]["metadata"]
    deleted = datetime.fromisoformat(meta["deletionTimestamp"].replace("Z", "+00:00"))
    assert now - deleted > timedelta(hours=2)
    assert meta["finalizers"] == ["acme.io/shuffle-archive"]
    nodes = {n["metadata"]["name"] for n in state.list("nodes")}
    lost = [p for p in state.list("pods") if p["spec"].get("nodeName") not in (None, *nodes)]
    assert [p["spec"]["nodeName"] for p in lost] == [GONE_NODE]
    assert lost[0]["status"]["phase"] == "Running"


def test_crash_loops_and_init_failures(world):
    state, _ = world
    rows = _rows(state)
    statuses = Counter(row.status for _, row in rows.values())
    assert statuses["Init:Error"] == 1
    assert statuses["Init:CrashLoopBackOff"] == 2  # kubero-ui and the sidecar executor
    assert statuses["CrashLoopBackOff"] == 1
    last_codes = set()
    for pod, _ in rows.values():
        meta = pod["metadata"]
        for cs in pod["status"].get("containerStatuses", []) + pod["status"].get(
            "initContainerStatuses", []
        ):
            if cs["state"].get("waiting", {}).get("reason") == "CrashLoopBackOff":
                last_codes.add(cs["lastState"]["terminated"]["exitCode"])
                previous = state.log_lines(meta["namespace"], meta["name"], cs["name"], True)
                assert previous, meta["name"]
    assert {1, 143} <= last_codes
    sidecar_pod = next(
        p
        for p, row in rows.values()
        if row.status == "Init:CrashLoopBackOff"
        and p["metadata"]["labels"].get("spark-role") == "executor"
    )
    assert sidecar_pod["spec"]["restartPolicy"] == "Never"
    assert sidecar_pod["spec"]["initContainers"][0]["restartPolicy"] == "Always"


def test_memory_pressure_node_mixes_qos_classes(world):
    state, _ = world
    node = state.get("nodes", None, PRESSURE_NODE)
    pressure = {c["type"]: c["status"] for c in node["status"]["conditions"]}
    assert pressure["MemoryPressure"] == "True"
    on_node = [
        p
        for p in state.list("pods")
        if p["spec"].get("nodeName") == PRESSURE_NODE and p["status"]["phase"] == "Running"
    ]
    assert {p["status"]["qosClass"] for p in on_node} == {"Guaranteed", "Burstable", "BestEffort"}
    assert any(p["spec"].get("priorityClassName") == "system-node-critical" for p in on_node)
    usage = state.usage()
    used = {(p["metadata"]["namespace"], p["metadata"]["name"]) for p in on_node}
    assert used <= {(ns, pod) for ns, pod, _ in usage}
    evicted = [p for p in state.list("pods") if p["status"].get("reason") == "Evicted"]
    assert len(evicted) == 3 and all(p["spec"]["nodeName"] == PRESSURE_NODE for p in evicted)


def test_events_tell_the_story(world):
    state, _ = world
    reasons = Counter(e["reason"] for e in state.list("events"))
    for reason in (
        "OOMKilling",
        "BackOff",
        "Killing",
        "Unhealthy",
        "FailedScheduling",
        "NodeNotReady",
        "Scheduled",
        "Started",
        "EvictionThresholdMet",
    ):
        assert reasons[reason] >= 1, reason
    oom = next(e for e in state.list("events") if e["reason"] == "OOMKilling")
    assert oom["involvedObject"]["kind"] == "Node" and "oom_score_adj:" in oom["message"]


def test_rbac_for_viewer(world):
    state, _ = world
    assert state.tokens[VIEWER_TOKEN] == "viewer"
    assert state.is_denied("viewer", "list", "secrets", None)
    assert state.is_denied("viewer", "list", "secrets", "kyuubi")
    assert state.is_denied("viewer", "list", "pods", "etl")
    assert not state.is_denied("viewer", "list", "pods", "spark-bob")
    assert not state.is_denied("admin", "list", "secrets", None)


def _changes(state: SimState, resource: str, since: int) -> Counter:
    watcher = state.watch(resource, None, since)
    counts: Counter = Counter()
    while (change := watcher.next(0)) is not None:
        counts[change.entry.key] += 1
    state.unwatch(watcher)
    return counts


def test_hot_reconcile_loop_against_its_peers():
    state, scenario = _populated(11)
    start = state.resource_version
    rng = random.Random(1)
    for _ in range(600):  # ten minutes of sim time
        state.clock.advance(1)
        scenario.tick(state, rng)
    pipelines = _changes(state, "kuberopipelines", start)
    secrets = _changes(state, "secrets", start)
    assert 75 <= pipelines["kubero/shop"] <= 120
    assert 75 <= secrets["shop-production/registry-login"] <= 120
    for peer in ("blog", "docs", "api"):
        assert 1 <= pipelines[f"kubero/{peer}"] <= 5
        assert secrets[f"{peer}-production/registry-login"] <= 5
    shop = state.get("kuberopipelines", "kubero", "shop")
    writers = {(m["manager"], m.get("subresource")) for m in shop["metadata"]["managedFields"]}
    assert writers == {("kubero", None), ("kubero-operator", None), ("kubero-operator", "status")}
    latest = max(
        datetime.fromisoformat(m["time"].replace("Z", "+00:00"))
        for m in shop["metadata"]["managedFields"]
    )
    assert state.clock.now() - latest <= timedelta(seconds=8)


def test_ticking_keeps_the_cluster_moving_and_bounded():
    state, scenario = _populated(5)
    rng = random.Random(2)
    before = {p["metadata"]["name"] for p in state.list("pods")}
    sizes = []
    for step in range(1, 4 * 3600 // 10 + 1):  # four hours in 10 s ticks
        state.clock.advance(10)
        scenario.tick(state, rng)
        if step % 90 == 0:
            sizes.append(
                (
                    len(state.entries("pods")),
                    len(state.entries("events")),
                    len(scenario.kyuubi.batches),
                )
            )
    after = {p["metadata"]["name"] for p in state.list("pods")}
    assert after - before, "new engines were launched"
    assert max(s[0] for s in sizes) <= len(before) + 40
    assert max(s[1] for s in sizes) <= 1500
    assert sizes[-1][2] <= 120
    churned = [
        b
        for b in scenario.kyuubi.batches.values()
        if b.kyuubi_instance == scenario.kyuubi.instance and b.state == "FINISHED"
    ]
    assert churned, "submitted batches finished in Kyuubi's view"


def test_tick_is_deterministic_given_rng():
    runs = []
    for _ in range(2):
        state, scenario = _populated(2)
        rng = random.Random(9)
        for _ in range(300):
            state.clock.advance(2)
            scenario.tick(state, rng)
        runs.append(state.list("pods"))
    assert runs[0] == runs[1]
