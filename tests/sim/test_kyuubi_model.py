"""The Kyuubi model follows the pods with Kyuubi's own rules, including its blind spots."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from kubetui.sim.kyuubi_model import (
    RETAIN_SECONDS,
    SUBMIT_TIMEOUT_SECONDS,
    ZK_SESSION_SECONDS,
    EngineNode,
    KyuubiModel,
    millis,
)
from kubetui.sim.scenarios.cluster import Cluster
from kubetui.sim.scenarios.fleet import SparkFleet
from kubetui.sim.state import SimClock, SimState

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
REQUEST = {"batchType": "SPARK", "resource": "s3a://j.jar", "className": "a.Main", "name": "job"}


class _Launcher:
    def __init__(self, fleet: SparkFleet) -> None:
        self.fleet = fleet

    def launch_batch(self, state, batch) -> None:
        self.fleet.launch(
            namespace=batch.namespace,
            user=batch.user,
            kind="batch",
            app_name=batch.name,
            ref_id=batch.id,
            executors=1,
        )

    def launch_engine(self, state, user, ref_id, subdomain) -> None:
        raise AssertionError("not used here")


@pytest.fixture
def world():
    state = SimState(SimClock(T0))
    cluster = Cluster(state, random.Random(1))
    for i in (1, 2):
        cluster.add_node(i, created=T0 - timedelta(days=1))
    fleet = SparkFleet(cluster)
    model = KyuubiModel(
        instance="10.244.1.2:10099", namespace_of=lambda u: "default", launcher=_Launcher(fleet)
    )
    return state, fleet, model


def _submit(state, model, user="bob"):
    batch = model.submit_batch(state, user, dict(REQUEST), "10.0.0.9")
    model.start_batch(state, batch.id)
    return batch, next(a for a in model.launcher.fleet.apps.values() if a.ref_id == batch.id)


def _advance(state, model, seconds):
    state.clock.advance(seconds)
    model.sync(state)


def test_success_then_cleanup_after_the_retain_period(world):
    state, fleet, model = world
    batch, app = _submit(state, model)
    model.sync(state)
    assert (batch.state, batch.app_state) == ("RUNNING", "RUNNING")
    assert batch.app_id == app.app_id and batch.app_start_time == millis(T0)
    fleet.finish(app)
    _advance(state, model, 5)
    assert (batch.state, batch.app_state) == ("FINISHED", "FINISHED")
    assert batch.end_time == millis(T0 + timedelta(seconds=5))
    _advance(state, model, RETAIN_SECONDS - 10)
    assert state.get("pods", "default", app.driver)["metadata"].get("deletionTimestamp") is None
    _advance(state, model, 10)
    assert state.get("pods", "default", app.driver) is None  # terminal pods go at once


def test_oom_kill_reads_failed_and_the_pod_is_kept(world):
    state, fleet, model = world
    batch, app = _submit(state, model)
    fleet.oom_kill(app)
    _advance(state, model, 5)
    assert (batch.state, batch.app_state) == ("ERROR", "FAILED")
    assert '"exitCode":137' in batch.app_diagnostic
    _advance(state, model, RETAIN_SECONDS * 2)
    assert state.get("pods", "default", app.driver) is not None  # kind=COMPLETED


def test_restart_forgets_the_retain_cache(world):
    state, fleet, model = world
    batch, app = _submit(state, model)
    fleet.finish(app)
    _advance(state, model, 5)
    model.forget_terminated()
    _advance(state, model, RETAIN_SECONDS * 2)
    assert batch.state == "FINISHED"
    assert state.get("pods", "default", app.driver) is not None  # a #6319 zombie


def test_driver_never_seen_becomes_not_found(world):
    state, _, model = world
    batch = model.submit_batch(state, "bob", dict(REQUEST), "10.0.0.9")
    _advance(state, model, SUBMIT_TIMEOUT_SECONDS - 1)
    assert (batch.state, batch.app_state) == ("PENDING", None)
    _advance(state, model, 2)
    assert (batch.state, batch.app_state) == ("ERROR", "NOT_FOUND")


def test_unschedulable_driver_is_running_with_a_pending_app(world):
    state, fleet, model = world
    batch = model.submit_batch(state, "alice", dict(REQUEST), "10.0.0.9")
    fleet.launch(
        namespace="default",
        user="alice",
        kind="batch",
        app_name="job",
        ref_id=batch.id,
        schedulable=False,
    )
    model.sync(state)
    assert (batch.state, batch.app_state) == ("RUNNING", "PENDING")
    assert '"phase":"Pending"' in batch.app_diagnostic


def test_engine_nodes_outlive_a_killed_engine_for_the_session_timeout(world):
    state, fleet, model = world
    killed = fleet.launch(namespace="default", user="alice", kind="engine", executors=0)
    stuck = fleet.launch(namespace="default", user="carol", kind="engine", executors=0)
    done = fleet.launch(namespace="default", user="dave", kind="engine", executors=0)
    for app, is_stuck in ((killed, False), (stuck, True), (done, False)):
        model.register_engine(
            EngineNode(
                user=app.user,
                ref_id=app.ref_id,
                namespace="default",
                app_id=app.app_id,
                host="10.244.1.9:40000",
                stuck=is_stuck,
            )
        )
    fleet.oom_kill(killed)
    fleet.oom_kill(stuck)
    fleet.finish(done)
    _advance(state, model, 1)
    assert {e.user for e in model.engines} == {"alice", "carol"}
    _advance(state, model, ZK_SESSION_SECONDS)
    assert {e.user for e in model.engines} == {"carol"}


def test_list_filters_on_create_and_end_time(world):
    state, fleet, model = world
    first, app = _submit(state, model)
    fleet.finish(app)
    _advance(state, model, 60)
    second = model.submit_batch(state, "alice", dict(REQUEST), "10.0.0.9")
    assert [b.id for b in model.list_batches(create_time=millis(T0) + 1)] == [second.id]
    assert [b.id for b in model.list_batches(end_time=millis(T0 + timedelta(hours=1)))] == [
        first.id
    ]
    assert [b.id for b in model.list_batches(from_=1, size=5)] == [second.id]
    assert model.list_batches(batch_user="carol") == []
