"""Helpers for the live-ingest tests: an Ingest feeding a store, and the server's truth.

The receiver is the test thread: batches are queued by the ingest's threads and applied
to a ClusterState only while a test polls, as the UI thread would apply them.
"""

from __future__ import annotations

import queue
import time
from collections.abc import Callable
from typing import Any

import msgspec

from kubetui.model.records import Node, Pod
from kubetui.model.store import ChangeBatch, ClusterState, SyncState
from kubetui.sim.runner import RunningSim
from kubetui.sources.ingest import Ingest
from kubetui.sources.kube_client import KubeClient, status_error


class Fed:
    """An :class:`Ingest` and the store it feeds; ``with`` stops it."""

    def __init__(self, kube: KubeClient, **options: Any) -> None:
        # gc.freeze() would pin every earlier test's garbage for the rest of the session.
        options.setdefault("freeze_gc", False)
        self.ingest = Ingest(kube, **options)
        self.store = ClusterState()
        self.inbox: queue.Queue[ChangeBatch] = queue.Queue()
        #: Every SyncState posted, in order.
        self.syncs: list[SyncState] = []

    def __enter__(self) -> Fed:
        self.ingest.start(self.inbox.put)
        return self

    def __exit__(self, *exc: object) -> None:
        self.ingest.stop()

    def pump(self) -> None:
        """Apply every batch posted so far."""
        while True:
            try:
                batch = self.inbox.get_nowait()
            except queue.Empty:
                return
            if batch.sync is not None:
                self.syncs.append(batch.sync)
            self.store.apply(batch)

    def wait_for(self, condition: Callable[[], object], what: str, timeout: float = 10) -> None:
        """Apply batches until ``condition()`` holds; fail naming ``what`` at the deadline."""
        deadline = time.monotonic() + timeout
        while True:
            self.pump()
            if condition():
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}; syncs: {self.syncs[-6:]}")
            time.sleep(0.02)

    def phases(self, source: str) -> list[str]:
        return [s.phase for s in self.syncs if s.source == source]

    def last(self, source: str) -> SyncState | None:
        return self.store.sync.get(source)


def server_pods(sim: RunningSim, namespace: str | None = None) -> dict[str, Pod]:
    """The server's pods by uid, decoded from the bytes it serves."""
    pods = (msgspec.json.decode(e.data, type=Pod) for e in sim.state.entries("pods", namespace))
    return {p.metadata.uid or "": p for p in pods}


def server_nodes(sim: RunningSim) -> dict[str, Node]:
    nodes = (msgspec.json.decode(e.data, type=Node) for e in sim.state.entries("nodes"))
    return {n.metadata.name or "": n for n in nodes}


def in_sync(fed: Fed, sim: RunningSim, namespaces: list[str] | None = None) -> bool:
    """The store holds exactly the server's pods (in ``namespaces``) and nodes."""
    if namespaces is None:
        pods = server_pods(sim)
    else:
        pods = {k: v for ns in namespaces for k, v in server_pods(sim, ns).items()}
    return fed.store.pods == pods and fed.store.nodes == server_nodes(sim)


def describe_diff(fed: Fed, sim: RunningSim) -> str:
    pods = server_pods(sim)
    missing = sorted(pods.keys() - fed.store.pods.keys())
    phantom = sorted(fed.store.pods.keys() - pods.keys())
    stale = sorted(k for k in pods.keys() & fed.store.pods.keys() if pods[k] != fed.store.pods[k])
    return f"missing {missing[:5]}, phantom {phantom[:5]}, stale {stale[:5]}"


def pod_lists(sim: RunningSim, path: str = "/api/v1/pods") -> list[str]:
    """Queries of the LIST requests (every page) on ``path``."""
    return [
        r.query
        for r in sim.request_log
        if r.method == "GET" and r.path == path and "watch=" not in r.query
    ]


def relists(sim: RunningSim, path: str = "/api/v1/pods") -> int:
    """Complete LISTs started on ``path`` (first pages: no continue token)."""
    return sum("continue=" not in q for q in pod_lists(sim, path))


def watches(sim: RunningSim, path: str = "/api/v1/pods") -> list[dict[str, str]]:
    """The query parameters of every WATCH on ``path``, in order."""
    out = []
    for r in sim.request_log:
        if r.method == "GET" and r.path == path and "watch=true" in r.query:
            out.append(dict(pair.split("=", 1) for pair in r.query.split("&")))
    return out


class ClusterScopeRefused(KubeClient):
    """The sim's RBAC cannot refuse only the cluster scope; this client makes the server's
    answer to ``/api/v1/pods`` a 403, everything else goes to the sim."""

    __slots__ = ()

    def open(self, path: str, *args: Any, **kwargs: Any) -> Any:
        if path == "/api/v1/pods":
            body = (
                b'{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",'
                b'"message":"pods is forbidden: User \\"jane\\" cannot list resource '
                b'\\"pods\\" in API group \\"\\" at the cluster scope","reason":"Forbidden",'
                b'"details":{"kind":"pods"},"code":403}'
            )
            raise status_error(403, body, self)
        return super().open(path, *args, **kwargs)
