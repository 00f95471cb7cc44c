"""429 with Retry-After and 5xx storms: the ingest waits as long as the server asks and
backs off under errors, counted at the server side of a fault-injecting proxy.

The proxy sits between kubetui and a plain-HTTP sim: it answers the first LISTs itself
(429 with ``Retry-After``, as API Priority and Fairness does, or a run of 503s) and
forwards everything else, watch streams included.
"""

from __future__ import annotations

import http.client
import itertools
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from kubetui.sim.runner import RunningSim, running_sim
from kubetui.sources.kube_client import KubeError, connect, status_error
from tests.sim.conftest import FAST, TinyScenario
from tests.sources.ingest_support import Fed, in_sync

TOO_MANY = {
    "kind": "Status",
    "apiVersion": "v1",
    "metadata": {},
    "status": "Failure",
    "message": "Too many requests, please try again later.",
    "reason": "TooManyRequests",
    "details": {"retryAfterSeconds": 2},
    "code": 429,
}


class FaultProxy(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, upstream: str) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.upstream = upstream.removeprefix("http://")
        self.lock = threading.Lock()
        #: (status, extra headers) answered to the next pod LISTs instead of forwarding
        self.faults: list[tuple[int, dict[str, str]]] = []
        #: (monotonic time, path, status) of every request seen
        self.seen: list[tuple[float, str, int]] = []


class _Handler(BaseHTTPRequestHandler):
    server: FaultProxy
    protocol_version = "HTTP/1.0"

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        with self.server.lock:
            fault = (
                self.server.faults.pop(0)
                if self.server.faults and "/pods" in self.path and "watch=true" not in self.path
                else None
            )
            self.server.seen.append((time.monotonic(), self.path, fault[0] if fault else 0))
        if fault is not None:
            status, headers = fault
            body = json.dumps({**TOO_MANY, "code": status}).encode()
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        upstream = http.client.HTTPConnection(self.server.upstream, timeout=120)
        upstream.request("GET", self.path, headers=dict(self.headers))
        response = upstream.getresponse()
        self.send_response(response.status)
        for key, value in response.getheaders():
            if key.lower() not in ("transfer-encoding", "content-length", "connection"):
                self.send_header(key, value)
        self.end_headers()
        try:
            while chunk := response.read1(65536):
                self.wfile.write(chunk)
                self.wfile.flush()
        except OSError:
            pass
        finally:
            upstream.close()


@pytest.fixture
def proxied(tmp_path: Path) -> Iterator[tuple[RunningSim, FaultProxy, Path]]:
    with running_sim(TinyScenario(), tmp_dir=tmp_path, settings=FAST, http=True) as sim:
        proxy = FaultProxy(sim.url)
        threading.Thread(target=proxy.serve_forever, daemon=True).start()
        config = yaml.safe_load(sim.kubeconfig_path.read_text())
        config["clusters"][0]["cluster"]["server"] = f"http://127.0.0.1:{proxy.server_port}"
        kubeconfig = tmp_path / "kubeconfig-proxied"
        kubeconfig.write_text(yaml.safe_dump(config))
        try:
            yield sim, proxy, kubeconfig
        finally:
            proxy.shutdown()
            proxy.server_close()


def _lists(proxy: FaultProxy) -> list[tuple[float, int]]:
    return [
        (t, status) for t, path, status in proxy.seen if "/pods" in path and "watch" not in path
    ]


def test_retry_after_is_honoured(proxied: tuple[RunningSim, FaultProxy, Path]) -> None:
    sim, proxy, kubeconfig = proxied
    proxy.faults = [(429, {"Retry-After": "2"})] * 3
    with Fed(connect(str(kubeconfig))) as fed:
        fed.wait_for(lambda: in_sync(fed, sim), "the store after three 429s", timeout=30)
        refused = [s for s in fed.syncs if s.source == "pods" and s.phase == "reconnecting"]
        assert refused and "Too many requests" in (refused[0].message or "")
    attempts = _lists(proxy)
    statuses = [status for _t, status in attempts]
    # the three refusals, then the first page of the LIST that succeeded
    assert statuses[:4] == [429, 429, 429, 0]
    gaps = [b[0] - a[0] for a, b in itertools.pairwise(attempts[:4])]
    # the backoff alone would start at 0.8 s; the server asked for 2 s each time
    assert all(gap >= 2.0 for gap in gaps), gaps


def test_a_5xx_storm_is_met_with_backoff_not_a_request_storm(
    proxied: tuple[RunningSim, FaultProxy, Path],
) -> None:
    sim, proxy, kubeconfig = proxied
    proxy.faults = [(503, {})] * 1000  # every LIST fails for the whole observation
    with Fed(connect(str(kubeconfig))) as fed:
        time.sleep(8.0)
        attempts = len(_lists(proxy))
        proxy.faults = []
        fed.wait_for(lambda: in_sync(fed, sim), "the store once the storm is over", timeout=60)
    # 0.8 s doubling (client-go's reflector backoff, jittered): about 4 attempts in 8 s
    print(f"\n503 storm: {attempts} LIST attempts in 8 s")
    assert 2 <= attempts <= 8


@pytest.mark.parametrize(
    ("header", "body", "expected"),
    [
        ("3", b"{}", 3.0),
        (None, json.dumps(TOO_MANY).encode(), 2.0),
        ("Wed, 21 Oct 2015 07:28:00 GMT", json.dumps(TOO_MANY).encode(), 2.0),
        ("-5", b"{}", None),
        ("99999", b"{}", None),
        (None, b"plain text", None),
    ],
)
def test_retry_after_sources(header: str | None, body: bytes, expected: float | None) -> None:
    error = status_error(429, body, None, header)
    assert isinstance(error, KubeError) and error.retry_after == expected
