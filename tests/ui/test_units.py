"""Textual-free pieces of the dashboard: cell fitting, the pod index, events and logs."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import msgspec
import pytest

from kubetui.model.records import Pod
from kubetui.sim.runner import RunningSim
from kubetui.sources.kube_client import KubeError, connect
from kubetui.sources.pod_events import PodEvent, event_age, events_query, fetch_pod_events
from kubetui.sources.pod_logs import LogStream, log_query
from kubetui.ui import pod_index
from kubetui.ui.line_table import fit
from kubetui.ui.pod_index import SORTS, PodIndex, search_key
from kubetui.ui.rows import pod_cells, pod_row, style_for_kinds

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "width", "kwargs", "expected"),
    [
        ("abc", 5, {}, "abc  "),
        ("abc", 5, {"right": True}, "  abc"),
        ("abcdefgh", 5, {}, "abcd…"),
        ("abcdefgh", 5, {"middle": True}, "ab…gh"),
        ("日本語テキスト", 5, {}, "日本…"),
        ("x", 0, {}, ""),
    ],
)
def test_fit(text: str, width: int, kwargs: dict, expected: str) -> None:
    assert fit(text, width, **kwargs) == expected


def test_pod_style_prefers_the_most_telling_kind() -> None:
    assert style_for_kinds(["failed_lingering", "oom_killed", "zombie_engine_pod"]) == "oom"
    assert style_for_kinds(["failed_lingering", "zombie_engine_pod"]) == "zombie"
    assert style_for_kinds([]) is None


def _pod(ns: str, name: str, *, node: str = "", restarts: int = 0, minutes: int = 0) -> Pod:
    return msgspec.convert(
        {
            "metadata": {
                "namespace": ns,
                "name": name,
                "uid": f"{ns}/{name}",
                "creationTimestamp": (NOW - timedelta(minutes=minutes)).isoformat(),
                "labels": {"spark-app-selector": f"spark-{name}"},
            },
            "spec": {"nodeName": node or None},
            "status": {
                "phase": "Running",
                "containerStatuses": [
                    {
                        "name": "c",
                        "restartCount": restarts,
                        "lastState": {"terminated": {"reason": "OOMKilled", "exitCode": 137}}
                        if restarts
                        else None,
                    }
                ],
            },
        },
        Pod,
    )


def test_a_pod_row_moves_only_its_clock_texts_with_time() -> None:
    pod = msgspec.convert(
        {
            "metadata": {
                "namespace": "ns",
                "name": "exec-1",
                "uid": "u1",
                "creationTimestamp": (NOW - timedelta(minutes=90)).isoformat(),
            },
            "spec": {"containers": [{"name": "c"}]},
            "status": {
                "phase": "Running",
                "containerStatuses": [
                    {
                        "name": "c",
                        "restartCount": 3,
                        "lastState": {
                            "terminated": {
                                "reason": "OOMKilled",
                                "exitCode": 137,
                                "finishedAt": (NOW - timedelta(minutes=5)).isoformat(),
                            }
                        },
                    }
                ],
            },
        },
        Pod,
    )
    row = pod_row(pod, None, "oom")
    now_texts = row.clock_texts(NOW)
    later_texts = row.clock_texts(NOW + timedelta(minutes=10))
    assert now_texts == ("3 (5m ago)", "OOMKilled 137 SIGKILL 5m ago", "90m")
    assert later_texts == ("3 (15m ago)", "OOMKilled 137 SIGKILL 15m ago", "100m")
    # The same row pod_cells draws, at either time; the clock-free cells stay put.
    assert (row.cells(later_texts), row.styles) == pod_cells(
        pod, NOW + timedelta(minutes=10), None, "oom"
    )
    assert (
        row.cells(now_texts)[:5]
        == row.cells(later_texts)[:5]
        == ("!!", "ns", "exec-1", "Running", "0/1")
    )


def _index(*pods: Pod) -> tuple[dict[str, Pod], PodIndex]:
    store = {p.metadata.uid: p for p in pods}
    index = PodIndex(store, lambda pod: pod.status.phase or "")
    index.changed(list(store), [])
    return store, index


def test_search_key_holds_name_node_reasons_and_engine_ids() -> None:
    key = search_key(_pod("ns", "Driver-1", node="node-a", restarts=2))
    assert key == "ns/driver-1 node-a running oomkilled spark-driver-1"


def test_index_sorts_filters_and_scopes() -> None:
    _store, index = _index(
        _pod("b", "x", restarts=1, minutes=5),
        _pod("a", "y", minutes=50),
        _pod("a", "z", restarts=7, minutes=1),
    )
    assert list(index.visible()) == ["a/y", "a/z", "b/x"]
    index.set_sort("restarts")
    assert list(index.visible()) == ["a/z", "b/x", "a/y"]
    index.set_sort("age")
    assert list(index.visible()) == ["a/z", "b/x", "a/y"]
    index.set_filter("OOM")
    assert list(index.visible()) == ["a/z", "b/x"]
    index.set_namespace("a")
    assert list(index.visible()) == ["a/z"]
    index.set_namespace(None)
    index.set_filter("")
    index.set_only(["a/y"])
    assert list(index.visible()) == ["a/y"]


def test_typing_narrows_the_previous_result_and_backspace_finds_it_again() -> None:
    _store, index = _index(*(_pod("ns", f"p{i:03}") for i in range(200)))
    ordered = index.visible()
    assert index.visible() is ordered  # nothing changed: the same rows, no work
    index.set_filter("p0")
    narrowed = index.visible()
    assert list(narrowed) == [k for k in ordered if "p0" in k]
    index.set_filter("p01")
    assert list(index.visible()) == [k for k in ordered if "p01" in k]
    index.set_filter("p0")
    assert index.visible() is narrowed  # erased: the kept result
    index.set_filter("")
    assert index.visible() is ordered


def test_a_big_batch_is_drawn_in_name_order_before_its_facts_are_known() -> None:
    store = {p.metadata.uid: p for p in (_pod("b", "x"), _pod("a", "y", restarts=3))}
    index = PodIndex(store, lambda pod: pod.status.phase or "")
    index.changed(list(store), [])
    assert list(index.visible()) == ["a/y", "b/x"] and index.total == 2

    big = {p.metadata.uid: p for p in (_pod("ns", f"p{i:04}") for i in range(600))}
    store.update(big)
    index.changed(list(big), [])
    assert index.pending == 600
    assert index.visible()[:3] == ("a/y", "b/x", "ns/p0000")
    assert index.pending == 600  # the name order needs no facts
    assert not index.index_some(0.0)  # one slice, then out of time
    assert 0 < index.pending < 600
    index.set_sort("restarts")
    assert index.visible()[0] == "a/y" and index.pending == 0


def _check_against_a_full_sort(store: dict[str, Pod], index: PodIndex) -> None:
    """The index's rows equal sorting and filtering everything from scratch."""
    fresh = PodIndex(store, lambda pod: pod.status.phase or "")
    fresh.changed(list(store), [])
    for sort in SORTS:
        for needle in ("", "p1", "oom"):
            for ix in (index, fresh):
                ix.set_sort(sort)
                ix.set_filter(needle)
            assert index.visible() == fresh.visible(), (sort, needle)


def test_small_batches_patch_every_order_like_a_full_sort() -> None:
    rng = random.Random(7)
    store, index = _index(
        *(_pod(rng.choice("abc"), f"p{i}", restarts=i % 3, minutes=i % 7) for i in range(40))
    )
    for sort in SORTS:  # cache every order, so the batches must patch them
        index.set_sort(sort)
        index.visible()
    index.set_sort("name")
    drawn = index.visible()
    first = _pod("a", "a-first")
    store[first.metadata.uid] = first
    index.changed([first.metadata.uid], [])
    assert index.visible()[0] == "a/a-first" and drawn[0] != "a/a-first"
    for step in range(30):
        changed, removed = [], []
        for _ in range(rng.randint(1, 4)):
            uid = rng.choice(sorted(store))
            if rng.random() < 0.3 and len(store) > 5:
                del store[uid]
                removed.append(uid)
            else:
                ns, name = uid.split("/")
                store[uid] = _pod(ns, name, restarts=rng.randint(0, 4), minutes=rng.randint(0, 9))
                changed.append(uid)
        if step % 3 == 0:
            new = _pod(rng.choice("abd"), f"n{step}", node=f"node-{step % 2}")
            store[new.metadata.uid] = new
            changed.append(new.metadata.uid)
        index.changed([u for u in changed if u not in removed], removed)
        _check_against_a_full_sort(store, index)


def test_orders_sorted_ahead_equal_the_sort_on_demand(monkeypatch: pytest.MonkeyPatch) -> None:
    """``presort_some`` builds every order in small steps (chunks, pivots, ranges) while
    pods change in between; the result is the one-shot sort's, ties in name order."""
    monkeypatch.setattr(pod_index, "PRESORT_CHUNK", 16)
    monkeypatch.setattr(pod_index, "PRESORT_RANGE", 8)
    monkeypatch.setattr(pod_index, "PRESORT_SAMPLE", 3)
    rng = random.Random(11)
    store, index = _index(
        *(
            _pod(rng.choice("abc"), f"p{i}", restarts=i % 4, minutes=i % 9, node=f"n{i % 5}")
            for i in range(300)
        )
    )
    assert not index.presorted and not index.presort_some(0.0)  # facts first
    index.index_some(float("inf"))
    steps = 0
    while not index.presort_some(0.0):
        steps += 1
        uid = rng.choice(sorted(store))
        if steps % 7 == 0:
            del store[uid]
            index.changed([], [uid])
        else:
            ns, name = uid.split("/")
            store[uid] = _pod(ns, name, restarts=rng.randint(0, 5), minutes=rng.randint(0, 9))
            added = _pod(rng.choice("abd"), f"new{steps}", node="n9")
            store[added.metadata.uid] = added
            index.changed([uid, added.metadata.uid], [])
    assert steps > 20 and index.presorted
    _check_against_a_full_sort(store, index)


def test_a_sort_asked_for_mid_build_equals_the_sort_on_demand(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``s`` pressed while an order is being built ahead finishes (or sorts) it at once."""
    monkeypatch.setattr(pod_index, "PRESORT_CHUNK", 4)
    pods = [_pod("ns", f"p{i:02}", restarts=i % 3, minutes=i % 4) for i in range(40)]
    for steps in range(0, 80, 9):
        store, index = _index(*pods)
        index.index_some(float("inf"))
        for _ in range(steps):
            index.presort_some(0.0)
        _check_against_a_full_sort(store, index)


# Cases follow the branches of kubernetes/kubectl pkg/describe/describe.go
# (eb836333) DescribeEvents: series, count > 1, single; eventTime before firstTimestamp.
@pytest.mark.parametrize(
    ("event", "expected"),
    [
        ({"firstTimestamp": NOW - timedelta(minutes=2), "count": 1}, "2m"),
        (
            {
                "firstTimestamp": NOW - timedelta(minutes=5),
                "lastTimestamp": NOW - timedelta(seconds=30),
                "count": 4,
            },
            "30s (x4 over 5m)",
        ),
        (
            {
                "eventTime": NOW - timedelta(minutes=10),
                "series": {"count": 3, "lastObservedTime": NOW - timedelta(minutes=1)},
            },
            "60s (x3 over 10m)",
        ),
        ({}, "<unknown>"),
    ],
)
def test_event_age(event: dict, expected: str) -> None:
    assert event_age(msgspec.convert(event, PodEvent), NOW) == expected


def test_events_query_is_kubectl_describes() -> None:
    assert events_query("ns", "a,b=c", "u-1") == [
        (
            "fieldSelector",
            "involvedObject.name=a\\,b\\=c,involvedObject.namespace=ns,involvedObject.uid=u-1",
        ),
        ("limit", "500"),
    ]


def test_log_query() -> None:
    assert log_query("c", previous=True, follow=False, tail_lines=10) == [
        ("container", "c"),
        ("previous", "true"),
        ("tailLines", "10"),
    ]


def test_events_and_logs_from_the_sim(fresh_incidents: RunningSim) -> None:
    sim = fresh_incidents
    kube = connect(str(sim.kubeconfig_path))
    pod = next(
        p for p in sim.state.list("pods") if p["metadata"]["name"].startswith("kyuubi-clickstream")
    )
    meta = pod["metadata"]
    events = fetch_pod_events(kube, meta["namespace"], meta["name"], meta["uid"])
    assert events and all(e.reason for e in events)
    assert [e.reason for e in events][-1] in ("Started", "Created", "Pulled", "Scheduled")
    assert fetch_pod_events(kube, meta["namespace"], meta["name"], "other-uid") == []

    container = pod["spec"]["containers"][0]["name"]
    sim.state.set_logs(meta["namespace"], meta["name"], container, ["ok", "evil \x1b[2J\x07"])
    stream = LogStream(kube, meta["namespace"], meta["name"], container, follow=False)
    lines = [line for chunk in stream.chunks() for line in chunk]
    assert lines[-2:] == ["ok", "evil ␛[2J␇"]
    with pytest.raises(KubeError):
        next(LogStream(kube, meta["namespace"], meta["name"], "no-such", follow=False).chunks())
