"""The dashboard's data sources: anything with ``start(post)`` and ``stop()``.

``post`` is called from the source's own threads with what the source produces: a
``ChangeBatch`` (the live LIST+WATCH ingest of pods and nodes) or a ``ChurnUpdate`` (the
metadata watch behind the hot-loops view, on when asked for: it watches many kinds).
The app wraps each in one message and applies it on the UI thread. Notices and errors
travel in each update's ``SyncState.message`` (one inert line), shown once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from kubetui.sources.kube_client import KubeClient

Post = Callable[[Any], None]


class Source(Protocol):
    def start(self, post: Post) -> None: ...

    def stop(self, timeout: float = 5.0) -> None: ...


def cluster_sources(
    kube: KubeClient, namespaces: Sequence[str] | None, *, hot_loops: bool = False
) -> list[Source]:
    """Pods and nodes, live; plus the churn watch when ``hot_loops``."""
    from kubetui.sources.ingest import Ingest

    sources: list[Source] = [Ingest(kube, list(namespaces) if namespaces else None)]
    if hot_loops:
        from kubetui.sources.churn import ChurnWatcher

        sources.append(ChurnWatcher(kube, namespaces))
    return sources
