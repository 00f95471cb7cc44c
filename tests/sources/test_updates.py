"""The update vocabulary: each of the four types reaches its own handler, nothing else
reaches any."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kubetui.model.kyuubi_join import KyuubiData
from kubetui.model.store import ChangeBatch, SyncState
from kubetui.sources.churn import ChurnUpdate
from kubetui.sources.kyuubi import KyuubiUpdate
from kubetui.sources.metrics import MetricsUpdate
from kubetui.sources.updates import UPDATE_TYPES, UnknownUpdate, dispatch

NOW = datetime(2026, 11, 23, tzinfo=UTC)


def sync(source: str) -> SyncState:
    return SyncState(source=source, phase="live", since=NOW)


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, object]] = []

    def apply_batch(self, update: ChangeBatch) -> None:
        self.calls.append(("batch", update))

    def apply_metrics(self, update: MetricsUpdate) -> None:
        self.calls.append(("metrics", update))

    def apply_churn(self, update: ChurnUpdate) -> None:
        self.calls.append(("churn", update))

    def apply_kyuubi(self, update: KyuubiUpdate) -> None:
        self.calls.append(("kyuubi", update))


UPDATES = [
    ("batch", ChangeBatch(kind="Pod", sync=sync("pods"))),
    ("metrics", MetricsUpdate(pods={}, nodes={}, available=True, sync=sync("metrics"))),
    ("churn", ChurnUpdate(rates=[], sync=sync("churn"))),
    ("kyuubi", KyuubiUpdate(data=KyuubiData(fetched_at=NOW), sync=sync("kyuubi"))),
]


def test_the_union_is_the_four_types() -> None:
    assert set(UPDATE_TYPES) == {type(u) for _, u in UPDATES}


@pytest.mark.parametrize(("method", "update"), UPDATES, ids=[m for m, _ in UPDATES])
def test_each_update_reaches_its_own_handler(method: str, update: object) -> None:
    recorder = Recorder()
    assert dispatch(update, recorder) is update
    assert recorder.calls == [(method, update)]


@pytest.mark.parametrize("update", [None, sync("pods"), {"kind": "Pod"}, "ChangeBatch"])
def test_anything_else_is_an_error_and_reaches_no_handler(update: object) -> None:
    recorder = Recorder()
    with pytest.raises(UnknownUpdate, match=f"unknown update, {type(update).__qualname__} "):
        dispatch(update, recorder)
    assert recorder.calls == []
