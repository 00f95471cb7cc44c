"""Live ingest: LIST+WATCH of pods and nodes into change batches for the store.

One :class:`~kubetui.sources.reflector.Reflector` thread per kind and scope (pods
cluster-wide, or one per namespace asked for; nodes), all posting through batchers that
one flusher thread drains every ``batch_interval``. The receiver (the UI thread, or a
headless loop) applies the batches to ``model/store.py`` in the order they are posted.

A user who may not list pods cluster-wide falls back, as ``kubetui triage`` does
(``sources/snapshot.py``), to the namespaces they can list, and the "pods" sync state
says so; a namespace refused on its own is reported as "forbidden" in its
``pods/<namespace>`` state while the others go on.

After the initial sync ``gc.freeze()`` moves everything then alive (the first snapshot's
records, the store, the imported modules) to the collector's permanent generation, so
the full collections that the watch's allocations keep triggering no longer walk the
whole cluster (bench/README.md "sync_bench" has the before/after).
"""

from __future__ import annotations

import gc
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime

from kubetui.model.store import ChangeBatch, SyncState
from kubetui.sources.kube_client import KubeClient, KubeError
from kubetui.sources.reflector import (
    DEFAULT_PAGE_SIZE,
    NODES,
    PODS,
    Batcher,
    Flusher,
    Reflector,
    ResourceKind,
)

# snapshot.py's fallback rule, shared rather than copied.
from kubetui.sources.snapshot import namespace_names
from kubetui.sources.watch_decode import Compactor

__all__ = ["DEFAULT_PAGE_SIZE", "Ingest"]


class Ingest:
    """Start with :meth:`start`, end with :meth:`stop`; see the module docstring."""

    def __init__(
        self,
        kube: KubeClient,
        namespaces: list[str] | None = None,
        *,
        batch_interval: float = 0.08,
        page_size: int = DEFAULT_PAGE_SIZE,
        freeze_gc: bool = True,
    ) -> None:
        self.kube = kube
        self.namespaces = list(dict.fromkeys(namespaces)) if namespaces else None
        self.batch_interval = batch_interval
        self.page_size = page_size
        self.freeze_gc = freeze_gc
        self.reflectors: list[Reflector] = []
        self._lock = threading.Condition()
        self._batchers: list[Batcher] = []
        self._flusher = Flusher(self._lock, self._batchers)
        self._compactor = Compactor()
        self._post: Callable[[ChangeBatch], None] | None = None
        #: Reflectors whose first LIST has not finished yet; gc.freeze() when none.
        self._unsynced = 0
        self._stopping = False
        #: Seconds from start() to gc.freeze(), for the bench (None: not yet).
        self.synced_after: float | None = None
        self._started = 0.0

    def start(self, post: Callable[[ChangeBatch], None]) -> None:
        """Start the worker threads and return at once; ``post`` must be thread-safe."""
        if self._post is not None:
            raise RuntimeError("Ingest.start() called twice")
        self._post = post
        self._started = time.monotonic()
        self._flusher.start()
        if self.namespaces:
            for namespace in self.namespaces:
                self._add(PODS, namespace)
        else:
            self._add(PODS, None, on_forbidden=self._fall_back)
        self._add(NODES, None)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop every reflector (closing live streams), post what is pending, join."""
        deadline = time.monotonic() + timeout
        with self._lock:
            self._stopping = True
            reflectors = list(self.reflectors)
        for reflector in reflectors:
            reflector.stop()
        for reflector in reflectors:
            reflector.join(max(0.0, deadline - time.monotonic()))
        self._flusher.stop()
        self._flusher.join(max(0.0, deadline - time.monotonic()))

    @property
    def request_counts(self) -> dict[str, int]:
        """Requests made so far by verb: "LIST" (pages) and "WATCH" (opens)."""
        total: Counter[str] = Counter()
        for reflector in list(self.reflectors):
            total.update(dict(reflector.requests))  # dict(): one atomic copy
        return dict(total)

    # ------------------------------------------------------------ internals

    def _add(
        self,
        resource: ResourceKind,
        namespace: str | None,
        on_forbidden: Callable[[KubeError], None] | None = None,
    ) -> None:
        assert self._post is not None
        with self._lock:
            if self._stopping or any(
                r.resource is resource and r.namespace == namespace for r in self.reflectors
            ):
                return  # a fallback run again after it failed half-way
            batcher = Batcher(resource.kind, self._post, self._lock, interval=self.batch_interval)
            self._batchers.append(batcher)
            reflector = Reflector(
                self.kube,
                resource,
                batcher,
                namespace=namespace,
                page_size=self.page_size,
                compactor=self._compactor,
                on_forbidden=on_forbidden,
                on_first_list=self._synced,
            )
            batcher.on_lost = reflector.fail
            self.reflectors.append(reflector)
            self._unsynced += 1
            # Started under the lock: stop() joins what it lists, and joining a thread
            # not yet started raises RuntimeError (a namespace fallback adds reflectors
            # from a reflector's thread while kubetui may be quitting).
            reflector.start()

    def _synced(self) -> None:
        """A reflector finished its first LIST (or gave up on it)."""
        with self._lock:
            self._unsynced -= 1
            if self._unsynced or self.synced_after is not None:
                return
            self.synced_after = time.monotonic() - self._started
        if self.freeze_gc:
            gc.collect()  # once, so no garbage cycle is frozen forever
            gc.freeze()

    def _fall_back(self, refused: KubeError) -> None:
        """Pods cannot be listed cluster-wide: watch each namespace the user can list."""
        assert self._post is not None
        why = ""
        try:
            names = namespace_names(self.kube)
        except KubeError as exc:
            # snapshot.py: the context's own namespace is the last resort.
            names = [self.kube.namespace] if exc.status == 403 and self.kube.namespace else []
            why = str(exc)
        if names:
            message = f"{refused}; falling back to the namespaces you can list: {', '.join(names)}"
        else:
            message = f"{refused} (and namespaces cannot be listed: {why})"
        sync = SyncState(source="pods", phase="forbidden", since=datetime.now(UTC), message=message)
        with self._lock:
            self._post(ChangeBatch(kind="Pod", sync=sync))
        for namespace in names:
            self._add(PODS, namespace)
