"""Plan and run "Relaunch engine": a fresh engine in place of one the operator picked.

* A Kyuubi interactive engine (apache/kyuubi @ cfbbeec4, ``kyuubi-server/.../server/api/``
  ``v1/AdminResource.scala`` and ``v1/SessionsResource.scala``,
  ``kyuubi-server/.../engine/EngineRef.scala``):
  kill it (``plan_kill``'s admin ``DELETE /admin/engine?…&kill=true`` step), open a session
  as the same user with the same ``kyuubi.engine.type``, share level and subdomain, so
  Kyuubi, finding no engine in the space, launches one whose ``kyuubi-unique-tag`` is the
  new session's id; follow until that driver pod is Running; close the session.
* A Kyuubi batch: Kyuubi keeps no resubmittable request (its REST ``Batch`` has no
  resource, class, conf or args, and no endpoint resubmits), so the request comes from
  kubetui's own record of what it submitted (``SubmittedRequests``), else is rebuilt from
  the driver pod and its conf ConfigMap (``model/batch_request.py``); the plan shows it.
  A driver still running is killed first; then ``POST /batches`` (no old
  ``kyuubi.batch.id``: a reused id returns the old batch), follow until the new batch's
  driver runs.
* Any other pod: ``plans.plan_restart`` (controller-owned), else refused.

Relaunch plans are :class:`RelaunchPlan` (a ``Plan``, displayed like any other) and run
with :func:`run_relaunch`, not ``execute``: their session and submit steps need bodies
and a follow-up that ``execute``'s kill steps do not have.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

import msgspec

from kubetui.actions.execute import (
    CANCELLED,
    DELETED,
    FAILED,
    RESTARTED,
    Outcome,
    execute,
    outcome_of,
    progress_reporter,
)
from kubetui.actions.kill import engine_of_pod, plan_kill
from kubetui.actions.plans import (
    KyuubiCall,
    Plan,
    PlanRefused,
    Step,
    Target,
    plan_restart,
    without_userinfo,
)
from kubetui.model.batch_request import (
    PROXY_USER_KEY,
    BatchRequest,
    Rebuilt,
    conf_config_map,
    decode_driver_pod,
    rebuild_batch_request,
)
from kubetui.model.decode import decode_pod_page
from kubetui.model.engines import KYUUBI_TAG_LABEL, Engine
from kubetui.model.inert_text import inert, single_line
from kubetui.model.kyuubi_join import KyuubiData, KyuubiEngine
from kubetui.model.records import Pod
from kubetui.model.redaction import SECRET_PATTERN
from kubetui.paths import state_dir
from kubetui.sources.kube_client import KubeClient, KubeError
from kubetui.sources.kyuubi import KyuubiClient, KyuubiError

OPEN_SESSION: Final = "kyuubi-open-session"
CLOSE_SESSION: Final = "kyuubi-close-session"
SUBMIT_BATCH: Final = "kyuubi-submit-batch"
BATCH_ID_KEY: Final = "kyuubi.batch.id"
#: Batch states after which no driver will come (apache/kyuubi
#: ``kyuubi-rest-client/.../client/util/BatchUtils.java`` ``terminalBatchStates``).
_ENDED: Final = frozenset({"FINISHED", "ERROR", "CANCELED"})
#: Spark's replacement text (apache/spark master @ ba6e1ce1 ``core/.../util/Utils.scala``
#: REDACTION_REPLACEMENT_TEXT) for what its pattern (``model/redaction.py``) matches.
REDACTED: Final = "*********(redacted)"
_REDACTION_KEY: Final = "spark.redaction.regex"

Progress = Callable[[str], None]


class RelaunchPlan(Plan, frozen=True, kw_only=True):
    """A relaunch: an optional kill step, then the Kyuubi steps that bring a new engine."""

    kind: str  # "engine" or "batch"
    namespace: str
    #: The old driver's uid: the new one must differ.
    old_driver_uid: str | None = None
    #: Interactive engine: the POST /sessions configs.
    session_configs: dict[str, str] | None = None
    #: Batch: the request POST /batches sends.
    batch_request: BatchRequest | None = None


# ---------------------------------------------------------------------- submitted requests


class SubmittedRequests:
    """The BatchRequests kubetui submitted, by batch id (JSON lines in the state dir):
    the exact request beats one rebuilt from a pod."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or state_dir() / "submitted-batches.jsonl"

    def record(self, batch_id: str, request: BatchRequest) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = {"id": batch_id, "request": request.to_json(), "at": datetime.now(UTC).isoformat()}
        # The exact request, secrets included (it is resubmitted): readable by its owner only.
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            os.write(fd, (json.dumps(line, sort_keys=True) + "\n").encode())
        finally:
            os.close(fd)

    def get(self, batch_id: str) -> BatchRequest | None:
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except OSError:
            return None
        for line in reversed(lines):
            try:
                doc = json.loads(line)
                if doc.get("id") == batch_id:
                    return msgspec.convert(doc["request"], BatchRequest)
            except (ValueError, KeyError, msgspec.ValidationError):
                continue
        return None


# ---------------------------------------------------------------------- redaction


def _patterns(conf: Mapping[str, str]) -> list[re.Pattern[str]]:
    """Spark's default pattern, plus the conf's own ``spark.redaction.regex`` when Python
    reads it (Java regex syntax mostly is Python's); the default always applies."""
    patterns = [SECRET_PATTERN]
    own = conf.get(_REDACTION_KEY)
    if own:
        with contextlib.suppress(re.error):
            patterns.append(re.compile(own))
    return patterns


def _secret(text: str, patterns: Sequence[re.Pattern[str]]) -> bool:
    return any(p.search(text) for p in patterns)


def redact_conf(conf: Mapping[str, str]) -> dict[str, str]:
    """Spark's ``Utils.redact``: a value is replaced when the pattern is found in its key
    or in the value itself."""
    patterns = _patterns(conf)
    return {
        key: REDACTED if _secret(key, patterns) or _secret(value, patterns) else value
        for key, value in conf.items()
    }


def _redact_args(args: Sequence[str], patterns: Sequence[re.Pattern[str]]) -> list[str]:
    """Kyuubi's ``redactCommandLineArgs`` for ``k=v`` arguments; Spark's value rule for a
    plain argument; and the argument after a flag naming a secret (``--db-password x``)."""
    shown: list[str] = []
    previous = ""
    for arg in args:
        key, eq, _value = arg.partition("=")
        flag = arg.startswith("-")
        if eq and _secret(arg, patterns):
            shown.append(f"{key}={REDACTED}")
        elif (not flag and _secret(arg, patterns)) or (
            previous.startswith("-") and "=" not in previous and _secret(previous, patterns)
        ):
            shown.append(REDACTED)
        else:
            shown.append(without_userinfo(arg))
        previous = arg
    return shown


def shown_request(request: BatchRequest) -> dict:
    """The request as the plan shows it and the audit log records it: secrets redacted
    (the POST sends ``request`` itself, secrets included, so the new batch works)."""
    doc = request.to_json()
    patterns = _patterns(request.conf)
    doc["resource"] = without_userinfo(request.resource)
    if request.conf:
        doc["conf"] = redact_conf(request.conf)
    if request.args:
        doc["args"] = _redact_args(request.args, patterns)
    return doc


# ---------------------------------------------------------------------- planning


def plan_relaunch(
    pod: Pod,
    *,
    engines: Sequence[Engine],
    pods: Sequence[Pod],
    kyuubi_data: KyuubiData | None,
    kyuubi_available: bool,
    kyuubi_user: str | None,
    kube: KubeClient | None,
    now: datetime,
    submitted: SubmittedRequests | None = None,
) -> Plan:
    """The plan that brings ``pod``'s engine (or the pod) back; :class:`PlanRefused` with
    the reason when it cannot be done safely. ``kube`` reads the driver pod and its
    ConfigMap when a batch request must be rebuilt."""
    engine = engine_of_pod(pod.metadata.uid or "", engines)
    node = _node_of(engine, kyuubi_data) if engine is not None else None
    kyuubi_engine = engine is not None and (engine.kyuubi_tag or node is not None)
    if engine is None or not kyuubi_engine:
        return _plain(pod, now)
    assert engine is not None
    # Unknown parts read "-"/"?" as in the tables, never "None" (kill.py's label too).
    label = f"{engine.namespace or '-'}/{engine.name or engine.id or '?'}"
    if not kyuubi_available:
        raise PlanRefused(
            f"{label}: relaunching a Kyuubi engine needs Kyuubi, which is not connected"
        )
    kill = _kill_step(engine, pods, kyuubi_data, kyuubi_user)
    if node is not None:
        return _engine_plan(engine, node, kill, kyuubi_data, kyuubi_user, label)
    store = submitted or SubmittedRequests()
    tag = engine.kyuubi_tag or ""
    batches = kyuubi_data.batches if kyuubi_data is not None else ()
    if not any(b.id == tag for b in batches) and store.get(tag) is None:
        raise PlanRefused(
            f"{label}: Kyuubi has no batch {tag} and no registered engine with that refId "
            "(a stopped interactive engine deregisters itself: a new session in its space "
            "launches a new one)"
        )
    return _batch_plan(engine, kill, kube, store, label)


def _plain(pod: Pod, now: datetime) -> Plan:
    meta = pod.metadata
    if not any(r.controller for r in meta.owner_references):
        raise PlanRefused(
            f"{meta.namespace or '-'}/{meta.name or '?'} has no controller and is no Kyuubi "
            "batch or engine: "
            "nothing would recreate it"
        )
    return plan_restart(pod, now)


def _node_of(engine: Engine, data: KyuubiData | None) -> KyuubiEngine | None:
    if data is None:
        return None
    keys = {k for k in (engine.kyuubi_tag, engine.app_id) if k}
    return next((n for n in data.engines if n.ref_id in keys or n.app_id in keys), None)


def _kill_step(
    engine: Engine, pods: Sequence[Pod], data: KyuubiData | None, user: str | None
) -> tuple[Step | None, tuple[str, ...]]:
    """``plan_kill``'s step while the engine runs (two copies must never run)."""
    if engine.is_terminated:
        return None, ()
    plan = plan_kill(engine, pods, data, kyuubi_available=True, kyuubi_user=user)
    return plan.steps[0], plan.warnings


def _engine_plan(
    engine: Engine,
    node: KyuubiEngine,
    kill: tuple[Step | None, tuple[str, ...]],
    data: KyuubiData | None,
    kyuubi_user: str | None,
    label: str,
) -> RelaunchPlan:
    level = (node.share_level or "USER").upper()
    engine_type = (node.engine_type or "SPARK_SQL").upper()
    subdomain = node.subdomain or "default"
    warnings = list(kill[1])
    user = node.user
    if level == "GROUP":
        # the space is named by the group; a member must open the session
        user = next(
            (s.user for s in (data.sessions if data else ()) if s.engine_id == engine.app_id),
            None,
        )
        if user is None:
            raise PlanRefused(
                f"{label}: a GROUP engine ({node.user}) is relaunched by a member of the "
                "group, and no session of it names one"
            )
    if not user:
        raise PlanRefused(f"{label}: Kyuubi names no user for this engine")
    if level == "CONNECTION":
        warnings.append(
            "a CONNECTION engine lives as long as its session: closing the relaunch "
            "session ends the new engine too"
        )
    configs = {
        "kyuubi.engine.type": engine_type,
        "kyuubi.engine.share.level": level,
        "kyuubi.engine.share.level.subdomain": subdomain,
    }
    if user != kyuubi_user:
        configs[PROXY_USER_KEY] = user
    namespace = engine.namespace or ""
    session = Target(kind="KyuubiSession", namespace=namespace, name="(new session)", uid="")
    shown = ", ".join(f"{k}={v}" for k, v in configs.items())
    steps = [
        Step(
            action=OPEN_SESSION,
            target=session,
            reason=f"open a session ({shown}): with no engine in {node.namespace or 'the space'}"
            ", Kyuubi launches a fresh one; follow until its driver pod is Running",
            kyuubi=KyuubiCall(method="POST", path="/sessions"),
        ),
        Step(
            action=CLOSE_SESSION,
            target=session,
            reason="close the relaunch session once the new driver runs (or the wait ends)",
            kyuubi=KyuubiCall(method="DELETE", path="/sessions/{identifier}"),
        ),
    ]
    if kill[0] is not None:
        steps.insert(0, kill[0])
    return RelaunchPlan(
        title=f"Relaunch engine {label}: {level} {engine_type} {subdomain} as {user}",
        steps=tuple(steps),
        warnings=tuple(warnings),
        kind="engine",
        namespace=namespace,
        old_driver_uid=engine.driver.metadata.uid if engine.driver is not None else None,
        session_configs=configs,
    )


def _batch_plan(
    engine: Engine,
    kill: tuple[Step | None, tuple[str, ...]],
    kube: KubeClient | None,
    submitted: SubmittedRequests,
    label: str,
) -> RelaunchPlan:
    batch_id = engine.kyuubi_tag or ""
    warnings = list(kill[1])
    request = submitted.get(batch_id) if batch_id else None
    source = "the request kubetui submitted"
    if request is None:
        rebuilt = _rebuild(engine, kube)
        if rebuilt.request is None:
            raise PlanRefused(
                f"{label}: the batch request cannot be rebuilt: {'; '.join(rebuilt.missing)}"
            )
        request = rebuilt.request
        driver = engine.driver.metadata.name if engine.driver is not None else "?"
        source = f"the request rebuilt from {driver} and {rebuilt.config_map}"
        if rebuilt.dropped:
            warnings.append("left out of the rebuilt conf: " + "; ".join(rebuilt.dropped))
    conf = {k: v for k, v in request.conf.items() if k != BATCH_ID_KEY}
    request = msgspec.structs.replace(request, conf=conf)
    namespace = conf.get("spark.kubernetes.namespace") or engine.namespace or ""
    body = json.dumps(shown_request(request), sort_keys=True)
    step = Step(
        action=SUBMIT_BATCH,
        target=Target(kind="KyuubiBatch", namespace=namespace, name="(new batch)", uid=""),
        reason=f"submit {source} (old batch {batch_id}); follow until its driver is Running: "
        f"{body}",
        kyuubi=KyuubiCall(method="POST", path="/batches"),
    )
    steps = (step,) if kill[0] is None else (kill[0], step)
    return RelaunchPlan(
        title=f"Relaunch batch {label} (was {batch_id})",
        steps=steps,
        warnings=tuple(warnings),
        kind="batch",
        namespace=namespace,
        old_driver_uid=engine.driver.metadata.uid if engine.driver is not None else None,
        batch_request=request,
    )


def _rebuild(engine: Engine, kube: KubeClient | None) -> Rebuilt:
    """Read the driver pod (the records skip args, env and volumes) and its ConfigMap."""
    driver = engine.driver
    if driver is None:
        return Rebuilt(request=None, missing=("the driver pod is gone",))
    if kube is None:
        return Rebuilt(request=None, missing=("no cluster connection to read the driver pod",))
    base = f"/api/v1/namespaces/{driver.metadata.namespace}"
    try:
        pod = decode_driver_pod(kube.get(f"{base}/pods/{driver.metadata.name}"))
    except KubeError as exc:
        return Rebuilt(request=None, missing=(f"driver pod {driver.metadata.name}: {exc}",))
    if pod.metadata.uid != driver.metadata.uid:
        return Rebuilt(request=None, missing=(f"driver pod {driver.metadata.name} was replaced",))
    data = None
    name = conf_config_map(pod)
    if name is not None:
        try:
            cm = json.loads(kube.get(f"{base}/configmaps/{name}"))
            data = cm.get("data") or {}
        except KubeError as exc:
            if exc.status != 404:
                return Rebuilt(request=None, missing=(f"ConfigMap {name}: {exc}",))
    return rebuild_batch_request(pod, data)


# ---------------------------------------------------------------------- running


def run_relaunch(
    kube: KubeClient,
    kyuubi: KyuubiClient,
    plan: RelaunchPlan,
    *,
    on_progress: Progress | None = None,
    cancel: threading.Event | None = None,
    submitted: SubmittedRequests | None = None,
    timeout: float = 120.0,
    interval: float = 0.5,
) -> list[Outcome]:
    """Run a relaunch plan; one outcome per step. A failed kill stops it (two engines must
    not run); the relaunch session is always closed."""
    report = progress_reporter(on_progress)
    stop = cancel or threading.Event()
    outcomes: list[Outcome] = []
    steps = list(plan.steps)
    if steps and steps[0].action not in (OPEN_SESSION, SUBMIT_BATCH):
        kill = steps.pop(0)
        (outcome,) = execute(
            kube,
            Plan(title=plan.title, steps=(kill,)),
            kyuubi=kyuubi,
            on_progress=report,
            cancel=stop,
        )
        outcomes.append(outcome)
        if not outcome.ok:
            why = f"not run: the kill did not succeed ({outcome.status})"
            return outcomes + [_outcome(s, CANCELLED, why) for s in steps]
    if kyuubi.read_only or kube.read_only:
        return outcomes + [_outcome(s, FAILED, "read-only: refusing it") for s in steps]
    wait = _Wait(kube, plan, report, stop, timeout, interval)
    if plan.kind == "engine":
        return outcomes + _relaunch_engine(kyuubi, plan, steps, wait, report)
    return outcomes + _relaunch_batch(kyuubi, plan, steps, wait, report, submitted)


def _relaunch_engine(
    kyuubi: KyuubiClient, plan: RelaunchPlan, steps: list[Step], wait: _Wait, report: Progress
) -> list[Outcome]:
    open_step, close_step = steps
    if wait.stop.is_set():
        return [_outcome(s, CANCELLED, "not run: cancelled by the operator") for s in steps]
    try:
        handle = kyuubi.open_session(dict(plan.session_configs or {}))
    except KyuubiError as exc:
        return [
            _outcome(open_step, FAILED, f"Kyuubi failed: {exc}"),
            _outcome(close_step, CANCELLED, "not run: no session was opened"),
        ]
    report(f"session {handle} opened; waiting for the driver tagged {KYUUBI_TAG_LABEL}={handle}")
    status, detail = wait.driver(handle)
    opened = _outcome(open_step, status, f"session {handle}: {detail}")
    try:
        kyuubi.close_session(handle)
        report(f"session {handle} closed")
        closed = _outcome(close_step, DELETED, f"session {handle} closed")
    except KyuubiError as exc:
        closed = _outcome(close_step, FAILED, f"closing session {handle}: {exc}")
    return [opened, closed]


def _relaunch_batch(
    kyuubi: KyuubiClient,
    plan: RelaunchPlan,
    steps: list[Step],
    wait: _Wait,
    report: Progress,
    submitted: SubmittedRequests | None,
) -> list[Outcome]:
    (step,) = steps
    request = plan.batch_request
    if request is None or wait.stop.is_set():
        return [_outcome(step, CANCELLED, "not run: cancelled by the operator")]
    try:
        batch = kyuubi.submit_batch(request.to_json())
    except KyuubiError as exc:
        return [_outcome(step, FAILED, f"Kyuubi failed: {exc}")]
    batch_id = batch.id or ""
    (submitted or SubmittedRequests()).record(batch_id, request)
    report(f"batch {batch_id} submitted ({batch.state}); waiting for its driver")
    status, detail = wait.driver(batch_id, batch=lambda: kyuubi.get_batch(batch_id))
    return [_outcome(step, status, f"batch {batch_id}: {detail}")]


class _Wait:
    """Poll for the new driver (by its ``kyuubi-unique-tag``) until it is Running."""

    def __init__(
        self,
        kube: KubeClient,
        plan: RelaunchPlan,
        report: Progress,
        stop: threading.Event,
        timeout: float,
        interval: float,
    ) -> None:
        self.kube = kube
        self.plan = plan
        self.report = report
        self.stop = stop
        self.timeout = timeout
        self.interval = interval

    def driver(self, tag: str, batch: Callable[[], object] | None = None) -> tuple[str, str]:
        path = f"/api/v1/namespaces/{self.plan.namespace}/pods"
        selector = [("labelSelector", f"{KYUUBI_TAG_LABEL}={tag}")]
        deadline = time.monotonic() + self.timeout
        last = ""
        while True:
            try:
                pods = [
                    p
                    for p in decode_pod_page(self.kube.get(path, selector)).items
                    if p.metadata.uid != self.plan.old_driver_uid
                ]
                seen = _seen(pods)
            except KubeError as exc:
                pods, seen = [], f"listing pods: {exc}"
            if seen != last:
                self.report(seen)
                last = seen
            running = next((p for p in pods if p.status.phase == "Running"), None)
            if running is not None:
                meta = running.metadata
                return RESTARTED, f"new driver {meta.name} Running (uid {meta.uid})"
            ended = _batch_ended(batch)
            if ended:
                return FAILED, ended
            if time.monotonic() >= deadline:
                return FAILED, f"no Running driver after {self.timeout:g} s ({last})"
            if self.stop.wait(self.interval):
                return CANCELLED, f"waiting cancelled ({last})"


def _seen(pods: list[Pod]) -> str:
    if not pods:
        return "no driver pod yet"
    return "; ".join(f"driver {p.metadata.name}: {p.status.phase or '?'}" for p in pods)


def _batch_ended(batch: Callable[[], object] | None) -> str | None:
    """Kyuubi's word that the batch ended without a running driver (e.g. submit failed)."""
    if batch is None:
        return None
    try:
        info = batch()
    except KyuubiError:
        return None
    state = getattr(info, "state", None)
    if state in _ENDED:
        diag = getattr(info, "app_diagnostic", None)
        return f"Kyuubi says the batch is {state}" + (f": {diag[:200]}" if diag else "")
    return None


def _outcome(step: Step, status: str, detail: str) -> Outcome:
    """Relaunch details quote pods and Kyuubi verbatim: made one inert line first."""
    return outcome_of(step, status, single_line(inert(detail)))
