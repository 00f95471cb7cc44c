"""Polling a Kyuubi server's REST API: batches, registered engines, sessions.

Endpoints and quirks from apache/kyuubi master @ cfbbeec4 (``kyuubi-rest-client/.../dto/``,
``kyuubi-server/.../server/api/v1/{BatchesResource,AdminResource,SessionsResource}.scala``):

* ``GET /api/v1/batches?from=&size=`` reads the metadata store for every user; its
  ``total`` is the size of the page, not a grand total, so pages are read until one
  comes back shorter than ``size``.
* ``GET /api/v1/admin/engine`` lists one user's engines of one (type, share level);
  other users need ``proxyUser`` and admin rights, so each user seen in batches or
  sessions is asked for, and a refusal (403) leaves the engine list incomplete.
* ``GET /api/v1/sessions`` (only the caller's own since 1.12).
* Basic auth; 401 without credentials, 403 with wrong ones.

Writes (kill, relaunch; ``KyuubiClient.send`` and the typed calls below it) follow the
same sources: ``DELETE /batches/{id}`` answers ``{success, msg}`` (``success=false`` with
"already terminal" is an answer, not an error), ``DELETE /admin/engine`` answers plain
text, ``POST /sessions`` an identifier, ``POST /batches`` a Batch. A read-only client
refuses every write before any request, as ``KubeClient.read_only`` does.

A poll runs on one thread that sleeps ``interval`` *after* each poll, so a slow server
never stacks polls. When Kyuubi is down, slow, refusing or answering garbage, the last
good data is kept and marked stale, with the reason in one inert line.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, TypeVar
from urllib.parse import quote, urlencode

import msgspec
import urllib3

from kubetui.errors import UserError
from kubetui.model.decode import clean_record
from kubetui.model.inert_text import inert, may_hold_unsafe_text, single_line
from kubetui.model.kyuubi_join import (
    GetBatchesResponse,
    KyuubiBatch,
    KyuubiData,
    KyuubiEngine,
    KyuubiSession,
)
from kubetui.model.store import SyncState
from kubetui.sources.supervise import Backoff, Poller

__all__ = [
    "KillAnswer",
    "KyuubiAnswer",
    "KyuubiClient",
    "KyuubiConfig",
    "KyuubiError",
    "KyuubiPoller",
    "KyuubiUpdate",
]

SOURCE: Final = "kyuubi"
API: Final = "/api/v1"
T = TypeVar("T")


class KyuubiConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """How to reach one Kyuubi server; one per kube context in the user's config.

    The password is never stored in the config: it is read from ``password_env`` (an
    environment variable) or ``password_file`` at each poll.
    """

    url: str
    user: str | None = None
    password_env: str | None = None
    password_file: str | None = None
    verify_tls: bool = True
    #: A CA bundle for a server certificate signed by a private CA.
    ca_file: str | None = None
    #: Seconds between the end of one poll and the start of the next.
    interval: float = 30.0
    #: Connect and read timeout of each request, seconds.
    timeout: float = 10.0
    page_size: int = 200
    #: Which engine spaces ``/admin/engine`` is asked about, per user.
    engine_types: tuple[str, ...] = ("SPARK_SQL",)
    share_levels: tuple[str, ...] = ("USER",)

    def __post_init__(self) -> None:
        if self.password_env and self.password_file:
            raise ValueError("give password_env or password_file, not both")
        if "@" in self.url.split("://", 1)[-1].split("/", 1)[0]:
            # It would be shown and logged wherever the server is named (and urllib3
            # does not send it anyway): credentials go in user/password_env/password_file.
            raise ValueError(
                "the Kyuubi URL must not hold credentials (user:password@): give the user "
                "as user and the password by password_env or password_file"
            )
        if self.interval <= 0 or self.timeout <= 0 or self.page_size <= 0:
            raise ValueError("interval, timeout and page_size must be positive")


class KyuubiError(UserError):
    """A failed call; ``str()`` is one line naming the server and the cause.

    ``status`` is the HTTP status when the server answered (None: transport failure,
    refusal by a read-only client, or an answer that could not be read).
    """

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class KyuubiAnswer(msgspec.Struct, frozen=True):
    """A write's response: the status and the body, JSON-decoded when it is JSON, else
    text (both inert)."""

    status: int
    body: Any


class KillAnswer(msgspec.Struct, frozen=True):
    """``DELETE /batches/{id}``'s ``{success, msg}``, verbatim."""

    success: bool
    msg: str


class _KillBody(msgspec.Struct):
    success: bool | None = None
    msg: str | None = None


class _SessionHandle(msgspec.Struct):
    identifier: str | None = None


class KyuubiUpdate(msgspec.Struct, kw_only=True):
    """What the poller posts: the last good data (None before the first) and its state."""

    data: KyuubiData | None
    sync: SyncState


class _Message(msgspec.Struct):
    """Kyuubi's error body."""

    message: str | None = None


class KyuubiClient:
    """Blocking REST calls to one Kyuubi server."""

    def __init__(self, config: KyuubiConfig, *, read_only: bool = False) -> None:
        self.config = config
        #: ``--read-only``: every write is refused here, before a request is made.
        self.read_only = read_only
        base = config.url.rstrip("/")
        self.base = base if base.endswith(API) else base + API
        self.where = f"Kyuubi at {config.url}"
        if not config.verify_tls:
            urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
        self._pool = self._new_pool()

    def _new_pool(self) -> urllib3.PoolManager:
        config = self.config
        return urllib3.PoolManager(
            cert_reqs="CERT_REQUIRED" if config.verify_tls else "CERT_NONE",
            ca_certs=config.ca_file,
            retries=False,
            timeout=urllib3.Timeout(connect=config.timeout, read=config.timeout),
        )

    # ------------------------------------------------------------------ plumbing

    def _fail(self, detail: str, status: int | None = None) -> KyuubiError:
        return KyuubiError(f"{self.where}: {single_line(inert(detail))[:300]}", status)

    def _headers(self) -> dict[str, str]:
        cfg = self.config
        if cfg.user is None:
            return {"Accept": "application/json"}
        password = ""
        if cfg.password_env:
            value = os.environ.get(cfg.password_env)
            if value is None:
                raise self._fail(f"environment variable {cfg.password_env} is not set")
            password = value
        elif cfg.password_file:
            try:
                password = Path(cfg.password_file).read_text().rstrip("\r\n")
            except OSError as exc:
                raise self._fail(f"password file {cfg.password_file}: {exc.strerror}") from None
        auth = urllib3.make_headers(basic_auth=f"{cfg.user}:{password}")
        return {"Accept": "application/json", **auth}

    def get(self, path: str, query: dict[str, str], type_: type[T]) -> T:
        """GET ``/api/v1{path}`` and decode it; :class:`KyuubiError` on any failure."""
        try:
            response = self._pool.request(
                "GET", self.base + path, fields=query, headers=self._headers()
            )
        except urllib3.exceptions.MaxRetryError as exc:
            raise self._fail(_transport(exc.reason)) from None
        except urllib3.exceptions.HTTPError as exc:
            raise self._fail(_transport(exc)) from None
        body = response.data
        if response.status in (401, 403) and path != "/admin/engine":
            what = "unauthorized (401)" if response.status == 401 else "forbidden (403)"
            raise self._fail(f"{what}: check the Kyuubi user and password")
        if response.status >= 400:
            raise _StatusError(response.status, self._fail(f"GET {path}: {_message(response)}"))
        try:
            decoded = msgspec.json.decode(body, type=type_)
        except msgspec.ValidationError as exc:
            raise self._fail(f"GET {path} answered unexpected JSON: {exc}") from None
        except msgspec.DecodeError:
            kind = response.headers.get("Content-Type") or "no content type"
            raise self._fail(f"GET {path} answered something that is not JSON ({kind})") from None
        if may_hold_unsafe_text(body):
            # The result, not in place: the Kyuubi records are frozen (cleaned copies).
            decoded = clean_record(decoded)
        return decoded

    # ------------------------------------------------------------------ endpoints

    def batches(self) -> list[KyuubiBatch]:
        """Every batch row, oldest first, paged until a short page."""
        size = self.config.page_size
        rows: list[KyuubiBatch] = []
        previous: str | None = None
        while True:
            query = {"from": str(len(rows)), "size": str(size)}
            page = self.get("/batches", query, GetBatchesResponse).batches or []
            if page and previous is not None and page[0].id == previous:
                raise self._fail("GET /batches ignores 'from': the same page came back twice")
            rows += page
            if len(page) < size:
                return rows
            previous = page[0].id

    def sessions(self) -> list[KyuubiSession]:
        return self.get("/sessions", {}, list[KyuubiSession])

    def engines(self, users: Iterable[str]) -> tuple[list[KyuubiEngine], bool]:
        """Engines of ``users`` in every configured (type, share level); whether the
        listing is complete (no user's listing refused)."""
        cfg = self.config
        found: list[KyuubiEngine] = []
        complete = True
        for user in users:
            query = {} if user == cfg.user else {"proxyUser": user}
            try:
                for engine_type in cfg.engine_types:
                    for level in cfg.share_levels:
                        spaces = {"type": engine_type, "sharelevel": level, **query}
                        found += self.get("/admin/engine", spaces, list[KyuubiEngine])
            except _StatusError as exc:
                if exc.status not in (401, 403):
                    raise exc.error from None
                complete = False
                if user == cfg.user:
                    raise exc.error from None
                break  # not an admin: other users' engines are out of reach
        return found, complete

    # ------------------------------------------------------------------ writes

    def send(
        self,
        method: str,
        path: str,
        *,
        query: dict[str, str] | None = None,
        json: Any = None,
    ) -> KyuubiAnswer:
        """One request to ``/api/v1{path}``; any HTTP status comes back as an answer.

        Only transport failures (and a read-only client, for anything but GET) raise
        :class:`KyuubiError`. Each request opens its own connection and closes it: a
        write is never sent on a keep-alive connection the server may have closed (which
        fails it, as requests are never retried), and the poller's pool is not touched
        from another thread. Headers (the password) never reach a message.
        """
        if self.read_only and method != "GET":
            raise KyuubiError(f"read-only: refusing {method} {self.where}{API}{path}")
        url = self.base + path + (f"?{urlencode(query)}" if query else "")
        headers = {**self._headers(), "Connection": "close"}
        body = None
        if json is not None:
            body = msgspec.json.encode(json)
            headers["Content-Type"] = "application/json"
        try:
            with self._new_pool() as pool:
                response = pool.request(method, url, body=body, headers=headers)
        except urllib3.exceptions.MaxRetryError as exc:
            raise self._fail(_transport(exc.reason)) from None
        except urllib3.exceptions.HTTPError as exc:
            raise self._fail(_transport(exc)) from None
        return KyuubiAnswer(response.status, _decode_answer(response.data))

    def checked(self, method: str, path: str, answer: KyuubiAnswer) -> Any:
        """The body of a 2xx answer; else :class:`KyuubiError` with Kyuubi's message."""
        if answer.status < 300:
            return answer.body
        if answer.status == 401:
            detail = "unauthorized (401): check the Kyuubi user and password"
        else:
            detail = f"{method} {path}: HTTP {answer.status}"
            text = _answer_text(answer.body)
            if text:
                detail += f": {text}"
        raise self._fail(detail, answer.status)

    def _typed(self, method: str, path: str, answer: KyuubiAnswer, type_: type[T]) -> T:
        body = self.checked(method, path, answer)
        try:
            return msgspec.convert(body, type_)
        except msgspec.ValidationError as exc:
            raise self._fail(f"{method} {path} answered unexpected JSON: {exc}") from None

    def delete_batch(self, batch_id: str) -> KillAnswer:
        """Kill a batch (``DELETE /batches/{id}``); Kyuubi's ``{success, msg}`` verbatim."""
        path = f"/batches/{quote(batch_id, safe='')}"
        answer = self._typed("DELETE", path, self.send("DELETE", path), _KillBody)
        return KillAnswer(bool(answer.success), answer.msg or "")

    def engine_query(
        self, user: str, engine_type: str, share_level: str, subdomain: str | None
    ) -> dict[str, str]:
        """``/admin/engine``'s query for one engine space; another user's via
        ``proxyUser`` (needs admin rights: apache/kyuubi ``v1/AdminResource.scala``)."""
        query = {"type": engine_type, "sharelevel": share_level}
        if subdomain:
            query["subdomain"] = subdomain
        if user != self.config.user:
            query["proxyUser"] = user
        return query

    def delete_engine(
        self,
        user: str,
        engine_type: str,
        share_level: str,
        subdomain: str | None,
        *,
        kill: bool = True,
    ) -> str:
        """Deregister the engines of one space (``DELETE /admin/engine``) and, with
        ``kill``, kill their apps; Kyuubi's text answer verbatim ("" when none was found)."""
        query = self.engine_query(user, engine_type, share_level, subdomain)
        query["kill"] = "true" if kill else "false"
        answer = self.send("DELETE", "/admin/engine", query=query)
        body = self.checked("DELETE", "/admin/engine", answer)
        return body if isinstance(body, str) else msgspec.json.encode(body).decode()

    def list_engines(
        self, user: str, engine_type: str, share_level: str, subdomain: str | None = None
    ) -> list[KyuubiEngine]:
        """The engines registered in one space (``GET /admin/engine``)."""
        query = self.engine_query(user, engine_type, share_level, subdomain)
        answer = self.send("GET", "/admin/engine", query=query)
        return self._typed("GET", "/admin/engine", answer, list[KyuubiEngine])

    def open_session(self, configs: dict[str, str]) -> str:
        """Open a session (``POST /sessions``), which launches an engine when none is
        registered for its space; the session's identifier."""
        answer = self.send("POST", "/sessions", json={"configs": configs})
        handle = self._typed("POST", "/sessions", answer, _SessionHandle).identifier
        if not handle:
            raise self._fail("POST /sessions answered no session identifier")
        return handle

    def close_session(self, handle: str) -> None:
        path = f"/sessions/{quote(handle, safe='')}"
        self.checked("DELETE", path, self.send("DELETE", path))

    def submit_batch(self, request: Any) -> KyuubiBatch:
        """Submit a BatchRequest (a dict or a msgspec Struct) as JSON (``POST /batches``)."""
        answer = self.send("POST", "/batches", json=request)
        return self._typed("POST", "/batches", answer, KyuubiBatch)

    def get_batch(self, batch_id: str) -> KyuubiBatch:
        path = f"/batches/{quote(batch_id, safe='')}"
        return self._typed("GET", path, self.send("GET", path), KyuubiBatch)

    def fetch(self) -> KyuubiData:
        """One full poll; :class:`KyuubiError` when any part of it fails.

        Connections are kept within a poll and dropped after it: requests are never
        retried, and a keep-alive connection the server closed while idle between polls
        (Jetty's idle timeout is 30 s) would otherwise fail the next poll.
        """
        try:
            batches = self.batches()
            sessions = self.sessions()
            me = [self.config.user] if self.config.user else []
            others = {b.user for b in batches} | {s.user for s in sessions}
            users = me + sorted(u for u in others if u and u not in me)
            engines, complete = self.engines(users)
        except _StatusError as exc:
            raise exc.error from None
        finally:
            self._pool.clear()
        return KyuubiData(
            batches=tuple(batches),
            engines=tuple(engines),
            sessions=tuple(sessions),
            fetched_at=datetime.now(UTC),
            complete=complete,
        )


class _StatusError(Exception):
    """An HTTP error status, kept apart so the engine listing can read 403 as "not
    an admin"; everywhere else its ``error`` is what the caller sees."""

    def __init__(self, status: int, error: KyuubiError) -> None:
        super().__init__(str(error))
        self.status = status
        self.error = error


def _decode_answer(data: bytes) -> Any:
    """JSON when the body is JSON, else its text; strings made inert either way."""
    try:
        body = msgspec.json.decode(data) if data.strip() else ""
    except msgspec.DecodeError:
        return inert(data.decode("utf-8", "replace"))
    return _inert_strings(body)


def _inert_strings(value: Any) -> Any:
    if isinstance(value, str):
        return inert(value)
    if isinstance(value, list):
        return [_inert_strings(v) for v in value]
    if isinstance(value, dict):
        # Keys too: a write's answer is shown (an engine deletion's text) or encoded back
        # to JSON, which keeps C1 and bidi characters of a key as they are.
        return {inert(k): _inert_strings(v) for k, v in value.items()}
    return value


def _answer_text(body: Any) -> str:
    """Kyuubi's error ``{"message"}``, else the body as text (a Jetty page, plain text)."""
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return body["message"]
    text = body if isinstance(body, str) else msgspec.json.encode(body).decode()
    return text.strip()


def _message(response: urllib3.BaseHTTPResponse) -> str:
    try:
        text = msgspec.json.decode(response.data, type=_Message).message
    except (msgspec.DecodeError, TypeError):
        text = None
    return f"HTTP {response.status}" + (f": {text}" if text else "")


def _transport(exc: BaseException | None) -> str:
    text = str(exc)
    # NewConnectionError subclasses ConnectTimeoutError: tell refusals first.
    if "Connection refused" in text:
        return "connection refused (is Kyuubi up, the URL and port right?)"
    if isinstance(exc, urllib3.exceptions.TimeoutError) or "timed out" in text.lower():
        return "timed out"
    if isinstance(exc, urllib3.exceptions.SSLError) or "CERTIFICATE_VERIFY_FAILED" in text:
        return f"TLS failure: {text}"
    if "Name or service not known" in text or "nodename nor servname" in text:
        return "unknown host"
    return text or type(exc).__name__


# ------------------------------------------------------------------ the poller


class KyuubiPoller(Poller[KyuubiUpdate]):
    """Polls one Kyuubi server on a thread, posting a :class:`KyuubiUpdate` each time."""

    NAME = "kyuubi poll"

    def __init__(
        self,
        config: KyuubiConfig,
        *,
        client: KyuubiClient | None = None,
        backoff: Backoff | None = None,
    ) -> None:
        super().__init__(config.interval, backoff=backoff)
        self.config = config
        self.client = client or KyuubiClient(config)
        self._last: KyuubiData | None = None
        self._failing_since: datetime | None = None

    def poll_once(self) -> KyuubiUpdate:
        """Poll now; on failure keep the last good data, stale since the first failure."""
        now = datetime.now(UTC)
        try:
            self._last = self.client.fetch()
        except KyuubiError as exc:
            return self._failed("stale" if self._last is not None else "error", str(exc))
        self._failing_since = None
        items = len(self._last.batches) + len(self._last.engines)
        sync = SyncState(source=SOURCE, phase="live", since=now, items=items)
        return KyuubiUpdate(data=self._last, sync=sync)

    def crashed(self, cause: str) -> KyuubiUpdate:
        return self._failed("error", cause, stale=self._last is not None)

    def _failed(self, phase: str, message: str, *, stale: bool = False) -> KyuubiUpdate:
        """The last good data (None before one), in ``phase`` since the first failure."""
        self._failing_since = self._failing_since or datetime.now(UTC)
        sync = SyncState(
            source=SOURCE, phase=phase, since=self._failing_since, message=message, stale=stale
        )
        return KyuubiUpdate(data=self._last, sync=sync)
