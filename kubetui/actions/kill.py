"""Plan "Kill engine": Kyuubi's own kill when Kyuubi knows the engine, else the driver pod.

With Kyuubi (apache/kyuubi master @ cfbbeec4; ``v1/`` is
``kyuubi-server/src/main/scala/org/apache/kyuubi/server/api/v1/``):

* a batch is killed by ``DELETE /api/v1/batches/{id}`` (``v1/BatchesResource.scala``):
  Kyuubi deletes the driver pod found by ``kyuubi-unique-tag`` and marks the batch
  CANCELED, so its metadata stays true;
* an interactive engine by ``DELETE /api/v1/admin/engine?type=&sharelevel=&subdomain=
  [&proxyUser=]&kill=true`` (``v1/AdminResource.scala`` ``deleteEngine``, ``kill`` since
  1.10.0): its ZooKeeper node is removed (no new session is routed to it) and the app is
  killed by its refId tag. The call acts on a whole engine space; the plan warns when
  the space holds more than this engine.

Either way the executors follow the driver by owner garbage collection (their
ownerReference names the driver pod, apache/spark ``KubernetesUtils.addOwnerReference``).
The Kyuubi step carries a fallback, the driver pod delete with ``preconditions.uid``,
which execution runs when Kyuubi is unreachable, refuses, or answers while the driver
keeps running (it disagrees with the pods). Without Kyuubi the fallback is the plan.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import msgspec

from kubetui.actions.plans import (
    DELETE,
    KYUUBI_KILL_BATCH,
    KYUUBI_KILL_ENGINE,
    Follow,
    KyuubiCall,
    Plan,
    PlanRefused,
    Step,
    Target,
    dependents_of,
    target_of,
)
from kubetui.model.engines import APP_ID_LABEL, KYUUBI_TAG_LABEL, Engine
from kubetui.model.kyuubi_join import (
    TERMINAL_BATCH_STATES,
    KyuubiBatch,
    KyuubiData,
    KyuubiEngine,
    KyuubiMeta,
)
from kubetui.model.records import Pod

#: What execution does when the Kyuubi call cannot be trusted to have killed the engine.
FALLBACK_RULE = (
    "if Kyuubi is unreachable, answers an error, or answers while the driver keeps "
    "running, the driver pod is deleted instead"
)


def engine_of_pod(pod_uid: str, engines: Iterable[Engine]) -> Engine | None:
    """The engine a pod belongs to (a kill on a pod kills its engine)."""
    return next((e for e in engines if any(p.metadata.uid == pod_uid for p in e.pods)), None)


def _batch_of(engine: Engine, data: KyuubiData | None) -> KyuubiBatch | None:
    if data is None:
        return None
    for key, field in ((engine.kyuubi_tag, "id"), (engine.app_id, "app_id")):
        if key:
            found = next((b for b in data.batches if getattr(b, field) == key), None)
            if found is not None:
                return found
    return None


def _node_of(engine: Engine, data: KyuubiData | None) -> KyuubiEngine | None:
    if data is None:
        return None
    for key, prop in ((engine.kyuubi_tag, "ref_id"), (engine.app_id, "app_id")):
        if key:
            found = next((n for n in data.engines if getattr(n, prop) == key), None)
            if found is not None:
                return found
    return None


def _follow(engine: Engine) -> Follow | None:
    """Watch the engine's pods: by app id (driver and executors), else the driver's tag."""
    if engine.namespace is None:
        return None
    if engine.app_id:
        selector = f"{APP_ID_LABEL}={engine.app_id}"
    elif engine.kyuubi_tag:
        selector = f"{KYUUBI_TAG_LABEL}={engine.kyuubi_tag}"
    else:
        return None
    targets = tuple(t for p in engine.pods if (t := target_of(p)) is not None)
    driver_uid = engine.driver.metadata.uid if engine.driver is not None else None
    return Follow(
        namespace=engine.namespace, label_selector=selector, pods=targets, driver_uid=driver_uid
    )


def _driver_step(engine: Engine, pods: Sequence[Pod], reason: str) -> Step | None:
    driver = engine.driver
    target = target_of(driver) if driver is not None else None
    if driver is None or target is None:
        return None
    return Step(
        action=DELETE,
        target=target,
        reason=reason,
        finalizers=driver.metadata.finalizers,
        dependents=dependents_of(driver, pods),
    )


def _not_owned(engine: Engine) -> list[str]:
    """Executors that owner GC will not take (no ownerReference to the driver)."""
    uid = engine.driver.metadata.uid if engine.driver is not None else None
    return [
        p.metadata.name or "?"
        for p in engine.executors
        if not uid or not any(r.uid == uid for r in p.metadata.owner_references)
    ]


def _expectation(engine: Engine, batch: KyuubiBatch | None) -> str:
    """Which case the plan expects, from what Kyuubi and the pods said at plan time."""
    alive = not engine.is_terminated
    meta = engine.kyuubi_meta
    if batch is not None and batch.state in TERMINAL_BATCH_STATES and alive:
        return (
            f"Kyuubi says batch {batch.state} while the pods prove {engine.state}: "
            "Kyuubi will likely refuse ('already terminal'), then the driver pod is deleted"
        )
    if isinstance(meta, KyuubiMeta) and meta.disagreement and alive:
        return f"{meta.disagreement}: if Kyuubi leaves the driver running, it is deleted"
    if not alive:
        return f"the pods prove {engine.state} already: Kyuubi's answer is shown, nothing else"
    return FALLBACK_RULE


def plan_kill(
    engine: Engine,
    pods: Sequence[Pod],
    kyuubi_data: KyuubiData | None,
    *,
    kyuubi_available: bool,
    kyuubi_user: str | None = None,
) -> Plan:
    """Kill one engine; :class:`PlanRefused` when nothing safe can be asked.

    ``pods`` are every pod seen (to list the driver's dependents); ``kyuubi_data`` the last
    Kyuubi poll (None without Kyuubi); ``kyuubi_available`` whether a Kyuubi client is
    configured and its last poll succeeded; ``kyuubi_user`` the user kubetui authenticates
    as (an engine of another user is named with ``proxyUser``, which needs admin rights).
    """
    # An unknown namespace or name reads "-"/"?" as in the tables, never "None" (found by
    # tests/ui/test_hostile_pipeline_ui.py).
    label = f"{engine.namespace or '-'}/{engine.name or engine.id or '?'}"
    batch = _batch_of(engine, kyuubi_data)
    node = None if batch is not None else _node_of(engine, kyuubi_data)
    known = batch is not None or node is not None
    use_kyuubi = kyuubi_available and known
    warnings: list[str] = []
    if engine.is_terminated:
        warnings.append(f"{label}: the engine already ended ({engine.state}); nothing runs")
    strays = _not_owned(engine)
    if strays and engine.driver is not None:
        warnings.append(
            f"executors without an ownerReference to the driver stay: {', '.join(strays)}"
        )
    why = "kill the engine: delete its driver pod (executors follow by owner GC)"
    if not use_kyuubi:
        why += "; Kyuubi knows it but is not reachable" if known else "; unknown to Kyuubi"
    fallback = _driver_step(engine, pods, why)
    follow = _follow(engine)
    if not use_kyuubi:
        if fallback is None:
            raise PlanRefused(
                f"{label}: no driver pod with a uid and no Kyuubi id: nothing can be killed safely"
            )
        step = msgspec.structs.replace(fallback, follow=follow)
        title = f"Kill engine {label}: delete its driver pod"
        return Plan(title=title, steps=(step,), warnings=tuple(warnings))
    if batch is not None:
        action, call, kyuubi_target, reason = _batch_call(engine, batch)
    else:
        assert node is not None
        action, call, kyuubi_target, reason = _engine_call(engine, node, kyuubi_user)
        warnings += _space_warning(node, kyuubi_data)
    if fallback is None:
        warnings.append(f"{label}: no driver pod: only Kyuubi's kill is possible, no fallback")
    step = Step(
        action=action,
        target=fallback.target if fallback is not None else kyuubi_target,
        reason=reason,
        dependents=fallback.dependents if fallback is not None else (),
        finalizers=fallback.finalizers if fallback is not None else (),
        kyuubi=call,
        fallback=fallback,
        fallback_when=_expectation(engine, batch) if fallback is not None else None,
        follow=follow,
    )
    what = "batch" if action == KYUUBI_KILL_BATCH else "engine"
    title = f"Kill engine {label} through Kyuubi ({what} {kyuubi_target.name})"
    return Plan(title=title, steps=(step,), warnings=tuple(warnings))


def _batch_call(engine: Engine, batch: KyuubiBatch) -> tuple[str, KyuubiCall, Target, str]:
    """``DELETE /batches/{id}`` (``BatchesResource.closeBatchSession``)."""
    batch_id = batch.id or ""
    call = KyuubiCall(method="DELETE", path=f"/batches/{batch_id}")
    target = Target(
        kind="KyuubiBatch", namespace=engine.namespace or "", name=batch_id, uid=batch_id
    )
    return KYUUBI_KILL_BATCH, call, target, f"Kyuubi kills batch {batch_id} (user {batch.user})"


def _engine_call(
    engine: Engine, node: KyuubiEngine, kyuubi_user: str | None
) -> tuple[str, KyuubiCall, Target, str]:
    """``DELETE /admin/engine?…&kill=true`` for the node's space, the query as apache/kyuubi
    ``AdminResourceSuite.scala`` sends it ("force to kill engine - user share level",
    "delete engine - connection share level", "… & proxyUser")."""
    share_level = (node.share_level or "USER").upper()
    subdomain = node.subdomain or "default"
    query = [("type", (node.engine_type or "SPARK_SQL").upper()), ("sharelevel", share_level)]
    query.append(("subdomain", subdomain))
    if node.user and node.user != kyuubi_user:
        query.append(("proxyUser", node.user))
    query.append(("kill", "true"))
    ref_id = node.ref_id or ""
    target = Target(kind="KyuubiEngine", namespace=engine.namespace or "", name=ref_id, uid=ref_id)
    call = KyuubiCall(method="DELETE", path="/admin/engine", query=tuple(query))
    reason = (
        f"Kyuubi deregisters and kills engine {ref_id} (user {node.user}, {share_level} "
        f"{subdomain})"
    )
    return KYUUBI_KILL_ENGINE, call, target, reason


def _space_warning(node: KyuubiEngine, data: KyuubiData | None) -> list[str]:
    """The admin DELETE acts on a whole engine space: name every other engine in it."""
    others = [
        n.ref_id or "?"
        for n in (data.engines if data is not None else ())
        if n.namespace == node.namespace and n.ref_id != node.ref_id
    ]
    if not others:
        return []
    return [
        f"DELETE /admin/engine acts on the whole space {node.namespace}: it also "
        f"deregisters and kills {', '.join(others)}"
    ]
