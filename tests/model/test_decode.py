"""Decoding API pages and dump files into records: fast path, leniency, clean text."""

from __future__ import annotations

import json

import pytest

from kubetui.model.decode import InputError, decode_pod_page, load_objects
from kubetui.model.inert_text import inert, may_hold_unsafe_text, single_line


def _pod(name: str, **extra: object) -> dict:
    pod = {
        "metadata": {"name": name, "namespace": "ns", "uid": f"uid-{name}"},
        "spec": {"nodeName": "n1", "containers": [{"name": "c"}]},
        "status": {"phase": "Running", "containerStatuses": [{"name": "c", "restartCount": 2}]},
    }
    pod.update(extra)
    return pod


def _page(items: list, **meta: object) -> bytes:
    return json.dumps(
        {"kind": "PodList", "apiVersion": "v1", "metadata": meta, "items": items}
    ).encode()


def test_pod_page_fast_path_keeps_list_metadata() -> None:
    page = decode_pod_page(
        _page([_pod("a"), _pod("b")], resourceVersion="42", **{"continue": "tok"})
    )
    assert [p.metadata.name for p in page.items] == ["a", "b"]
    assert page.meta.resource_version == "42"
    assert page.meta.continue_ == "tok"
    assert page.items[0].status.container_statuses[0].restart_count == 2
    assert page.errors == []


def test_one_bad_field_loses_only_that_field() -> None:
    bad = _pod("bad")
    bad["status"]["containerStatuses"][0]["restartCount"] = "3"  # wrong type
    page = decode_pod_page(_page([_pod("a"), bad]))
    assert [p.metadata.name for p in page.items] == ["a", "bad"]
    status = page.items[1].status.container_statuses[0]
    assert status.restart_count is None  # unknown, not invented
    assert status.name == "c"


def test_one_bad_item_does_not_sink_the_page() -> None:
    page = decode_pod_page(_page([_pod("a"), "garbage", _pod("c")]))
    assert [p.metadata.name for p in page.items] == ["a", "c"]
    assert len(page.errors) == 1 and page.errors[0].startswith("item 1")


@pytest.mark.parametrize(
    ("mutation", "path_check"),
    [
        (
            lambda p: p["metadata"].update(creationTimestamp="yesterday"),
            lambda r: r.metadata.creation_timestamp is None,
        ),
        (
            lambda p: p["metadata"].update(labels={"a": "b", "n": 1}),
            lambda r: r.metadata.labels == {"a": "b"},
        ),
        (lambda p: p["spec"].update(containers="c"), lambda r: r.spec.containers == ()),
        (lambda p: p["status"].update(phase=None), lambda r: r.status.phase is None),
        (lambda p: p.update(status=[]), lambda r: r.status.phase is None),
        (lambda p: p["spec"].update(nodeName=7), lambda r: r.spec.node_name is None),
    ],
)
def test_wrong_types_read_as_unknown(mutation, path_check) -> None:
    pod = _pod("x")
    mutation(pod)
    (record,) = decode_pod_page(_page([pod])).items
    assert record.metadata.name == "x"
    assert path_check(record)


def test_kubectl_get_pods_nodes_list_mixed_kinds() -> None:
    doc = {
        "apiVersion": "v1",
        "kind": "List",
        "items": [
            {"kind": "Pod", "apiVersion": "v1", **_pod("a")},
            {
                "kind": "Node",
                "apiVersion": "v1",
                "metadata": {"name": "n1"},
                "status": {"capacity": {"memory": "16Gi"}},
            },
            {"kind": "Service", "apiVersion": "v1", "metadata": {"name": "svc"}},
            {"kind": "Service", "apiVersion": "v1", "metadata": {"name": "svc2"}},
        ],
    }
    loaded = load_objects(json.dumps(doc).encode())
    assert [p.metadata.name for p in loaded.pods] == ["a"]
    assert [n.metadata.name for n in loaded.nodes] == ["n1"]
    assert loaded.nodes[0].status.capacity == {"memory": "16Gi"}
    assert loaded.ignored_kinds == {"Service": 2}


def test_single_pod_and_node_list_json() -> None:
    assert (
        load_objects(json.dumps({"kind": "Pod", **_pod("solo")}).encode()).pods[0].metadata.name
        == "solo"
    )
    nodes = {
        "kind": "NodeList",
        "items": [{"metadata": {"name": "n1"}}, {"metadata": {"name": "n2"}}],
    }
    assert [n.metadata.name for n in load_objects(json.dumps(nodes).encode()).nodes] == ["n1", "n2"]


def test_yaml_multi_document_and_lists() -> None:
    text = b"""
apiVersion: v1
kind: Pod
metadata: {name: p1, namespace: ns, creationTimestamp: "2024-01-01T00:00:00Z"}
spec:
  containers:
  - name: c
    resources: {requests: {memory: 1Gi, cpu: 1}}
---
apiVersion: v1
kind: List
items:
- {kind: Node, metadata: {name: n1}}
- {kind: ConfigMap, metadata: {name: cm}}
- {kind: Pod, metadata: {name: p2}}
"""
    loaded = load_objects(text)
    assert [p.metadata.name for p in loaded.pods] == ["p1", "p2"]
    assert loaded.pods[0].metadata.creation_timestamp.year == 2024
    assert loaded.pods[0].spec.containers[0].resources.requests == {"memory": "1Gi", "cpu": 1}
    assert [n.metadata.name for n in loaded.nodes] == ["n1"]
    assert loaded.ignored_kinds == {"ConfigMap": 1}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x00\x01\x02binary", "binary data"),
        (b"\xff\xfe\xfa", "not UTF-8"),
        (b"", "empty input"),
        (b'{"kind": "Pod"', "malformed JSON"),
        (b'{"apiVersion": "v1"}', "no 'kind'"),
        (b'"just a string"', "not a Kubernetes object"),
        (b"key: [unclosed", "malformed YAML"),
        (b"just some words", "not a Kubernetes object"),
        (b"- a\n- b\n", "not a Kubernetes object"),
    ],
)
def test_unusable_input_is_one_clear_error(data: bytes, message: str) -> None:
    with pytest.raises(InputError) as info:
        load_objects(data, source="dump.json")
    text = str(info.value)
    assert message in text and "\n" not in text and text.startswith("dump.json")


def test_hostile_text_is_inert_after_decoding() -> None:
    pod = _pod("evil\x1b[2J\u202e")
    pod["status"]["message"] = "line1\nline2\x07 \x9b31m"
    pod["metadata"]["labels"] = {"k\x1b]52;c;ZXZpbA==\x07": "[red]x[/]"}
    (record,) = decode_pod_page(_page([pod])).items
    assert record.metadata.name == "evil␛[2J\ufffd"
    assert record.status.message == "line1\nline2␇ \ufffd31m"
    assert record.metadata.labels == {"k␛]52;c;ZXZpbA==␇": "[red]x[/]"}  # markup is the UI's job


@pytest.mark.parametrize(
    ("raw", "unsafe"),
    [
        (b'{"k:{\\"name\\":\\"c\\"}": {}}', False),  # managedFields keys
        (b'{"m": "caf\xc3\xa9 \xe2\x80\x94 \\u003c \\n \\t \\\\"}', False),
        (b'{"m": "\\u001b[2J"}', True),
        (b'{"m": "\\u0007"}', True),
        (b'{"m": "\\u007F"}', True),
        (b'{"m": "\\u009b"}', True),
        (b'{"m": "\\u202E"}', True),
        (b'{"m": "\\u2066"}', True),
        (b'{"m": "\\r"}', True),
        (b'{"m": "\x7f"}', True),
        (b'{"m": "\xc2\x9b"}', True),
        (b'{"m": "\xe2\x80\xae"}', True),
        (b'{"m": "\xe2\x81\xa6"}', True),
        (b'{"m": "\xd8\x9c"}', True),
    ],
)
def test_raw_prescan_finds_every_unsafe_form(raw: bytes, unsafe: bool) -> None:
    assert may_hold_unsafe_text(raw) is unsafe


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("plain", "plain"),
        ("tab\tand\nnewline", "tab\tand\nnewline"),
        ("\x00\x1b\x7f", "␀␛␡"),
        ("\x85\x9b", "\ufffd\ufffd"),
        ("a\u202eb\u2066c\u200fd", "a\ufffdb\ufffdc\ufffdd"),
        ("[bold]markup[/]", "[bold]markup[/]"),
    ],
)
def test_inert_table(raw: str, shown: str) -> None:
    assert inert(raw) == shown


def test_single_line_flattens_messages() -> None:
    assert single_line("a\n  b\tc") == "a b c"
    assert single_line("abc") == "abc"
