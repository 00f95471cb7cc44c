"""The churn reflector loop against a scripted API: resume, relist on 410, back off, stop.

Expected behaviour follows client-go's reflector (kubernetes/client-go
``tools/cache/reflector.go`` @ v0.33.0): a watch that ends normally is resumed from the last
resourceVersion (bookmarks included) without a LIST; an ``Expired`` ERROR event or an
HTTP 410 relists; a transport error retries after a back-off.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable

import pytest

from kubetui.sources.churn import (
    LIST_ACCEPT,
    WATCH_ACCEPT,
    ChurnWatcher,
    WatchedKind,
    is_custom_group,
)
from kubetui.sources.kube_client import KubeError
from kubetui.sources.reflector import Reflector

SECRETS = WatchedKind("secrets", "", "v1", "Secret")
DATE = "Sun, 01 Mar 2026 12:00:00 GMT"


def item(name: str, rv: int, t: str = "2026-03-01T11:00:00Z") -> dict:
    return {
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {
            "name": name,
            "namespace": "ns",
            "uid": f"uid-{name}",
            "resourceVersion": str(rv),
            "creationTimestamp": "2026-01-01T00:00:00Z",
            "managedFields": [{"manager": "op", "operation": "Update", "time": t}],
        },
    }


def page(rv: int, *items: dict) -> bytes:
    doc = {"kind": "PartialObjectMetadataList", "metadata": {"resourceVersion": str(rv)}}
    return json.dumps({**doc, "items": list(items)}).encode()


def event(kind: str, obj: dict) -> bytes:
    return json.dumps({"type": kind, "object": obj}).encode() + b"\n"


def bookmark(rv: int) -> bytes:
    obj = {"kind": "PartialObjectMetadata", "metadata": {"resourceVersion": str(rv)}}
    return event("BOOKMARK", obj)


EXPIRED = event(
    "ERROR",
    {"kind": "Status", "status": "Failure", "reason": "Expired", "code": 410,
     "message": "too old resource version: 5 (9)"},
)  # fmt: skip


class FakeResponse:
    def __init__(self, body: bytes = b"", chunks: list[bytes] | None = None, idle: bool = False):
        self.data = body
        self.headers = {"Date": DATE}
        # Split events across read borders, as a chunked stream may.
        self.reads = [part for chunk in chunks or [] for part in (chunk[:7], chunk[7:]) if part]
        self.idle = idle
        self.closed = threading.Event()

    def read1(self, amt: int) -> bytes:
        if self.reads:
            return self.reads.pop(0)
        if self.idle:
            self.closed.wait(10)
        return b""

    def close(self) -> None:
        pass

    def shutdown(self) -> None:
        self.closed.set()


class FakeKube:
    """Scripted answers: LISTs and WATCHes each taken in order; then an idle watch. An
    access review gets the 404 of a server without the authorization API, so the
    watcher tries every kind, as it did before reviews."""

    def __init__(self, lists: list, watches: list) -> None:
        self.lists, self.watches = lists, watches
        self.requests: list[tuple[str, dict[str, str], str]] = []
        self.reviews: list[dict[str, str]] = []

    def review_access(self, attributes: dict[str, str]) -> tuple[int, bytes]:
        self.reviews.append(attributes)
        return 404, b"404 page not found\n"

    def open(self, path, query=(), *, accept="application/json", timeout=None):
        q = dict(query)
        self.requests.append((path, q, accept))
        queue = self.watches if q.get("watch") == "true" else self.lists
        answer = queue.pop(0) if queue else FakeResponse(idle=True)
        if isinstance(answer, Exception):
            raise answer
        return answer


def run(kube: FakeKube, until: Callable[[ChurnWatcher], bool]) -> ChurnWatcher:
    watcher = ChurnWatcher(kube, kinds=[SECRETS], report_interval=60)  # type: ignore[arg-type]
    watcher.start(lambda _: None)
    deadline = time.monotonic() + 10
    try:
        while not until(watcher):
            assert time.monotonic() < deadline, kube.requests
            time.sleep(0.01)
    finally:
        started = time.monotonic()
        watcher.stop()
        assert time.monotonic() - started < 2.0  # stop closes the idle stream
    return watcher


def names(watcher: ChurnWatcher) -> set[str | None]:
    return {o.name for o in watcher.tracker.objects.values()}


def watches(kube: FakeKube) -> list[dict[str, str]]:
    return [q for _, q, _ in kube.requests if q.get("watch") == "true"]


def test_normal_close_resumes_from_the_last_resource_version() -> None:
    kube = FakeKube(
        lists=[FakeResponse(page(5, item("a", 3)))],
        watches=[FakeResponse(chunks=[event("ADDED", item("b", 6)), bookmark(8)])],
    )
    watcher = run(kube, lambda w: len(watches(kube)) >= 2)
    assert [(p, a) for p, _, a in kube.requests[:2]] == [
        ("/api/v1/secrets", LIST_ACCEPT),
        ("/api/v1/secrets", WATCH_ACCEPT),
    ]
    first, second = watches(kube)[:2]
    assert first["resourceVersion"] == "5" and first["allowWatchBookmarks"] == "true"
    assert 300 <= int(first["timeoutSeconds"]) < 600
    assert second["resourceVersion"] == "8"  # the bookmark's
    assert sum(q.get("watch") != "true" for _, q, _ in kube.requests) == 1  # no relist
    assert names(watcher) == {"a", "b"}


@pytest.mark.parametrize(
    "expiry",
    [FakeResponse(chunks=[EXPIRED]), KubeError("API error 410 Expired: gone", 410, "Expired")],
    ids=["error-event", "http-410"],
)
def test_expired_relists_and_drops_what_is_gone(expiry) -> None:
    first, second = page(5, item("a", 3), item("b", 4)), page(20, item("b", 4))
    kube = FakeKube(lists=[FakeResponse(first), FakeResponse(second)], watches=[expiry])
    watcher = run(kube, lambda w: len(watches(kube)) >= 2)
    listed = [q for _, q, _ in kube.requests if q.get("watch") != "true"]
    assert len(listed) == 2
    assert watches(kube)[1]["resourceVersion"] == "20"
    assert names(watcher) == {"b"}
    assert watcher.update().sync.phase == "live"


def test_transport_error_backs_off_then_rewatches_from_the_same_version() -> None:
    kube = FakeKube(
        lists=[FakeResponse(page(5, item("a", 3)))],
        watches=[KubeError("cannot reach https://x: connection refused")],
    )
    seen: list[str] = []

    def reconnected(w: ChurnWatcher) -> bool:
        seen.append(w.update().sync.phase)
        return len(watches(kube)) >= 2

    run(kube, reconnected)
    assert "reconnecting" in seen
    assert [q["resourceVersion"] for q in watches(kube)[:2]] == ["5", "5"]


def test_server_date_starts_the_clock_and_events_advance_it() -> None:
    kube = FakeKube(
        lists=[FakeResponse(page(5, item("a", 3)))],
        watches=[FakeResponse(chunks=[event("MODIFIED", item("a", 9, "2026-03-01T12:00:40Z"))])],
    )
    watcher = run(kube, lambda w: len(watches(kube)) >= 2)
    # The list's Date (12:00:00) beats its newest managedFields time (11:00:00).
    assert watcher.tracker.started["Secret"] == 1772366400.0
    assert watcher.tracker.clock == 1772366440.0


# kubernetes/apiextensions-apiserver pkg/apihelpers/helpers.go IsProtectedCommunityGroup
# and validation.go (a CRD group needs a dot), master @ 2026-07; cases from
# pkg/apihelpers/helpers_test.go TestIsProtectedCommunityGroup.
GROUP_CASES = [
    # helpers_test.go: bare k8s, bare kube, nested k8s, nested kube (protected) ...
    ("k8s.io", False),
    ("kubernetes.io", False),
    ("sigs.k8s.io", False),
    ("sigs.kubernetes.io", False),
    # ... and "alternative" (free for CRDs).
    ("different.io", True),
    # kubetui's own: operators' groups, suffix look-alikes, aggregated and built-in groups.
    ("kubero.dev", True),
    ("notk8s.io", True),
    ("metrics.k8s.io", False),
    ("apps", False),
    ("batch", False),
]


@pytest.mark.parametrize(("group", "custom"), GROUP_CASES)
def test_is_custom_group(group: str, custom: bool) -> None:
    assert is_custom_group(group) is custom


def test_a_watch_closed_at_once_is_an_error_and_recovery_is_live_again() -> None:
    kube = FakeKube(lists=[FakeResponse(page(5, item("a", 3)))], watches=[FakeResponse()])
    seen: list[str] = []

    def rewatched(w: ChurnWatcher) -> bool:
        seen.append(w.update().sync.phase)
        return len(watches(kube)) >= 2 and seen[-1] == "live"

    watcher = run(kube, rewatched)
    assert "reconnecting" in seen
    assert [q["resourceVersion"] for q in watches(kube)[:2]] == ["5", "5"]
    assert watcher.update().sync.message is None


def test_start_returns_at_once_and_discovery_failure_keeps_the_default_kinds() -> None:
    release = threading.Event()

    class SlowDiscovery(FakeKube):
        def get(self, path, query=(), **_):
            release.wait(10)
            raise KubeError("forbidden (403): /apis", 403)

    kube = SlowDiscovery(lists=[FakeResponse(page(1)) for _ in range(7)], watches=[])
    watcher = ChurnWatcher(kube, report_interval=60)  # type: ignore[arg-type]
    watcher.start(lambda _: None)  # returns while discovery is still blocked
    try:
        assert watcher.update().sync.phase == "listing"
        release.set()
        deadline = time.monotonic() + 10
        while len(watches(kube)) < 7:
            assert time.monotonic() < deadline, kube.requests
            time.sleep(0.01)
        sync = watcher.update().sync
    finally:
        watcher.stop()
    assert sync.phase == "live"
    assert sync.message == "custom resources not discovered: forbidden (403): /apis"
    assert {p for p, _, _ in kube.requests} == {
        "/api/v1/pods", "/api/v1/configmaps", "/api/v1/secrets", "/apis/apps/v1/deployments",
        "/apis/apps/v1/statefulsets", "/apis/apps/v1/replicasets", "/apis/batch/v1/jobs",
    }  # fmt: skip


def test_without_reviews_a_refused_list_is_reported_in_the_same_words() -> None:
    """The server cannot answer access reviews: asked once, then every kind is tried; a
    403 on the first LIST ends that kind, reported as a review's refusal is."""
    refused = KubeError("forbidden (403): secrets is forbidden", 403)
    configmaps = WatchedKind("configmaps", "", "v1", "ConfigMap")
    kube = FakeKube(lists=[refused, FakeResponse(page(5))], watches=[])
    watcher = ChurnWatcher(kube, kinds=[SECRETS, configmaps], report_interval=60)  # type: ignore[arg-type]
    watcher.start(lambda _: None)
    deadline = time.monotonic() + 10
    try:
        while watcher.update().sync.phase != "live":
            assert time.monotonic() < deadline, kube.requests
            time.sleep(0.01)
        sync = watcher.update().sync
    finally:
        watcher.stop()
    assert sync.message == "not permitted (skipped): secrets"
    assert kube.reviews == [{"verb": "list", "group": "", "resource": "secrets", "namespace": ""}]


def test_an_unreadable_list_is_retried() -> None:
    kube = FakeKube(
        lists=[FakeResponse(b"<html>502 Bad Gateway</html>"), FakeResponse(page(5, item("a", 3)))],
        watches=[],
    )
    seen: list[str] = []

    def listed(w: ChurnWatcher) -> bool:
        seen.append(w.update().sync.phase)
        return len(watches(kube)) >= 1

    watcher = run(kube, listed)
    assert sum(q.get("watch") != "true" for _, q, _ in kube.requests) == 2
    assert "reconnecting" in seen
    assert names(watcher) == {"a"}


def test_a_stop_while_the_reflectors_start_joins_none_unstarted(monkeypatch) -> None:
    """stop(0) (kubetui quitting or signalled during its first sync: it waits for no
    source thread) between a reflector being listed and being started must not join it
    unstarted: Thread.join raises RuntimeError then, which ended the dashboard with exit
    code 1 (tests/ui/test_terminal_signals.py). The stop comes from another thread just
    before the reflector starts."""
    watcher = ChurnWatcher(FakeKube([], []), kinds=[SECRETS], report_interval=60)  # type: ignore[arg-type]
    failures: list[BaseException] = []
    stoppers: list[threading.Thread] = []
    start = Reflector.start

    def stop() -> None:
        try:
            watcher.stop(0)
        except BaseException as exc:
            failures.append(exc)

    def start_after_a_stop(reflector: Reflector) -> None:
        stopper = threading.Thread(target=stop)
        stopper.start()
        stoppers.append(stopper)  # once started: the test thread joins what it finds here
        stopper.join(0.3)  # it runs now, or waits for what start holds
        start(reflector)

    monkeypatch.setattr(Reflector, "start", start_after_a_stop)
    watcher.start(lambda _: None)
    deadline = time.monotonic() + 10
    while not stoppers:
        assert time.monotonic() < deadline, "no reflector started"
        time.sleep(0.01)
    stoppers[0].join(10)
    assert not stoppers[0].is_alive()
    assert failures == []
