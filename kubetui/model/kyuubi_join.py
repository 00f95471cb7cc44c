"""What Kyuubi's REST API says, joined to the engines the pods show.

Kyuubi keeps its own view of every engine: batch rows in its metadata store (with the
``appState`` it derived from the driver pod's *phase*), interactive engines registered in
ZooKeeper, sessions. kubetui trusts the pods (``engines.engine_state_from_pods``) and
shows Kyuubi's word beside them, flagging where the two disagree — an OOM-killed driver
Kyuubi calls FAILED, a batch of a dead server still RUNNING, a ZooKeeper node outliving
its engine.

The records below are the JSON shapes of apache/kyuubi master @ cfbbeec4
(``kyuubi-rest-client/src/main/java/org/apache/kyuubi/client/api/v1/dto/``
``Batch.java``, ``GetBatchesResponse.java``, ``Engine.java``, ``SessionData.java``):
every field optional, unknown fields ignored. The join keys
(``kyuubi-server/.../engine/KyuubiApplicationManager.scala``,
``kyuubi-server/.../engine/KubernetesApplicationOperation.scala``):

* ``kyuubi-unique-tag`` on the driver = ``Batch.id`` (batches) = the engine's ``refId``
  attribute (interactive engines: the id of the session that launched it);
* ``spark-app-selector`` on every engine pod = ``Batch.appId`` =
  ``Engine.attributes["kyuubi.engine.id"]`` = ``SessionData.engineId``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from typing import Final

import msgspec

from kubetui.model.engines import Engine
from kubetui.model.findings import Finding
from kubetui.model.kyuubi_state import NOT_FOUND, is_terminated

DISAGREEMENT: Final = "kyuubi_disagreement"
#: Batch operation states after which Kyuubi no longer follows the app (apache/kyuubi
#: ``kyuubi-rest-client/.../client/util/BatchUtils.java`` ``terminalBatchStates``).
TERMINAL_BATCH_STATES: Final = frozenset({"FINISHED", "ERROR", "CANCELED"})
REF_ID: Final = "refId"
ENGINE_ID: Final = "kyuubi.engine.id"


class _Dto(msgspec.Struct, gc=False, rename="camel"):
    """Base of the REST records: camelCase on the wire, untracked by the GC."""


class KyuubiBatch(_Dto, frozen=True):
    id: str | None = None
    user: str | None = None
    batch_type: str | None = None
    name: str | None = None
    app_start_time: int | None = None
    app_id: str | None = None
    app_url: str | None = None
    app_state: str | None = None
    app_diagnostic: str | None = None
    kyuubi_instance: str | None = None
    state: str | None = None
    create_time: int | None = None
    end_time: int | None = None


class GetBatchesResponse(_Dto):
    #: ``from`` is a Python keyword.
    from_: int | None = msgspec.field(default=None, name="from")
    #: The size of *this page*, not a grand total.
    total: int | None = None
    batches: list[KyuubiBatch] | None = None


class KyuubiEngine(_Dto, frozen=True):
    """An engine registered in ZooKeeper, as ``GET /admin/engine`` lists it."""

    version: str | None = None
    user: str | None = None
    engine_type: str | None = None
    #: Spelled ``sharelevel`` on the wire (not camelCase).
    share_level: str | None = msgspec.field(default=None, name="sharelevel")
    subdomain: str | None = None
    instance: str | None = None
    namespace: str | None = None
    attributes: dict[str, str] | None = None

    @property
    def ref_id(self) -> str | None:
        return (self.attributes or {}).get(REF_ID)

    @property
    def app_id(self) -> str | None:
        return (self.attributes or {}).get(ENGINE_ID)


class KyuubiSession(_Dto, frozen=True):
    identifier: str | None = None
    user: str | None = None
    session_type: str | None = None
    kyuubi_instance: str | None = None
    #: The Spark app id of the session's engine ("" until it has one).
    engine_id: str | None = None
    engine_name: str | None = None
    create_time: int | None = None
    idle_time: int | None = None
    exception: str | None = None


class KyuubiData(msgspec.Struct, frozen=True, kw_only=True):
    """One successful poll of a Kyuubi server."""

    batches: tuple[KyuubiBatch, ...] = ()
    engines: tuple[KyuubiEngine, ...] = ()
    sessions: tuple[KyuubiSession, ...] = ()
    fetched_at: datetime
    #: False when some engine listings were refused (not an admin): then ids missing
    #: from ``engines`` prove nothing.
    complete: bool = True


class KyuubiMeta(msgspec.Struct, frozen=True, kw_only=True):
    """Kyuubi's word on one engine, attached as ``Engine.kyuubi_meta``."""

    #: "batch" (a metadata row) or "engine" (a ZooKeeper registration).
    source: str
    id: str | None
    user: str | None
    #: The batch operation state (PENDING, RUNNING, FINISHED, ERROR, CANCELED).
    batch_state: str | None = None
    #: Kyuubi's ApplicationState for the batch, read from the pod phase.
    app_state: str | None = None
    #: Registered in ZooKeeper: Kyuubi sends new sessions to it.
    registered: bool = False
    sessions: int = 0
    kyuubi_instance: str | None = None
    #: The batch type (SPARK, PYSPARK) or the engine type (SPARK_SQL, …).
    engine_type: str | None = None
    #: USER, GROUP, SERVER, CONNECTION …; None for a batch.
    share_level: str | None = None
    #: The engine space's subdomain (what a relaunch must reopen); None for a batch.
    subdomain: str | None = None
    #: "Kyuubi says …, the pods prove …" when the two views cannot both be true.
    disagreement: str | None = None


def known_engine_ids(data: KyuubiData) -> set[str]:
    """Every id under which Kyuubi knows an engine: batch ids and app ids, engine
    refIds and app ids, sessions' engine ids (for zombie detection)."""
    ids = {b.id for b in data.batches} | {b.app_id for b in data.batches}
    ids |= {e.ref_id for e in data.engines} | {e.app_id for e in data.engines}
    ids |= {s.engine_id for s in data.sessions}
    return {i for i in ids if i}


def _pods_say(engine: Engine) -> str:
    return engine.state + (f" ({engine.reason})" if engine.reason else "")


def _batch_disagreement(batch: KyuubiBatch, engine: Engine) -> str | None:
    """Kyuubi's batch vs the pods: one alive and the other ended, or both ended
    differently (FAILED where the pods prove an OOM kill, KILLED).

    Two non-terminal states never conflict (Kyuubi polls the app every 5 s, so PENDING
    beside RUNNING is lag), nor does any ended batch whose driver pod is gone (NOT_FOUND:
    Kyuubi's kill or cleanup deleted it; the leftovers are the zombie finding's business).
    """
    app_state = batch.app_state
    kyuubi_alive = batch.state not in TERMINAL_BATCH_STATES and not (
        app_state and is_terminated(app_state)
    )
    pods_alive = not is_terminated(engine.state)
    both_ended_differently = (
        not kyuubi_alive
        and not pods_alive
        and engine.state != NOT_FOUND
        and app_state not in (None, engine.state)
    )
    differ = kyuubi_alive != pods_alive or both_ended_differently
    if not differ:
        return None
    says = f"batch {batch.state or '?'}, appState {app_state or '-'}"
    return f"Kyuubi says {says}; the pods prove {_pods_say(engine)}"


def _engine_disagreement(engine: Engine) -> str | None:
    """A registered engine is one Kyuubi will route sessions to: its pods must live."""
    if not is_terminated(engine.state):
        return None
    return f"Kyuubi has it registered (ZooKeeper); the pods prove {_pods_say(engine)}"


def join_engines(engines: Iterable[Engine], data: KyuubiData) -> list[Engine]:
    """``engines`` with ``kyuubi_meta`` (and ``user``) filled where Kyuubi knows them.

    A batch row wins over an engine registration (a batch has no ZooKeeper node, so
    both match only on id collisions). Engines Kyuubi does not know come back as they were.
    """
    batch_by = {b.id: b for b in data.batches if b.id}
    batch_by |= {b.app_id: b for b in data.batches if b.app_id and b.app_id not in batch_by}
    node_by = {e.ref_id: e for e in data.engines if e.ref_id}
    node_by |= {e.app_id: e for e in data.engines if e.app_id and e.app_id not in node_by}
    sessions = Counter(s.engine_id for s in data.sessions if s.engine_id)
    out = []
    for engine in engines:
        keys = [k for k in (engine.kyuubi_tag, engine.app_id) if k]
        batch = next((batch_by[k] for k in keys if k in batch_by), None)
        node = next((node_by[k] for k in keys if k in node_by), None)
        count = sessions[engine.app_id] if engine.app_id else 0
        if batch is not None:
            meta = KyuubiMeta(
                source="batch",
                id=batch.id,
                user=batch.user,
                batch_state=batch.state,
                app_state=batch.app_state,
                sessions=count,
                kyuubi_instance=batch.kyuubi_instance,
                engine_type=batch.batch_type,
                disagreement=_batch_disagreement(batch, engine),
            )
        elif node is not None:
            meta = KyuubiMeta(
                source="engine",
                id=node.ref_id,
                user=node.user,
                registered=True,
                sessions=count,
                kyuubi_instance=node.instance,
                engine_type=node.engine_type,
                share_level=node.share_level,
                subdomain=node.subdomain,
                disagreement=_engine_disagreement(engine),
            )
        else:
            out.append(engine)
            continue
        out.append(msgspec.structs.replace(engine, kyuubi_meta=meta, user=engine.user or meta.user))
    return out


def disagreement_findings(engines: Iterable[Engine]) -> list[Finding]:
    """One ``kyuubi_disagreement`` finding per joined engine whose views conflict,
    on its driver pod (else the engine id), sorted by namespace and name."""
    found = []
    for engine in engines:
        meta = engine.kyuubi_meta
        if not isinstance(meta, KyuubiMeta) or meta.disagreement is None:
            continue
        driver = engine.driver
        found.append(
            Finding(
                kind=DISAGREEMENT,
                namespace=engine.namespace,
                name=driver.metadata.name if driver is not None else engine.id,
                summary=f"engine {engine.id}: {meta.disagreement}",
                evidence={
                    "engine_id": engine.id,
                    "app_id": engine.app_id,
                    "kyuubi_source": meta.source,
                    "kyuubi_batch_state": meta.batch_state,
                    "kyuubi_app_state": meta.app_state,
                    "kyuubi_registered": meta.registered,
                    "kyuubi_instance": meta.kyuubi_instance,
                    "pod_state": engine.state,
                    "pod_reason": engine.reason,
                },
                severity="warning",
                uid=driver.metadata.uid if driver is not None else None,
            )
        )
    found.sort(key=lambda f: (f.namespace or "", f.name or ""))
    return found
