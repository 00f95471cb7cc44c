"""metrics.k8s.io/v1beta1 PodMetrics and NodeMetrics computed from SimState usage.

Shapes as metrics-server serves them (kubernetes-sigs/metrics-server ``pkg/api``, types in
kubernetes/metrics ``pkg/apis/metrics/v1beta1/types.go``): CPU in nanocores (``"123n"``),
memory in kibibytes (``"2048Ki"``), a ``window`` of ``"15.02s"`` *(est.)*, list items
without kind/apiVersion, creationTimestamp = the time of the read. Only running pods
with reported usage appear; a node's usage is the sum over its running pods.
"""

from __future__ import annotations

from typing import Any

from kubetui.sim import wire_status
from kubetui.sim.state import SimState, rfc3339
from kubetui.sim.wire_list import Selection

Obj = dict[str, Any]
API_VERSION = "metrics.k8s.io/v1beta1"
WINDOW = "15.02s"


def _usage(cpu_millis: int, memory_bytes: int) -> dict[str, str]:
    return {"cpu": f"{cpu_millis * 1_000_000}n", "memory": f"{memory_bytes // 1024}Ki"}


def pod_metrics(state: SimState, namespace: str | None, selection: Selection) -> list[Obj]:
    usage = state.usage()
    stamp = rfc3339(state.clock.now())
    out = []
    for entry in state.entries("pods", namespace):
        if not selection.matches(entry) or entry.fields.get("status.phase") != "Running":
            continue
        pod = entry.obj()
        meta = pod["metadata"]
        containers = [
            {
                "name": c["name"],
                "usage": _usage(*usage[(meta["namespace"], meta["name"], c["name"])]),
            }
            for c in (pod.get("spec") or {}).get("containers") or []
            if (meta["namespace"], meta["name"], c.get("name")) in usage
        ]
        if not containers:
            continue
        item_meta = {
            "name": meta["name"],
            "namespace": meta["namespace"],
            "creationTimestamp": stamp,
        }
        if meta.get("labels"):
            item_meta["labels"] = meta["labels"]
        out.append(
            {"metadata": item_meta, "timestamp": stamp, "window": WINDOW, "containers": containers}
        )
    return out


def node_metrics(state: SimState, selection: Selection) -> list[Obj]:
    usage = state.usage()
    stamp = rfc3339(state.clock.now())
    per_pod: dict[str, list[int]] = {}
    for (ns, pod, _container), (cpu, mem) in usage.items():
        acc = per_pod.setdefault(f"{ns}/{pod}", [0, 0])
        acc[0] += cpu
        acc[1] += mem
    totals: dict[str, list[int]] = {}
    for entry in state.entries("pods"):
        node = entry.fields.get("spec.nodeName")
        if node and entry.key in per_pod and entry.fields.get("status.phase") == "Running":
            acc = totals.setdefault(node, [0, 0])
            acc[0] += per_pod[entry.key][0]
            acc[1] += per_pod[entry.key][1]
    out = []
    for entry in state.entries("nodes"):
        if not selection.matches(entry):
            continue
        cpu, mem = totals.get(entry.key, [0, 0])
        meta: Obj = {"name": entry.key, "creationTimestamp": stamp}
        if entry.labels:
            meta["labels"] = entry.labels
        out.append(
            {"metadata": meta, "timestamp": stamp, "window": WINDOW, "usage": _usage(cpu, mem)}
        )
    return out


def metrics_response(
    state: SimState, kind: str, namespace: str | None, name: str | None, selection: Selection
) -> Obj:
    """A list, or one item (404 in metrics-server's words when absent)."""
    items = (
        pod_metrics(state, namespace, selection)
        if kind == "PodMetrics"
        else node_metrics(state, selection)
    )
    if name is None:
        return {"kind": f"{kind}List", "apiVersion": API_VERSION, "metadata": {}, "items": items}
    for item in items:
        if item["metadata"]["name"] == name:
            return {"kind": kind, "apiVersion": API_VERSION, **item}
    resource = "pods" if kind == "PodMetrics" else "nodes"
    raise wire_status.not_found("metrics.k8s.io", resource, name)
