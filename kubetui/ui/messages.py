"""Messages the data threads post to the dashboard, named as facts that happened.

Threads never touch widgets or the store: they post one of these (``post_message`` is
thread-safe) and the app applies it on the UI thread.
"""

from __future__ import annotations

from textual.message import Message

from kubetui.model.triage import Analysis
from kubetui.sources.updates import SourceUpdate


class SourceUpdated(Message):
    """What a source thread produced (``sources/updates.py``).

    Never replaceable: each batch is a delta the store must apply in order. ``epoch``
    counts the app's kube contexts (``:ctx``): an update still queued from the sources of
    the previous one is dropped, never applied to the new context's store.
    """

    def __init__(self, update: SourceUpdate, epoch: int = 0) -> None:
        super().__init__()
        self.update = update
        self.epoch = epoch


class AnalysisFinished(Message):
    """Engines and findings computed off the UI thread for store version ``version`` of
    context ``epoch`` (see :class:`SourceUpdated`)."""

    def __init__(self, version: int, analysis: Analysis, epoch: int = 0) -> None:
        super().__init__()
        self.version = version
        self.analysis = analysis
        self.epoch = epoch


class PodChosen(Message):
    """The operator asked for a pod's detail (Enter on a row that names a pod)."""

    def __init__(self, uid: str) -> None:
        super().__init__()
        self.uid = uid
