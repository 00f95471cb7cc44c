"""core/v1 Events as the kubelet, controllers and the scheduler write them."""

from __future__ import annotations

import random
from datetime import datetime

from kubetui.sim.factory.ids import Obj, micro_ts, new_uid, ts
from kubetui.sim.factory.managed import managed_entry


def _involved(obj: Obj, kind: str, api_version: str = "v1", field_path: str | None = None) -> Obj:
    meta = obj["metadata"]
    ref: Obj = {"kind": kind}
    if meta.get("namespace"):
        ref["namespace"] = meta["namespace"]
    ref["name"] = meta["name"]
    ref["uid"] = meta["uid"]
    ref["apiVersion"] = api_version
    if meta.get("resourceVersion"):
        ref["resourceVersion"] = meta["resourceVersion"]
    if field_path:
        ref["fieldPath"] = field_path
    return ref


def _event_name(obj_name: str, at: datetime, rng: random.Random) -> str:
    nanos = int(at.timestamp()) * 1_000_000_000 + rng.randrange(1_000_000_000)
    return f"{obj_name}.{nanos:x}"


def event(
    rng: random.Random,
    obj: Obj,
    *,
    reason: str,
    message: str,
    at: datetime,
    kind: str = "Pod",
    event_type: str = "Normal",
    component: str = "kubelet",
    host: str | None = None,
    count: int = 1,
    first: datetime | None = None,
    container_name: str | None = None,
    api_version: str = "v1",
) -> Obj:
    """A core/v1 Event from a legacy recorder (kubelet, controllers, node-problem-detector).

    Name ``<object>.<hex unixnano>``, namespace of the object or ``default`` for cluster
    objects, ``reportingComponent``/``reportingInstance`` copied from the source
    (client-go ``tools/record/event.go`` ``makeEvent``/``generateEvent``).
    """
    ns = obj["metadata"].get("namespace") or "default"
    first = first or at
    field_path = None
    if container_name:
        inits = {c["name"] for c in (obj.get("spec") or {}).get("initContainers", [])}
        group = "initContainers" if container_name in inits else "containers"
        field_path = f"spec.{group}{{{container_name}}}"
    source: Obj = {"component": component}
    if host:
        source["host"] = host
    body: Obj = {
        "involvedObject": _involved(obj, kind, api_version, field_path),
        "reason": reason,
        "message": message,
        "source": source,
        "firstTimestamp": ts(first),
        "lastTimestamp": ts(at),
        "count": count,
        "type": event_type,
        "eventTime": None,
        "reportingComponent": component,
        "reportingInstance": host or "",
    }
    meta = {
        "name": _event_name(obj["metadata"]["name"], first, rng),
        "namespace": ns,
        "uid": new_uid(rng),
        "creationTimestamp": ts(first),
        "managedFields": [managed_entry(component, at, body)],
    }
    return {"metadata": meta, **body}


def scheduler_event(
    rng: random.Random,
    obj: Obj,
    *,
    reason: str,
    message: str,
    at: datetime,
    event_type: str = "Normal",
    instance: str = "default-scheduler-ip-10-0-0-5",
) -> Obj:
    """A core/v1 view of an events.k8s.io Event from the scheduler (``eventTime`` set,
    no ``source``/timestamps, ``action: Scheduling``)."""
    regarding = _involved(obj, "Pod")
    body: Obj = {
        "involvedObject": regarding,
        "reason": reason,
        "message": message,
        "source": {},
        "firstTimestamp": None,
        "lastTimestamp": None,
        "type": event_type,
        "eventTime": micro_ts(at),
        "action": "Scheduling",
        "reportingComponent": "default-scheduler",
        "reportingInstance": instance,
    }
    # The scheduler writes through events.k8s.io/v1, so its fields carry those names.
    written = {
        "action": "Scheduling",
        "eventTime": body["eventTime"],
        "note": message,
        "reason": reason,
        "regarding": regarding,
        "reportingController": "default-scheduler",
        "reportingInstance": instance,
        "type": event_type,
    }
    meta = {
        "name": _event_name(obj["metadata"]["name"], at, rng),
        "namespace": obj["metadata"]["namespace"],
        "uid": new_uid(rng),
        "creationTimestamp": ts(at),
        "managedFields": [
            managed_entry("kube-scheduler", at, written, api_version="events.k8s.io/v1")
        ],
    }
    return {"metadata": meta, **body}


def pod_ref_text(obj: Obj) -> str:
    """The kubelet's ``format.Pod`` text: ``name_namespace(uid)``."""
    meta = obj["metadata"]
    return f"{meta['name']}_{meta['namespace']}({meta['uid']})"
