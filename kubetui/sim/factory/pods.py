"""Pods as the apiserver stores them, and the kubelet's view of their containers.

``pod`` builds a scheduled, started pod; the ``set_*`` helpers move containers and the pod
into other states the way the kubelet reports them (conditions recomputed, the kubelet's
managedFields entry re-stamped).
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

import msgspec

from kubetui.model.qos import pod_qos_class
from kubetui.model.records import Pod
from kubetui.sim.factory.ids import (
    Obj,
    container_id,
    hex_string,
    mib,
    name_suffix,
    new_uid,
    parse_ts,
    ts,
)
from kubetui.sim.factory.managed import managed_entry, owned_metadata, touch_manager


def _kube_api_access_volume(rng: random.Random) -> Obj:
    return {
        "name": f"kube-api-access-{name_suffix(rng)}",
        "projected": {
            "sources": [
                {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                {
                    "configMap": {
                        "name": "kube-root-ca.crt",
                        "items": [{"key": "ca.crt", "path": "ca.crt"}],
                    }
                },
                {
                    "downwardAPI": {
                        "items": [
                            {
                                "path": "namespace",
                                "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"},
                            }
                        ]
                    }
                },
            ],
            "defaultMode": 420,
        },
    }


_SA_MOUNT_PATH = "/var/run/secrets/kubernetes.io/serviceaccount"
_DEFAULT_TOLERATIONS = [
    {
        "key": "node.kubernetes.io/not-ready",
        "operator": "Exists",
        "effect": "NoExecute",
        "tolerationSeconds": 300,
    },
    {
        "key": "node.kubernetes.io/unreachable",
        "operator": "Exists",
        "effect": "NoExecute",
        "tolerationSeconds": 300,
    },
]


def container(
    name: str,
    image: str,
    *,
    args: list[str] | None = None,
    command: list[str] | None = None,
    ports: list[Obj] | None = None,
    env: list[Obj] | None = None,
    resources: Obj | None = None,
    volume_mounts: list[Obj] | None = None,
    probes: Obj | None = None,
    restart_policy: str | None = None,
    pull_policy: str = "IfNotPresent",
    security_context: Obj | None = None,
) -> Obj:
    """A container spec with the apiserver's defaults, keys in Go field order."""
    out: Obj = {"name": name, "image": image}
    if command:
        out["command"] = list(command)
    if args:
        out["args"] = list(args)
    if ports:
        out["ports"] = [{**p, "protocol": p.get("protocol", "TCP")} for p in ports]
    if env:
        out["env"] = list(env)
    out["resources"] = resources or {}
    if restart_policy:
        out["restartPolicy"] = restart_policy
    if volume_mounts:
        out["volumeMounts"] = list(volume_mounts)
    if probes:
        out.update(probes)
    out["terminationMessagePath"] = "/dev/termination-log"
    out["terminationMessagePolicy"] = "File"
    out["imagePullPolicy"] = pull_policy
    if security_context is not None:
        out["securityContext"] = security_context
    return out


def resources(
    cpu: str | None = None,
    memory_mib: int | None = None,
    *,
    cpu_limit: str | None = None,
    memory_limit_mib: int | None = None,
) -> Obj:
    """A ResourceRequirements dict (limits before requests, as Go marshals it)."""
    limits = {}
    if cpu_limit:
        limits["cpu"] = cpu_limit
    if memory_limit_mib:
        limits["memory"] = mib(memory_limit_mib)
    requests = {}
    if cpu:
        requests["cpu"] = cpu
    if memory_mib:
        requests["memory"] = mib(memory_mib)
    out: Obj = {}
    if limits:
        out["limits"] = limits
    if requests:
        out["requests"] = requests
    return out


def _qos_class(spec: Obj) -> str:
    """``status.qosClass`` as the apiserver computes it at creation (model.qos)."""
    return pod_qos_class(msgspec.convert({"spec": spec}, Pod)) or "BestEffort"


def env_value(name: str, value: str) -> Obj:
    return {"name": name, "value": value}


def env_field(name: str, field_path: str) -> Obj:
    return {"name": name, "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": field_path}}}


def pod(
    rng: random.Random,
    *,
    name: str,
    namespace: str,
    created: datetime,
    containers: list[Obj],
    node: str | None,
    manager: str,
    labels: Mapping[str, str] | None = None,
    annotations: Mapping[str, str] | None = None,
    owner_references: list[Obj] | None = None,
    generate_name: str | None = None,
    init_containers: list[Obj] | None = None,
    volumes: list[Obj] | None = None,
    restart_policy: str = "Always",
    grace_seconds: int = 30,
    service_account: str = "default",
    node_selector: Mapping[str, str] | None = None,
    hostname: str | None = None,
    subdomain: str | None = None,
    priority_class: str | None = None,
    priority: int = 0,
    host_ip: str = "10.0.0.10",
    pod_ip: str | None = None,
    start_delay: float = 3.0,
    host_network: bool = False,
) -> Obj:
    """A pod as stored after creation, scheduling and a successful start (phase Running).

    The creator's fields (``manager``) are recorded before admission adds the
    service-account volume and the default tolerations, as in a real ``managedFields``.
    ``node=None`` leaves it unscheduled (Pending, PodScheduled False); use the ``set_*``
    helpers to move containers and the pod into other states.
    """
    meta: Obj = {"name": name}
    if generate_name:
        meta["generateName"] = generate_name
    meta["namespace"] = namespace
    meta["uid"] = new_uid(rng)
    meta["creationTimestamp"] = ts(created)
    if labels:
        meta["labels"] = dict(sorted(labels.items()))
    if annotations:
        meta["annotations"] = dict(sorted(annotations.items()))
    if owner_references:
        meta["ownerReferences"] = owner_references
    spec: Obj = {}
    if volumes:
        spec["volumes"] = [dict(v) for v in volumes]
    if init_containers:
        spec["initContainers"] = init_containers
    spec["containers"] = containers
    spec["restartPolicy"] = restart_policy
    spec["terminationGracePeriodSeconds"] = grace_seconds
    spec["dnsPolicy"] = "ClusterFirst"
    if node_selector:
        spec["nodeSelector"] = dict(sorted(node_selector.items()))
    spec["serviceAccountName"] = service_account
    spec["serviceAccount"] = service_account
    if host_network:
        spec["hostNetwork"] = True
        spec["dnsPolicy"] = "ClusterFirstWithHostNet"
    spec["securityContext"] = {}
    if hostname:
        spec["hostname"] = hostname
    if subdomain:
        spec["subdomain"] = subdomain
    spec["schedulerName"] = "default-scheduler"
    if priority_class:
        spec["priorityClassName"] = priority_class
    spec["enableServiceLinks"] = True
    created_fields = {"metadata": owned_metadata(meta), "spec": spec}
    managed = [managed_entry(manager, created, created_fields)]

    # Admission: ServiceAccount (token volume), DefaultTolerationSeconds, Priority.
    sa_volume = _kube_api_access_volume(rng)
    spec = json.loads(json.dumps(spec))  # the creator's view above stays untouched
    spec.setdefault("volumes", []).append(sa_volume)
    sa_mount = {"name": sa_volume["name"], "readOnly": True, "mountPath": _SA_MOUNT_PATH}
    for c in spec.get("initContainers", []) + spec["containers"]:
        c.setdefault("volumeMounts", []).append(dict(sa_mount))
    ordered: Obj = {}
    for key in (
        "volumes",
        "initContainers",
        "containers",
        "restartPolicy",
        "terminationGracePeriodSeconds",
        "dnsPolicy",
        "nodeSelector",
        "serviceAccountName",
        "serviceAccount",
    ):
        if key in spec:
            ordered[key] = spec[key]
    if node:
        ordered["nodeName"] = node
    if host_network:
        ordered["hostNetwork"] = True
    for key in ("securityContext", "hostname", "subdomain", "schedulerName"):
        if key in spec:
            ordered[key] = spec[key]
    ordered["tolerations"] = [dict(t) for t in _DEFAULT_TOLERATIONS]
    if priority_class:
        ordered["priorityClassName"] = priority_class
    ordered["priority"] = priority
    ordered["enableServiceLinks"] = True
    ordered["preemptionPolicy"] = "PreemptLowerPriority"
    meta["managedFields"] = managed

    obj: Obj = {"metadata": meta, "spec": ordered, "status": {}}
    if node is None:
        obj["status"] = {
            "phase": "Pending",
            "conditions": [
                _condition(
                    "PodScheduled",
                    "False",
                    created,
                    reason="Unschedulable",
                    message="0/1 nodes are available.",
                )
            ],
            "qosClass": _qos_class(ordered),
        }
        return obj
    started = created + timedelta(seconds=start_delay)
    ip = host_ip if host_network else pod_ip or f"10.244.{rng.randint(0, 63)}.{rng.randint(2, 254)}"
    status: Obj = {
        "phase": "Running",
        "conditions": [],
        "hostIP": host_ip,
        "hostIPs": [{"ip": host_ip}],
        "podIP": ip,
        "podIPs": [{"ip": ip}],
        "startTime": ts(created + timedelta(seconds=1)),
    }
    if ordered.get("initContainers"):
        status["initContainerStatuses"] = [
            _init_status(rng, c, created + timedelta(seconds=1), started)
            for c in ordered["initContainers"]
        ]
    status["containerStatuses"] = [
        _container_status(rng, c, started) for c in ordered["containers"]
    ]
    status["qosClass"] = _qos_class(ordered)
    obj["status"] = status
    refresh_conditions(obj, started, scheduled_at=created)
    meta["managedFields"].append(_kubelet_entry(obj, started))
    return obj


def _image_id(image: str, rng: random.Random) -> str:
    repo = image.rsplit(":", 1)[0] if ":" in image.rsplit("/", 1)[-1] else image
    return f"{repo}@sha256:{hex_string(rng, 64)}"


def _container_status(rng: random.Random, spec_container: Obj, started: datetime) -> Obj:
    image = spec_container["image"]
    cid = container_id(rng)
    return {
        "name": spec_container["name"],
        "state": {"running": {"startedAt": ts(started)}},
        "lastState": {},
        "ready": True,
        "restartCount": 0,
        "image": image if "/" in image.split(":")[0] else f"docker.io/library/{image}",
        "imageID": _image_id(image, rng),
        "containerID": cid,
        "started": True,
        "volumeMounts": [
            {k: m[k] for k in ("name", "mountPath", "readOnly") if k in m}
            | ({"recursiveReadOnly": "Disabled"} if m.get("readOnly") else {})
            for m in spec_container.get("volumeMounts", [])
        ],
    }


def _init_status(rng: random.Random, spec_container: Obj, at: datetime, done: datetime) -> Obj:
    status = _container_status(rng, spec_container, at)
    if spec_container.get("restartPolicy") == "Always":  # a sidecar keeps running
        return status
    status["state"] = {
        "terminated": {
            "exitCode": 0,
            "reason": "Completed",
            "startedAt": ts(at),
            "finishedAt": ts(done - timedelta(seconds=1)),
            "containerID": status["containerID"],
        }
    }
    status["ready"] = True
    status["started"] = False
    return status


def _condition(
    ctype: str,
    status: str,
    at: datetime,
    *,
    reason: str | None = None,
    message: str | None = None,
) -> Obj:
    out: Obj = {
        "type": ctype,
        "status": status,
        "lastProbeTime": None,
        "lastTransitionTime": ts(at),
    }
    if reason:
        out["reason"] = reason
    if message:
        out["message"] = message
    return out


def _kubelet_entry(obj: Obj, at: datetime) -> Obj:
    status = {k: v for k, v in obj["status"].items() if k != "qosClass"}
    entry = managed_entry("kubelet", at, {"status": status}, subresource="status")
    statuses = entry["fieldsV1"]["f:status"]
    for key in ("f:containerStatuses", "f:initContainerStatuses"):
        if key in statuses:
            statuses[key] = {}  # atomic lists
    return entry


def _statuses(obj: Obj) -> list[Obj]:
    status = obj["status"]
    return status.get("initContainerStatuses", []) + status.get("containerStatuses", [])


def refresh_conditions(obj: Obj, at: datetime, *, scheduled_at: datetime | None = None) -> None:
    """Recompute the kubelet's pod conditions from phase and container statuses.

    Order and reasons as the kubelet writes them (``pkg/kubelet/status/generate.go``):
    PodReadyToStartContainers, Initialized, Ready, ContainersReady, PodScheduled. A
    condition keeps its ``lastTransitionTime`` unless its status changes.
    """
    status = obj["status"]
    phase = status.get("phase")
    old = {c["type"]: c for c in status.get("conditions", [])}
    terminal = phase in ("Succeeded", "Failed")
    inits = [s for s in status.get("initContainerStatuses", []) if not _is_sidecar(obj, s["name"])]
    initialized = all((s["state"].get("terminated") or {}).get("exitCode") == 0 for s in inits)
    # restartable init containers (sidecars) count toward readiness (KEP-753)
    mains = status.get("containerStatuses", []) + [
        s for s in status.get("initContainerStatuses", []) if _is_sidecar(obj, s["name"])
    ]
    ready = bool(mains) and all(s.get("ready") for s in mains) and not terminal
    pending_names = [
        s["name"] for s in inits if (s["state"].get("terminated") or {}).get("exitCode") != 0
    ]
    unready = [s["name"] for s in mains if not s.get("ready")]
    wanted: list[tuple[str, str, str | None, str | None]] = [
        ("PodReadyToStartContainers", "False" if terminal else "True", None, None),
    ]
    if initialized:
        wanted.append(("Initialized", "True", None, None))
    else:
        wanted.append(
            (
                "Initialized",
                "False",
                "ContainersNotInitialized",
                f"containers with incomplete status: [{' '.join(pending_names)}]",
            )
        )
    if terminal:
        reason = "PodCompleted" if phase == "Succeeded" else "PodFailed"
        wanted.append(("Ready", "False", reason, None))
        wanted.append(("ContainersReady", "False", reason, None))
    elif ready:
        wanted += [("Ready", "True", None, None), ("ContainersReady", "True", None, None)]
    else:
        msg = f"containers with unready status: [{' '.join(unready)}]"
        wanted += [
            ("Ready", "False", "ContainersNotReady", msg),
            ("ContainersReady", "False", "ContainersNotReady", msg),
        ]
    wanted.append(("PodScheduled", "True", None, None))
    conditions = []
    for ctype, value, reason, message in wanted:
        prev = old.get(ctype)
        when = at
        if ctype == "PodScheduled" and scheduled_at is not None:
            when = scheduled_at
        elif prev is not None and prev["status"] == value:
            when = parse_ts(prev["lastTransitionTime"])
        conditions.append(_condition(ctype, value, when, reason=reason, message=message))
    status["conditions"] = conditions


def _is_sidecar(obj: Obj, name: str) -> bool:
    return any(
        c["name"] == name and c.get("restartPolicy") == "Always"
        for c in obj["spec"].get("initContainers", [])
    )


def _status_of(obj: Obj, name: str) -> Obj:
    for s in _statuses(obj):
        if s["name"] == name:
            return s
    raise KeyError(f"no container {name!r} in pod {obj['metadata']['name']}")


def running(started_at: datetime) -> Obj:
    return {"running": {"startedAt": ts(started_at)}}


def waiting(reason: str, message: str | None = None) -> Obj:
    body: Obj = {"reason": reason}
    if message:
        body["message"] = message
    return {"waiting": body}


def terminated(
    reason: str,
    exit_code: int,
    started_at: datetime,
    finished_at: datetime,
    cid: str,
    message: str | None = None,
) -> Obj:
    """A terminated state; the kubelet never sets ``signal``, only ``exitCode``."""
    body: Obj = {"exitCode": exit_code, "reason": reason}
    if message:
        body["message"] = message
    body["startedAt"] = ts(started_at)
    body["finishedAt"] = ts(finished_at)
    body["containerID"] = cid
    return {"terminated": body}


def set_container_state(
    obj: Obj,
    name: str,
    state: Obj,
    *,
    last_state: Obj | None = None,
    restarts: int | None = None,
) -> Obj:
    """Set one container's (or init container's) state; ``ready``/``started`` follow it.

    ``containerID`` follows a terminated state's; after a restart into a running state the
    caller stores the new container's ID (``container_id``). Returns the status entry.
    """
    status = _status_of(obj, name)
    status["state"] = state
    if last_state is not None:
        status["lastState"] = last_state
    if restarts is not None:
        status["restartCount"] = restarts
    is_running = "running" in state
    status["started"] = is_running
    status["ready"] = is_running
    if "terminated" in state:
        status["containerID"] = state["terminated"]["containerID"]
    return status


def current_container_id(obj: Obj, name: str) -> str:
    return _status_of(obj, name)["containerID"]


def set_exited(
    obj: Obj, name: str, reason: str, exit_code: int, started: datetime, finished: datetime
) -> None:
    """The container's run (the one in its status) ended, and with it the pod, as for
    ``restartPolicy: Never``: phase Succeeded on exit 0, else Failed."""
    cid = current_container_id(obj, name)
    set_container_state(obj, name, terminated(reason, exit_code, started, finished, cid))
    set_phase(obj, "Succeeded" if exit_code == 0 else "Failed", finished)


def set_not_started(obj: Obj, name: str) -> Obj:
    """The container waits for the init containers (``PodInitializing``) and has never run:
    no container ID, no image ID. Returns its status entry."""
    status = set_container_state(obj, name, waiting("PodInitializing"))
    status.pop("containerID", None)
    status["imageID"] = ""
    return status


def crash_loop(
    rng: random.Random,
    obj: Obj,
    name: str,
    *,
    restarts: int,
    last_reason: str,
    last_exit_code: int,
    last_started: datetime,
    last_finished: datetime,
    backoff_seconds: int = 300,
) -> None:
    """A container in CrashLoopBackOff whose previous run ended as given."""
    cid = container_id(rng)
    pod_ref = f"{obj['metadata']['name']}_{obj['metadata']['namespace']}"
    set_container_state(
        obj,
        name,
        waiting(
            "CrashLoopBackOff",
            f"back-off {_backoff_text(backoff_seconds)} restarting failed container={name} "
            f"pod={pod_ref}({obj['metadata']['uid']})",
        ),
        last_state=terminated(last_reason, last_exit_code, last_started, last_finished, cid),
        restarts=restarts,
    )
    _status_of(obj, name)["containerID"] = cid


def _backoff_text(seconds: int) -> str:
    minutes, secs = divmod(seconds, 60)
    return f"{minutes}m{secs}s" if minutes else f"{secs}s"


def set_phase(
    obj: Obj,
    phase: str,
    at: datetime,
    *,
    reason: str | None = None,
    message: str | None = None,
) -> None:
    """Set ``status.phase`` (and pod-level reason/message), then the conditions follow.

    The kubelet's status entry in managedFields gets the write time.
    """
    status = obj["status"]
    new: Obj = {"phase": phase}
    rest = {k: v for k, v in status.items() if k not in ("phase", "message", "reason")}
    new["conditions"] = rest.pop("conditions", [])
    if message:
        new["message"] = message
    if reason:
        new["reason"] = reason
    new.update(rest)
    status.clear()
    status.update(new)
    refresh_conditions(obj, at)
    touch_manager(obj, "kubelet", at, subresource="status")


def mark_deleting(
    obj: Obj, at: datetime, *, grace_seconds: int = 30, finalizers: Iterable[str] = ()
) -> None:
    """What a graceful DELETE leaves on the object: deletionTimestamp = at + grace."""
    meta = obj["metadata"]
    fin = list(finalizers) or meta.get("finalizers", [])
    new: Obj = {}
    for key, value in meta.items():
        if key == "managedFields":
            continue
        new[key] = value
        if key == "creationTimestamp":
            new["deletionTimestamp"] = ts(at + timedelta(seconds=grace_seconds))
            new["deletionGracePeriodSeconds"] = grace_seconds
    if fin:
        new["finalizers"] = fin
    new["managedFields"] = meta.get("managedFields", [])
    meta.clear()
    meta.update(new)


def owner_ref(owner: Obj, kind: str, api_version: str, *, block: bool = True) -> Obj:
    """An ownerReference to ``owner`` with ``controller: true``.

    Controllers set ``blockOwnerDeletion``; Spark's executor reference does not.
    """
    ref: Obj = {
        "apiVersion": api_version,
        "kind": kind,
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"],
        "controller": True,
    }
    if block:
        ref["blockOwnerDeletion"] = True
    return ref
