"""A Kyuubi REST lookalike on 127.0.0.1 (stdlib ThreadingHTTPServer).

Endpoints, JSON shapes, messages and quirks follow apache/kyuubi @ cfbbeec4
(``kyuubi-server/src/main/scala/org/apache/kyuubi/server/api/v1/{BatchesResource,
SessionsResource,AdminResource}.scala``, ``server/api/api.scala`` RestExceptionMapper,
``kyuubi-rest-client/.../api/v1/dto/*.java``):

* errors are ``{"message": …}``; failed ``require`` checks are 500 with Scala's
  ``requirement failed: `` prefix; unknown ids are 404; unmatched paths are Jersey's
  ``HTTP 404 Not Found``;
* ``GET /batches`` pages with ``from``/``size`` (default 100) and its ``total`` is the size
  of the page, not the grand total;
* Basic auth: no credentials → 401 with ``WWW-Authenticate: Basic``; wrong ones → 403.

``fail_mode`` makes the server misbehave for client tests: ``down`` (connection refused),
``slow`` (answers after ``slow_seconds``), ``garbage`` (200 with a non-JSON body), ``401``.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from kubetui.sim.kyuubi_model import (
    BATCH_STATES,
    Batch,
    EngineNode,
    KyuubiModel,
    Session,
    app_mgr_info,
    engine_space,
    millis,
)
from kubetui.sim.state import SimState

FAIL_MODES = (None, "down", "slow", "garbage", "401")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


class ApiError(Exception):
    """An error response: status and Kyuubi's ``{"message"}`` body."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def require(ok: bool, message: str) -> None:
    """Scala ``require``: IllegalArgumentException, which the exception mapper makes a 500."""
    if not ok:
        raise ApiError(500, f"requirement failed: {message}")


# ---------------------------------------------------------------------- JSON shapes


def batch_json(b: Batch) -> dict[str, Any]:
    """``dto/Batch.java`` in field order."""
    return {
        "id": b.id,
        "user": b.user,
        "batchType": b.batch_type,
        "name": b.name if b.name is not None else b.app_name,
        "appStartTime": b.app_start_time,
        "appId": b.app_id,
        "appUrl": b.app_url,
        "appState": b.app_state,
        "appDiagnostic": b.app_diagnostic,
        "kyuubiInstance": b.kyuubi_instance,
        "state": b.state,
        "createTime": b.create_time,
        "endTime": b.end_time,
        "batchInfo": {"kyuubi.batch.duplicated": "true"} if b.duplicated else {},
    }


def engine_json(e: EngineNode, model: KyuubiModel) -> dict[str, Any]:
    """``dto/Engine.java``; attributes split from the ZooKeeper node name."""
    host, port = e.host.rsplit(":", 1)
    attributes = {
        "serverUri": e.host,
        "version": model.version,
        "kyuubi.engine.id": e.app_id,
        "kyuubi.engine.url": f"{host}:4040",
        "kyuubi.engine.appMgrInfo": app_mgr_info(model.context, e.namespace),
        "spark.driver.memory": e.driver_memory,
        "spark.executor.memory": e.executor_memory,
        "refId": e.ref_id,
        "sequence": "0000000000",
    }
    return {
        "version": model.version,
        "user": e.user,
        "engineType": e.engine_type,
        "sharelevel": e.share_level,
        "subdomain": e.subdomain,
        "instance": f"{host}:{port}",
        "namespace": engine_space(e, model.version),
        "attributes": attributes,
    }


def session_data_json(s: Session, model: KyuubiModel, now_ms: int) -> dict[str, Any]:
    """``dto/SessionData.java``."""
    engine = model.engine_by_ref(s.engine_ref) if s.engine_ref else None
    return {
        "identifier": s.identifier,
        "remoteId": s.identifier if engine else None,
        "user": s.user,
        "ipAddr": s.ip,
        "conf": s.conf,
        "createTime": s.create_time,
        "duration": now_ms - s.create_time,
        "idleTime": now_ms - s.last_access,
        "exception": "",
        "sessionType": "INTERACTIVE",
        "kyuubiInstance": model.instance,
        "engineId": engine.app_id if engine else "",
        "engineName": f"kyuubi_USER_SPARK_SQL_{s.user}_{engine.subdomain}_{engine.ref_id}"
        if engine
        else "",
        "engineUrl": f"{engine.host.rsplit(':', 1)[0]}:4040" if engine else "",
        "sessionName": s.conf.get("kyuubi.session.name"),
        "totalOperations": 0,
    }


def session_event_json(s: Session, model: KyuubiModel) -> dict[str, Any]:
    """``dto/KyuubiSessionEvent.java``."""
    data = session_data_json(s, model, s.create_time)
    return {
        "sessionId": s.identifier,
        "clientVersion": 10,
        "sessionType": "INTERACTIVE",
        "sessionName": data["sessionName"],
        "remoteSessionId": data["remoteId"] or "",
        "engineId": data["engineId"],
        "engineName": data["engineName"],
        "engineUrl": data["engineUrl"],
        "user": s.user,
        "clientIp": s.ip,
        "serverIp": model.instance.split(":")[0],
        "conf": s.conf,
        "eventTime": s.last_access,
        "openedTime": s.create_time,
        "startTime": s.create_time,
        "endTime": -1,
        "totalOperations": 0,
        "exception": None,
    }


# ---------------------------------------------------------------------- server


class KyuubiServer:
    """The REST lookalike bound to 127.0.0.1; ``start()`` returns its base URL."""

    def __init__(
        self,
        state: SimState,
        model: KyuubiModel,
        user: str = "admin",
        password: str = "admin",
        *,
        port: int = 0,
        users: dict[str, str] | None = None,
        admins: set[str] | None = None,
        launch_delay: float = 1.0,
        slow_seconds: float = 5.0,
    ) -> None:
        self.state = state
        self.model = model
        self.users = {user: password, **(users or {})}
        self.admins = admins if admins is not None else {user}
        self.launch_delay = launch_delay
        self.slow_seconds = slow_seconds
        self._fail_mode: str | None = None
        #: (method, path?query) of every request received, in order (tests count writes).
        self.request_log: list[tuple[str, str]] = []
        self._port = port
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._timers: list[threading.Timer] = []
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    def start(self) -> str:
        with self._lock:
            if self._httpd is None:
                self._bind()
        return self.url

    def _bind(self) -> None:
        server = self

        class Handler(_Handler):
            kyuubi = server

        httpd = ThreadingHTTPServer(("127.0.0.1", self._port), Handler)
        httpd.daemon_threads = True
        self._port = httpd.server_address[1]
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            name="kyuubi-sim",
            kwargs={"poll_interval": 0.1},
            daemon=True,
        )
        self._thread.start()

    def _unbind(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def stop(self) -> None:
        with self._lock:
            self._unbind()
            self._thread = None
            for timer in self._timers:
                timer.cancel()
            self._timers.clear()

    @property
    def fail_mode(self) -> str | None:
        """None, or how the server misbehaves: ``down``, ``slow``, ``garbage``, ``401``."""
        return self._fail_mode

    @fail_mode.setter
    def fail_mode(self, mode: str | None) -> None:
        self.set_fail_mode(mode)

    def set_fail_mode(self, mode: str | None) -> None:
        """Switch misbehaviour on or off; ``down`` closes the port, leaving it reopens it."""
        if mode not in FAIL_MODES:
            raise ValueError(f"fail_mode must be one of {FAIL_MODES}")
        with self._lock:
            was_down = self._fail_mode == "down"
            self._fail_mode = mode
            if mode == "down":
                self._unbind()
            elif was_down and self._thread is not None:
                self._bind()

    def later(self, fn: Any, *args: Any) -> None:
        """Run ``fn(*args)`` after ``launch_delay`` wall seconds (engine launch latency)."""
        timer = threading.Timer(self.launch_delay, fn, args)
        timer.daemon = True
        with self._lock:
            self._timers = [t for t in self._timers if t.is_alive()]
            self._timers.append(timer)
        timer.start()


class _Handler(BaseHTTPRequestHandler):
    kyuubi: KyuubiServer
    protocol_version = "HTTP/1.1"
    server_version = "Jetty(9.4.56.v20240826)"

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the sim's terminal belongs to the operator."""

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    # ------------------------------------------------------------------ plumbing
    def _send(
        self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (e.g. timed out in slow mode)

    def _json(self, status: int, doc: Any) -> None:
        self._send(status, json.dumps(doc).encode(), "application/json")

    def _text(self, status: int, text: str) -> None:
        self._send(status, text.encode(), "text/plain")

    def _auth_error(self, status: int) -> None:
        reason = "Unauthorized" if status == 401 else "Forbidden"
        body = (
            f"<html>\n<head>\n<title>Error {status} {reason}</title>\n</head>\n<body><h2>"
            f"HTTP ERROR {status} {reason}</h2>\n</body>\n</html>\n"
        ).encode()
        extra = {"WWW-Authenticate": "Basic"} if status == 401 else {}
        self._send(status, body, "text/html;charset=iso-8859-1", extra)

    def _user(self) -> str | None:
        """The authenticated user, or None after answering 401/403."""
        header = self.headers.get("Authorization") or ""
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "basic" or not token:
            self._auth_error(401)
            return None
        try:
            user, _, password = base64.b64decode(token).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            self._auth_error(403)
            return None
        if self.kyuubi.users.get(user) != password:
            self._auth_error(403)
            return None
        return user

    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if not raw:
            return None
        try:
            return json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ApiError(400, f"Unable to process JSON: {exc}") from exc

    def _dispatch(self, method: str) -> None:
        server = self.kyuubi
        server.request_log.append((method, self.path))
        mode = server.fail_mode
        if mode == "slow":
            time.sleep(server.slow_seconds)
        if mode == "401":
            self._auth_error(401)
            return
        if mode == "garbage":
            self._send(200, b"<html><body>502 Bad Gateway</body></html>\x00\xff", "text/html")
            return
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        path = url.path.rstrip("/")
        if path == "/api/v1/ping" and method == "GET":
            self._text(200, "pong")
            return
        user = self._user()
        if user is None:
            return
        try:
            server.model.sync(server.state)
            _Routes(self, server, user, query).route(method, path)
        except ApiError as exc:
            self._json(exc.status, {"message": exc.message})


class _Routes:
    """Request handling, one method per endpoint family."""

    def __init__(
        self, handler: _Handler, server: KyuubiServer, user: str, query: dict[str, str]
    ) -> None:
        self.h = handler
        self.server = server
        self.model = server.model
        self.state = server.state
        self.user = user
        self.query = query

    @property
    def is_admin(self) -> bool:
        return self.user in self.server.admins

    def route(self, method: str, path: str) -> None:
        parts = path.split("/")[3:] if path.startswith("/api/v1") else None
        if parts is None:
            raise ApiError(404, "HTTP 404 Not Found")
        table = {
            ("GET", "version"): lambda: self.h._json(200, {"version": self.model.version}),
            ("GET", "batches"): self.list_batches,
            ("POST", "batches"): self.submit_batch,
            ("GET", "sessions"): self.list_sessions,
            ("POST", "sessions"): self.open_session,
            ("GET", "admin/engine"): self.list_engines,
            ("DELETE", "admin/engine"): self.delete_engine,
            ("GET", "admin/server"): self.list_servers,
        }
        joined = "/".join(parts)
        if (method, joined) in table:
            table[(method, joined)]()
            return
        if len(parts) == 2 and parts[0] == "sessions" and parts[1] == "count" and method == "GET":
            self.h._json(200, {"openSessionCount": len(self.model.sessions)})
            return
        if len(parts) == 2 and parts[0] == "batches":
            {"GET": self.get_batch, "DELETE": self.delete_batch}.get(method, self._not_allowed)(
                parts[1]
            )
            return
        if len(parts) == 3 and parts[0] == "batches" and parts[2] == "localLog":
            self.local_log(parts[1])
            return
        if len(parts) == 2 and parts[0] == "sessions":
            {"GET": self.get_session, "DELETE": self.close_session}.get(method, self._not_allowed)(
                parts[1]
            )
            return
        known = {p for _, p in table} | {"sessions/count"}
        if joined in known:
            raise ApiError(405, "HTTP 405 Method Not Allowed")
        raise ApiError(404, "HTTP 404 Not Found")

    @staticmethod
    def _not_allowed(_: str) -> None:
        raise ApiError(405, "HTTP 405 Method Not Allowed")

    def _long(self, name: str, default: int = 0) -> int:
        """JAX-RS: an unconvertible ``@QueryParam`` is a 404."""
        raw = self.query.get(name)
        if raw is None or raw == "":
            return default
        try:
            return int(raw)
        except ValueError as exc:
            raise ApiError(404, "HTTP 404 Not Found") from exc

    # ------------------------------------------------------------------ batches
    def list_batches(self) -> None:
        create_time = self._long("createTime")
        end_time = self._long("endTime")
        require(
            create_time >= 0 and end_time >= 0 and (end_time == 0 or create_time <= end_time),
            "Invalid time range",
        )
        state = self.query.get("batchState")
        if state is not None:
            require(
                state.upper() in BATCH_STATES,
                "The valid batch state can be one of the following: " + ",".join(BATCH_STATES),
            )
        from_ = self._long("from")
        rows = self.model.list_batches(
            batch_type=self.query.get("batchType") or None,
            batch_state=state,
            batch_user=self.query.get("batchUser") or None,
            batch_name=self.query.get("batchName") or None,
            create_time=create_time,
            end_time=end_time,
            from_=from_,
            size=self._long("size", 100),
            desc=self.query.get("desc", "false").lower() == "true",
        )
        self.h._json(
            200, {"from": from_, "total": len(rows), "batches": [batch_json(b) for b in rows]}
        )

    def _batch(self, batch_id: str) -> Batch:
        batch = self.model.get_batch(batch_id) if _UUID.match(batch_id) else None
        if batch is None:
            raise ApiError(404, f"Invalid batchId: {batch_id}")
        return batch

    def get_batch(self, batch_id: str) -> None:
        self.h._json(200, batch_json(self._batch(batch_id)))

    def local_log(self, batch_id: str) -> None:
        batch = self._batch(batch_id)
        if not batch.in_memory:
            raise ApiError(404, f"No local log found for batch: {batch_id}")
        rows = (
            [f"Batch {batch_id} is waiting for submitting"]
            if batch.state == "PENDING"
            else [
                f"Submitting application {batch.name} to Kubernetes",
                f"Deployed Spark application {batch.name} with application ID {batch.app_id} "
                f"into Kubernetes",
            ]
        )
        self.h._json(200, {"logRowSet": rows, "rowCount": len(rows)})

    def submit_batch(self) -> None:
        content_type = (self.h.headers.get("Content-Type") or "").split(";")[0].strip()
        if content_type and content_type != "application/json":
            raise ApiError(415, "HTTP 415 Unsupported Media Type")
        request = self.h._body() or {}
        batch_type = request.get("batchType")
        require(
            isinstance(batch_type, str) and batch_type.upper() in ("SPARK", "PYSPARK"),
            f"{batch_type} is not in the supported list: Set(SPARK, PYSPARK)}}",
        )
        require(request.get("resource") is not None, "resource is a required parameter")
        if str(batch_type).upper() == "SPARK":
            require(
                request.get("className") is not None, "classname is a required parameter for SPARK"
            )
        conf = request.get("conf") or {}
        given = conf.get("kyuubi.batch.id")
        if given is not None and not _UUID.match(str(given)):
            raise ApiError(500, f"kyuubi.batch.id={given} must be an UUID")
        owner = conf.get("kyuubi.session.proxy.user") or conf.get("hive.server2.proxy.user")
        user = self._effective(owner)
        existing = given is not None and self.model.get_batch(given) is not None
        batch = self.model.submit_batch(self.state, user, request, self.h.client_address[0])
        if not existing:
            self.server.later(self.model.start_batch, self.state, batch.id)
        self.h._json(200, batch_json(batch))

    def delete_batch(self, batch_id: str) -> None:
        batch = self._batch(batch_id)
        self._effective(batch.user)
        success, msg = self.model.delete_batch(self.state, batch_id)
        self.h._json(200, {"success": success, "msg": msg})

    def _effective(self, proxy: str | None) -> str:
        """``getSessionUser``: a proxy user needs admin rights (no Hadoop ACLs here)."""
        if not proxy or proxy == self.user:
            return self.user
        if not self.is_admin:
            raise ApiError(403, f"Failed to validate proxy privilege of {self.user} for {proxy}")
        return proxy

    # ------------------------------------------------------------------ sessions
    def list_sessions(self) -> None:
        now = millis(self.state.clock.now())
        with self.model.lock:
            sessions = list(self.model.sessions.values())
        self.h._json(200, [session_data_json(s, self.model, now) for s in sessions])

    def open_session(self) -> None:
        body = self.h._body() or {}
        configs = {str(k): str(v) for k, v in (body.get("configs") or {}).items()}
        proxy = configs.get("kyuubi.session.proxy.user") or configs.get("hive.server2.proxy.user")
        user = self._effective(proxy)
        session, launch = self.model.open_session(
            self.state, user, configs, self.h.client_address[0]
        )
        if launch:
            self.server.later(self.model.start_engine, self.state, session.identifier)
        self.h._json(200, {"identifier": session.identifier, "kyuubiInstance": self.model.instance})

    def _session(self, handle: str) -> Session:
        with self.model.lock:
            session = self.model.sessions.get(handle)
        if session is None:
            raise ApiError(
                404,
                f"Invalid {handle}: org.apache.kyuubi.KyuubiSQLException: "
                f"Invalid SessionHandle [{handle}]",
            )
        return session

    def get_session(self, handle: str) -> None:
        self.h._json(200, session_event_json(self._session(handle), self.model))

    def close_session(self, handle: str) -> None:
        try:
            uuid.UUID(handle)
        except ValueError as exc:
            raise ApiError(500, f"Invalid UUID string: {handle}") from exc
        if not self.model.close_session(handle):
            raise ApiError(404, f"Invalid session handle: {handle}")
        self.h._send(200, b"", "application/json")

    # ------------------------------------------------------------------ admin
    def _engine_query(self) -> tuple[str, str, str, str | None]:
        proxy = self.query.get("proxyUser") or self.query.get("hive.server2.proxy.user")
        user = self._effective(proxy)
        engine_type = (self.query.get("type") or "SPARK_SQL").upper()
        share_level = (self.query.get("sharelevel") or "USER").upper()
        return user, engine_type, share_level, self.query.get("subdomain") or None

    def list_engines(self) -> None:
        user, engine_type, share_level, subdomain = self._engine_query()
        engines = self.model.list_engines(user, engine_type, share_level, subdomain)
        self.h._json(200, [engine_json(e, self.model) for e in engines])

    def delete_engine(self) -> None:
        user, engine_type, share_level, subdomain = self._engine_query()
        kill = self.query.get("kill", "false").lower() == "true"
        text = self.model.delete_engine(self.state, user, engine_type, share_level, subdomain, kill)
        self.h._text(200, text)

    def list_servers(self) -> None:
        if not self.is_admin:
            raise ApiError(403, f"{self.user} is not allowed to list all live kyuubi servers")
        host, port = self.model.instance.rsplit(":", 1)
        self.h._json(
            200,
            [
                {
                    "nodeName": f"serverUri={self.model.instance};version={self.model.version};"
                    "sequence=0000000000",
                    "namespace": "/kyuubi",
                    "instance": self.model.instance,
                    "host": host,
                    "port": int(port),
                    "attributes": {"version": self.model.version},
                    "status": "Running",
                }
            ],
        )
