"""Kill engine against the sim and its Kyuubi lookalike, through the kubeconfig.

Each test starts its own frozen incidents cluster. Sim time stands still, so graceful
deletions finish only when a test moves the clock: ``Kill.progress`` advances it past the
pods' grace period each time the follow-up reports a change, which is when a real cluster
would have moved on too.
"""

from __future__ import annotations

import inspect
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from kubetui.actions.audit import record_action
from kubetui.actions.execute import (
    ALREADY_ENDED,
    DRY_RUN_OK,
    FAILED,
    KILLED,
    TERMINATING,
    Outcome,
    execute,
)
from kubetui.actions.kill import engine_of_pod, plan_kill
from kubetui.actions.plans import DELETE, KYUUBI_KILL_BATCH, KYUUBI_KILL_ENGINE, Plan
from kubetui.model.engines import Engine, group_engines
from kubetui.model.kyuubi_join import KyuubiData, join_engines
from kubetui.sim.runner import RunningSim, running_sim
from kubetui.sources.kube_client import KubeClient, connect
from kubetui.sources.kyuubi import KyuubiClient, KyuubiConfig
from kubetui.sources.snapshot import take_snapshot

PASSWORD_ENV = "KUBETUI_TEST_KILL_KYUUBI_PASSWORD"
PASSWORD = "kill-test-s3cret-pw"


@pytest.fixture
def sim(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningSim]:
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    with running_sim("incidents", 1, frozen=True, tmp_dir=tmp_path / "sim") as running:
        running.kyuubi.users["ops"] = PASSWORD
        running.kyuubi.admins.add("ops")
        yield running


class Kill:
    """A cluster view (pods, Kyuubi poll, engines) and a kill run with progress."""

    def __init__(self, sim: RunningSim, *, read_only: bool = False) -> None:
        self.sim = sim
        self.kube: KubeClient = connect(str(sim.kubeconfig_path))
        self.kube.read_only = read_only
        config = KyuubiConfig(url=sim.kyuubi_url, user="ops", password_env=PASSWORD_ENV)
        self.kyuubi = KyuubiClient(config, read_only=read_only)
        self.data: KyuubiData = self.kyuubi.fetch()
        self.pods = take_snapshot(self.kube).pods
        self.engines = join_engines(group_engines(self.pods), self.data)
        self.lines: list[str] = []
        self.on_line = lambda line: None
        #: Sim seconds each progress line moves the clock (past every 30 s grace period).
        self.advance = 31

    def engine(self, name: str) -> Engine:
        return next(e for e in self.engines if e.name and name in e.name)

    def plan(self, engine: Engine, *, kyuubi_available: bool = True) -> Plan:
        return plan_kill(
            engine, self.pods, self.data, kyuubi_available=kyuubi_available, kyuubi_user="ops"
        )

    def progress(self, line: str) -> None:
        self.lines.append(line)
        self.sim.state.clock.advance(self.advance)
        self.on_line(line)

    def run(self, plan: Plan, **kw: object) -> Outcome:
        options = {"kyuubi": self.kyuubi, "on_progress": self.progress, **kw}
        (outcome,) = execute(self.kube, plan, follow_interval=0.02, follow_timeout=10, **options)
        return outcome

    def left(self, engine: Engine) -> list[str]:
        """Names of the engine's pods the server still holds (same uid)."""
        return [
            p.metadata.name
            for p in engine.pods
            if (obj := self.sim.state.get("pods", p.metadata.namespace, p.metadata.name))
            and obj["metadata"]["uid"] == p.metadata.uid
        ]


def kube_deletes(sim: RunningSim) -> list[str]:
    return [r.path for r in sim.request_log if r.method == "DELETE"]


def test_kill_a_running_batch_through_kyuubi(sim: RunningSim, kyuubi_log: list) -> None:
    kill = Kill(sim)
    engine = kill.engine("warehouse-load")
    plan = kill.plan(engine)
    (step,) = plan.steps
    assert step.action == KYUUBI_KILL_BATCH and step.fallback is not None
    assert len(step.dependents) == 3 == len(engine.executors)
    outcome = kill.run(plan)
    batch_id = engine.kyuubi_tag
    assert ("DELETE", f"/api/v1/batches/{batch_id}") in kyuubi_log
    assert outcome.status == KILLED, outcome.detail
    assert "success=true" in outcome.detail and "Operation of deleted application" in outcome.detail
    assert outcome.detail.endswith("killed: driver and 3 executors gone")
    assert kill.left(engine) == []
    assert sim.kyuubi.model.batches[batch_id].state == "CANCELED"
    # only the fallback's server-side dry run reached the API server as a DELETE
    assert kube_deletes(sim) == [step.fallback.path]
    assert any(line.endswith(": gone") for line in kill.lines)
    assert "3 executors left" in kill.lines


def test_kill_an_interactive_engine_through_the_admin_api(
    sim: RunningSim, kyuubi_log: list
) -> None:
    kill = Kill(sim)
    engine = next(
        e
        for e in kill.engines
        if e.kyuubi_meta is not None and e.kyuubi_meta.source == "engine" and not e.is_terminated
    )
    plan = kill.plan(engine)
    (step,) = plan.steps
    assert step.action == KYUUBI_KILL_ENGINE
    outcome = kill.run(plan)
    (call,) = [p for m, p in kyuubi_log if m == "DELETE"]
    assert call.startswith("/api/v1/admin/engine?") and "kill=true" in call
    assert "proxyUser=alice" in call and "subdomain=default" in call
    assert outcome.status == KILLED, outcome.detail
    assert "is deleted successfully" in outcome.detail and "(true," in outcome.detail
    assert kill.left(engine) == []
    assert sim.kyuubi.model.engine_by_ref(engine.kyuubi_tag) is None


def test_without_kyuubi_the_driver_pod_is_deleted_with_its_uid(
    sim: RunningSim, kyuubi_log: list, monkeypatch: pytest.MonkeyPatch
) -> None:
    kill = Kill(sim)
    engine = kill.engine("warehouse-load")
    plan = kill.plan(engine, kyuubi_available=False)
    (step,) = plan.steps
    assert step.action == DELETE and step.follow is not None
    assert "unreachable" not in step.reason and "not reachable" in step.reason
    bodies: list[dict] = []
    send = KubeClient.send

    def spy(self: KubeClient, method: str, path: str, body: dict | None = None, **kw: object):
        bodies.append(body or {})
        return send(self, method, path, body, **kw)

    monkeypatch.setattr(KubeClient, "send", spy)
    outcome = execute(kill.kube, plan, on_progress=kill.progress, follow_interval=0.02)[0]
    assert outcome.status == KILLED, outcome.detail
    assert outcome.detail.endswith("killed: driver and 3 executors gone")
    assert kube_deletes(sim) == [step.path, step.path]  # dry run, then the real one
    assert [b["preconditions"] for b in bodies] == [{"uid": engine.driver.metadata.uid}] * 2
    assert [b.get("dryRun") for b in bodies] == [["All"], None]
    assert {m for m, _ in kyuubi_log} == {"GET"} and kill.left(engine) == []


def test_kyuubi_down_during_the_kill_falls_back_to_the_driver_pod(sim: RunningSim) -> None:
    kill = Kill(sim)
    engine = kill.engine("warehouse-load")
    plan = kill.plan(engine)
    sim.kyuubi.set_fail_mode("down")
    outcome = kill.run(plan)
    assert outcome.status == KILLED, outcome.detail
    assert "connection refused" in outcome.detail
    assert "fallback: driver pod terminating" in outcome.detail
    assert any(line.startswith("deleting driver pod") for line in kill.lines)
    assert kube_deletes(sim) == [plan.steps[0].fallback.path] * 2
    assert kill.left(engine) == []


def test_an_already_terminal_batch_shows_kyuubis_answer(sim: RunningSim) -> None:
    kill = Kill(sim)
    engine = kill.engine("daily-report")  # OOM-killed: Kyuubi says ERROR
    plan = kill.plan(engine)
    assert any("already ended" in w for w in plan.warnings)
    outcome = kill.run(plan)
    assert outcome.status == ALREADY_ENDED, outcome.detail
    assert f"success=false 'batch {engine.kyuubi_tag} is already terminal" in outcome.detail
    assert outcome.detail.endswith("pods driver and 2 executors already terminated")
    assert len(kube_deletes(sim)) == 1  # the fallback's dry run only
    assert sorted(kill.left(engine)) == sorted(engine.pod_names)


def test_kyuubi_disagreeing_with_running_pods_falls_back(sim: RunningSim) -> None:
    kill = Kill(sim)
    engine = kill.engine("warehouse-load")
    plan = kill.plan(engine)
    sim.kyuubi.model.batches[engine.kyuubi_tag].state = "FINISHED"  # stale metadata
    outcome = kill.run(plan)
    assert outcome.status == KILLED, outcome.detail
    assert "already terminal" in outcome.detail
    assert "Kyuubi answered but the driver still runs" in outcome.detail
    assert kill.left(engine) == []


def test_read_only_sends_no_write_to_either_server(sim: RunningSim, kyuubi_log: list) -> None:
    kill = Kill(sim, read_only=True)
    for name in ("warehouse-load", "daily-report"):
        plan = kill.plan(kill.engine(name))
        outcome = kill.run(plan)
        assert outcome.status == FAILED and outcome.detail.startswith("read-only: refusing")
        fallback_only = kill.plan(kill.engine(name), kyuubi_available=False)
        assert kill.run(fallback_only).status == FAILED
    assert {r.method for r in sim.request_log} == {"GET"}
    assert {m for m, _ in kyuubi_log} == {"GET"}
    assert all(kill.left(e) == list(e.pod_names) for e in kill.engines)


def test_dry_run_only_asks_kyuubi_nothing(sim: RunningSim, kyuubi_log: list) -> None:
    kill = Kill(sim)
    engine = kill.engine("warehouse-load")
    before = len(kyuubi_log)
    outcome = kill.run(kill.plan(engine), dry_run_only=True)
    assert outcome.status == DRY_RUN_OK
    assert outcome.detail.startswith("Kyuubi has no dry run: DELETE http://127.0.0.1:")
    assert "fallback driver pod delete: server-side dry run accepted" in outcome.detail
    assert len(kyuubi_log) == before and len(kube_deletes(sim)) == 1
    assert sorted(kill.left(engine)) == sorted(engine.pod_names)


def test_cancel_stops_following(sim: RunningSim) -> None:
    kill = Kill(sim)
    engine = kill.engine("warehouse-load")
    cancel = threading.Event()
    kill.on_line = lambda line: cancel.set() if "Terminating" in line else None
    kill.advance = 0  # the clock stands still: the pods stay Terminating
    outcome = kill.run(kill.plan(engine, kyuubi_available=False), cancel=cancel)
    assert outcome.status == TERMINATING, outcome.detail
    assert "following cancelled: driver Terminating" in outcome.detail


def test_a_kill_on_a_pod_selects_its_engine(sim: RunningSim) -> None:
    kill = Kill(sim)
    engine = kill.engine("warehouse-load")
    executor = engine.executors[1]
    assert engine_of_pod(executor.metadata.uid, kill.engines) is engine


def test_audit_records_the_kyuubi_call_without_credentials(sim: RunningSim, tmp_path: Path) -> None:
    kill = Kill(sim)
    engine = kill.engine("warehouse-load")
    plan = kill.plan(engine)
    outcome = kill.run(plan)
    path = tmp_path / "audit.jsonl"
    text = record_action(kill.kube, "kill", plan, [outcome], path, kyuubi=kill.kyuubi).read_text()
    record = json.loads(text)
    assert record["kyuubi"] == sim.kyuubi_url
    (step,) = record["steps"]
    assert step["api_call"] == f"DELETE {sim.kyuubi_url}/api/v1/batches/{engine.kyuubi_tag}"
    assert step["fallback_call"].startswith("DELETE /api/v1/namespaces/etl/pods/")
    assert PASSWORD not in text and "Authorization" not in text and "b3Bz" not in text
    for token in sim.tokens.values():
        assert token not in text


def test_execute_keeps_its_old_keywords() -> None:
    """Headless cleanup and older tests call execute with these names."""
    names = inspect.signature(execute).parameters
    for name in ("kube", "plan", "dry_run_only", "cancel", "on_outcome", "kyuubi", "on_progress"):
        assert name in names
