"""The log of one container, streamed from ``GET .../pods/NAME/log``.

Query as ``kubectl logs`` sends it (``container``, ``previous``, ``follow``,
``tailLines``; kubernetes ``pkg/apis/core/types.go`` ``PodLogOptions``). The body is the
container's raw output: it is split into lines, each made inert (a log line holding
``ESC [ 2 J`` or an OSC 52 clipboard write must not reach the operator's terminal) and
cut at :data:`MAX_LINE_CHARS`. ``LogStream.lines`` blocks in a worker thread; ``close``
from another thread ends it (urllib3's ``shutdown`` interrupts a blocked read).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from urllib.parse import quote

import urllib3

from kubetui.model.inert_text import inert
from kubetui.sources.kube_client import KubeClient, KubeError

MAX_LINE_CHARS = 4096
_CHUNK = 64 * 1024
#: Connect in 10 s; a followed log may stay silent for hours.
_FOLLOW_TIMEOUT = (10.0, None)


def log_query(
    container: str, *, previous: bool, follow: bool, tail_lines: int | None
) -> list[tuple[str, str]]:
    query = [("container", container)]
    if previous:
        query.append(("previous", "true"))
    if follow:
        query.append(("follow", "true"))
    if tail_lines is not None:
        query.append(("tailLines", str(tail_lines)))
    return query


def _clean(raw: bytes) -> str:
    text = raw.decode("utf-8", "replace").rstrip("\r")
    if len(text) > MAX_LINE_CHARS:
        text = text[:MAX_LINE_CHARS] + "…"
    return inert(text)


class LogStream:
    def __init__(
        self,
        kube: KubeClient,
        namespace: str,
        pod: str,
        container: str,
        *,
        previous: bool = False,
        follow: bool = True,
        tail_lines: int | None = 500,
    ) -> None:
        self._kube = kube
        self._path = (
            f"/api/v1/namespaces/{quote(namespace, safe='')}/pods/{quote(pod, safe='')}/log"
        )
        self._query = log_query(container, previous=previous, follow=follow, tail_lines=tail_lines)
        self._response: urllib3.BaseHTTPResponse | None = None
        self._closed = threading.Event()

    def chunks(self) -> Iterator[list[str]]:
        """Lists of complete, inert lines as they arrive; ends with the stream.

        Raises :class:`KubeError` when the log cannot be read (e.g. no previous container).
        """
        self._response = self._kube.open(
            self._path, self._query, accept="*/*", timeout=_FOLLOW_TIMEOUT
        )
        pending = b""
        try:
            while not self._closed.is_set():
                try:
                    data = self._response.read1(_CHUNK)
                except (urllib3.exceptions.HTTPError, OSError, ValueError) as exc:
                    if self._closed.is_set():
                        return
                    raise KubeError(f"log stream broke: {exc}") from None
                if not data:
                    break
                *complete, pending = (pending + data).split(b"\n")
                if len(pending) > MAX_LINE_CHARS * 4:  # a "line" that never ends
                    complete.append(pending)
                    pending = b""
                if complete:
                    yield [_clean(line) for line in complete]
            if pending and not self._closed.is_set():
                yield [_clean(pending)]
        finally:
            self._response.release_conn()

    def close(self) -> None:
        """Stop the stream from any thread (also after it ended)."""
        self._closed.set()
        response = self._response
        if response is not None:
            # urllib3 shutdown(): ValueError/RuntimeError once the connection is released,
            # as it is when the stream ended or failed (``chunks``' finally).
            with contextlib.suppress(ValueError, RuntimeError, OSError):
                response.shutdown()
