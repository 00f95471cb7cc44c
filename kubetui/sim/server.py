"""The kube-apiserver lookalike: stdlib ThreadingHTTPServer, HTTP/1.1, optional TLS.

Request flow as in kube-apiserver's filter chain (kubernetes/apiserver@v0.33.0
``pkg/server/config.go`` DefaultBuildHandlerChain): authentication (bearer token → 401),
authorization (SimState deny rules → 403 in ``responsewriters.forbiddenMessage`` words),
then the REST handlers (``pkg/endpoints/handlers``). Unknown paths get the plain-text
``404 page not found`` of the Go mux; discovery documents come from resources.py with
exactly ``Content-Type: application/json`` (kubectl 1.27.0–1.27.1 reject a charset).
"""

from __future__ import annotations

import contextlib
import dataclasses
import socket
import ssl
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple
from urllib.parse import parse_qs, unquote, urlsplit

import msgspec

from kubetui.sim import (
    registry,
    resources,
    tables,
    wire_logs,
    wire_metrics,
    wire_patch,
    wire_status,
)
from kubetui.sim.resources import BY_PATH, ResourceDef, url_name
from kubetui.sim.state import Entry, SimState, rfc3339
from kubetui.sim.wire_list import (
    ListOptions,
    Query,
    first,
    parse_bool,
    parse_int,
    parse_list_options,
    read_list,
)
from kubetui.sim.wire_media import Target, negotiate
from kubetui.sim.wire_watch import WatchSettings, error_event, open_watch, serve_watch

JSON = "application/json"
#: what /version reports: the kube-apiserver the sim is judged against
#: (tests/e2e/test_sim_conformance.py), v1.37.2 built from source by
#: scripts/control-plane/build.py, hence no commit or build date
VERSION_INFO = {
    "major": "1",
    "minor": "37",
    "emulationMajor": "1",
    "emulationMinor": "37",
    "minCompatibilityMajor": "1",
    "minCompatibilityMinor": "36",
    "gitVersion": "v1.37.2",
    "gitCommit": "$Format:%H$",
    "gitTreeState": "clean",
    "buildDate": "1970-01-01T00:00:00Z",
    "goVersion": "go1.26.8",
    "compiler": "gc",
    "platform": "linux/amd64",
}
_BUFFER_LIMIT = 256 * 1024
_BODY_LIMIT = 3 * 1024 * 1024


class LoggedRequest(NamedTuple):
    method: str
    path: str
    query: str
    status: int


@dataclass(frozen=True, slots=True)
class ServerSettings:
    watch: WatchSettings = field(default_factory=WatchSettings)
    #: the WatchList feature gate (on since 1.32): sendInitialEvents accepted, legacy
    #: ""/"0" watches defaulted to watch-lists
    watch_list: bool = True


class _Route(NamedTuple):
    rdef: ResourceDef
    namespace: str | None
    name: str | None
    sub: str | None
    watch_path: bool


def _json(obj: Any) -> bytes:
    return msgspec.json.encode(obj)


def _list_head(kind: str, api_version: str, list_meta: bytes) -> bytes:
    """Everything of a list up to the opening of ``items`` (items are streamed after it)."""
    return (
        b'{"kind":"'
        + kind.encode()
        + b'","apiVersion":"'
        + api_version.encode()
        + b'","metadata":'
        + list_meta
        + b',"items":['
    )


class Exchange:
    """One request/response on a keep-alive connection."""

    def __init__(self, handler: BaseHTTPRequestHandler, log: list[LoggedRequest]) -> None:
        self.h = handler
        url = urlsplit(handler.path)
        self.path = unquote(url.path)
        self.raw_query = url.query
        self.query: Query = parse_qs(url.query, keep_blank_values=True)
        self.method = handler.command
        self._log = log
        self.started = False
        self.body = self._read_body()

    def _read_body(self) -> bytes:
        if self.h.headers.get("Transfer-Encoding", "").lower() == "chunked":
            parts = []
            while True:
                size = int(self.h.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.h.rfile.readline()
                    return b"".join(parts)
                parts.append(self.h.rfile.read(size))
                self.h.rfile.readline()
        length = int(self.h.headers.get("Content-Length") or 0)
        return self.h.rfile.read(min(length, _BODY_LIMIT)) if length else b""

    def header(self, name: str) -> str | None:
        return self.h.headers.get(name)

    def _start(self, status: int, headers: Iterable[tuple[str, str]]) -> None:
        self.started = True
        self._log.append(LoggedRequest(self.method, self.path, self.raw_query, status))
        self.h.send_response(status)
        for key, value in headers:
            self.h.send_header(key, value)
        self.h.end_headers()

    def respond(
        self,
        status: int,
        body: bytes,
        content_type: str = JSON,
        extra: Iterable[tuple[str, str]] = (),
    ) -> None:
        headers = [("Content-Type", content_type), ("Content-Length", str(len(body))), *extra]
        self._start(status, headers)
        if self.method != "HEAD":
            self.h.wfile.write(body)
        self.h.wfile.flush()

    def fail(self, err: wire_status.ApiError) -> None:
        extra = [("Retry-After", str(err.retry_after))] if err.retry_after else []
        self.respond(err.code, _json(err.body()), extra=extra)

    def not_found_text(self) -> None:
        self.respond(
            404,
            b"404 page not found\n",
            "text/plain; charset=utf-8",
            [("X-Content-Type-Options", "nosniff")],
        )

    def open_stream(self, status: int, content_type: str = JSON) -> Callable[[bytes], None]:
        """Chunked response; headers flushed now. Returns ``send(chunk)``."""
        self._start(status, [("Content-Type", content_type), ("Transfer-Encoding", "chunked")])
        self.h.wfile.flush()

        def send(chunk: bytes) -> None:
            if chunk:
                self.h.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self.h.wfile.flush()

        return send

    def close_stream(self) -> None:
        self.h.wfile.write(b"0\r\n\r\n")
        self.h.wfile.flush()

    def respond_chunks(self, status: int, chunks: Iterator[bytes]) -> None:
        """Small bodies get Content-Length; big ones (a 150k-pod LIST) stream chunked."""
        buffered: list[bytes] = []
        size = 0
        for chunk in chunks:
            buffered.append(chunk)
            size += len(chunk)
            if size > _BUFFER_LIMIT:
                send = self.open_stream(status)
                send(b"".join(buffered))
                for rest in chunks:
                    send(rest)
                self.close_stream()
                return
        self.respond(status, b"".join(buffered))


class SimApi:
    """Routing and the REST verbs over one SimState."""

    def __init__(self, state: SimState, settings: ServerSettings, address: str) -> None:
        self.state = state
        self.settings = settings
        self.address = address
        self.request_log: list[LoggedRequest] = []
        self.stopping = threading.Event()

    # ------------------------------------------------------------ entry point
    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        ex = Exchange(handler, self.request_log)
        try:
            self._handle(ex)
        except wire_status.ApiError as err:
            if ex.started:
                handler.close_connection = True
            else:
                ex.fail(err)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, TimeoutError):
            handler.close_connection = True
        except Exception as exc:  # an internal error must still answer in API form
            if ex.started:
                handler.close_connection = True
            else:
                ex.fail(
                    wire_status.ApiError(500, "InternalError", f"Internal error occurred: {exc}")
                )

    def _handle(self, ex: Exchange) -> None:
        user = self._authenticate(ex)
        path = ex.path.rstrip("/") or "/"
        doc = self._discovery(path)
        if doc is not None:
            if ex.method != "GET":
                raise wire_status.method_not_allowed(ex.method)
            ex.respond(200, _json(doc))
            return
        if path in ("/healthz", "/livez", "/readyz"):
            ex.respond(200, b"ok", "text/plain; charset=utf-8")
            return
        route = self._route(path)
        if route is None:
            ex.not_found_text()
            return
        verb = self._verb(ex, route)
        self._authorize(user, verb, route)
        if route.rdef.kind == "SelfSubjectAccessReview" and verb == "create":
            self._access_review(ex, user)
            return
        self._dispatch(ex, route, verb)

    # ------------------------------------------------------------ auth
    def _authenticate(self, ex: Exchange) -> str:
        auth = ex.header("Authorization") or ""
        scheme, _, token = auth.partition(" ")
        user = self.state.tokens.get(token.strip()) if scheme.lower() == "bearer" else None
        if user is None:
            raise wire_status.unauthorized()
        return user

    def _authorize(self, user: str, verb: str, route: _Route) -> None:
        resource = url_name(route.rdef)
        full = f"{resource}/{route.sub}" if route.sub else resource
        if self.state.is_denied(user, verb, full, route.namespace):
            raise wire_status.forbidden(
                route.rdef.group, resource, route.sub, route.name, user, verb, route.namespace
            )

    def _access_review(self, ex: Exchange, user: str) -> None:
        """A SelfSubjectAccessReview answered from the deny rules and not stored
        (kubernetes/kubernetes pkg/registry/authorization/selfsubjectaccessreview/rest.go
        @ v1.37.2): 201 with the review and its status. The sim has no non-resource
        rules, so a nonResourceAttributes review is allowed."""
        review = self._decode_body(ex)
        spec = review.get("spec") if isinstance(review, dict) else None
        if not isinstance(spec, dict):
            raise wire_status.bad_request("the object provided is unrecognized")
        attributes, non_resource = spec.get("resourceAttributes"), spec.get("nonResourceAttributes")
        if (attributes is None) == (non_resource is None):
            # validation.go ValidateSelfSubjectAccessReviewSpec
            raise wire_status.invalid(
                "authorization.k8s.io",
                "SelfSubjectAccessReview",
                "",
                [
                    {
                        "reason": "FieldValueInvalid",
                        "message": "Invalid value: null: exactly one of nonResourceAttributes "
                        "or resourceAttributes must be specified",
                        "field": "spec",
                    }
                ],
            )
        allowed = True
        if isinstance(attributes, dict):
            resource = attributes.get("resource") or ""
            if attributes.get("subresource"):
                resource += f"/{attributes['subresource']}"
            verb = attributes.get("verb") or ""
            allowed = not self.state.is_denied(
                user, verb, resource, attributes.get("namespace") or None
            )
        answer = {
            "kind": "SelfSubjectAccessReview",
            "apiVersion": "authorization.k8s.io/v1",
            "metadata": {},
            "spec": spec,
            "status": {"allowed": allowed},
        }
        ex.respond(201, _json(answer))

    # ------------------------------------------------------------ routing
    def _discovery(self, path: str) -> dict[str, Any] | None:
        if path == "/version":
            return VERSION_INFO
        if path == "/api":
            return resources.api_versions(self.address)
        if path == "/api/v1":
            return resources.api_resource_list("", "v1")
        if path == "/apis":
            return resources.api_group_list()
        parts = path.split("/")[1:]
        if parts[0] != "apis" or len(parts) not in (2, 3):
            return None
        for group in resources.api_group_list()["groups"]:
            if group["name"] != parts[1]:
                continue
            if len(parts) == 2:
                return {"kind": "APIGroup", "apiVersion": "v1", **group}
            if parts[2] == group["preferredVersion"]["version"]:
                return resources.api_resource_list(parts[1], parts[2])
        return None

    @staticmethod
    def _route(path: str) -> _Route | None:
        parts = path.split("/")[1:]
        if parts[:2] == ["api", "v1"]:
            group, version, rest = "", "v1", parts[2:]
        elif len(parts) >= 4 and parts[0] == "apis":
            group, version, rest = parts[1], parts[2], parts[3:]
        else:
            return None
        watch_path = bool(rest) and rest[0] == "watch"
        if watch_path:
            rest = rest[1:]
        namespace = None
        if len(rest) >= 3 and rest[0] == "namespaces" and rest[2] not in ("status", "finalize"):
            namespace, rest = rest[1], rest[2:]
        if not rest or len(rest) > 3:
            return None
        rdef = BY_PATH.get((group, version, rest[0]))
        if rdef is None:
            return None
        name = rest[1] if len(rest) > 1 else None
        sub = rest[2] if len(rest) > 2 else None
        if rdef.namespaced and namespace is None and name is not None:
            return None
        if not rdef.namespaced and namespace is not None:
            return None
        if sub is not None and sub not in {s.name for s in rdef.subresources}:
            return None
        if watch_path and sub is not None:
            return None
        return _Route(rdef, namespace, name, sub, watch_path)

    def _verb(self, ex: Exchange, route: _Route) -> str:
        method = ex.method
        if method in ("GET", "HEAD"):
            if route.watch_path:
                return "watch"
            if route.name is None:
                return "watch" if parse_bool(ex.query, "watch") else "list"
            return "get"
        if method == "POST":
            return "create"
        if method == "PUT":
            return "update"
        if method == "PATCH":
            return "patch"
        if method == "DELETE":
            return "delete" if route.name is not None else "deletecollection"
        raise wire_status.method_not_allowed(method)

    def _dispatch(self, ex: Exchange, route: _Route, verb: str) -> None:
        rdef = route.rdef
        if verb not in rdef.verbs and route.sub is None:
            raise wire_status.method_not_allowed(ex.method)
        if not rdef.stored:
            self._metrics(ex, route, verb)
        elif verb in ("list", "watch"):
            self._list_or_watch(ex, route, verb == "watch")
        elif verb == "get" and route.sub == "log":
            self._logs(ex, route)
        elif verb == "get":
            self._get(ex, route)
        elif verb == "create" and route.sub == "eviction":
            self._evict(ex, route)
        elif verb == "create" and route.sub is None:
            self._create(ex, route)
        elif verb == "update" and route.sub in (None, "status"):
            self._update(ex, route)
        elif verb == "patch" and route.sub in (None, "status"):
            self._patch(ex, route)
        elif verb == "delete" and route.sub is None:
            self._delete(ex, route)
        elif verb == "deletecollection":
            self._delete_collection(ex, route)
        else:
            raise wire_status.method_not_allowed(ex.method)

    # ------------------------------------------------------------ reads
    def _list_or_watch(self, ex: Exchange, route: _Route, watch: bool) -> None:
        rdef = route.rdef
        opts = parse_list_options(
            ex.query,
            rdef,
            force_watch=watch,
            name=route.name,
            watch_list_enabled=self.settings.watch_list,
        )
        watch_list = bool(opts.send_initial_events) and opts.allow_bookmarks
        target = negotiate(ex.header("Accept"))
        if watch_list and target.kind == "Table":
            # get.go watchListEndpointRestrictions: no Table for watch-list requests
            target = negotiate(_without_table(ex.header("Accept")))
        if opts.watch:
            self._watch(ex, route, opts, target)
            return
        if target.kind == "PartialObjectMetadata":
            raise wire_status.ApiError(
                406,
                "NotAcceptable",
                "you requested PartialObjectMetadata, but the requested object is a list "
                f"(*v1.{rdef.list_kind})",
            )
        include = self._include_object(ex, target)
        page = read_list(self.state, rdef, route.namespace, opts)
        ex.respond_chunks(
            200, self._list_chunks(rdef, page.list_meta(), page.items, target, include)
        )

    def _list_chunks(
        self,
        rdef: ResourceDef,
        list_meta: bytes,
        items: Iterable[Any],
        target: Target,
        include: str,
    ) -> Iterator[bytes]:
        now = self.state.clock.now()
        if target.kind == "Table":
            yield tables.table_head(rdef, list_meta, target.version, True)
            render: Callable[[bytes], bytes] = lambda d: tables.row_bytes(  # noqa: E731
                rdef, d, now, include, target.version
            )
        elif target.kind == "PartialObjectMetadataList":
            yield _list_head("PartialObjectMetadataList", target.api_version, list_meta)
            render = lambda d: tables.partial_object(d, target.version)  # noqa: E731
        else:
            yield _list_head(rdef.list_kind, rdef.api_version, list_meta)
            render = bytes
        batch: list[bytes] = []
        sep = b""
        for entry in items:
            batch.append(render(entry.data))
            if len(batch) >= 256:
                yield sep + b",".join(batch)
                sep = b","
                batch = []
        if batch:
            yield sep + b",".join(batch)
        yield b"]}"

    @staticmethod
    def _include_object(ex: Exchange, target: Target) -> str:
        if target.kind != "Table":
            return "Metadata"
        value = first(ex.query, "includeObject") or "Metadata"
        if value not in tables.INCLUDE_OBJECT:
            raise wire_status.bad_request(f'unrecognized includeObject value: "{value}"')
        return value

    def _watch(self, ex: Exchange, route: _Route, opts: ListOptions, target: Target) -> None:
        opened = open_watch(self.state, route.rdef, route.namespace, opts)
        send = ex.open_stream(200)
        if isinstance(opened, wire_status.ApiError):
            send(error_event(opened))
        else:
            serve_watch(
                send,
                self.state,
                route.rdef,
                route.namespace,
                opts,
                opened,
                target,
                self.settings.watch,
            )
        ex.close_stream()

    def _get(self, ex: Exchange, route: _Route) -> None:
        rdef = route.rdef
        target = negotiate(ex.header("Accept"))
        include = self._include_object(ex, target)
        entry = self._entry(route)
        if target.kind == "Table":
            meta = b'{"resourceVersion":"%d"}' % entry.rv
            now = self.state.clock.now()
            body = (
                tables.table_head(rdef, meta, target.version, True)
                + tables.row_bytes(rdef, entry.data, now, include, target.version)
                + b"]}"
            )
        elif target.kind == "PartialObjectMetadata":
            body = tables.partial_object(entry.data, target.version)
        elif target.kind == "PartialObjectMetadataList":
            raise wire_status.ApiError(
                406,
                "NotAcceptable",
                "you requested PartialObjectMetadataList, but the requested object is not a "
                f"list (*v1.{rdef.kind})",
            )
        else:
            body = tables.with_type_meta(rdef, entry.data)
        ex.respond(200, body)

    def _logs(self, ex: Exchange, route: _Route) -> None:
        namespace = route.namespace or ""
        pod = self.state.get("pods", namespace, route.name or "")
        if pod is None:
            raise wire_status.not_found("", "pods", route.name or "")
        opts = wire_logs.parse_log_options(ex.query, pod, self.state.clock.now())
        if not (pod.get("spec") or {}).get("nodeName"):
            ex.respond(200, b"", "text/plain")
            return
        if wire_logs.check_kubelet(pod, opts.container, opts.previous):
            opts = dataclasses.replace(opts, previous=True)
        send = ex.open_stream(200, "text/plain")

        def alive() -> bool:
            return (
                not self.stopping.is_set()
                and self.state.get_entry("pods", namespace, pod["metadata"]["name"]) is not None
            )

        wire_logs.stream_logs(send, self.state, namespace, pod["metadata"]["name"], opts, alive)
        ex.close_stream()

    def _metrics(self, ex: Exchange, route: _Route, verb: str) -> None:
        if verb not in ("get", "list"):
            raise wire_status.method_not_allowed(ex.method)
        opts = parse_list_options(
            ex.query, route.rdef, force_watch=False, name=None, watch_list_enabled=False
        )
        doc = wire_metrics.metrics_response(
            self.state, route.rdef.kind, route.namespace, route.name, opts.selection
        )
        ex.respond(200, _json(doc))

    # ------------------------------------------------------------ writes
    def _decode_body(self, ex: Exchange) -> Any:
        try:
            return msgspec.json.decode(ex.body)
        except msgspec.DecodeError as err:
            raise wire_status.bad_request(f"the object provided is unrecognized ({err})") from None

    def _dry_run(self, ex: Exchange, options: str = "CreateOptions") -> bool:
        """``dryRun`` of the query, checked as ``ValidateCreateOptions`` (and its Patch
        and Update twins) do before anything else: 422 naming the options kind."""
        values = ex.query.get("dryRun") or []
        bad = [value for value in values if value != "All"]
        if bad:
            listed = ",".join(f'"{value}"' for value in values)
            raise wire_status.invalid(
                "meta.k8s.io",
                options,
                "",
                [
                    {
                        "reason": "FieldValueNotSupported",
                        "message": f'Unsupported value: [{listed}]: supported values: "All"',
                        "field": "dryRun",
                    }
                ],
            )
        return bool(values)

    def _entry(self, route: _Route) -> Entry:
        """The stored object the route names, or 404."""
        rdef = route.rdef
        entry = self.state.get_entry(rdef.plural, route.namespace, route.name or "")
        if entry is None:
            raise wire_status.not_found(rdef.group, rdef.plural, route.name or "")
        return entry

    def _manager(self, ex: Exchange) -> str:
        return registry.field_manager(first(ex.query, "fieldManager"), ex.header("User-Agent"))

    def _create(self, ex: Exchange, route: _Route) -> None:
        rdef = route.rdef
        dry_run = self._dry_run(ex, "CreateOptions")
        obj = self._decode_body(ex)
        if not isinstance(obj, dict):
            raise wire_status.bad_request("the object provided is unrecognized")
        meta = obj.setdefault("metadata", {})
        if rdef.namespaced:
            if meta.get("namespace") and meta["namespace"] != route.namespace:
                raise wire_status.bad_request(
                    "the namespace of the provided object does not match the namespace sent "
                    "on the request"
                )
            meta["namespace"] = route.namespace
            if self.state.get_entry("namespaces", None, route.namespace or "") is None:
                raise wire_status.not_found("", "namespaces", route.namespace or "")
        now = self.state.clock.now()
        obj = registry.prepare_create(
            rdef, obj, manager=self._manager(ex), now=now, suffix=self.state.name_suffix
        )
        meta = obj["metadata"]
        if dry_run:
            if self.state.get_entry(rdef.plural, route.namespace, meta.get("name", "")) is not None:
                raise wire_status.already_exists(rdef.group, rdef.plural, meta.get("name", ""))
            # a dry-run create is stamped like a real one (uid, creationTimestamp), unstored
            meta.setdefault("uid", self.state.new_uid())
            meta.setdefault("creationTimestamp", rfc3339(now))
            _respond_unstored(ex, 201, rdef, obj)
            return
        created = self.state.create(rdef.plural, obj)
        ex.respond(201, tables.with_type_meta(rdef, _json(created)))

    def _update(self, ex: Exchange, route: _Route) -> None:
        rdef = route.rdef
        self._dry_run(ex, "UpdateOptions")
        obj = self._decode_body(ex)
        current = self._entry(route).obj()
        if not isinstance(obj, dict):
            raise wire_status.bad_request("the object provided is unrecognized")
        sent_rv = (obj.get("metadata") or {}).get("resourceVersion")
        if sent_rv and sent_rv != current["metadata"]["resourceVersion"]:
            raise wire_status.conflict(
                rdef.group,
                rdef.plural,
                route.name or "",
                "the object has been modified; please apply your changes to the latest "
                "version and try again",
            )
        if route.sub == "status":
            new = dict(current)
            new["status"] = obj.get("status", {})
        else:
            new = {**obj, "metadata": _route_meta(obj, route)}
        self._write(ex, route, current, new)

    def _patch(self, ex: Exchange, route: _Route) -> None:
        rdef = route.rdef
        self._dry_run(ex, "PatchOptions")
        patch = self._decode_body(ex)
        current = self._entry(route).obj()
        media = (ex.header("Content-Type") or "").split(";")[0].strip().lower()
        if media == wire_patch.APPLY and not first(ex.query, "fieldManager"):
            # handlers/patch.go: validation of PatchOptions comes before the patch type
            raise wire_status.ApiError(
                422,
                "Invalid",
                'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is '
                "required for apply patch",
                {
                    "group": "meta.k8s.io",
                    "kind": "PatchOptions",
                    "causes": [
                        {
                            "reason": "FieldValueRequired",
                            "message": "Required value: is required for apply patch",
                            "field": "fieldManager",
                        }
                    ],
                },
            )
        patched = wire_patch.apply_patch(
            current, ex.header("Content-Type") or "", patch, rdef.group != "kubero.dev"
        )
        if not isinstance(patched, dict):
            raise wire_status.bad_request("the patched object is not an object")
        if route.sub == "status":
            patched = {**current, "status": patched.get("status", {})}
        patched["metadata"] = _route_meta(patched, route)
        self._write(ex, route, current, patched)

    def _write(
        self, ex: Exchange, route: _Route, current: dict[str, Any], obj: dict[str, Any]
    ) -> None:
        rdef = route.rdef
        if route.sub is None and any(s.name == "status" for s in rdef.subresources):
            # a strategy's PrepareForUpdate: the main resource never writes status
            if "status" in current:
                obj["status"] = current["status"]
            else:
                obj.pop("status", None)
        obj = registry.prepare_update(
            rdef,
            current,
            obj,
            manager=self._manager(ex),
            now=self.state.clock.now(),
            subresource=route.sub,
        )
        if registry.unchanged(current, obj):
            ex.respond(200, tables.with_type_meta(rdef, _json(current)))
            return
        if ex.query.get("dryRun"):
            _respond_unstored(ex, 200, rdef, obj)
            return
        stored = self.state.replace(rdef.plural, obj)
        entry = self.state.get_entry(
            rdef.plural, stored["metadata"].get("namespace"), stored["metadata"]["name"]
        )
        ex.respond(200, tables.with_type_meta(rdef, entry.data if entry else _json(stored)))

    # ------------------------------------------------------------ delete
    def _delete_options(self, ex: Exchange) -> dict[str, Any]:
        """handlers/delete.go: a non-empty body wins and the query is ignored entirely."""
        if ex.body.strip():
            doc = self._decode_body(ex)
            if not isinstance(doc, dict):
                raise wire_status.bad_request("the object provided is unrecognized")
            grace = doc.get("gracePeriodSeconds")
            policy = doc.get("propagationPolicy")
            dry = doc.get("dryRun") or []
            orphan = doc.get("orphanDependents")
            pre = doc.get("preconditions") or {}
        else:
            grace = parse_int(ex.query, "gracePeriodSeconds")
            policy = first(ex.query, "propagationPolicy")
            dry = ex.query.get("dryRun") or []
            orphan = parse_bool(ex.query, "orphanDependents")
            pre = {}
            if first(ex.query, "preconditions.uid"):
                pre["uid"] = first(ex.query, "preconditions.uid")
            if first(ex.query, "preconditions.resourceVersion"):
                pre["resourceVersion"] = first(ex.query, "preconditions.resourceVersion")
        causes = []
        if policy is not None and policy not in ("Orphan", "Background", "Foreground"):
            causes.append(
                {
                    "reason": "FieldValueNotSupported",
                    "field": "propagationPolicy",
                    "message": f'Unsupported value: "{policy}": supported values: '
                    '"Foreground", "Background", "Orphan", "nil"',
                }
            )
        if orphan is not None and policy is not None:
            causes.append(
                {
                    "reason": "FieldValueInvalid",
                    "field": "propagationPolicy",
                    "message": f'Invalid value: "{policy}": orphanDependents and '
                    "deletionPropagation cannot be both set",
                }
            )
        for value in dry:
            if value != "All":
                causes.append(
                    {
                        "reason": "FieldValueNotSupported",
                        "field": "dryRun",
                        "message": f'Unsupported value: "{value}": supported values: "All"',
                    }
                )
        if causes:
            raise wire_status.invalid("meta.k8s.io", "DeleteOptions", "", causes)
        if policy is None and orphan is not None:
            policy = "Orphan" if orphan else "Background"
        return {
            "grace_period_seconds": grace,
            "preconditions": {k: v for k, v in pre.items() if v is not None},
            "propagation_policy": policy,
            "dry_run": bool(dry),
        }

    def _delete(self, ex: Exchange, route: _Route) -> None:
        rdef = route.rdef
        options = self._delete_options(ex)
        obj, removed = self.state.delete(rdef.plural, route.namespace, route.name or "", **options)
        ex.respond(200, self._deleted_body(rdef, obj, removed))

    @staticmethod
    def _deleted_body(rdef: ResourceDef, obj: dict[str, Any], removed: bool) -> bytes:
        """store.go finalizeDelete: pods return the object, others a Success Status."""
        if rdef.plural == "pods" or not removed:
            return tables.with_type_meta(rdef, _json(obj))
        meta = obj["metadata"]
        return _json(
            wire_status.status_body(
                status="Success",
                details={
                    "name": meta.get("name"),
                    "group": rdef.group,
                    "kind": rdef.plural,
                    "uid": meta.get("uid"),
                },
            )
        )

    def _delete_collection(self, ex: Exchange, route: _Route) -> None:
        rdef = route.rdef
        options = self._delete_options(ex)
        opts = parse_list_options(
            ex.query, rdef, force_watch=False, name=None, watch_list_enabled=False
        )
        opts.limit = 0
        page = read_list(self.state, rdef, route.namespace, opts)
        deleted = []
        for entry in list(page.items):
            namespace, _, name = entry.key.rpartition("/")
            try:
                obj, _ = self.state.delete(rdef.plural, namespace or None, name, **options)
            except wire_status.ApiError as err:
                if err.code == 404:
                    continue
                raise
            deleted.append(_json(obj))
        meta = b'{"resourceVersion":"%d"}' % self.state.resource_version
        body = _list_head(rdef.list_kind, rdef.api_version, meta) + b",".join(deleted) + b"]}"
        ex.respond(200, body)

    def _evict(self, ex: Exchange, route: _Route) -> None:
        """pod/storage/eviction.go (no PDBs in the sim): delete, then 201 Success."""
        body = self._decode_body(ex) if ex.body.strip() else {}
        if not isinstance(body, dict):
            raise wire_status.bad_request("the object provided is unrecognized")
        body_name = (body.get("metadata") or {}).get("name")
        if body_name and body_name != route.name:
            raise wire_status.bad_request("name in URL does not match name in Eviction object")
        opts = body.get("deleteOptions") or {}
        dry = bool(opts.get("dryRun")) or self._dry_run(ex)
        self.state.delete(
            "pods",
            route.namespace,
            route.name or "",
            grace_period_seconds=opts.get("gracePeriodSeconds"),
            preconditions=opts.get("preconditions") or {},
            propagation_policy=opts.get("propagationPolicy"),
            dry_run=dry,
        )
        ex.respond(201, _json(wire_status.status_body(status="Success", code=201)))


def _respond_unstored(ex: Exchange, code: int, rdef: ResourceDef, obj: dict[str, Any]) -> None:
    """A dry-run write: the object as it would be stored, never stored."""
    body = {k: v for k, v in obj.items() if k not in ("kind", "apiVersion")}
    ex.respond(code, tables.with_type_meta(rdef, _json(body)))


def _route_meta(obj: dict[str, Any], route: _Route) -> dict[str, Any]:
    """``obj``'s metadata with the name (and namespace) of the URL, which win over the body."""
    meta = {**(obj.get("metadata") or {}), "name": route.name}
    if route.rdef.namespaced:
        meta["namespace"] = route.namespace
    return meta


def _without_table(accept: str | None) -> str:
    ranges = [r for r in (accept or "").split(",") if "as=Table" not in r.replace(" ", "")]
    return ",".join(ranges) or JSON


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "kubetui-sim"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the default stderr access log (SimApi keeps request_log)."""

    def _serve(self) -> None:
        self.server.api.handle(self)  # type: ignore[attr-defined]

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _serve


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], api: SimApi, tls: ssl.SSLContext | None) -> None:
        super().__init__(address, _Handler)
        self.api = api
        self.tls = tls
        self.connections: set[socket.socket] = set()
        self.conn_lock = threading.Lock()

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, addr = self.socket.accept()
        if self.tls is not None:
            sock = self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        with self.conn_lock:
            self.connections.add(sock)
        return sock, addr

    def finish_request(self, request: Any, client_address: Any) -> None:
        """TLS handshake in the connection's own thread, never in the accept loop."""
        if isinstance(request, ssl.SSLSocket):
            request.settimeout(10)
            request.do_handshake()
            request.settimeout(None)
        super().finish_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self.conn_lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Client hang-ups and TLS handshake failures are routine here."""

    def close_connections(self) -> None:
        with self.conn_lock:
            conns = list(self.connections)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


class SimApiServer:
    """The API server on 127.0.0.1 (port 0 = ephemeral), HTTPS when given a context."""

    def __init__(
        self,
        state: SimState,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        tls: ssl.SSLContext | None = None,
        settings: ServerSettings | None = None,
    ) -> None:
        self.api = SimApi(state, settings or ServerSettings(), "")
        self._httpd = _HTTPServer((host, port), self.api, tls)
        self.host, self.port = self._httpd.server_address[:2]
        self.api.address = f"{self.host}:{self.port}"
        self.url = f"{'https' if tls else 'http'}://{self.host}:{self.port}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="sim-api",
            daemon=True,
        )

    @property
    def request_log(self) -> list[LoggedRequest]:
        return self.api.request_log

    def start(self) -> str:
        self._thread.start()
        return self.url

    def stop(self) -> None:
        self.api.stopping.set()
        self.api.state.close_watchers()
        self._httpd.shutdown()
        self._httpd.close_connections()
        self._httpd.server_close()
        self._thread.join(timeout=5)
