"""Server-side printing: ``meta.k8s.io`` Tables and PartialObjectMetadata for every kind.

The apiserver always prints the wide cells (``GenerateOptions{Wide: true}``); kubectl
hides priority-1 columns unless ``-o wide``. Columns and cells follow kubernetes/
kubernetes ``pkg/printers/internalversion/printers.go`` (master, 2026-07): pods through
``kubetui.model.pod_status.pod_columns`` (a branch-for-branch port of ``printPod``),
events per ``printEvent``, nodes per ``printNode``, the workload kinds per their printers
(Containers/Images/Selector wide columns; ``printDaemonSet`` for DaemonSets), and the
CRD default (Name, Age). Row objects
follow ``pkg/endpoints/handlers/response.go`` ``asTable`` (kubernetes/apiserver@v0.33.0):
PartialObjectMetadata by default, the full object for ``includeObject=Object``, null for
``None``. The metadata is copied as raw JSON bytes, never decoded.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import msgspec

from kubetui.model.decode import lenient_convert
from kubetui.model.durations import translate_timestamp_since
from kubetui.model.pod_status import COMPLETED_ROW_MESSAGES, pod_columns
from kubetui.model.records import Pod
from kubetui.sim.resources import ResourceDef
from kubetui.sim.state import parse_time

Obj = dict[str, Any]
Cells = list[Any]

INCLUDE_OBJECT = ("Metadata", "Object", "None")

#: descriptions are the k8s.io/api field docs kube-apiserver v1.37 serves (the e2e control
#: plane's Tables), so the columnDefinitions compare equal
_NAME_DOC = (
    "Name must be unique within a namespace. Is required when creating resources, although "
    "some resources may allow a client to request the generation of an appropriate name "
    "automatically. Name is primarily intended for creation idempotence and configuration "
    "definition. Cannot be updated. More info: "
    "https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names"
)
_AGE_DOC = (
    "CreationTimestamp is a timestamp representing the server time when this object was "
    "created. It is not guaranteed to be set in happens-before order across separate "
    "operations. Clients may not set this value. It is represented in RFC3339 form and is in "
    "UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: "
    "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md"
    "#metadata"
)


def _col(
    name: str, type_: str = "string", *, priority: int = 0, fmt: str = "", doc: str = ""
) -> Obj:
    return {"name": name, "type": type_, "format": fmt, "description": doc, "priority": priority}


_NAME = _col("Name", fmt="name", doc=_NAME_DOC)
_AGE = _col("Age", doc=_AGE_DOC)
_TEMPLATE_WIDE = (
    _col("Containers", priority=1, doc="Names of each container in the template."),
    _col("Images", priority=1, doc="Images referenced by each container in the template."),
)
_SELECTOR = _col("Selector", priority=1, doc="Label selector for pods.")

COLUMNS: dict[str, list[Obj]] = {
    "pods": [
        _NAME,
        _col("Ready", doc="The aggregate readiness state of this pod for accepting traffic."),
        _col("Status", doc="The aggregate status of the containers in this pod."),
        _col(
            "Restarts",
            doc="The number of times the containers in this pod have been restarted and when "
            "the last container in this pod has restarted.",
        ),
        _AGE,
        _col(
            "IP",
            priority=1,
            doc="podIP address allocated to the pod. Routable at least within the cluster. "
            "Empty if not yet allocated.",
        ),
        _col(
            "Node",
            priority=1,
            doc="NodeName indicates in which node this pod is scheduled. If empty, this pod is "
            "a candidate for scheduling by the scheduler defined in schedulerName. Once this "
            "field is set, the kubelet for this node becomes responsible for the lifecycle of "
            "this pod. This field should not be used to express a desire for the pod to be "
            "scheduled on a specific node. "
            "https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/#nodename",
        ),
        _col(
            "Nominated Node",
            priority=1,
            doc="nominatedNodeName is set only when this pod preempts other pods on the node, "
            "but it cannot be scheduled right away as preemption victims receive their "
            "graceful termination periods. This field does not guarantee that the pod will be "
            "scheduled on this node. Scheduler may decide to place the pod elsewhere if other "
            "nodes become available sooner. Scheduler may also decide to give the resources on "
            "this node to a higher priority pod that is created after preemption. As a result, "
            "this field may be different than PodSpec.nodeName when the pod is scheduled.",
        ),
        _col(
            "Readiness Gates",
            priority=1,
            doc="If specified, all readiness gates will be evaluated for pod readiness. A pod "
            "is ready when all its containers are ready AND all conditions specified in the "
            'readiness gates have status equal to "True" More info: '
            "https://git.k8s.io/enhancements/keps/sig-network/580-pod-readiness-gates",
        ),
    ],
    "events": [
        _col(
            "Last Seen",
            doc="The time at which the most recent occurrence of this event was recorded.",
        ),
        _col(
            "Type",
            doc="Type of this event (Normal, Warning), new types could be added in the future",
        ),
        _col(
            "Reason",
            doc="A short, machine understandable reason for the transition.",
        ),
        _col("Object", doc="The object that this event is about."),
        _col(
            "Subobject",
            priority=1,
            doc="The part of the object the event is about (a field path).",
        ),
        _col("Source", priority=1, doc="The component reporting this event."),
        _col("Message", doc="A human-readable description of the status of this operation."),
        _col("First Seen", priority=1, doc="The time at which the event was first recorded."),
        _col("Count", priority=1, doc="The number of times this event has occurred."),
        _col("Name", priority=1, fmt="name", doc=_NAME_DOC),
    ],
    "nodes": [
        _NAME,
        _col("Status", doc="The status of the node"),
        _col("Roles", doc="The roles of the node"),
        _AGE,
        _col("Version", doc="Kubelet Version reported by the node."),
        _col("Internal-IP", priority=1, doc="List of addresses reachable to the node."),
        _col("External-IP", priority=1, doc="List of addresses reachable to the node."),
        _col("OS-Image", priority=1, doc="OS Image reported by the node from /etc/os-release."),
        _col("Kernel-Version", priority=1, doc="Kernel Version reported by the node."),
        _col("Container-Runtime", priority=1, doc="ContainerRuntime Version reported by the node."),
    ],
    "namespaces": [_NAME, _col("Status", doc="The status of the namespace"), _AGE],
    "configmaps": [_NAME, _col("Data", doc="Data contains the configuration data."), _AGE],
    "secrets": [
        _NAME,
        _col("Type", doc="Used to facilitate programmatic handling of secret data."),
        _col("Data", doc="Data contains the secret data."),
        _AGE,
    ],
    "deployments": [
        _NAME,
        _col("Ready", doc="Number of the pod with ready state"),
        _col(
            "Up-to-date",
            "integer",
            doc="Pods of this deployment that have the desired template spec.",
        ),
        _col(
            "Available",
            "integer",
            doc="Pods of this deployment ready for at least minReadySeconds.",
        ),
        _AGE,
        *_TEMPLATE_WIDE,
        _SELECTOR,
    ],
    "replicasets": [
        _NAME,
        _col("Desired", "integer", doc="Number of desired pods."),
        _col(
            "Current", "integer", doc="Replicas is the most recently observed number of replicas."
        ),
        _col("Ready", "integer", doc="The number of ready replicas for this replica set."),
        _AGE,
        *_TEMPLATE_WIDE,
        _SELECTOR,
    ],
    "statefulsets": [
        _NAME,
        _col("Ready", doc="Number of the pod with ready state"),
        _AGE,
        *_TEMPLATE_WIDE,
    ],
    "daemonsets": [
        _NAME,
        _col(
            "Desired",
            "integer",
            doc="The total number of nodes that should be running the daemon pod (including "
            "nodes correctly running the daemon pod). More info: "
            "https://kubernetes.io/docs/concepts/workloads/controllers/daemonset/",
        ),
        _col(
            "Current",
            "integer",
            doc="The number of nodes that are running at least 1 daemon pod and are supposed "
            "to run the daemon pod. More info: "
            "https://kubernetes.io/docs/concepts/workloads/controllers/daemonset/",
        ),
        _col(
            "Ready",
            "integer",
            doc="numberReady is the number of nodes that should be running the daemon pod and "
            "have one or more of the daemon pod running with a Ready Condition.",
        ),
        _col(
            "Up-to-date",
            "integer",
            doc="The total number of nodes that are running updated daemon pod",
        ),
        _col(
            "Available",
            "integer",
            doc="The number of nodes that should be running the daemon pod and have one or "
            "more of the daemon pod running and available (ready for at least "
            "spec.minReadySeconds)",
        ),
        _col(
            "Node Selector",
            doc="NodeSelector is a selector which must be true for the pod to fit on a node. "
            "Selector which must match a node's labels for the pod to be scheduled on that "
            "node. More info: "
            "https://kubernetes.io/docs/concepts/configuration/assign-pod-node/",
        ),
        _AGE,
        *_TEMPLATE_WIDE,
        _col(
            "Selector",
            priority=1,
            doc="A label query over pods that are managed by the daemon set. Must match in "
            "order to be controlled. It must match the pod template's labels. More info: "
            "https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/"
            "#label-selectors",
        ),
    ],
    "jobs": [
        _NAME,
        _col("Status", doc="Status of the job."),
        _col("Completions", doc="The completion status of the job."),
        _col("Duration", doc="Time required to complete the job."),
        _AGE,
        *_TEMPLATE_WIDE,
        _SELECTOR,
    ],
}
#: CRDs without additionalPrinterColumns (apiextensions tableconvertor)
DEFAULT_COLUMNS = [_NAME, _col("Age", "date", doc=_AGE_DOC)]


def columns_for(rdef: ResourceDef) -> list[Obj]:
    return COLUMNS.get(rdef.plural, DEFAULT_COLUMNS)


class _MetaOnly(msgspec.Struct):
    metadata: msgspec.Raw = msgspec.Raw(b"{}")


_meta_decoder = msgspec.json.Decoder(_MetaOnly)
_pod_decoder = msgspec.json.Decoder(Pod)


def metadata_raw(data: bytes) -> bytes:
    """The object's ``metadata`` JSON, sliced out without decoding the rest."""
    return bytes(_meta_decoder.decode(data).metadata)


def partial_object(data: bytes, version: str = "v1") -> bytes:
    """``PartialObjectMetadata`` of a stored object (kind/apiVersion set)."""
    return (
        b'{"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/'
        + version.encode()
        + b'","metadata":'
        + metadata_raw(data)
        + b"}"
    )


def with_type_meta(rdef: ResourceDef, data: bytes) -> bytes:
    """A stored object's bytes with ``kind``/``apiVersion`` spliced in front."""
    head = f'{{"kind":"{rdef.kind}","apiVersion":"{rdef.api_version}"'.encode()
    return head + (b"}" if data == b"{}" else b"," + data[1:])


def row_bytes(rdef: ResourceDef, data: bytes, now: datetime, include: str, version: str) -> bytes:
    """One Table row: cells, Completed conditions for finished pods, and the object."""
    cells, conditions = _cells(rdef, data, now)
    out = b'{"cells":' + msgspec.json.encode(cells)
    if conditions:
        out += b',"conditions":' + msgspec.json.encode(conditions)
    if include == "None":
        obj = b"null"
    elif include == "Object":
        obj = with_type_meta(rdef, data)
    else:
        obj = partial_object(data, version)
    return out + b',"object":' + obj + b"}"


def _cells(rdef: ResourceDef, data: bytes, now: datetime) -> tuple[Cells, list[Obj] | None]:
    if rdef.plural == "pods":
        return _pod_cells(data, now)
    obj = msgspec.json.decode(data)
    printer = _PRINTERS.get(rdef.plural, _default_cells)
    return printer(obj, now), None


def _pod_cells(data: bytes, now: datetime) -> tuple[Cells, list[Obj] | None]:
    try:
        pod = _pod_decoder.decode(data)
    except msgspec.ValidationError:
        converted, _ = lenient_convert(msgspec.json.decode(data), Pod)
        pod = converted or Pod()
    c = pod_columns(pod, now)
    cells: Cells = [
        c.name,
        c.ready,
        c.status,
        c.restarts,
        c.age,
        c.ip,
        c.node,
        c.nominated_node,
        c.readiness_gates,
    ]
    phase = pod.status.phase if pod.status else None
    if phase in COMPLETED_ROW_MESSAGES:
        condition = {
            "type": "Completed",
            "status": "True",
            "reason": phase,
            "message": COMPLETED_ROW_MESSAGES[phase],
        }
        return cells, [condition]
    return cells, None


def _age(obj: Obj, now: datetime) -> str:
    return translate_timestamp_since(parse_time(_meta(obj).get("creationTimestamp")), now)


def _meta(obj: Obj) -> Obj:
    return obj.get("metadata") or {}


def _default_cells(obj: Obj, now: datetime) -> Cells:
    return [_meta(obj).get("name", ""), _age(obj, now)]


def _event_cells(obj: Obj, now: datetime) -> Cells:
    """printEvent: series and eventTime fallbacks, ``kind/name`` target, count ≥ 1."""
    first = parse_time(obj.get("firstTimestamp"))
    first_text = translate_timestamp_since(first or parse_time(obj.get("eventTime")), now)
    last = parse_time(obj.get("lastTimestamp"))
    last_text = translate_timestamp_since(last, now) if last else first_text
    count = int(obj.get("count") or 0)
    series = obj.get("series")
    if series:
        last_text = translate_timestamp_since(parse_time(series.get("lastObservedTime")), now)
        count = int(series.get("count") or 0)
    elif count == 0:
        count = 1
    inv = obj.get("involvedObject") or {}
    kind = (inv.get("kind") or "").lower()
    target = f"{kind}/{inv['name']}" if inv.get("name") else kind
    source = obj.get("source") or {}
    component = source.get("component") or obj.get("reportingComponent") or ""
    host = source.get("host") or obj.get("reportingInstance") or ""
    return [
        last_text,
        obj.get("type", ""),
        obj.get("reason", ""),
        target,
        inv.get("fieldPath", ""),
        f"{component}, {host}" if host else component,
        (obj.get("message") or "").strip(),
        first_text,
        count,
        _meta(obj).get("name", ""),
    ]


def _node_cells(obj: Obj, now: datetime) -> Cells:
    status = obj.get("status") or {}
    states = []
    for cond in status.get("conditions") or []:
        if cond.get("type") == "Ready":
            states.append("Ready" if cond.get("status") == "True" else "NotReady")
    if not states:
        states.append("Unknown")
    if (obj.get("spec") or {}).get("unschedulable"):
        states.append("SchedulingDisabled")
    roles = set()
    for key, value in (_meta(obj).get("labels") or {}).items():
        if key.startswith("node-role.kubernetes.io/") and key[24:]:
            roles.add(key[24:])
        elif key == "kubernetes.io/role" and value:
            roles.add(value)
    info = status.get("nodeInfo") or {}
    internal = next(
        (a.get("address") for a in status.get("addresses") or [] if a.get("type") == "InternalIP"),
        "<none>",
    )
    external = next(
        (a.get("address") for a in status.get("addresses") or [] if a.get("type") == "ExternalIP"),
        "<none>",
    )
    return [
        _meta(obj).get("name", ""),
        ",".join(states),
        ",".join(sorted(roles)) or "<none>",
        _age(obj, now),
        info.get("kubeletVersion", ""),
        internal,
        external,
        info.get("osImage") or "<unknown>",
        info.get("kernelVersion") or "<unknown>",
        info.get("containerRuntimeVersion") or "<unknown>",
    ]


def _template_cells(obj: Obj) -> Cells:
    pod_spec = ((obj.get("spec") or {}).get("template") or {}).get("spec") or {}
    containers = pod_spec.get("containers") or []
    return [
        ",".join(c.get("name", "") for c in containers),
        ",".join(c.get("image", "") for c in containers),
    ]


def format_selector(selector: Obj | None) -> str:
    """metav1.FormatLabelSelector: ``k=v`` terms, then ``k in (a,b)``; none = ``<none>``."""
    if not selector:
        return "<none>"
    terms = [f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for expr in selector.get("matchExpressions") or []:
        op = {"In": "in", "NotIn": "notin"}.get(expr.get("operator", ""))
        key = expr.get("key", "")
        if op:
            terms.append(f"{key} {op} ({','.join(sorted(expr.get('values') or []))})")
        elif expr.get("operator") == "Exists":
            terms.append(key)
        else:
            terms.append(f"!{key}")
    return ",".join(terms) or "<none>"


def _spec_status(obj: Obj) -> tuple[Obj, Obj]:
    return obj.get("spec") or {}, obj.get("status") or {}


def _deployment_cells(obj: Obj, now: datetime) -> Cells:
    spec, status = _spec_status(obj)
    return [
        _meta(obj).get("name", ""),
        f"{status.get('readyReplicas', 0)}/{spec.get('replicas', 1)}",
        int(status.get("updatedReplicas") or 0),
        int(status.get("availableReplicas") or 0),
        _age(obj, now),
        *_template_cells(obj),
        format_selector(spec.get("selector")),
    ]


def _replicaset_cells(obj: Obj, now: datetime) -> Cells:
    spec, status = _spec_status(obj)
    return [
        _meta(obj).get("name", ""),
        int(spec.get("replicas", 1)),
        int(status.get("replicas") or 0),
        int(status.get("readyReplicas") or 0),
        _age(obj, now),
        *_template_cells(obj),
        format_selector(spec.get("selector")),
    ]


def _statefulset_cells(obj: Obj, now: datetime) -> Cells:
    spec, status = _spec_status(obj)
    return [
        _meta(obj).get("name", ""),
        f"{status.get('readyReplicas', 0)}/{spec.get('replicas', 1)}",
        _age(obj, now),
        *_template_cells(obj),
    ]


def _daemonset_cells(obj: Obj, now: datetime) -> Cells:
    """printDaemonSet: the five counts, the template's node selector, the wide columns."""
    spec, status = _spec_status(obj)
    selector = ((spec.get("template") or {}).get("spec") or {}).get("nodeSelector") or {}
    return [
        _meta(obj).get("name", ""),
        int(status.get("desiredNumberScheduled") or 0),
        int(status.get("currentNumberScheduled") or 0),
        int(status.get("numberReady") or 0),
        int(status.get("updatedNumberScheduled") or 0),
        int(status.get("numberAvailable") or 0),
        ",".join(f"{k}={v}" for k, v in sorted(selector.items())) or "<none>",
        _age(obj, now),
        *_template_cells(obj),
        format_selector(spec.get("selector")),
    ]


def _job_cells(obj: Obj, now: datetime) -> Cells:
    spec, status = _spec_status(obj)
    state = "Running"
    for cond in status.get("conditions") or []:
        if cond.get("status") == "True" and cond.get("type") in ("Complete", "Failed", "Suspended"):
            state = cond["type"]
    completions = spec.get("completions")
    done = f"{status.get('succeeded', 0)}/{completions if completions is not None else 1}"
    start = parse_time(status.get("startTime"))
    end = parse_time(status.get("completionTime")) or now
    duration = translate_timestamp_since(start, end) if start else ""
    return [
        _meta(obj).get("name", ""),
        state,
        done,
        duration,
        _age(obj, now),
        *_template_cells(obj),
        format_selector(spec.get("selector")),
    ]


def _configmap_cells(obj: Obj, now: datetime) -> Cells:
    count = len(obj.get("data") or {}) + len(obj.get("binaryData") or {})
    return [_meta(obj).get("name", ""), count, _age(obj, now)]


def _secret_cells(obj: Obj, now: datetime) -> Cells:
    return [
        _meta(obj).get("name", ""),
        obj.get("type", ""),
        len(obj.get("data") or {}),
        _age(obj, now),
    ]


def _namespace_cells(obj: Obj, now: datetime) -> Cells:
    return [_meta(obj).get("name", ""), (obj.get("status") or {}).get("phase", ""), _age(obj, now)]


_PRINTERS: dict[str, Callable[[Obj, datetime], Cells]] = {
    "events": _event_cells,
    "nodes": _node_cells,
    "namespaces": _namespace_cells,
    "configmaps": _configmap_cells,
    "secrets": _secret_cells,
    "deployments": _deployment_cells,
    "replicasets": _replicaset_cells,
    "statefulsets": _statefulset_cells,
    "daemonsets": _daemonset_cells,
    "jobs": _job_cells,
}


def table_head(rdef: ResourceDef, list_meta: bytes, version: str, with_columns: bool) -> bytes:
    """Everything of a Table up to the opening of ``rows``."""
    cols = msgspec.json.encode(columns_for(rdef)) if with_columns else b"null"
    return (
        b'{"kind":"Table","apiVersion":"meta.k8s.io/'
        + version.encode()
        + b'","metadata":'
        + list_meta
        + b',"columnDefinitions":'
        + cols
        + b',"rows":['
    )
