"""The resources the sim serves: names, scopes, verbs, selectable fields, discovery.

One ``ResourceDef`` per served plural drives routing, discovery documents, field
selectors and the empty objects used for BOOKMARK events. The entries mirror what a
1.32 kube-apiserver publishes in discovery (kubernetes/kubernetes
``api/discovery/api__v1.json``, ``apis__apps__v1.json``, ``apis__batch__v1.json``).
Selectable fields follow kubernetes/kubernetes ``pkg/apis/core/v1/conversion.go`` (the
field labels each kind accepts) and the registries' ``ToSelectableFields``
(``pkg/registry/core/pod/strategy.go``, ``event/strategy.go``, ``node/strategy.go``,
``namespace/strategy.go``, ``secret/strategy.go``) at master 2026-07.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Obj = dict[str, Any]
FieldsFn = Callable[[Obj], dict[str, str]]

_RW = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
_RO = ("get", "list")


def _get(obj: Obj, *path: str) -> Any:
    for part in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(part)  # type: ignore[assignment]
    return obj


def _meta_fields(obj: Obj) -> dict[str, str]:
    """generic.ObjectMetaFieldsSet: every kind selects on name (and namespace)."""
    meta = obj.get("metadata") or {}
    out = {"metadata.name": meta.get("name") or ""}
    if "namespace" in meta:
        out["metadata.namespace"] = meta.get("namespace") or ""
    return out


def _bool(value: Any) -> str:
    return "true" if value else "false"


def _pod_fields(obj: Obj) -> dict[str, str]:
    """pod/strategy.go ToSelectableFields: status.podIP is the first podIPs entry."""
    spec = obj.get("spec") or {}
    status = obj.get("status") or {}
    ips = status.get("podIPs") or []
    out = _meta_fields(obj)
    out.update(
        {
            "spec.nodeName": spec.get("nodeName") or "",
            "spec.restartPolicy": spec.get("restartPolicy") or "",
            "spec.schedulerName": spec.get("schedulerName") or "",
            "spec.serviceAccountName": spec.get("serviceAccountName") or "",
            "spec.hostNetwork": _bool(spec.get("hostNetwork")),
            "status.phase": status.get("phase") or "",
            "status.podIP": (ips[0].get("ip") or "") if ips else (status.get("podIP") or ""),
            "status.nominatedNodeName": status.get("nominatedNodeName") or "",
        }
    )
    return out


def _event_fields(obj: Obj) -> dict[str, str]:
    """event/strategy.go ToSelectableFields; ``source`` falls back to reportingComponent."""
    inv = obj.get("involvedObject") or {}
    source = _get(obj, "source", "component") or obj.get("reportingComponent") or ""
    out = _meta_fields(obj)
    for key in ("kind", "namespace", "name", "uid", "apiVersion", "resourceVersion", "fieldPath"):
        out[f"involvedObject.{key}"] = inv.get(key) or ""
    out.update(
        {
            "reason": obj.get("reason") or "",
            "reportingComponent": obj.get("reportingComponent") or "",
            "source": source,
            "type": obj.get("type") or "",
        }
    )
    return out


def _node_fields(obj: Obj) -> dict[str, str]:
    out = _meta_fields(obj)
    out["spec.unschedulable"] = _bool(_get(obj, "spec", "unschedulable"))
    return out


def _namespace_fields(obj: Obj) -> dict[str, str]:
    out = _meta_fields(obj)
    out["status.phase"] = _get(obj, "status", "phase") or ""
    return out


def _secret_fields(obj: Obj) -> dict[str, str]:
    out = _meta_fields(obj)
    out["type"] = obj.get("type") or ""
    return out


@dataclass(frozen=True, slots=True)
class Subresource:
    name: str
    kind: str
    verbs: tuple[str, ...]
    group: str | None = None  # set when the subresource's kind lives in another group
    version: str | None = None


@dataclass(frozen=True, slots=True)
class ResourceDef:
    plural: str
    singular: str
    kind: str
    group: str
    version: str
    namespaced: bool
    verbs: tuple[str, ...] = _RW
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    subresources: tuple[Subresource, ...] = ()
    #: field labels accepted in fieldSelector (besides the meta ones); None = meta only
    field_labels: tuple[str, ...] | None = None
    #: legacy field label aliases (``spec.host`` → ``spec.nodeName``)
    field_aliases: dict[str, str] = field(default_factory=dict)
    fields_fn: FieldsFn = _meta_fields
    #: events are not watch-cached (default_storage_factory_builder.go): etcd semantics
    watch_cached: bool = True
    #: served from the state (False for computed metrics)
    stored: bool = True
    #: the zero-valued body Go serializes for an empty object of this kind (bookmarks)
    empty_body: dict[str, Any] = field(default_factory=dict)

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def list_kind(self) -> str:
        return f"{self.kind}List"

    def check_field_label(self, label: str) -> str:
        """The label to match, or ValueError with apiserver's exact text."""
        label = self.field_aliases.get(label, label)
        if self.field_labels is None:
            if label in ("metadata.name", "metadata.namespace"):
                return label
            # runtime.DefaultMetaV1FieldSelectorConversion (apimachinery)
            raise ValueError(
                f'"{label}" is not a known field selector: only "metadata.name", '
                f'"metadata.namespace"'
            )
        if label in self.field_labels:
            return label
        raise ValueError(f"field label not supported: {label}")


_POD_EMPTY = {"spec": {"containers": None}, "status": {}}

RESOURCES: tuple[ResourceDef, ...] = (
    ResourceDef(
        "pods",
        "pod",
        "Pod",
        "",
        "v1",
        True,
        short_names=("po",),
        categories=("all",),
        subresources=(
            Subresource("eviction", "Eviction", ("create",), "policy", "v1"),
            Subresource("log", "Pod", ("get",)),
            Subresource("status", "Pod", ("get", "patch", "update")),
        ),
        field_labels=(
            "metadata.name",
            "metadata.namespace",
            "spec.nodeName",
            "spec.restartPolicy",
            "spec.schedulerName",
            "spec.serviceAccountName",
            "spec.hostNetwork",
            "status.phase",
            "status.podIP",
            "status.podIPs",
            "status.nominatedNodeName",
        ),
        field_aliases={"spec.host": "spec.nodeName"},
        fields_fn=_pod_fields,
        empty_body=_POD_EMPTY,
    ),
    ResourceDef(
        "nodes",
        "node",
        "Node",
        "",
        "v1",
        False,
        short_names=("no",),
        subresources=(Subresource("status", "Node", ("get", "patch", "update")),),
        field_labels=("metadata.name", "spec.unschedulable"),
        fields_fn=_node_fields,
        empty_body={"spec": {}, "status": {"daemonEndpoints": {"kubeletEndpoint": {"Port": 0}}}},
    ),
    ResourceDef(
        "namespaces",
        "namespace",
        "Namespace",
        "",
        "v1",
        False,
        verbs=("create", "delete", "get", "list", "patch", "update", "watch"),
        short_names=("ns",),
        subresources=(Subresource("status", "Namespace", ("get", "patch", "update")),),
        field_labels=("metadata.name", "status.phase"),
        fields_fn=_namespace_fields,
        empty_body={"spec": {}, "status": {}},
    ),
    ResourceDef(
        "events",
        "event",
        "Event",
        "",
        "v1",
        True,
        short_names=("ev",),
        field_labels=(
            "involvedObject.kind",
            "involvedObject.namespace",
            "involvedObject.name",
            "involvedObject.uid",
            "involvedObject.apiVersion",
            "involvedObject.resourceVersion",
            "involvedObject.fieldPath",
            "reason",
            "reportingComponent",
            "source",
            "type",
            "metadata.namespace",
            "metadata.name",
        ),
        fields_fn=_event_fields,
        watch_cached=False,
        empty_body={
            "involvedObject": {},
            "source": {},
            "firstTimestamp": None,
            "lastTimestamp": None,
            "eventTime": None,
            "reportingComponent": "",
            "reportingInstance": "",
        },
    ),
    ResourceDef("configmaps", "configmap", "ConfigMap", "", "v1", True, short_names=("cm",)),
    ResourceDef(
        "secrets",
        "secret",
        "Secret",
        "",
        "v1",
        True,
        field_labels=("type", "metadata.namespace", "metadata.name"),
        fields_fn=_secret_fields,
    ),
    ResourceDef(
        "deployments",
        "deployment",
        "Deployment",
        "apps",
        "v1",
        True,
        short_names=("deploy",),
        categories=("all",),
        subresources=(Subresource("status", "Deployment", ("get", "patch", "update")),),
        empty_body={
            "spec": {
                "selector": None,
                "template": {"metadata": {"creationTimestamp": None}, "spec": {"containers": None}},
                "strategy": {},
            },
            "status": {},
        },
    ),
    ResourceDef(
        "replicasets",
        "replicaset",
        "ReplicaSet",
        "apps",
        "v1",
        True,
        short_names=("rs",),
        categories=("all",),
        subresources=(Subresource("status", "ReplicaSet", ("get", "patch", "update")),),
        empty_body={"spec": {"selector": None, "template": {}}, "status": {"replicas": 0}},
    ),
    ResourceDef(
        "statefulsets",
        "statefulset",
        "StatefulSet",
        "apps",
        "v1",
        True,
        short_names=("sts",),
        categories=("all",),
        subresources=(Subresource("status", "StatefulSet", ("get", "patch", "update")),),
        empty_body={
            "spec": {
                "selector": None,
                "template": {"metadata": {"creationTimestamp": None}, "spec": {"containers": None}},
                "serviceName": "",
                "updateStrategy": {},
            },
            "status": {"replicas": 0, "availableReplicas": 0},
        },
    ),
    ResourceDef(
        "daemonsets",
        "daemonset",
        "DaemonSet",
        "apps",
        "v1",
        True,
        short_names=("ds",),
        categories=("all",),
        subresources=(Subresource("status", "DaemonSet", ("get", "patch", "update")),),
        empty_body={
            "spec": {
                "selector": None,
                "template": {"metadata": {}, "spec": {"containers": None}},
                "updateStrategy": {},
            },
            "status": {
                "currentNumberScheduled": 0,
                "numberMisscheduled": 0,
                "desiredNumberScheduled": 0,
                "numberReady": 0,
            },
        },
    ),
    ResourceDef(
        "jobs",
        "job",
        "Job",
        "batch",
        "v1",
        True,
        categories=("all",),
        subresources=(Subresource("status", "Job", ("get", "patch", "update")),),
        empty_body={
            "spec": {
                "template": {"metadata": {"creationTimestamp": None}, "spec": {"containers": None}}
            },
            "status": {},
        },
    ),
    ResourceDef(
        "kuberopipelines",
        "kuberopipeline",
        "KuberoPipeline",
        "kubero.dev",
        "v1alpha1",
        True,
        verbs=("delete", "deletecollection", "get", "list", "patch", "create", "update", "watch"),
        short_names=("kp",),
        subresources=(Subresource("status", "KuberoPipeline", ("get", "patch", "update")),),
    ),
    ResourceDef(
        "metrics-pods",
        "",
        "PodMetrics",
        "metrics.k8s.io",
        "v1beta1",
        True,
        verbs=_RO,
        stored=False,
    ),
    ResourceDef(
        "metrics-nodes",
        "",
        "NodeMetrics",
        "metrics.k8s.io",
        "v1beta1",
        False,
        verbs=_RO,
        stored=False,
    ),
    # Answered from the deny rules, never stored (kubernetes/kubernetes
    # api/discovery/apis__authorization.k8s.io__v1.json @ v1.37.2 for the entry).
    ResourceDef(
        "selfsubjectaccessreviews",
        "selfsubjectaccessreview",
        "SelfSubjectAccessReview",
        "authorization.k8s.io",
        "v1",
        False,
        verbs=("create",),
        stored=False,
    ),
)

#: stored resources by the plural the state API uses
BY_PLURAL: dict[str, ResourceDef] = {r.plural: r for r in RESOURCES if r.stored}


def url_name(rdef: ResourceDef) -> str:
    """The plural as it appears in URLs (metrics kinds share pods/nodes names)."""
    return rdef.plural.removeprefix("metrics-")


#: (group, version, url plural) → definition, for routing
BY_PATH: dict[tuple[str, str, str], ResourceDef] = {
    (r.group, r.version, url_name(r)): r for r in RESOURCES
}


def group_versions() -> list[tuple[str, str]]:
    """Served (group, version) pairs in discovery order, core first."""
    seen: list[tuple[str, str]] = []
    for r in RESOURCES:
        if (r.group, r.version) not in seen:
            seen.append((r.group, r.version))
    return seen


def api_resource_list(group: str, version: str) -> dict[str, Any]:
    """APIResourceList for ``/api/v1`` or ``/apis/{group}/{version}``."""
    resources: list[dict[str, Any]] = []
    for r in RESOURCES:
        if (r.group, r.version) != (group, version):
            continue
        entry: dict[str, Any] = {
            "name": url_name(r),
            "singularName": r.singular,
            "namespaced": r.namespaced,
            "kind": r.kind,
            "verbs": list(r.verbs),
        }
        if r.short_names:
            entry["shortNames"] = list(r.short_names)
        if r.categories:
            entry["categories"] = list(r.categories)
        resources.append(entry)
        for sub in r.subresources:
            sub_entry: dict[str, Any] = {
                "name": f"{url_name(r)}/{sub.name}",
                "singularName": "",
                "namespaced": r.namespaced,
            }
            if sub.group is not None:
                sub_entry["group"] = sub.group
                sub_entry["version"] = sub.version
            sub_entry["kind"] = sub.kind
            sub_entry["verbs"] = list(sub.verbs)
            resources.append(sub_entry)
    resources.sort(key=lambda e: e["name"])
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": f"{group}/{version}" if group else version,
        "resources": resources,
    }


def api_group_list() -> dict[str, Any]:
    """APIGroupList for ``/apis`` (only the groups the sim serves)."""
    groups = []
    for group, version in group_versions():
        if not group:
            continue
        gv = {"groupVersion": f"{group}/{version}", "version": version}
        groups.append({"name": group, "versions": [gv], "preferredVersion": gv})
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def api_versions(server_address: str) -> dict[str, Any]:
    """APIVersions for ``/api``."""
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [
            {"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}
        ],
    }


def lookup(resource: str) -> ResourceDef:
    """The stored resource for a state-API plural; KeyError names the unknown plural."""
    try:
        return BY_PLURAL[resource]
    except KeyError:
        raise KeyError(f"unknown resource {resource!r}") from None
