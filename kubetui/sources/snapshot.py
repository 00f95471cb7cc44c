"""One consistent read of the pods and nodes a user may see: the headless live input.

Scope like kubectl: all namespaces, or the ones named. A user who may not list pods
cluster-wide falls back to the namespaces they can list (and each refused namespace is
named in a notice); a user who may not list nodes still gets a report, with nodes unknown
(so Burstable ``oom_score_adj`` and ``orphaned`` are not decided rather than guessed).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from kubetui.model.decode import decode_node_page, decode_pod_page
from kubetui.model.records import Node, Pod
from kubetui.sources.kube_client import KubeClient, KubeError
from kubetui.sources.kube_list import list_all

#: Only names are needed from the namespace list.
_NAMESPACES_PATH = "/api/v1/namespaces"


@dataclass(slots=True)
class Snapshot:
    pods: list[Pod]
    #: ``None`` when the node list could not be read (forbidden).
    nodes: list[Node] | None
    notices: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def namespace_names(kube: KubeClient) -> list[str]:
    listed = list_all(kube, _NAMESPACES_PATH, decode_pod_page)  # metadata.name is all we read
    return sorted(p.metadata.name for p in listed.items if p.metadata.name)


def _pods_in(kube: KubeClient, namespaces: Sequence[str], snap: Snapshot) -> None:
    for namespace in namespaces:
        try:
            listed = list_all(kube, f"/api/v1/namespaces/{namespace}/pods", decode_pod_page)
        except KubeError as exc:
            if exc.status != 403:
                raise
            snap.notices.append(f"namespace {namespace}: {exc}")
            continue
        snap.pods.extend(listed.items)
        snap.errors.extend(listed.errors)


def take_snapshot(kube: KubeClient, namespaces: Sequence[str] | None = None) -> Snapshot:
    """LIST pods (all namespaces, or ``namespaces``) and nodes once.

    Raises :class:`KubeError` when nothing at all can be read.
    """
    snap = Snapshot(pods=[], nodes=None)
    if namespaces:
        _pods_in(kube, namespaces, snap)
        if len(snap.notices) == len(namespaces):
            raise KubeError(snap.notices[0], 403)
    else:
        try:
            listed = list_all(kube, "/api/v1/pods", decode_pod_page)
            snap.pods.extend(listed.items)
            snap.errors.extend(listed.errors)
        except KubeError as exc:
            if exc.status != 403:
                raise
            snap.notices.append(f"{exc}; falling back to the namespaces you can list")
            try:
                names = namespace_names(kube)
            except KubeError as ns_exc:
                if ns_exc.status != 403 or not kube.namespace:
                    raise KubeError(f"{exc} (and namespaces cannot be listed)", 403) from None
                names = [kube.namespace]
            _pods_in(kube, names, snap)
    try:
        nodes = list_all(kube, "/api/v1/nodes", decode_node_page)
        snap.nodes = nodes.items
        snap.errors.extend(nodes.errors)
    except KubeError as exc:
        if exc.status != 403:
            raise
        snap.notices.append(f"{exc}: node memory (Burstable oom_score_adj) and orphans unknown")
    return snap
