"""The sim's storage: objects, resource versions, history, watchers, logs, usage, RBAC.

``SimState`` plays etcd + the watch cache + the parts of the registry that decide what a
write does (graceful pod deletion, finalizers, owner garbage collection). The HTTP layer
(server.py) and the scenarios share one instance; every method is thread-safe.

Storage is shaped for 150k pods: each object is kept as its encoded JSON bytes (what a
LIST writes out verbatim) plus the little a selector needs (labels, selectable fields,
owner uids); dicts are decoded only when an object is read or changed. Paged and
``Exact`` reads are served from an etcd-like change log kept until compaction, so a
continue token sees the snapshot of its first page, and dies (410) once compaction
passes its resource version, as with a real apiserver.

Semantics followed (kubernetes/apiserver@v0.33.0 unless noted):
- ``pkg/registry/rest/delete.go`` BeforeDelete and ``pkg/registry/generic/registry/
  store.go`` Delete: preconditions, "only shorten" grace, finalizers hold the object,
  orphan/foreground finalizers from the propagation policy, dry-run returns the would-be
  result without writing;
- kubernetes/kubernetes ``pkg/registry/core/pod/strategy.go`` CheckGracefulDelete: pod
  grace = request, else terminationGracePeriodSeconds, 0 if unscheduled or terminal,
  negative → 1;
- ``pkg/storage/cacher/watch_cache.go``: bounded event window (100 … 102 400 events,
  ≥ 75 s), "too old resource version: N (oldest-1)";
- ``pkg/storage/etcd3/errors.go``: compaction messages for lists, continues, watches.
"""

from __future__ import annotations

import json
import random
import threading
import time
import uuid
from bisect import bisect_left, bisect_right, insort
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec

from kubetui.sim import wire_status
from kubetui.sim.resources import BY_PLURAL, ResourceDef, lookup

Obj = dict[str, Any]

#: resourceVersions jump this far past the saved one when a state file is loaded, so
#: clients holding RVs from before the restart never see an RV go backwards
RV_RESTART_MARGIN = 1000
#: a watcher whose queue grows past this is closed like a slow cacher consumer
WATCHER_QUEUE_LIMIT = 500_000
_SNAPSHOT_CHUNK = 2000

_encode = msgspec.json.encode
_decode = msgspec.json.decode


def rfc3339(dt: datetime) -> str:
    """metav1.Time wire form: UTC, second precision, ``Z``."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


class SimClock:
    """Sim time: frozen (moves only by ``advance``) or start + wall elapsed × speed."""

    def __init__(
        self, start: datetime | None = None, *, frozen: bool = True, speed: float = 1.0
    ) -> None:
        base = start or datetime.now(UTC)
        self._start = base.replace(microsecond=0)
        self.frozen = frozen
        self.speed = speed
        self._offset = 0.0
        self._mono0 = time.monotonic()
        self._listeners: list[Callable[[], None]] = []
        self._lock = threading.Lock()

    def now(self) -> datetime:
        elapsed = 0.0 if self.frozen else (time.monotonic() - self._mono0) * self.speed
        return self._start + timedelta(seconds=self._offset + elapsed)

    def timestamp(self) -> float:
        return self.now().timestamp()

    def advance(self, seconds: float) -> None:
        """Move sim time forward and let listeners (grace expiry, compaction) catch up."""
        with self._lock:
            self._offset += seconds
        for listener in list(self._listeners):
            listener()

    def add_listener(self, fn: Callable[[], None]) -> None:
        self._listeners.append(fn)


class Entry:
    """One stored object version: its JSON bytes and what selectors and GC need."""

    __slots__ = (
        "data",
        "delete_at",
        "deleting",
        "fields",
        "key",
        "labels",
        "owners",
        "rv",
        "uid",
        "written",
    )

    def __init__(
        self, key: str, rv: int, obj: Obj, rdef: ResourceDef, written: float = 0.0
    ) -> None:
        meta = obj.get("metadata") or {}
        self.key = key
        self.rv = rv
        self.uid: str = meta.get("uid") or ""
        self.labels: dict[str, str] = meta.get("labels") or {}
        self.fields = rdef.fields_fn(obj)
        self.owners = tuple(
            ref.get("uid") for ref in meta.get("ownerReferences") or () if ref.get("uid")
        )
        self.deleting = bool(meta.get("deletionTimestamp"))
        #: when a graceful deletion's grace runs out (epoch seconds), else None
        stamp = (
            parse_time(meta.get("deletionTimestamp"))
            if meta.get("deletionGracePeriodSeconds")
            else None
        )
        self.delete_at = None if stamp is None else stamp.timestamp()
        #: sim time (epoch seconds) of the write that made this version
        self.written = written
        self.data = _encode(obj)

    def obj(self) -> Obj:
        return _decode(self.data)


class Change:
    """A committed write: the new entry (the last state for DELETED) and the previous."""

    __slots__ = ("at", "entry", "prev", "rv", "type")

    def __init__(self, rv: int, type_: str, entry: Entry, prev: Entry | None, at: float) -> None:
        self.rv = rv
        self.type = type_
        self.entry = entry
        self.prev = prev
        self.at = at


class WatchClosed(Exception):
    """The server ended this watcher (slow consumer or shutdown)."""


class Watcher:
    """A registered watch: synthetic initial entries, then queued changes in RV order."""

    def __init__(self, rdef: ResourceDef, initial: list[Entry], backlog: list[Change], rv: int):
        self.rdef = rdef
        self.initial = initial
        #: the RV the watch starts after (its list RV for initial-events watches)
        self.start_rv = rv
        self._queue: deque[Change] = deque(backlog)
        self._cond = threading.Condition()
        self._closed: str | None = None

    def push(self, change: Change) -> None:
        with self._cond:
            if self._closed:
                return
            if len(self._queue) >= WATCHER_QUEUE_LIMIT:
                self._closed = "slow consumer"
            else:
                self._queue.append(change)
            self._cond.notify()

    def close(self, reason: str = "closed") -> None:
        with self._cond:
            self._closed = self._closed or reason
            self._cond.notify()

    def next(self, timeout: float) -> Change | None:
        """The next change, None after ``timeout`` seconds idle; WatchClosed when ended."""
        with self._cond:
            if not self._queue and not self._closed:
                self._cond.wait(timeout)
            if self._queue:
                return self._queue.popleft()
            if self._closed:
                raise WatchClosed(self._closed)
            return None

    def idle(self) -> bool:
        with self._cond:
            return not self._queue


@dataclass(frozen=True, slots=True)
class DenyRule:
    user: str
    verbs: frozenset[str]
    resource: str
    namespace: str | None


class _Store:
    """One resource's objects (sorted keys), change log and watch-cache window."""

    def __init__(self, rdef: ResourceDef, floor: int) -> None:
        self.rdef = rdef
        self.entries: dict[str, Entry] = {}
        self.keys: list[str] = []
        #: every change after the last compaction (etcd MVCC history)
        self.log: deque[Change] = deque()
        #: the watch cache window; all changes with rv > cache_floor are in it
        self.cache: deque[Change] = deque()
        self.cache_floor = floor
        self.watchers: set[Watcher] = set()
        #: keys of objects carrying a deletionTimestamp (grace expiry, finalizers)
        self.deleting: set[str] = set()


def object_key(rdef: ResourceDef, namespace: str | None, name: str) -> str:
    return f"{namespace}/{name}" if rdef.namespaced else name


def key_prefix(rdef: ResourceDef, namespace: str | None) -> str:
    """Keys of one namespace share ``ns/``; "" selects everything."""
    return f"{namespace}/" if rdef.namespaced and namespace else ""


class SimState:
    """Thread-safe object store with kube-apiserver write and read semantics."""

    def __init__(
        self,
        clock: SimClock | None = None,
        *,
        seed: int = 0,
        compaction_interval: float = 300.0,
        watch_cache_min: int = 100,
        watch_cache_max: int = 102_400,
        watch_cache_fresh: float = 75.0,
        event_ttl: float = 3600.0,
        start_rv: int = 0,
    ) -> None:
        self.clock = clock or SimClock()
        self._lock = threading.RLock()
        self._rng = random.Random(seed)
        self._rv = start_rv
        self._compacted_rv = start_rv
        self._compaction_interval = compaction_interval
        self._next_compaction = self.clock.timestamp() + compaction_interval
        self._compact_candidate = start_rv
        self._cache_min = watch_cache_min
        self._cache_max = watch_cache_max
        self._cache_fresh = watch_cache_fresh
        self._event_ttl = event_ttl
        self._next_event_expiry = 0.0
        self._stores = {name: _Store(rdef, start_rv) for name, rdef in BY_PLURAL.items()}
        self._owned: dict[str, set[tuple[str, str]]] = {}
        self._logs: dict[tuple[str, str, str, bool], list[tuple[datetime, str]]] = {}
        self._log_cond = threading.Condition(self._lock)
        self._usage: dict[tuple[str, str, str], tuple[int, int]] = {}
        self._deny: list[DenyRule] = []
        #: bearer token → user name
        self.tokens: dict[str, str] = {}
        self.clock.add_listener(self.process_due)

    # ------------------------------------------------------------------ basics
    @property
    def resource_version(self) -> int:
        with self._lock:
            return self._rv

    @property
    def compacted_rv(self) -> int:
        with self._lock:
            return self._compacted_rv

    def new_uid(self) -> str:
        with self._lock:
            return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def name_suffix(self) -> str:
        """Five characters of apimachinery's ``rand.String`` alphabet (generated names)."""
        with self._lock:
            return "".join(self._rng.choice("bcdfghjklmnpqrstvwxz2456789") for _ in range(5))

    def _store(self, resource: str) -> _Store:
        lookup(resource)
        return self._stores[resource]

    # ------------------------------------------------------------------ writes
    def create(self, resource: str, obj: Obj) -> Obj:
        """Store a new object (uid, RV, creationTimestamp stamped); ADDED."""
        rdef = lookup(resource)
        obj = _prepare(obj)
        meta = obj["metadata"]
        if rdef.namespaced:
            meta.setdefault("namespace", "default")
        else:
            meta.pop("namespace", None)
        name = meta.get("name")
        if not name and meta.get("generateName"):
            # names.SimpleNameGenerator: five characters of rand.String's alphabet
            name = meta["generateName"] + self.name_suffix()
            meta["name"] = name
        if not name:
            raise ValueError("metadata.name is required")
        with self._lock:
            store = self._stores[resource]
            key = object_key(rdef, meta.get("namespace"), name)
            if key in store.entries:
                raise wire_status.already_exists(rdef.group, rdef.plural, name)
            meta.setdefault("uid", self.new_uid())
            meta.setdefault("creationTimestamp", rfc3339(self.clock.now()))
            if rdef.group in ("apps", "batch") and "generation" not in meta:
                meta["generation"] = 1
            self._write(store, key, obj, "ADDED", None)
        return obj

    def replace(self, resource: str, obj: Obj) -> Obj:
        """Full update of an existing object; MODIFIED (KeyError-free: NotFound ApiError)."""
        rdef = lookup(resource)
        obj = _prepare(obj)
        meta = obj["metadata"]
        with self._lock:
            store = self._stores[resource]
            key = object_key(rdef, meta.get("namespace"), meta.get("name", ""))
            prev = store.entries.get(key)
            if prev is None:
                raise wire_status.not_found(rdef.group, rdef.plural, meta.get("name", ""))
            return self._update(store, key, prev, obj)

    def mutate(
        self, resource: str, namespace: str | None, name: str, fn: Callable[[Obj], None]
    ) -> Obj | None:
        """Edit an object in place under the lock; new RV, MODIFIED. None if absent."""
        rdef = lookup(resource)
        with self._lock:
            store = self._stores[resource]
            key = object_key(rdef, namespace, name)
            prev = store.entries.get(key)
            if prev is None:
                return None
            obj = prev.obj()
            fn(obj)
            return self._update(store, key, prev, obj)

    def _update(self, store: _Store, key: str, prev: Entry, obj: Obj) -> Obj:
        old = prev.obj()
        meta = obj.setdefault("metadata", {})
        old_meta = old.get("metadata") or {}
        for fixed in ("uid", "creationTimestamp", "namespace", "name"):
            if fixed in old_meta:
                meta[fixed] = old_meta[fixed]
        if "generation" in old_meta and obj.get("spec") != old.get("spec"):
            meta["generation"] = int(old_meta["generation"]) + 1
        if (
            meta.get("deletionTimestamp")
            and not meta.get("finalizers")
            and int(meta.get("deletionGracePeriodSeconds") or 0) == 0
        ):
            # registry store.go Update (shouldDeleteDuringUpdate): dropping the last
            # finalizer of a deleted object deletes it; watchers see only DELETED
            return self._drop(store, key, obj)
        self._write(store, key, obj, "MODIFIED", prev)
        return obj

    def remove(self, resource: str, namespace: str | None, name: str) -> Obj | None:
        """Immediate removal (no grace, finalizers ignored); DELETED; dependents GC'd."""
        rdef = lookup(resource)
        with self._lock:
            store = self._stores[resource]
            key = object_key(rdef, namespace, name)
            if key not in store.entries:
                return None
            return self._drop(store, key)

    def _write(self, store: _Store, key: str, obj: Obj, type_: str, prev: Entry | None) -> None:
        self._rv += 1
        obj["metadata"]["resourceVersion"] = str(self._rv)
        obj["metadata"] = _go_order(obj["metadata"])
        entry = Entry(key, self._rv, obj, store.rdef, self.clock.timestamp())
        if prev is None:
            insort(store.keys, key)
        else:
            self._unindex(store, prev)
        store.entries[key] = entry
        if entry.deleting:
            store.deleting.add(key)
        else:
            store.deleting.discard(key)
        for owner in entry.owners:
            self._owned.setdefault(owner, set()).add((store.rdef.plural, key))
        self._record(store, Change(self._rv, type_, entry, prev, self.clock.timestamp()))

    def _unindex(self, store: _Store, entry: Entry) -> None:
        for owner in entry.owners:
            deps = self._owned.get(owner)
            if deps is not None:
                deps.discard((store.rdef.plural, entry.key))
                if not deps:
                    del self._owned[owner]

    def _drop(self, store: _Store, key: str, last: Obj | None = None) -> Obj:
        prev = store.entries.pop(key)
        del store.keys[bisect_left(store.keys, key)]
        store.deleting.discard(key)
        self._unindex(store, prev)
        self._rv += 1
        obj = prev.obj() if last is None else last
        obj["metadata"]["resourceVersion"] = str(self._rv)
        final = Entry(key, self._rv, obj, store.rdef)
        self._record(store, Change(self._rv, "DELETED", final, prev, self.clock.timestamp()))
        self._collect_dependents(prev.uid)
        return obj

    def _record(self, store: _Store, change: Change) -> None:
        store.log.append(change)
        if store.rdef.watch_cached:
            cache = store.cache
            cache.append(change)
            horizon = change.at - self._cache_fresh
            while len(cache) > self._cache_max or (
                len(cache) > self._cache_min and cache[0].at < horizon
            ):
                store.cache_floor = cache.popleft().rv
        for watcher in list(store.watchers):
            watcher.push(change)

    # ------------------------------------------------------------------ delete
    def delete(
        self,
        resource: str,
        namespace: str | None,
        name: str,
        *,
        grace_period_seconds: int | None = None,
        preconditions: dict[str, str] | None = None,
        propagation_policy: str | None = None,
        dry_run: bool = False,
    ) -> tuple[Obj, bool]:
        """API DELETE. Returns (object after the call, removed now). Raises ApiError."""
        rdef = lookup(resource)
        with self._lock:
            store = self._stores[resource]
            key = object_key(rdef, namespace, name)
            entry = store.entries.get(key)
            if entry is None:
                raise wire_status.not_found(rdef.group, rdef.plural, name)
            obj = entry.obj()
            meta = obj["metadata"]
            _check_preconditions(rdef, meta, preconditions or {})
            grace = grace_period_seconds
            if grace is not None and grace < 0:
                grace = 1
            graceful = False
            if rdef.plural == "namespaces":
                return self._delete_namespace(store, key, entry, obj, dry_run), False
            if rdef.plural == "pods":
                current = int(meta.get("deletionGracePeriodSeconds") or 0)
                if meta.get("deletionTimestamp"):
                    if current:
                        if grace is None or grace >= current:
                            return obj, False  # graceful deletion pending
                        grace = self._shorten_grace(meta, current, grace)
                        graceful = True
                else:
                    grace = _pod_grace(obj, grace)
                    meta["deletionTimestamp"] = rfc3339(self.clock.now() + timedelta(seconds=grace))
                    meta["deletionGracePeriodSeconds"] = grace
                    if meta.get("generation"):
                        meta["generation"] = int(meta["generation"]) + 1
                    graceful = True
            before = meta.get("finalizers") or []
            finalizers = _gc_finalizers(before, propagation_policy)
            if finalizers:
                meta["finalizers"] = finalizers
            else:
                meta.pop("finalizers", None)
            if finalizers and not graceful:
                self._mark_deleting(meta)
            if graceful or finalizers or finalizers != before:
                pending = bool(finalizers) or int(meta.get("deletionGracePeriodSeconds") or 0) > 0
                if dry_run:
                    return obj, not pending
                self._write(store, key, obj, "MODIFIED", entry)
                if pending:
                    return obj, False
            elif dry_run:
                return obj, True
            return self._drop(store, key), True

    def _delete_namespace(self, store: _Store, key: str, entry: Entry, obj: Obj, dry: bool) -> Obj:
        """pkg/registry/core/namespace/storage: the ``kubernetes`` spec finalizer holds a
        deleted namespace in phase Terminating until its contents are gone."""
        if obj["metadata"].get("deletionTimestamp"):
            return obj
        self._mark_deleting(obj["metadata"])
        obj.setdefault("status", {})["phase"] = "Terminating"
        if not dry:
            self._write(store, key, obj, "MODIFIED", entry)
        return obj

    def _finish_namespaces(self) -> None:
        """The namespace controller: delete what a Terminating namespace holds, then it."""
        store = self._stores["namespaces"]
        for key in sorted(store.deleting):
            left = 0
            for resource, other in self._stores.items():
                if not other.rdef.namespaced:
                    continue
                for entry in self.entries(resource, key):
                    left += 1
                    if not entry.deleting:
                        self.delete(resource, key, entry.key.partition("/")[2])
            if not left and key in store.entries:
                self._drop(store, key)

    def _mark_deleting(self, meta: Obj) -> None:
        """store.go markAsDeleting: deletionTimestamp now (or earlier), grace 0."""
        now = self.clock.now()
        stamp = parse_time(meta.get("deletionTimestamp"))
        if stamp is None and meta.get("generation"):
            meta["generation"] = int(meta["generation"]) + 1
        if stamp is None or stamp > now:
            meta["deletionTimestamp"] = rfc3339(now)
        meta["deletionGracePeriodSeconds"] = 0

    def _shorten_grace(self, meta: Obj, current: int, grace: int) -> int:
        """rest/delete.go: move deletionTimestamp back, never into the past."""
        stamp = parse_time(meta.get("deletionTimestamp")) or self.clock.now()
        new_stamp = stamp - timedelta(seconds=current) + timedelta(seconds=grace)
        now = self.clock.now()
        if new_stamp < now:
            new_stamp = now
            if grace != 0:
                grace = 1
        meta["deletionTimestamp"] = rfc3339(new_stamp)
        meta["deletionGracePeriodSeconds"] = grace
        return grace

    def _collect_dependents(self, owner_uid: str) -> None:
        """Background GC: dependents of a removed owner get an API delete."""
        for resource, key in sorted(self._owned.pop(owner_uid, ())):
            store = self._stores[resource]
            entry = store.entries.get(key)
            if entry is None:
                continue
            namespace, _, name = key.rpartition("/")
            self.delete(
                resource,
                namespace or None,
                name,
                preconditions={"uid": entry.uid},
                propagation_policy="Background",
            )

    # ------------------------------------------------------------------ time
    def process_due(self) -> None:
        """Run what sim time made due: grace expiry, GC finalizers, compaction, event TTL."""
        now = self.clock.now()
        with self._lock:
            pods = self._stores["pods"]
            for key in sorted(pods.deleting):
                if key in pods.entries:
                    self._kubelet_finish(pods, key, now)
            self._process_finalizers()
            self._finish_namespaces()
            self._maybe_compact(now.timestamp())
            if now.timestamp() >= self._next_event_expiry:
                self._next_event_expiry = now.timestamp() + 60
                self._expire_events(now)

    def _kubelet_finish(self, store: _Store, key: str, now: datetime) -> None:
        entry = store.entries[key]
        if entry.delete_at is None or entry.delete_at > now.timestamp():
            return
        namespace, _, name = key.partition("/")
        self.delete("pods", namespace, name, grace_period_seconds=0)

    def _process_finalizers(self) -> None:
        """The garbage collector's handling of ``orphan`` and ``foregroundDeletion``."""
        for resource, store in self._stores.items():
            for key in sorted(store.deleting):
                entry = store.entries.get(key)
                if entry is None or (
                    b'"orphan"' not in entry.data and b'"foregroundDeletion"' not in entry.data
                ):
                    continue
                meta = entry.obj()["metadata"]
                finalizers = meta.get("finalizers") or []
                deps = sorted(self._owned.get(entry.uid, ()))
                if "orphan" in finalizers:
                    for dep_resource, dep_key in deps:
                        self._orphan(dep_resource, dep_key, entry.uid)
                    finalizers = [f for f in finalizers if f != "orphan"]
                elif "foregroundDeletion" in finalizers:
                    if deps:
                        for dep_resource, dep_key in deps:
                            dep = self._stores[dep_resource].entries.get(dep_key)
                            if dep is not None and not dep.deleting:
                                ns, _, name = dep_key.rpartition("/")
                                self.delete(dep_resource, ns or None, name)
                        continue
                    finalizers = [f for f in finalizers if f != "foregroundDeletion"]
                else:
                    continue
                namespace, _, name = key.rpartition("/")
                self.mutate(resource, namespace or None, name, _set_finalizers(finalizers))

    def _orphan(self, resource: str, key: str, owner_uid: str) -> None:
        def strip(obj: Obj) -> None:
            refs = obj["metadata"].get("ownerReferences") or []
            kept = [r for r in refs if r.get("uid") != owner_uid]
            if kept:
                obj["metadata"]["ownerReferences"] = kept
            else:
                obj["metadata"].pop("ownerReferences", None)

        namespace, _, name = key.rpartition("/")
        self.mutate(resource, namespace or None, name, strip)

    def _maybe_compact(self, now: float) -> None:
        """apiserver's compactor: every interval, compact to the RV seen one tick ago."""
        if self._compaction_interval <= 0:
            return
        while now >= self._next_compaction:
            self.compact(self._compact_candidate)
            self._compact_candidate = self._rv
            self._next_compaction += self._compaction_interval

    def compact(self, rv: int) -> None:
        """Forget history at or below ``rv``: older continue tokens and Exact reads 410."""
        with self._lock:
            if rv <= self._compacted_rv:
                return
            self._compacted_rv = min(rv, self._rv)
            for store in self._stores.values():
                while store.log and store.log[0].rv <= self._compacted_rv:
                    store.log.popleft()

    def _expire_events(self, now: datetime) -> None:
        """Events live ``event_ttl`` after their last write (the etcd lease of events)."""
        store = self._stores["events"]
        limit = now.timestamp() - self._event_ttl
        for key in [k for k, e in store.entries.items() if e.written < limit]:
            self._drop(store, key)

    # ------------------------------------------------------------------ reads
    def get(self, resource: str, namespace: str | None, name: str) -> Obj | None:
        rdef = lookup(resource)
        with self._lock:
            entry = self._stores[resource].entries.get(object_key(rdef, namespace, name))
        return None if entry is None else entry.obj()

    def get_entry(self, resource: str, namespace: str | None, name: str) -> Entry | None:
        rdef = lookup(resource)
        with self._lock:
            return self._stores[resource].entries.get(object_key(rdef, namespace, name))

    def list(self, resource: str, namespace: str | None = None) -> list[Obj]:
        """Deep copies of the current objects, in key order."""
        return [e.obj() for e in self.entries(resource, namespace)]

    def entries(self, resource: str, namespace: str | None = None) -> list[Entry]:
        rdef = lookup(resource)
        prefix = key_prefix(rdef, namespace)
        with self._lock:
            store = self._stores[resource]
            lo = bisect_left(store.keys, prefix)
            hi = bisect_left(store.keys, prefix + "\uffff") if prefix else len(store.keys)
            return [store.entries[k] for k in store.keys[lo:hi]]

    def check_readable(self, rv: int) -> None:
        """410 for a snapshot read below the compaction point (etcd ErrCompacted)."""
        with self._lock:
            if rv < self._compacted_rv:
                raise wire_status.expired("The resourceVersion for the provided list is too old.")

    def iter_snapshot(
        self, resource: str, rv: int, prefix: str, start: str = ""
    ) -> Iterator[Entry]:
        """Entries as of ``rv`` with keys ≥ ``start`` under ``prefix``, in key order.

        Reads in chunks, taking the lock per chunk, so a 150k-object LIST never blocks
        writers; each chunk undoes the changes made after ``rv`` (ApiError 410 if
        compaction passed ``rv`` meanwhile).
        """
        store = self._store(resource)
        cursor = max(prefix, start)
        end = prefix + "\uffff" if prefix else None
        while True:
            with self._lock:
                if rv < self._compacted_rv:
                    raise wire_status.expired(
                        "The resourceVersion for the provided list is too old."
                    )
                keys = store.keys
                lo = bisect_left(keys, cursor)
                hi = min(lo + _SNAPSHOT_CHUNK, len(keys))
                if end is not None:
                    hi = min(hi, bisect_left(keys, end, lo))
                chunk = keys[lo:hi]
                done = hi >= len(keys) or (end is not None and keys[hi] >= end)
                upper = None if done else chunk[-1]
                items = {k: store.entries[k] for k in chunk}
                for k, e in self._overrides(store, rv).items():
                    if k < cursor or (end is not None and k >= end):
                        continue
                    if upper is not None and k > upper:
                        continue
                    if e is None:
                        items.pop(k, None)
                    else:
                        items[k] = e
            yield from (items[k] for k in sorted(items))
            if done:
                return
            cursor = upper + "\x00"  # type: ignore[operator]

    def count_after(self, resource: str, rv: int, prefix: str, after: str) -> int:
        """How many objects of the snapshot at ``rv`` sort after key ``after``."""
        store = self._store(resource)
        end = prefix + "\uffff" if prefix else None
        with self._lock:
            keys = store.keys
            lo = bisect_right(keys, after)
            hi = bisect_left(keys, end) if end is not None else len(keys)
            count = max(0, hi - lo)
            for k, e in self._overrides(store, rv).items():
                if k <= after or (end is not None and k >= end) or not k.startswith(prefix):
                    continue
                count += (e is not None) - (k in store.entries)
            return count

    @staticmethod
    def _overrides(store: _Store, rv: int) -> dict[str, Entry | None]:
        out: dict[str, Entry | None] = {}
        for change in reversed(store.log):
            if change.rv <= rv:
                break
            out[change.entry.key] = change.prev
        return out

    def dependents(self, owner_uid: str) -> list[tuple[str, str]]:
        """(resource, key) of the objects whose ownerReferences name ``owner_uid``."""
        with self._lock:
            return sorted(self._owned.get(owner_uid, ()))

    # ------------------------------------------------------------------ watch
    def watch(self, resource: str, namespace: str | None, since: int | None) -> Watcher:
        """Register a watcher: ``since`` None = initial state, else changes after it."""
        store = self._store(resource)
        rdef = store.rdef
        prefix = key_prefix(rdef, namespace)
        with self._lock:
            if since is None:
                initial = self.entries(resource, namespace)
                watcher = Watcher(rdef, initial, [], self._rv)
            else:
                if rdef.watch_cached:
                    if since < store.cache_floor:
                        raise wire_status.expired(
                            f"too old resource version: {since} ({store.cache_floor})"
                        )
                    history = store.cache
                else:
                    if since < self._compacted_rv:
                        raise wire_status.expired(
                            "The resourceVersion for the provided watch is too old."
                        )
                    history = store.log
                backlog = [c for c in history if c.rv > since and c.entry.key.startswith(prefix)]
                watcher = Watcher(rdef, [], backlog, since)
            store.watchers.add(watcher)
            return watcher

    def unwatch(self, watcher: Watcher) -> None:
        with self._lock:
            self._stores[_plural(watcher.rdef)].watchers.discard(watcher)
        watcher.close()

    def close_watchers(self) -> None:
        with self._lock:
            for store in self._stores.values():
                for watcher in list(store.watchers):
                    watcher.close("shutdown")

    def bookmark_rv(self, watcher: Watcher) -> int | None:
        """The RV a bookmark may carry now: the current RV once the queue is drained."""
        with self._lock:
            return self._rv if watcher.idle() else None

    # ------------------------------------------------------------------ logs
    def set_logs(
        self, namespace: str, pod: str, container: str, lines: list[str], previous: bool = False
    ) -> None:
        """Replace a container's log (current or previous); lines get 1 s-spaced stamps."""
        now = self.clock.now()
        stamped = [
            (now - timedelta(seconds=len(lines) - 1 - i), line) for i, line in enumerate(lines)
        ]
        with self._log_cond:
            self._logs[(namespace, pod, container, previous)] = stamped
            self._log_cond.notify_all()

    def append_log(self, namespace: str, pod: str, container: str, line: str) -> None:
        with self._log_cond:
            self._logs.setdefault((namespace, pod, container, False), []).append(
                (self.clock.now(), line)
            )
            self._log_cond.notify_all()

    def log_lines(
        self, namespace: str, pod: str, container: str, previous: bool
    ) -> list[tuple[datetime, str]] | None:
        with self._lock:
            lines = self._logs.get((namespace, pod, container, previous))
            return None if lines is None else list(lines)

    def wait_log(self, namespace: str, pod: str, container: str, seen: int, timeout: float) -> None:
        """Block until the container's current log has more than ``seen`` lines."""
        with self._log_cond:
            lines = self._logs.get((namespace, pod, container, False)) or []
            if len(lines) <= seen:
                self._log_cond.wait(timeout)

    # ------------------------------------------------------------------ usage, RBAC
    def set_usage(
        self, namespace: str, pod: str, container: str, cpu_millis: int, memory_bytes: int
    ) -> None:
        with self._lock:
            self._usage[(namespace, pod, container)] = (cpu_millis, memory_bytes)

    def usage(self) -> dict[tuple[str, str, str], tuple[int, int]]:
        with self._lock:
            return dict(self._usage)

    def deny(
        self, user: str, verbs: list[str], resource: str, namespace: str | None = None
    ) -> None:
        """Make the API answer 403 for that user/verb/resource(/namespace)."""
        with self._lock:
            self._deny.append(DenyRule(user, frozenset(verbs), resource, namespace))

    def is_denied(self, user: str, verb: str, resource: str, namespace: str | None) -> bool:
        with self._lock:
            return any(
                rule.user == user
                and (verb in rule.verbs or "*" in rule.verbs)
                and rule.resource in (resource, "*")
                and (rule.namespace is None or rule.namespace == namespace)
                for rule in self._deny
            )

    def deny_rules(self) -> list[DenyRule]:
        with self._lock:
            return list(self._deny)

    def add_token(self, token: str, user: str) -> None:
        with self._lock:
            self.tokens[token] = user

    # ------------------------------------------------------------------ persistence
    def save(self, path: Path) -> None:
        """Write objects, RV, logs, usage, tokens and deny rules as JSON (atomic rename)."""
        with self._lock:
            doc = {
                "resourceVersion": self._rv,
                "simTime": rfc3339(self.clock.now()),
                "objects": {
                    name: [json.loads(store.entries[k].data) for k in store.keys]
                    for name, store in self._stores.items()
                },
                "logs": [
                    [ns, pod, c, prev, [[rfc3339(t), line] for t, line in lines]]
                    for (ns, pod, c, prev), lines in self._logs.items()
                ],
                "usage": [[*k, *v] for k, v in self._usage.items()],
                "tokens": self.tokens,
                "deny": [[r.user, sorted(r.verbs), r.resource, r.namespace] for r in self._deny],
            }
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_bytes(_encode(doc))
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path, clock: SimClock | None = None, **kwargs: Any) -> SimState:
        """A state continuing a saved one; RVs resume past the saved RV + a margin."""
        doc = _decode(path.read_bytes())
        start_rv = int(doc["resourceVersion"]) + RV_RESTART_MARGIN
        state = cls(clock, start_rv=start_rv, **kwargs)
        for name, objs in doc.get("objects", {}).items():
            if name not in state._stores:
                continue
            store = state._stores[name]
            for obj in objs:
                meta = obj["metadata"]
                key = object_key(store.rdef, meta.get("namespace"), meta["name"])
                rv = int(meta.get("resourceVersion") or 0)
                entry = Entry(key, rv, obj, store.rdef, state.clock.timestamp())
                store.entries[key] = entry
                for owner in entry.owners:
                    state._owned.setdefault(owner, set()).add((name, key))
            store.keys = sorted(store.entries)
        for ns, pod, c, prev, lines in doc.get("logs", []):
            state._logs[(ns, pod, c, prev)] = [
                (parse_time(t) or state.clock.now(), s) for t, s in lines
            ]
        for ns, pod, c, cpu, mem in doc.get("usage", []):
            state._usage[(ns, pod, c)] = (cpu, mem)
        state.tokens.update(doc.get("tokens", {}))
        for user, verbs, resource, namespace in doc.get("deny", []):
            state.deny(user, verbs, resource, namespace)
        return state


def _plural(rdef: ResourceDef) -> str:
    return rdef.plural


def _prepare(obj: Obj) -> Obj:
    """A copy of ``obj`` without kind/apiVersion (stored items carry neither).

    Shallow apart from ``metadata``, the only part the store writes into: the stored
    form is the encoded bytes, so later edits of nested input dicts cannot leak in.
    """
    out = {k: v for k, v in obj.items() if k not in ("kind", "apiVersion")}
    meta = out.get("metadata")
    out["metadata"] = dict(meta) if isinstance(meta, dict) else {}
    return out


#: metav1.ObjectMeta field order, so stored JSON reads like the apiserver's
_META_ORDER = (
    "name",
    "generateName",
    "namespace",
    "selfLink",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "labels",
    "annotations",
    "ownerReferences",
    "finalizers",
    "managedFields",
)


def _go_order(meta: Obj) -> Obj:
    ordered = {k: meta[k] for k in _META_ORDER if k in meta}
    if len(ordered) != len(meta):
        ordered.update((k, v) for k, v in meta.items() if k not in ordered)
    return ordered


def _pod_grace(pod: Obj, requested: int | None) -> int:
    """pod/strategy.go CheckGracefulDelete."""
    spec = pod.get("spec") or {}
    if requested is not None:
        grace = requested
    else:
        grace = int(spec.get("terminationGracePeriodSeconds") or 0)
    if not spec.get("nodeName"):
        grace = 0
    if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
        grace = 0
    return 1 if grace < 0 else grace


def _check_preconditions(rdef: ResourceDef, meta: Obj, pre: dict[str, str]) -> None:
    """rest/delete.go BeforeDelete: 409 naming the Kind (not the plural)."""
    name = meta.get("name", "")
    uid = pre.get("uid")
    if uid is not None and uid != meta.get("uid"):
        raise wire_status.conflict(
            rdef.group,
            rdef.kind,
            name,
            f"the UID in the precondition ({uid}) does not match the UID in record "
            f"({meta.get('uid')}). The object might have been deleted and then recreated",
        )
    rv = pre.get("resourceVersion")
    if rv is not None and rv != meta.get("resourceVersion"):
        raise wire_status.conflict(
            rdef.group,
            rdef.kind,
            name,
            f"the ResourceVersion in the precondition ({rv}) does not match the "
            f"ResourceVersion in record ({meta.get('resourceVersion')}). The object might "
            f"have been modified",
        )


def _gc_finalizers(current: list[str], policy: str | None) -> list[str]:
    """store.go deletionFinalizersForGarbageCollection (default policy: background)."""
    if policy is None:
        return list(current)
    kept = [f for f in current if f not in ("orphan", "foregroundDeletion")]
    if policy == "Orphan":
        kept.append("orphan")
    elif policy == "Foreground":
        kept.append("foregroundDeletion")
    return kept


def _set_finalizers(finalizers: list[str]) -> Callable[[Obj], None]:
    def apply(obj: Obj) -> None:
        if finalizers:
            obj["metadata"]["finalizers"] = finalizers
        else:
            obj["metadata"].pop("finalizers", None)

    return apply
