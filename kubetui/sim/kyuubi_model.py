"""The Kyuubi lookalike's data: batches (the metadata store), engines (ZooKeeper), sessions.

It behaves like one live Kyuubi 1.10 server on Kubernetes (apache/kyuubi @ cfbbeec4):
batch state follows the driver pod through Kyuubi's *own* mapping
(``kubetui.model.kyuubi_state.kyuubi_app_state``, pod phase only), so an OOM-killed driver
reads FAILED, never KILLED; batches owned by another (dead) instance keep their stale
metadata; a cancelled batch keeps its last ``appState`` (the pre-1.12 #7488 quirk); a
stopped engine deregisters, a killed one's ZooKeeper node lingers for the session timeout;
apps this server saw succeed have their driver pod deleted after the retain period
(``cleanupTerminatedDriverPod.kind=COMPLETED``), failed ones keep theirs, and apps that
ended before the server started are never cleaned (the #6319 zombies).

Pods are created through an ``EngineLauncher`` the scenario provides; killing goes straight
to the SimState (delete the driver pod found by ``kyuubi-unique-tag``), as Kyuubi does.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

import msgspec

from kubetui.model.kyuubi_state import (
    FAILED,
    FINISHED,
    KILLED,
    NOT_FOUND,
    PENDING,
    UNKNOWN,
    is_terminated,
    kyuubi_app_state,
)
from kubetui.model.records import Pod
from kubetui.sim.factory import KYUUBI_TAG_LABEL, driver_service_name
from kubetui.sim.factory.spark import (
    DRIVER_CONTAINER,
    PYTHON_RUNNER,
    driver_args,
    driver_conf_map,
    kyuubi_batch_properties,
)
from kubetui.sim.state import SimState

KYUUBI_VERSION = "1.10.1"
BATCH_STATES = ("PENDING", "RUNNING", "FINISHED", "ERROR", "CANCELED")
TERMINAL_BATCH_STATES = frozenset({"FINISHED", "ERROR", "CANCELED"})
#: ``kyuubi.kubernetes.terminatedApplicationRetainPeriod``
RETAIN_SECONDS = 300.0
#: ``kyuubi.engine.kubernetes.submit.timeout`` falling back to ``kyuubi.engine.submit.timeout``
SUBMIT_TIMEOUT_SECONDS = 30.0
#: ``kyuubi.ha.zookeeper.session.timeout`` (PT1M)
ZK_SESSION_SECONDS = 60.0
APP_ID_LABEL = "spark-app-selector"


def millis(at: datetime) -> int:
    return int(at.timestamp() * 1000)


@dataclass
class Batch:
    """One row of the ``metadata`` table plus what the owning server holds in memory."""

    id: str
    user: str
    batch_type: str
    name: str | None
    namespace: str
    kyuubi_instance: str
    create_time: int
    state: str = "PENDING"
    end_time: int = 0
    app_id: str | None = None
    app_name: str | None = None
    app_url: str | None = None
    app_state: str | None = None
    app_diagnostic: str | None = None
    app_start_time: int = 0
    resource: str = ""
    class_name: str | None = None
    conf: dict[str, str] = field(default_factory=dict)
    args: list[str] = field(default_factory=list)
    #: a batch session of this server (created since it started, not yet closed)
    in_memory: bool = False
    duplicated: bool = False


@dataclass
class EngineNode:
    """An engine's ZooKeeper registration."""

    user: str
    ref_id: str
    namespace: str
    app_id: str
    host: str
    subdomain: str = "default"
    engine_type: str = "SPARK_SQL"
    share_level: str = "USER"
    driver_memory: str = "4g"
    executor_memory: str = "8g"
    #: the engine's ZooKeeper session never expires (the node outlives a killed engine)
    stuck: bool = False


@dataclass
class Session:
    identifier: str
    user: str
    conf: dict[str, str]
    create_time: int
    ip: str
    engine_ref: str | None = None
    last_access: int = 0


class EngineLauncher(Protocol):
    """Creates engine pods for the model (implemented by the scenario)."""

    def launch_batch(self, state: SimState, batch: Batch) -> None: ...

    def launch_engine(self, state: SimState, user: str, ref_id: str, subdomain: str) -> None: ...


class KyuubiModel:
    """Thread-safe Kyuubi server state; every public method takes the SimState it reads."""

    def __init__(
        self,
        *,
        instance: str,
        context: str = "sim",
        namespace_of: Callable[[str], str] = lambda user: "default",
        launcher: EngineLauncher | None = None,
        started: datetime | None = None,
    ) -> None:
        self.instance = instance
        self.version = KYUUBI_VERSION
        self.context = context
        self.namespace_of = namespace_of
        self.launcher = launcher
        self.started = started
        self.lock = threading.RLock()
        self.batches: dict[str, Batch] = {}
        self.engines: list[EngineNode] = []
        self.sessions: dict[str, Session] = {}
        #: batch ids / engine refIds this server saw terminate, with the sim time (s)
        self._terminated_at: dict[str, tuple[str, float]] = {}
        #: (user, subdomain) → the session whose engine launch is under way
        self._launching: dict[tuple[str, str], str] = {}

    # ------------------------------------------------------------------ pods
    def _driver(self, state: SimState, namespace: str, tag: str) -> dict | None:
        """The driver pod carrying ``kyuubi-unique-tag=<tag>`` (labels read undecoded)."""
        for entry in state.entries("pods", namespace):
            if entry.labels.get(KYUUBI_TAG_LABEL) == tag:
                return entry.obj()
        return None

    def kubernetes_info(self, namespace: str) -> str:
        return f"KubernetesInfo(Some({self.context}),Some({namespace}))"

    def kill_by_tag(self, state: SimState, namespace: str, tag: str) -> tuple[bool, str]:
        """``KubernetesApplicationOperation.killApplicationByTag``."""
        info = self.kubernetes_info(namespace)
        label = f"label: {KYUUBI_TAG_LABEL}={tag}"
        pod = self._driver(state, namespace, tag)
        if pod is None:
            return False, f"[{info}] Operation of deleted pod with {label} is completed"
        app_state = _app_state(pod)
        if app_state in (NOT_FOUND, FAILED, UNKNOWN):
            return False, f"[{info}] Target application[{label}] is in {app_state} state"
        state.delete("pods", namespace, pod["metadata"]["name"])
        app_id = (pod["metadata"].get("labels") or {}).get(APP_ID_LABEL)
        return (
            True,
            f"[{info}] Operation of deleted application[appId: {app_id}, {label}] is completed",
        )

    # ------------------------------------------------------------------ sync
    def sync(self, state: SimState) -> None:
        """Follow the pods: batch app state (the 5 s poll), engine lifetimes, cleanup."""
        now = state.clock.now()
        with self.lock:
            for batch in self.batches.values():
                if batch.in_memory and batch.state not in TERMINAL_BATCH_STATES:
                    self._follow(state, batch, now)
            self._follow_engines(state, now)
            self._cleanup(state, now.timestamp())

    def _follow(self, state: SimState, batch: Batch, now: datetime) -> None:
        pod = self._driver(state, batch.namespace, batch.id)
        if pod is None:
            waited = now.timestamp() - batch.create_time / 1000
            if batch.app_id is not None or waited > SUBMIT_TIMEOUT_SECONDS:
                batch.app_state = NOT_FOUND
                self._end(batch, "ERROR", now)
            return
        labels = pod["metadata"].get("labels") or {}
        batch.app_id = labels.get(APP_ID_LABEL)
        batch.app_name = labels.get("spark-app-name", pod["metadata"]["name"])
        batch.app_url = f"http://{driver_service_name(pod)}.{batch.namespace}.svc:4040"
        if not batch.app_start_time:
            batch.app_start_time = millis(now)
        batch.app_state = _app_state(pod)
        if batch.app_id and batch.state == "PENDING":
            batch.state = "RUNNING"
        failed = batch.app_state in (FAILED, KILLED, NOT_FOUND)
        batch.app_diagnostic = _diagnostic(pod) if failed or batch.app_state == PENDING else None
        if is_terminated(batch.app_state):
            self._end(batch, "ERROR" if failed else "FINISHED", now)
            self._terminated_at[batch.id] = (batch.namespace, now.timestamp())

    @staticmethod
    def _end(batch: Batch, state: str, now: datetime) -> None:
        batch.state = state
        batch.end_time = millis(now)

    def _follow_engines(self, state: SimState, now: datetime) -> None:
        """A stopping engine deregisters itself; a killed one's ephemeral node lingers
        until its ZooKeeper session expires (``ZK_SESSION_SECONDS``)."""
        for engine in list(self.engines):
            pod = self._driver(state, engine.namespace, engine.ref_id)
            app_state = _app_state(pod) if pod is not None else NOT_FOUND
            if not is_terminated(app_state):
                continue
            first = self._terminated_at.setdefault(
                engine.ref_id, (engine.namespace, now.timestamp())
            )[1]
            expired = now.timestamp() - first >= ZK_SESSION_SECONDS and not engine.stuck
            if app_state == FINISHED or pod is None or expired:
                self.engines.remove(engine)

    def _cleanup(self, state: SimState, now: float) -> None:
        """The retain cache expires: with ``cleanupTerminatedDriverPod.kind=COMPLETED``
        only drivers of apps that did not fail are deleted; failed ones stay."""
        for tag, (namespace, ended) in list(self._terminated_at.items()):
            if now - ended < RETAIN_SECONDS:
                continue
            del self._terminated_at[tag]
            pod = self._driver(state, namespace, tag)
            if pod is not None and _app_state(pod) == FINISHED:
                state.delete("pods", namespace, pod["metadata"]["name"])

    def forget_terminated(self) -> None:
        """A server restart: the retain cache is gone, its pods are never cleaned."""
        with self.lock:
            self._terminated_at.clear()

    # ------------------------------------------------------------------ batches
    def list_batches(
        self,
        *,
        batch_type: str | None = None,
        batch_state: str | None = None,
        batch_user: str | None = None,
        batch_name: str | None = None,
        create_time: int = 0,
        end_time: int = 0,
        from_: int = 0,
        size: int = 100,
        desc: bool = False,
    ) -> list[Batch]:
        """``MetadataManager.getBatches``: ``key_id`` order, filters ANDed, one page."""
        with self.lock:
            rows = list(self.batches.values())
        if batch_type:
            rows = [b for b in rows if b.batch_type.upper() == batch_type.upper()]
        if batch_state:
            rows = [b for b in rows if b.state == batch_state.upper()]
        if batch_user:
            rows = [b for b in rows if b.user == batch_user]
        if batch_name:
            rows = [b for b in rows if b.name == batch_name]
        if create_time > 0:
            rows = sorted(
                (b for b in rows if b.create_time >= create_time), key=lambda b: b.create_time
            )
        if end_time > 0:
            rows = [b for b in rows if 0 < b.end_time <= end_time]
        if desc:
            rows.reverse()
        return rows[max(from_, 0) : max(from_, 0) + max(size, 0)]

    def get_batch(self, batch_id: str) -> Batch | None:
        with self.lock:
            return self.batches.get(batch_id)

    def submit_batch(self, state: SimState, user: str, request: dict, ip: str) -> Batch:
        """Record a PENDING batch and ask the launcher for its driver."""
        conf = dict(request.get("conf") or {})
        now = state.clock.now()
        batch_id = conf.get("kyuubi.batch.id")
        with self.lock:
            if batch_id and batch_id in self.batches:
                existing = self.batches[batch_id]
                existing.duplicated = True
                return existing
            if not batch_id:
                batch_id = state.new_uid()
            namespace = conf.get("spark.kubernetes.namespace") or self.namespace_of(user)
            conf.update(
                {
                    "kyuubi.batch.id": batch_id,
                    "kyuubi.batch.resource.uploaded": "false",
                    "kyuubi.client.ipAddress": ip,
                    "kyuubi.server.ipAddress": self.instance.split(":")[0],
                    "kyuubi.session.connection.url": self.instance,
                    "kyuubi.session.real.user": user,
                }
            )
            batch = Batch(
                id=batch_id,
                user=user,
                batch_type=str(request["batchType"]).upper(),
                name=request.get("name"),
                namespace=namespace,
                kyuubi_instance=self.instance,
                create_time=millis(now),
                resource=request["resource"],
                class_name=request.get("className"),
                conf=conf,
                args=list(request.get("args") or []),
                in_memory=True,
            )
            self.batches[batch_id] = batch
        return batch

    def start_batch(self, state: SimState, batch_id: str) -> None:
        """The submission's spark-submit runs: the launcher creates the driver (placing
        and running it), then the driver is made to carry this request as spark-submit
        writes it: its args and its ``spark.properties`` ConfigMap."""
        with self.lock:
            batch = self.batches.get(batch_id)
        if batch is not None and batch.state == "PENDING" and self.launcher is not None:
            self.launcher.launch_batch(state, batch)
            self._write_submission(state, batch)

    def _write_submission(self, state: SimState, batch: Batch) -> None:
        driver = self._driver(state, batch.namespace, batch.id)
        if driver is None:
            return
        python = batch.batch_type == "PYSPARK"
        main_class = PYTHON_RUNNER if python else batch.class_name or ""
        args = driver_args(main_class, batch.resource, batch.args, proxy_user=batch.user)

        def set_args(pod: dict) -> None:
            for c in pod["spec"]["containers"]:
                if c["name"] == DRIVER_CONTAINER:
                    c["args"] = args

        meta = driver["metadata"]
        driver = state.mutate("pods", meta["namespace"], meta["name"], set_args) or driver
        now = state.clock.now()
        props = kyuubi_batch_properties(
            driver,
            conf=batch.conf,
            name=batch.name,
            user=batch.user,
            batch_id=batch.id,
            resource=batch.resource,
            python=python,
            submitted=now,
        )
        state.create("configmaps", driver_conf_map(driver, props, now))

    def delete_batch(self, state: SimState, batch_id: str) -> tuple[bool, str]:
        """``DELETE /batches/{id}`` on this server (apache/kyuubi @ cfbbeec4
        ``kyuubi-server/.../server/api/v1/BatchesResource.scala``,
        ``kyuubi-server/.../operation/BatchJobSubmission.scala``)."""
        now = state.clock.now()
        with self.lock:
            batch = self.batches[batch_id]
            if batch.in_memory:
                batch.in_memory = False
                if batch.state in TERMINAL_BATCH_STATES:
                    return False, f"batch {batch_id} is already terminal so can not kill it."
                self._follow(state, batch, now)
                if batch.state in TERMINAL_BATCH_STATES:
                    return False, f"batch {batch_id} is already terminal so can not kill it."
                killed, msg = self.kill_by_tag(state, batch.namespace, batch_id)
                if killed:
                    # pre-1.12 (#7488): appState keeps its last value, e.g. RUNNING
                    self._end(batch, "CANCELED", now)
                elif batch.app_state == FINISHED:
                    self._end(batch, "FINISHED", now)
                elif batch.app_state == FAILED:
                    self._end(batch, "ERROR", now)
                elif batch.app_state in (UNKNOWN, NOT_FOUND, KILLED):
                    self._end(batch, "CANCELED", now)
                return killed, msg
            if batch.state in TERMINAL_BATCH_STATES:
                return False, f"The batch[{metadata_repr(batch)}] has been terminated."
            # owned by another instance: the redirect fails, then a local force kill
            killed, msg = self.kill_by_tag(state, batch.namespace, batch_id)
            if killed:
                return True, msg
            return False, (
                "org.apache.kyuubi.client.exception.KyuubiRestException: Api request failed "
                f"for http://{batch.kyuubi_instance}/api/v1/batches/{batch_id}: "
                f"Connect to {batch.kyuubi_instance} failed: Connection refused"
            )

    # ------------------------------------------------------------------ sessions, engines
    def open_session(
        self, state: SimState, user: str, configs: dict[str, str], ip: str
    ) -> tuple[Session, bool]:
        """Open a session; (session, whether an engine must be launched for it)."""
        now = millis(state.clock.now())
        subdomain = configs.get("kyuubi.engine.share.level.subdomain", "default").lower()
        with self.lock:
            session = Session(state.new_uid(), user, dict(configs), now, ip, last_access=now)
            engine = self.find_engine(user, subdomain=subdomain)
            # EngineRef takes the space's ZooKeeper lock to launch: one launch at a time
            launching = self._launching.get((user, subdomain))
            launch = engine is None and launching is None
            if launch:
                self._launching[user, subdomain] = session.identifier
            session.engine_ref = engine.ref_id if engine else (launching or session.identifier)
            self.sessions[session.identifier] = session
        return session, launch

    def start_engine(self, state: SimState, session_id: str) -> None:
        """The launch ``open_session`` asked for, unless its session closed meanwhile."""
        with self.lock:
            space = next((k for k, v in self._launching.items() if v == session_id), None)
            alive = session_id in self.sessions
        if space is None:
            return
        try:
            if self.launcher is not None and alive:
                self.launcher.launch_engine(state, space[0], session_id, space[1])
        finally:
            with self.lock:
                self._launching.pop(space, None)

    def register_engine(self, engine: EngineNode) -> None:
        with self.lock:
            self.engines.append(engine)

    def engine_by_ref(self, ref_id: str) -> EngineNode | None:
        return next((e for e in self.engines if e.ref_id == ref_id), None)

    def find_engine(
        self,
        user: str,
        *,
        subdomain: str = "default",
        engine_type: str = "SPARK_SQL",
        share_level: str = "USER",
    ) -> EngineNode | None:
        with self.lock:
            return next(
                (
                    e
                    for e in self.engines
                    if e.user == user
                    and e.subdomain == subdomain
                    and e.engine_type == engine_type
                    and e.share_level == share_level
                ),
                None,
            )

    def list_engines(
        self, user: str, engine_type: str, share_level: str, subdomain: str | None
    ) -> list[EngineNode]:
        with self.lock:
            return [
                e
                for e in self.engines
                if e.user == user
                and e.engine_type == engine_type
                and e.share_level == share_level
                and (not subdomain or e.subdomain == subdomain)
            ]

    def delete_engine(
        self,
        state: SimState,
        user: str,
        engine_type: str,
        share_level: str,
        subdomain: str | None,
        kill: bool,
    ) -> str:
        """``DELETE /admin/engine``: deregister (and with ``kill`` delete the driver)."""
        out = []
        for engine in self.list_engines(user, engine_type, share_level, subdomain or "default"):
            with self.lock:
                if engine in self.engines:
                    self.engines.remove(engine)
            out.append(
                f"Engine {engine_space(engine, self.version)} refId={engine.ref_id} "
                "is deleted successfully."
            )
            if kill:
                killed, msg = self.kill_by_tag(state, engine.namespace, engine.ref_id)
                info = (
                    f"ApplicationManagerInfo(Some(k8s://https://kubernetes.default.svc),"
                    f"{self.kubernetes_info(engine.namespace)})"
                )
                out.append(
                    f"\nKilled engine with {info}/{engine.ref_id}: ({str(killed).lower()},{msg})"
                )
        return "".join(out)

    def close_session(self, session_id: str) -> bool:
        with self.lock:
            return self.sessions.pop(session_id, None) is not None


def _app_state(pod: dict) -> str:
    return kyuubi_app_state(msgspec.convert(pod, Pod), "POD")


def _diagnostic(pod: dict) -> str:
    """``appDiagnostic``: Jackson's rendering of {"Pod", "PodStatus"} (POD state source)."""
    return json.dumps(
        {"Pod": pod["metadata"]["name"], "PodStatus": pod.get("status") or {}},
        sort_keys=True,
        separators=(",", ":"),
    )


def engine_space(engine: EngineNode, version: str) -> str:
    """The engine's ZooKeeper path (``AdminResource.calculateEngineSpace``)."""
    return (
        f"/kyuubi_{version}_{engine.share_level}_{engine.engine_type}/{engine.user}/"
        f"{engine.subdomain}"
    )


def app_mgr_info(context: str, namespace: str) -> str:
    """``kyuubi.engine.appMgrInfo``: base64 of ApplicationManagerInfo's JSON."""
    doc = {
        "resourceManager": "k8s://https://kubernetes.default.svc",
        "kubernetesInfo": {"context": context, "namespace": namespace},
    }
    return base64.b64encode(json.dumps(doc, separators=(",", ":")).encode()).decode()


def metadata_repr(batch: Batch) -> str:
    """Scala's case-class ``toString`` of the batch's ``Metadata`` row (positional)."""
    conf = ", ".join(f"{k} -> {v}" for k, v in batch.conf.items())
    args = ", ".join(batch.args)
    return (
        f"Metadata({batch.id},BATCH,{batch.user},{batch.user},"
        f"{batch.conf.get('kyuubi.client.ipAddress', '')},{batch.kyuubi_instance},"
        f"{batch.state},{batch.resource},{batch.class_name},{batch.name},Map({conf}),"
        f"List({args}),{batch.create_time},{batch.batch_type},"
        f"Some(k8s://https://kubernetes.default.svc),{batch.app_start_time},{batch.app_id},"
        f"{batch.app_name},{batch.app_url},{batch.app_state},None,{batch.end_time},10,false)"
    )
