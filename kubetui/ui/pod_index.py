"""The order and filter of the pods table, kept over the store's pod dict.

Typing a filter must not cost a sort or an allocation per row (DESIGN.md, hot path
rules): every pod gets a lowercase search key when its record changes, the sorted order
is kept beside those keys, and a keystroke is one pass of ``needle in key`` over them.
The sorted order is rebuilt only when a pod is added or removed, or a pod's sort key
changes; a modification that moves nothing costs one search-key update.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Final

from kubetui.model.engines import APP_ID_LABEL, KYUUBI_TAG_LABEL
from kubetui.model.records import Pod

#: The sort orders ``s`` cycles through, in order.
SORTS: Final = ("name", "status", "restarts", "age", "node")


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


class PodIndex:
    """Sorted, filtered uids of ``pods``; ``status_of(uid)`` gives kubectl's STATUS."""

    def __init__(self, pods: Mapping[str, Pod], status_of: Callable[[str], str]) -> None:
        self._pods = pods
        self._status_of = status_of
        self.sort = SORTS[0]
        self.needle = ""
        self.namespace: str | None = None
        #: Restrict to these uids (an engine's pods), or None.
        self.only: frozenset[str] | None = None
        self._search: dict[str, str] = {}
        self._sort_keys: dict[str, tuple] = {}
        self._sorted: list[str] = []
        self._sorted_search: list[str] = []
        self._visible: list[str] = []
        self._order_dirty = True
        self._filter_dirty = True

    # ------------------------------------------------------------------ changes

    def changed(self, changed: Iterable[str], removed: Iterable[str]) -> None:
        """Take note of store changes (keys from ``ClusterState.apply``)."""
        for uid in removed:
            if self._search.pop(uid, None) is not None:
                self._sort_keys.pop(uid, None)
                self._order_dirty = True
        for uid in changed:
            pod = self._pods.get(uid)
            if pod is None:
                continue
            key = search_key(pod)
            old = self._search.get(uid)
            self._search[uid] = key
            sort_key = self._sort_key(uid, pod)
            if old is None or self._sort_keys.get(uid) != sort_key:
                self._order_dirty = True
            elif old != key:
                self._filter_dirty = True
            self._sort_keys[uid] = sort_key

    def set_sort(self, sort: str) -> None:
        if sort not in SORTS:
            raise ValueError(f"unknown sort {sort!r}")
        if sort != self.sort:
            self.sort = sort
            self._sort_keys = {uid: self._sort_key(uid, self._pods[uid]) for uid in self._search}
            self._order_dirty = True

    def set_filter(self, needle: str) -> None:
        needle = needle.strip().lower()
        if needle != self.needle:
            self.needle = needle
            self._filter_dirty = True

    def set_namespace(self, namespace: str | None) -> None:
        if namespace != self.namespace:
            self.namespace = namespace
            self._filter_dirty = True

    def set_only(self, uids: Iterable[str] | None) -> None:
        self.only = None if uids is None else frozenset(uids)
        self._filter_dirty = True

    # ------------------------------------------------------------------ reading

    @property
    def total(self) -> int:
        return len(self._search)

    def visible(self) -> list[str]:
        """The uids to show, in order (rebuilt only when something moved)."""
        if self._order_dirty:
            self._sorted = sorted(self._search, key=self._sort_keys.__getitem__)
            search = self._search
            self._sorted_search = [search[uid] for uid in self._sorted]
            self._order_dirty = False
            self._filter_dirty = True
        if self._filter_dirty:
            self._visible = self._filtered()
            self._filter_dirty = False
        return self._visible

    def _filtered(self) -> list[str]:
        needle, only = self.needle, self.only
        prefix = f"{self.namespace.lower()}/" if self.namespace is not None else ""
        if not needle and not prefix and only is None:
            return self._sorted
        return [
            uid
            for uid, key in zip(self._sorted, self._sorted_search, strict=True)
            if needle in key and key.startswith(prefix) and (only is None or uid in only)
        ]

    def _sort_key(self, uid: str, pod: Pod) -> tuple:
        meta = pod.metadata
        where = (meta.namespace or "", meta.name or "", uid)
        if self.sort == "status":
            return (self._status_of(uid), *where)
        if self.sort == "restarts":
            return (-_restarts(pod), *where)
        if self.sort == "age":
            created = meta.creation_timestamp
            return (-(created.timestamp()) if created else 0.0, *where)
        if self.sort == "node":
            return (pod.spec.node_name or "", *where)
        return where
