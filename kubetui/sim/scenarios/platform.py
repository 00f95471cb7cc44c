"""The non-Spark parts of a cluster: controllers, system pods, the Kyuubi server, Kubero.

Each builder stores a controller (Deployment + ReplicaSet, StatefulSet or Job) with its
pods through a ``Cluster`` and returns the stored pods so incidents can be layered on.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from datetime import datetime, timedelta

from kubetui.sim import factory as f
from kubetui.sim.factory import Obj
from kubetui.sim.scenarios.cluster import Cluster


def deployment_with_pods(
    c: Cluster,
    *,
    name: str,
    namespace: str,
    created: datetime,
    containers: list[Obj],
    nodes: Iterable[str],
    init_containers: list[Obj] | None = None,
    ready: int | None = None,
    manager: str = "helm",
    pod_created: datetime | None = None,
) -> tuple[Obj, list[Obj]]:
    """A Deployment, its ReplicaSet and one Running pod per entry of ``nodes``; returns the
    stored ReplicaSet and pods."""
    nodes = list(nodes)
    template_hash = f.name_suffix(c.rng, 10)
    deploy = f.deployment(
        c.rng,
        name=name,
        namespace=namespace,
        created=created,
        containers=containers,
        replicas=len(nodes),
        ready=ready,
        template_hash=template_hash,
        manager=manager,
        init_containers=init_containers,
    )
    c.create("deployments", deploy)
    rs = f.replicaset(
        c.rng,
        deploy,
        template_hash=template_hash,
        created=created + timedelta(seconds=1),
        ready=ready,
    )
    stored = c.create("replicasets", rs)
    pods = [
        add_controller_pod(c, stored, node, pod_created or created + timedelta(seconds=2))
        for node in nodes
    ]
    return stored, pods


def add_controller_pod(
    c: Cluster, owner: Obj, node: str, created: datetime, ordinal: int | None = None
) -> Obj:
    """Store a Running pod of ``owner`` (a ReplicaSet, or a StatefulSet with ``ordinal``)."""
    if ordinal is None:
        pod = f.deployment_pod(
            c.rng, owner, created=created, node=node, host_ip=c.host_ip(node), pod_ip=c.pod_ip(node)
        )
    else:
        pod = f.statefulset_pod(
            c.rng,
            owner,
            ordinal,
            created=created,
            node=node,
            host_ip=c.host_ip(node),
            pod_ip=c.pod_ip(node),
        )
    stored = c.create("pods", pod)
    c.started_events(stored, created)
    return stored


def system_pods(c: Cluster, created: datetime) -> None:
    """kube-proxy on every node (system-node-critical) and two CoreDNS replicas."""
    nodes = sorted(c.nodes)
    for node in nodes:
        if c.state.get("nodes", None, node) is None:
            continue
        image = f"registry.k8s.io/kube-proxy:{f.K8S_VERSION}"
        proxy = f.container(
            "kube-proxy",
            image,
            command=[
                "/usr/local/bin/kube-proxy",
                "--config=/var/lib/kube-proxy/config.conf",
                f"--hostname-override={node}",
            ],
            resources=f.resources("100m"),
            security_context={"privileged": True},
        )
        owner = {"metadata": {"name": "kube-proxy", "uid": f.new_uid(c.rng)}}
        pod = f.pod(
            c.rng,
            name=f"kube-proxy-{f.name_suffix(c.rng)}",
            generate_name="kube-proxy-",
            namespace="kube-system",
            created=created,
            containers=[proxy],
            node=node,
            manager=f.CONTROLLER_MANAGER,
            labels={
                "controller-revision-hash": "6c8d5f9b7c",
                "k8s-app": "kube-proxy",
                "pod-template-generation": "1",
            },
            owner_references=[f.owner_ref(owner, "DaemonSet", "apps/v1")],
            service_account="kube-proxy",
            priority_class="system-node-critical",
            priority=2_000_001_000,
            host_ip=c.host_ip(node),
            host_network=True,
        )
        stored = c.create("pods", pod)
        c.state.set_usage(
            "kube-system",
            stored["metadata"]["name"],
            "kube-proxy",
            c.rng.randint(2, 9),
            c.rng.randint(18, 30) * 1024**2,
        )
    dns = f.app_container(
        "coredns",
        "registry.k8s.io/coredns/coredns:v1.11.3",
        port=53,
        cpu="100m",
        memory_mib=70,
        probe_path="/health",
        args=["-conf", "/etc/coredns/Corefile"],
    )
    dns["resources"] = f.resources("100m", 70, memory_limit_mib=170)
    for pod in deployment_with_pods(
        c,
        name="coredns",
        namespace="kube-system",
        created=created,
        containers=[dns],
        nodes=nodes[:1] + nodes[-2:-1],
        manager="eks",
    )[1]:
        c.state.set_usage("kube-system", pod["metadata"]["name"], "coredns", 3, 21 * 1024**2)


def kyuubi_server(c: Cluster, *, node: str, created: datetime, version: str) -> Obj:
    """The Kyuubi StatefulSet (one replica) and its configuration; returns ``kyuubi-0``."""
    server = f.app_container(
        "kyuubi-server",
        f"docker.io/apache/kyuubi:{version}-spark",
        port=10099,
        cpu="2",
        memory_mib=4096,
        qos="Guaranteed",
        probe_path="/api/v1/ping",
        env=[
            f.env_value("KYUUBI_CONF_DIR", "/opt/kyuubi/conf"),
            f.env_value("KYUUBI_FRONTEND_BIND_PORT", "10099"),
            f.env_field("POD_IP", "status.podIP"),
        ],
    )
    server["ports"].append({"name": "thrift-binary", "containerPort": 10009, "protocol": "TCP"})
    sts = f.statefulset(
        c.rng,
        name="kyuubi",
        namespace="kyuubi",
        created=created - timedelta(days=40),
        containers=[server],
        replicas=1,
    )
    c.create("statefulsets", sts)
    pod = add_controller_pod(c, sts, node, created, ordinal=0)
    conf = "\n".join(
        [
            "kyuubi.frontend.protocols=THRIFT_BINARY,REST",
            "kyuubi.frontend.rest.bind.port=10099",
            "kyuubi.authentication=JDBC",
            "kyuubi.engine.share.level=USER",
            "kyuubi.kubernetes.spark.cleanupTerminatedDriverPod.kind=COMPLETED",
            "kyuubi.kubernetes.terminatedApplicationRetainPeriod=PT5M",
            "kyuubi.metadata.store.jdbc.url=jdbc:sqlite:/opt/kyuubi/work/kyuubi_state_store.db",
            "spark.master=k8s://https://kubernetes.default.svc",
            "spark.submit.deployMode=cluster",
            f"spark.kubernetes.container.image={f.spark_image(f.SPARK_VERSION)}",
        ]
    )
    c.create(
        "configmaps",
        f.configmap(
            c.rng,
            name="kyuubi-defaults",
            namespace="kyuubi",
            created=created - timedelta(days=40),
            data={"kyuubi-defaults.conf": conf + "\n"},
        ),
    )
    c.create(
        "secrets",
        f.secret(
            c.rng,
            name="kyuubi-jdbc-auth",
            namespace="kyuubi",
            created=created - timedelta(days=40),
            data={"password": _b64("s3cr3t-jdbc")},
        ),
    )
    return pod


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def registry_secret(c: Cluster, namespace: str, created: datetime, at: datetime) -> Obj:
    """The registry secret Kubero's operator copies into every app namespace."""
    auth = {
        "auths": {
            "registry.example.com": {
                "username": "kubero",
                "password": "hunter2",
                "auth": _b64("kubero:hunter2"),
            }
        }
    }
    return c.create(
        "secrets",
        f.secret(
            c.rng,
            name="registry-login",
            namespace=namespace,
            created=created,
            data={".dockerconfigjson": _b64(json.dumps(auth, separators=(",", ":")))},
            type_="kubernetes.io/dockerconfigjson",
            manager="kubero-operator",
            labels={"app.kubernetes.io/managed-by": "kubero"},
            annotations={"kubero.dev/synced-at": f.ts(at)},
        ),
    )


def sync_write(obj: Obj, at: datetime) -> None:
    """One reconcile write by ``kubero-operator``: the sync stamp and its managedFields time
    change (an identical object would be a no-op update without a new resourceVersion).
    Its first write of the annotation adds the operator's own (non-status) managedFields
    entry, as the apiserver does for a new field manager."""
    meta = obj["metadata"]
    annotations = meta.setdefault("annotations", {})
    annotations["kubero.dev/synced-at"] = f.ts(at)
    managed = meta.setdefault("managedFields", [])
    if not any(m["manager"] == "kubero-operator" and not m.get("subresource") for m in managed):
        api_version = managed[0]["apiVersion"] if managed else "v1"
        owned = {"metadata": {"annotations": {"kubero.dev/synced-at": ""}}}
        managed.append(f.managed_entry("kubero-operator", at, owned, api_version=api_version))
    f.touch_manager(obj, "kubero-operator", at)
    f.touch_manager(obj, "kubero-operator", at, subresource="status")
    for cond in (obj.get("status") or {}).get("conditions", []):
        if cond.get("type") == "Deployed":
            cond["reason"] = "UpgradeSuccessful"
            cond["lastTransitionTime"] = f.ts(at)
