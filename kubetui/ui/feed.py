"""The dashboard's data sources: anything with ``start(post)`` and ``stop()``.

``post`` is called from the source's own threads with what the source produces, one of
the update types of ``sources/updates.py``: the live LIST+WATCH ingest of pods and nodes
(``ChangeBatch``), container usage from metrics.k8s.io when it is served, as ``kubectl
top`` reads it (it ranks the OOM order), the metadata watch behind the hot-loops view
(on when asked for: it watches many kinds), and Kyuubi's own word on its batches and
engines (when a Kyuubi server is configured). The app wraps each in one message and
applies it on the UI thread. Notices and errors travel in each update's
``SyncState.message`` (one inert line), shown once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from kubetui.sources.kube_client import KubeClient
from kubetui.sources.kyuubi import KyuubiConfig
from kubetui.sources.updates import Post


class Source(Protocol):
    def start(self, post: Post) -> None: ...

    def stop(self, timeout: float = 5.0) -> None: ...


def cluster_sources(
    kube: KubeClient,
    namespaces: Sequence[str] | None,
    *,
    hot_loops: bool = False,
    kyuubi: KyuubiConfig | None = None,
) -> tuple[list[Source], tuple[str, ...]]:
    """Pods and nodes live, usage, the churn watch when ``hot_loops``, the Kyuubi poll
    when a server is given; with the sync source names they report under (the app is
    settled once each has reported)."""
    from kubetui.sources.churn import SOURCE as CHURN
    from kubetui.sources.churn import ChurnWatcher
    from kubetui.sources.ingest import Ingest
    from kubetui.sources.metrics import SOURCE as METRICS
    from kubetui.sources.metrics import MetricsPoller

    scope = list(namespaces) if namespaces else None
    sources: list[Source] = [Ingest(kube, scope), MetricsPoller(kube, scope)]
    names = ("pods", "nodes", METRICS)
    if hot_loops:
        sources.append(ChurnWatcher(kube, namespaces))
        names += (CHURN,)
    if kyuubi is not None:
        from kubetui.sources.kyuubi import SOURCE as KYUUBI
        from kubetui.sources.kyuubi import KyuubiPoller

        sources.append(KyuubiPoller(kyuubi))
        names += (KYUUBI,)
    return sources, names
