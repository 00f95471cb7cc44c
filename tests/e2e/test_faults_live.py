"""Faults on the real control plane, with kubetui's live ingest watching:

* kube-apiserver SIGKILLed and restarted 20 times while pods churn: after each restart
  the store equals a fresh LIST (no missing, duplicate, phantom or stale pod), and the
  pods source said "reconnecting" meanwhile; etcd SIGKILLed and restarted likewise;
* a hung connection (a loopback TCP proxy that stops forwarding mid-watch): the source
  turns stale instead of claiming "live", the watch is replaced once bytes flow again;
* 100 connection cuts: the ingest reconnects each time and ends with the threads, file
  descriptors and sockets it had before.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import random
import select
import signal
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from control_plane import FROZEN, ApiError, ControlPlane, ensure_namespace

from kubetui.model.decode import decode_pod_page
from kubetui.sources import reflector, supervise
from kubetui.sources.kube_client import connect
from tests.sources.ingest_support import Fed

NAMESPACE = "faults"
PATH = f"/api/v1/namespaces/{NAMESPACE}/pods"
SOURCE = f"pods/{NAMESPACE}"


def fresh_list(plane: ControlPlane) -> dict:
    import json

    raw = json.dumps(plane.request("GET", PATH)).encode()
    return {p.metadata.uid: p for p in decode_pod_page(raw).items}


def in_sync(fed: Fed, plane: ControlPlane) -> bool:
    ours = {k: v for k, v in fed.store.pods.items() if v.metadata.namespace == NAMESPACE}
    return ours == fresh_list(plane)


def synced(fed: Fed, plane: ControlPlane, what: str, timeout: float = 60) -> None:
    """Wait until the store equals a fresh LIST; else fail naming every difference."""
    try:
        fed.wait_for(lambda: in_sync(fed, plane), what, timeout=timeout)
    except AssertionError as error:
        ours = {k: v for k, v in fed.store.pods.items() if v.metadata.namespace == NAMESPACE}
        theirs = fresh_list(plane)
        missing = [theirs[k].metadata.name for k in theirs.keys() - ours.keys()]
        phantom = [ours[k].metadata.name for k in ours.keys() - theirs.keys()]
        stale = [
            (
                ours[k].metadata.name,
                ours[k].metadata.resource_version,
                theirs[k].metadata.resource_version,
            )
            for k in ours.keys() & theirs.keys()
            if ours[k] != theirs[k]
        ]
        raise AssertionError(
            f"{error}\nmissing {missing} phantom {phantom} stale {stale}; "
            f"requests {fed.ingest.request_counts}"
        ) from None


class Churn:
    """Creates and deletes pods in NAMESPACE until paused; errors while the server is
    down are expected and ignored."""

    def __init__(self, plane: ControlPlane) -> None:
        self.plane = plane
        self.rng = random.Random(7)
        self.running = threading.Event()
        self.stopped = threading.Event()
        self.idle = threading.Event()
        self.serial = 0
        self.thread = threading.Thread(target=self._run, name="churn", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stopped.is_set():
            if not self.running.wait(0.1):
                self.idle.set()
                continue
            self.idle.clear()
            # kube-apiserver killed mid-answer cuts a response short (IncompleteRead)
            with contextlib.suppress(ApiError, OSError, http.client.HTTPException):
                self._one()
            time.sleep(0.02)

    def _one(self) -> None:
        names = [p["metadata"]["name"] for p in self.plane.request("GET", PATH, timeout=5)["items"]]
        if len(names) > 12 or (names and self.rng.random() < 0.4):
            self.plane.request(
                "DELETE", f"{PATH}/{self.rng.choice(names)}", {"gracePeriodSeconds": 0}, timeout=5
            )
        elif names and self.rng.random() < 0.3:
            self.plane.request(
                "PATCH",
                f"{PATH}/{self.rng.choice(names)}",
                {"metadata": {"labels": {"serial": str(self.serial)}}},
                content_type="application/merge-patch+json",
                timeout=5,
            )
        else:
            self.serial += 1
            self.plane.request(
                "POST",
                PATH,
                {
                    "apiVersion": "v1",
                    "kind": "Pod",
                    "metadata": {"name": f"c{self.serial:05d}", "labels": {FROZEN: "true"}},
                    "spec": {
                        "nodeName": "faults-node",
                        "containers": [{"name": "m", "image": "busybox:1.36"}],
                    },
                },
                timeout=5,
            )

    def pause(self) -> None:
        self.running.clear()
        self.idle.wait(10)

    def close(self) -> None:
        self.stopped.set()
        self.thread.join(10)


@pytest.fixture
def churn(control_plane: ControlPlane) -> Iterator[Churn]:
    ensure_namespace(control_plane, NAMESPACE)
    churning = Churn(control_plane)
    yield churning
    churning.close()


#: The longest a reflector may sleep before its next try: client-go's backoff caps at
#: BACKOFF_MAX and its jitter (factor 1.0) may double that (apimachinery
#: pkg/util/wait/backoff.go ``Jitter``); it only resets after BACKOFF_RESET, so 20
#: restarts in a few minutes do reach the cap.
LONGEST_BACKOFF = supervise.BACKOFF_MAX * (1 + supervise.BACKOFF_JITTER)


def test_apiserver_killed_20_times_during_churn(
    control_plane: ControlPlane, churn: Churn, monkeypatch: pytest.MonkeyPatch
) -> None:
    plane = control_plane
    delays: list[tuple[float, float]] = []
    original = reflector.Reflector._delay

    def recorded(self: reflector.Reflector) -> float:
        delay = original(self)
        if self.source == SOURCE:
            delays.append((time.monotonic(), delay))
        return delay

    monkeypatch.setattr(reflector.Reflector, "_delay", recorded)
    kube = connect(str(plane.kubeconfig("admin")))
    restarts, equal, waits = 0, 0, []
    with Fed(kube, namespaces=[NAMESPACE], page_size=5) as fed:
        fed.wait_for(lambda: in_sync(fed, plane), "the first sync")
        for _ in range(20):
            churn.running.set()
            time.sleep(1.0)
            seen = len(fed.syncs)
            plane.processes["kube-apiserver"].kill(signal.SIGKILL)
            fed.wait_for(
                lambda seen=seen: any(
                    s.source == SOURCE and s.phase in ("reconnecting", "stale")
                    for s in fed.syncs[seen:]
                ),
                "reconnecting while kube-apiserver is down",
            )
            plane.start_apiserver()
            restarts += 1
            time.sleep(1.0)
            churn.pause()
            back = time.monotonic()
            # The reflector may be sleeping its backoff when the server returns (that is
            # client-go's behaviour, kept on purpose): the bound is the longest backoff
            # plus a relist, and the message says which delays were taken.
            synced(
                fed,
                plane,
                f"the store after restart {restarts} (backoff delays taken: "
                f"{[round(d, 1) for _, d in delays[-8:]]})",
                timeout=LONGEST_BACKOFF + 30,
            )
            fed.wait_for(lambda: fed.last(SOURCE).phase == "live", "live again", timeout=30)
            waits.append(time.monotonic() - back)
            equal += 1
    longest = max(d for _, d in delays)
    print(
        f"\nkube-apiserver SIGKILL/restart: {restarts} restarts, store equal to a fresh LIST "
        f"{equal} times; back in sync after the restart: median {sorted(waits)[10]:.1f} s, "
        f"longest {max(waits):.1f} s; longest backoff delay {longest:.1f} s"
    )
    assert equal == restarts == 20
    assert longest <= LONGEST_BACKOFF


def test_etcd_killed_and_restarted(control_plane: ControlPlane, churn: Churn) -> None:
    plane = control_plane
    kube = connect(str(plane.kubeconfig("admin")))
    with Fed(kube, namespaces=[NAMESPACE]) as fed:
        fed.wait_for(lambda: in_sync(fed, plane), "the first sync")
        for cycle in range(3):
            churn.running.set()
            time.sleep(1.0)
            plane.processes["etcd"].kill(signal.SIGKILL)
            time.sleep(2.0)  # kube-apiserver's requests fail meanwhile
            plane.processes["etcd"].start()
            churn.pause()
            churn.running.set()
            time.sleep(2.0)
            churn.pause()
            fed.wait_for(
                lambda: in_sync(fed, plane), f"the store after etcd restart {cycle + 1}", timeout=90
            )


class Proxy:
    """A loopback TCP proxy to kube-apiserver (TLS passes through untouched) that can
    freeze (keep every connection open, forward nothing) or cut every connection."""

    def __init__(self, port: int) -> None:
        self.target = ("127.0.0.1", port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.frozen = threading.Event()
        self.pairs: list[tuple[socket.socket, socket.socket]] = []
        self.lock = threading.Lock()
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.pairs.append((client, upstream))
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()

    def _pump(self, a: socket.socket, b: socket.socket) -> None:
        peers = {a: b, b: a}
        try:
            while True:
                ready, _, _ = select.select([a, b], [], [], 0.2)
                if self.frozen.is_set():
                    continue
                for sock in ready:
                    data = sock.recv(65536)
                    if not data:
                        return
                    peers[sock].sendall(data)
        except OSError:
            return
        finally:
            for sock in (a, b):
                with contextlib.suppress(OSError):
                    sock.close()

    def cut(self) -> None:
        with self.lock:
            pairs, self.pairs = self.pairs, []
        for pair in pairs:
            for sock in pair:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self.closed = True
        self.listener.close()
        self.cut()


def proxied_kubeconfig(plane: ControlPlane, proxy: Proxy, tmp_path: Path) -> Path:
    config = yaml.safe_load(plane.kubeconfig("admin").read_text())
    config["clusters"][0]["cluster"]["server"] = f"https://127.0.0.1:{proxy.port}"
    path = tmp_path / "kubeconfig-proxied"
    path.write_text(yaml.safe_dump(config))
    return path


@contextlib.contextmanager
def fed_through_proxy(plane: ControlPlane, tmp_path: Path) -> Iterator[tuple[Proxy, Fed]]:
    """An ingest of NAMESPACE whose connections pass through a Proxy the test can freeze
    or cut, yielded once in sync and live; the proxy is closed after it."""
    proxy = Proxy(plane.port)
    try:
        kube = connect(str(proxied_kubeconfig(plane, proxy, tmp_path)))
        with Fed(kube, namespaces=[NAMESPACE]) as fed:
            fed.wait_for(lambda: in_sync(fed, plane), "the first sync")
            fed.wait_for(lambda: fed.last(SOURCE).phase == "live", "live")
            yield proxy, fed
    finally:
        proxy.close()


def open_fds() -> tuple[int, int]:
    """(file descriptors, of which sockets) of this process."""
    fds = os.listdir("/proc/self/fd")
    sockets = 0
    for fd in fds:
        with contextlib.suppress(OSError):
            sockets += os.readlink(f"/proc/self/fd/{fd}").startswith("socket:")
    return len(fds), sockets


def test_hung_connection_turns_stale_and_the_watch_is_replaced(
    control_plane: ControlPlane, churn: Churn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The mechanism under test is the read timeout; shortened so the test does not wait
    # the production 90 s.
    monkeypatch.setattr(reflector, "WATCH_READ_TIMEOUT", 4.0)
    monkeypatch.setattr(reflector, "STALE_AFTER", 3.0)
    with fed_through_proxy(control_plane, tmp_path) as (proxy, fed):
        proxy.frozen.set()
        started = time.monotonic()
        fed.wait_for(lambda: fed.last(SOURCE).phase == "stale", "stale while hung", timeout=30)
        hung_for = time.monotonic() - started
        churn.running.set()
        time.sleep(1)
        churn.pause()
        proxy.frozen.clear()
        proxy.cut()  # the frozen connections are dead to the client anyway
        fed.wait_for(lambda: in_sync(fed, control_plane), "the store after the hang", timeout=60)
        fed.wait_for(lambda: fed.last(SOURCE).phase == "live", "live again", timeout=60)
    # the stream's read timeout says "reconnecting"; the re-watch's TLS handshake
    # then hangs until the connect timeout, when it is "stale" (past STALE_AFTER)
    bound = 4.0 + reflector.CONNECT_TIMEOUT
    print(f"\nhung watch: stale after {hung_for:.1f} s (bound {bound:.0f} s)")
    assert hung_for < bound + 3.0


def test_100_reconnects_leave_no_thread_fd_or_socket(
    control_plane: ControlPlane, churn: Churn, tmp_path: Path
) -> None:
    with fed_through_proxy(control_plane, tmp_path) as (proxy, fed):
        time.sleep(0.5)
        threads, (fds, sockets) = threading.active_count(), open_fds()
        for cut in range(100):
            watches = fed.ingest.request_counts.get("WATCH", 0)
            proxy.cut()
            fed.wait_for(
                lambda watches=watches: (
                    fed.ingest.request_counts.get("WATCH", 0) > watches and len(proxy.pairs) >= 2
                ),  # the pods and nodes watches, both back
                f"the watches re-opened after cut {cut + 1}",
                timeout=30,
            )
            # a watch cut in its first second with no event is a "very short watch",
            # which backs off like a failure (client-go's rule): cut a healthy one
            time.sleep(reflector.VERY_SHORT_WATCH + 0.2)
        fed.wait_for(lambda: in_sync(fed, control_plane), "the store after 100 cuts")
        time.sleep(1.0)
        after_threads, (after_fds, after_sockets) = threading.active_count(), open_fds()
    print(
        f"\n100 cuts: threads {threads} -> {after_threads}, fds {fds} -> {after_fds}, "
        f"sockets {sockets} -> {after_sockets}"
    )
    assert after_threads <= threads
    assert after_sockets <= sockets + 1  # the pool may hold one spare keep-alive
    assert after_fds <= fds + 1
