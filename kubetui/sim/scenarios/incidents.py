"""The default demo cluster: every incident kubetui is built for, at once and moving.

A Kyuubi 1.10 server (StatefulSet ``kyuubi/kyuubi``, restarted ~2 h ago) runs Spark
engines for alice, bob, carol, dave and the ``etl-svc`` account. What an operator finds:

* OOM kills: bob's batch ``daily-report`` (Kyuubi: ERROR, appState FAILED: it reads the pod
  phase, never the container's OOMKilled); etl's ``hourly-sessionize`` owned by the dead
  instance ``kyuubi-1`` (Kyuubi still says RUNNING/RUNNING); alice's interactive engine
  (subdomain ``adhoc``) whose ZooKeeper node outlived it, so ``/admin/engine`` still lists it.
  Their executors exited 1 ("Driver … disassociated") and linger as Failed pods.
* Zombies of the restart (#6319): ``nightly-etl`` (FINISHED in Kyuubi, driver pod still
  there), carol's idle-stopped engine, dave's killed engine with its failed executors.
* A pod stuck Terminating behind the finalizer ``acme.io/shuffle-archive`` (3 h past its
  deletionTimestamp); an executor bound to ``ip-10-0-0-17``, a node that no longer exists.
* Crash loops: a log-shipper sidecar of a ``feature-build`` executor (exit 1), the Spark
  history server killed by its liveness probe (143); init failures: ``ml-train``'s driver
  (Init:Error) and ``kubero-ui`` (Init:CrashLoopBackOff).
* A hot reconcile loop: KuberoPipeline ``kubero/shop`` and Secret
  ``shop-production/registry-login`` rewritten every 5–8 s by ``kubero-operator``; their
  peers every 2–5 min.
* ``ip-10-0-0-13`` under memory pressure with a Guaranteed driver, Burstable executors, a
  node-critical kube-proxy and BestEffort pods; three Evicted pods; failed Job pods.
* RBAC: user ``viewer`` (bearer token ``viewer-token``) cannot read Secrets anywhere nor
  anything in namespace ``etl``.

``tick`` keeps it alive: batches are submitted through the Kyuubi model every few minutes,
run, scale executors, finish (Kyuubi cleans succeeded drivers after 5 min) or now and then
get OOM-killed (their pods are removed 30 min later, as a cleanup job would), while the
hot loop writes every 5–8 s of sim time.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from kubetui.sim import factory as f
from kubetui.sim.factory import Obj
from kubetui.sim.kyuubi_model import Batch, EngineNode, KyuubiModel, Session, millis
from kubetui.sim.scenarios import logs
from kubetui.sim.scenarios.base import Scenario
from kubetui.sim.scenarios.cluster import Cluster, node_name
from kubetui.sim.scenarios.fleet import SparkApp, SparkFleet
from kubetui.sim.scenarios.platform import (
    add_controller_pod,
    deployment_with_pods,
    kyuubi_server,
    registry_secret,
    sync_write,
    system_pods,
)
from kubetui.sim.state import SimState

VIEWER_TOKEN = "viewer-token"
NAMESPACE_OF_USER = {
    "alice": "spark-alice",
    "bob": "spark-bob",
    "carol": "spark-analytics",
    "dave": "spark-analytics",
    "etl-svc": "etl",
}
PRESSURE_NODE = node_name(3)
GONE_NODE = node_name(7)
HOT_PERIOD = (5.0, 8.0)
PEER_PERIOD = (120.0, 300.0)
#: the kubelet's maximum container restart back-off
_BACKOFF_CAP = 300.0
_MAX_CHURN_APPS = 6
_FAILED_APP_RETENTION = 1800.0
_CHURN_NAMES = ("sessionize", "dedupe-events", "score-leads", "export-parquet", "build-features")


@dataclass
class _CrashLoop:
    """A container the kubelet keeps restarting (every ``_BACKOFF_CAP`` once backed off)."""

    namespace: str
    pod: str
    container: str
    reason: str
    exit_code: int
    run_seconds: float
    restarts: int
    events: list[str] = field(default_factory=list)
    due: float = 0.0


@dataclass
class _Writer:
    """An object the operator rewrites periodically."""

    resource: str
    namespace: str
    name: str
    period: tuple[float, float]
    due: float = 0.0


class IncidentsScenario(Scenario):
    name = "incidents"
    tick_interval = 1.0

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.lock = threading.RLock()
        self.kyuubi = KyuubiModel(
            instance="10.244.1.2:10099",
            context="sim",
            namespace_of=lambda user: NAMESPACE_OF_USER.get(user, "default"),
            launcher=self,
        )
        self.cluster: Cluster | None = None
        self.fleet: SparkFleet | None = None
        self.writers: list[_Writer] = []
        self.crash_loops: list[_CrashLoop] = []
        self.churn: dict[str, SparkApp] = {}
        self._churn_batches: set[str] = set()
        self._due: dict[str, float] = {}

    # ------------------------------------------------------------------ populate
    def populate(self, state: SimState) -> None:
        with self.lock:
            rng = random.Random(self.seed)
            c = self.cluster = Cluster(state, rng)
            self.fleet = SparkFleet(c)
            now = state.clock.now()
            self._nodes(c, now)
            for ns in (
                "kube-system",
                "default",
                "kyuubi",
                "kubero",
                "monitoring",
                "etl",
                "spark-alice",
                "spark-bob",
                "spark-analytics",
                "shop-production",
                "blog-production",
                "docs-production",
                "api-production",
            ):
                c.create("namespaces", f.namespace(rng, ns, created=now - timedelta(days=90)))
            system_pods(c, now - timedelta(days=30))
            restart = now - timedelta(minutes=125)
            self._kyuubi(c, restart)
            self._spark_incidents(c, now, restart)
            self._platform_incidents(c, now)
            self._kubero(c, now)
            self._qos_mix(c, now)
            state.add_token(VIEWER_TOKEN, "viewer")
            state.deny("viewer", ["get", "list", "watch"], "secrets")
            state.deny("viewer", ["*"], "*", "etl")
            self._default_usage(c)
            self.kyuubi.sync(state)
            t = now.timestamp()
            self._due = {"launch": t + 60, "scale": t + 45, "logs": t + 15, "usage": t + 20}

    def _nodes(self, c: Cluster, now: datetime) -> None:
        for i in range(1, 7):
            c.add_node(
                i,
                created=now - timedelta(days=60 - i),
                memory_pressure=i == 3,
                zone=f"us-east-1{'abc'[i % 3]}",
            )
        c.add_node(7, created=now - timedelta(days=20), store=False)

    def _kyuubi(self, c: Cluster, restart: datetime) -> None:
        pod = kyuubi_server(c, node=node_name(1), created=restart, version=self.kyuubi.version)
        self.kyuubi.instance = f"{pod['status']['podIP']}:10099"
        self.kyuubi.started = restart
        c.state.set_logs(
            "kyuubi",
            "kyuubi-0",
            "kyuubi-server",
            logs.kyuubi_server(restart, self.kyuubi.instance, self.kyuubi.version),
        )
        c.state.set_usage("kyuubi", "kyuubi-0", "kyuubi-server", 420, 2900 * 1024**2)

    # ------------------------------------------------------------------ Spark incidents
    def _spark_incidents(self, c: Cluster, now: datetime, restart: datetime) -> None:
        fleet = self._fleet
        m = timedelta(minutes=1)
        #: kyuubi-0 before its restart, and kyuubi-1 (scaled away since)
        old_instance = "10.244.1.87:10099"
        dead_instance = "10.244.4.41:10099"
        spark_nodes = [node_name(2), node_name(4), node_name(5)]

        # history: batches that ran and were cleaned up long ago
        for days, user, name, state_, app_state in (
            (2, "etl-svc", "nightly-etl", "FINISHED", "FINISHED"),
            (2, "bob", "daily-report", "FINISHED", "FINISHED"),
            (1, "alice", "adhoc-report", "ERROR", "NOT_FOUND"),
            (1, "etl-svc", "nightly-etl", "FINISHED", "FINISHED"),
            (1, "bob", "daily-report", "FINISHED", "FINISHED"),
        ):
            created = now - timedelta(days=days, hours=3)
            self._record_batch(
                c,
                user,
                name,
                created,
                state_=state_,
                app_state=app_state,
                end=created + 42 * m,
                instance=old_instance,
            )

        # zombies of the restart: ended inside the retain window before the shutdown
        nightly = fleet.launch(
            namespace="etl",
            user="etl-svc",
            kind="batch",
            app_name="nightly-etl",
            created=restart - 95 * m,
            executors=3,
            executor_nodes=spark_nodes,
        )
        fleet.finish(nightly, restart - 3 * m)
        self._record_batch(
            c,
            "etl-svc",
            "nightly-etl",
            nightly.created,
            app=nightly,
            state_="FINISHED",
            app_state="FINISHED",
            end=restart - 3 * m,
            instance=old_instance,
        )
        self._stuck_terminating(c, nightly, restart - 3 * m)
        carol = fleet.launch(
            namespace="spark-analytics",
            user="carol",
            kind="engine",
            created=restart - 200 * m,
            executors=0,
        )
        fleet.finish(carol, restart - 4 * m)
        dave = fleet.launch(
            namespace="spark-analytics",
            user="dave",
            kind="engine",
            created=restart - 80 * m,
            executors=2,
            executor_nodes=spark_nodes,
        )
        self._sigterm_driver(c, dave, restart - 2 * m)

        # an OOM kill on the dead instance's batch: Kyuubi never hears about it
        stale = fleet.launch(
            namespace="etl",
            user="etl-svc",
            kind="batch",
            app_name="hourly-sessionize",
            created=restart - 30 * m,
            executors=2,
            executor_nodes=spark_nodes,
            heap_mib=8192,
        )
        fleet.oom_kill(stale, restart - 3 * m)
        self._record_batch(
            c,
            "etl-svc",
            "hourly-sessionize",
            stale.created,
            app=stale,
            state_="RUNNING",
            app_state="RUNNING",
            instance=dead_instance,
        )

        # a batch the user cancelled: pods gone, appState stuck at RUNNING (pre-#7488)
        cancelled = now - 70 * m
        self._record_batch(
            c,
            "etl-svc",
            "backfill-2024",
            cancelled - 20 * m,
            state_="CANCELED",
            app_state="RUNNING",
            end=cancelled,
            instance=self.kyuubi.instance,
            app_id=f.spark_app_id(c.rng),
        )

        # live batches of this server
        ml = fleet.launch(
            namespace="spark-bob",
            user="bob",
            kind="batch",
            app_name="ml-train",
            created=now - 50 * m,
            executors=0,
            init_containers=[_fetch_model()],
        )
        self._init_error(c, ml, now - 50 * m)
        self._live_batch(c, ml)
        oom = fleet.launch(
            namespace="spark-bob",
            user="bob",
            kind="batch",
            app_name="daily-report",
            created=now - 41 * m,
            executors=2,
            executor_nodes=spark_nodes,
            heap_mib=6144,
        )
        fleet.oom_kill(oom, now - 18 * m)
        self._live_batch(c, oom)
        build = fleet.launch(
            namespace="spark-bob",
            user="bob",
            kind="batch",
            app_name="feature-build",
            created=now - 25 * m,
            executors=2,
            executor_nodes=spark_nodes,
        )
        self._crash_looping_sidecar(c, build, now)
        self._live_batch(c, build)
        click = fleet.launch(
            namespace="etl",
            user="etl-svc",
            kind="batch",
            app_name="clickstream-agg",
            created=now - 33 * m,
            executors=1,
            executor_nodes=spark_nodes,
        )
        self._lost_node_executor(c, click, now - 33 * m)
        self._live_batch(c, click)
        load = fleet.launch(
            namespace="etl",
            user="etl-svc",
            kind="batch",
            app_name="warehouse-load",
            created=now - 15 * m,
            executors=3,
            node=PRESSURE_NODE,
            guaranteed=True,
            executor_nodes=[PRESSURE_NODE, node_name(4), node_name(5)],
        )
        self._live_batch(c, load)
        pending = fleet.launch(
            namespace="spark-alice",
            user="alice",
            kind="batch",
            app_name="adhoc-report",
            created=now - 6 * m,
            heap_mib=98304,
            schedulable=False,
        )
        self._live_batch(c, pending)

        # interactive engines: a healthy one and an OOM-killed one still registered
        ok = fleet.launch(
            namespace="spark-alice",
            user="alice",
            kind="engine",
            created=now - 95 * m,
            executors=2,
            executor_nodes=spark_nodes,
        )
        self._register(ok, "default")
        adhoc_ref = f.new_uid(c.rng)
        adhoc = fleet.launch(
            namespace="spark-alice",
            user="alice",
            kind="engine",
            ref_id=adhoc_ref,
            app_name=f.kyuubi_engine_app_name("alice", adhoc_ref, "adhoc"),
            created=now - 64 * m,
            executors=2,
            executor_nodes=spark_nodes,
        )
        fleet.oom_kill(adhoc, now - 40 * m)
        self._register(adhoc, "adhoc", stuck=True)
        for engine, age in ((ok, 30), (adhoc, 12)):
            session = self.kyuubi.sessions
            sid = f.new_uid(c.rng)
            opened = millis(now - age * m)
            sub = "adhoc" if engine is adhoc else "default"
            session[sid] = _session(sid, "alice", sub, opened, engine.ref_id)

    @property
    def _fleet(self) -> SparkFleet:
        assert self.fleet is not None
        return self.fleet

    def _record_batch(
        self,
        c: Cluster,
        user: str,
        name: str,
        created: datetime,
        *,
        state_: str,
        app_state: str,
        instance: str,
        end: datetime | None = None,
        app: SparkApp | None = None,
        app_id: str | None = None,
    ) -> Batch:
        """A metadata row written in the past (by this or another Kyuubi instance)."""
        batch_id = app.ref_id if app else f.new_uid(c.rng)
        namespace = NAMESPACE_OF_USER[user]
        batch = Batch(
            id=batch_id,
            user=user,
            batch_type="SPARK",
            name=name,
            namespace=namespace,
            kyuubi_instance=instance,
            create_time=millis(created),
            state=state_,
            end_time=millis(end) if end else 0,
            app_id=app.app_id if app else app_id,
            app_name=f.spark_app_name_label(name),
            app_state=app_state,
            app_start_time=millis(created + timedelta(seconds=9)),
            resource=f"s3a://jobs/{name}/{name}-assembly.jar",
            class_name="com.example.etl.Main",
            conf={"spark.kubernetes.namespace": namespace, "kyuubi.batch.id": batch_id},
        )
        if app_state == "NOT_FOUND":
            batch.app_id, batch.app_start_time = None, 0
        self.kyuubi.batches[batch_id] = batch
        return batch

    def _live_batch(self, c: Cluster, app: SparkApp) -> None:
        """A batch submitted to this server since its start; state follows the pods."""
        batch = Batch(
            id=app.ref_id,
            user=app.user,
            batch_type="SPARK",
            name=app.app_name,
            namespace=app.namespace,
            kyuubi_instance=self.kyuubi.instance,
            create_time=millis(app.created - timedelta(seconds=2)),
            resource=f"s3a://jobs/{app.app_name}/{app.app_name}-assembly.jar",
            class_name="com.example.etl.Main",
            conf={"spark.kubernetes.namespace": app.namespace, "kyuubi.batch.id": app.ref_id},
            in_memory=True,
        )
        self.kyuubi.batches[app.ref_id] = batch

    def _register(self, app: SparkApp, subdomain: str, stuck: bool = False) -> None:
        pod = self._fleet.cluster.state.get("pods", app.namespace, app.driver)
        ip = pod["status"].get("podIP", "10.244.0.1") if pod else "10.244.0.1"
        self.kyuubi.register_engine(
            EngineNode(
                user=app.user,
                ref_id=app.ref_id,
                namespace=app.namespace,
                app_id=app.app_id,
                host=f"{ip}:{40000 + int(app.ref_id[:3], 16) % 20000}",
                subdomain=subdomain,
                stuck=stuck,
            )
        )

    def _stuck_terminating(self, c: Cluster, app: SparkApp, at: datetime) -> None:
        """One executor of a finished app kept by a custom finalizer since ``at``."""
        driver = c.state.get("pods", app.namespace, app.driver)
        assert driver is not None
        node = node_name(5)
        app.next_exec += 1
        pod = f.spark_executor_pod(
            c.rng,
            driver,
            app.next_exec - 1,
            node=node,
            created=app.created + timedelta(seconds=12),
            host_ip=c.host_ip(node),
            pod_ip=c.pod_ip(node),
        )
        started = app.created + timedelta(seconds=17)
        f.set_exited(pod, f.EXECUTOR_CONTAINER, "Error", 143, started, at + timedelta(seconds=1))
        f.mark_deleting(pod, at, grace_seconds=0, finalizers=["acme.io/shuffle-archive"])
        pod["metadata"]["labels"]["spark-exec-inactive"] = "true"
        c.create("pods", pod)

    def _sigterm_driver(self, c: Cluster, app: SparkApp, at: datetime) -> None:
        """The engine was stopped from the Spark UI: driver 143, executors exit 1."""

        def stopped(pod: Obj) -> None:
            started = app.created + timedelta(seconds=4)
            f.set_exited(pod, f.DRIVER_CONTAINER, "Error", 143, started, at)

        driver = c.mutate("pods", app.namespace, app.driver, stopped)
        addr = f"{(driver or {}).get('status', {}).get('podIP', '10.244.0.1')}:7078"
        for name in app.executors.values():
            self._fleet.fail_executor(app.namespace, name, at + timedelta(seconds=3), addr)
        app.status, app.finished_at = "failed", at

    def _init_error(self, c: Cluster, app: SparkApp, created: datetime) -> None:
        """The driver's init container failed (exit 1) → pod Failed, kubectl ``Init:Error``."""
        failed_at = created + timedelta(seconds=9)

        def broken(pod: Obj) -> None:
            init_cid = f.current_container_id(pod, "fetch-model")
            f.set_container_state(
                pod,
                "fetch-model",
                f.terminated("Error", 1, created + timedelta(seconds=2), failed_at, init_cid),
            )
            status = f.set_not_started(pod, f.DRIVER_CONTAINER)
            status["image"] = pod["spec"]["containers"][0]["image"]
            f.set_phase(pod, "Failed", failed_at)

        c.mutate("pods", app.namespace, app.driver, broken)
        c.state.set_logs(
            app.namespace,
            app.driver,
            "fetch-model",
            logs.init_failure(failed_at, "s3://models/ml-train/latest.tar.gz"),
        )
        c.state.set_logs(app.namespace, app.driver, f.DRIVER_CONTAINER, [])
        app.status, app.finished_at = "failed", failed_at

    def _crash_looping_sidecar(self, c: Cluster, app: SparkApp, now: datetime) -> None:
        """A third executor whose native-sidecar log shipper exits 1 on every start."""
        sidecar = f.container(
            "log-shipper",
            "cr.fluentbit.io/fluent/fluent-bit:3.1.9",
            restart_policy="Always",
            resources=f.resources("50m", 64, memory_limit_mib=128),
            volume_mounts=[{"name": "spark-local-dir-1", "mountPath": "/var/data"}],
        )
        pod = self._fleet.add_executor(
            app, node=node_name(4), at=now - timedelta(minutes=24), sidecars=[sidecar]
        )
        name = pod["metadata"]["name"]
        last = now - timedelta(seconds=50)
        c.state.set_logs(
            app.namespace, name, "log-shipper", logs.sidecar_crash(last, 9), previous=True
        )
        self._crash_loop(
            c,
            _CrashLoop(app.namespace, name, "log-shipper", "Error", 1, run_seconds=2, restarts=9),
            last=last,
            backoff_count=47,
            since=now - timedelta(minutes=22),
        )

    def _crash_loop(
        self, c: Cluster, loop: _CrashLoop, *, last: datetime, backoff_count: int, since: datetime
    ) -> Obj:
        """Put a container into CrashLoopBackOff (its last run ended at ``last``), record the
        kubelet's BackOff event, and keep both going in ``tick``."""
        stored = c.mutate("pods", loop.namespace, loop.pod, self._restart(loop, last, c.rng))
        assert stored is not None
        c.state.set_logs(loop.namespace, loop.pod, loop.container, [])
        event = c.event(
            stored,
            reason="BackOff",
            event_type="Warning",
            host=stored["spec"]["nodeName"],
            container_name=loop.container,
            count=backoff_count,
            first=since,
            at=last,
            message=f"Back-off restarting failed container {loop.container} in pod "
            f"{f.pod_ref_text(stored)}",
        )
        loop.events.append(event["metadata"]["name"])
        loop.due = last.timestamp() + _BACKOFF_CAP + loop.run_seconds
        self.crash_loops.append(loop)
        return stored

    @staticmethod
    def _restart(loop: _CrashLoop, last: datetime, rng: random.Random) -> Callable[[Obj], None]:
        def apply(pod: Obj) -> None:
            f.crash_loop(
                rng,
                pod,
                loop.container,
                restarts=loop.restarts,
                last_reason=loop.reason,
                last_exit_code=loop.exit_code,
                last_started=last - timedelta(seconds=loop.run_seconds),
                last_finished=last,
                backoff_seconds=_BACKOFF_CAP,
            )
            f.refresh_conditions(pod, last)
            f.touch_manager(pod, "kubelet", last, subresource="status")

        return apply

    def _keep_crash_loops(self, t: float, now: datetime, rng: random.Random) -> None:
        """Every back-off period the container runs, fails again, and BackOff counts up."""
        c = self._fleet.cluster
        for loop in self.crash_loops:
            if t < loop.due:
                continue
            loop.restarts += 1
            loop.due = t + _BACKOFF_CAP + loop.run_seconds
            c.mutate("pods", loop.namespace, loop.pod, self._restart(loop, now, rng))
            for name in loop.events:
                c.mutate("events", loop.namespace, name, _bump(now))

    def _lost_node_executor(self, c: Cluster, app: SparkApp, created: datetime) -> None:
        """An executor still bound to a node that has been deleted from the cluster."""
        pod = self._fleet.add_executor(app, node=GONE_NODE, at=created + timedelta(seconds=12))
        lost = c.now - timedelta(minutes=21)

        def stale(p: Obj) -> None:
            for cond in p["status"]["conditions"]:
                if cond["type"] == "Ready":
                    cond.update({"status": "False", "lastTransitionTime": f.ts(lost)})
            f.touch_manager(p, f.CONTROLLER_MANAGER, lost)

        stored = c.mutate("pods", app.namespace, pod["metadata"]["name"], stale)
        assert stored is not None
        c.event(
            stored,
            reason="NodeNotReady",
            message="Node is not ready",
            event_type="Warning",
            component="node-controller",
            at=lost,
        )

    # ------------------------------------------------------------------ platform incidents
    def _platform_incidents(self, c: Cluster, now: datetime) -> None:
        m = timedelta(minutes=1)
        history = f.app_container(
            "spark-history-server",
            f.spark_image(f.SPARK_VERSION),
            port=18080,
            cpu="500m",
            memory_mib=2048,
            probe_path="/",
            args=["/opt/spark/sbin/start-history-server.sh"],
        )
        _, (pod,) = deployment_with_pods(
            c,
            name="spark-history-server",
            namespace="kyuubi",
            created=now - timedelta(days=40),
            containers=[history],
            nodes=[node_name(1)],
            ready=0,
            pod_created=now - timedelta(hours=3),
        )
        last = now - 2 * m
        name = pod["metadata"]["name"]
        c.state.set_logs(
            "kyuubi", name, "spark-history-server", logs.history_server_sigterm(last), previous=True
        )
        loop = _CrashLoop("kyuubi", name, "spark-history-server", "Error", 143, 95, 7)
        stored = self._crash_loop(c, loop, last=last, backoff_count=38, since=now - 50 * m)
        for reason, kind, count, message in (
            (
                "Unhealthy",
                "Warning",
                21,
                f'Liveness probe failed: Get "http://{stored["status"]["podIP"]}:18080/": '
                "context deadline exceeded (Client.Timeout exceeded while awaiting headers)",
            ),
            (
                "Killing",
                "Normal",
                7,
                "Container spark-history-server failed liveness probe, will be restarted",
            ),
        ):
            event = c.event(
                stored,
                reason=reason,
                message=message,
                event_type=kind,
                host=stored["spec"]["nodeName"],
                container_name="spark-history-server",
                count=count,
                first=now - 50 * m,
                at=last,
            )
            loop.events.append(event["metadata"]["name"])
        self._evicted(c, now)
        self._jobs(c, now)

    def _evicted(self, c: Cluster, now: datetime) -> None:
        exporter = f.app_container(
            "exporter",
            "quay.io/prometheus/node-exporter:v1.8.2",
            port=9100,
            cpu="100m",
            memory_mib=256,
        )
        rs, _ = deployment_with_pods(
            c,
            name="metrics-exporter",
            namespace="monitoring",
            created=now - timedelta(days=12),
            containers=[exporter],
            nodes=[node_name(6)],
            pod_created=now - timedelta(days=2),
        )
        for i in range(3):
            at = now - timedelta(days=5 - i, hours=i * 3)
            pod = add_controller_pod(c, rs, PRESSURE_NODE, at - timedelta(days=1))
            message = (
                "The node was low on resource: memory. Threshold quantity: 100Mi, available: "
                f"{91236 - i * 812}Ki. Container exporter was using {2861032 + i * 40960}Ki, "
                "request is 256Mi, has larger consumption of memory. "
            )

            def evict(p: Obj, at: datetime = at, message: str = message) -> None:
                cid = f.current_container_id(p, "exporter")
                f.set_container_state(
                    p,
                    "exporter",
                    f.terminated(
                        "ContainerStatusUnknown",
                        137,
                        at - timedelta(days=1),
                        at,
                        cid,
                        message="The container could not be located when the pod was terminated",
                    ),
                )
                f.set_phase(p, "Failed", at, reason="Evicted", message=message)
                p["status"]["conditions"].insert(
                    0,
                    {
                        "type": "DisruptionTarget",
                        "status": "True",
                        "lastProbeTime": None,
                        "lastTransitionTime": f.ts(at),
                        "reason": "TerminationByKubelet",
                        "message": message.strip(),
                    },
                )

            c.mutate("pods", "monitoring", pod["metadata"]["name"], evict)

    def _jobs(self, c: Cluster, now: datetime) -> None:
        repair = f.container(
            "repair",
            "docker.io/example/hive-tools:2.3.9",
            args=["msck", "repair", "table", "events.clicks"],
            resources=f.resources("500m", 1024, memory_limit_mib=1024),
        )
        created = now - timedelta(hours=5)
        job = _cron_job(
            c,
            "partition-repair",
            "partition-repair-29063220",
            created,
            repair,
            succeeded=False,
            finished=created + timedelta(minutes=6),
        )
        for i in range(3):
            at = created + timedelta(minutes=2 * i)
            pod = _job_pod(
                c,
                job,
                node_name(2 + i),
                at,
                reason="Error",
                exit_code=2,
                started=at + timedelta(seconds=3),
                finished=at + timedelta(seconds=40),
            )
            c.state.set_logs(
                "etl",
                pod["metadata"]["name"],
                "repair",
                [
                    "Connecting to jdbc:hive2://hive-server.etl.svc:10000/default",
                    "Error: Error while compiling statement: FAILED: SemanticException "
                    "[Error 10001]: Table not found events.clicks (state=42S02,code=10001)",
                ],
            )
        compact = f.container(
            "compact",
            "docker.io/example/hdfs-tools:3.3.6",
            args=["compact", "--older-than", "7d"],
            resources=f.resources("1", 2048, memory_limit_mib=2048),
        )
        created = now - timedelta(minutes=40)
        done = created + timedelta(minutes=9)
        job = _cron_job(
            c,
            "hdfs-compaction",
            "hdfs-compaction-29063420",
            created,
            compact,
            succeeded=True,
            finished=done,
        )
        _job_pod(
            c,
            job,
            node_name(6),
            created,
            reason="Completed",
            exit_code=0,
            started=created + timedelta(seconds=4),
            finished=done,
        )

    def _kubero(self, c: Cluster, now: datetime) -> None:
        rng = c.rng
        m = timedelta(minutes=1)
        operator = f.app_container(
            "manager",
            "ghcr.io/kubero-dev/kubero-operator:v0.1.9",
            port=8081,
            cpu="100m",
            memory_mib=256,
            probe_path="/healthz",
            args=["--leader-elect", "--health-probe-bind-address=:8081"],
        )
        for pod in deployment_with_pods(
            c,
            name="kubero-operator",
            namespace="kubero",
            created=now - timedelta(days=20),
            containers=[operator],
            nodes=[node_name(6)],
        )[1]:
            c.state.set_usage("kubero", pod["metadata"]["name"], "manager", 1850, 310 * 1024**2)
        ui = f.app_container(
            "kubero",
            "ghcr.io/kubero-dev/kubero:v2.4.6",
            port=2000,
            cpu="200m",
            memory_mib=512,
            probe_path="/api/health",
        )
        wait = f.container(
            "wait-for-redis",
            "docker.io/library/busybox:1.36",
            command=[
                "sh",
                "-c",
                "until nc -z kubero-redis 6379; do sleep 2; done; test -f /config/ready",
            ],
            resources=f.resources("10m", 16, memory_limit_mib=32),
        )
        _, (ui_pod,) = deployment_with_pods(
            c,
            name="kubero-ui",
            namespace="kubero",
            created=now - timedelta(days=20),
            containers=[ui],
            init_containers=[wait],
            nodes=[node_name(6)],
            ready=0,
            pod_created=now - timedelta(minutes=48),
        )
        last = now - timedelta(minutes=3)

        def not_started(p: Obj) -> None:
            f.set_not_started(p, "kubero")
            f.set_phase(p, "Pending", last)

        name = ui_pod["metadata"]["name"]
        c.mutate("pods", "kubero", name, not_started)
        c.state.set_logs(
            "kubero", name, "wait-for-redis", ["nc: bad address 'kubero-redis'"] * 15, previous=True
        )
        loop = _CrashLoop("kubero", name, "wait-for-redis", "Error", 1, run_seconds=31, restarts=12)
        self._crash_loop(c, loop, last=last, backoff_count=201, since=now - 47 * m)
        for i, app in enumerate(("shop", "blog", "docs", "api")):
            created = now - timedelta(days=15 - i)
            c.create(
                "kuberopipelines",
                f.kubero_pipeline(
                    rng,
                    name=app,
                    namespace="kubero",
                    created=created,
                    domain=f"{app}.example.com",
                    repository=f"git@github.com:acme/{app}.git",
                ),
            )
            registry_secret(c, f"{app}-production", created, now - timedelta(minutes=i + 1))
            period = HOT_PERIOD if app == "shop" else PEER_PERIOD
            due = now.timestamp() + rng.uniform(*period)
            self.writers.append(_Writer("kuberopipelines", "kubero", app, period, due))
            self.writers.append(
                _Writer(
                    "secrets",
                    f"{app}-production",
                    "registry-login",
                    period,
                    due + rng.uniform(0.5, 2.0),
                )
            )

    def _qos_mix(self, c: Cluster, now: datetime) -> None:
        """BestEffort pods on the memory-pressure node, heavy users of memory."""
        shell = f.container(
            "netshoot", "docker.io/nicolaka/netshoot:v0.13", command=["sleep", "infinity"]
        )
        debug = f.pod(
            c.rng,
            name="netshoot-debug",
            namespace="default",
            created=now - timedelta(hours=7),
            containers=[shell],
            node=PRESSURE_NODE,
            manager="kubectl-run",
            labels={"run": "netshoot-debug"},
            host_ip=c.host_ip(PRESSURE_NODE),
            pod_ip=c.pod_ip(PRESSURE_NODE),
        )
        c.create("pods", debug)
        c.state.set_usage("default", "netshoot-debug", "netshoot", 3, 3400 * 1024**2)
        scraper = f.app_container(
            "scraper",
            "docker.io/example/log-scraper:1.4.0",
            port=8080,
            qos="BestEffort",
            probe_path=None,
        )
        for pod in deployment_with_pods(
            c,
            name="log-scraper",
            namespace="monitoring",
            created=now - timedelta(days=3),
            containers=[scraper],
            nodes=[PRESSURE_NODE],
        )[1]:
            c.state.set_usage("monitoring", pod["metadata"]["name"], "scraper", 240, 1150 * 1024**2)
        node = c.state.get("nodes", None, PRESSURE_NODE)
        assert node is not None
        since = now - timedelta(minutes=7)
        c.event(
            node,
            kind="Node",
            reason="NodeHasInsufficientMemory",
            host=PRESSURE_NODE,
            message=f"Node {PRESSURE_NODE} status is now: NodeHasInsufficientMemory",
            at=since,
        )
        c.event(
            node,
            kind="Node",
            reason="EvictionThresholdMet",
            event_type="Warning",
            host=PRESSURE_NODE,
            message="Attempting to reclaim memory",
            at=since,
            count=4,
        )
        for pod in c.state.list("pods"):
            if (
                pod["spec"].get("nodeName") == PRESSURE_NODE
                and pod["metadata"]["labels"].get("spark-role") == "executor"
            ):
                self._fleet.set_usage(pod, 0.96)

    def _default_usage(self, c: Cluster) -> None:
        """Metrics for every running container that has none yet."""
        known = c.state.usage()
        for pod in c.state.list("pods"):
            meta = pod["metadata"]
            for cs in pod["status"].get("containerStatuses", []):
                key = (meta["namespace"], meta["name"], cs["name"])
                if "running" in cs["state"] and key not in known:
                    c.state.set_usage(*key, c.rng.randint(5, 400), c.rng.randint(40, 900) * 1024**2)

    # ------------------------------------------------------------------ launcher
    def launch_batch(self, state: SimState, batch: Batch) -> None:
        """Kyuubi's spark-submit for a REST-submitted batch: driver and two executors."""
        with self.lock:
            app = self._fleet.launch(
                namespace=batch.namespace,
                user=batch.user,
                kind="batch",
                app_name=batch.name or "spark-batch",
                ref_id=batch.id,
                executors=2,
            )
            rng = self._fleet.cluster.rng
            app.ends_at = state.clock.now() + timedelta(minutes=rng.uniform(4, 12))
            self.churn[app.ref_id] = app

    def launch_engine(self, state: SimState, user: str, ref_id: str, subdomain: str) -> None:
        """An interactive engine for a new session; registers once its driver runs."""
        with self.lock:
            namespace = NAMESPACE_OF_USER.get(user, "default")
            app = self._fleet.launch(
                namespace=namespace,
                user=user,
                kind="engine",
                ref_id=ref_id,
                app_name=f.kyuubi_engine_app_name(user, ref_id, subdomain),
                executors=2,
            )
            self._register(app, subdomain)

    # ------------------------------------------------------------------ tick
    def tick(self, state: SimState, rng: random.Random) -> None:
        with self.lock:
            if self.cluster is None:
                return
            self.cluster.rng = rng
            now = state.clock.now()
            t = now.timestamp()
            self._reconcile_writes(t, now, rng)
            self._keep_crash_loops(t, now, rng)
            if t >= self._due["launch"]:
                self._due["launch"] = t + rng.uniform(90, 240)
                self._submit_churn_batch(state, rng)
            for app in list(self.churn.values()):
                self._advance(app, now, rng)
            if t >= self._due["scale"]:
                self._due["scale"] = t + rng.uniform(30, 60)
                self._scale(rng)
            if t >= self._due["logs"]:
                self._due["logs"] = t + 15
                self._progress_logs(now, rng)
            if t >= self._due["usage"]:
                self._due["usage"] = t + 20
                self._usage_walk(state, rng)
            self.kyuubi.sync(state)
            self._trim_history(t)

    def _reconcile_writes(self, t: float, now: datetime, rng: random.Random) -> None:
        for w in self.writers:
            if t >= w.due:
                self._fleet.cluster.mutate(
                    w.resource, w.namespace, w.name, lambda o: sync_write(o, now)
                )
                w.due = t + rng.uniform(*w.period)

    def _submit_churn_batch(self, state: SimState, rng: random.Random) -> None:
        running = [a for a in self.churn.values() if a.status == "running"]
        if len(running) >= _MAX_CHURN_APPS:
            return
        user = rng.choice(sorted(NAMESPACE_OF_USER))
        name = rng.choice(_CHURN_NAMES)
        request = {
            "batchType": "SPARK",
            "resource": f"s3a://jobs/{name}/{name}.jar",
            "className": "com.example.etl.Main",
            "name": name,
        }
        batch = self.kyuubi.submit_batch(state, user, request, "10.0.0.5")
        self._churn_batches.add(batch.id)
        self.launch_batch(state, batch)
        app = self.churn[batch.id]
        app.outcome = "oom" if rng.random() < 0.2 else "succeed"

    def _advance(self, app: SparkApp, now: datetime, rng: random.Random) -> None:
        fleet = self._fleet
        pod = fleet.cluster.state.get("pods", app.namespace, app.driver)
        if pod is None:  # killed through Kyuubi or cleaned up
            self.churn.pop(app.ref_id, None)
            fleet.apps.pop(app.ref_id, None)
            return
        if app.status == "running" and app.ends_at and now >= app.ends_at:
            if app.outcome == "oom":
                fleet.oom_kill(app, now)
            else:
                fleet.finish(app, now)
        elif (
            app.status == "failed"
            and app.finished_at
            and ((now - app.finished_at).total_seconds() >= _FAILED_APP_RETENTION)
        ):
            fleet.cleanup(app)
            self.churn.pop(app.ref_id, None)

    def _scale(self, rng: random.Random) -> None:
        running = [a for a in self.churn.values() if a.status == "running"]
        if not running:
            return
        app = rng.choice(running)
        if len(app.executors) < 4 and (len(app.executors) <= 1 or rng.random() < 0.5):
            self._fleet.add_executor(app)
        else:
            self._fleet.remove_executor(app, max(app.executors))

    def _progress_logs(self, now: datetime, rng: random.Random) -> None:
        for app in self.churn.values():
            if app.status == "running":
                line = logs.driver_progress(now, rng.randint(1, 40), rng.randint(20, 400))
                self._fleet.cluster.state.append_log(
                    app.namespace, app.driver, f.DRIVER_CONTAINER, line
                )

    def _usage_walk(self, state: SimState, rng: random.Random) -> None:
        for app in self.churn.values():
            if app.status != "running":
                continue
            for name in (app.driver, *app.executors.values()):
                pod = state.get("pods", app.namespace, name)
                if pod is not None:
                    self._fleet.set_usage(pod, rng.uniform(0.4, 0.9))

    def _trim_history(self, t: float) -> None:
        """Drop metadata rows of churn batches that ended over three hours ago."""
        horizon = (t - 3 * 3600) * 1000
        with self.kyuubi.lock:
            for batch_id in sorted(self._churn_batches):
                batch = self.kyuubi.batches.get(batch_id)
                if batch is None or 0 < batch.end_time < horizon:
                    self.kyuubi.batches.pop(batch_id, None)
                    self._churn_batches.discard(batch_id)


def _cron_job(
    c: Cluster,
    cron: str,
    name: str,
    created: datetime,
    container: Obj,
    succeeded: bool,
    finished: datetime,
) -> Obj:
    """A stored Job in ``etl`` started by the CronJob ``cron`` (which is not stored)."""
    owner = {"metadata": {"name": cron, "uid": f.new_uid(c.rng)}}
    job = f.job(
        c.rng,
        name=name,
        namespace="etl",
        created=created,
        containers=[container],
        succeeded=succeeded,
        owner=owner,
        finished=finished,
    )
    c.create("jobs", job)
    return job


def _job_pod(
    c: Cluster,
    job: Obj,
    node: str,
    created: datetime,
    *,
    reason: str,
    exit_code: int,
    started: datetime,
    finished: datetime,
) -> Obj:
    """A stored pod of ``job`` on ``node`` whose one container ran and exited."""
    pod = f.controller_pod(
        c.rng, job, created=created, node=node, host_ip=c.host_ip(node), pod_ip=c.pod_ip(node)
    )
    container = pod["spec"]["containers"][0]["name"]
    f.set_exited(pod, container, reason, exit_code, started, finished)
    c.create("pods", pod)
    return pod


def _bump(now: datetime) -> Callable[[Obj], None]:
    """The event recorder's aggregation: same event again → count + 1, new lastTimestamp."""

    def apply(event: Obj) -> None:
        event["count"] = int(event.get("count") or 1) + 1
        event["lastTimestamp"] = f.ts(now)
        f.touch_manager(event, event.get("reportingComponent") or "kubelet", now)

    return apply


def _fetch_model() -> Obj:
    return f.container(
        "fetch-model",
        "docker.io/amazon/aws-cli:2.17.50",
        command=["aws", "s3", "cp", "s3://models/ml-train/latest.tar.gz", "/models/"],
        resources=f.resources("100m", 128, memory_limit_mib=256),
        volume_mounts=[{"name": "spark-local-dir-1", "mountPath": "/models"}],
    )


def _session(sid: str, user: str, subdomain: str, opened: int, ref: str) -> Session:
    return Session(
        identifier=sid,
        user=user,
        ip="10.0.12.7",
        create_time=opened,
        last_access=opened,
        engine_ref=ref,
        conf={"kyuubi.engine.share.level.subdomain": subdomain, "kyuubi.engine.type": "SPARK_SQL"},
    )
