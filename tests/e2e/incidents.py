"""The incidents the demo shows, created for real through the API of a real control plane.

What a kubelet would report is either driven by kwok's own stages (pods on kwok nodes
go Running; the chaos stage terminates a driver OOMKilled 137 from the pod's
annotations, as a kernel OOM kill reads on a real node) or, where a test needs a past
that cannot be waited for (an engine that ended two hours ago, a crash loop at its 7th
restart), written through the ``status`` subresource as a kubelet writes it, on pods
labelled FROZEN so kwok leaves them alone.

:func:`build` returns :class:`Incidents`: the names and uids made, and the moment the
age rules are judged at (``judge_at``: the stuck-Terminating pod is then past its
deadline's margin).
"""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from control_plane import FROZEN, KWOK_NODE, ApiError, ControlPlane, apply, ensure_namespace

HOT_NAMESPACE = "hot"
HOT_WRITER = "hot-operator"
NODE = "kwok-node-1"
GONE_NODE = "kwok-node-gone"
#: memory capacity of NODE: the denominator of a Burstable container's oom_score_adj
NODE_MEMORY = 64 * 2**30
CHAOS = "pod-container-running-failed.stage.kwok.x-k8s.io"
DRIVER_CONTAINER = "spark-kubernetes-driver"
EXECUTOR_CONTAINER = "spark-kubernetes-executor"


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Incidents:
    started: datetime
    #: engine name → (kyuubi-unique-tag, spark app id)
    engines: dict[str, tuple[str, str]] = field(default_factory=dict)
    uids: dict[str, str] = field(default_factory=dict)
    #: set it to stop the hot-loop writer
    stop_writer: threading.Event = field(default_factory=threading.Event)

    @property
    def judge_at(self) -> datetime:
        return self.started + timedelta(minutes=2)


CRD = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.example.com"},
    "spec": {
        "group": "example.com",
        "scope": "Namespaced",
        "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
        "versions": [
            {
                "name": "v1",
                "served": True,
                "storage": True,
                "schema": {
                    "openAPIV3Schema": {
                        "type": "object",
                        "x-kubernetes-preserve-unknown-fields": True,
                    }
                },
            }
        ],
    },
}
WIDGETS = f"/apis/example.com/v1/namespaces/{HOT_NAMESPACE}/widgets"
SECRETS = f"/api/v1/namespaces/{HOT_NAMESPACE}/secrets"


def _established(plane: ControlPlane) -> bool:
    crd = plane.request(
        "GET", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com"
    )
    return any(
        c["type"] == "Established" and c["status"] == "True"
        for c in (crd.get("status") or {}).get("conditions") or []
    )


def start_hot_writer(plane: ControlPlane) -> threading.Event:
    """A custom resource and a Secret rewritten every 5 s by HOT_WRITER (its own field
    manager), beside three peers of each written once; set the event to stop it."""
    ensure_namespace(plane, HOT_NAMESPACE)
    apply(plane, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", CRD)
    deadline = time.monotonic() + 60
    while not _established(plane):
        assert time.monotonic() < deadline, "the CRD never became Established"
        time.sleep(0.2)
    while True:  # discovery of the new kind reaches the API a moment later
        try:
            plane.request("GET", WIDGETS)
            break
        except ApiError:
            assert time.monotonic() < deadline
            time.sleep(0.2)
    for name in ("widget-hot", "widget-1", "widget-2", "widget-3"):
        apply(
            plane,
            WIDGETS + "?fieldManager=peer-setup",
            {
                "apiVersion": "example.com/v1",
                "kind": "Widget",
                "metadata": {"name": name},
                "spec": {"size": 1},
            },
        )
    for name in ("secret-hot", "secret-1", "secret-2", "secret-3"):
        apply(
            plane,
            SECRETS + "?fieldManager=peer-setup",
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": name},
                "stringData": {"token": "initial"},
            },
        )
    stop = threading.Event()

    def rewrite() -> None:
        tick = 0
        while not stop.wait(5):
            tick += 1
            for path, body in (
                (f"{WIDGETS}/widget-hot", {"spec": {"size": tick}}),
                (f"{SECRETS}/secret-hot", {"stringData": {"token": f"t{tick}"}}),
            ):
                # a fault test may have kube-apiserver down for a moment: the loop goes on
                with contextlib.suppress(ApiError, OSError):
                    plane.request(
                        "PATCH",
                        f"{path}?fieldManager={HOT_WRITER}",
                        body,
                        content_type="application/merge-patch+json",
                    )

    threading.Thread(target=rewrite, name="hot-writer", daemon=True).start()
    return stop


def node(name: str, memory: int = NODE_MEMORY) -> dict[str, Any]:
    capacity = {"cpu": "32", "memory": str(memory), "pods": "110"}
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "annotations": {KWOK_NODE: "fake", "node.alpha.kubernetes.io/ttl": "0"},
            "labels": {"kubernetes.io/hostname": name, "type": "kwok"},
        },
        "status": {"capacity": capacity, "allocatable": capacity},
    }


def pod(
    namespace: str,
    name: str,
    *,
    containers: list[dict[str, Any]] | None = None,
    labels: dict[str, str] | None = None,
    annotations: dict[str, str] | None = None,
    owner: dict[str, Any] | None = None,
    node_name: str | None = NODE,
    frozen: bool = False,
    finalizers: list[str] | None = None,
    init_containers: list[dict[str, Any]] | None = None,
    restart_policy: str = "Never",
) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name, "namespace": namespace, "labels": dict(labels or {})}
    if frozen:
        metadata["labels"][FROZEN] = "true"
    if annotations:
        metadata["annotations"] = annotations
    if owner:
        metadata["ownerReferences"] = [owner]
    if finalizers:
        metadata["finalizers"] = finalizers
    spec: dict[str, Any] = {
        "containers": containers or [{"name": "main", "image": "busybox:1.36"}],
        "restartPolicy": restart_policy,
        "terminationGracePeriodSeconds": 30,
    }
    if node_name:
        spec["nodeName"] = node_name
    if init_containers:
        spec["initContainers"] = init_containers
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": spec}


def create(plane: ControlPlane, body: dict[str, Any]) -> dict[str, Any]:
    namespace = body["metadata"]["namespace"]
    return plane.request("POST", f"/api/v1/namespaces/{namespace}/pods", body)


def write_status(plane: ControlPlane, namespace: str, name: str, status: dict[str, Any]) -> None:
    plane.request(
        "PATCH",
        f"/api/v1/namespaces/{namespace}/pods/{name}/status",
        {"status": status},
        content_type="application/merge-patch+json",
    )


def terminated(reason: str, code: int, finished: datetime, *, ran: float = 600) -> dict:
    return {
        "terminated": {
            "reason": reason,
            "exitCode": code,
            "startedAt": _iso(finished - timedelta(seconds=ran)),
            "finishedAt": _iso(finished),
        }
    }


def container_status(
    name: str, state: dict, *, last: dict | None = None, restarts: int = 0, ready: bool = False
) -> dict[str, Any]:
    return {
        "name": name,
        "image": "busybox:1.36",
        "imageID": "",
        "ready": ready,
        "started": "running" in state,
        "restartCount": restarts,
        "state": state,
        "lastState": last or {},
    }


def spark_labels(
    app_id: str, role: str, tag: str | None = None, exec_id: int | None = None
) -> dict:
    labels = {"spark-app-selector": app_id, "spark-role": role, "spark-app-name": "etl"}
    if tag:
        labels["kyuubi-unique-tag"] = tag
    if exec_id is not None:
        labels["spark-exec-id"] = str(exec_id)
    return labels


def owner_ref(driver: dict[str, Any]) -> dict[str, Any]:
    """What Spark puts on each executor: the driver pod as controller."""
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "name": driver["metadata"]["name"],
        "uid": driver["metadata"]["uid"],
        "controller": True,
    }


def engine(
    plane: ControlPlane,
    namespace: str,
    name: str,
    *,
    executors: int,
    frozen: bool,
    driver_annotations: dict[str, str] | None = None,
    driver_labels: dict[str, str] | None = None,
) -> tuple[str, str, dict[str, Any], list[dict[str, Any]]]:
    """A Kyuubi batch's Spark driver and executors: (tag, app id, driver, executors)."""
    tag = str(uuid.uuid4())
    app_id = "spark-" + uuid.uuid4().hex
    driver = create(
        plane,
        pod(
            namespace,
            f"{name}-driver",
            containers=[
                {
                    "name": DRIVER_CONTAINER,
                    "image": "apache/spark:3.5.7",
                    "resources": {"requests": {"memory": "2Gi"}, "limits": {"memory": "2Gi"}},
                }
            ],
            labels={**spark_labels(app_id, "driver", tag), **(driver_labels or {})},
            annotations=driver_annotations,
            frozen=frozen,
        ),
    )
    pods = [
        create(
            plane,
            pod(
                namespace,
                f"{name}-exec-{i}",
                containers=[{"name": EXECUTOR_CONTAINER, "image": "apache/spark:3.5.7"}],
                labels=spark_labels(app_id, "executor", exec_id=i),
                owner=owner_ref(driver),
                frozen=frozen,
            ),
        )
        for i in (1, 2)[:executors]
    ]
    return tag, app_id, driver, pods


def wait_for(plane: ControlPlane, namespace: str, name: str, check, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = plane.request("GET", f"/api/v1/namespaces/{namespace}/pods/{name}")
        except ApiError as error:
            last = error
        else:
            if check(last):
                return last
        time.sleep(0.25)
    raise AssertionError(f"{namespace}/{name} never got there: {str(last)[:400]}")


def running(obj: dict) -> bool:
    return obj.get("status", {}).get("phase") == "Running"


def oom_killed(obj: dict) -> bool:
    statuses = obj.get("status", {}).get("containerStatuses") or []
    return obj["status"].get("phase") == "Failed" and any(
        (s.get("state", {}).get("terminated") or {}).get("reason") == "OOMKilled" for s in statuses
    )


def build(plane: ControlPlane) -> Incidents:
    """Create every incident; wait until kwok has driven its pods where they belong."""
    now = datetime.now(UTC)
    made = Incidents(started=now, stop_writer=start_hot_writer(plane))
    for namespace in ("spark-alice", "etl", "ops"):
        ensure_namespace(plane, namespace)
    for name in (NODE, GONE_NODE):
        apply(plane, "/api/v1/nodes", node(name))

    # An engine whose driver the kernel OOM-kills now: kwok's chaos stage terminates the
    # driver container OOMKilled 137 and sets phase Failed once it runs.
    chaos = {
        f"{CHAOS}/reason": "OOMKilled",
        f"{CHAOS}/exit-code": "137",
        f"{CHAOS}/message": "",
        f"{CHAOS}/container-name": DRIVER_CONTAINER,
    }
    tag, app, _driver, _executors = engine(
        plane,
        "spark-alice",
        "alice-oom",
        executors=2,
        frozen=False,
        driver_annotations=chaos,
        driver_labels={CHAOS: "true"},
    )
    made.engines["alice-oom"] = (tag, app)

    # An engine that ended two hours ago, its pods left behind (zombies).
    ended = now - timedelta(hours=2)
    tag, app, _driver, executors = engine(
        plane, "spark-alice", "alice-old", executors=2, frozen=True
    )
    made.engines["alice-old"] = (tag, app)
    write_status(
        plane,
        "spark-alice",
        "alice-old-driver",
        {
            "phase": "Succeeded",
            "containerStatuses": [
                container_status(DRIVER_CONTAINER, terminated("Completed", 0, ended))
            ],
        },
    )
    for executor in executors:
        write_status(
            plane,
            "spark-alice",
            executor["metadata"]["name"],
            {
                "phase": "Running",
                "conditions": [{"type": "Ready", "status": "True"}],
                "containerStatuses": [
                    container_status(
                        EXECUTOR_CONTAINER,
                        {"running": {"startedAt": _iso(ended - timedelta(minutes=30))}},
                        ready=True,
                    )
                ],
            },
        )

    # A notebook pod OOM-killed once and running again (the OOM is in its lastState).
    create(plane, pod("spark-alice", "alice-notebook", frozen=True, restart_policy="Always"))
    write_status(
        plane,
        "spark-alice",
        "alice-notebook",
        {
            "phase": "Running",
            "conditions": [{"type": "Ready", "status": "True"}],
            "containerStatuses": [
                container_status(
                    "main",
                    {"running": {"startedAt": _iso(now - timedelta(minutes=3))}},
                    last=terminated("OOMKilled", 137, now - timedelta(minutes=3)),
                    restarts=1,
                    ready=True,
                )
            ],
        },
    )

    # A crash loop at its 7th restart.
    create(plane, pod("etl", "etl-loader", frozen=True, restart_policy="Always"))
    write_status(
        plane,
        "etl",
        "etl-loader",
        {
            "phase": "Running",
            "containerStatuses": [
                container_status(
                    "main",
                    {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 5m0s"}},
                    last=terminated("Error", 1, now - timedelta(minutes=1), ran=5),
                    restarts=7,
                )
            ],
        },
    )

    # An init container that failed three hours ago; the pod stays Failed (lingering).
    create(
        plane,
        pod(
            "etl",
            "etl-migrate",
            frozen=True,
            init_containers=[{"name": "migrate", "image": "busybox:1.36"}],
        ),
    )
    failed_at = now - timedelta(hours=3)
    write_status(
        plane,
        "etl",
        "etl-migrate",
        {
            "phase": "Failed",
            "initContainerStatuses": [
                container_status("migrate", terminated("Error", 1, failed_at))
            ],
            "containerStatuses": [
                container_status("main", {"waiting": {"reason": "PodInitializing"}})
            ],
        },
    )

    # A pod held Terminating by a finalizer: deleted with a 1 s grace, never finalized.
    create(plane, pod("ops", "ops-stuck", frozen=True, finalizers=["example.com/hold"]))
    plane.request("DELETE", "/api/v1/namespaces/ops/pods/ops-stuck", {"gracePeriodSeconds": 1})

    # A pod on a node that was then deleted (podgc is off: the pod stays bound to it).
    create(plane, pod("ops", "ops-orphan", node_name=GONE_NODE, frozen=True))
    write_status(plane, "ops", "ops-orphan", {"phase": "Running"})
    plane.request("DELETE", f"/api/v1/nodes/{GONE_NODE}")

    # Guaranteed, Burstable and BestEffort on one node with 64 GiB (kwok runs them).
    create(
        plane,
        pod(
            "ops",
            "qos-guaranteed",
            containers=[
                {
                    "name": "main",
                    "image": "busybox:1.36",
                    "resources": {
                        "requests": {"cpu": "1", "memory": "4Gi"},
                        "limits": {"cpu": "1", "memory": "4Gi"},
                    },
                }
            ],
        ),
    )
    create(
        plane,
        pod(
            "ops",
            "qos-burstable",
            containers=[
                {
                    "name": "main",
                    "image": "busybox:1.36",
                    "resources": {"requests": {"memory": "16Gi"}},
                }
            ],
        ),
    )
    create(plane, pod("ops", "qos-besteffort"))

    for namespace, name, check in (
        ("spark-alice", "alice-oom-driver", oom_killed),
        ("spark-alice", "alice-oom-exec-1", running),
        ("spark-alice", "alice-oom-exec-2", running),
        ("ops", "qos-guaranteed", running),
        ("ops", "qos-burstable", running),
        ("ops", "qos-besteffort", running),
    ):
        obj = wait_for(plane, namespace, name, check)
        made.uids[f"{namespace}/{name}"] = obj["metadata"]["uid"]
    return made
