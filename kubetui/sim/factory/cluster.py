"""Nodes, namespaces, ConfigMaps, Secrets and the KuberoPipeline custom resource."""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from kubetui.sim.factory.ids import K8S_VERSION, Obj, hex_string, new_uid, ts
from kubetui.sim.factory.managed import managed_entry, owned_metadata, touch_manager
from kubetui.sim.factory.spark import SPARK_VERSION, spark_image
from kubetui.sim.factory.workloads import CONTROLLER_MANAGER


def node(
    rng: random.Random,
    *,
    name: str,
    created: datetime,
    now: datetime,
    index: int,
    cpu: int = 16,
    memory_gib: int = 64,
    instance_type: str = "m5.4xlarge",
    zone: str = "us-east-1a",
    memory_pressure: bool = False,
    ready: bool = True,
    pressure_since: datetime | None = None,
) -> Obj:
    """A v1 Node with capacity/allocatable and the kubelet's four conditions."""
    mem_ki = memory_gib * 1024 * 1024 - 503_000
    capacity = {
        "cpu": str(cpu),
        "ephemeral-storage": "209702892Ki",
        "hugepages-1Gi": "0",
        "hugepages-2Mi": "0",
        "memory": f"{mem_ki}Ki",
        "pods": "110",
    }
    allocatable = {
        **capacity,
        "cpu": f"{cpu * 1000 - 110}m",
        "ephemeral-storage": "192188443124",
        "memory": f"{mem_ki - 1_048_576 - 102_400}Ki",
    }
    # 240 a /24 from .10 up: the last octet stays a valid one (the real kube-apiserver
    # refused the 259s the earlier "% 250 + 10" made past 240 nodes; bench/real_cluster.py)
    ip = f"10.0.{index // 240}.{index % 240 + 10}"
    since = pressure_since or now - timedelta(minutes=7)
    conditions = [
        {
            "type": "MemoryPressure",
            "status": "True" if memory_pressure else "False",
            "lastHeartbeatTime": ts(now),
            "lastTransitionTime": ts(since if memory_pressure else created),
            "reason": "KubeletHasInsufficientMemory"
            if memory_pressure
            else "KubeletHasSufficientMemory",
            "message": "kubelet has insufficient memory available"
            if memory_pressure
            else "kubelet has sufficient memory available",
        },
        {
            "type": "DiskPressure",
            "status": "False",
            "lastHeartbeatTime": ts(now),
            "lastTransitionTime": ts(created),
            "reason": "KubeletHasNoDiskPressure",
            "message": "kubelet has no disk pressure",
        },
        {
            "type": "PIDPressure",
            "status": "False",
            "lastHeartbeatTime": ts(now),
            "lastTransitionTime": ts(created),
            "reason": "KubeletHasSufficientPID",
            "message": "kubelet has sufficient PID available",
        },
        {
            "type": "Ready",
            "status": "True" if ready else "Unknown",
            "lastHeartbeatTime": ts(now),
            "lastTransitionTime": ts(created + timedelta(seconds=40)),
            "reason": "KubeletReady" if ready else "NodeStatusUnknown",
            "message": "kubelet is posting ready status"
            if ready
            else "Kubelet stopped posting node status.",
        },
    ]
    labels = {
        "beta.kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/instance-type": instance_type,
        "beta.kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        "node.kubernetes.io/instance-type": instance_type,
        "topology.kubernetes.io/region": zone[:-1],
        "topology.kubernetes.io/zone": zone,
    }
    annotations = {
        "node.alpha.kubernetes.io/ttl": "0",
        "volumes.kubernetes.io/controller-managed-attach-detach": "true",
    }
    cidr = f"10.244.{index % 256}.0/24"
    spec: Obj = {
        "podCIDR": cidr,
        "podCIDRs": [cidr],
        "providerID": f"aws:///{zone}/i-{hex_string(rng, 17)}",
    }
    if memory_pressure:
        spec["taints"] = [
            {
                "key": "node.kubernetes.io/memory-pressure",
                "effect": "NoSchedule",
                "timeAdded": ts(since),
            }
        ]
    status = {
        "capacity": capacity,
        "allocatable": allocatable,
        "conditions": conditions,
        "addresses": [
            {"type": "InternalIP", "address": ip},
            {"type": "InternalDNS", "address": name},
            {"type": "Hostname", "address": name},
        ],
        "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
        "nodeInfo": {
            "machineID": hex_string(rng, 32),
            "systemUUID": new_uid(rng),
            "bootID": new_uid(rng),
            "kernelVersion": "6.1.119-129.201.amzn2023.x86_64",
            "osImage": "Amazon Linux 2023.6.20241212",
            "containerRuntimeVersion": "containerd://1.7.23",
            "kubeletVersion": K8S_VERSION,
            "kubeProxyVersion": K8S_VERSION,
            "operatingSystem": "linux",
            "architecture": "amd64",
        },
        "images": [
            {
                "names": [
                    f"{spark_image(SPARK_VERSION).rsplit(':', 1)[0]}@sha256:{hex_string(rng, 64)}",
                    spark_image(SPARK_VERSION),
                ],
                "sizeBytes": 718_231_112,
            }
        ],
    }
    meta = {
        "name": name,
        "uid": new_uid(rng),
        "creationTimestamp": ts(created),
        "labels": labels,
        "annotations": annotations,
    }
    meta["managedFields"] = [
        managed_entry(
            "kubelet", created, {"metadata": {"annotations": annotations, "labels": labels}}
        ),
        managed_entry(
            CONTROLLER_MANAGER,
            created + timedelta(seconds=12),
            {"spec": {"podCIDR": cidr, "podCIDRs": [cidr]}},
        ),
        managed_entry("kubelet", now, {"status": {"conditions": conditions}}, subresource="status"),
    ]
    return {"metadata": meta, "spec": spec, "status": status}


def set_node_memory_pressure(obj: Obj, on: bool, at: datetime) -> None:
    cond = next(c for c in obj["status"]["conditions"] if c["type"] == "MemoryPressure")
    if (cond["status"] == "True") == on:
        return
    cond.update(
        {
            "status": "True" if on else "False",
            "lastTransitionTime": ts(at),
            "lastHeartbeatTime": ts(at),
            "reason": "KubeletHasInsufficientMemory" if on else "KubeletHasSufficientMemory",
            "message": "kubelet has insufficient memory available"
            if on
            else "kubelet has sufficient memory available",
        }
    )
    taints = [
        t for t in obj["spec"].get("taints", []) if t["key"] != "node.kubernetes.io/memory-pressure"
    ]
    if on:
        taints.append(
            {
                "key": "node.kubernetes.io/memory-pressure",
                "effect": "NoSchedule",
                "timeAdded": ts(at),
            }
        )
    if taints:
        obj["spec"]["taints"] = taints
    else:
        obj["spec"].pop("taints", None)
    touch_manager(obj, "kubelet", at, subresource="status")


def namespace(
    rng: random.Random, name: str, *, created: datetime, labels: Mapping[str, str] | None = None
) -> Obj:
    all_labels = {"kubernetes.io/metadata.name": name, **(labels or {})}
    meta = {
        "name": name,
        "uid": new_uid(rng),
        "creationTimestamp": ts(created),
        "labels": dict(sorted(all_labels.items())),
    }
    meta["managedFields"] = [
        managed_entry("kubectl-create", created, {"metadata": {"labels": meta["labels"]}})
    ]
    return {"metadata": meta, "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}}


def configmap(
    rng: random.Random,
    *,
    name: str,
    namespace: str,
    created: datetime,
    data: Mapping[str, str],
    manager: str = "helm",
    labels: Mapping[str, str] | None = None,
) -> Obj:
    return _data_object(rng, name, namespace, created, data, manager, labels, None, {})


def secret(
    rng: random.Random,
    *,
    name: str,
    namespace: str,
    created: datetime,
    data: Mapping[str, str],
    type_: str = "Opaque",
    manager: str = "helm",
    labels: Mapping[str, str] | None = None,
    annotations: Mapping[str, str] | None = None,
) -> Obj:
    """A Secret; ``data`` values must already be base64, as on the wire."""
    return _data_object(
        rng, name, namespace, created, data, manager, labels, annotations, {"type": type_}
    )


def _data_object(
    rng: random.Random,
    name: str,
    namespace: str,
    created: datetime,
    data: Mapping[str, str],
    manager: str,
    labels: Mapping[str, str] | None,
    annotations: Mapping[str, str] | None,
    extra: Obj,
) -> Obj:
    """A ConfigMap or Secret: ``data`` plus ``extra`` top-level fields (a Secret's
    ``type``), all written, with the labels and annotations, by ``manager``."""
    meta: Obj = {
        "name": name,
        "namespace": namespace,
        "uid": new_uid(rng),
        "creationTimestamp": ts(created),
    }
    if labels:
        meta["labels"] = dict(sorted(labels.items()))
    if annotations:
        meta["annotations"] = dict(sorted(annotations.items()))
    owned = owned_metadata(meta)
    fields = {"data": dict(data), **extra, **({"metadata": owned} if owned else {})}
    meta["managedFields"] = [managed_entry(manager, created, fields)]
    return {"metadata": meta, "data": dict(sorted(data.items())), **extra}


def kubero_pipeline(
    rng: random.Random,
    *,
    name: str,
    namespace: str,
    created: datetime,
    domain: str,
    repository: str,
    phases: Iterable[str] = ("review", "test", "stage", "production"),
) -> Obj:
    """A ``kubero.dev/v1alpha1`` KuberoPipeline, written by the UI and the operator."""
    spec = {
        "name": name,
        "domain": domain,
        "reviewapps": True,
        "dockerimage": f"ghcr.io/kubero-dev/buildpacks/{name}",
        "buildstrategy": "dockerfile",
        "git": {
            "keys": {"create": False},
            "provider": "github",
            "repository": {"ssh_url": repository, "default_branch": "main"},
        },
        "registry": {
            "create": False,
            "host": "registry.example.com",
            "port": "443",
            "username": "kubero",
        },
        "phases": [{"name": p, "enabled": True, "context": "inClusterContext"} for p in phases],
    }
    status = {
        "conditions": [
            {"type": "Initialized", "status": "True", "lastTransitionTime": ts(created)},
            {
                "type": "Deployed",
                "status": "True",
                "reason": "InstallSuccessful",
                "message": "1. Get the application URL by running these commands",
                "lastTransitionTime": ts(created + timedelta(seconds=4)),
            },
        ],
        "deployedRelease": {"name": name, "manifest": _pipeline_manifest(name, namespace)},
    }
    meta: Obj = {
        "name": name,
        "namespace": namespace,
        "uid": new_uid(rng),
        "generation": 1,
        "creationTimestamp": ts(created),
        "labels": {"app.kubernetes.io/managed-by": "kubero"},
    }
    meta["managedFields"] = [
        managed_entry(
            "kubero",
            created,
            {"metadata": {"labels": meta["labels"]}, "spec": spec},
            api_version="kubero.dev/v1alpha1",
        ),
        managed_entry(
            "kubero-operator",
            created + timedelta(seconds=4),
            {"status": status},
            api_version="kubero.dev/v1alpha1",
            subresource="status",
        ),
    ]
    return {
        "apiVersion": "kubero.dev/v1alpha1",
        "kind": "KuberoPipeline",
        "metadata": meta,
        "spec": spec,
        "status": status,
    }


def _pipeline_manifest(name: str, namespace: str) -> str:
    return (
        "---\n# Source: kuberopipeline/templates/namespace.yaml\n"
        f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}-production\n"
        "---\n# Source: kuberopipeline/templates/registry-secret.yaml\n"
        f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: registry-login\n"
        f"  namespace: {name}-production\ntype: kubernetes.io/dockerconfigjson\n"
    )
