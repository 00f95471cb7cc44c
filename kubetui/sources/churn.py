"""Metadata-only LIST+WATCH of many kinds, measuring how often each object is rewritten.

Hot reconcile loops show in *any* kind (a KuberoPipeline, a Secret the operator copies),
so this watches a set of kinds, default the common workload kinds plus every custom
resource kind discovery lists, capped at ``MAX_KINDS``. It asks for
``PartialObjectMetadata`` (k8s-wire-facts.md §3): names, owners and managedFields, not
the objects, so a Secret's data or a Deployment's template never crosses the wire.

Each (kind, namespace) runs one small reflector thread: a paged LIST (``list_all``), then
WATCH with bookmarks from the list's resourceVersion; a normal close re-watches from the
last resourceVersion, an ``Expired``/410 relists, transport errors back off (800 ms
doubling to 30 s, client-go's ``tools/cache/reflector.go`` @ v0.33.0, k8s-wire-facts.md
§8). The ingest helper's pod/node reflector did not exist when this was written, so this
loop is a second, smaller copy of the same protocol (metadata Accept headers, no record
batching) — a candidate for merging once both are settled.

Events feed a :class:`~kubetui.model.churn_rates.ChurnTracker`; every
``report_interval`` seconds its rates are posted as a :class:`ChurnUpdate`.
"""

from __future__ import annotations

import contextlib
import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Final

import msgspec
import urllib3

from kubetui.model.churn_rates import ChurnTracker, ObjectMetadata
from kubetui.model.decode import Page, clean_record
from kubetui.model.findings import ObjectRate
from kubetui.model.inert_text import may_hold_unsafe_text
from kubetui.model.records import ListMeta
from kubetui.model.store import SyncState
from kubetui.sources.kube_client import KubeClient, KubeError
from kubetui.sources.kube_list import list_all

LIST_ACCEPT: Final = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"
WATCH_ACCEPT: Final = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1"
#: Built-in kinds watched by default: (resource, group, version, kind).
DEFAULT_KINDS: Final = (
    ("pods", "", "v1", "Pod"),
    ("configmaps", "", "v1", "ConfigMap"),
    ("secrets", "", "v1", "Secret"),
    ("deployments", "apps", "v1", "Deployment"),
    ("statefulsets", "apps", "v1", "StatefulSet"),
    ("replicasets", "apps", "v1", "ReplicaSet"),
    ("jobs", "batch", "v1", "Job"),
)
MAX_KINDS: Final = 20
SOURCE: Final = "churn"
_BACKOFF_START, _BACKOFF_CAP = 0.8, 30.0


@dataclass(frozen=True, slots=True)
class WatchedKind:
    """One resource to watch; ``namespaced`` decides whether ``-n`` scopes it."""

    resource: str
    group: str
    version: str
    kind: str
    namespaced: bool = True

    def path(self, namespace: str | None = None) -> str:
        base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        scope = f"/namespaces/{namespace}" if namespace and self.namespaced else ""
        return f"{base}{scope}/{self.resource}"


class ChurnUpdate(msgspec.Struct, kw_only=True):
    """What the churn watch posts: every rate (for ``store.set_rates``) and its state."""

    rates: list[ObjectRate]
    sync: SyncState


# ------------------------------------------------------------------ discovery


class _GroupVersion(msgspec.Struct):
    version: str = ""


class _Group(msgspec.Struct, rename="camel"):
    name: str = ""
    versions: tuple[_GroupVersion, ...] = ()
    preferred_version: _GroupVersion | None = None


class _GroupList(msgspec.Struct):
    groups: tuple[_Group, ...] = ()


class _Resource(msgspec.Struct):
    name: str = ""
    kind: str = ""
    namespaced: bool = True
    verbs: tuple[str, ...] = ()


class _ResourceList(msgspec.Struct):
    resources: tuple[_Resource, ...] = ()


def is_custom_group(group: str) -> bool:
    """Whether ``group`` can hold custom resources an operator wrote.

    A CRD's group must contain a dot, and ``k8s.io``/``kubernetes.io`` groups are
    reserved for community-approved APIs (kubernetes/apiextensions-apiserver
    ``pkg/apihelpers/helpers.go`` ``IsProtectedCommunityGroup`` and
    ``pkg/apis/apiextensions/validation/validation.go``, "should be a domain with at
    least one dot"), so built-in groups (``apps``, ``rbac.authorization.k8s.io``) and
    aggregated ones like ``metrics.k8s.io`` are left out.
    """
    if "." not in group:
        return False
    protected = ("k8s.io", "kubernetes.io")
    return not any(group == p or group.endswith(f".{p}") for p in protected)


def custom_kinds(group: str, version: str, listing: bytes) -> list[WatchedKind]:
    """The watchable top-level resources of one ``APIResourceList``."""
    parsed = msgspec.json.decode(listing, type=_ResourceList)
    return [
        WatchedKind(r.name, group, version, r.kind, r.namespaced)
        for r in parsed.resources
        if "/" not in r.name and {"list", "watch"} <= set(r.verbs) and r.kind
    ]


def discover_kinds(kube: KubeClient, max_kinds: int = MAX_KINDS) -> tuple[list[WatchedKind], str]:
    """The default kinds plus every custom resource kind, at most ``max_kinds``.

    Returns the kinds and a notice (empty, or which kinds were left out and why).
    """
    kinds = [WatchedKind(*k) for k in DEFAULT_KINDS]
    notice = ""
    try:
        groups = msgspec.json.decode(kube.get("/apis"), type=_GroupList).groups
    except (KubeError, msgspec.DecodeError) as exc:
        return kinds[:max_kinds], f"custom resources not discovered: {exc}"
    for group in sorted(groups, key=lambda g: g.name):
        version = group.preferred_version or (group.versions[0] if group.versions else None)
        if not is_custom_group(group.name) or version is None:
            continue
        try:
            body = kube.get(f"/apis/{group.name}/{version.version}")
            kinds += custom_kinds(group.name, version.version, body)
        except (KubeError, msgspec.DecodeError) as exc:
            notice = f"{group.name}: {exc}"
    if len(kinds) > max_kinds:
        left = ", ".join(f"{k.resource}.{k.group}" for k in kinds[max_kinds:])
        notice = f"watching {max_kinds} kinds; not watched: {left}"
    return kinds[:max_kinds], notice


# ------------------------------------------------------------------ decoding


class _Partial(msgspec.Struct):
    metadata: ObjectMetadata | None = None


class _PartialPage(msgspec.Struct):
    metadata: ListMeta | None = None
    items: list[_Partial] | None = None


class _Status(msgspec.Struct):
    code: int | None = None
    reason: str | None = None
    message: str | None = None


class _Event(msgspec.Struct):
    type: str = ""
    object: msgspec.Raw = msgspec.Raw(b"null")


_PAGE = msgspec.json.Decoder(_PartialPage)
_EVENT = msgspec.json.Decoder(_Event)
_PARTIAL = msgspec.json.Decoder(_Partial)
_STATUS = msgspec.json.Decoder(_Status)


def decode_metadata_page(data: bytes) -> Page:
    """A ``PartialObjectMetadataList`` page into :class:`ObjectMetadata` items."""
    page = _PAGE.decode(data)
    items = [p.metadata for p in page.items or () if p.metadata is not None]
    if may_hold_unsafe_text(data):
        for item in items:
            clean_record(item)
    return Page(items=items, meta=page.metadata or ListMeta())


def _server_time(response: urllib3.BaseHTTPResponse) -> float | None:
    """The ``Date`` header (Go's net/http sets it on every answer) as epoch seconds."""
    raw = response.headers.get("Date")
    try:
        return parsedate_to_datetime(raw).timestamp() if raw else None
    except (TypeError, ValueError):
        return None


class _MetadataLister:
    """A ``KubeClient`` look-alike for ``list_all``: GETs with the metadata Accept,
    folding each answer's ``Date`` into the tracker's clock."""

    def __init__(self, kube: KubeClient, saw_time: Callable[[float | None], None]) -> None:
        self.kube = kube
        self.saw_time = saw_time

    def get(self, path: str, query: Sequence[tuple[str, str]] = ()) -> bytes:
        response = self.kube.open(path, query, accept=LIST_ACCEPT)
        self.saw_time(_server_time(response))
        return response.data


# ------------------------------------------------------------------ the watcher


class _Expired(Exception):
    """The watch's resourceVersion is gone (410): relist."""


class ChurnWatcher:
    """Metadata watches over ``kinds`` (default: :func:`discover_kinds`) in ``namespaces``
    (``None`` = cluster-wide), posting :class:`ChurnUpdate` every ``report_interval`` s."""

    def __init__(
        self,
        kube: KubeClient,
        namespaces: Sequence[str] | None = None,
        *,
        kinds: Sequence[WatchedKind] | None = None,
        report_interval: float = 5.0,
        window: float = 600.0,
        tracker: ChurnTracker | None = None,
    ) -> None:
        self.kube = kube
        self.namespaces = list(namespaces) if namespaces else [None]
        self.kinds = list(kinds) if kinds is not None else None
        self.report_interval = report_interval
        self.window = window
        self.tracker = tracker or ChurnTracker()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._responses: set[urllib3.BaseHTTPResponse] = set()
        #: (path) → (phase, message) of each reflector.
        self._phases: dict[str, tuple[str, str | None]] = {}
        self._notice = ""
        self._since = datetime.now(UTC)

    # ------------------------------------------------------------------ control

    def start(self, post: Callable[[ChurnUpdate], None]) -> None:
        """Return at once; a thread discovers the kinds (unless given), starts one
        reflector per kind and scope, then posts an update every ``report_interval`` s."""
        self._spawn("churn", self._run, post)

    def _run(self, post: Callable[[ChurnUpdate], None]) -> None:
        if self.kinds is None:
            kinds, notice = discover_kinds(self.kube)
            with self._lock:
                self.kinds, self._notice = kinds, notice
        for kind in self.kinds:
            for namespace in self.namespaces if kind.namespaced else [None]:
                if self._stop.is_set():
                    return
                path = kind.path(namespace)
                self._set_phase(path, "listing")
                self._spawn(f"churn {path}", self._reflect, kind, path)
        while not self._stop.wait(self.report_interval):
            post(self.update())

    def _spawn(self, name: str, target: Callable[..., None], *args: object) -> None:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        with self._lock:
            self._threads.append(thread)
        thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop every thread: close the open streams so blocked reads return."""
        self._stop.set()
        with self._lock:
            streams = list(self._responses)
        for response in streams:
            # It may have ended and gone back to the pool meanwhile.
            with contextlib.suppress(OSError, RuntimeError, ValueError):
                response.shutdown()
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(timeout)

    # ------------------------------------------------------------------ reading

    def update(self) -> ChurnUpdate:
        """The current rates and state (the reporter posts this; headless reads it)."""
        with self._lock:
            rates = self.tracker.rates(window=self.window)
            tracked, dropped = len(self.tracker.objects), self.tracker.dropped
            phases = list(self._phases.values())
        return ChurnUpdate(rates=rates, sync=self._sync(phases, tracked, dropped))

    def _sync(self, phases: list[tuple[str, str | None]], tracked: int, dropped: int) -> SyncState:
        names = [p for p, _ in phases] or ["listing"]  # kinds not discovered yet
        phase = next(
            (p for p in ("listing", "reconnecting") if p in names),
            "live" if "live" in names else names[0],
        )
        notes = [m for _, m in phases if m]
        if dropped:
            notes.append(f"{dropped} objects not tracked (limit {self.tracker.max_objects})")
        if self._notice:
            notes.append(self._notice)
        return SyncState(
            source=SOURCE,
            phase=phase,
            since=self._since,
            items=tracked,
            message="; ".join(notes) or None,
        )

    # ------------------------------------------------------------------ one reflector

    def _set_phase(self, path: str, phase: str, message: str | None = None) -> None:
        with self._lock:
            self._phases[path] = (phase, message)

    def _reflect(self, kind: WatchedKind, path: str) -> None:
        """LIST, then WATCH from the list's resourceVersion, until stopped."""
        rv: str | None = None
        delay = _BACKOFF_START
        while not self._stop.is_set():
            try:
                if rv is None:
                    rv = self._list(kind, path)
                    self._set_phase(path, "live")
                rv = self._watch(kind, path, rv)
                delay = _BACKOFF_START
                continue
            except _Expired:
                rv = None
                continue
            except KubeError as exc:
                if exc.status in (403, 404):
                    phase = "forbidden" if exc.status == 403 else "error"
                    self._set_phase(path, phase, f"{kind.resource}: {exc}")
                    return
                if exc.status == 410:
                    rv = None
                    continue
                message = f"{kind.resource}: {exc}"
            except (urllib3.exceptions.HTTPError, OSError, msgspec.DecodeError) as exc:
                message = f"{kind.resource}: stream broke ({type(exc).__name__})"
            if self._stop.is_set():
                return
            self._set_phase(path, "reconnecting", message)
            self._stop.wait(delay * random.uniform(1.0, 2.0))
            delay = min(delay * 2, _BACKOFF_CAP)

    def _list(self, kind: WatchedKind, path: str) -> str | None:
        lister = _MetadataLister(self.kube, self._saw_time)
        listed = list_all(lister, path, decode_metadata_page)  # type: ignore[arg-type]
        with self._lock:
            self.tracker.replace(kind.kind, listed.items)
        return listed.resource_version

    def _saw_time(self, t: float | None) -> None:
        with self._lock:
            self.tracker.saw_time(t)

    def _watch(self, kind: WatchedKind, path: str, rv: str | None) -> str | None:
        """One WATCH request; returns the last resourceVersion when the server closes it.

        A watch closed in under a second without any event is an error (client-go's
        "very short watch"), so a server that keeps closing at once is not hammered.
        """
        timeout = random.randint(300, 599)
        query = [("watch", "true"), ("allowWatchBookmarks", "true")]
        query += [("resourceVersion", rv)] if rv else []
        query += [("timeoutSeconds", str(timeout))]
        response = self.kube.open(path, query, accept=WATCH_ACCEPT, timeout=(10.0, timeout + 60.0))
        with self._lock:
            self._responses.add(response)
            self.tracker.saw_time(_server_time(response))
        self._set_phase(path, "live")
        opened, events = time.monotonic(), 0
        try:
            buffer = b""
            for chunk in response.stream(65536):
                buffer += chunk
                *lines, buffer = buffer.split(b"\n")
                for line in lines:
                    if line.strip():
                        events += 1
                        rv = self._event(kind, line) or rv
                if self._stop.is_set():
                    break
        finally:
            with self._lock:
                self._responses.discard(response)
            response.release_conn()
        if not events and time.monotonic() - opened < 1.0 and not self._stop.is_set():
            raise KubeError("the watch closed at once, without any event")
        return rv

    def _event(self, kind: WatchedKind, line: bytes) -> str | None:
        """Apply one event line; returns its resourceVersion (None if it has none)."""
        event = _EVENT.decode(line)
        if event.type == "ERROR":
            status = _STATUS.decode(event.object)
            if status.code == 410 or status.reason in ("Expired", "Gone"):
                raise _Expired
            raise KubeError(f"watch error {status.code}: {status.message}", status.code)
        meta = _PARTIAL.decode(event.object).metadata
        if meta is None:
            return None
        if event.type != "BOOKMARK":
            if may_hold_unsafe_text(line):
                clean_record(meta)
            with self._lock:
                self.tracker.observe(kind.kind, event.type, meta)
        return meta.resource_version
