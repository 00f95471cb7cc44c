"""One consistent read of the pods and nodes a user may see: the headless live input.

Scope like kubectl: all namespaces, or the ones named. A user who may not list pods
cluster-wide falls back to the namespaces they can list (and each refused namespace is
named in a notice); a user who may not list nodes still gets a report, with nodes unknown
(so Burstable ``oom_score_adj`` and ``orphaned`` are not decided rather than guessed).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from kubetui.model.decode import Page, decode_node_page, decode_pod_page
from kubetui.model.records import Node, Pod
from kubetui.sources.kube_client import KubeClient, KubeError
from kubetui.sources.kube_list import list_all
from kubetui.sources.watch_decode import Compactor

#: Only names are needed from the namespace list.
_NAMESPACES_PATH = "/api/v1/namespaces"


@dataclass(slots=True)
class Snapshot:
    pods: list[Pod]
    #: ``None`` when the node list could not be read (forbidden).
    nodes: list[Node] | None
    notices: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


#: Items per LIST page of the one-shot read. kubectl asks for 500 (``--chunk-size``); the
#: dashboard's reflector 1000. Any size gives the same items: a paged LIST is served at
#: the resourceVersion of its first page (and restarts unpaged if a continue token
#: expires: ``kube_list``). Each request costs the server a round trip of its own, so
#: fewer pages list faster; each page's body (~15 MB for 2000 sim pods) and its
#: records before compaction are transient memory. Measured on the sim at 50k pods (2
#: loaded cores, bench/README.md), with the next page fetched ahead (since dropped,
#: ``kube_list``): 1000 → 5.4–5.7 s and 157 MB peak, 2000 → 3.9–4.0 s and 197 MB, 5000 →
#: 3.3–5.8 s and 264 MB.
PAGE_SIZE: Final = 2000


def _compacting(
    decode: Callable[[bytes], Page], compact: Callable[[Any], Any]
) -> Callable[[bytes], Page]:
    """``decode`` whose records are compacted page by page, as the dashboard's reflector
    does: equal labels, images, resource maps and timestamps become one object, so 50k
    pods hold ~130 MB instead of ~290 MB, and the page's own copies go with its body
    instead of all living until the report is written."""

    def page(body: bytes) -> Page:
        decoded = decode(body)
        decoded.items[:] = map(compact, decoded.items)
        return decoded

    return page


def namespace_names(kube: KubeClient) -> list[str]:
    listed = list_all(kube, _NAMESPACES_PATH, decode_pod_page)  # metadata.name is all we read
    return sorted(p.metadata.name for p in listed.items if p.metadata.name)


def _pods_in(
    kube: KubeClient,
    namespaces: Sequence[str],
    snap: Snapshot,
    decode: Callable[[bytes], Page],
    page_size: int,
) -> None:
    for namespace in namespaces:
        try:
            path = f"/api/v1/namespaces/{namespace}/pods"
            listed = list_all(kube, path, decode, page_size=page_size)
        except KubeError as exc:
            if exc.status != 403:
                raise
            snap.notices.append(f"namespace {namespace}: {exc}")
            continue
        snap.pods.extend(listed.items)
        snap.errors.extend(listed.errors)


def take_snapshot(
    kube: KubeClient, namespaces: Sequence[str] | None = None, *, page_size: int = PAGE_SIZE
) -> Snapshot:
    """LIST pods (all namespaces, or ``namespaces``) and nodes once, into compacted
    records.

    Raises :class:`KubeError` when nothing at all can be read.
    """
    snap = Snapshot(pods=[], nodes=None)
    compactor = Compactor()
    pod_page = _compacting(decode_pod_page, compactor.pod)
    if namespaces:
        _pods_in(kube, namespaces, snap, pod_page, page_size)
        if len(snap.notices) == len(namespaces):
            raise KubeError(snap.notices[0], 403)
    else:
        try:
            listed = list_all(kube, "/api/v1/pods", pod_page, page_size=page_size)
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
            _pods_in(kube, names, snap, pod_page, page_size)
    try:
        node_page = _compacting(decode_node_page, compactor.node)
        nodes = list_all(kube, "/api/v1/nodes", node_page, page_size=page_size)
        snap.nodes = nodes.items
        snap.errors.extend(nodes.errors)
    except KubeError as exc:
        if exc.status != 403:
            raise
        snap.notices.append(f"{exc}: node memory (Burstable oom_score_adj) and orphans unknown")
    return snap
