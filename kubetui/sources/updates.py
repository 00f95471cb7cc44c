"""What sources tell their receiver: one vocabulary, one dispatch.

Every source (``ui/feed.py`` wires them) calls its ``post`` from its own threads with a
:data:`SourceUpdate`: a ``ChangeBatch`` (the pod/node LIST+WATCH ingest: changes, a
LIST's snapshot, or only a sync state), a ``MetricsUpdate`` (metrics.k8s.io usage), a
``ChurnUpdate`` (the metadata watch's rewrite rates) or a ``KyuubiUpdate`` (the Kyuubi
poll). Each carries its source's ``SyncState``, failures included (one inert line).

:func:`dispatch` is the one place an update is told apart by its type. Anything else is
a bug in a source: :class:`UnknownUpdate`, which the receiver reports; it is never
applied as if it were one of the four.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final, Protocol, get_args

from kubetui.model.store import ChangeBatch
from kubetui.sources.churn import ChurnUpdate
from kubetui.sources.kyuubi import KyuubiUpdate
from kubetui.sources.metrics import MetricsUpdate

SourceUpdate = ChangeBatch | MetricsUpdate | ChurnUpdate | KyuubiUpdate
#: The four types, for messages and checks that need them as a tuple.
UPDATE_TYPES: Final = get_args(SourceUpdate)
#: What a source is started with; called from the source's threads.
Post = Callable[[SourceUpdate], None]


class UnknownUpdate(TypeError):
    """A source posted something outside :data:`SourceUpdate`."""

    def __init__(self, update: object) -> None:
        known = ", ".join(t.__name__ for t in UPDATE_TYPES)
        super().__init__(
            f"a source posted an unknown update, {type(update).__qualname__} (known: {known});"
            " it was not applied"
        )


class UpdateHandler(Protocol):
    """The receiver's side: one method per update type."""

    def apply_batch(self, update: ChangeBatch) -> None: ...

    def apply_metrics(self, update: MetricsUpdate) -> None: ...

    def apply_churn(self, update: ChurnUpdate) -> None: ...

    def apply_kyuubi(self, update: KyuubiUpdate) -> None: ...


def dispatch(update: object, handler: UpdateHandler) -> SourceUpdate:
    """Hand ``update`` to the ``handler`` method of its type and return it, typed;
    :class:`UnknownUpdate` (nothing called) for anything else."""
    match update:
        case ChangeBatch():
            handler.apply_batch(update)
        case MetricsUpdate():
            handler.apply_metrics(update)
        case ChurnUpdate():
            handler.apply_churn(update)
        case KyuubiUpdate():
            handler.apply_kyuubi(update)
        case _:
            raise UnknownUpdate(update)
    return update
