"""Watch lines into records (typed fast path, bookmarks, ERROR Status, leniency, inert
text) and the Compactor (shared parts, equal content, bounded table)."""

from __future__ import annotations

import copy
import json

import msgspec
import pytest

from kubetui.model.records import Node, Pod
from kubetui.sources.watch_decode import Compactor, decode_event
from tests.sim.conftest import pod as pod_dict


def line(type_: str, obj: dict) -> bytes:
    return json.dumps({"type": type_, "object": obj}).encode()


def watched_pod(name: str, rv: str = "7", **kw: object) -> dict:
    obj = pod_dict(name, **kw)  # type: ignore[arg-type]
    obj["metadata"].update(uid=f"uid-{name}", resourceVersion=rv)
    obj["metadata"]["creationTimestamp"] = "2024-05-01T10:00:00Z"
    return {"kind": "Pod", "apiVersion": "v1", **obj}


@pytest.mark.parametrize("type_", ["ADDED", "MODIFIED", "DELETED"])
def test_object_events_decode_into_records(type_: str) -> None:
    event = decode_event(line(type_, watched_pod("web-0", rv="12")), Pod)
    assert event is not None
    assert event.type == type_
    assert event.resource_version == "12"
    assert isinstance(event.record, Pod)
    assert event.record.metadata.name == "web-0"
    assert event.record.status.container_statuses[0].state.running is not None


# The bookmark objects kube-apiserver's watch cache sends (kubernetes/apiserver
# pkg/storage/cacher/: an empty object of the watched kind): a Pod's carries
# "containers": null, which the typed Pod decoder refuses; up to 1.33 creationTimestamp
# null, 1.34+ none; the watch-list end bookmark has annotations.
BOOKMARKS = [
    (
        Pod,
        {
            "kind": "Pod",
            "apiVersion": "v1",
            "metadata": {"resourceVersion": "900", "creationTimestamp": None},
            "spec": {"containers": None},
            "status": {},
        },
    ),
    (
        Pod,
        {
            "kind": "Pod",
            "apiVersion": "v1",
            "metadata": {"resourceVersion": "900"},
            "spec": {"containers": None},
            "status": {},
        },
    ),
    (
        Node,
        {
            "kind": "Node",
            "apiVersion": "v1",
            "metadata": {"resourceVersion": "900", "creationTimestamp": None},
            "spec": {},
            "status": {"daemonEndpoints": {"kubeletEndpoint": {"Port": 0}}, "nodeInfo": {}},
        },
    ),
    (
        Pod,
        {
            "kind": "Pod",
            "apiVersion": "v1",
            "metadata": {
                "resourceVersion": "900",
                "annotations": {"k8s.io/initial-events-end": "true"},
            },
            "spec": {"containers": None},
            "status": {},
        },
    ),
]


@pytest.mark.parametrize(("record_type", "obj"), BOOKMARKS)
def test_bookmarks_carry_only_a_resource_version(record_type: type, obj: dict) -> None:
    event = decode_event(line("BOOKMARK", obj), record_type)
    assert event is not None
    assert (event.type, event.record, event.resource_version) == ("BOOKMARK", None, "900")


def test_expired_error_event_is_a_410() -> None:
    status = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": "too old resource version: 123 (456)",
        "reason": "Expired",
        "code": 410,
    }
    event = decode_event(line("ERROR", status), Pod)
    assert event is not None and event.type == "ERROR" and event.error is not None
    assert (event.error.status, event.error.reason) == (410, "Expired")
    assert "too old resource version: 123 (456)" in str(event.error)


def test_error_without_code_is_not_mistaken_for_expired() -> None:
    """kubernetes-client/python crashes on such an object (``kubernetes/base/watch/watch.py``
    reads ``obj['code']``)."""
    event = decode_event(line("ERROR", {"kind": "Status", "message": "boom"}), Pod)
    assert event is not None and event.error is not None
    assert event.error.status == 500
    assert "boom" in str(event.error)


@pytest.mark.parametrize("raw", [b"", b"not json", b"[1, 2]", b'"text"', b"{", b"{}"])
def test_lines_that_are_not_events_are_skipped(raw: bytes) -> None:
    event = decode_event(raw, Pod)
    assert event is None or (event.record is None and event.resource_version is None)


def test_a_wrong_field_loses_only_that_field() -> None:
    obj = watched_pod("web-0")
    obj["status"]["containerStatuses"][0]["restartCount"] = "three"
    event = decode_event(line("MODIFIED", obj), Pod)
    assert event is not None and event.record is not None
    assert event.record.metadata.name == "web-0"
    assert event.record.status.container_statuses[0].restart_count is None
    assert event.resource_version == "7"


def test_hostile_text_is_inert() -> None:
    obj = watched_pod("web-0")
    obj["status"]["message"] = "\x1b[2Jgone\x1b]52;c;aGk=\x07"
    obj["metadata"]["labels"] = {"app": "\u202eevil"}
    event = decode_event(line("MODIFIED", obj), Pod)
    assert event is not None and event.record is not None
    assert "\x1b" not in (event.record.status.message or "")
    assert event.record.status.message.startswith("\u241b[2Jgone")
    assert event.record.metadata.labels == {"app": "\ufffdevil"}


# ---------------------------------------------------------------- Compactor


def spark_executor(i: int) -> dict:
    obj = watched_pod(
        f"exec-{i}",
        rv=str(100 + i),
        labels={"spark-role": "executor", "spark-app-selector": "spark-1", "spark-exec-id": str(i)},
        owner={
            "apiVersion": "v1",
            "kind": "Pod",
            "name": "drv",
            "uid": "u-drv",
            "controller": True,
        },
    )
    obj["spec"]["containers"][0]["resources"] = {
        "requests": {"cpu": "1", "memory": "4Gi"},
        "limits": {"memory": "4Gi"},
    }
    return obj


def test_compacted_pods_equal_the_decoded_ones_and_share_equal_parts() -> None:
    raw = [spark_executor(i) for i in range(3)]
    originals = [msgspec.convert(copy.deepcopy(o), Pod) for o in raw]
    compactor = Compactor()
    pods = [compactor.pod(msgspec.convert(o, Pod)) for o in raw]
    assert pods == originals
    a, b = pods[0], pods[1]
    assert a.status.conditions is b.status.conditions
    assert a.spec.containers is b.spec.containers
    assert a.metadata.owner_references is b.metadata.owner_references
    assert a.metadata.creation_timestamp is b.metadata.creation_timestamp
    a_state, b_state = (p.status.container_statuses[0] for p in (a, b))
    assert a_state.last_state is b_state.last_state  # both {}
    assert a_state.state.running.started_at is b_state.state.running.started_at
    label_keys = [next(k for k in p.metadata.labels if k == "spark-app-selector") for p in pods]
    assert label_keys[0] is label_keys[1]
    assert a.metadata.labels["spark-app-selector"] is b.metadata.labels["spark-app-selector"]
    assert a.metadata.uid is not b.metadata.uid


def test_different_values_are_never_merged() -> None:
    compactor = Compactor()
    first = spark_executor(1)
    second = spark_executor(2)
    second["status"]["conditions"][1]["status"] = "False"
    second["spec"]["containers"][0]["resources"]["limits"]["memory"] = "8Gi"
    second["metadata"]["ownerReferences"][0]["uid"] = "u-other"
    a = compactor.pod(msgspec.convert(first, Pod))
    b = compactor.pod(msgspec.convert(second, Pod))
    assert a.status.conditions[1].status == "True"
    assert b.status.conditions[1].status == "False"
    assert a.spec.containers[0].resources.limits == {"memory": "4Gi"}
    assert b.spec.containers[0].resources.limits == {"memory": "8Gi"}
    assert b.metadata.owner_references[0].uid == "u-other"
    assert b == msgspec.convert(second, Pod)


def test_the_shared_table_is_bounded() -> None:
    compactor = Compactor(limit=50)
    for i in range(200):
        obj = spark_executor(i)
        for cond in obj["status"]["conditions"]:
            cond["lastTransitionTime"] = f"2024-05-01T10:{i // 60:02d}:{i % 60:02d}Z"
        pod = compactor.pod(msgspec.convert(obj, Pod))
        assert pod == msgspec.convert(obj, Pod)
        assert len(compactor._shared) <= 50


def test_nodes_are_compacted_too() -> None:
    node = {
        "metadata": {"name": "n1", "labels": {"kubernetes.io/hostname": "n1"}},
        "status": {"conditions": [{"type": "Ready", "status": "True"}]},
    }
    compactor = Compactor()
    a = compactor.node(msgspec.convert(node, Node))
    b = compactor.node(msgspec.convert(node, Node))
    assert a == b == msgspec.convert(node, Node)
    assert a.status.conditions is b.status.conditions
