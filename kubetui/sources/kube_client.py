"""The connection to kube-apiserver, configured exactly as kubectl is.

The ``kubernetes`` package's loader reads the kubeconfig (``--kubeconfig``, else
``KUBECONFIG`` with several files merged, else ``~/.kube/config``), picks the context,
runs exec credential plugins and sets up client certificates, tokens, CA data,
``insecure-skip-tls-verify`` and proxies; without any kubeconfig inside a pod it falls
back to the in-cluster service account. kubetui then uses only the package's HTTP layer
(``rest_client``) and reads raw bytes: the generated model classes cost 50× more than
decoding the same bytes into records (bench/decode_bench.py).

Every failure becomes a :class:`KubeError` whose message is one line an operator can act
on (which file, which context, which server, which verb was refused).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import msgspec
import urllib3
from kubernetes import client, config
from kubernetes.config.config_exception import ConfigException

from kubetui import __version__
from kubetui.errors import UserError
from kubetui.model.inert_text import inert, single_line
from kubetui.model.redaction import register_secret
from kubetui.sources.kubeconfig_check import KubeconfigError, check_kubeconfig

USER_AGENT = f"kubetui/{__version__}"

#: (connect, read) seconds for ordinary requests; watches set their own read timeout.
DEFAULT_TIMEOUT = (10.0, 60.0)
#: Where a SelfSubjectAccessReview is created (:meth:`KubeClient.review_access`).
ACCESS_REVIEW_PATH = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"


class KubeError(UserError):
    """A failure talking to the cluster; ``str()`` is one line for the operator."""

    def __init__(
        self,
        message: str,
        status: int | None = None,
        reason: str | None = None,
        retry_after: float | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.reason = reason
        #: Seconds the server asked the client to wait (Retry-After, or the Status's
        #: details.retryAfterSeconds): a 429 of API Priority and Fairness, a 503 while
        #: kube-apiserver starts.
        self.retry_after = retry_after


class StatusDetails(msgspec.Struct, rename="camel"):
    retry_after_seconds: int | None = None


class ApiStatus(msgspec.Struct):
    """The API's error envelope (``kind: Status``); only what the messages need."""

    message: str | None = None
    reason: str | None = None
    code: int | None = None
    details: StatusDetails | None = None


STATUS_DECODER = msgspec.json.Decoder(ApiStatus)


def read_status(body: bytes) -> ApiStatus:
    """An error body as a Status; plain text (priority-and-fairness 429s, proxies) becomes
    its message. The message is made inert and one line."""
    try:
        parsed = STATUS_DECODER.decode(body)
    except msgspec.DecodeError:
        parsed = ApiStatus(message=body.decode("utf-8", "replace"))
    return msgspec.structs.replace(parsed, message=single_line(inert(parsed.message or "")))


@dataclass(slots=True)
class KubeClient:
    """A configured API client plus what the UI shows about where it points."""

    api: client.ApiClient
    context: str | None
    server: str
    #: The context's namespace (``-n`` default for namespaced views), if any.
    namespace: str | None
    user: str | None
    #: ``--read-only``: every write is refused here, before a request is made.
    read_only: bool = False
    #: Loads the credentials anew (runs the exec plugin again, rereads a token file):
    #: what a 401 calls for, as client-go's exec authenticator does
    #: (k8s.io/client-go plugin/pkg/client/auth/exec/exec.go, maybeRefreshCreds on 401).
    reload_credentials: Callable[[], client.ApiClient] | None = None

    def get(
        self,
        path: str,
        query: Sequence[tuple[str, str]] = (),
        *,
        accept: str = "application/json",
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
    ) -> bytes:
        """GET ``path`` and return the body; :class:`KubeError` on failure or status >= 400."""
        return self.open(path, query, accept=accept, timeout=timeout).data

    def open(
        self,
        path: str,
        query: Sequence[tuple[str, str]] = (),
        *,
        accept: str = "application/json",
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
    ) -> urllib3.BaseHTTPResponse:
        """GET ``path`` and return the response with its body unread (for streams).

        Raises :class:`KubeError` for transport failures and any status >= 400.
        """
        response = self._request("GET", path, query, {"Accept": accept}, None, timeout)
        if response.status >= 400:
            body = response.data
            response.release_conn()
            raise status_error(response.status, body, self, response.headers.get("Retry-After"))
        return response

    def send(
        self,
        method: str,
        path: str,
        body: dict | list | None = None,
        *,
        query: Sequence[tuple[str, str]] = (),
        content_type: str = "application/json",
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
    ) -> tuple[int, bytes]:
        """A write (DELETE, POST, PATCH): returns (status, body), errors included.

        The caller reads 404/409/403 as outcomes of its action; only transport failures
        raise. Refused before anything is sent when the client is read-only.
        """
        if self.read_only:
            raise KubeError(f"read-only: refusing {method} {path} (started with --read-only)")
        return self._exchange(method, path, body, query, content_type, timeout)

    def review_access(self, attributes: dict[str, str]) -> tuple[int, bytes]:
        """Ask whether this user may do what ``attributes`` (a SelfSubjectAccessReview's
        ``spec.resourceAttributes``: verb, group, resource, namespace) describe, as
        ``kubectl auth can-i`` does (kubernetes/kubectl ``pkg/cmd/auth/cani.go``);
        returns (status, body), errors included.

        The one request besides GETs that ``--read-only`` lets through, and only to this
        path and body: it changes nothing on the server, which answers the review and
        stores nothing (kubernetes/kubernetes
        ``pkg/registry/authorization/selfsubjectaccessreview/rest.go`` @ v1.37.2: a
        ``Create`` with no storage behind it, "Given no underlying store").
        """
        body = {
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SelfSubjectAccessReview",
            "spec": {"resourceAttributes": attributes},
        }
        return self._exchange(
            "POST", ACCESS_REVIEW_PATH, body, (), "application/json", DEFAULT_TIMEOUT
        )

    def _exchange(
        self,
        method: str,
        path: str,
        body: dict | list | None,
        query: Sequence[tuple[str, str]],
        content_type: str,
        timeout: tuple[float, float],
    ) -> tuple[int, bytes]:
        headers = {"Accept": "application/json", "Content-Type": content_type}
        response = self._request(method, path, query, headers, body, timeout)
        data = response.data
        response.release_conn()
        return response.status, data

    def _request(
        self,
        method: str,
        path: str,
        query: Sequence[tuple[str, str]],
        headers: dict[str, str],
        body: dict | list | None,
        timeout: tuple[float, float],
    ) -> urllib3.BaseHTTPResponse:
        url = self.server.rstrip("/") + path + (f"?{urlencode(query)}" if query else "")
        # kubectl and k9s name themselves in User-Agent; kubetui does too, so its requests
        # can be told apart in the API server's audit log and request metrics.
        headers["User-Agent"] = USER_AGENT
        response = self._send_once(method, url, path, headers, body, timeout)
        if response.status == 401 and self.reload_credentials is not None:
            # The credentials were rejected: load them again (a fresh exec plugin token)
            # and retry once; a second 401 is the caller's to report.
            response.release_conn()
            try:
                self.api = self.reload_credentials()
            except KubeError as exc:
                raise KubeError(
                    f"unauthorized (401), and loading the credentials again failed: {exc}", 401
                ) from None
            response = self._send_once(method, url, path, headers, body, timeout)
        return response

    def _send_once(
        self,
        method: str,
        url: str,
        path: str,
        headers: dict[str, str],
        body: dict | list | None,
        timeout: tuple[float, float],
    ) -> urllib3.BaseHTTPResponse:
        # Bearer tokens, exec plugins (refreshed when they expire), basic auth.
        self.api.update_params_for_auth(headers, None, ["BearerToken"], path, method, body)
        try:
            return self.api.rest_client.request(
                method, url, headers=headers, body=body, _request_timeout=timeout
            ).response
        except (urllib3.exceptions.HTTPError, client.ApiException) as exc:
            # The package reports SSL failures as ApiException(status=0).
            raise KubeError(_transport_message(self.server, exc)) from None


def _transport_message(server: str, exc: BaseException) -> str:
    text = str(exc)
    if "CERTIFICATE_VERIFY_FAILED" in text or "SSLError" in text or "SSL" in type(exc).__name__:
        detail = text.split("SSLError(")[-1].split("))")[0] if "SSLError(" in text else text
        return f"TLS failure talking to {server}: {single_line(inert(detail))}"
    if "Connection refused" in text or "NewConnectionError" in text:
        return f"cannot reach {server}: connection refused (is the API server up, the URL right?)"
    if "timed out" in text.lower():
        return f"cannot reach {server}: timed out"
    if "Name or service not known" in text or "nodename nor servname" in text:
        return f"cannot reach {server}: unknown host"
    return f"cannot reach {server}: {single_line(inert(text))[:200]}"


def retry_after_of(header: str | None, parsed: ApiStatus) -> float | None:
    """The wait the server asked for: the Retry-After header in seconds (RFC 9110 §10.2.3;
    kube-apiserver sends seconds, never a date), else the Status's retryAfterSeconds."""
    if header is not None:
        try:
            seconds = float(header.strip())
        except ValueError:
            seconds = None
        if seconds is not None and 0 <= seconds <= 3600:
            return seconds
    details = parsed.details
    if details is not None and details.retry_after_seconds is not None:
        return float(min(max(details.retry_after_seconds, 0), 3600))
    return None


def status_error(
    status: int, body: bytes, where: KubeClient | None = None, retry_after: str | None = None
) -> KubeError:
    """Turn an error response (a ``Status`` object, or plain text) into a one-line error;
    ``retry_after`` is the response's Retry-After header."""
    parsed = read_status(body)
    message, reason = parsed.message or f"HTTP {status}", parsed.reason
    wait = retry_after_of(retry_after, parsed)
    context = f" (context {where.context})" if where is not None and where.context else ""
    if status == 401:
        return KubeError(
            f"unauthorized (401){context}: the API server rejected the credentials", status, reason
        )
    if status == 403:
        return KubeError(f"forbidden (403): {message}", status, reason)
    return KubeError(
        f"API error {status} {reason or ''}: {message}".replace("  ", " "),
        status,
        reason,
        retry_after=wait,
    )


def _kubeconfig_path(kubeconfig: str | None) -> str:
    """The kubeconfig file(s) kubectl reads: the flag, else ``$KUBECONFIG``, else
    ``~/.kube/config``."""
    return kubeconfig or os.environ.get("KUBECONFIG") or str(Path("~/.kube/config").expanduser())


def _context_entries(kubeconfig: str | None) -> list[dict]:
    """The ``contexts`` entries of the kubeconfig :func:`connect` reads; none when it
    cannot be read (``connect`` then says why)."""
    try:
        contexts, _ = config.list_kube_config_contexts(config_file=_kubeconfig_path(kubeconfig))
    except Exception:  # the loader raises many types (see connect); connect says which
        return []
    return [c for c in contexts if isinstance(c, dict) and c.get("name")]


def kubeconfig_contexts(kubeconfig: str | None = None) -> list[str]:
    """The context names of the kubeconfig :func:`connect` reads, for ``:ctx``'s and the
    shell's completion."""
    return sorted(str(c["name"]) for c in _context_entries(kubeconfig))


def kubeconfig_namespaces(kubeconfig: str | None = None) -> set[str]:
    """The namespaces the kubeconfig's contexts name, for the shell's completion of -n."""
    entries = (c.get("context") for c in _context_entries(kubeconfig))
    return {str(e["namespace"]) for e in entries if isinstance(e, dict) and e.get("namespace")}


def connect(kubeconfig: str | None = None, context: str | None = None) -> KubeClient:
    """Load the kubeconfig as kubectl would and return a client for ``context``.

    Order: ``kubeconfig`` if given; else ``$KUBECONFIG`` (``:``-separated, merged) or
    ``~/.kube/config`` if one exists; else the in-cluster service account.
    """
    path = _kubeconfig_path(kubeconfig)
    files = [p for p in path.split(os.pathsep) if p]
    if kubeconfig is not None and not Path(kubeconfig).is_file():
        what = "is a directory, not a file" if Path(kubeconfig).is_dir() else "no such file"
        raise KubeError(f"kubeconfig {kubeconfig}: {what}")
    try:
        check_kubeconfig(path, context)
    except KubeconfigError as exc:
        raise KubeError(str(exc)) from None
    if not any(Path(p).expanduser().is_file() for p in files):
        if os.environ.get("KUBERNETES_SERVICE_HOST") and context is None:
            return _in_cluster()
        raise KubeError(f"no kubeconfig found ({path}); pass --kubeconfig or set KUBECONFIG")
    try:
        contexts, active = config.list_kube_config_contexts(config_file=path)
        chosen = (
            active
            if context is None
            else next((c for c in contexts if c.get("name") == context), None)
        )
        if chosen is None:
            names = ", ".join(sorted(c.get("name", "?") for c in contexts)) or "none"
            raise KubeError(f"context {context!r} not found in {path} (contexts: {names})")
        api = _load_client(path, chosen)
    except KubeError:
        raise
    except (ConfigException, ValueError, TypeError, KeyError, AttributeError) as exc:
        raise KubeError(f"kubeconfig {path}: {single_line(str(exc))[:300]}") from None
    except OSError as exc:
        raise KubeError(f"kubeconfig {path}: {exc.strerror or exc}") from None
    except Exception as exc:  # yaml errors and exec plugin failures surface as many types
        detail = f"{type(exc).__name__}: {single_line(str(exc))[:300]}"
        raise KubeError(f"kubeconfig {path}: {detail}") from None
    ctx = chosen.get("context") or {}
    return KubeClient(
        api=api,
        context=chosen.get("name"),
        server=api.configuration.host,
        namespace=ctx.get("namespace"),
        user=ctx.get("user"),
        reload_credentials=lambda: _load_client(path, chosen),
    )


def _load_client(path: str, chosen: dict) -> client.ApiClient:
    """The kubernetes package's loader for one context: CA, client certificates, tokens,
    exec plugins (run now). A plugin that fails is a KubeError naming the user."""
    with _LoaderErrors() as loader_errors:
        api = config.new_client_from_config(
            config_file=path,
            context=chosen.get("name"),
            persist_config=False,
            client_configuration=_configuration(),
        )
    if loader_errors.messages:
        # The loader logs a failed exec credential plugin and goes on without a token.
        user = (chosen.get("context") or {}).get("user")
        detail = single_line(inert(loader_errors.messages[0]))[:300]
        raise KubeError(f"kubeconfig {path}: credentials of user {user!r}: {detail}")
    _register_credentials(api.configuration)
    return api


def _register_credentials(configuration: client.Configuration) -> None:
    """Keep the credentials just loaded out of kubetui's log file (``logfile.py`` redacts
    every registered secret): here, where every client is made, so that the dashboard,
    the headless commands and a token refreshed after a 401 are all covered."""
    for value in (configuration.api_key or {}).values():
        register_secret(value.split()[-1] if value else None)  # "Bearer <token>"
    register_secret(configuration.password)


class _LoaderErrors(logging.Handler):
    """Collects what the kubeconfig loader logs at ERROR (it logs, then carries on)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())

    def __enter__(self) -> _LoaderErrors:
        logging.getLogger().addHandler(self)
        return self

    def __exit__(self, *exc: object) -> None:
        logging.getLogger().removeHandler(self)


#: One connection per concurrent request: a watch per namespace and kind holds one each,
#: and the package's default (cpu count × 5) is below that on small machines.
CONNECTION_POOL_SIZE = 64


def _configuration() -> client.Configuration:
    configuration = client.Configuration()
    configuration.connection_pool_maxsize = CONNECTION_POOL_SIZE
    # No silent urllib3 retries (its default is 3): a hung server made every request
    # wait four timeouts while the header still said "live", and a repeated DELETE is
    # not the caller's choice. Retrying is the caller's: the reflectors' backoff, the
    # operator's next key press. (Found by tests/e2e/test_faults_live.py's frozen proxy.)
    configuration.retries = False
    return configuration


def _in_cluster() -> KubeClient:
    configuration = _configuration()
    try:
        config.load_incluster_config(client_configuration=configuration)
    except ConfigException as exc:
        raise KubeError(f"in-cluster config: {single_line(str(exc))}") from None
    _register_credentials(configuration)
    namespace_file = Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace")
    namespace = namespace_file.read_text().strip() if namespace_file.is_file() else None
    return KubeClient(
        api=client.ApiClient(configuration),
        context=None,
        server=configuration.host,
        namespace=namespace,
        user="serviceaccount",
    )
