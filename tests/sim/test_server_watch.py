"""WATCH over the wire: start forms, selector transitions, bookmarks, watch-list, 410."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from kubetui.sim.runner import RunningSim, running_sim
from tests.sim.conftest import FAST, Api, TinyScenario

TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"


def _later(fn, delay: float = 0.2) -> None:
    def run() -> None:
        time.sleep(delay)
        fn()

    threading.Thread(target=run, daemon=True).start()


def test_headers_come_before_any_event(sim: RunningSim, api: Api) -> None:
    rv = sim.state.resource_version
    conn = api.conn()
    conn.request(
        "GET",
        f"/api/v1/pods?watch=true&resourceVersion={rv}&timeoutSeconds=1",
        headers={"Authorization": f"Bearer {sim.token}"},
    )
    resp = conn.getresponse()  # returns once headers are flushed, with no event yet
    assert resp.status == 200
    assert resp.headers["Content-Type"] == "application/json"
    assert resp.headers["Transfer-Encoding"] == "chunked"
    assert resp.read() == b""
    conn.close()


def test_watch_from_rv_sends_only_later_changes(sim: RunningSim, api: Api) -> None:
    rv = sim.state.resource_version
    _later(
        lambda: sim.state.mutate(
            "pods", "default", "web-0", lambda o: o["status"].update(phase="Failed")
        )
    )
    _, events = api.watch_lines(
        f"/api/v1/namespaces/default/pods?watch=true&resourceVersion={rv}&timeoutSeconds=1"
    )
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [("MODIFIED", "web-0")]
    obj = events[0]["object"]
    assert (obj["kind"], obj["apiVersion"]) == ("Pod", "v1")
    assert int(obj["metadata"]["resourceVersion"]) == rv + 1


def test_watch_without_rv_starts_with_synthetic_added(sim: RunningSim, api: Api) -> None:
    _, events = api.watch_lines("/api/v1/namespaces/spark/pods?watch=1&timeoutSeconds=1")
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [
        ("ADDED", "spark-pi-driver"),
        ("ADDED", "spark-pi-exec-1"),
        ("ADDED", "spark-pi-exec-2"),
    ]


def test_objects_entering_and_leaving_the_selector(sim: RunningSim, api: Api) -> None:
    rv = sim.state.resource_version

    def moves() -> None:
        sim.state.mutate(
            "pods", "default", "web-0", lambda o: o["metadata"]["labels"].update(tier="back")
        )
        sim.state.mutate(
            "pods", "default", "crashy", lambda o: o["metadata"]["labels"].update(tier="front")
        )
        sim.state.remove("pods", "default", "web-1")

    _later(moves)
    _, events = api.watch_lines(
        f"/api/v1/namespaces/default/pods?watch=true&resourceVersion={rv}&labelSelector=tier%3Dfront&timeoutSeconds=1"
    )
    seen = [(e["type"], e["object"]["metadata"]["name"]) for e in events]
    assert seen == [("DELETED", "web-0"), ("ADDED", "crashy"), ("DELETED", "web-1")]
    left = events[0]["object"]
    assert left["metadata"]["labels"]["tier"] == "front"  # previous state...
    assert left["metadata"]["resourceVersion"] == str(rv + 1)  # ...at the event's RV


def test_watch_ahead_of_the_server_idles(sim: RunningSim, api: Api) -> None:
    ahead = sim.state.resource_version + 1
    _later(
        lambda: [
            sim.state.mutate(
                "pods", "default", "web-0", lambda o, i=i: o["status"].update(reason=str(i))
            )
            for i in range(2)
        ]
    )
    _, events = api.watch_lines(f"/api/v1/pods?watch=true&resourceVersion={ahead}&timeoutSeconds=1")
    assert [int(e["object"]["metadata"]["resourceVersion"]) for e in events] == [ahead + 1]


def test_bookmarks_only_when_asked(sim: RunningSim, api: Api) -> None:
    rv = sim.state.resource_version
    _, plain = api.watch_lines(f"/api/v1/pods?watch=true&resourceVersion={rv}&timeoutSeconds=1")
    assert plain == []
    _, marked = api.watch_lines(
        f"/api/v1/pods?watch=true&resourceVersion={rv}&timeoutSeconds=3&allowWatchBookmarks=true"
    )
    assert marked and {e["type"] for e in marked} == {"BOOKMARK"}
    # kube-apiserver v1.37 (omitzero metav1.Time): no "creationTimestamp": null
    assert marked[0]["object"] == {
        "kind": "Pod",
        "apiVersion": "v1",
        "metadata": {"resourceVersion": str(rv)},
        "spec": {"containers": None},
        "status": {},
    }


def test_too_old_resource_version_is_one_error_event(tmp_path: Path) -> None:
    small = {"watch_cache_min": 2, "watch_cache_max": 3}
    with running_sim(TinyScenario(), tmp_dir=tmp_path, settings=FAST, state_options=small) as sim:
        old = sim.state.resource_version
        for i in range(5):
            sim.state.mutate(
                "pods", "default", "web-0", lambda o, i=i: o["metadata"]["labels"].update(n=str(i))
            )
        resp, events = Api(sim).watch_lines(f"/api/v1/pods?watch=true&resourceVersion={old}")
        assert resp.status == 200
        oldest = sim.state.resource_version - 3
        assert events == [
            {
                "type": "ERROR",
                "object": {
                    "kind": "Status",
                    "apiVersion": "v1",
                    "metadata": {},
                    "status": "Failure",
                    "message": f"too old resource version: {old} ({oldest})",
                    "reason": "Expired",
                    "code": 410,
                },
            }
        ]


def test_events_watch_uses_etcd_history(sim: RunningSim, api: Api) -> None:
    old = sim.state.resource_version
    sim.state.create(
        "events",
        {
            "metadata": {"name": "e2", "namespace": "default"},
            "reason": "Pulled",
            "involvedObject": {"kind": "Pod", "name": "web-0", "namespace": "default"},
        },
    )
    sim.state.compact(sim.state.resource_version)
    _, events = api.watch_lines(f"/api/v1/events?watch=true&resourceVersion={old}")
    assert (
        events[0]["object"]["message"] == "The resourceVersion for the provided watch is too old."
    )


def test_watch_list_ends_initial_events_with_annotated_bookmark(sim: RunningSim, api: Api) -> None:
    rv = sim.state.resource_version
    _, events = api.watch_lines(
        "/api/v1/namespaces/spark/pods?watch=true&sendInitialEvents=true"
        "&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&timeoutSeconds=1"
    )
    assert [e["type"] for e in events[:4]] == ["ADDED", "ADDED", "ADDED", "BOOKMARK"]
    meta = events[3]["object"]["metadata"]
    assert meta["resourceVersion"] == str(rv)
    # kube-apiserver v1.37 sends a JSON watch no list blueprint annotation (the e2e
    # conformance suite compares this bookmark with the real one)
    assert meta["annotations"] == {"k8s.io/initial-events-end": "true"}


def test_legacy_watch_is_defaulted_to_watch_list(sim: RunningSim, api: Api) -> None:
    """WatchList on (since 1.32): an RV "" watch with bookmarks also gets the end bookmark."""
    _, events = api.watch_lines(
        "/api/v1/namespaces/spark/pods?watch=true&allowWatchBookmarks=true&timeoutSeconds=1"
    )
    assert [e["type"] for e in events[:4]] == ["ADDED", "ADDED", "ADDED", "BOOKMARK"]
    assert "k8s.io/initial-events-end" in events[3]["object"]["metadata"]["annotations"]


def test_watch_list_without_match_is_422(api: Api) -> None:
    reply = api.get("/api/v1/pods?watch=true&sendInitialEvents=true")
    assert reply.status == 422
    assert reply.json()["message"] == (
        'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: sendInitialEvents '
        "requires setting resourceVersionMatch to NotOlderThan"
    )


def test_deprecated_watch_path_for_one_object(sim: RunningSim, api: Api) -> None:
    rv = sim.state.resource_version
    _later(
        lambda: [
            sim.state.mutate("pods", "default", n, lambda o: o["status"].update(reason="X"))
            for n in ("web-1", "web-0")
        ]
    )
    _, events = api.watch_lines(
        f"/api/v1/watch/namespaces/default/pods/web-0?resourceVersion={rv}&timeoutSeconds=1"
    )
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [("MODIFIED", "web-0")]


def test_table_watch_sends_columns_once(sim: RunningSim, api: Api) -> None:
    rv = sim.state.resource_version
    _later(
        lambda: [
            sim.state.mutate(
                "pods", "default", "web-0", lambda o, i=i: o["status"].update(reason=str(i))
            )
            for i in range(2)
        ]
    )
    _, events = api.watch_lines(
        f"/api/v1/namespaces/default/pods?watch=true&resourceVersion={rv}&timeoutSeconds=1",
        accept=TABLE,
    )
    assert [e["object"]["kind"] for e in events] == ["Table", "Table"]
    assert events[0]["object"]["columnDefinitions"][0]["name"] == "Name"
    assert events[1]["object"]["columnDefinitions"] is None
    assert events[1]["object"]["rows"][0]["cells"][:3] == ["web-0", "1/1", "1"]
    assert events[1]["object"]["rows"][0]["object"]["kind"] == "PartialObjectMetadata"


def test_metadata_only_watch(sim: RunningSim, api: Api) -> None:
    rv = sim.state.resource_version
    _later(
        lambda: sim.state.mutate(
            "deployments", "default", "web", lambda o: o["metadata"].update(annotations={"a": "b"})
        )
    )
    sim.state.create(
        "deployments",
        {
            "metadata": {"name": "web", "namespace": "default"},
            "spec": {
                "replicas": 0,
                "selector": {"matchLabels": {"app": "x"}},
                "template": {"metadata": {"labels": {"app": "x"}}, "spec": {"containers": []}},
            },
        },
    )
    _, events = api.watch_lines(
        f"/apis/apps/v1/deployments?watch=true&resourceVersion={rv}&timeoutSeconds=1",
        accept="application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1",
    )
    assert [e["type"] for e in events][:2] == ["ADDED", "MODIFIED"]
    assert all(set(e["object"]) == {"kind", "apiVersion", "metadata"} for e in events)
