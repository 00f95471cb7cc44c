"""LIST over the wire: discovery, auth, RV forms, paging, selectors, Table, metadata-only."""

from __future__ import annotations

import base64
import json

import msgspec
import pytest

from kubetui.model.pod_status import pod_columns
from kubetui.model.records import Pod
from kubetui.sim import wire_list
from kubetui.sim.runner import RunningSim
from kubetui.sim.wire_list import ListOptions, decode_continue, encode_continue, validate
from tests.sim.conftest import Api

TABLE = (
    "application/json;as=Table;v=v1;g=meta.k8s.io,"
    "application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"
)


# Rewritten from kubernetes/apimachinery@v0.33.0
# pkg/apis/meta/internalversion/validation/validation_test.go TestValidateListOptions
# (rv, match, continue, watch, sendInitialEvents, watch-list gate) -> error texts
VALIDATION_CASES = [
    ("", "", "", False, None, False, []),
    ("1", "Exact", "", False, None, False, []),
    (
        "0",
        "Exact",
        "",
        False,
        None,
        False,
        [
            'resourceVersionMatch: Forbidden: resourceVersionMatch "exact" is forbidden for '
            'resourceVersion "0"'
        ],
    ),
    ("0", "NotOlderThan", "", False, None, False, []),
    (
        "0",
        "foo",
        "",
        False,
        None,
        False,
        [
            'resourceVersionMatch: Unsupported value: "foo": supported values: "Exact", '
            '"NotOlderThan", ""'
        ],
    ),
    (
        "",
        "",
        "",
        False,
        True,
        False,
        ["sendInitialEvents: Forbidden: sendInitialEvents is forbidden for list"],
    ),
    ("", "", "", True, None, False, []),
    ("", "NotOlderThan", "", True, True, True, []),
    ("", "NotOlderThan", "", True, False, True, []),
    (
        "",
        "NotOlderThan",
        "",
        True,
        None,
        False,
        [
            "resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden for watch "
            "unless sendInitialEvents is provided"
        ],
    ),
    (
        "",
        "",
        "",
        True,
        True,
        False,
        [
            "resourceVersionMatch: Forbidden: sendInitialEvents requires setting "
            "resourceVersionMatch to NotOlderThan",
            "sendInitialEvents: Forbidden: sendInitialEvents is forbidden for watch unless "
            "the WatchList feature gate is enabled",
        ],
    ),
    (
        "",
        "Exact",
        "",
        True,
        True,
        True,
        [
            "resourceVersionMatch: Forbidden: sendInitialEvents requires setting "
            "resourceVersionMatch to NotOlderThan",
            'resourceVersionMatch: Unsupported value: "Exact": supported values: "NotOlderThan"',
        ],
    ),
    (
        "",
        "NotOlderThan",
        "",
        True,
        True,
        False,
        [
            "sendInitialEvents: Forbidden: sendInitialEvents is forbidden for watch unless "
            "the WatchList feature gate is enabled"
        ],
    ),
    (
        "",
        "NotOlderThan",
        "123",
        True,
        True,
        True,
        [
            "resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden when "
            "continue is provided"
        ],
    ),
    (
        "",
        "Exact",
        "",
        False,
        None,
        False,
        [
            "resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless "
            "resourceVersion is provided"
        ],
    ),
]


@pytest.mark.parametrize(
    ("rv", "match", "cont", "watch", "sie", "gate", "expected"), VALIDATION_CASES
)
def test_validate_list_options(rv, match, cont, watch, sie, gate, expected) -> None:
    opts = ListOptions(
        resource_version=rv,
        rv_match=match,
        continue_token=cont,
        watch=watch,
        send_initial_events=sie,
    )
    assert [f"{f}: {body}" for f, _, body in validate(opts, gate)] == expected


# Rewritten from kubernetes/apiserver@v0.33.0 pkg/storage/continue_test.go
# Test_decodeContinue: (api version, rv, start key) -> (start key, rv) or the error text
def _token(version: str, rv: int, start: str) -> str:
    raw = json.dumps({"v": version, "rv": rv, "start": start}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


_BAD = "continue key is not valid"
CONTINUE_CASES = [
    (_token("meta.k8s.io/v1", 1, "key"), ("key", 1)),  # valid
    (_token("meta.k8s.io/v1", 1, "/"), ("", 1)),  # root path
    (_token("", 1, "key"), f"{_BAD}: server does not recognize this encoded version "),
    (_token("v1", 1, "key"), f"{_BAD}: server does not recognize this encoded version v1"),
    (
        _token("meta.k8s.io/v1", 0, "key"),
        f"{_BAD}: incorrect encoded start resourceVersion (version meta.k8s.io/v1)",
    ),
    (_token("meta.k8s.io/v1", 1, ""), f"{_BAD}: encoded start key empty (version meta.k8s.io/v1)"),
    (_token("meta.k8s.io/v1", 1, "../key"), f"{_BAD}: ../key"),  # path traversal - parent
    (_token("meta.k8s.io/v1", 1, "./key"), f"{_BAD}: ./key"),  # - local
    (_token("meta.k8s.io/v1", 1, "./../key"), f"{_BAD}: ./../key"),  # - double parent
    (_token("meta.k8s.io/v1", 1, "key/../.."), f"{_BAD}: key/../.."),  # - after parent
    (_token("meta.k8s.io/v1", -1, "key"), ("key", -1)),  # the "inconsistent continue" form
]


@pytest.mark.parametrize(("token", "expected"), CONTINUE_CASES)
def test_decode_continue(token: str, expected) -> None:
    if isinstance(expected, tuple):
        assert decode_continue(token) == expected
    else:
        with pytest.raises(wire_list.wire_status.ApiError) as caught:
            decode_continue(token)
        assert caught.value.code == 400
        assert caught.value.message == f"invalid continue token: {expected}"


def test_continue_token_shape() -> None:
    token = encode_continue("default/web-1\x00", 42)
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    assert raw == b'{"v":"meta.k8s.io/v1","rv":42,"start":"default/web-1\\u0000"}'
    assert "=" not in token


def test_discovery_is_plain_json(api: Api) -> None:
    for path in (
        "/api",
        "/api/v1",
        "/apis",
        "/apis/apps/v1",
        "/apis/metrics.k8s.io/v1beta1",
        "/version",
    ):
        reply = api.get(
            path,
            accept="application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
            "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,"
            "application/json",
        )
        assert reply.status == 200
        assert reply.headers["Content-Type"] == "application/json"
    v1 = api.get("/api/v1").json()
    eviction = next(r for r in v1["resources"] if r["name"] == "pods/eviction")
    assert (eviction["group"], eviction["version"], eviction["kind"], eviction["verbs"]) == (
        "policy",
        "v1",
        "Eviction",
        ["create"],
    )
    groups = [g["name"] for g in api.get("/apis").json()["groups"]]
    assert groups == ["apps", "batch", "kubero.dev", "metrics.k8s.io", "authorization.k8s.io"]


def test_unknown_path_is_plain_text_404(api: Api) -> None:
    reply = api.get("/api/v1/widgets")
    assert (reply.status, reply.body) == (404, b"404 page not found\n")
    assert reply.headers["Content-Type"] == "text/plain; charset=utf-8"


def test_missing_or_wrong_token_is_401(sim: RunningSim) -> None:
    for token in ("", "wrong"):
        reply = Api(sim, token=token).get("/api/v1/pods")
        assert reply.status == 401
        assert reply.json() == {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": "Unauthorized",
            "reason": "Unauthorized",
            "code": 401,
        }


def test_denied_verb_is_403_with_rbac_text(sim: RunningSim) -> None:
    viewer = Api(sim, token=sim.tokens["viewer"])
    assert viewer.get("/api/v1/namespaces/default/pods").status == 200
    reply = viewer.request("DELETE", "/api/v1/namespaces/default/pods")
    assert reply.status == 403
    assert reply.json()["message"] == (
        'pods is forbidden: User "viewer" cannot deletecollection resource "pods" in API group "" '
        'in the namespace "default"'
    )
    assert reply.json()["details"] == {"kind": "pods"}


def test_list_envelope_and_missing_namespace(api: Api) -> None:
    doc = api.get("/api/v1/namespaces/default/pods").json()
    assert list(doc) == ["kind", "apiVersion", "metadata", "items"]
    assert (doc["kind"], doc["apiVersion"]) == ("PodList", "v1")
    assert all("kind" not in item for item in doc["items"])
    empty = api.get("/api/v1/namespaces/nowhere/pods")
    assert empty.status == 200 and empty.json()["items"] == []


def test_paging_is_a_consistent_snapshot(sim: RunningSim, api: Api) -> None:
    first = api.get("/api/v1/namespaces/default/pods?limit=3").json()
    names = [p["metadata"]["name"] for p in first["items"]]
    assert names == ["crashy", "job-done", "oom-victim"]
    assert first["metadata"]["remainingItemCount"] == 4
    list_rv = first["metadata"]["resourceVersion"]
    sim.state.remove("pods", "default", "web-2")
    sim.state.create(
        "pods", {"metadata": {"name": "zz-new", "namespace": "default"}, "spec": {}, "status": {}}
    )
    rest = []
    token = first["metadata"]["continue"]
    while token:
        page = api.get(f"/api/v1/namespaces/default/pods?limit=3&continue={token}").json()
        assert page["metadata"]["resourceVersion"] == list_rv
        rest += [p["metadata"]["name"] for p in page["items"]]
        token = page["metadata"].get("continue")
    assert rest == ["pending", "web-0", "web-1", "web-2"]


def test_resource_version_zero_ignores_limit(api: Api) -> None:
    doc = api.get("/api/v1/pods?limit=2&resourceVersion=0").json()
    assert len(doc["items"]) == 10 and "continue" not in doc["metadata"]


def test_compaction_expires_continue_tokens(sim: RunningSim, api: Api) -> None:
    first = api.get("/api/v1/pods?limit=4").json()
    sim.state.mutate("pods", "default", "web-0", lambda o: o["metadata"]["labels"].update(x="1"))
    sim.state.compact(sim.state.resource_version)
    reply = api.get(f"/api/v1/pods?limit=4&continue={first['metadata']['continue']}")
    assert reply.status == 410
    body = reply.json()
    assert body["reason"] == "Expired"
    assert body["message"].startswith(
        "The provided continue parameter is too old to display a consistent list result."
    )
    rel, rv = decode_continue(body["metadata"]["continue"])
    assert rv == -1 and rel == decode_continue(first["metadata"]["continue"])[0]
    resumed = api.get(f"/api/v1/pods?limit=100&continue={body['metadata']['continue']}").json()
    assert resumed["metadata"]["resourceVersion"] == str(sim.state.resource_version)
    exact = api.get(
        f"/api/v1/pods?resourceVersion={first['metadata']['resourceVersion']}&resourceVersionMatch=Exact"
    )
    assert exact.status == 410
    assert exact.json()["message"] == "The resourceVersion for the provided list is too old."


def test_list_rv_errors(sim: RunningSim, api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wire_list, "TOO_LARGE_RV_WAIT", 0.1)
    ahead = sim.state.resource_version + 50
    reply = api.get(f"/api/v1/pods?resourceVersion={ahead}&resourceVersionMatch=NotOlderThan")
    assert reply.status == 504
    assert reply.headers["Retry-After"] == "1"
    assert reply.json()["details"]["causes"] == [
        {"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}
    ]
    invalid = api.get("/api/v1/pods?resourceVersionMatch=Exact")
    assert invalid.status == 422
    assert invalid.json()["details"]["kind"] == "ListOptions"
    token = encode_continue("default/web-0\x00", sim.state.resource_version)
    both = api.get(f"/api/v1/pods?continue={token}&resourceVersion=5")
    assert (both.status, both.json()["message"]) == (
        400,
        "specifying resource version is not allowed when using continue",
    )


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("labelSelector=app%3Dweb", ["web-0", "web-1", "web-2"]),
        ("labelSelector=app+in+(web,crashy),tier!%3Dfront", ["crashy"]),
        ("labelSelector=!tier", ["crashy", "job-done", "oom-victim", "pending"]),
        (
            "fieldSelector=status.phase%3DRunning,metadata.name!%3Dweb-0",
            ["crashy", "web-1", "web-2"],
        ),
        ("fieldSelector=spec.nodeName%3D", ["pending"]),
        ("fieldSelector=spec.host%3D", ["pending"]),
        ("fieldSelector=status.podIP%3D10.244.0.3", ["web-1"]),
    ],
)
def test_selectors(api: Api, query: str, expected: list[str]) -> None:
    doc = api.get(f"/api/v1/namespaces/default/pods?{query}").json()
    assert [p["metadata"]["name"] for p in doc["items"]] == expected
    assert "remainingItemCount" not in doc["metadata"]


@pytest.mark.parametrize(
    ("path", "message"),
    [
        (
            "/api/v1/pods?fieldSelector=spec.containers%3Dx",
            "field label not supported: spec.containers",
        ),
        (
            "/api/v1/configmaps?fieldSelector=data.a%3D1",
            '"data.a" is not a known field selector: only "metadata.name", "metadata.namespace"',
        ),
        (
            "/api/v1/pods?fieldSelector=nonsense",
            "invalid selector: 'nonsense'; can't understand 'nonsense'",
        ),
    ],
)
def test_selector_errors_are_400(api: Api, path: str, message: str) -> None:
    reply = api.get(path)
    assert (reply.status, reply.json()["reason"], reply.json()["message"]) == (
        400,
        "BadRequest",
        message,
    )


def test_events_field_selector(api: Api) -> None:
    doc = api.get(
        "/api/v1/events?fieldSelector=involvedObject.kind%3DPod,involvedObject.apiVersion%3Dv1,"
        "involvedObject.name%3Dcrashy&limit=500"
    ).json()
    assert [e["reason"] for e in doc["items"]] == ["BackOff"]
    assert api.get("/api/v1/events?fieldSelector=involvedObject.name%3Dweb-0").json()["items"] == []


def test_table_list_rows_carry_partial_metadata(sim: RunningSim, api: Api) -> None:
    doc = api.get("/api/v1/namespaces/default/pods?limit=2", accept=TABLE).json()
    assert (doc["kind"], doc["apiVersion"]) == ("Table", "meta.k8s.io/v1")
    assert [c["name"] for c in doc["columnDefinitions"]] == [
        "Name",
        "Ready",
        "Status",
        "Restarts",
        "Age",
        "IP",
        "Node",
        "Nominated Node",
        "Readiness Gates",
    ]
    assert [c["priority"] for c in doc["columnDefinitions"]] == [0, 0, 0, 0, 0, 1, 1, 1, 1]
    assert doc["metadata"]["continue"]
    row = doc["rows"][0]
    crashy = sim.state.get("pods", "default", "crashy")
    expected = pod_columns(msgspec.convert(crashy, Pod), sim.state.clock.now())
    assert row["cells"] == [
        expected.name,
        expected.ready,
        expected.status,
        expected.restarts,
        expected.age,
        expected.ip,
        expected.node,
        expected.nominated_node,
        expected.readiness_gates,
    ]
    assert row["cells"][2:4] == [
        "CrashLoopBackOff",
        expected.restarts,
    ] and expected.restarts.startswith("4 (")
    assert row["object"]["kind"] == "PartialObjectMetadata"
    assert (
        row["object"]["metadata"]["uid"]
        == sim.state.get("pods", "default", "crashy")["metadata"]["uid"]
    )
    completed = doc["rows"][1]
    assert completed["conditions"] == [
        {
            "type": "Completed",
            "status": "True",
            "reason": "Succeeded",
            "message": "The pod has completed successfully.",
        }
    ]


@pytest.mark.parametrize(
    ("include", "kind"), [("None", None), ("Object", "Pod"), ("Metadata", "PartialObjectMetadata")]
)
def test_table_include_object(api: Api, include: str, kind: str | None) -> None:
    doc = api.get(
        f"/api/v1/namespaces/default/pods/web-0?includeObject={include}", accept=TABLE
    ).json()
    obj = doc["rows"][0]["object"]
    assert (obj or {}).get("kind") == kind


def test_table_bad_include_object_is_400(api: Api) -> None:
    reply = api.get("/api/v1/pods?includeObject=Everything", accept=TABLE)
    assert (reply.status, reply.json()["message"]) == (
        400,
        'unrecognized includeObject value: "Everything"',
    )


def test_event_table_columns(api: Api) -> None:
    doc = api.get("/api/v1/namespaces/default/events", accept=TABLE).json()
    names = [c["name"] for c in doc["columnDefinitions"] if c["priority"] == 0]
    assert names == ["Last Seen", "Type", "Reason", "Object", "Message"]
    cells = doc["rows"][0]["cells"]
    assert cells[1:5] == ["Warning", "BackOff", "pod/crashy", "spec.containers{app}"]
    assert cells[5] == "kubelet, node-1" and cells[8] == 7


@pytest.mark.parametrize(
    "resource",
    [
        "/api/v1/nodes",
        "/apis/apps/v1/deployments",
        "/api/v1/configmaps",
        "/apis/kubero.dev/v1alpha1/kuberopipelines",
        "/api/v1/namespaces",
    ],
)
def test_partial_object_metadata_list_for_every_kind(
    sim: RunningSim, api: Api, resource: str
) -> None:
    accept = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json"
    doc = api.get(resource, accept=accept).json()
    assert (doc["kind"], doc["apiVersion"]) == ("PartialObjectMetadataList", "meta.k8s.io/v1")
    assert all(i["kind"] == "PartialObjectMetadata" and "spec" not in i for i in doc["items"])


def test_partial_object_metadata_get(sim: RunningSim, api: Api) -> None:
    accept = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1"
    doc = api.get("/api/v1/nodes/node-1", accept=accept).json()
    assert doc == {
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": sim.state.get("nodes", None, "node-1")["metadata"],
    }
    assert api.get("/api/v1/nodes", accept=accept).status == 406


def test_metrics(api: Api) -> None:
    doc = api.get("/apis/metrics.k8s.io/v1beta1/namespaces/default/pods").json()
    assert doc["kind"] == "PodMetricsList"
    assert doc["items"][0]["containers"] == [
        {"name": "app", "usage": {"cpu": "250000000n", "memory": "65536Ki"}}
    ]
    node = api.get("/apis/metrics.k8s.io/v1beta1/nodes/node-1").json()
    assert node["usage"] == {"cpu": "250000000n", "memory": "65536Ki"}
