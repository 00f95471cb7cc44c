"""Plan "Kill engine": Kyuubi's own kill when Kyuubi knows the engine, else the driver pod.

With Kyuubi (apache/kyuubi master @ cfbbeec4; kyuubi-facts.md §1, §7):

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
) -> Plan:
    """Kill one engine; :class:`PlanRefused` when nothing safe can be asked.

    ``pods`` are every pod seen (to list the driver's dependents); ``kyuubi_data`` the last
    Kyuubi poll (None without Kyuubi); ``kyuubi_available`` whether a Kyuubi client is
    configured and its last poll succeeded.
    """
    label = f"{engine.namespace}/{engine.name or engine.id}"
    batch = _batch_of(engine, kyuubi_data)
    node = None if batch is not None else _node_of(engine, kyuubi_data)
    meta = engine.kyuubi_meta
    # Joined earlier but missing from this poll's rows: the batch id is still known.
    if (
        batch is None
        and node is None
        and isinstance(meta, KyuubiMeta)
        and meta.source == "batch"
        and meta.id
    ):
        batch = KyuubiBatch(id=meta.id, user=meta.user, state=meta.batch_state)
    use_kyuubi = kyuubi_available and (batch is not None or node is not None)
    warnings: list[str] = []
    if engine.is_terminated:
        warnings.append(f"{label}: the engine already ended ({engine.state}); nothing runs")
    fallback_reason = "kill the engine: delete its driver pod (executors follow by owner GC)"
    if not use_kyuubi and (batch is not None or node is not None):
        fallback_reason += "; Kyuubi knows it but is not reachable"
    elif not use_kyuubi:
        fallback_reason += "; Kyuubi does not know this engine"
    fallback = _driver_step(engine, pods, fallback_reason)
    strays = _not_owned(engine)
    if strays and engine.driver is not None:
        warnings.append(
            f"executors without an ownerReference to the driver stay: {', '.join(strays)}"
        )
    follow = _follow(engine)
    if not use_kyuubi:
        if fallback is None:
            raise PlanRefused(
                f"{label}: no driver pod with a uid and no Kyuubi id: nothing can be killed safely"
            )
        step = msgspec.structs.replace(fallback, follow=follow)
        return Plan(
            title=f"Kill engine {label}: delete its driver pod",
            steps=(step,),
            warnings=tuple(warnings),
        )
    if batch is not None:
        action, what = KYUUBI_KILL_BATCH, f"batch {batch.id}"
        call = KyuubiCall(method="DELETE", path=f"/batches/{batch.id}")
        reason = f"Kyuubi kills batch {batch.id} (user {batch.user or '?'})"
        kyuubi_target = Target(
            kind="KyuubiBatch",
            namespace=engine.namespace or "",
            name=batch.id or "",
            uid=batch.id or "",
        )
    else:
        assert node is not None
        action, what, call, kyuubi_target = _engine_call(engine, node, kyuubi_data, warnings)
        reason = (
            f"Kyuubi deregisters and kills engine {node.ref_id} (user {node.user or '?'}, "
            f"{(node.share_level or '?').upper()} {node.subdomain or 'default'})"
        )
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
    if fallback is None:
        warnings.append(f"{label}: no driver pod: only Kyuubi's kill is possible, no fallback")
    return Plan(
        title=f"Kill engine {label} through Kyuubi ({what})",
        steps=(step,),
        warnings=tuple(warnings),
    )


def _engine_call(
    engine: Engine, node: KyuubiEngine, data: KyuubiData | None, warnings: list[str]
) -> tuple[str, str, KyuubiCall, Target]:
    engine_type = (node.engine_type or "SPARK_SQL").upper()
    share_level = (node.share_level or "USER").upper()
    subdomain = node.subdomain or "default"
    query: list[tuple[str, str]] = [
        ("type", engine_type),
        ("sharelevel", share_level),
        ("subdomain", subdomain),
    ]
    if node.user:
        query.append(("proxyUser", node.user))
    query.append(("kill", "true"))
    others = [
        n.ref_id or "?"
        for n in (data.engines if data is not None else ())
        if n.namespace == node.namespace and n.ref_id != node.ref_id
    ]
    if others:
        warnings.append(
            f"DELETE /admin/engine acts on the whole space {node.namespace}: it also "
            f"deregisters and kills {', '.join(others)}"
        )
    target = Target(
        kind="KyuubiEngine",
        namespace=engine.namespace or "",
        name=node.ref_id or "",
        uid=node.ref_id or "",
    )
    call = KyuubiCall(method="DELETE", path="/admin/engine", query=tuple(query))
    return KYUUBI_KILL_ENGINE, f"engine {node.ref_id}", call, target
