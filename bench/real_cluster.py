"""The real control plane for the benches, filled with the demo's ``scale:N`` pods.

The pods are the sim's own ``scale:N`` objects (the same realistic mix the sim benches
measure), created through kube-apiserver's API and their status then written through
the ``status`` subresource, as a kubelet writes it; they carry the e2e FROZEN label so
kwok leaves them as they are, and their nodes are kwok nodes (kept Ready by kwok's
heartbeat, so no taint evicts the pods while a bench runs). Two changes to the sim's
objects, both because the real server would act on them: ownerReferences are dropped
(their owners are not created, and the garbage collector deletes pods whose owner does
not exist) and every pod runs as the ``default`` ServiceAccount (admission refuses a pod
whose ServiceAccount is missing).

Requests go over one keep-alive HTTPS connection per worker thread: a TLS handshake
per request would make seeding 50k pods take as long as the bench itself.
"""

from __future__ import annotations

import http.client
import json
import ssl
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "e2e"))

from control_plane import (  # noqa: E402
    FROZEN,
    KWOK_NODE,
    USERS,
    ControlPlane,
    ensure_namespace,
    running_control_plane,
)

_DROP_META = (
    "uid",
    "resourceVersion",
    "creationTimestamp",
    "managedFields",
    "ownerReferences",
    "selfLink",
    "generation",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
)


class _Connections(threading.local):
    """One keep-alive connection per thread."""

    def __init__(self, plane: ControlPlane) -> None:
        context = ssl.create_default_context(cafile=str(plane.tls.ca_cert))
        self.connection = http.client.HTTPSConnection("127.0.0.1", plane.port, context=context)


class Writer:
    def __init__(self, plane: ControlPlane) -> None:
        self.plane = plane
        self.local = _Connections(plane)
        self.token = USERS["admin"][0]
        self.refused: list[str] = []

    def send(
        self, method: str, path: str, body: dict, content_type: str = "application/json"
    ) -> int:
        data = json.dumps(body).encode()
        headers = {
            "Authorization": f"Bearer {self.token}",
            "Content-Type": content_type,
            "Accept": "application/json",
        }
        for attempt in range(3):
            try:
                self.local.connection.request(method, path, body=data, headers=headers)
                response = self.local.connection.getresponse()
                text = response.read()
                break
            except (http.client.HTTPException, OSError):
                self.local.connection.close()
                if attempt == 2:
                    raise
                time.sleep(0.5)
        if response.status >= 400 and response.status != 409:
            self.refused.append(f"{response.status} {method} {path}: {text[:200]!r}")
        return response.status


def _pod_body(obj: dict[str, Any], nodes: set[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    meta = {k: v for k, v in obj["metadata"].items() if k not in _DROP_META}
    meta["labels"] = {**(meta.get("labels") or {}), FROZEN: "true"}
    meta.pop("finalizers", None)
    spec = dict(obj["spec"])
    spec["serviceAccountName"] = "default"
    spec.pop("serviceAccount", None)
    spec["volumes"] = [v for v in spec.get("volumes", []) if "projected" not in v]
    for container in (*spec.get("containers", []), *spec.get("initContainers", [])):
        container["volumeMounts"] = [
            m
            for m in container.get("volumeMounts", [])
            if m.get("mountPath") != "/var/run/secrets/kubernetes.io/serviceaccount"
        ]
    if spec.get("nodeName") and spec["nodeName"] not in nodes:
        spec.pop("nodeName")
        spec.pop("schedulingGates", None)
    body = {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}
    return body, obj.get("status") or {}


def seed(plane: ControlPlane, pods: int, seed_value: int = 1, workers: int = 16) -> dict[str, Any]:
    """Create the sim's ``scale:pods`` nodes and pods in ``plane``; what it took."""
    from kubetui.sim.runner import running_sim

    with running_sim(f"scale:{pods}", seed_value, frozen=True, kyuubi=False) as sim:
        pod_objs = sim.state.list("pods")
        node_objs = sim.state.list("nodes")
    started = time.monotonic()
    writer = Writer(plane)
    node_names = set()
    for node in node_objs:
        meta = {k: v for k, v in node["metadata"].items() if k not in _DROP_META}
        meta["annotations"] = {**(meta.get("annotations") or {}), KWOK_NODE: "fake"}
        writer.send(
            "POST",
            "/api/v1/nodes",
            {
                "apiVersion": "v1",
                "kind": "Node",
                "metadata": meta,
                "spec": {k: v for k, v in node.get("spec", {}).items() if k != "taints"},
                "status": node.get("status", {}),
            },
        )
        node_names.add(meta["name"])
    for namespace in sorted({p["metadata"]["namespace"] for p in pod_objs}):
        ensure_namespace(plane, namespace)

    def one(obj: dict[str, Any]) -> None:
        body, status = _pod_body(obj, node_names)
        namespace, name = body["metadata"]["namespace"], body["metadata"]["name"]
        if writer.send("POST", f"/api/v1/namespaces/{namespace}/pods", body) < 300 and status:
            writer.send(
                "PATCH",
                f"/api/v1/namespaces/{namespace}/pods/{name}/status",
                {"status": status},
                "application/merge-patch+json",
            )

    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(one, pod_objs))
    return {
        "pods": len(pod_objs),
        "nodes": len(node_objs),
        "seconds": time.monotonic() - started,
        "refused": writer.refused,
    }


@contextmanager
def real_cluster(pods: int, root: Path) -> Iterator[tuple[ControlPlane, dict[str, Any]]]:
    """A running control plane holding ``scale:pods``; stopped on exit."""
    with running_control_plane(root) as plane:
        yield plane, seed(plane, pods)
