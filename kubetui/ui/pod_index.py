"""The order and filter of the pods table, kept over the store's pod dict.

At 150k pods anything done per pod in Python costs 0.1–1 s, so the index does per pod
only what the screen needs now:

* **First paint** needs the name order alone: one C-level pass (``attrgetter``) over the
  records in store order, which is the LIST's order (the API server lists by
  namespace/name), so the sort mostly confirms runs that are already in place.
* **Facts** (search key, STATUS, restarts, age, node) are computed once per record
  version: at once for a small watch batch, in background slices for a big one
  (:meth:`PodIndex.index_some`), and to completion only when a sort or filter needs them.
* **Sorts** other than by name are a stable sort of the name order by one value per pod
  (``key=dict.__getitem__``, no tuple per pod). Each order is cached and patched when a
  few pods move (remove them, ``insort`` them back) instead of sorted again.
* **Sorting ahead**: once the facts are in, every other order is built in background
  slices (:meth:`PodIndex.presort_some`), so the first ``s`` to each order finds it
  cached. One ``sorted`` of 150k pods holds the GIL for 60–140 ms (this machine), so a
  build sorts the name order in chunks and splits each chunk at pivot values sampled from
  the pods; each pivot's pods and each range between two pivots are then put in order one
  at a time. Every step costs a few milliseconds, and the result equals the one-shot sort.
* **Filtering** is ``needle in key`` over search keys aligned with the order, run in C
  (``compress`` over ``map(contains, …)``); a needle that extends an earlier one filters
  that earlier result, and earlier results are kept, so backspace costs nothing.

Pods keep their place in the name order when modified: namespace and name cannot change
(kubernetes/apimachinery pkg/api/validation/objectmeta.go, ValidateObjectMetaUpdate:
``ValidateImmutableField`` on name and namespace, master 2026-08), so only additions and
removals move rows there.
"""

from __future__ import annotations

import time
from bisect import bisect_left, bisect_right, insort
from collections.abc import Callable, Collection, Hashable, Iterable, Mapping
from itertools import chain, compress, filterfalse, repeat
from operator import attrgetter, contains, itemgetter
from typing import Final

from kubetui.model.engines import APP_ID_LABEL, KYUUBI_TAG_LABEL
from kubetui.model.records import Pod

#: The sort orders ``s`` cycles through, in order.
SORTS: Final = ("name", "status", "restarts", "age", "node")
#: A batch with at most this many changes gets its facts computed at once.
SMALL_BATCH: Final = 512
#: A cached order with more pods out of place than this is sorted again, not patched.
PATCH_LIMIT: Final = 2048
#: Sorting ahead: pods sorted per step, pods per range between two pivot values, and
#: one pod in this many sampled for the pivots.
PRESORT_CHUNK: Final = 2048
PRESORT_RANGE: Final = 4096
PRESORT_SAMPLE: Final = 32
#: Filter results kept per order (needles typed and erased), in rows per indexed pod:
#: every kept list is walked by each full garbage collection.
_KEPT_ROWS: Final = 2

_NAME_KEY = attrgetter("metadata.namespace", "metadata.name", "metadata.uid")
_THIRD = itemgetter(2)
_MISSING: Final = object()

#: Uids in display order. Tuples, not lists: the collector stops tracking a tuple of
#: strings once it has seen one, so 150k-row orders cost full collections nothing
#: (lists of 50k uids made each full collection ~10 ms longer, measured).
Rows = tuple[str, ...]


def search_key(pod: Pod) -> str:
    """What a filter matches: ``namespace/name``, node, phase and reasons, engine ids."""
    meta, status = pod.metadata, pod.status
    parts = [f"{meta.namespace or ''}/{meta.name or ''}", pod.spec.node_name or ""]
    parts += (status.phase or "", status.reason or "")
    for cs in (*status.init_container_statuses, *status.container_statuses):
        for state in (cs.state, cs.last_state):
            if state is None:
                continue
            if state.waiting is not None and state.waiting.reason:
                parts.append(state.waiting.reason)
            if state.terminated is not None and state.terminated.reason:
                parts.append(state.terminated.reason)
    labels = meta.labels or {}
    parts += (labels.get(APP_ID_LABEL, ""), labels.get(KYUUBI_TAG_LABEL, ""))
    return " ".join(p for p in parts if p).lower()


def _restarts(pod: Pod) -> int:
    statuses = (*pod.status.init_container_statuses, *pod.status.container_statuses)
    return sum(cs.restart_count or 0 for cs in statuses)


class _Order:
    """One cached sort order and the pods that may be out of place in it."""

    __slots__ = ("dirty", "uids")

    def __init__(self, uids: Rows) -> None:
        self.uids = uids
        self.dirty: set[str] = set()


class _Build:
    """A sort order being built ahead, a step at a time (``PodIndex.presort_some``).

    The name order is sorted ``PRESORT_CHUNK`` pods at a time; each sorted chunk is cut
    at the pivots into pieces, bucket ``2k + 1`` holding the pods whose value is
    ``pivots[k]`` and bucket ``2k`` those between ``pivots[k - 1]`` and ``pivots[k]``.
    Then the buckets are joined in order: a pivot's bucket is already in name order (its
    pieces are, chunk after chunk), a range's is sorted, stably, so ties stay in name
    order. Pods that change meanwhile are collected in ``dirty`` and patched afterwards
    like those of a cached order."""

    __slots__ = ("buckets", "dirty", "joined", "next", "pivots", "sort", "source", "uids")

    def __init__(self, sort: str, source: Rows, pivots: list[Hashable]) -> None:
        self.sort = sort
        self.source = source
        self.pivots = pivots
        self.buckets: list[list[list[str]]] = [[] for _ in range(2 * len(pivots) + 1)]
        #: Chunks of ``source`` sorted so far, then buckets joined so far.
        self.next = 0
        self.joined = 0
        self.uids: list[str] = []
        self.dirty: set[str] = set()


class PodIndex:
    """Sorted, filtered uids of ``pods``; ``status_of(pod)`` gives kubectl's STATUS."""

    def __init__(self, pods: Mapping[str, Pod], status_of: Callable[[Pod], str]) -> None:
        self._pods = pods
        self._status_of = status_of
        self.sort = SORTS[0]
        self.needle = ""
        self.namespace: str | None = None
        #: Restrict to these uids (an engine's pods), or None.
        self.only: frozenset[str] | None = None
        #: Every indexed uid by (namespace, name, uid); always complete.
        self._names: Rows = ()
        #: Uids whose facts are missing or stale.
        self._pending: set[str] = set()
        #: Facts per uid, one dict each so sorts and filters run on ``dict.__getitem__``.
        self._search: dict[str, str] = {}
        self._values: dict[str, dict[str, Hashable]] = {s: {} for s in SORTS[1:]}
        self._orders: dict[str, _Order] = {}
        #: The order being sorted ahead (``presort_some``), if any.
        self._build: _Build | None = None
        #: Bumped whenever membership, an order or a search key changes.
        self._version = 0
        self._results_for: tuple = ()
        self._results: dict[str, tuple[Rows, Rows]] = {}

    # ------------------------------------------------------------------ changes

    def changed(self, changed: Collection[str], removed: Collection[str]) -> None:
        """Take note of store changes (keys from ``ClusterState.apply``)."""
        if not changed and not removed:
            return
        if len(changed) + len(removed) > max(SMALL_BATCH, len(self._names) // 8):
            self._big_batch(changed, removed)
            return
        gone = {uid for uid in removed if self._forget(uid)}
        names = list(filterfalse(gone.__contains__, self._names)) if gone else None
        touched = bool(gone)
        for uid in changed:
            pod = self._pods.get(uid)
            if pod is None:
                continue
            known = uid in self._search or uid in self._pending
            moved, searched = self._learn(uid, pod)
            if not known:
                if names is None:
                    names = list(self._names)
                insort(names, uid, key=self._name_key)
                moved = SORTS[1:]
            build = self._build
            for sort in moved:
                if (order := self._orders.get(sort)) is not None:
                    order.dirty.add(uid)
                elif build is not None and build.sort == sort:
                    build.dirty.add(uid)
            touched = touched or searched or bool(moved)
        if names is not None:
            self._names = tuple(names)
        for sort, order in list(self._orders.items()):
            order.dirty |= gone
            if len(order.dirty) > PATCH_LIMIT:
                del self._orders[sort]
        if self._build is not None:
            self._build.dirty |= gone
            if len(self._build.dirty) > PATCH_LIMIT:
                self._build = None
        if touched:
            self._version += 1

    def _big_batch(self, changed: Collection[str], removed: Collection[str]) -> None:
        """A (re)LIST or a storm: rebuild the name order, leave the facts for later."""
        for uid in removed:
            self._forget(uid)
        self._pending.update(changed)
        self._orders.clear()
        self._build = None
        self._names = self._name_order()
        self._version += 1

    def _forget(self, uid: str) -> bool:
        """Drop ``uid``'s facts; True if it was indexed."""
        known = self._search.pop(uid, None) is not None
        for values in self._values.values():
            values.pop(uid, None)
        if uid in self._pending:
            self._pending.discard(uid)
            known = True
        return known

    def _learn(self, uid: str, pod: Pod) -> tuple[list[str], bool]:
        """Compute ``pod``'s facts: (the sorts whose value for it changed, whether its
        search key changed)."""
        self._pending.discard(uid)
        created = pod.metadata.creation_timestamp
        facts = (
            ("status", self._status_of(pod)),
            ("restarts", -_restarts(pod)),
            ("age", -created.timestamp() if created else 0.0),
            ("node", pod.spec.node_name or ""),
        )
        moved = []
        for sort, value in facts:
            values = self._values[sort]
            if values.get(uid, _MISSING) != value:
                values[uid] = value
                moved.append(sort)
        key = search_key(pod)
        searched = self._search.get(uid) != key
        self._search[uid] = key
        return moved, searched

    def index_some(self, budget: float) -> bool:
        """Compute pending facts for about ``budget`` seconds; True when none are left."""
        pending, pods = self._pending, self._pods
        deadline = time.perf_counter() + budget
        while pending:
            for _ in range(min(64, len(pending))):
                uid = pending.pop()
                if (pod := pods.get(uid)) is not None:
                    self._learn(uid, pod)
            if time.perf_counter() >= deadline:
                break
        return not pending

    def presort_some(self, budget: float) -> bool:
        """Build the sort orders not cached yet for about ``budget`` seconds, a few
        milliseconds per step (see ``_Build``); True when every order is cached. Waits
        for the facts (``index_some``): the orders sort by them."""
        if self._pending:
            return False
        deadline = time.perf_counter() + budget
        while True:
            if self._build is None:
                sort = next((s for s in SORTS[1:] if s not in self._orders), None)
                if sort is None:
                    return True
                self._build = self._start_build(sort)
            if not self._advance(self._build, deadline):
                return False
            self._finish_build()
            if time.perf_counter() >= deadline:
                return self.presorted

    @property
    def presorted(self) -> bool:
        """Every sort order is cached (``presort_some`` has nothing left to do)."""
        return all(s in self._orders for s in SORTS[1:])

    def _start_build(self, sort: str) -> _Build:
        """Pivots: distinct values of every ``PRESORT_SAMPLE``-th pod, one in so many
        that a range between two holds about ``PRESORT_RANGE`` pods."""
        values = self._values[sort]
        source = self._names
        sampled = filter(values.__contains__, source[::PRESORT_SAMPLE])
        sample = sorted(set(map(values.__getitem__, sampled)))
        step = max(1, len(sample) * PRESORT_RANGE // max(len(source), 1))
        return _Build(sort, source, sample[step // 2 :: step])

    def _advance(self, build: _Build, deadline: float) -> bool:
        """Sort chunks, then join buckets, until ``deadline``; True when all are done."""
        values = self._values[build.sort]
        get, known = values.__getitem__, values.__contains__
        source, pivots, buckets = build.source, build.pivots, build.buckets
        while build.next < len(source):
            start = build.next
            build.next += PRESORT_CHUNK
            run = sorted(filter(known, source[start : build.next]), key=get)
            low = 0
            for k, pivot in enumerate(pivots):
                high = bisect_left(run, pivot, low, key=get)
                buckets[2 * k].append(run[low:high])
                low, high = high, bisect_right(run, pivot, high, key=get)
                buckets[2 * k + 1].append(run[low:high])
                low = high
            buckets[-1].append(run[low:])
            if time.perf_counter() >= deadline:
                return False
        while build.joined < len(buckets):
            pieces = chain.from_iterable(buckets[build.joined])
            if build.joined % 2:  # one value: already in name order
                build.uids.extend(pieces)
            else:
                build.uids.extend(sorted(filter(known, pieces), key=get))
            buckets[build.joined] = []
            build.joined += 1
            if time.perf_counter() >= deadline:
                return False
        return True

    def _finish_build(self) -> None:
        """Cache the built order; its pods that changed meanwhile are patched when it is
        next read, as a cached order's are."""
        build, self._build = self._build, None
        assert build is not None
        order = self._orders[build.sort] = _Order(tuple(build.uids))
        order.dirty = build.dirty

    @property
    def pending(self) -> int:
        """How many pods still wait for their facts."""
        return len(self._pending)

    # ------------------------------------------------------------------ settings

    def set_sort(self, sort: str) -> None:
        if sort not in SORTS:
            raise ValueError(f"unknown sort {sort!r}")
        self.sort = sort

    def set_filter(self, needle: str) -> None:
        self.needle = needle.strip().lower()

    def set_namespace(self, namespace: str | None) -> None:
        self.namespace = namespace

    def set_only(self, uids: Iterable[str] | None) -> None:
        self.only = None if uids is None else frozenset(uids)

    # ------------------------------------------------------------------ reading

    @property
    def total(self) -> int:
        return len(self._names)

    def visible(self) -> Rows:
        """The uids to show, in order. Returns the same tuple while nothing changed."""
        order = self._order()
        if not self.needle and self.namespace is None and self.only is None:
            return order
        self.index_some(float("inf"))
        base = (self._version, self.sort, self.namespace, self.only)
        if base != self._results_for:
            self._results_for = base
            self._results = {"": self._scoped(order)}
        found = self._results.get(self.needle)
        if found is None:
            # The longest kept needle inside this one: its rows are a superset.
            start = max((n for n in self._results if n in self.needle), key=len)
            uids, keys = self._results[start]
            hits = list(map(contains, keys, repeat(self.needle)))
            found = (tuple(compress(uids, hits)), tuple(compress(keys, hits)))
            kept = sum(len(uids) for uids, _ in self._results.values())
            if kept + len(found[0]) > _KEPT_ROWS * len(self._names):
                self._results = {"": self._results[""]}
            self._results[self.needle] = found
        return found[0]

    def _scoped(self, order: Rows) -> tuple[Rows, Rows]:
        """``order`` within the namespace and the ``only`` set, with aligned search keys."""
        uids = order if self.only is None else tuple(filter(self.only.__contains__, order))
        keys = tuple(map(self._search.__getitem__, uids))
        if self.namespace is not None:
            prefix = f"{self.namespace.lower()}/"
            hits = [key.startswith(prefix) for key in keys]
            uids, keys = tuple(compress(uids, hits)), tuple(compress(keys, hits))
        return uids, keys

    def _order(self) -> Rows:
        """Every uid in the current sort, patched or rebuilt as needed."""
        if self.sort == "name":
            return self._names
        self.index_some(float("inf"))
        values = self._values[self.sort]
        order = self._orders.get(self.sort)
        if order is None and self._build is not None and self._build.sort == self.sort:
            self._advance(self._build, float("inf"))
            self._finish_build()
            order = self._orders[self.sort]
        if order is None:
            order = self._orders[self.sort] = _Order(
                tuple(sorted(self._names, key=values.__getitem__))
            )
        elif order.dirty:
            dirty, order.dirty = order.dirty, set()
            uids = list(filterfalse(dirty.__contains__, order.uids))
            name_key = self._name_key

            def key(uid: str) -> tuple:
                return (values[uid], name_key(uid))

            for uid in dirty:
                if uid in values:
                    insort(uids, uid, key=key)
            order.uids = tuple(uids)
        return order.uids

    def _name_key(self, uid: str) -> tuple[str, str, str]:
        meta = self._pods[uid].metadata
        return (meta.namespace or "", meta.name or "", uid)

    def _name_order(self) -> Rows:
        """Every pod by (namespace, name, uid), built in C when the records allow it."""
        try:
            uids = tuple(map(_THIRD, sorted(map(_NAME_KEY, self._pods.values()))))
        except TypeError:  # a None namespace or name beside a string
            uids = (None,)
        if None in uids or "" in uids:  # uid-less records: the store key is ns/name
            return tuple(sorted(self._pods, key=self._name_key))
        return uids
