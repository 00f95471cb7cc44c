"""Spark applications in the simulated cluster and the transitions of their pods.

One ``SparkApp`` is a driver pod plus executor pods, launched the way Kyuubi and Spark
launch them (driver first, executors owned by the driver). The transitions mirror what
a real cluster shows: a clean finish leaves the driver ``Succeeded`` and Spark deletes its
executors; an OOM kill leaves the driver ``Failed`` with ``OOMKilled``/137 and the
executors exit 1 once the driver is gone ("Driver … disassociated"), staying as Failed
pods until something deletes the driver (their owner).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import msgspec

from kubetui.model.oom_order import node_memory_capacity
from kubetui.model.qos import container_oom_score_adj
from kubetui.model.records import Node, Pod
from kubetui.sim import factory as f
from kubetui.sim.factory import Obj
from kubetui.sim.scenarios import logs
from kubetui.sim.scenarios.cluster import Cluster

_GIB = 1024**3
_MIB = 1024**2


@dataclass
class SparkApp:
    """What the scenario remembers about one Spark application."""

    ref_id: str
    app_id: str
    app_name: str
    namespace: str
    user: str
    kind: str  # "batch" or "engine"
    driver: str
    node: str
    created: datetime
    spark_version: str
    exec_heap_mib: int
    executors: dict[int, str] = field(default_factory=dict)
    next_exec: int = 1
    #: "running", "succeeded", "failed" (as the pods show it)
    status: str = "running"
    ends_at: datetime | None = None
    outcome: str = "succeed"
    finished_at: datetime | None = None


class SparkFleet:
    """Launches and moves Spark applications through a ``Cluster``."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.apps: dict[str, SparkApp] = {}

    # ------------------------------------------------------------------ launch
    def launch(
        self,
        *,
        namespace: str,
        user: str,
        kind: str,
        app_name: str | None = None,
        ref_id: str | None = None,
        executors: int = 2,
        created: datetime | None = None,
        node: str | None = None,
        executor_nodes: list[str] | None = None,
        heap_mib: int = 4096,
        exec_heap_mib: int = 8192,
        guaranteed: bool = False,
        spark_version: str = f.SPARK_VERSION,
        main_class: str | None = None,
        init_containers: list[Obj] | None = None,
        app_args: list[str] | None = None,
        schedulable: bool = True,
    ) -> SparkApp:
        """Create a running driver and ``executors`` running executors, with their events,
        logs and usage. ``kind="engine"`` names it like an interactive Kyuubi engine.
        ``schedulable=False`` leaves the driver Pending with a FailedScheduling event."""
        c = self.cluster
        rng = c.rng
        created = created or c.now
        ref_id = ref_id or f.new_uid(rng)
        app_name = app_name or f.kyuubi_engine_app_name(user, ref_id)
        app_id = f.spark_app_id(rng)
        if not schedulable:
            return self._unschedulable(
                namespace, user, kind, app_name, ref_id, app_id, created, heap_mib, spark_version
            )
        node = node or c.pick_node()
        extra: dict[str, object] = {}
        if kind == "batch":
            extra["main_class"] = main_class or "com.example.etl.Main"
            extra["resource"] = f"s3a://jobs/{app_name}/{app_name}-assembly.jar"
        elif main_class:
            extra["main_class"] = main_class
        driver = f.spark_driver_pod(
            rng,
            namespace=namespace,
            app_name=app_name,
            app_id=app_id,
            ref_id=ref_id,
            user=user,
            node=node,
            created=created,
            heap_mib=heap_mib,
            guaranteed=guaranteed,
            spark_version=spark_version,
            host_ip=c.host_ip(node),
            pod_ip=c.pod_ip(node),
            init_containers=init_containers,
            app_args=app_args,
            **extra,  # type: ignore[arg-type]
        )
        stored = c.create("pods", driver)
        c.started_events(stored, created)
        started = created + timedelta(seconds=4)
        c.state.set_logs(
            namespace,
            stored["metadata"]["name"],
            f.DRIVER_CONTAINER,
            logs.driver_startup(
                started,
                app_id=app_id,
                app_name=app_name,
                user=user,
                pod_ip=stored["status"]["podIP"],
                main_class=str(
                    extra.get("main_class", "org.apache.kyuubi.engine.spark.SparkSQLEngine")
                ),
                spark_version=spark_version,
            ),
        )
        self.set_usage(stored, 0.55)
        app = SparkApp(
            ref_id=ref_id,
            app_id=app_id,
            app_name=app_name,
            namespace=namespace,
            user=user,
            kind=kind,
            driver=stored["metadata"]["name"],
            node=node,
            created=created,
            spark_version=spark_version,
            exec_heap_mib=exec_heap_mib,
        )
        self.apps[ref_id] = app
        for i in range(executors):
            where = executor_nodes[i % len(executor_nodes)] if executor_nodes else None
            self.add_executor(app, node=where, at=created + timedelta(seconds=12))
        return app

    def _unschedulable(
        self,
        namespace: str,
        user: str,
        kind: str,
        app_name: str,
        ref_id: str,
        app_id: str,
        created: datetime,
        heap_mib: int,
        spark_version: str,
    ) -> SparkApp:
        c = self.cluster
        driver = f.spark_driver_pod(
            c.rng,
            namespace=namespace,
            app_name=app_name,
            app_id=app_id,
            ref_id=ref_id,
            user=user,
            node=None,
            created=created,
            heap_mib=heap_mib,
            spark_version=spark_version,
        )
        stored = c.create("pods", driver)
        nodes = len(c.state.list("nodes"))
        c.state.create(
            "events",
            f.scheduler_event(
                c.rng,
                stored,
                reason="FailedScheduling",
                event_type="Warning",
                at=c.now,
                message=(
                    f"0/{nodes} nodes are available: 1 node(s) had untolerated taint "
                    f"{{node.kubernetes.io/memory-pressure: }}, {nodes - 1} Insufficient memory. "
                    f"preemption: 0/{nodes} nodes are available: 1 Preemption is not helpful for "
                    f"scheduling, {nodes - 1} No preemption victims found for incoming pod."
                ),
            ),
        )
        app = SparkApp(
            ref_id=ref_id,
            app_id=app_id,
            app_name=app_name,
            namespace=namespace,
            user=user,
            kind=kind,
            driver=stored["metadata"]["name"],
            node="",
            created=created,
            spark_version=spark_version,
            exec_heap_mib=0,
            status="pending",
        )
        self.apps[ref_id] = app
        return app

    def add_executor(
        self,
        app: SparkApp,
        *,
        node: str | None = None,
        at: datetime | None = None,
        sidecars: list[Obj] | None = None,
    ) -> Obj:
        c = self.cluster
        driver = c.state.get("pods", app.namespace, app.driver)
        if driver is None:
            raise KeyError(f"driver {app.namespace}/{app.driver} is gone")
        node = node or c.pick_node()
        at = at or c.now
        exec_id = app.next_exec
        app.next_exec += 1
        pod = f.spark_executor_pod(
            c.rng,
            driver,
            exec_id,
            node=node,
            created=at,
            heap_mib=app.exec_heap_mib,
            host_ip=c.host_ip(node),
            pod_ip=c.pod_ip(node),
            sidecars=sidecars,
        )
        stored = c.create("pods", pod)
        app.executors[exec_id] = stored["metadata"]["name"]
        c.started_events(stored, at)
        svc = f.driver_service_name(driver)
        c.state.set_logs(
            app.namespace,
            stored["metadata"]["name"],
            f.EXECUTOR_CONTAINER,
            logs.executor_startup(
                at + timedelta(seconds=5),
                exec_id=exec_id,
                pod_name=stored["metadata"]["name"],
                pod_ip=stored["status"]["podIP"],
                app_id=app.app_id,
                driver_url=f"spark://CoarseGrainedScheduler@{svc}.{app.namespace}.svc:7078",
            ),
        )
        self.set_usage(stored, 0.7)
        return stored

    def set_usage(self, pod: Obj, share: float) -> None:
        """Report ``share`` of each container's memory limit (or request) as in use."""
        meta = pod["metadata"]
        for cont in pod["spec"]["containers"]:
            res = cont.get("resources") or {}
            mem = (res.get("limits") or res.get("requests") or {}).get("memory")
            mem_bytes = int(f.mib_of(mem) * _MIB * share) if mem else int(0.3 * _GIB)
            cpu = self.cluster.rng.randint(150, 1800)
            self.cluster.state.set_usage(
                meta["namespace"], meta["name"], cont["name"], cpu, mem_bytes
            )

    # ------------------------------------------------------------------ transitions
    def remove_executor(self, app: SparkApp, exec_id: int) -> None:
        """Dynamic allocation gives an idle executor back: Spark deletes the pod."""
        name = app.executors.pop(exec_id, None)
        if name is not None:
            self.cluster.remove_pod(app.namespace, name)

    def finish(self, app: SparkApp, at: datetime | None = None) -> None:
        """The app ends cleanly: driver Succeeded (exit 0), Spark deletes its executors."""
        c = self.cluster
        at = at or c.now
        for exec_id in list(app.executors):
            self.remove_executor(app, exec_id)

        c.mutate("pods", app.namespace, app.driver, _driver_exited("Completed", 0, at))
        for line in logs.driver_success_tail(at, app.app_id):
            c.state.append_log(app.namespace, app.driver, f.DRIVER_CONTAINER, line)
        app.status = "succeeded"
        app.finished_at = at

    def oom_kill(self, app: SparkApp, at: datetime | None = None) -> None:
        """The kernel OOM-kills the driver JVM: 137/OOMKilled, pod Failed (restartPolicy
        Never); the executors exit 1 a moment later and stay as Failed pods."""
        c = self.cluster
        at = at or c.now
        driver = c.mutate("pods", app.namespace, app.driver, _driver_exited("OOMKilled", 137, at))
        for line in logs.driver_oom_tail(at):
            c.state.append_log(app.namespace, app.driver, f.DRIVER_CONTAINER, line)
        if driver is not None:
            self.kernel_oom_event(driver, at)
            addr = f"{driver['status'].get('podIP', '10.244.0.1')}:7078"
            for name in app.executors.values():
                self.fail_executor(app.namespace, name, at + timedelta(seconds=2), addr)
        app.status = "failed"
        app.finished_at = at

    def fail_executor(self, namespace: str, name: str, at: datetime, driver_addr: str) -> None:
        def exited(pod: Obj) -> None:
            started = f.parse_ts(pod["metadata"]["creationTimestamp"]) + timedelta(seconds=5)
            f.set_exited(pod, f.EXECUTOR_CONTAINER, "Error", 1, started, at)

        if self.cluster.mutate("pods", namespace, name, exited) is not None:
            for line in logs.executor_orphaned_tail(at, driver_addr):
                self.cluster.state.append_log(namespace, name, f.EXECUTOR_CONTAINER, line)

    def kernel_oom_event(self, pod: Obj, at: datetime) -> None:
        """node-problem-detector's ``OOMKilling`` event on the node (kernel-monitor)."""
        node = pod["spec"].get("nodeName")
        obj = self.cluster.state.get("nodes", None, node) if node else None
        if obj is None:
            return
        mem = pod["spec"]["containers"][0]["resources"]["limits"]["memory"]
        rss_kb = f.mib_of(mem) * 1024
        pid = self.cluster.rng.randint(2000, 60000)
        self.cluster.event(
            obj,
            kind="Node",
            reason="OOMKilling",
            message=(
                f"Memory cgroup out of memory: Killed process {pid} (java) "
                f"total-vm:{rss_kb * 2 + 812344}kB, anon-rss:{rss_kb - 2048}kB, "
                f"file-rss:31244kB, shmem-rss:0kB, UID:185 pgtables:{rss_kb // 430}kB "
                f"oom_score_adj:{_oom_score_adj(pod, obj)}"
            ),
            event_type="Warning",
            component="kernel-monitor",
            host=node,
            at=at,
        )

    def cleanup(self, app: SparkApp) -> None:
        """Remove the driver now (Kyuubi's cleanup of a terminated app); executors follow."""
        self.cluster.remove_pod(app.namespace, app.driver)
        self.apps.pop(app.ref_id, None)


def _oom_score_adj(pod: Obj, node: Obj) -> int | None:
    """The kubelet's oom_score_adj of the pod's main container (for the event text)."""
    record = msgspec.convert(pod, Pod)
    capacity = node_memory_capacity(msgspec.convert(node, Node))
    return container_oom_score_adj(record, record.spec.containers[0], capacity).value


def _driver_exited(reason: str, exit_code: int, at: datetime) -> Callable[[Obj], None]:
    """The driver JVM exits at ``at``; its run started when the kubelet last started it."""

    def apply(pod: Obj) -> None:
        started = f.parse_ts(
            pod["status"]["containerStatuses"][0]["state"].get("running", {}).get("startedAt")
            or pod["metadata"]["creationTimestamp"]
        )
        f.set_exited(pod, f.DRIVER_CONTAINER, reason, exit_code, started, at)

    return apply
