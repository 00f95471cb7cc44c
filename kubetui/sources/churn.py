"""Metadata-only LIST+WATCH of many kinds, measuring how often each object is rewritten.

Hot reconcile loops show in *any* kind (a KuberoPipeline, a Secret the operator copies),
so this watches a set of kinds, default the common workload kinds plus every custom
resource kind discovery lists, capped at ``MAX_KINDS``. It asks for
``PartialObjectMetadata`` (the Accept header kubectl's own ``get`` sends, kubernetes/kubectl
``pkg/cmd/get/get.go``; served by kubernetes/apiserver ``pkg/endpoints/handlers/response.go``):
names, owners and managedFields, not the objects, so a Secret's data or a Deployment's
template never crosses the wire.

Before it watches a kind in a scope, it asks the server whether it may list and watch
it (a SelfSubjectAccessReview, :mod:`~kubetui.sources.access_review`): a kind it may not
is skipped without a refused request and reported once, with any kind whose first LIST
is refused anyway (a server that cannot answer reviews), as "not permitted (skipped)".

Each (kind, namespace) runs one :class:`~kubetui.sources.reflector.Reflector`, the same
LIST+WATCH loop (paged LIST, WATCH with bookmarks, resume, relist on 410, backoff) as
the pod/node ingest, over a metadata-only :class:`ResourceKind` and into a sink that
feeds the tracker instead of the store.

Events feed a :class:`~kubetui.model.churn_rates.ChurnTracker`; every
``report_interval`` seconds its rates are posted as a :class:`ChurnUpdate`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import partial
from typing import Any, Final, NamedTuple

import msgspec
import urllib3

from kubetui.model.churn_rates import ChurnTracker, ObjectMetadata, Warmup
from kubetui.model.decode import InputError, Page, clean_record
from kubetui.model.findings import ObjectRate
from kubetui.model.inert_text import may_hold_unsafe_text
from kubetui.model.records import ListMeta
from kubetui.model.store import Change, ChangeBatch, SyncState
from kubetui.sources.access_review import permitted
from kubetui.sources.kube_client import (
    DEFAULT_TIMEOUT,
    STATUS_DECODER,
    KubeClient,
    KubeError,
    status_error,
)
from kubetui.sources.kube_list import DEFAULT_PAGE_SIZE
from kubetui.sources.reflector import Reflector, ResourceKind
from kubetui.sources.supervise import Backoff, supervise
from kubetui.sources.watch_decode import BOOKMARK, ERROR, WatchEvent

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
#: The one wording for a kind left out because this user may not list and watch it.
NOT_PERMITTED: Final = "not permitted (skipped)"


@dataclass(frozen=True, slots=True)
class WatchedKind:
    """One resource to watch; ``namespaced`` decides whether ``-n`` scopes it."""

    resource: str
    group: str
    version: str
    kind: str
    namespaced: bool = True

    @property
    def label(self) -> str:
        """``secrets``, ``widgets.example.com``: the resource as kubectl names it."""
        return f"{self.resource}.{self.group}" if self.group else self.resource

    def spec(self) -> ResourceKind:
        """The reflector's view: metadata-only LIST and WATCH of this resource."""
        return ResourceKind(
            self.kind,
            self.resource,
            self.namespaced,
            decode_metadata_page,
            decode_metadata_event,
            prefix=f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}",
            list_accept=LIST_ACCEPT,
            watch_accept=WATCH_ACCEPT,
        )


class ChurnUpdate(msgspec.Struct, kw_only=True):
    """What the churn watch posts: every rate (for ``store.set_rates``) and its state."""

    rates: list[ObjectRate]
    sync: SyncState
    #: The rates are still being measured (``ChurnTracker.warmup``).
    warmup: Warmup | None = None


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
        left = ", ".join(k.label for k in kinds[max_kinds:])
        notice = f"watching {max_kinds} kinds; not watched: {left}"
    return kinds[:max_kinds], notice


# ------------------------------------------------------------------ decoding


class _Partial(msgspec.Struct):
    metadata: ObjectMetadata | None = None


class _PartialPage(msgspec.Struct):
    metadata: ListMeta | None = None
    items: list[_Partial] | None = None


class _Event(msgspec.Struct):
    type: str = ""
    object: msgspec.Raw = msgspec.Raw(b"null")


_PAGE = msgspec.json.Decoder(_PartialPage)
_EVENT = msgspec.json.Decoder(_Event)
_PARTIAL = msgspec.json.Decoder(_Partial)


def decode_metadata_page(data: bytes) -> Page:
    """A ``PartialObjectMetadataList`` page into :class:`ObjectMetadata` items."""
    try:
        page = _PAGE.decode(data)
    except msgspec.DecodeError as exc:  # ValidationError too
        raise InputError(f"malformed metadata list: {exc}") from None
    items = [p.metadata for p in page.items or () if p.metadata is not None]
    if may_hold_unsafe_text(data):
        for item in items:
            clean_record(item)
    return Page(items=items, meta=page.metadata or ListMeta())


def decode_metadata_event(line: bytes) -> WatchEvent | None:
    """One ``PartialObjectMetadata`` watch line; an ERROR's Status as a KubeError.

    ``None`` for a line that is not an event; a BOOKMARK carries no record."""
    try:
        event = _EVENT.decode(line)
        if event.type == ERROR:
            code = STATUS_DECODER.decode(event.object).code or 500
            return WatchEvent(ERROR, None, None, status_error(code, bytes(event.object)))
        meta = _PARTIAL.decode(event.object).metadata
    except msgspec.DecodeError:
        return None
    if meta is None:
        return WatchEvent(event.type, None, None, note="no metadata")
    if event.type == BOOKMARK:
        return WatchEvent(BOOKMARK, None, meta.resource_version)
    if may_hold_unsafe_text(line):
        clean_record(meta)
    return WatchEvent(event.type, meta, meta.resource_version)


def _server_time(response: urllib3.BaseHTTPResponse) -> float | None:
    """The ``Date`` header (Go's net/http sets it on every answer) as epoch seconds."""
    raw = response.headers.get("Date")
    try:
        return parsedate_to_datetime(raw).timestamp() if raw else None
    except (TypeError, ValueError):
        return None


class _DatedClient:
    """The kube client for the reflectors, folding every answer's ``Date`` (LIST pages
    and WATCH opens) into the tracker's clock."""

    def __init__(self, kube: KubeClient, saw_time: Callable[[float | None], None]) -> None:
        self.kube = kube
        self.saw_time = saw_time

    def open(
        self,
        path: str,
        query: Sequence[tuple[str, str]] = (),
        *,
        accept: str = "application/json",
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
    ) -> urllib3.BaseHTTPResponse:
        response = self.kube.open(path, query, accept=accept, timeout=timeout)
        self.saw_time(_server_time(response))
        return response

    def get(self, path: str, query: Sequence[tuple[str, str]] = (), **kw: Any) -> bytes:
        return self.open(path, query, **kw).data


class _Phase(NamedTuple):
    """One reflector's last sync state, as the watcher sums them up."""

    phase: str
    note: str | None
    #: The reflector failed after delivering data ("error" with stale data).
    stale: bool = False


class _TrackerSink:
    """One reflector's reports: LIST snapshots and changes into the tracker, its sync
    states into the watcher's phase table (messages prefixed with the resource)."""

    def __init__(
        self, watcher: ChurnWatcher, kind: WatchedKind, path: str, namespace: str | None
    ) -> None:
        self.watcher = watcher
        self.kind = kind
        self.path = path
        self.namespace = namespace

    def add(self, change: Change) -> None:
        with self.watcher._lock:
            self.watcher.tracker.observe(self.kind.kind, change.type, change.record)

    def send(self, batch: ChangeBatch) -> None:
        if batch.snapshot is not None:
            with self.watcher._lock:
                self.watcher.tracker.replace(self.kind.kind, batch.snapshot)
        if batch.sync is not None:
            self.phase(batch.sync.phase, batch.sync.message, stale=batch.sync.stale)

    def phase(self, phase: str, message: str | None = None, *, stale: bool = False) -> None:
        note = f"{self.kind.resource}: {message}" if message else None
        with self.watcher._lock:
            self.watcher._phases[self.path] = _Phase(phase, note, stale)

    def forbidden(self, _exc: KubeError | None = None) -> None:
        """Not permitted: the review said so, or the first LIST was refused (the
        reflector then ends). Reported with the watcher's other skipped kinds."""
        with self.watcher._lock:
            self.watcher._phases[self.path] = _Phase("forbidden", None)
            self.watcher._skipped.setdefault(self.kind, []).append(self.namespace)


# ------------------------------------------------------------------ the watcher


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
        backoff: Backoff | None = None,
    ) -> None:
        self.kube = kube
        self.namespaces = list(namespaces) if namespaces else [None]
        self.kinds = list(kinds) if kinds is not None else None
        self.report_interval = report_interval
        self.window = window
        self.tracker = tracker or ChurnTracker()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._runner: threading.Thread | None = None
        self.backoff = backoff or Backoff()
        self.reflectors: list[Reflector] = []
        #: path → the state of its reflector (a path has one once it is started).
        self._phases: dict[str, _Phase] = {}
        self._notice = ""
        #: Kinds not permitted, with the scopes (namespace, None = cluster) refused.
        self._skipped: dict[WatchedKind, list[str | None]] = {}
        #: False once the server could not answer an access review: the rest are tried.
        self._reviews = True
        self._since = datetime.now(UTC)
        #: The rates of the last update and how far they were measured (kept, stale,
        #: when the watcher fails: a failure mid-warm-up is not "none is hot").
        self._rates: list[ObjectRate] | None = None
        self._warmup: Warmup | None = None

    # ------------------------------------------------------------------ control

    def start(self, post: Callable[[ChurnUpdate], None]) -> None:
        """Return at once; a thread discovers the kinds (unless given), starts one
        reflector per kind and scope, then posts an update every ``report_interval`` s.
        If that thread fails, it posts the failure and starts over (``supervise.py``),
        keeping the kinds and reflectors it has."""

        def run() -> None:
            supervise(
                partial(self._run, post),
                name=SOURCE,
                crashed=lambda cause: post(self._crashed(cause)),
                wait=self._stop.wait,
                backoff=self.backoff,
            )

        self._runner = threading.Thread(target=run, name="churn", daemon=True)
        self._runner.start()

    def _run(self, post: Callable[[ChurnUpdate], None]) -> None:
        if self.kinds is None:
            kinds, notice = discover_kinds(self.kube)
            with self._lock:
                self.kinds, self._notice = kinds, notice
        client = _DatedClient(self.kube, self._saw_time)
        # Scopes not started yet: a path has a phase once started (before this thread
        # failed, if it did).
        scopes = [
            (kind, namespace)
            for kind in self.kinds
            for namespace in (self.namespaces if kind.namespaced else [None])
            if kind.spec().path(namespace) not in self._phases
        ]
        # Every review before any watch starts: a first kind live while the next is
        # still being asked about would read as all of them live.
        permits = [self._may_watch(kind, namespace) for kind, namespace in scopes]
        for (kind, namespace), may_watch in zip(scopes, permits, strict=True):
            spec = kind.spec()
            sink = _TrackerSink(self, kind, spec.path(namespace), namespace)
            if not may_watch:
                sink.forbidden()
                continue
            reflector = Reflector(
                client,  # type: ignore[arg-type]
                spec,
                sink,
                namespace=namespace,
                page_size=DEFAULT_PAGE_SIZE,
                on_forbidden=sink.forbidden,
            )
            sink.phase("listing")
            with self._lock:
                if self._stop.is_set():
                    return
                # Listed and started under the lock: stop() joins what it lists, and
                # joining a thread not yet started raises RuntimeError (a stop during
                # the first sync ended the dashboard with exit code 1).
                self.reflectors.append(reflector)
                reflector.start()
        while not self._stop.wait(self.report_interval):
            post(self.update())

    def _may_watch(self, kind: WatchedKind, namespace: str | None) -> bool:
        """False when the server says this user may not list or watch ``kind`` there;
        True when it may, or when it cannot say (then the LIST is tried as before)."""
        if not self._reviews:
            return True
        allowed = permitted(self.kube, ("list", "watch"), kind.resource, kind.group, namespace)
        if allowed is None:
            self._reviews = False
        return allowed is not False

    def _crashed(self, cause: str) -> ChurnUpdate:
        """The watcher's own thread failed: the last rates, stale, and the cause."""
        sync = SyncState(
            source=SOURCE,
            phase="error",
            since=datetime.now(UTC),
            message=cause,
            stale=self._rates is not None,
        )
        return ChurnUpdate(rates=self._rates or [], sync=sync, warmup=self._warmup)

    def _saw_time(self, t: float | None) -> None:
        with self._lock:
            self.tracker.saw_time(t)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop every thread: each reflector closes its open stream so a blocked read
        returns."""
        with self._lock:
            self._stop.set()
            reflectors = list(self.reflectors)
        for reflector in reflectors:
            reflector.stop()
        for thread in [self._runner, *reflectors]:
            if thread is not None:
                thread.join(timeout)

    # ------------------------------------------------------------------ reading

    def update(self) -> ChurnUpdate:
        """The current rates and state (the reporter posts this; headless reads it)."""
        with self._lock:
            rates = self.tracker.rates(window=self.window)
            warmup = self.tracker.warmup()
            tracked, dropped = len(self.tracker.objects), self.tracker.dropped
            phases = list(self._phases.values())
            skipped = self._skipped_note()
            self._rates, self._warmup = rates, warmup
        sync = self._sync(phases, tracked, dropped, skipped)
        return ChurnUpdate(rates=rates, sync=sync, warmup=warmup)

    def _skipped_note(self) -> str | None:
        """``not permitted (skipped): secrets, widgets.example.com (in etl)``: each kind
        once, with the namespaces only when it was refused in some of them."""
        parts = []
        for kind, scopes in self._skipped.items():
            everywhere = not kind.namespaced or len(scopes) >= len(self.namespaces)
            where = "" if everywhere else f" (in {', '.join(filter(None, scopes))})"
            parts.append(kind.label + where)
        return f"{NOT_PERMITTED}: {', '.join(parts)}" if parts else None

    def _sync(
        self, phases: list[_Phase], tracked: int, dropped: int, skipped: str | None
    ) -> SyncState:
        """One state for every reflector: "error" when one of them failed after
        delivering data (its kind's rates no longer move), else the least settled."""
        names = [p.phase for p in phases] or ["listing"]  # kinds not discovered yet
        crashed = any(p.stale and p.phase == "error" for p in phases)
        phase = (
            "error"
            if crashed
            else next(
                (p for p in ("listing", "reconnecting", "stale") if p in names),
                "live" if "live" in names else names[0],
            )
        )
        notes = [p.note for p in phases if p.note]
        if skipped:
            notes.append(skipped)
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
            stale=crashed,
        )
