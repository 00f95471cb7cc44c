"""One LIST+WATCH loop (a reflector) per kind and scope, in a daemon thread.

Follows client-go's reflector (kubernetes/client-go ``tools/cache/reflector.go`` at
master 32ce75a7d6bc, 2026-07-24) where it matters for correctness:

* one LIST, then ONE WATCH at the list's resourceVersion with
  ``allowWatchBookmarks=true`` and ``timeoutSeconds`` random in [300, 600)
  (``minWatchTimeout + rand × (maxWatchTimeout − minWatchTimeout)``); every event,
  bookmarks included, advances the resourceVersion the next watch resumes from;
* a watch that ends normally is reopened at once; one that ends in under a second with
  no event is a "very short watch", an error; ``isWatchErrorRetriable`` errors
  (connection refused, 429) back off and re-watch;
* 410 Expired / Gone (an ERROR event or HTTP 410, ``isExpiredError``) backs off, then
  relists;
* backoff ``wait.Backoff{800ms, ×2, jitter 1.0, cap 30s}.DelayWithReset(2min)``
  (``supervise.py`` :class:`Backoff`);
* ``Run`` restarts ``ListAndWatch`` after the backoff whatever ended it: here any
  exception the loop does not handle itself (its own code, a decoder, the sink's
  callback) is logged, posted as the "error" state and followed, after the backoff, by
  a relist (``supervise.py``).

Where kubetui deliberately differs, for a 150k-pod cluster:

* LISTs are paged with ``limit``/``continue`` at resourceVersion "" (a consistent read,
  ``kube_list.list_all``), never ``resourceVersion=0`` or client-go's unpaged relist at
  the last RV, either of which makes the server send every pod in one body (1.4 GB at
  150k pods). Only a continue token that expires mid-list (compacted after 5–10 min)
  makes ``list_all`` fall back, like client-go's pager, to one unpaged LIST.
* Every failure other than 410 resumes the WATCH from the last resourceVersion after a
  backoff instead of relisting: if that resourceVersion really is gone, the server says
  410 and only then is the cost of a relist paid.

Each reflector reports through a :class:`Sink`: the snapshot after every complete LIST,
every watch change, and a :class:`SyncState` on every phase change. The pod/node ingest's
sink is a :class:`Batcher`; the churn watch (``sources/churn.py``) runs the same loop over
metadata-only requests of any kind (:class:`ResourceKind`) into its own sink.
"""

from __future__ import annotations

import contextlib
import logging
import math
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, Final, Protocol

import urllib3

from kubetui.model.decode import InputError, Page, decode_node_page, decode_pod_page
from kubetui.model.records import Node, Pod
from kubetui.model.store import ADDED, DELETED, MODIFIED, Change, ChangeBatch, SyncState
from kubetui.sources.kube_client import KubeClient, KubeError
from kubetui.sources.kube_list import list_all
from kubetui.sources.supervise import Backoff, Stopped, supervise
from kubetui.sources.watch_decode import ERROR, Compactor, WatchEvent, decode_event

log = logging.getLogger(__name__)

# client-go tools/cache/reflector.go (master 32ce75a7d6bc): defaultMinWatchTimeout,
# defaultMaxWatchTimeout (its defaultBackoff is supervise.py's).
MIN_WATCH_TIMEOUT: Final = 300.0
MAX_WATCH_TIMEOUT: Final = 600.0
#: handleWatch: a watch closed this fast with no event is an error ("very short watch").
VERY_SHORT_WATCH: Final = 1.0

#: Read timeout of a watch: longer than kube-apiserver's ~60 s bookmark heartbeat
#: (cacher bookmarkFrequency) so an idle watch never trips it, short enough to notice a
#: dead connection. A timeout means the connection is dead (a live one carries at least
#: the bookmarks): the source says "reconnecting" at once and "stale" STALE_AFTER later.
WATCH_READ_TIMEOUT: Final = 90.0
CONNECT_TIMEOUT: Final = 10.0
#: "reconnecting" turns "stale" after this long without a working watch.
STALE_AFTER: Final = 15.0

#: Items per LIST page, chosen with bench/sync_bench.py (bench/README.md "sync_bench"):
#: fewer round trips make the sync faster, but every page's body and not-yet-compacted
#: records are transient memory that stays in the process's heap afterwards.
DEFAULT_PAGE_SIZE: Final = 1000


def watch_timeout(rand: Callable[[], float] = random.random) -> int:
    """``timeoutSeconds`` of one watch: random in [300, 600), as reflector.go picks it."""
    return int(MIN_WATCH_TIMEOUT + rand() * (MAX_WATCH_TIMEOUT - MIN_WATCH_TIMEOUT))


# ---------------------------------------------------------------- batching


class Batcher:
    """Posts one reflector's output in order: changes batched, snapshots and states now.

    Watch changes wait until the oldest is ``interval`` seconds old (a :class:`Flusher`
    posts them) or ``max_items`` are pending. Everything else flushes pending changes
    first, so the receiver sees exactly the server's order. All batchers of one ingest
    share ``lock``; ``post`` is called with it held, so posts never interleave.
    """

    def __init__(
        self,
        kind: str,
        post: Callable[[ChangeBatch], None],
        lock: threading.Condition,
        *,
        interval: float,
        max_items: int = 5000,
    ) -> None:
        self.kind = kind
        self._post = post
        self._lock = lock
        self.interval = interval
        self._max = max_items
        self._changes: list[Change] = []
        self._first = 0.0
        #: Told when the flusher's post of this batcher's changes raised (the changes
        #: are lost): the reflector's ``fail``.
        self.on_lost: Callable[[BaseException], None] | None = None

    @property
    def due(self) -> float | None:
        """Monotonic time the pending changes must go out (call with the lock held)."""
        return self._first + self.interval if self._changes else None

    def add(self, change: Change) -> None:
        with self._lock:
            if not self._changes:
                self._first = time.monotonic()
                self._lock.notify_all()  # the flusher learns the new due time
            self._changes.append(change)
            if len(self._changes) >= self._max:
                self.flush_locked()

    def send(self, batch: ChangeBatch) -> None:
        """Post pending changes, then ``batch`` (a snapshot or a sync state)."""
        with self._lock:
            self.flush_locked()
            self._post(batch)

    def flush_locked(self) -> None:
        """Post the pending changes, if any (call with the lock held)."""
        if self._changes:
            changes, self._changes = self._changes, []
            self._post(ChangeBatch(kind=self.kind, changes=changes))


class Flusher(threading.Thread):
    """Posts each batcher's changes when they are due; sleeps while nothing is pending."""

    def __init__(self, lock: threading.Condition, batchers: list[Batcher]) -> None:
        super().__init__(name="kubetui-ingest-flush", daemon=True)
        self._lock = lock
        self._batchers = batchers
        self._stopping = False

    def run(self) -> None:
        with self._lock:
            while not self._stopping:
                now = time.monotonic()
                for batcher in self._batchers:
                    due = batcher.due
                    if due is not None and due <= now:
                        self._flush(batcher)
                pending = [due for b in self._batchers if (due := b.due) is not None]
                self._lock.wait(max(0.0, min(pending) - now) if pending else None)

    def stop(self) -> None:
        """End the thread after posting whatever is still pending."""
        with self._lock:
            self._stopping = True
            self._lock.notify_all()
            for batcher in self._batchers:
                self._flush(batcher)

    @staticmethod
    def _flush(batcher: Batcher) -> None:
        """Post one batcher's changes; if the post raises, the changes are lost and the
        batcher's reflector is told (it fails and relists), and the flusher goes on."""
        try:
            batcher.flush_locked()
        except Exception as exc:
            if batcher.on_lost is None:
                log.error("posting %s changes failed", batcher.kind, exc_info=exc)
            else:
                batcher.on_lost(exc)


# ---------------------------------------------------------------- the reflector


@dataclass(frozen=True, slots=True)
class ResourceKind:
    """What a reflector lists and watches: the URL for a scope, the Accept header of
    each request, and the decoders of a LIST page and of a watch line.

    Pods and nodes are typed records shared through a :class:`Compactor`; the churn
    watch (``sources/churn.py``) asks for ``PartialObjectMetadata`` instead.
    """

    kind: str
    plural: str
    namespaced: bool
    decode_page: Callable[[bytes], Page]
    #: One watch line into an event; ``None`` for a line that is not an event.
    decode_event: Callable[[bytes], WatchEvent | None]
    #: ``/api/v1`` or ``/apis/<group>/<version>``.
    prefix: str = "/api/v1"
    list_accept: str = "application/json"
    watch_accept: str = "application/json"
    #: The Compactor method that shares this kind's equal values (None: kept as decoded).
    compact: Callable[[Compactor, Any], Any] | None = None

    def path(self, namespace: str | None) -> str:
        if namespace and self.namespaced:
            return f"{self.prefix}/namespaces/{namespace}/{self.plural}"
        return f"{self.prefix}/{self.plural}"


PODS: Final = ResourceKind(
    "Pod", "pods", True, decode_pod_page, partial(decode_event, record_type=Pod),
    compact=Compactor.pod,
)  # fmt: skip
NODES: Final = ResourceKind(
    "Node", "nodes", False, decode_node_page, partial(decode_event, record_type=Node),
    compact=Compactor.node,
)  # fmt: skip


class Sink(Protocol):
    """Where a reflector reports: a :class:`Batcher`, or the churn watch's tracker."""

    def add(self, change: Change) -> None:
        """One watch change (ADDED, MODIFIED or DELETED), in the server's order."""

    def send(self, batch: ChangeBatch) -> None:
        """A sync state, with the LIST's snapshot after a complete LIST."""


class _ListClient:
    """``list_all``'s client: the kube client's GET with the kind's list Accept header."""

    def __init__(self, kube: KubeClient, accept: str) -> None:
        self._kube = kube
        self._accept = accept

    def get(self, path: str, query: Sequence[tuple[str, str]] = ()) -> bytes:
        return self._kube.get(path, query, accept=self._accept)


_EXPIRED_REASONS: Final = ("Expired", "Gone")
_CHANGE_TYPES: Final = frozenset((ADDED, MODIFIED, DELETED))


def is_expired(exc: KubeError) -> bool:
    """reflector.go isExpiredError: 410, reason Expired (1.18+) or Gone (older)."""
    return exc.status == 410 or exc.reason in _EXPIRED_REASONS


class Reflector(threading.Thread):
    """LIST then WATCH one kind in one scope, forever, posting through a :class:`Sink`.

    ``on_forbidden(exc)``, if given, is called instead of retrying when the very first
    LIST is refused (403); the reflector then ends (the caller falls back to
    namespaces). ``on_first_list()`` is called once, when the first LIST has ended,
    complete or failed.
    """

    def __init__(
        self,
        kube: KubeClient,
        resource: ResourceKind,
        sink: Sink,
        *,
        namespace: str | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        compactor: Compactor | None = None,
        on_forbidden: Callable[[KubeError], None] | None = None,
        on_first_list: Callable[[], None] | None = None,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self.source = resource.plural + (f"/{namespace}" if namespace else "")
        super().__init__(name=f"kubetui-reflector-{self.source}", daemon=True)
        self.kube = kube
        self.resource = resource
        self.sink = sink
        self.namespace = namespace if resource.namespaced else None
        self.page_size = page_size
        self._compact: Callable[[Any], Any] = (
            partial(resource.compact, compactor or Compactor()) if resource.compact else _same
        )
        self._on_forbidden = on_forbidden
        self._on_first_list = on_first_list
        self._rand = rand
        self._stop_event = threading.Event()
        #: What another thread's failure lost (``fail``); raised at the loop's next step.
        self._lost: BaseException | None = None
        self._response: Any = None
        self._response_lock = threading.Lock()
        self.backoff = Backoff(rand=rand)
        #: Requests made, by verb ("LIST" pages, "WATCH" opens); keys fixed up front so
        #: other threads can copy it safely.
        self.requests: Counter[str] = Counter(LIST=0, WATCH=0)
        #: The resourceVersion the next watch resumes from (None: a LIST is needed).
        self.resource_version: str | None = None
        self.phase = ""
        self._since = datetime.now(UTC)
        self._message: str | None = None
        self._failing_since: float | None = None
        #: Retry-After of the last failure, used (once) by the next wait.
        self._retry_after: float | None = None
        #: While a failing source waits out its backoff: when it tries again (the header's
        #: "retry in 23s"), so a long client-go style backoff is not taken for a hang.
        self._retry_at: datetime | None = None
        self._synced = False
        #: Objects in the scope as far as this reflector knows (for SyncState.items).
        self._count = 0
        self._last_page = False

    # ------------------------------------------------------------ control

    def stop(self) -> None:
        """Ask the loop to end and unblock a read in progress; does not join."""
        self._stop_event.set()
        self._shutdown_response()

    def _shutdown_response(self) -> None:
        with self._response_lock:
            response = self._response
        if response is not None:
            # urllib3 shutdown(): SHUT_RD on the socket, so a read1() blocked in the
            # reflector thread returns at once; ValueError/RuntimeError once released.
            with contextlib.suppress(ValueError, RuntimeError, OSError):
                response.shutdown()

    @property
    def stopping(self) -> bool:
        return self._stop_event.is_set()

    def fail(self, exc: BaseException) -> None:
        """Another thread lost this reflector's output (the flusher's post of its changes
        raised ``exc``): the reflector fails with ``exc`` at its next step, as if it had
        raised it itself, and so relists. Unblocks a watch read in progress."""
        self._lost = exc
        self._shutdown_response()

    def run(self) -> None:
        supervise(
            self._loop,
            name=self.source,
            crashed=self._crashed,
            wait=self._stop_event.wait,
            backoff=self.backoff,
        )

    def _crashed(self, cause: str) -> None:
        """The loop raised something it does not handle: post "error" (the data it
        delivered is kept, stale) and relist when it starts over, since the failure may
        have lost a change."""
        self.resource_version = None
        self._failing_since = None
        self._set_phase("error", message=cause, stale=self._synced, items=self._count)
        self._first_list_done()

    def _check_lost(self) -> None:
        """Raise what :meth:`fail` was given, once."""
        lost, self._lost = self._lost, None
        if lost is not None:
            raise lost

    def _loop(self) -> None:
        while not self.stopping:
            self._check_lost()
            if self.resource_version is None:
                try:
                    self.resource_version = self._list()
                except (KubeError, InputError, urllib3.exceptions.HTTPError, OSError) as exc:
                    # A body cut short or unreadable: retried like an unreachable server.
                    error = exc if isinstance(exc, KubeError) else KubeError(f"LIST: {exc}")
                    if error.status == 403 and self._on_forbidden and not self._synced:
                        self._on_forbidden(error)
                        self._first_list_done()
                        return
                    self._failed(error)
                    self._first_list_done()
                    self._retry_later()
                    continue
                self._first_list_done()
            outcome = self._watch()
            if outcome is _EXPIRED:
                self.resource_version = None
                self._retry_later()
            elif outcome is _FAILED:
                self._retry_later()

    def _delay(self) -> float:
        """The backoff's next step, but never less than the server's Retry-After (client-go
        honours it too: rest/request.go checkWait/retryAfterSeconds)."""
        asked, self._retry_after = self._retry_after, None
        return max(self.backoff.step(), asked or 0.0)

    def _retry_later(self) -> None:
        """Wait out the backoff; a source in an outage says when it tries again."""
        delay = self._delay()
        if self.phase in ("reconnecting", "stale"):
            self._retry_at = datetime.now(UTC) + timedelta(seconds=delay)
            self._set_phase(self.phase, message=self._message, since=self._since)
        try:
            self._sleep(delay)
        finally:
            self._retry_at = None

    def _sleep(self, seconds: float) -> None:
        """Wait, posting "stale" if the outage outlasts STALE_AFTER meanwhile."""
        deadline = time.monotonic() + seconds
        while True:
            now = time.monotonic()
            wake = deadline
            if self._failing_since is not None and self.phase == "reconnecting":
                stale_at = self._failing_since + STALE_AFTER
                if now >= stale_at:
                    self._set_phase("stale", message=self._message, since=self._outage_since())
                    continue
                wake = min(deadline, stale_at)
            if self._stop_event.wait(max(0.0, wake - now)):
                raise Stopped
            if wake >= deadline:
                return

    # ------------------------------------------------------------ phases

    def _set_phase(
        self,
        phase: str,
        *,
        message: str | None = None,
        since: datetime | None = None,
        snapshot: list[Any] | None = None,
        **extra: Any,
    ) -> None:
        """Post a SyncState (with the LIST's snapshot, if any); ``since`` moves only when
        the phase changes."""
        if since is not None:
            self._since = since
        elif phase != self.phase or snapshot is not None:
            self._since = datetime.now(UTC)
        self.phase = phase
        self._message = message
        retry_at = self._retry_at if phase in ("reconnecting", "stale") else None
        sync = SyncState(
            source=self.source,
            phase=phase,
            since=self._since,
            message=message,
            retry_at=retry_at,
            **extra,
        )
        self.sink.send(
            ChangeBatch(
                kind=self.resource.kind,
                snapshot=snapshot,
                scope=self.namespace if snapshot is not None else None,
                sync=sync,
            )
        )

    def _failed(self, exc: KubeError) -> None:
        """Report a failure: forbidden, an error, or a connection being re-established."""
        self._retry_after = exc.retry_after
        message = str(exc)
        status = exc.status
        if status == 403:
            self._failing_since = None
            self._set_phase("forbidden", message=message)
            return
        if status is not None and 400 <= status < 500 and status not in (410, 429):
            self._failing_since = None
            self._set_phase("error", message=message)
            return
        now = time.monotonic()
        if self._failing_since is None:
            self._failing_since = now
            self._set_phase("reconnecting", message=message)
        elif now - self._failing_since >= STALE_AFTER or self.phase == "stale":
            self._set_phase("stale", message=message, since=self._outage_since())
        else:
            self._set_phase("reconnecting", message=message)

    def _outage_since(self) -> datetime:
        """When the current outage began (the "reconnecting" phase's start)."""
        return self._since if self.phase in ("reconnecting", "stale") else datetime.now(UTC)

    # ------------------------------------------------------------ LIST

    def _list(self) -> str:
        """List every object of the scope; post them as one snapshot; return the RV."""
        path = self.resource.path(self.namespace)
        self._count = 0
        self._last_page = False
        self._set_phase("listing", pages_done=0, items=0)
        listed = list_all(
            _ListClient(self.kube, self.resource.list_accept),  # type: ignore[arg-type]
            path,
            self._decode_page,
            page_size=self.page_size,
            on_page=self._listed_page,
        )
        if not listed.resource_version:
            raise KubeError(f"LIST {path}: the server sent no resourceVersion", 500)
        message = None
        if listed.errors:
            message = f"{len(listed.errors)} object(s) unreadable, first: {listed.errors[0]}"
        self._failing_since = None
        self._count = len(listed.items)
        self._set_phase(
            "live",
            message=message,
            snapshot=listed.items,
            pages_done=listed.pages,
            pages_total=listed.pages,
            items=len(listed.items),
        )
        self._synced = True
        return listed.resource_version

    def _decode_page(self, body: bytes) -> Page:
        """One LIST response into compacted records (the body is dropped after this)."""
        self.requests["LIST"] += 1
        page = self.resource.decode_page(body)
        page.items[:] = map(self._compact, page.items)
        self._count += len(page.items)
        self._last_page = not page.meta.continue_
        return page

    def _listed_page(self, pages: int, remaining: int | None) -> None:
        if self.stopping:
            raise Stopped
        self._check_lost()
        if self._last_page:
            return  # the snapshot reports it
        total = None if remaining is None else pages + math.ceil(remaining / self.page_size)
        self._set_phase("listing", pages_done=pages, pages_total=total, items=self._count)

    def _first_list_done(self) -> None:
        if self._on_first_list is not None:
            callback, self._on_first_list = self._on_first_list, None
            callback()

    # ------------------------------------------------------------ WATCH

    def _watch(self) -> object:
        """One WATCH from ``resource_version``; returns _CLOSED, _EXPIRED or _FAILED."""
        started = time.monotonic()
        query = [
            ("watch", "true"),
            ("allowWatchBookmarks", "true"),
            ("resourceVersion", self.resource_version or ""),
            ("timeoutSeconds", str(watch_timeout(self._rand))),
        ]
        self.requests["WATCH"] += 1
        try:
            response = self.kube.open(
                self.resource.path(self.namespace),
                query,
                accept=self.resource.watch_accept,
                timeout=(CONNECT_TIMEOUT, WATCH_READ_TIMEOUT),
            )
        except KubeError as exc:
            if self.stopping:
                raise Stopped from None
            if is_expired(exc):
                return _EXPIRED
            self._failed(exc)
            return _FAILED
        with self._response_lock:
            self._response = response
        if self.stopping:
            response.close()
            raise Stopped
        if self.phase != "live":
            self._failing_since = None
            self._set_phase("live", items=self._count)
        try:
            events, outcome = self._read_events(response)
        except WatchTimedOut:
            if self.stopping:
                raise Stopped from None
            self._failed(
                KubeError(
                    f"watch of {self.source}: nothing from the server for "
                    f"{WATCH_READ_TIMEOUT:.0f} s, not even a bookmark; reconnecting"
                )
            )
            return _FAILED
        finally:
            with self._response_lock:
                self._response = None
            response.close()
        if self.stopping:
            raise Stopped
        self._check_lost()
        if outcome is not _CLOSED:
            return outcome
        if events == 0 and time.monotonic() - started < VERY_SHORT_WATCH:
            self._failed(
                KubeError(
                    f"very short watch of {self.source}: the server closed it in under a "
                    "second with no event"
                )
            )
            return _FAILED
        return _CLOSED

    def _read_events(self, response: Any) -> tuple[int, object]:
        """Decode lines as they arrive; returns (events seen, outcome)."""
        events = 0
        decode = self.resource.decode_event
        compact = self._compact
        add = self.sink.add
        for line in _lines(response):
            event = decode(line)
            if event is None:
                continue
            events += 1
            if event.type == ERROR:
                error = event.error or KubeError("watch ERROR event", 500)
                if is_expired(error):
                    return events, _EXPIRED
                self._failed(error)
                return events, _FAILED
            if event.resource_version:
                self.resource_version = event.resource_version
            if event.type in _CHANGE_TYPES and event.record is not None:
                add(Change(event.type, compact(event.record)))
                if event.type != MODIFIED:
                    self._count += 1 if event.type == ADDED else -1
        return events, _CLOSED


def _same(record: Any) -> Any:
    return record


_CLOSED: Final = object()
_EXPIRED: Final = object()
_FAILED: Final = object()

_READ_SIZE: Final = 1 << 16


class WatchTimedOut(Exception):
    """A watch stream sent nothing for WATCH_READ_TIMEOUT: the connection is dead."""


def _lines(response: Any) -> Iterator[bytes]:
    """The body's lines as they arrive. A reset connection or a truncated chunk ends the
    stream like a server close (the caller re-watches); a read timeout raises
    WatchTimedOut."""
    buffer = b""
    while True:
        try:
            data = response.read1(_READ_SIZE)
        except (urllib3.exceptions.ReadTimeoutError, TimeoutError):
            raise WatchTimedOut from None
        except (urllib3.exceptions.HTTPError, OSError, ValueError):
            return
        if not data:
            break
        if b"\n" not in data:
            buffer += data
            continue
        parts = (buffer + data).split(b"\n")
        buffer = parts.pop()
        for part in parts:
            if part:
                yield part
    if buffer.strip():
        yield buffer  # client-go does not need the final newline
