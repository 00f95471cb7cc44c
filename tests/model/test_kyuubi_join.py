"""Joining Kyuubi's batches, engines and sessions to the engines the pods show."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import msgspec
import pytest

from kubetui.model.engines import Engine
from kubetui.model.kyuubi_join import (
    DISAGREEMENT,
    KyuubiBatch,
    KyuubiData,
    KyuubiEngine,
    KyuubiMeta,
    KyuubiSession,
    disagreement_findings,
    join_engines,
    known_engine_ids,
)
from kubetui.model.records import Pod
from kubetui.model.store import ChangeBatch, ClusterState, SyncState

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
BATCH_ID = "3ebebe3e-1790-40da-9891-0052cebcc1ba"
REF_ID = "9c1d0e53-5d3b-4c1e-9a59-1f2e3d4c5b6a"


def engine(
    state: str = "RUNNING",
    reason: str | None = None,
    *,
    tag: str | None = BATCH_ID,
    app_id: str | None = "spark-0001",
    driver: bool = True,
) -> Engine:
    pod = msgspec.convert({"metadata": {"name": "drv", "namespace": "etl", "uid": "uid-drv"}}, Pod)
    return Engine(
        id=tag or app_id or "",
        namespace="etl",
        app_id=app_id,
        kyuubi_tag=tag,
        name="nightly-etl",
        user=None,
        driver=pod if driver else None,
        executors=(),
        state=state,
        reason=reason,
        ended_at=None,
        kyuubi_state=None,
    )


def data(*, batches=(), engines=(), sessions=()) -> KyuubiData:
    return KyuubiData(batches=batches, engines=engines, sessions=sessions, fetched_at=NOW)


def batch(state: str, app_state: str | None, **kw) -> KyuubiBatch:
    return KyuubiBatch(id=BATCH_ID, user="etl-svc", state=state, app_state=app_state, **kw)


# Batch state vs pod-proven state. States and their meaning from apache/kyuubi master @
# cfbbeec4 (kyuubi-server/.../operation/BatchJobSubmission.scala,
# kyuubi-server/.../engine/ApplicationOperation.scala; the pre-1.12 CANCELED/RUNNING quirk
# is #7488), and the incidents the demo shows (README.md).
BATCH_CASES = [
    # (batch state, appState, pods state, pods reason, disagreement?)
    ("RUNNING", "RUNNING", "RUNNING", None, False),
    ("PENDING", None, "PENDING", None, False),
    ("PENDING", "PENDING", "RUNNING", None, False),  # Kyuubi's 5 s poll lags
    ("FINISHED", "FINISHED", "FINISHED", None, False),  # a zombie, not a disagreement
    ("ERROR", "FAILED", "FAILED", "Error exit 1", False),
    ("CANCELED", "KILLED", "NOT_FOUND", "no driver pod", False),  # the kill deleted it
    ("ERROR", "FAILED", "KILLED", "OOMKilled", True),  # Kyuubi reads only the phase
    ("RUNNING", "RUNNING", "KILLED", "OOMKilled", True),  # owned by a dead server
    ("RUNNING", "RUNNING", "NOT_FOUND", "no driver pod", True),
    ("CANCELED", "RUNNING", "RUNNING", None, True),  # kill failed, pre-1.12 appState
    ("ERROR", "UNKNOWN", "RUNNING", None, True),  # Kyuubi gave up, the app runs on
    ("FINISHED", "FINISHED", "FAILED", "Evicted", True),
    ("ERROR", "NOT_FOUND", "FAILED", "Evicted", True),
]


@pytest.mark.parametrize(("state", "app_state", "pods", "reason", "differs"), BATCH_CASES)
def test_batch_disagreement(state, app_state, pods, reason, differs) -> None:
    (joined,) = join_engines([engine(pods, reason)], data(batches=(batch(state, app_state),)))
    meta = joined.kyuubi_meta
    assert isinstance(meta, KyuubiMeta)
    assert (meta.source, meta.batch_state, meta.app_state) == ("batch", state, app_state)
    assert (meta.disagreement is not None) is differs
    if differs:
        says = f"Kyuubi says batch {state}, appState {app_state or '-'}; the pods prove {pods}"
        assert meta.disagreement.startswith(says)


@pytest.mark.parametrize(
    ("pods", "reason", "differs"),
    [("RUNNING", None, False), ("KILLED", "OOMKilled", True), ("FINISHED", None, True)],
)
def test_registered_engine_must_have_live_pods(pods, reason, differs) -> None:
    node = KyuubiEngine(user="alice", attributes={"refId": REF_ID})
    (joined,) = join_engines([engine(pods, reason, tag=REF_ID)], data(engines=(node,)))
    assert joined.kyuubi_meta.registered and joined.kyuubi_meta.source == "engine"
    assert (joined.kyuubi_meta.disagreement is not None) is differs


def test_join_keys_tag_then_app_id_and_user_filled() -> None:
    kyuubi = data(
        batches=(KyuubiBatch(id="b-1", app_id="spark-b", user="bob"),),
        engines=(
            KyuubiEngine(
                user="alice",
                instance="10.0.0.9:40001",
                attributes={"refId": "r-1", "kyuubi.engine.id": "spark-e"},
            ),
        ),
        sessions=(KyuubiSession(engine_id="spark-e"), KyuubiSession(engine_id="spark-e")),
    )
    by_tag = engine(tag="b-1", app_id=None)
    by_app = engine(tag=None, app_id="spark-b")
    node_by_app = engine(tag=None, app_id="spark-e")
    stranger = engine(tag="other", app_id="spark-x")
    joined = join_engines([by_tag, by_app, node_by_app, stranger], kyuubi)
    assert [e.kyuubi_meta and e.kyuubi_meta.source for e in joined] == [
        "batch",
        "batch",
        "engine",
        None,
    ]
    assert [e.user for e in joined] == ["bob", "bob", "alice", None]
    assert joined[2].kyuubi_meta.sessions == 2
    assert joined[2].kyuubi_meta.kyuubi_instance == "10.0.0.9:40001"
    assert joined[3] is stranger


def test_known_engine_ids_gathers_every_key() -> None:
    kyuubi = data(
        batches=(KyuubiBatch(id="b-1", app_id="spark-b"), KyuubiBatch(id="b-2")),
        engines=(KyuubiEngine(attributes={"refId": "r-1", "kyuubi.engine.id": "spark-e"}),),
        sessions=(KyuubiSession(engine_id=""), KyuubiSession(engine_id="spark-s")),
    )
    assert known_engine_ids(kyuubi) == {"b-1", "spark-b", "b-2", "r-1", "spark-e", "spark-s"}


def test_decoding_ignores_unknown_fields_and_tolerates_nulls() -> None:
    raw = (
        b'{"id":"b-1","user":null,"appState":"RUNNING","batchInfo":{},"newField":[1],'
        b'"appStartTime":null}'
    )
    decoded = msgspec.json.decode(raw, type=KyuubiBatch)
    assert (decoded.id, decoded.user, decoded.app_state) == ("b-1", None, "RUNNING")
    node = msgspec.json.decode(b'{"sharelevel":"user","attributes":null}', type=KyuubiEngine)
    assert (node.share_level, node.ref_id, node.app_id) == ("user", None, None)


def test_disagreement_findings_name_the_driver_or_the_engine() -> None:
    kyuubi = data(batches=(batch("ERROR", "FAILED"),))
    with_driver = join_engines([engine("KILLED", "OOMKilled")], kyuubi)
    without = join_engines(
        [engine("RUNNING", driver=False)], data(batches=(batch("FINISHED", "FINISHED"),))
    )
    agreeing = join_engines([engine("FAILED")], kyuubi)
    found = disagreement_findings([*with_driver, *without, *agreeing])
    assert [(f.kind, f.name, f.uid) for f in found] == [
        (DISAGREEMENT, BATCH_ID, None),
        (DISAGREEMENT, "drv", "uid-drv"),
    ]
    assert found[1].summary == (
        f"engine {BATCH_ID}: Kyuubi says batch ERROR, appState FAILED; "
        "the pods prove KILLED (OOMKilled)"
    )
    assert found[1].evidence["kyuubi_app_state"] == "FAILED"
    assert found[1].evidence["pod_state"] == "KILLED"


class _Update(msgspec.Struct):
    data: KyuubiData | None
    sync: SyncState


def test_store_keeps_kyuubi_and_trusts_it_for_zombies_only_while_fresh() -> None:
    store = ClusterState()
    assert store.known_engine_ids(NOW) is None
    kyuubi = data(batches=(batch("RUNNING", "RUNNING", app_id="spark-0001"),))
    store.set_kyuubi(_Update(kyuubi, SyncState(source="kyuubi", phase="stale", since=NOW)))
    assert store.sync["kyuubi"].phase == "stale"
    assert store.known_engine_ids(NOW + timedelta(seconds=300)) == {BATCH_ID, "spark-0001"}
    # Older than the zombie grace (Kyuubi's 5 min retain period): no longer proof.
    assert store.known_engine_ids(NOW + timedelta(seconds=301)) is None
    (joined,) = store.join_kyuubi([engine("KILLED", "OOMKilled")])
    assert joined.kyuubi_meta.disagreement is not None
    store.set_kyuubi(_Update(msgspec.structs.replace(kyuubi, complete=False), store.sync["kyuubi"]))
    assert store.known_engine_ids(NOW) is None  # other users' engines unknown


def test_store_report_uses_known_ids_for_zombies() -> None:
    """A driver Kyuubi does not know, older than the grace, is a zombie only with data."""
    created = (NOW - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    driver = {
        "metadata": {
            "name": "kyuubi-x-driver",
            "namespace": "etl",
            "uid": "u1",
            "creationTimestamp": created,
            "labels": {"kyuubi-unique-tag": "t-1", "spark-app-selector": "spark-1"},
        },
        "status": {"phase": "Running"},
    }
    store = ClusterState()
    store.apply(ChangeBatch(kind="Pod", snapshot=[msgspec.convert(driver, Pod)]))
    assert not store.report(NOW).findings
    sync = SyncState(source="kyuubi", phase="live", since=NOW)
    store.set_kyuubi(_Update(data(), sync))
    (finding,) = store.report(NOW).findings
    assert (finding.kind, finding.evidence["cause"]) == ("zombie_engine_pod", "unknown_to_metadata")
