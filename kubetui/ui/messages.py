"""Messages the data threads post to the dashboard, named as facts that happened.

Threads never touch widgets or the store: they post one of these (``post_message`` is
thread-safe) and the app applies it on the UI thread.
"""

from __future__ import annotations

from textual.message import Message

from kubetui.model.store import ChangeBatch
from kubetui.model.triage import Analysis
from kubetui.sources.churn import ChurnUpdate
from kubetui.sources.metrics import MetricsUpdate


class SourceUpdated(Message):
    """What a source thread produced: a ``ChangeBatch`` of pods or nodes (or only a sync
    state), a ``MetricsUpdate`` of usage, or a ``ChurnUpdate`` of rewrite rates.

    Never replaceable: each batch is a delta the store must apply in order.
    """

    def __init__(self, update: ChangeBatch | MetricsUpdate | ChurnUpdate) -> None:
        super().__init__()
        self.update = update


class AnalysisFinished(Message):
    """Engines and findings computed off the UI thread for store version ``version``."""

    def __init__(self, version: int, analysis: Analysis) -> None:
        super().__init__()
        self.version = version
        self.analysis = analysis


class PodChosen(Message):
    """The operator asked for a pod's detail (Enter on a row that names a pod)."""

    def __init__(self, uid: str) -> None:
        super().__init__()
        self.uid = uid
