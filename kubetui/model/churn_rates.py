"""Churn: how often each object is rewritten, measured from metadata-only watch events.

The churn source (``sources/churn.py``) feeds a :class:`ChurnTracker` with the
``PartialObjectMetadata`` of every listed and watched object; :meth:`ChurnTracker.rates`
turns what it saw into :class:`~kubetui.model.findings.ObjectRate` rows for
``find_hot_loops``: one per object, one per owner (summed over its children) and one per
field manager.

Who wrote, and when, comes from ``metadata.managedFields``. The apiserver stamps an
entry's ``time`` only when that manager's operation changed the object: an update that
changes nothing, one that touches no managed field, and a manager whose fields another
takes over keep their old time (kubernetes/apimachinery @ v0.36.3 (eed236ce),
``pkg/util/managedfields/internal/managedfieldsupdater.go`` ``Update``/``Apply``, and its
tests ``managedfieldsupdater_test.go``). So the managers whose ``time`` moved between two
versions of an object are the writers of that update, and the newest moved time is when it
happened, on the *server's* clock. Rates are measured on that clock only: it is the one
clock every event carries, a reconnect does not distort it, and a demo cluster running
faster than real time still yields rates per (its) minute.

Deliberate choices, each against a false "hot loop":

* An object's first ``settle_seconds`` after ``creationTimestamp`` are not counted: a new
  pod is bound, started and marked ready within a minute or two, which is not a loop.
* Fewer than ``min_updates`` rewrites inside the window are no rate at all (rate 0): a
  loop repeats, and one or two writes in a short watch would otherwise read as N/min.
* For its first ``measure_seconds`` (2 min of server time) the tracker is still
  measuring (:meth:`ChurnTracker.warmup`): an object not (yet) hot then says nothing, and
  the dashboard says so with the time left instead of "none is hot".
* Memory is bounded: a ring of the last ``ring_size`` update times per object (a hot
  object's rate then comes from the span of its ring), and at most ``max_objects``
  objects (later ones are counted in ``dropped``, not tracked).
"""

from __future__ import annotations

import sys
from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final, NamedTuple

import msgspec

from kubetui.model.findings import ObjectRate
from kubetui.model.records import OwnerReference

#: The kind of the per-manager rows; their rate is the manager's busiest object's.
MANAGER_KIND: Final = "FieldManager"
ADDED: Final = "ADDED"
MODIFIED: Final = "MODIFIED"
DELETED: Final = "DELETED"


class ManagedFieldsEntry(msgspec.Struct, gc=False, rename="camel"):
    """One ``managedFields`` entry, without the (bulky) ``fieldsV1`` set."""

    manager: str | None = None
    operation: str | None = None
    time: datetime | None = None
    subresource: str | None = None


class ObjectMetadata(msgspec.Struct, gc=False, rename="camel"):
    """``PartialObjectMetadata.metadata``: only what churn needs."""

    name: str | None = None
    namespace: str | None = None
    uid: str | None = None
    resource_version: str | None = None
    creation_timestamp: datetime | None = None
    owner_references: tuple[OwnerReference, ...] = ()
    managed_fields: tuple[ManagedFieldsEntry, ...] = ()


class Warmup(NamedTuple):
    """Rates still being measured: ``measured`` of the ``needed`` seconds."""

    measured: float
    needed: float

    def text(self) -> str:
        """``measuring rates: 0:45 of 2:00``."""
        return f"measuring rates: {_clock(self.measured)} of {_clock(self.needed)}"


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}:{secs:02d}"


_EntryKey = tuple[str, str, str]  # (manager, operation, subresource)
_Update = tuple[float, tuple[str, ...]]  # (server time, managers whose time moved)


def _stamps(meta: ObjectMetadata) -> dict[_EntryKey, float]:
    return {
        (e.manager or "", e.operation or "", e.subresource or ""): e.time.timestamp()
        for e in meta.managed_fields
        if e.time is not None
    }


def moved_managers(
    before: dict[_EntryKey, float], after: dict[_EntryKey, float]
) -> tuple[tuple[str, ...], float | None]:
    """The managers whose entry ``time`` moved (new entries included), sorted, and the
    newest moved time; ``((), None)`` when none moved.

    Entries are keyed by (manager, operation, subresource), as the apiserver keys them:
    a manager's Apply and Update, or its status writes, are separate entries. An entry
    that vanished or kept its time is not a writer of this update.
    """
    moved: set[str] = set()
    newest: float | None = None
    for key, t in after.items():
        old = before.get(key)
        if old is None or t > old:
            moved.add(key[0])
            newest = t if newest is None or t > newest else newest
    return tuple(sorted(moved)), newest


@dataclass(slots=True)
class _Tracked:
    kind: str
    namespace: str | None
    name: str | None
    uid: str | None
    owners: tuple[OwnerReference, ...]
    created: float | None
    rv: str | None
    stamps: dict[_EntryKey, float]
    updates: deque[_Update] | None = None


@dataclass(slots=True)
class _Count:
    """One object's rewrites inside its window."""

    obj: _Tracked
    updates: list[_Update]
    span: float


def _key(kind: str, meta: ObjectMetadata) -> str:
    return meta.uid or f"{kind}/{meta.namespace or ''}/{meta.name or ''}"


@dataclass
class ChurnTracker:
    """Per-object update history, fed by LIST and WATCH; not thread-safe (lock outside)."""

    #: Enough for 10 min at 12/min; a deque only grows as far as an object's updates.
    ring_size: int = 128
    max_objects: int = 100_000
    settle_seconds: float = 120.0
    #: Server time every kind must have been watched before its rates say "not hot": a
    #: loop at ``hot_loop_alone_rate`` (every 10 s) has then written 12 times, and a
    #: controller at ``hot_loop_min_rate`` (once a minute) twice, so quiet peers show.
    measure_seconds: float = 120.0
    #: Objects not tracked because ``max_objects`` was reached.
    dropped: int = 0
    #: The latest server time seen: managedFields times, ``Date`` headers.
    clock: float | None = None
    objects: dict[str, _Tracked] = field(default_factory=dict)
    #: kind → server time its tracking began (after its first LIST); None until the
    #: server clock is known (a first LIST without any managedFields time).
    started: dict[str, float | None] = field(default_factory=dict)

    # ------------------------------------------------------------------ feeding

    def saw_time(self, t: float | None) -> None:
        """Advance the server clock (a ``Date`` header, a managedFields time)."""
        if t is None:
            return
        if self.clock is None:
            self.started = dict.fromkeys(self.started, t)
        if self.clock is None or t > self.clock:
            self.clock = t

    def replace(self, kind: str, items: Iterable[ObjectMetadata]) -> None:
        """Apply a complete (re)LIST of ``kind``: unlisted objects are gone, listed ones
        whose resourceVersion moved were rewritten while the watch was down."""
        listed: set[str] = set()
        for meta in items:
            listed.add(_key(kind, meta))
            self._upsert(kind, meta)
        for key in [k for k, o in self.objects.items() if o.kind == kind and k not in listed]:
            del self.objects[key]
        self.started.setdefault(kind, self.clock)

    def observe(self, kind: str, event_type: str, meta: ObjectMetadata) -> None:
        """One watch event (ADDED, MODIFIED or DELETED) of ``kind``."""
        if event_type == DELETED:
            self.objects.pop(_key(kind, meta), None)
        elif event_type in (ADDED, MODIFIED):
            self._upsert(kind, meta)

    def _upsert(self, kind: str, meta: ObjectMetadata) -> None:
        key = _key(kind, meta)
        stamps = _stamps(meta)
        obj = self.objects.get(key)
        if obj is None:
            self.saw_time(max(stamps.values(), default=None))
            if len(self.objects) >= self.max_objects:
                self.dropped += 1
                return
            created = meta.creation_timestamp
            self.objects[key] = _Tracked(
                kind=sys.intern(kind),
                namespace=meta.namespace,
                name=meta.name,
                uid=meta.uid,
                owners=meta.owner_references,
                created=None if created is None else created.timestamp(),
                rv=meta.resource_version,
                stamps=stamps,
            )
            return
        if meta.resource_version == obj.rv:
            return  # the same version again (a relist): not a write
        managers, at = moved_managers(obj.stamps, stamps)
        self.saw_time(at)
        when = at if at is not None else self.clock
        obj.rv, obj.stamps, obj.owners = meta.resource_version, stamps, meta.owner_references
        if when is None or (obj.created is not None and when - obj.created < self.settle_seconds):
            return
        if obj.updates is None:
            obj.updates = deque(maxlen=self.ring_size)
        obj.updates.append((when, tuple(sys.intern(m) for m in managers)))

    # ------------------------------------------------------------------ reading

    def warmup(self) -> Warmup | None:
        """How far the measurement is while the latest-started kind has been watched for
        less than ``measure_seconds`` of server time; None once every kind has."""
        began = list(self.started.values())
        if self.clock is None or not began or None in began:
            measured = 0.0  # nothing listed yet, or no server time seen
        else:
            measured = max(0.0, self.clock - max(b for b in began if b is not None))
        return None if measured >= self.measure_seconds else Warmup(measured, self.measure_seconds)

    def _counts(self, window: float) -> list[_Count]:
        until = self.clock
        out: list[_Count] = []
        if until is None:
            return out
        for obj in self.objects.values():
            began = self.started.get(obj.kind)
            if began is None:
                continue
            start = max(began, until - window)
            ring = obj.updates or ()
            if len(ring) == self.ring_size and ring[0][0] > start:
                # The ring overflowed inside the window: measure over its own span.
                start = ring[0][0]
            out.append(_Count(obj, [u for u in ring if u[0] > start], until - start))
        return out

    def rates(self, *, window: float = 600.0, min_updates: int = 3) -> list[ObjectRate]:
        """Rates over the last ``window`` seconds of server time (less right after the
        start): per object, per owner with at least two tracked children, per manager.

        Objects are compared with their peers by ``find_hot_loops``, so every tracked
        object gets a row, zero rates included (they make the peers' median).
        """
        counts = self._counts(window)
        rows = [_object_rate(c, min_updates) for c in counts]
        rows += _owner_rates(counts, min_updates)
        rows += _manager_rates(counts, min_updates)
        return rows


def _per_minute(n: int, span: float, min_updates: int) -> float:
    return 60.0 * n / span if n >= min_updates and span > 0 else 0.0


def _ranked(managers: Iterable[str]) -> tuple[str, ...]:
    """Managers by how many updates they wrote, then by name."""
    counted = Counter(managers)
    return tuple(sorted(counted, key=lambda m: (-counted[m], m)))


def _object_rate(c: _Count, min_updates: int) -> ObjectRate:
    o = c.obj
    return ObjectRate(
        kind=o.kind,
        namespace=o.namespace,
        name=o.name,
        uid=o.uid,
        updates_per_minute=_per_minute(len(c.updates), c.span, min_updates),
        managers=_ranked(m for _, ms in c.updates for m in ms),
        window_seconds=c.span,
    )


def _owner_rates(counts: list[_Count], min_updates: int) -> list[ObjectRate]:
    """Per owner and child kind: the children's rewrites summed (a controller whose
    children churn), kind ``"<Child>s of <Owner>"``; owners with one child are skipped
    (their row would repeat the child's)."""
    groups: dict[tuple[str, str | None, str | None, str | None, str], list[_Count]] = {}
    for c in counts:
        for ref in c.obj.owners:
            key = (ref.kind or "?", c.obj.namespace, ref.name, ref.uid, c.obj.kind)
            groups.setdefault(key, []).append(c)
    rows = []
    for (owner_kind, namespace, name, uid, child_kind), children in groups.items():
        if len(children) < 2:
            continue
        span = max(c.span for c in children)
        updates = [u for c in children for u in c.updates]
        rows.append(
            ObjectRate(
                kind=f"{child_kind}s of {owner_kind}",
                namespace=namespace,
                name=name,
                uid=uid,
                updates_per_minute=_per_minute(len(updates), span, min_updates),
                managers=_ranked(m for _, ms in updates for m in ms),
                window_seconds=span,
            )
        )
    return rows


def _manager_rates(counts: list[_Count], min_updates: int) -> list[ObjectRate]:
    """Per manager, the rate of its busiest object: a controller that rewrites one object
    over and over stands out from the others, however many objects each one owns."""
    best: dict[str, tuple[float, float]] = {}  # manager → (rate, span)
    for c in counts:
        per_manager = Counter(m for _, ms in c.updates for m in ms)
        for manager, n in per_manager.items():
            rate = _per_minute(n, c.span, min_updates)
            if manager not in best or rate > best[manager][0]:
                best[manager] = (rate, c.span)
    return [
        ObjectRate(
            kind=MANAGER_KIND,
            namespace=None,
            name=manager,
            uid=None,
            updates_per_minute=rate,
            managers=(manager,),
            window_seconds=span,
        )
        for manager, (rate, span) in sorted(best.items())
    ]
