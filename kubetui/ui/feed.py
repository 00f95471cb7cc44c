"""The dashboard's data sources: anything with ``start(post)`` and ``stop()``.

``post`` is called from the source's own threads with a ``ChangeBatch``; the app turns
it into a message for the UI thread. Notices and errors travel in the batch's
``SyncState.message`` (one inert line), which the app shows once. ``cluster_sources``
gives :class:`SnapshotSource`, one LIST of pods and nodes (the same read ``kubetui
triage`` does) posted as one snapshot batch per kind and then marked stale, since
nothing keeps it current.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol

from kubetui.model.inert_text import inert, single_line
from kubetui.model.store import ChangeBatch, SyncState
from kubetui.sources.kube_client import KubeClient, KubeError
from kubetui.sources.snapshot import take_snapshot

Post = Callable[[ChangeBatch], None]


class Source(Protocol):
    def start(self, post: Post) -> None: ...

    def stop(self, timeout: float = 5.0) -> None: ...


class SnapshotSource:
    """One consistent LIST of pods and nodes, in a daemon thread."""

    def __init__(
        self,
        kube: KubeClient,
        namespaces: Sequence[str] | None,
        clock: Callable[[], datetime],
    ) -> None:
        self._kube = kube
        self._namespaces = list(namespaces) if namespaces else None
        self._clock = clock
        self._thread: threading.Thread | None = None

    def start(self, post: Post) -> None:
        self._thread = threading.Thread(
            target=self._run, args=(post,), name="kubetui-snapshot", daemon=True
        )
        self._thread.start()

    def _run(self, post: Post) -> None:
        post(ChangeBatch(kind="Pod", sync=SyncState(source="pods", phase="listing")))
        post(ChangeBatch(kind="Node", sync=SyncState(source="nodes", phase="listing")))
        try:
            snap = take_snapshot(self._kube, self._namespaces)
        except KubeError as exc:
            message = single_line(inert(str(exc)))
            state = SyncState(source="pods", phase="error", since=self._clock(), message=message)
            post(ChangeBatch(kind="Pod", sync=state))
            return
        now = self._clock()
        notes = [single_line(inert(line)) for line in (*snap.notices, *snap.errors)]
        state = SyncState(
            source="pods",
            phase="stale",
            since=now,
            items=len(snap.pods),
            message="; ".join(notes) or None,
        )
        post(ChangeBatch(kind="Pod", snapshot=snap.pods, sync=state))
        if snap.nodes is None:
            post(ChangeBatch(kind="Node", sync=SyncState(source="nodes", phase="forbidden")))
        else:
            state = SyncState(source="nodes", phase="stale", since=now, items=len(snap.nodes))
            post(ChangeBatch(kind="Node", snapshot=snap.nodes, sync=state))

    def stop(self, timeout: float = 5.0) -> None:
        if self._thread is not None:
            self._thread.join(timeout)


def cluster_sources(
    kube: KubeClient, namespaces: Sequence[str] | None, clock: Callable[[], datetime]
) -> list[Source]:
    return [SnapshotSource(kube, namespaces, clock)]
