"""Incremental analysis: ``triage.analyse`` run again and again over a changing store,
redoing only what the changed pods touch.

Why: the dashboard re-analyses every second while watch events arrive, and a full run
is ~0.6 s of pure Python at 50k pods (~2 s at 150k) holding the GIL, so repaints wait
behind it. Most of that is per-pod work that does not depend on the clock
(``container_terminations``) and grouping the engines. Records are immutable msgspec
Structs the store replaces on every change, so a record's identity tells whether what was
derived from it still holds: entries are keyed by ``id(pod)`` and keep the pod itself, so
an id cannot be reused by another object while its entry lives. Entries of pods absent
from a snapshot are dropped.

Kept per pod, as little as the dashboard can afford at 150k pods (tracemalloc at 50k:
this cache held 44 MB, 35 MB with the engine keys' holders as bare ids, ~15 MB now): the
record by id; facts only for the pods they can yield a finding for (the rest share one
empty ``PodFacts``); engine keys not at all (``engine_keys`` is cheap and a record never
changes, so they are computed again when the pod leaves or a walk reaches it); the
holders of a key and the pods of a node as a bare id or a list (sets cost 4× per id).

Per run, with n pods, c of them changed:

* O(n) at C speed: the ids of the snapshot, set differences against the entries.
* O(c): ``findings.pod_facts`` of each new record; the engines of every set of pods
  connected (``engines.engine_keys``) to a changed pod are regrouped with
  ``group_engines`` on that set alone.
* O(candidates): the checks at ``now`` (``findings.pod_findings_at``) only for the pods
  whose facts can yield a finding (OOM kill, crash loop, Failed, Terminating) or whose
  node is missing; ``zombie_findings`` only for engines ``may_have_zombies`` lets
  through (a few comparisons per engine); the hot loops only when the rates changed.

The result equals ``triage.analyse`` on the same snapshot, order included, given that
no record appears twice in one snapshot and that pods kept between calls keep their
relative order (as ``ClusterState.snapshot`` does); that order only matters between
engine pods of the same namespace and name.

Not thread-safe: one ``Analyser`` serves one worker thread at a time.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from itertools import compress
from operator import is_not
from typing import TypeVar

from kubetui.model.durations import as_aware
from kubetui.model.engines import Engine, EngineKey, engine_keys, engine_order, group_engines
from kubetui.model.findings import (
    NOTHING_TO_FIND,
    Finding,
    ObjectRate,
    PodFacts,
    Thresholds,
    find_hot_loops,
    may_have_zombies,
    node_name_set,
    oldest_live_pod,
    pod_facts,
    pod_findings_at,
    sort_findings,
    zombie_findings,
)
from kubetui.model.records import Node, Pod
from kubetui.model.triage import Analysis

K = TypeVar("K")


class _EngineEntry:
    __slots__ = ("engine", "oldest", "order")

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.oldest = oldest_live_pod(engine)
        self.order = engine_order(engine)


class Analyser:
    """``analyse`` has ``triage.analyse``'s inputs and result; it keeps per-pod and
    per-engine work between calls (see the module docstring)."""

    def __init__(self) -> None:
        self._reset(None)

    def __len__(self) -> int:
        """How many pod records are held (those of the last snapshot)."""
        return len(self._pods)

    def _reset(self, th: Thresholds | None) -> None:
        self._th = th
        #: the records of the last snapshot by id
        self._pods: dict[int, Pod] = {}
        #: the last snapshot, in its order
        self._prev: list[Pod] = []
        #: facts of the pods whose facts may yield a finding at some time (by id); every
        #: other pod's are ``NOTHING_TO_FIND``
        self._timed: dict[int, PodFacts] = {}
        #: node name → the id of its one pod, or a list of several
        self._on_node: dict[str, int | list[int]] = {}
        #: engine key → the id of the one pod holding it, or a list of several (most keys
        #: are a pod's own uid, held by that pod alone: a set each was 19 MB at 50k)
        self._by_key: dict[EngineKey, int | list[int]] = {}
        self._engines: dict[int, _EngineEntry] = {}
        self._engine_of: dict[int, _EngineEntry] = {}
        self._ordered: list[_EngineEntry] | None = None
        self._rates: tuple[ObjectRate, ...] | None = None
        self._hot_loops: list[Finding] = []

    def analyse(
        self,
        pods: Sequence[Pod],
        nodes: Sequence[Node] | None,
        now: datetime,
        *,
        thresholds: Thresholds | None = None,
        rates: Iterable[ObjectRate] = (),
        known_engine_ids: set[str] | None = None,
    ) -> Analysis:
        """What ``triage.analyse(pods, nodes, now, ...)`` returns."""
        th = thresholds or Thresholds()
        if th != self._th:
            self._reset(th)  # the facts depend on the thresholds
        ids = list(map(id, pods))
        self._update(pods, ids)
        ordered = self._engine_entries()
        findings = self._pod_findings(ids, nodes, ordered, as_aware(now), th, known_engine_ids)
        rates = tuple(rates)
        if rates != self._rates:
            self._rates, self._hot_loops = rates, find_hot_loops(rates, th)
        return Analysis([e.engine for e in ordered], findings + self._hot_loops)

    # ------------------------------------------------------------------ changes

    def _changes(self, pods: Sequence[Pod]) -> tuple[set[int], list[Pod]]:
        """(ids of the records gone, the records new) since the last snapshot.

        Only the positions whose record differs (by identity, in C) are looked at: a
        store snapshot keeps a modified pod in its place and appends new ones, so in
        the usual batch few differ. Exact for any order, as long as no record appears
        twice in one snapshot: a record at a differing position of the old list is
        still present only if it sits at a differing position (or the tail) of the new.
        """
        prev, common = self._prev, min(len(self._prev), len(pods))
        differs = list(map(is_not, prev, pods))
        old = set(map(id, compress(prev, differs)))
        old.update(map(id, prev[common:]))
        new = [*compress(pods, differs), *pods[common:]]
        removed = old.difference(map(id, new))
        return removed, [p for p in new if id(p) not in self._pods]

    def _update(self, pods: Sequence[Pod], ids: list[int]) -> None:
        entries, th = self._pods, self._th or Thresholds()
        removed, added = self._changes(pods)
        self._prev = list(pods)
        touched: set[EngineKey] = set()
        for i in removed:
            pod = entries.pop(i)
            self._timed.pop(i, None)
            if node := pod.spec.node_name:
                _unhold(self._on_node, node, i)
            keys = set(engine_keys(pod))
            for key in keys:
                _unhold(self._by_key, key, i)
            touched |= keys
        for pod in added:
            i = id(pod)
            entries[i] = pod
            if (facts := pod_facts(pod, th)).timed(pod):
                self._timed[i] = facts
            if node := pod.spec.node_name:
                _hold(self._on_node, node, i)
            keys = set(engine_keys(pod))
            for key in keys:
                _hold(self._by_key, key, i)
            touched |= keys
        if touched or removed:
            self._regroup(touched, removed, ids)

    def _regroup(self, touched: set[EngineKey], removed: set[int], ids: list[int]) -> None:
        """Regroup every pod connected to a touched key; drop the engines they and the
        removed pods were in (an engine's pods are all connected, see ``engine_keys``)."""
        affected: set[int] = set()
        seen: set[EngineKey] = set()
        stack = list(touched)
        if not self._engine_of:  # nothing grouped yet: every engine pod, no walk needed
            affected = set(_ids_held(self._by_key))
            stack = []
        while stack:
            key = stack.pop()
            if key in seen:
                continue
            seen.add(key)
            for i in _holders(self._by_key, key):
                if i not in affected:
                    affected.add(i)
                    stack += engine_keys(self._pods[i])
        for i in (*affected, *removed):
            if (old := self._engine_of.pop(i, None)) is not None:
                self._engines.pop(id(old.engine), None)
                self._ordered = None
        if not affected:
            return
        # group_engines sees the pods in snapshot order, as triage.analyse gives them
        pods = [self._pods[i] for i in filter(affected.__contains__, ids)]
        # keys: the int objects the other indexes hold already (new ones were 1.4 MB at 50k)
        held = {i: i for i in affected}
        for engine in group_engines(pods):
            entry = self._engines[id(engine)] = _EngineEntry(engine)
            for pod in engine.pods:
                self._engine_of[held[id(pod)]] = entry
        self._ordered = None

    def _engine_entries(self) -> list[_EngineEntry]:
        """Every engine in ``group_engines`` order. Engines with equal sort keys share an
        id, hence a key, hence were grouped together and added in their build order,
        which the stable sort keeps."""
        if self._ordered is None:
            self._ordered = sorted(self._engines.values(), key=lambda e: e.order)
        return self._ordered

    # ------------------------------------------------------------------ at now

    def _pod_findings(
        self,
        ids: list[int],
        nodes: Sequence[Node] | None,
        engines: list[_EngineEntry],
        now: datetime,
        th: Thresholds,
        known: set[str] | None,
    ) -> list[Finding]:
        """``find_pod_findings``: the same findings in the same order."""
        node_names = node_name_set(nodes)
        timed, candidates = self._timed, self._timed.keys()
        if node_names is not None and (missing := self._on_node.keys() - node_names):
            candidates = candidates | {i for n in missing for i in _holders(self._on_node, n)}
        found: list[Finding] = []
        for i in filter(candidates.__contains__, ids):
            facts = timed.get(i, NOTHING_TO_FIND)
            found += pod_findings_at(self._pods[i], facts, now, th, node_names)
        for e in engines:
            if may_have_zombies(e.engine, e.oldest, now, th, known):
                found += zombie_findings(e.engine, now, th, known)
        sort_findings(found)
        return found


def _hold(index: dict[K, int | list[int]], key: K, i: int) -> None:
    """Record that pod ``i`` holds ``key`` (once: callers pass each key of a pod once):
    a bare id while it is the only one, then a list. A list's ``remove`` is O(holders),
    which is also what regrouping them costs."""
    held = index.get(key)
    if held is None:
        index[key] = i
    elif isinstance(held, list):
        held.append(i)
    else:
        index[key] = [held, i]


def _unhold(index: dict[K, int | list[int]], key: K, i: int) -> None:
    """Take ``i`` out of ``index[key]``, and the key out once no pod holds it."""
    held = index[key]
    if isinstance(held, list):
        held.remove(i)
        if len(held) == 1:
            index[key] = held[0]
    else:
        del index[key]


def _holders(index: dict[K, int | list[int]], key: K) -> Iterable[int]:
    held = index.get(key)
    if held is None:
        return ()
    return held if isinstance(held, list) else (held,)


def _ids_held(index: dict[K, int | list[int]]) -> Iterable[int]:
    """Every id holding some key (an id holding several comes several times)."""
    for held in index.values():
        if isinstance(held, list):
            yield from held
        else:
            yield held
