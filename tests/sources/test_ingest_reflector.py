"""The reflector loop against a scripted server: what each way a watch can end leads to.

client-go ``tools/cache/reflector.go`` (master 32ce75a7d6bc) ``watch``/``handleWatch``:
a normal close re-watches at once from the last resourceVersion; a close in under a
second with no event is an error ("very short watch"); 410 relists; connection refused
and 429 back off. kubetui resumes the watch (no relist) after every non-410 failure.
"""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from kubetui.model.store import ChangeBatch
from kubetui.sources import reflector as reflector_module
from kubetui.sources.kube_client import KubeError
from kubetui.sources.reflector import PODS, Backoff, Batcher, Reflector


def pod_json(name: str, rv: int) -> dict:
    return {
        "metadata": {
            "name": name,
            "namespace": "ns",
            "uid": f"u-{name}",
            "resourceVersion": str(rv),
        }
    }


def page(rv: int, *names: str) -> bytes:
    return json.dumps(
        {
            "kind": "PodList",
            "metadata": {"resourceVersion": str(rv)},
            "items": [pod_json(n, rv) for n in names],
        }
    ).encode()


def event(type_: str, name: str, rv: int) -> bytes:
    return (
        json.dumps({"type": type_, "object": {"kind": "Pod", **pod_json(name, rv)}}).encode()
        + b"\n"
    )


def bookmark(rv: int) -> bytes:
    obj = {"kind": "Pod", "metadata": {"resourceVersion": str(rv)}, "spec": {"containers": None}}
    return json.dumps({"type": "BOOKMARK", "object": obj}).encode() + b"\n"


def expired(rv: int) -> bytes:
    status = {
        "kind": "Status",
        "status": "Failure",
        "message": f"too old resource version: {rv} (9)",
        "reason": "Expired",
        "code": 410,
    }
    return json.dumps({"type": "ERROR", "object": status}).encode() + b"\n"


class Stream:
    """A watch body: chunks (possibly splitting lines), then EOF or an exception."""

    def __init__(self, chunks: list[bytes], end: BaseException | None = None) -> None:
        self.chunks = list(chunks)
        self.end = end

    def read1(self, n: int) -> bytes:
        if self.chunks:
            return self.chunks.pop(0)
        if self.end is not None:
            raise self.end
        return b""

    def close(self) -> None:
        pass

    def shutdown(self) -> None:
        pass


Step = Callable[[list[tuple[str, str]]], Any]


class Script:
    """A fake KubeClient: LISTs and WATCHes answered in order by scripted steps; once the
    script runs out, every call blocks until the test stops the reflector."""

    def __init__(self, lists: list[Any], watches: list[Any]) -> None:
        self.lists = list(lists)
        self.watches = list(watches)
        self.calls: list[tuple[str, dict[str, str]]] = []
        self.idle = threading.Event()
        self.release = threading.Event()

    def _next(self, steps: list[Any], query: list[tuple[str, str]]) -> Any:
        if not steps:
            self.idle.set()
            self.release.wait(10)
            raise KubeError("script over")
        step = steps.pop(0)
        if isinstance(step, BaseException):
            raise step
        return step

    def get(self, path: str, query: list[tuple[str, str]] = (), **kw: Any) -> bytes:
        self.calls.append(("LIST", dict(query)))
        return self._next(self.lists, query)

    def open(self, path: str, query: list[tuple[str, str]] = (), **kw: Any) -> Stream:
        self.calls.append(("WATCH", dict(query)))
        return self._next(self.watches, query)


def run(script: Script) -> tuple[list[ChangeBatch], list[tuple[str, dict[str, str]]]]:
    posted: queue.Queue[ChangeBatch] = queue.Queue()
    lock = threading.Condition()
    batcher = Batcher("Pod", posted.put, lock, interval=0.0, max_items=1)
    reflector = Reflector(script, PODS, batcher, page_size=2)  # type: ignore[arg-type]
    reflector.backoff = Backoff(initial=0.001, cap=0.002, reset=1e9)
    reflector.start()
    assert script.idle.wait(10), "the script was not played to its end"
    reflector.stop()
    script.release.set()
    reflector.join(5)
    assert not reflector.is_alive()
    return list(posted.queue), script.calls


def verbs(calls: list[tuple[str, dict[str, str]]]) -> list[str]:
    return [
        f"{verb}@{query.get('resourceVersion', query.get('continue', ''))}" for verb, query in calls
    ]


def changes(batches: list[ChangeBatch]) -> list[str]:
    return [f"{c.type} {c.record.metadata.name}" for b in batches for c in b.changes]


def phases(batches: list[ChangeBatch]) -> list[str]:
    return [b.sync.phase for b in batches if b.sync is not None]


def test_normal_close_rewatches_from_the_last_rv_bookmarks_included(monkeypatch: Any) -> None:
    monkeypatch.setattr(reflector_module, "VERY_SHORT_WATCH", 0.0)
    script = Script(
        [page(10, "a")],
        [Stream([event("ADDED", "b", 11), bookmark(15)]), Stream([event("DELETED", "a", 16)])],
    )
    batches, calls = run(script)
    assert verbs(calls) == ["LIST@", "WATCH@10", "WATCH@15", "WATCH@16"]
    assert changes(batches) == ["ADDED b", "DELETED a"]
    assert "reconnecting" not in phases(batches)


def test_lines_split_across_reads_and_a_last_line_without_newline(monkeypatch: Any) -> None:
    monkeypatch.setattr(reflector_module, "VERY_SHORT_WATCH", 0.0)
    whole = event("ADDED", "b", 11) + event("MODIFIED", "b", 12)
    last = event("MODIFIED", "b", 13).rstrip(b"\n")
    chunks = [whole[:7], whole[7:50], whole[50:], last[:20], last[20:]]
    batches, calls = run(Script([page(10)], [Stream(chunks)]))
    assert changes(batches) == ["ADDED b", "MODIFIED b", "MODIFIED b"]
    assert verbs(calls)[-1] == "WATCH@13"


def test_very_short_watch_is_an_error_and_resumes_without_relisting() -> None:
    script = Script([page(10)], [Stream([]), Stream([event("ADDED", "b", 11)])])
    batches, calls = run(script)
    assert verbs(calls)[:3] == ["LIST@", "WATCH@10", "WATCH@10"]
    reconnecting = [
        b.sync for b in batches if b.sync is not None and b.sync.phase == "reconnecting"
    ]
    assert reconnecting and "very short watch" in (reconnecting[0].message or "")
    assert phases(batches)[-1] == "live"


@pytest.mark.parametrize(
    "expiry",
    [
        Stream([expired(10)]),
        KubeError("API error 410 Expired: too old", 410, "Expired"),
        KubeError("API error 410 Gone", 410, "Gone"),
    ],
    ids=["ERROR event", "HTTP 410", "Gone (pre-1.18)"],
)
def test_expired_relists(expiry: Any) -> None:
    script = Script([page(10, "a"), page(20, "b")], [expiry, Stream([event("ADDED", "c", 21)])])
    batches, calls = run(script)
    assert verbs(calls)[:4] == ["LIST@", "WATCH@10", "LIST@", "WATCH@20"]
    snapshots = [[p.metadata.name for p in b.snapshot] for b in batches if b.snapshot is not None]
    assert snapshots == [["a"], ["b"]]
    assert phases(batches)[:4] == ["listing", "live", "listing", "live"]


@pytest.mark.parametrize(
    ("failure", "phase"),
    [
        (KubeError("cannot reach https://x: connection refused"), "reconnecting"),
        (
            KubeError("API error 429 TooManyRequests: slow down", 429, "TooManyRequests"),
            "reconnecting",
        ),
        (KubeError("API error 500 InternalError: boom", 500, "InternalError"), "reconnecting"),
        (KubeError("forbidden (403): pods is forbidden", 403, "Forbidden"), "forbidden"),
        (KubeError("unauthorized (401)", 401, "Unauthorized"), "error"),
    ],
)
def test_failures_back_off_and_resume_the_watch(failure: KubeError, phase: str) -> None:
    script = Script([page(10)], [failure, Stream([event("ADDED", "b", 11)])])
    batches, calls = run(script)
    assert verbs(calls)[:3] == ["LIST@", "WATCH@10", "WATCH@10"]
    failed = [b.sync for b in batches if b.sync is not None and b.sync.phase == phase]
    assert failed and failed[0].message == str(failure)
    assert phases(batches)[-1] == "live"
    assert changes(batches) == ["ADDED b"]


def test_a_dropped_stream_resumes_from_the_last_event(monkeypatch: Any) -> None:
    monkeypatch.setattr(reflector_module, "VERY_SHORT_WATCH", 0.0)
    dropped = Stream([event("ADDED", "b", 11)], end=ConnectionResetError("reset by peer"))
    batches, calls = run(Script([page(10)], [dropped, Stream([])]))
    assert verbs(calls)[:3] == ["LIST@", "WATCH@10", "WATCH@11"]
    assert changes(batches) == ["ADDED b"]


def test_outage_turns_stale(monkeypatch: Any) -> None:
    monkeypatch.setattr(reflector_module, "STALE_AFTER", 0.0)
    refused = KubeError("cannot reach https://x: connection refused")
    batches, _ = run(Script([page(10)], [refused, refused, Stream([event("ADDED", "b", 11)])]))
    states = [b.sync for b in batches if b.sync is not None and b.sync.phase != "listing"]
    runs = [
        phase
        for i, phase in enumerate(s.phase for s in states)
        if states[i - 1].phase != phase or i == 0
    ]
    assert runs == ["live", "reconnecting", "stale", "live"]
    outage = [s for s in states if s.phase in ("reconnecting", "stale")]
    assert len({s.since for s in outage}) == 1  # since the outage began


def test_an_outage_says_when_it_retries() -> None:
    """Each wait of the backoff is announced with its end (the header's "retry in 23s");
    the state after the outage carries none."""
    refused = KubeError("cannot reach https://x: connection refused")
    batches, _ = run(Script([page(10)], [refused, refused, Stream([event("ADDED", "b", 11)])]))
    states = [b.sync for b in batches if b.sync is not None]
    waiting = [s for s in states if s.retry_at is not None]
    assert [s.phase for s in waiting] == ["reconnecting", "reconnecting"]
    for state in waiting:  # run()'s backoff waits at most 2 ms
        assert state.since is not None
        assert state.since <= state.retry_at <= state.since + timedelta(seconds=5)
    assert states[-1].phase == "live" and states[-1].retry_at is None
    assert changes(batches) == ["ADDED b"]


def test_an_expired_continue_token_starts_the_list_over() -> None:
    first = json.loads(page(10, "a", "b"))
    first["metadata"]["continue"] = "tok"
    first["metadata"]["remainingItemCount"] = 2
    gone = KubeError("API error 410 Expired: continue too old", 410, "Expired")
    script = Script([json.dumps(first).encode(), gone, page(30, "a", "c")], [])
    batches, calls = run(script)
    assert verbs(calls)[:3] == ["LIST@", "LIST@tok", "LIST@"]
    assert "limit" not in calls[2][1]  # kube_list.list_all: client-go's pager fallback
    snapshots = [[p.metadata.name for p in b.snapshot] for b in batches if b.snapshot is not None]
    assert snapshots == [["a", "c"]]


@pytest.mark.parametrize(
    "broken",
    [b"<html>502 Bad Gateway</html>", ConnectionResetError("reset mid-body")],
    ids=["not JSON", "connection reset"],
)
def test_an_unreadable_list_is_retried(broken: Any) -> None:
    batches, calls = run(Script([broken, page(10, "a")], [Stream([event("ADDED", "b", 11)])]))
    assert verbs(calls)[:3] == ["LIST@", "LIST@", "WATCH@10"]
    assert "reconnecting" in phases(batches)
    snapshots = [[p.metadata.name for p in b.snapshot] for b in batches if b.snapshot is not None]
    assert snapshots == [["a"]]
