"""WATCH: the NDJSON event stream, its start forms, bookmarks and the 410 ERROR event.

Follows kubernetes/apiserver@v0.33.0: ``pkg/endpoints/handlers/watch.go`` (200 + headers
flushed before the first event, one JSON event per line, the stream simply ends at the
deadline), ``handlers/response.go`` (each event object goes through the same Table /
PartialObjectMetadata conversion as a GET, the Table's column definitions only on the
first event),
``pkg/storage/cacher/cache_watcher.go`` (selector transitions: an object entering the
selector is ADDED, one leaving it is DELETED carrying its previous state at the event's
RV; events ≤ the requested RV are dropped; bookmarks ~every minute and 2 s before the
deadline, only with ``allowWatchBookmarks``), ``watch_cache.go`` (too-old RVs).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass

import msgspec

from kubetui.sim import tables, wire_status
from kubetui.sim.resources import ResourceDef
from kubetui.sim.state import Change, Entry, SimState, WatchClosed, Watcher, key_prefix
from kubetui.sim.wire_list import ListOptions, parse_rv, wait_for_rv
from kubetui.sim.wire_media import PLAIN, Target

INITIAL_EVENTS_END = "k8s.io/initial-events-end"


@dataclass(frozen=True, slots=True)
class WatchSettings:
    #: cacher bookmarkFrequency (1 min in kube-apiserver)
    bookmark_interval: float = 60.0
    #: --min-request-timeout: watches without timeoutSeconds end after this × rand[1, 2)
    min_request_timeout: float = 1800.0


def open_watch(
    state: SimState, rdef: ResourceDef, namespace: str | None, opts: ListOptions
) -> Watcher | wire_status.ApiError:
    """Register the watcher before any header is written.

    A too-old RV is not an HTTP error: it is returned so the caller can send it as the
    single ERROR event of a 200 stream. Other ApiErrors (504 too large) propagate.
    """
    rv_text = opts.resource_version
    try:
        since = parse_rv(rv_text)
    except wire_status.ApiError as err:
        # the cacher's Watch returns the versioner's parse error as is, not an APIStatus,
        # so the handler answers 500 with no reason (not the LIST's 400)
        raise wire_status.internal(err.message.removeprefix("invalid resource version: ")) from None
    try:
        if opts.send_initial_events:
            if rv_text not in ("", "0"):
                wait_for_rv(state, since)
            return state.watch(rdef.plural, namespace, None)
        if rv_text in ("", "0"):
            return state.watch(rdef.plural, namespace, None)
        return state.watch(rdef.plural, namespace, since)
    except wire_status.ApiError as err:
        if err.code == 410:
            return err
        raise


class EventEncoder:
    """Turns stored entries into event lines for one watch's negotiated target."""

    def __init__(self, rdef: ResourceDef, target: Target, now: Callable[[], object]) -> None:
        self.rdef = rdef
        self.target = target
        self.now = now
        self._columns_sent = False

    def obj(self, data: bytes, rv: int) -> bytes:
        kind = self.target.kind
        if kind == "Table":
            head = tables.table_head(
                self.rdef,
                b'{"resourceVersion":"%d"}' % rv,
                self.target.version,
                not self._columns_sent,
            )
            self._columns_sent = True
            row = tables.row_bytes(self.rdef, data, self.now(), "Metadata", self.target.version)  # type: ignore[arg-type]
            return head + row + b"]}"
        if kind == "PartialObjectMetadata":
            return tables.partial_object(data, self.target.version)
        return tables.with_type_meta(self.rdef, data)

    def event(self, type_: str, data: bytes, rv: int) -> bytes:
        return b'{"type":"' + type_.encode() + b'","object":' + self.obj(data, rv) + b"}\n"

    def bookmark(self, rv: int, initial_end: bool) -> bytes:
        """A BOOKMARK: the kind's empty object at ``rv``. Since 1.35 metav1.Time is
        ``omitzero`` (no ``creationTimestamp: null``), and kube-apiserver v1.37 writes the
        initial-events-end bookmark of a JSON watch without a list blueprint annotation
        (both as the e2e control plane answers, tests/e2e/test_sim_conformance.py)."""
        meta: dict[str, object] = {"resourceVersion": str(rv)}
        if initial_end:
            meta["annotations"] = {INITIAL_EVENTS_END: "true"}
        body = msgspec.json.encode({"metadata": meta, **self.rdef.empty_body})
        return self.event("BOOKMARK", body, rv)


def error_event(err: wire_status.ApiError) -> bytes:
    return b'{"type":"ERROR","object":' + msgspec.json.encode(err.body()) + b"}\n"


def serve_watch(
    send: Callable[[bytes], None],
    state: SimState,
    rdef: ResourceDef,
    namespace: str | None,
    opts: ListOptions,
    watcher: Watcher,
    target: Target,
    settings: WatchSettings,
) -> None:
    """Write events until the deadline, shutdown, or the client going away (OSError)."""
    start = time.monotonic()
    if opts.timeout_seconds:
        deadline = start + opts.timeout_seconds
        has_deadline = True
    else:
        deadline = start + settings.min_request_timeout * (1 + random.random())
        has_deadline = False
    encoder = EventEncoder(
        rdef, target if target.kind != "PartialObjectMetadataList" else PLAIN, state.clock.now
    )
    selection = opts.selection
    prefix = key_prefix(rdef, namespace)
    try:
        for entry in watcher.initial:
            if selection.matches(entry):
                send(encoder.event("ADDED", entry.data, entry.rv))
        if opts.send_initial_events and opts.allow_bookmarks:
            send(encoder.bookmark(watcher.start_rv, initial_end=True))
        watcher.initial = []
        next_bookmark = _next_bookmark(start, deadline, has_deadline, settings)
        while True:
            now = time.monotonic()
            if now >= deadline:
                return
            if opts.allow_bookmarks and next_bookmark is not None and now >= next_bookmark:
                rv = state.bookmark_rv(watcher)
                if rv is not None:
                    send(encoder.bookmark(rv, initial_end=False))
                    next_bookmark = _next_bookmark(now, deadline, has_deadline, settings)
            wake = deadline
            if opts.allow_bookmarks and next_bookmark is not None:
                wake = min(wake, max(next_bookmark, now + 0.01))
            change = watcher.next(timeout=max(0.0, wake - now))
            if change is None or change.rv <= watcher.start_rv:
                continue
            if not change.entry.key.startswith(prefix):
                continue
            line = _transition(change, selection.matches, encoder)
            if line is not None:
                send(line)
    except WatchClosed:
        return
    finally:
        state.unwatch(watcher)


def _next_bookmark(
    now: float, deadline: float, has_deadline: bool, settings: WatchSettings
) -> float | None:
    """cache_watcher.go nextBookmarkTime: a heartbeat, pulled to 2 s before a deadline;
    none when that moment has passed. The watcher is made after the handler set the
    deadline, so a 2 s watch is already past it (kube-apiserver sends it no bookmark)."""
    beat = now + settings.bookmark_interval
    if has_deadline:
        beat = min(beat, deadline - 2)
    return beat if beat > now else None


def _transition(
    change: Change, matches: Callable[[Entry], bool], encoder: EventEncoder
) -> bytes | None:
    """cache_watcher.go convertToWatchEvent."""
    entry, prev = change.entry, change.prev
    if change.type == "ADDED":
        return encoder.event("ADDED", entry.data, entry.rv) if matches(entry) else None
    if change.type == "DELETED":
        if prev is not None and matches(prev):
            return encoder.event("DELETED", entry.data, entry.rv)
        return None
    now_in = matches(entry)
    was_in = prev is not None and matches(prev)
    if now_in and was_in:
        return encoder.event("MODIFIED", entry.data, entry.rv)
    if now_in:
        return encoder.event("ADDED", entry.data, entry.rv)
    if was_in and prev is not None:
        old = msgspec.json.decode(prev.data)
        old.setdefault("metadata", {})["resourceVersion"] = str(change.rv)
        return encoder.event("DELETED", msgspec.json.encode(old), change.rv)
    return None
