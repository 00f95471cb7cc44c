"""plan_kill as data: which call, which fallback, which warnings; how a follow-up reads."""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec
import pytest

from kubetui.actions.follow import GONE, TERMINATED, FollowResult, _Tracked
from kubetui.actions.kill import FALLBACK_RULE, engine_of_pod, plan_kill
from kubetui.actions.plans import (
    DELETE,
    KYUUBI_KILL_BATCH,
    KYUUBI_KILL_ENGINE,
    KyuubiCall,
    PlanRefused,
)
from kubetui.model.engines import Engine, group_engines
from kubetui.model.kyuubi_join import KyuubiBatch, KyuubiData, KyuubiEngine
from kubetui.model.records import Pod

NOW = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
TAG = "0b3f4bd4-6c2d-4f40-9c55-1c1d1fa8a0a1"
APP = "spark-0123456789abcdef"


def pod(name: str, uid: str | None, role: str, *, phase: str = "Running", owner: str | None = None):
    labels = {"spark-app-selector": APP, "spark-role": role}
    if role == "driver":
        labels["kyuubi-unique-tag"] = TAG
    meta: dict = {"name": name, "namespace": "etl", "uid": uid, "labels": labels}
    if owner:
        meta["ownerReferences"] = [
            {"kind": "Pod", "name": "drv", "uid": owner, "controller": True, "apiVersion": "v1"}
        ]
    return msgspec.convert({"metadata": meta, "status": {"phase": phase}}, Pod)


def engine_pods(*, driver_uid: str | None = "u-drv", phase: str = "Running") -> list[Pod]:
    pods = [pod(f"e-exec-{i}", f"u-{i}", "executor", owner=driver_uid) for i in (1, 2)]
    if driver_uid != "none":
        pods.insert(0, pod("e-driver", driver_uid, "driver", phase=phase))
    return pods


def only_engine(pods: list[Pod]) -> Engine:
    (engine,) = group_engines(pods)
    return engine


def data(*, batches=(), engines=()) -> KyuubiData:
    return KyuubiData(batches=tuple(batches), engines=tuple(engines), fetched_at=NOW)


BATCH = KyuubiBatch(id=TAG, user="etl-svc", state="RUNNING", app_id=APP, app_state="RUNNING")


def test_a_known_batch_is_killed_by_kyuubi_with_the_driver_delete_as_fallback() -> None:
    pods = engine_pods()
    plan = plan_kill(only_engine(pods), pods, data(batches=[BATCH]), kyuubi_available=True)
    (step,) = plan.steps
    assert step.action == KYUUBI_KILL_BATCH
    assert step.kyuubi == KyuubiCall(method="DELETE", path=f"/batches/{TAG}")
    assert step.api_call() == f"DELETE {{kyuubi}}/api/v1/batches/{TAG}"
    assert step.api_call("https://k:10099/") == f"DELETE https://k:10099/api/v1/batches/{TAG}"
    assert step.target.name == "e-driver" and step.dependents == ("e-exec-1", "e-exec-2")
    fallback = step.fallback
    assert fallback is not None and fallback.action == DELETE
    assert fallback.delete_options(dry_run=False)["preconditions"] == {"uid": "u-drv"}
    assert step.fallback_when == FALLBACK_RULE
    assert step.follow is not None
    assert step.follow.label_selector == f"spark-app-selector={APP}"
    assert [t.uid for t in step.follow.pods] == ["u-drv", "u-1", "u-2"]
    assert step.follow.driver_uid == "u-drv"
    assert plan.warnings == () and not plan.needs_second_confirmation


@pytest.mark.parametrize(
    ("kyuubi", "available", "reason"),
    [
        (data(batches=[BATCH]), False, "Kyuubi knows it but is not reachable"),
        (data(), True, "unknown to Kyuubi"),
        (None, False, "unknown to Kyuubi"),
    ],
)
def test_without_kyuubi_the_driver_pod_is_deleted(kyuubi, available, reason) -> None:
    pods = engine_pods()
    plan = plan_kill(only_engine(pods), pods, kyuubi, kyuubi_available=available)
    (step,) = plan.steps
    assert step.action == DELETE and step.kyuubi is None and step.fallback is None
    assert step.path == "/api/v1/namespaces/etl/pods/e-driver"
    assert step.reason.endswith(reason) and "owner GC" in step.reason
    assert step.dependents == ("e-exec-1", "e-exec-2") and step.follow is not None


def test_no_driver_uid_and_no_kyuubi_id_is_refused() -> None:
    pods = engine_pods(driver_uid="none")
    with pytest.raises(PlanRefused, match="no driver pod with a uid and no Kyuubi id"):
        plan_kill(only_engine(pods), pods, data(), kyuubi_available=True)


def test_no_driver_but_a_kyuubi_batch_is_a_kyuubi_call_without_fallback() -> None:
    pods = engine_pods(driver_uid="none")
    plan = plan_kill(only_engine(pods), pods, data(batches=[BATCH]), kyuubi_available=True)
    (step,) = plan.steps
    assert step.target.kind == "KyuubiBatch" and step.target.uid == TAG
    assert step.fallback is None and any("no fallback" in w for w in plan.warnings)


def test_kyuubi_saying_terminal_while_the_pods_run_expects_the_fallback() -> None:
    pods = engine_pods()
    stale = msgspec.structs.replace(BATCH, state="FINISHED", app_state="FINISHED")
    (step,) = plan_kill(only_engine(pods), pods, data(batches=[stale]), kyuubi_available=True).steps
    assert step.fallback_when is not None and "already terminal" in step.fallback_when


def test_an_ended_engine_and_stray_executors_are_warned_about() -> None:
    pods = engine_pods(phase="Failed")
    pods.append(pod("e-exec-3", "u-3", "executor"))  # no ownerReference to the driver
    plan = plan_kill(only_engine(pods), pods, None, kyuubi_available=False)
    assert any("already ended (FAILED)" in w for w in plan.warnings)
    assert any(w.endswith("stay: e-exec-3") for w in plan.warnings)


def node(user: str, level: str, subdomain: str, ref: str = TAG, etype: str = "SPARK_SQL"):
    space = f"/kyuubi_1.10.1_{level.upper()}_{etype.upper()}/{user}/{subdomain}"
    return KyuubiEngine(
        user=user,
        engine_type=etype,
        share_level=level,
        subdomain=subdomain,
        namespace=space,
        attributes={"refId": ref, "kyuubi.engine.id": APP},
    )


# The admin DELETE's query, per apache/kyuubi master kyuubi-server/src/test/scala/org/apache/
# kyuubi/server/api/v1/AdminResourceSuite.scala: "force to kill engine - user share level"
# (sharelevel USER, type spark_sql, kill true), "delete engine - group share level",
# "delete engine - connection share level" (subdomain = the engine's id), "delete engine -
# user share level & proxyUser" (another user's engine is named by proxyUser).
ENGINE_QUERIES = [
    (node("ops", "USER", "default"), "ops", "type=SPARK_SQL&sharelevel=USER&subdomain=default"),
    (node("ops", "user", "default", etype="spark_sql"), "ops",
     "type=SPARK_SQL&sharelevel=USER&subdomain=default"),
    (node("ops", "GROUP", "default"), "ops", "type=SPARK_SQL&sharelevel=GROUP&subdomain=default"),
    (node("ops", "connection", TAG), "ops",
     f"type=SPARK_SQL&sharelevel=CONNECTION&subdomain={TAG}"),
    (node("kyuubi", "USER", "default"), "anonymous",
     "type=SPARK_SQL&sharelevel=USER&subdomain=default&proxyUser=kyuubi"),
    (node("kyuubi", "USER", "adhoc"), None,
     "type=SPARK_SQL&sharelevel=USER&subdomain=adhoc&proxyUser=kyuubi"),
]  # fmt: skip


@pytest.mark.parametrize(("engine_node", "me", "query"), ENGINE_QUERIES)
def test_interactive_engine_kill_query(engine_node: KyuubiEngine, me, query: str) -> None:
    pods = engine_pods()
    plan = plan_kill(
        only_engine(pods), pods, data(engines=[engine_node]), kyuubi_available=True, kyuubi_user=me
    )
    (step,) = plan.steps
    assert step.action == KYUUBI_KILL_ENGINE
    assert step.api_call() == f"DELETE {{kyuubi}}/api/v1/admin/engine?{query}&kill=true"
    assert step.fallback is not None and plan.warnings == ()


def test_the_admin_delete_warns_about_other_engines_of_the_space() -> None:
    pods = engine_pods()
    other = node("ops", "USER", "default", ref="11111111-2222-3333-4444-555555555555")
    kyuubi = data(engines=[node("ops", "USER", "default"), other])
    plan = plan_kill(only_engine(pods), pods, kyuubi, kyuubi_available=True, kyuubi_user="ops")
    (warning,) = plan.warnings
    assert warning.endswith("also deregisters and kills 11111111-2222-3333-4444-555555555555")


def test_a_pod_selects_its_engine() -> None:
    pods = engine_pods()
    engines = group_engines(pods)
    assert engine_of_pod("u-2", engines) is engines[0]
    assert engine_of_pod("nope", engines) is None


def tracked(*states: tuple[str, str]) -> FollowResult:
    result = FollowResult(timeout=60)
    for i, (role, state) in enumerate(states):
        result.pods[str(i)] = _Tracked(role, f"p{i}", state=state)
    return result


@pytest.mark.parametrize(
    ("states", "stopped", "summary"),
    [
        ((("driver", GONE), ("executor", GONE), ("executor", GONE)), None,
         "driver and 2 executors gone"),
        ((("driver", GONE),), None, "driver gone"),
        ((("driver", TERMINATED), ("executor", GONE)), None, "driver terminated, 1 executor gone"),
        ((("driver", "Terminating"), ("executor", GONE), ("executor", "running")), "timeout",
         "after 60 s: driver Terminating, 1 of 2 executors left"),
        ((("driver", "Terminating"),), "cancelled", "following cancelled: driver Terminating"),
    ],
)  # fmt: skip
def test_follow_summary(states, stopped, summary) -> None:
    result = tracked(*states)
    result.stopped = stopped
    assert result.summary() == summary
    assert result.done == (stopped is None)


def test_execute_refuses_kyuubi_steps_it_does_not_run() -> None:
    """A relaunch's open-session/submit steps carry a Kyuubi call; execute() must not
    send them as if they were kills (only relaunch.run_relaunch runs them)."""
    from kubetui.actions.execute import FAILED, execute
    from kubetui.actions.plans import KyuubiCall, Plan, Step, Target
    from kubetui.actions.relaunch import OPEN_SESSION

    step = Step(
        action=OPEN_SESSION,
        target=Target(kind="KyuubiEngine", namespace="ns", name="e", uid="e"),
        reason="open a session",
        kyuubi=KyuubiCall(method="POST", path="/sessions"),
    )
    (outcome,) = execute(None, Plan(title="t", steps=(step,)), kyuubi=None)  # type: ignore[arg-type]
    assert outcome.status == FAILED and "not a kill step" in outcome.detail
