"""Group Spark/Kyuubi pods into engines and state what the pods prove about each.

An engine is one Spark application: a driver pod plus its executor pods. kubetui finds them
from labels alone, so it works without any Kyuubi access:

* ``spark-app-selector`` (Spark app id) is on the driver and every executor; Spark sets it
  (apache/spark ``resource-managers/kubernetes/core/.../deploy/k8s/Constants.scala``).
* ``kyuubi-unique-tag`` (batch id or engineRefId) is on the driver only; Kyuubi sets it via
  ``spark.kubernetes.driver.label.kyuubi-unique-tag`` (apache/kyuubi master @ cfbbeec4,
  ``kyuubi-server/.../engine/KyuubiApplicationManager.scala`` ``setupSparkK8sTag``).
* ``spark-role`` is ``driver`` or ``executor``; executors also hold an ownerReference
  (kind Pod) to the driver, which catches executors whose labels are missing or odd.
* No user label exists: Kyuubi passes the user to the driver only as the env variable
  ``SPARK_USER_NAME`` (``engine/spark/SparkProcessBuilder.scala``), which records do not
  keep. ``Engine.user`` is therefore ``None`` until the Kyuubi join fills it.

The state here is the truthful one (``engine_state_from_pods``); Kyuubi's own view of the
same driver (``kyuubi_state.kyuubi_app_state``) sits beside it in ``Engine.kyuubi_state``
so the UI can show where they disagree.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import msgspec

from kubetui.model.durations import as_aware
from kubetui.model.kyuubi_state import (
    DEFAULT_STATE_CONTAINER,
    FAILED,
    FINISHED,
    KILLED,
    NOT_FOUND,
    PENDING,
    RUNNING,
    UNKNOWN,
    is_terminated,
    kyuubi_app_state,
)
from kubetui.model.pod_status import is_restartable_init_container
from kubetui.model.records import ContainerStatus, Pod, StateTerminated

APP_ID_LABEL = "spark-app-selector"
APP_NAME_LABEL = "spark-app-name"
ROLE_LABEL = "spark-role"
EXEC_ID_LABEL = "spark-exec-id"
KYUUBI_TAG_LABEL = "kyuubi-unique-tag"
DRIVER_CONTAINER = "spark-kubernetes-driver"
OOM_KILLED = "OOMKilled"
#: What ties pods into one engine (``engine_keys``): (namespace, label value) or a uid.
EngineKey = tuple[str | None, str] | str
#: Waiting reasons of a container that is simply on its way up.
_STARTING_REASONS = frozenset({"ContainerCreating", "PodInitializing"})


class Engine(msgspec.Struct, frozen=True, kw_only=True):
    """One Spark application as its pods show it."""

    #: ``kyuubi-unique-tag`` when present (what Kyuubi calls the engine), else the app id.
    id: str
    namespace: str | None
    app_id: str | None
    kyuubi_tag: str | None
    #: ``spark-app-name`` label (Spark 3.3+), sanitized by Spark.
    name: str | None
    #: Never on the pods (see the module docstring); set by the Kyuubi join.
    user: str | None
    driver: Pod | None
    executors: tuple[Pod, ...]
    #: Pod-proven ApplicationState, see ``engine_state_from_pods``.
    state: str
    reason: str | None
    #: When the driver stopped, for terminal states (see ``driver_ended_at``).
    ended_at: datetime | None
    #: What Kyuubi would say from the same driver; ``None`` when Kyuubi does not watch the
    #: driver (it needs both ``kyuubi-unique-tag`` and ``spark-app-selector``) or there is none.
    kyuubi_state: str | None
    #: The Kyuubi batch or engine record joined to this engine later, if any.
    kyuubi_meta: Any = None

    @property
    def pods(self) -> tuple[Pod, ...]:
        """Driver first, then executors."""
        return ((self.driver,) if self.driver is not None else ()) + self.executors

    @property
    def pod_names(self) -> tuple[str, ...]:
        return tuple(p.metadata.name or "" for p in self.pods)

    @property
    def is_terminated(self) -> bool:
        return is_terminated(self.state)


# ------------------------------------------------------------------ container helpers


def is_sidecar_init(pod: Pod, name: str | None) -> bool:
    """Whether init container ``name`` is a native sidecar (``restartPolicy: Always``)."""
    spec = next((c for c in pod.spec.init_containers if c.name == name), None)
    return is_restartable_init_container(spec)


def main_statuses(pod: Pod) -> list[ContainerStatus]:
    """The regular containers whose fate is the engine's fate.

    The Spark container ``spark-kubernetes-driver`` when present, so that an
    ``istio-proxy`` beside it does not decide; else every regular container.
    """
    statuses = pod.status.container_statuses
    named = [s for s in statuses if (s.name or "").lower() == DRIVER_CONTAINER]
    return named or list(statuses)


def decisive_statuses(pod: Pod) -> list[ContainerStatus]:
    """``main_statuses`` plus the init containers that are not sidecars (one failing stops
    the pod from ever starting)."""
    init = [s for s in pod.status.init_container_statuses if not is_sidecar_init(pod, s.name)]
    return init + main_statuses(pod)


def terminated_reason(term: StateTerminated) -> str:
    """``"Error exit 1"``: the kubelet's reason and the exit code, as one short phrase."""
    code = "exit ?" if term.exit_code is None else f"exit {term.exit_code}"
    return f"{term.reason} {code}" if term.reason else code


def current_terminated(status: ContainerStatus) -> StateTerminated | None:
    return status.state.terminated if status.state is not None else None


def last_terminated(status: ContainerStatus) -> StateTerminated | None:
    return status.last_state.terminated if status.last_state is not None else None


def pod_finished_at(pod: Pod) -> datetime | None:
    """Latest ``finishedAt`` of any container whose current state is terminated."""
    # Aware, as everywhere a time is compared: a timestamp without a zone (a hand-written
    # dump) beside one with it made max() raise TypeError, which failed the whole analysis
    # (found by tests/model/test_hostile_pipeline.py).
    times = [
        as_aware(t.finished_at)
        for s in (*pod.status.init_container_statuses, *pod.status.container_statuses)
        if (t := current_terminated(s)) is not None and t.finished_at is not None
    ]
    return max(times, default=None)


def driver_ended_at(driver: Pod) -> datetime | None:
    """When the driver stopped: its last container ``finishedAt``.

    Falls back to the latest condition transition, which is when the kubelet marked the
    pod not ready; an evicted pod may carry no container termination times at all.
    """
    finished = pod_finished_at(driver)
    if finished is not None:
        return finished
    times = [
        as_aware(c.last_transition_time)
        for c in driver.status.conditions
        if c.last_transition_time is not None
    ]
    return max(times, default=None)


# ------------------------------------------------------------------ the truthful state


def engine_state_from_pods(driver: Pod | None) -> tuple[str, str | None]:
    """The engine's ApplicationState as its driver pod proves it, with a short reason.

    Rules, first match wins (``decisive_statuses`` picks the containers):

    1. No driver pod → NOT_FOUND (executors alone cannot run an application).
    2. A decisive container whose current state is terminated ``OOMKilled`` → KILLED,
       reason ``"OOMKilled"``. Kyuubi maps this pod to FAILED (phase Failed) or RUNNING
       (a sidecar keeps it Running), never KILLED, because it reads only the phase.
    3. Phase Succeeded → FINISHED.
    4. A decisive container waiting to restart whose *last* state is ``OOMKilled`` →
       KILLED, reason ``"OOMKilled"``: that OOM kill is its latest death. One that runs
       again is alive and stays RUNNING, reason ``"OOMKilled before restart"`` (the
       oom_killed finding still flags it).
    5. Phase Failed → FAILED; reason ``status.reason`` first (``Evicted``, ``NodeLost``,
       ``OutOfmemory`` explain why every container was killed), else the first decisive
       container terminated non-zero (``"Error exit 1"``).
    6. In a Running pod (a sidecar keeps it alive), a main container terminated
       non-zero → FAILED; all main containers terminated with 0 → FINISHED: Kyuubi's
       CONTAINER source rule, applied always because it is what the pod proves.
    7. A decisive container in CrashLoopBackOff → FAILED, reason
       ``"CrashLoopBackOff: <last termination>"``: the process has died and keeps dying.
    8. Running → RUNNING; Pending → PENDING, reason the first waiting reason that is not
       ContainerCreating/PodInitializing (ImagePullBackOff, CreateContainerConfigError)
       or ``Unschedulable``. Unlike Kyuubi ≥1.11 in CONTAINER mode (#7214) these stay
       PENDING: the kubelet keeps retrying pulls and config errors clear once the
       missing Secret appears, so the pod proves "not started yet", not "failed".
    9. Anything else (phase Unknown, missing, garbage) → UNKNOWN, reason ``status.reason``.

    A live pod with ``deletionTimestamp`` keeps RUNNING/PENDING (its processes run until
    the grace period ends) and its reason is prefixed ``"Terminating"``.
    """
    if driver is None:
        return NOT_FOUND, "no driver pod"
    state, reason = _state_ignoring_deletion(driver)
    if driver.metadata.deletion_timestamp is not None and state in (RUNNING, PENDING):
        reason = f"Terminating; {reason}" if reason else "Terminating"
    return state, reason


def _state_ignoring_deletion(pod: Pod) -> tuple[str, str | None]:
    statuses = decisive_statuses(pod)
    phase = pod.status.phase
    if any((t := current_terminated(s)) and t.reason == OOM_KILLED for s in statuses):
        return KILLED, OOM_KILLED
    if phase == "Succeeded":
        return FINISHED, None
    oom_before = [s for s in statuses if (t := last_terminated(s)) and t.reason == OOM_KILLED]
    if any(s.state is None or s.state.waiting is not None for s in oom_before):
        return KILLED, OOM_KILLED
    if phase == "Failed":
        failed = (t for s in statuses if (t := current_terminated(s)) and t.exit_code != 0)
        first = next(failed, None)
        return FAILED, pod.status.reason or (terminated_reason(first) if first else None)
    main = main_statuses(pod)
    ended = [t for s in main if (t := current_terminated(s)) is not None]
    if phase == "Running" and ended:
        first_bad = next((t for t in ended if t.exit_code != 0), None)
        if first_bad is not None:
            return FAILED, terminated_reason(first_bad)
        if len(ended) == len(main):
            return FINISHED, None
    for s in statuses:
        if s.state is not None and s.state.waiting and s.state.waiting.reason == "CrashLoopBackOff":
            last = last_terminated(s)
            detail = f": {terminated_reason(last)}" if last else ""
            return FAILED, f"CrashLoopBackOff{detail}"
    if phase == "Running":
        running_again = any(s.state is not None and s.state.running for s in oom_before)
        return RUNNING, "OOMKilled before restart" if running_again else None
    if phase == "Pending":
        return PENDING, _pending_reason(pod, statuses)
    return UNKNOWN, pod.status.reason


def _pending_reason(pod: Pod, statuses: list[ContainerStatus]) -> str | None:
    for s in statuses:
        waiting = s.state.waiting if s.state is not None else None
        if waiting is not None and waiting.reason and waiting.reason not in _STARTING_REASONS:
            return waiting.reason
    for cond in pod.status.conditions:
        if cond.type == "PodScheduled" and cond.status == "False" and cond.reason:
            return cond.reason
    return None


# ------------------------------------------------------------------ grouping


def _labels(pod: Pod) -> dict[str, str]:
    return pod.metadata.labels or {}


def _is_driver(pod: Pod) -> bool:
    """``spark-role`` decides; without a usable role, a pod owned by a Pod is an executor."""
    role = _labels(pod).get(ROLE_LABEL)
    if role in ("driver", "executor"):
        return role == "driver"
    return not any(ref.kind == "Pod" for ref in pod.metadata.owner_references)


def _exec_order(pod: Pod) -> tuple[int, str]:
    exec_id = _labels(pod).get(EXEC_ID_LABEL, "")
    return (int(exec_id) if exec_id.isdigit() else 1 << 62, pod.metadata.name or "")


def _newest(pods: list[Pod]) -> Pod:
    return max(
        pods,
        key=lambda p: (
            p.metadata.creation_timestamp.timestamp() if p.metadata.creation_timestamp else 0.0,
            p.metadata.name or "",
        ),
    )


def _first_label(pods: Iterable[Pod], key: str) -> str | None:
    return next((v for p in pods if (v := _labels(p).get(key))), None)


def group_engines(
    pods: Iterable[Pod],
    *,
    kyuubi_state_source: str = "POD",
    kyuubi_state_container: str = DEFAULT_STATE_CONTAINER,
) -> list[Engine]:
    """Group engine pods into engines, per namespace, sorted by (namespace, id).

    Engine pods carry ``spark-app-selector`` or ``kyuubi-unique-tag``, or are owned by such
    a driver pod. Each driver starts an engine (one without ``spark-app-selector`` still
    does, keyed by its tag). Executors join their driver by owner uid, else by app id
    (then tag) in the same namespace, preferring the newest driver; executors whose driver
    is gone form a driverless engine per app id (state NOT_FOUND). The two keyword
    arguments are Kyuubi's ``kyuubi.kubernetes.application.state.source|container``.
    """
    drivers: list[Pod] = []
    others: list[Pod] = []
    for pod in pods:
        labels = _labels(pod)
        labelled = APP_ID_LABEL in labels or KYUUBI_TAG_LABEL in labels
        (drivers if labelled and _is_driver(pod) else others).append(pod)

    by_uid: dict[tuple[str | None, str], Pod] = {}
    by_key: dict[tuple[str | None, str, str], list[Pod]] = defaultdict(list)
    for d in drivers:
        ns = d.metadata.namespace
        if d.metadata.uid:
            by_uid[ns, d.metadata.uid] = d
        for key in (APP_ID_LABEL, KYUUBI_TAG_LABEL):
            if value := _labels(d).get(key):
                by_key[ns, key, value].append(d)

    executors: dict[int, list[Pod]] = defaultdict(list)  # id(driver) → its executors
    driverless: dict[tuple[str | None, str], list[Pod]] = defaultdict(list)
    for pod in others:
        driver = _driver_of(pod, by_uid, by_key)
        if driver is not None:
            executors[id(driver)].append(pod)
        elif key := _labels(pod).get(APP_ID_LABEL) or _labels(pod).get(KYUUBI_TAG_LABEL):
            driverless[pod.metadata.namespace, key].append(pod)

    engines = [
        _engine(d, executors[id(d)], kyuubi_state_source, kyuubi_state_container) for d in drivers
    ]
    engines += [
        _engine(None, group, kyuubi_state_source, kyuubi_state_container)
        for group in driverless.values()
    ]
    engines.sort(key=engine_order)
    return engines


def engine_order(engine: Engine) -> tuple[str, str, tuple[str, ...]]:
    """The sort key of ``group_engines``: namespace, id, pod names."""
    return (engine.namespace or "", engine.id, engine.pod_names)


def engine_keys(pod: Pod) -> tuple[EngineKey, ...]:
    """What can tie ``pod`` to other pods in ``group_engines``: its app id and Kyuubi tag
    as (namespace, value), its own uid and the uids of the Pods owning it as the bare
    uid strings; ``()`` for a pod that is never part of an engine (no such label, no Pod
    owner). Uids are unique in a cluster, so they need no namespace, and the strings are
    the record's own: ``analysis_cache.Analyser`` indexes ~one uid per engine pod, and a
    tuple each was ~5 MB at 50k pods.

    ``group_engines`` only puts together pods of one namespace that share one of these
    (drivers by uid or label, driverless groups by label value), so it gives the same
    engines when run apart on each set of pods connected by shared keys (or on any union
    of such sets): what lets ``analysis_cache.Analyser`` regroup only the pods a change
    touched.
    """
    ns = pod.metadata.namespace
    labels = _labels(pod)
    keys: list[EngineKey] = [
        (ns, v) for k in (APP_ID_LABEL, KYUUBI_TAG_LABEL) if (v := labels.get(k))
    ]
    keys += [r.uid for r in pod.metadata.owner_references if r.kind == "Pod" and r.uid]
    if keys and pod.metadata.uid:
        keys.append(pod.metadata.uid)
    return tuple(keys)


def _driver_of(
    pod: Pod,
    by_uid: dict[tuple[str | None, str], Pod],
    by_key: dict[tuple[str | None, str, str], list[Pod]],
) -> Pod | None:
    ns = pod.metadata.namespace
    for ref in pod.metadata.owner_references:
        if ref.kind == "Pod" and ref.uid and (ns, ref.uid) in by_uid:
            return by_uid[ns, ref.uid]
    for key in (APP_ID_LABEL, KYUUBI_TAG_LABEL):
        value = _labels(pod).get(key)
        if value and (candidates := by_key.get((ns, key, value))):
            return _newest(candidates)
    return None


def _engine(driver: Pod | None, executors: list[Pod], source: str, container: str) -> Engine:
    executors.sort(key=_exec_order)
    pods: list[Pod] = ([driver] if driver is not None else []) + executors
    app_id = _first_label(pods, APP_ID_LABEL)
    tag = _first_label(pods, KYUUBI_TAG_LABEL)
    state, reason = engine_state_from_pods(driver)
    ended_at = kyuubi_state = None
    if driver is not None:
        if is_terminated(state):
            ended_at = driver_ended_at(driver)
        if {APP_ID_LABEL, KYUUBI_TAG_LABEL} <= _labels(driver).keys():
            kyuubi_state = kyuubi_app_state(driver, source, container)
    return Engine(
        id=tag or app_id or "",
        namespace=pods[0].metadata.namespace,
        app_id=app_id,
        kyuubi_tag=tag,
        name=_first_label(pods, APP_NAME_LABEL),
        user=None,
        driver=driver,
        executors=tuple(executors),
        state=state,
        reason=reason,
        ended_at=ended_at,
        kyuubi_state=kyuubi_state,
    )
