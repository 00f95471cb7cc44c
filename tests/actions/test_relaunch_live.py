"""Relaunch engine against the sim and its Kyuubi lookalike, through the kubeconfig.

Each test starts its own frozen incidents cluster; each progress line moves sim time past
the pods' grace periods, as a real cluster would have moved on meanwhile.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kubetui.actions.execute import DELETED, KILLED, RESTARTED
from kubetui.actions.plans import KYUUBI_KILL_BATCH, KYUUBI_KILL_ENGINE, PlanRefused
from kubetui.actions.relaunch import (
    CLOSE_SESSION,
    OPEN_SESSION,
    SUBMIT_BATCH,
    RelaunchPlan,
    SubmittedRequests,
    plan_relaunch,
    run_relaunch,
)
from kubetui.model.batch_request import PROXY_USER_KEY, BatchRequest
from kubetui.model.engines import KYUUBI_TAG_LABEL, group_engines
from kubetui.model.kyuubi_join import join_engines
from kubetui.model.records import Pod
from kubetui.sim.runner import RunningSim, running_sim
from kubetui.sources.kube_client import connect
from kubetui.sources.kyuubi import KyuubiClient, KyuubiConfig
from kubetui.sources.snapshot import take_snapshot

PASSWORD_ENV = "KUBETUI_TEST_RELAUNCH_KYUUBI_PASSWORD"


@pytest.fixture
def sim(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningSim]:
    monkeypatch.setenv(PASSWORD_ENV, "relaunch-pw")
    with running_sim("incidents", 1, frozen=True, tmp_dir=tmp_path / "sim") as running:
        running.kyuubi.users["ops"] = "relaunch-pw"
        running.kyuubi.admins.add("ops")
        running.kyuubi.launch_delay = 0.05
        yield running


class Cluster:
    """What the dashboard holds (pods, engines, the Kyuubi poll) plus the clients."""

    def __init__(self, sim: RunningSim, tmp_path: Path) -> None:
        self.sim = sim
        self.kube = connect(str(sim.kubeconfig_path))
        config = KyuubiConfig(url=sim.kyuubi_url, user="ops", password_env=PASSWORD_ENV)
        self.kyuubi = KyuubiClient(config)
        self.store = SubmittedRequests(tmp_path / "state" / "submitted.jsonl")
        self.lines: list[str] = []
        self.refresh()

    def refresh(self) -> None:
        self.data = self.kyuubi.fetch()
        self.pods = take_snapshot(self.kube).pods
        self.engines = join_engines(group_engines(self.pods), self.data)

    def plan(self, pod: Pod) -> RelaunchPlan:
        plan = plan_relaunch(
            pod,
            engines=self.engines,
            pods=self.pods,
            kyuubi_data=self.data,
            kyuubi_available=True,
            kyuubi_user="ops",
            kube=self.kube,
            now=self.sim.state.clock.now(),
            submitted=self.store,
        )
        assert isinstance(plan, RelaunchPlan)
        return plan

    def progress(self, line: str) -> None:
        """Kill lines move sim time past the 30 s grace periods; waiting for the new
        driver moves it by a second (Kyuubi gives a driver 30 s to appear)."""
        self.lines.append(line)
        waiting = line.startswith(("batch ", "session ", "no driver pod yet")) or line.endswith(
            (": Pending", ": Running")
        )
        self.sim.state.clock.advance(1 if waiting else 31)

    def run(self, plan: RelaunchPlan) -> list:
        return run_relaunch(
            self.kube,
            self.kyuubi,
            plan,
            on_progress=self.progress,
            submitted=self.store,
            timeout=20,
            interval=0.02,
        )

    def driver_tagged(self, namespace: str, tag: str) -> dict | None:
        return next(
            (
                p
                for p in self.sim.state.list("pods", namespace)
                if p["metadata"].get("labels", {}).get(KYUUBI_TAG_LABEL) == tag
            ),
            None,
        )


def test_relaunch_interactive_engine(sim: RunningSim, tmp_path: Path) -> None:
    c = Cluster(sim, tmp_path)
    node = next(n for n in c.data.engines if n.user == "alice" and n.subdomain == "default")
    old = next(e for e in c.engines if e.kyuubi_tag == node.ref_id)
    assert old.driver is not None and old.state == "RUNNING"
    plan = c.plan(old.driver)
    assert [s.action for s in plan.steps] == [KYUUBI_KILL_ENGINE, OPEN_SESSION, CLOSE_SESSION]
    assert plan.session_configs == {
        "kyuubi.engine.type": "SPARK_SQL",
        "kyuubi.engine.share.level": "USER",
        "kyuubi.engine.share.level.subdomain": "default",
        PROXY_USER_KEY: "alice",
    }
    assert plan.steps[1].api_call(sim.kyuubi_url).startswith(f"POST {sim.kyuubi_url}/api/v1/")
    outcomes = c.run(plan)
    assert [o.status for o in outcomes] == [KILLED, RESTARTED, DELETED], outcomes
    handle = outcomes[1].detail.split()[1].rstrip(":")
    new = c.driver_tagged("spark-alice", handle)
    assert new is not None and new["status"]["phase"] == "Running"
    assert new["metadata"]["uid"] != old.driver.metadata.uid
    assert new["metadata"]["uid"] in outcomes[1].detail
    assert handle not in sim.scenario.kyuubi.sessions  # the session was closed
    (registered,) = c.kyuubi.list_engines("alice", "SPARK_SQL", "USER", "default")
    assert registered.ref_id == handle  # same engine space, a new engine
    assert sim.state.get("pods", "spark-alice", old.driver.metadata.name) is None


ORIGINAL = BatchRequest(
    batch_type="SPARK",
    resource="s3a://jobs/relaunch/relaunch.jar",
    class_name="com.example.Relaunch",
    name="relaunch-me",
    conf={
        "spark.executor.instances": "3",
        "spark.kubernetes.namespace": "etl",
        "kyuubi.batch.priority": "20",
        PROXY_USER_KEY: "bob",
    },
    args=("--day", "2026-03-03", "two words"),
)


def _submitted_running(c: Cluster) -> str:
    batch_id = c.kyuubi.submit_batch(ORIGINAL.to_json()).id
    assert batch_id
    deadline = time.monotonic() + 10
    while c.driver_tagged("etl", batch_id) is None and time.monotonic() < deadline:
        time.sleep(0.02)
    c.refresh()
    return batch_id


def test_relaunch_batch_rebuilds_the_request(
    sim: RunningSim, tmp_path: Path, kyuubi_log: list[tuple[str, str]]
) -> None:
    c = Cluster(sim, tmp_path)
    old_id = _submitted_running(c)
    old = next(e for e in c.engines if e.kyuubi_tag == old_id)
    plan = c.plan(old.driver)
    assert [s.action for s in plan.steps] == [KYUUBI_KILL_BATCH, SUBMIT_BATCH]
    assert plan.batch_request == ORIGINAL  # rebuilt from the pod and its ConfigMap
    assert "rebuilt from" in plan.steps[1].reason and '"className"' in plan.steps[1].reason
    assert any("spark.kyuubi.batch.id" in w for w in plan.warnings)
    outcomes = c.run(plan)
    assert [o.status for o in outcomes] == [KILLED, RESTARTED], outcomes
    new_id = outcomes[1].detail.split()[1].rstrip(":")
    assert new_id != old_id
    new = c.driver_tagged("etl", new_id)
    assert new is not None and new["status"]["phase"] == "Running"
    posted = [p for m, p in kyuubi_log if m == "POST" and p.startswith("/api/v1/batches")]
    assert len(posted) == 2  # the original and the relaunch, nothing else
    assert c.store.get(new_id) == ORIGINAL
    # relaunching the relaunched batch uses the request kubetui submitted
    c.refresh()
    again = c.plan(next(e for e in c.engines if e.kyuubi_tag == new_id).driver)
    assert "the request kubetui submitted" in again.steps[-1].reason
    assert again.batch_request == ORIGINAL


def test_missing_config_map_is_named_and_nothing_is_submitted(
    sim: RunningSim, tmp_path: Path, kyuubi_log: list[tuple[str, str]]
) -> None:
    c = Cluster(sim, tmp_path)
    old_id = _submitted_running(c)
    old = next(e for e in c.engines if e.kyuubi_tag == old_id)
    volumes = sim.state.get("pods", "etl", old.driver.metadata.name)["spec"]["volumes"]
    cm = next(v["configMap"]["name"] for v in volumes if "configMap" in v)
    sim.state.remove("configmaps", "etl", cm)
    kyuubi_log.clear()
    with pytest.raises(PlanRefused) as refused:
        c.plan(old.driver)
    assert str(refused.value).endswith(
        f"the batch request cannot be rebuilt: ConfigMap {cm} is gone "
        "(it held spark.properties, the Spark conf)"
    )
    assert [m for m, _ in kyuubi_log if m != "GET"] == []


def test_bare_pod_is_refused(sim: RunningSim, tmp_path: Path) -> None:
    sim.state.create(
        "pods",
        {
            "metadata": {"name": "scratch", "namespace": "etl"},
            "spec": {"containers": [{"name": "c", "image": "busybox"}]},
        },
    )
    c = Cluster(sim, tmp_path)
    pod = next(p for p in c.pods if p.metadata.name == "scratch")
    with pytest.raises(PlanRefused, match="etl/scratch has no controller and is no Kyuubi batch"):
        c.plan(pod)


def test_records_survive_other_lines(tmp_path: Path) -> None:
    store = SubmittedRequests(tmp_path / "s.jsonl")
    store.record("a", ORIGINAL)
    with store.path.open("a") as out:
        out.write("not json\n" + json.dumps({"id": "b"}) + "\n")
    assert store.get("a") == ORIGINAL and store.get("b") is None and store.get("c") is None


def test_unknown_kyuubi_tag_is_refused(sim: RunningSim, tmp_path: Path) -> None:
    c = Cluster(sim, tmp_path)
    known = {b.id for b in c.data.batches} | {n.ref_id for n in c.data.engines}
    stray = next(e for e in c.engines if e.kyuubi_tag and e.kyuubi_tag not in known and e.driver)
    with pytest.raises(PlanRefused, match=r"Kyuubi has no batch .* and no registered engine"):
        c.plan(stray.driver)
