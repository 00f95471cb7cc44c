"""Pod and node resource usage from ``metrics.k8s.io/v1beta1``, polled when served.

metrics-server (or another metrics API provider) is optional: like ``kubectl top``,
kubetui looks for the group in ``/apis`` first (kubernetes/kubectl
``pkg/cmd/top/top.go`` ``SupportedMetricsAPIVersionAvailable``: the group
``metrics.k8s.io`` listing version ``v1beta1``) and, when it is absent, posts one quiet
update saying so and stops — no error. Shapes from kubernetes/metrics
``pkg/apis/metrics/v1beta1/types.go``: ``PodMetrics.containers[]``
with ``usage`` per container, ``NodeMetrics.usage``; CPU and memory are quantities
(``"2155107n"``, ``"24680Ki"``), read as kubectl does (``MilliValue``/``Value``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Final

import msgspec

from kubetui.model.decode import clean_record
from kubetui.model.inert_text import may_hold_unsafe_text
from kubetui.model.quantity import cpu_millis, memory_bytes
from kubetui.model.records import ObjectMeta, Quantity
from kubetui.model.store import SyncState, Usage
from kubetui.sources.kube_client import KubeClient, KubeError
from kubetui.sources.supervise import Backoff, Poller

SOURCE: Final = "metrics"
GROUP: Final = "metrics.k8s.io"
VERSION: Final = "v1beta1"
_BASE: Final = f"/apis/{GROUP}/{VERSION}"


class MetricsUpdate(msgspec.Struct, kw_only=True):
    """Usage for ``store.set_usage``; ``available`` is False when the API is not served."""

    #: "namespace/name" → container name → usage.
    pods: dict[str, dict[str, Usage]]
    nodes: dict[str, Usage]
    available: bool
    sync: SyncState


class _GroupVersion(msgspec.Struct):
    version: str = ""


class _Group(msgspec.Struct):
    name: str = ""
    versions: tuple[_GroupVersion, ...] = ()


class _GroupList(msgspec.Struct):
    groups: tuple[_Group, ...] = ()


class _ContainerMetrics(msgspec.Struct):
    name: str | None = None
    usage: dict[str, Quantity] | None = None


class _PodMetrics(msgspec.Struct):
    metadata: ObjectMeta | None = None
    containers: tuple[_ContainerMetrics, ...] = ()


class _NodeMetrics(msgspec.Struct):
    metadata: ObjectMeta | None = None
    usage: dict[str, Quantity] | None = None


class _PodMetricsList(msgspec.Struct):
    items: list[_PodMetrics] | None = None


class _NodeMetricsList(msgspec.Struct):
    items: list[_NodeMetrics] | None = None


def metrics_api_available(apis: bytes) -> bool:
    """kubectl's ``SupportedMetricsAPIVersionAvailable`` over an ``/apis`` body: any
    listed version of ``metrics.k8s.io`` equal to ``v1beta1`` (not only the preferred)."""
    groups = msgspec.json.decode(apis, type=_GroupList).groups
    return any(g.name == GROUP and any(v.version == VERSION for v in g.versions) for g in groups)


def _usage(raw: dict[str, Quantity] | None) -> Usage:
    raw = raw or {}
    return Usage(cpu_millis(raw.get("cpu")), memory_bytes(raw.get("memory")))


def decode_pod_metrics(body: bytes) -> dict[str, dict[str, Usage]]:
    """A ``PodMetricsList`` → "namespace/name" → container → usage."""
    items = msgspec.json.decode(body, type=_PodMetricsList).items or []
    if may_hold_unsafe_text(body):
        for item in items:
            clean_record(item)
    return {
        f"{p.metadata.namespace or ''}/{p.metadata.name or ''}": {
            c.name or "": _usage(c.usage) for c in p.containers
        }
        for p in items
        if p.metadata is not None
    }


def decode_node_metrics(body: bytes) -> dict[str, Usage]:
    """A ``NodeMetricsList`` → node name → usage."""
    items = msgspec.json.decode(body, type=_NodeMetricsList).items or []
    return {n.metadata.name: _usage(n.usage) for n in items if n.metadata and n.metadata.name}


class MetricsPoller(Poller[MetricsUpdate]):
    """Polls pod (all namespaces, or ``namespaces``) and node usage every ``interval`` s."""

    NAME = "metrics poll"

    def __init__(
        self,
        kube: KubeClient,
        namespaces: Sequence[str] | None = None,
        *,
        interval: float = 15.0,
        backoff: Backoff | None = None,
    ) -> None:
        super().__init__(interval, backoff=backoff)
        self.kube = kube
        self.namespaces = list(namespaces) if namespaces else None
        self._available: bool | None = None
        self._last: MetricsUpdate | None = None
        self._failing_since: datetime | None = None

    def poll_once(self) -> MetricsUpdate:
        """Read usage now; errors keep the last usage, marked stale."""
        now = datetime.now(UTC)
        try:
            if self._available is None:
                self._available = metrics_api_available(self.kube.get("/apis"))
            if not self._available:
                message = f"{GROUP}/{VERSION} is not served (no metrics-server): usage unknown"
                sync = SyncState(source=SOURCE, phase="absent", since=now, message=message)
                return MetricsUpdate(pods={}, nodes={}, available=False, sync=sync)
            pods = self._pods()
            nodes, notice = self._nodes()
        except (KubeError, msgspec.DecodeError) as exc:
            return self._failed("stale" if self._last is not None else "error", str(exc))
        self._failing_since = None
        sync = SyncState(source=SOURCE, phase="live", since=now, items=len(pods), message=notice)
        self._last = MetricsUpdate(pods=pods, nodes=nodes, available=True, sync=sync)
        return self._last

    def crashed(self, cause: str) -> MetricsUpdate:
        return self._failed("error", cause, stale=self._last is not None)

    def done(self, update: MetricsUpdate) -> bool:
        """Polling stops for good when the API is not served."""
        return not update.available

    def _failed(self, phase: str, message: str, *, stale: bool = False) -> MetricsUpdate:
        """The last usage (none before a good poll), in ``phase`` since the first failure."""
        self._failing_since = self._failing_since or datetime.now(UTC)
        last = self._last
        sync = SyncState(
            source=SOURCE, phase=phase, since=self._failing_since, message=message, stale=stale
        )
        return MetricsUpdate(
            pods=last.pods if last else {},
            nodes=last.nodes if last else {},
            available=True,
            sync=sync,
        )

    def _pods(self) -> dict[str, dict[str, Usage]]:
        if self.namespaces is None:
            return decode_pod_metrics(self.kube.get(f"{_BASE}/pods"))
        pods: dict[str, dict[str, Usage]] = {}
        for namespace in self.namespaces:
            pods |= decode_pod_metrics(self.kube.get(f"{_BASE}/namespaces/{namespace}/pods"))
        return pods

    def _nodes(self) -> tuple[dict[str, Usage], str | None]:
        """Node usage; a user who may not read it still gets pod usage (with a notice)."""
        try:
            return decode_node_metrics(self.kube.get(f"{_BASE}/nodes")), None
        except KubeError as exc:
            if exc.status != 403:
                raise
            return {}, f"node usage: {exc}"
