"""DELETE, eviction, PATCH (rollout restart + controllers), create, and pods/log."""

from __future__ import annotations

import pytest

from kubetui.sim import wire_status
from kubetui.sim.runner import RunningSim
from kubetui.sim.wire_logs import choose_container
from tests.sim.conftest import Api, container_status, pod

PODS = "/api/v1/namespaces/default/pods"


def test_graceful_pod_delete_returns_the_pod(sim: RunningSim, api: Api) -> None:
    reply = api.request(
        "DELETE",
        f"{PODS}/web-0",
        {"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": "Background"},
    )
    assert reply.status == 200
    pod = reply.json()
    assert (pod["kind"], pod["metadata"]["deletionGracePeriodSeconds"]) == ("Pod", 30)
    assert pod["metadata"]["deletionTimestamp"]
    assert sim.state.get("pods", "default", "web-0")["metadata"]["deletionTimestamp"]
    sim.state.clock.advance(29)
    assert sim.state.get("pods", "default", "web-0") is not None
    sim.state.clock.advance(2)
    assert sim.state.get("pods", "default", "web-0") is None


def test_second_delete_can_only_shorten(sim: RunningSim, api: Api) -> None:
    api.request("DELETE", f"{PODS}/web-0?gracePeriodSeconds=20")
    again = api.request("DELETE", f"{PODS}/web-0?gracePeriodSeconds=60").json()
    assert again["metadata"]["deletionGracePeriodSeconds"] == 20
    shorter = api.request("DELETE", f"{PODS}/web-0?gracePeriodSeconds=5").json()
    assert shorter["metadata"]["deletionGracePeriodSeconds"] == 5
    sim.state.clock.advance(6)
    assert sim.state.get("pods", "default", "web-0") is None


@pytest.mark.parametrize("name", ["pending", "oom-victim", "job-done"])
def test_unscheduled_or_finished_pods_go_at_once(sim: RunningSim, api: Api, name: str) -> None:
    """pod/strategy.go CheckGracefulDelete: grace 0 when unscheduled or terminal."""
    reply = api.request("DELETE", f"{PODS}/{name}")
    assert reply.status == 200 and reply.json()["metadata"]["deletionGracePeriodSeconds"] == 0
    assert sim.state.get("pods", "default", name) is None


def test_body_replaces_query(sim: RunningSim, api: Api) -> None:
    api.request("DELETE", f"{PODS}/web-1?dryRun=All", {"gracePeriodSeconds": 0})
    assert sim.state.get("pods", "default", "web-1") is None
    rv = sim.state.resource_version
    dry = api.request("DELETE", f"{PODS}/web-2?dryRun=All&gracePeriodSeconds=0")
    assert dry.status == 200 and dry.json()["metadata"]["name"] == "web-2"
    assert (
        sim.state.resource_version == rv and sim.state.get("pods", "default", "web-2") is not None
    )


@pytest.mark.parametrize(
    ("preconditions", "message"),
    [
        (
            {"uid": "u-1"},
            'Operation cannot be fulfilled on Pod "web-0": the UID in the precondition (u-1) '
            "does not "
            "match the UID in record ({uid}). The object might have been deleted and then "
            "recreated",
        ),
        (
            {"resourceVersion": "1"},
            'Operation cannot be fulfilled on Pod "web-0": the ResourceVersion in the '
            "precondition (1) does not match the ResourceVersion in record ({rv}). "
            "The object might have been modified",
        ),
    ],
)
def test_precondition_conflicts(
    sim: RunningSim, api: Api, preconditions: dict, message: str
) -> None:
    meta = sim.state.get("pods", "default", "web-0")["metadata"]
    reply = api.request("DELETE", f"{PODS}/web-0", {"preconditions": preconditions})
    assert reply.status == 409
    body = reply.json()
    assert body["message"] == message.format(uid=meta["uid"], rv=meta["resourceVersion"])
    assert (body["reason"], body["details"]) == ("Conflict", {"name": "web-0", "kind": "Pod"})


def test_not_found_status(api: Api) -> None:
    reply = api.request("DELETE", f"{PODS}/ghost")
    assert reply.status == 404
    assert reply.json() == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": 'pods "ghost" not found',
        "reason": "NotFound",
        "details": {"name": "ghost", "kind": "pods"},
        "code": 404,
    }


def test_other_kinds_answer_a_success_status(sim: RunningSim, api: Api) -> None:
    uid = sim.state.get("configmaps", "default", "settings")["metadata"]["uid"]
    reply = api.request("DELETE", "/api/v1/namespaces/default/configmaps/settings")
    assert reply.json() == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Success",
        "details": {"name": "settings", "kind": "configmaps", "uid": uid},
    }


def test_finalizers_hold_the_object(sim: RunningSim, api: Api) -> None:
    sim.state.mutate(
        "configmaps",
        "default",
        "settings",
        lambda o: o["metadata"].update(finalizers=["example.com/keep"]),
    )
    held = api.request("DELETE", "/api/v1/namespaces/default/configmaps/settings").json()
    assert held["kind"] == "ConfigMap" and held["metadata"]["deletionTimestamp"]
    sim.state.mutate("configmaps", "default", "settings", lambda o: o["metadata"].pop("finalizers"))
    assert sim.state.get("configmaps", "default", "settings") is None


def test_orphan_policy_keeps_executors(sim: RunningSim, api: Api) -> None:
    api.request(
        "DELETE",
        "/api/v1/namespaces/spark/pods/spark-pi-driver",
        {"propagationPolicy": "Orphan", "gracePeriodSeconds": 0},
    )
    sim.state.process_due()
    assert sim.state.get("pods", "spark", "spark-pi-driver") is None
    executors = sim.state.list("pods", "spark")
    assert len(executors) == 2 and all("ownerReferences" not in e["metadata"] for e in executors)


def test_delete_collection_returns_a_pod_list(sim: RunningSim, api: Api) -> None:
    reply = api.request("DELETE", f"{PODS}?labelSelector=app%3Dweb")
    doc = reply.json()
    assert (reply.status, doc["kind"]) == (200, "PodList")
    assert [p["metadata"]["name"] for p in doc["items"]] == ["web-0", "web-1", "web-2"]
    assert all(p["metadata"]["deletionTimestamp"] for p in doc["items"])


def test_eviction_is_201_status(sim: RunningSim, api: Api) -> None:
    body = {
        "apiVersion": "policy/v1",
        "kind": "Eviction",
        "metadata": {"name": "web-0", "namespace": "default"},
        "deleteOptions": {"gracePeriodSeconds": 0},
    }
    reply = api.request("POST", f"{PODS}/web-0/eviction", body)
    assert reply.status == 201
    assert reply.json() == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Success",
        "code": 201,
    }
    assert sim.state.get("pods", "default", "web-0") is None


def test_rollout_restart_replaces_pods(sim: RunningSim, api: Api) -> None:
    template = {
        "metadata": {"labels": {"app": "api"}},
        "spec": {"containers": [{"name": "api", "image": "api:1"}]},
    }
    api.request(
        "POST",
        "/apis/apps/v1/namespaces/default/deployments",
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "api"},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": {"app": "api"}},
                "template": template,
            },
        },
    )
    _wait(lambda: len(_api_pods(sim)) == 2)
    before = {p["metadata"]["name"] for p in _api_pods(sim)}
    patch = {
        "spec": {
            "template": {
                "metadata": {
                    "annotations": {
                        "kubectl.kubernetes.io/restartedAt": "2024-05-01T12:00:00+02:00"
                    }
                }
            }
        }
    }
    reply = api.request(
        "PATCH",
        "/apis/apps/v1/namespaces/default/deployments/api?fieldManager=kubectl-rollout",
        patch,
        content_type="application/strategic-merge-patch+json",
    )
    assert reply.status == 200
    assert reply.json()["spec"]["template"]["metadata"]["annotations"][
        "kubectl.kubernetes.io/restartedAt"
    ]
    _wait(
        lambda: (
            {
                p["metadata"]["name"]
                for p in _api_pods(sim)
                if not p["metadata"].get("deletionTimestamp")
            }.isdisjoint(before)
            and len([p for p in _api_pods(sim) if not p["metadata"].get("deletionTimestamp")]) == 2
        )
    )
    sim.state.clock.advance(31)
    _wait(lambda: {p["metadata"]["name"] for p in _api_pods(sim)}.isdisjoint(before))


def _api_pods(sim: RunningSim) -> list[dict]:
    return [
        p
        for p in sim.state.list("pods", "default")
        if p["metadata"].get("labels", {}).get("app") == "api"
    ]


def _wait(predicate, limit: float = 10.0) -> None:
    import time

    deadline = time.monotonic() + limit
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.05)


def test_merge_patch_and_crd_strategic_415(sim: RunningSim, api: Api) -> None:
    reply = api.request(
        "PATCH",
        f"{PODS}/web-0",
        {"metadata": {"labels": {"tier": None, "x": "1"}}},
        content_type="application/merge-patch+json",
    )
    assert reply.json()["metadata"]["labels"] == {"app": "web", "x": "1"}
    sim.state.create(
        "kuberopipelines", {"metadata": {"name": "p", "namespace": "default"}, "spec": {}}
    )
    crd = api.request(
        "PATCH",
        "/apis/kubero.dev/v1alpha1/namespaces/default/kuberopipelines/p",
        {"spec": {"a": 1}},
        content_type="application/strategic-merge-patch+json",
    )
    assert crd.status == 415


def test_create_conflict_and_missing_namespace(api: Api) -> None:
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "web-0"},
        "spec": {"containers": [{"name": "app", "image": "busybox:1.36"}]},
    }
    assert api.request("POST", PODS, pod).json()["message"] == 'pods "web-0" already exists'
    reply = api.request("POST", "/api/v1/namespaces/ghost/pods", pod)
    assert (reply.status, reply.json()["message"]) == (404, 'namespaces "ghost" not found')


# ------------------------------------------------------------------ pods/log


@pytest.mark.parametrize(
    ("query", "body"),
    [
        ("", b"line 0\nline 1\nline 2\nline 3\nline 4\n"),
        ("?tailLines=2", b"line 3\nline 4\n"),
        ("?tailLines=0", b""),
        ("?limitBytes=9", b"line 0\nli"),
        ("?container=app&tailLines=1", b"line 4\n"),
    ],
)
def test_logs_options(api: Api, query: str, body: bytes) -> None:
    reply = api.get(f"{PODS}/web-0/log{query}")
    assert (reply.status, reply.body) == (200, body)
    assert reply.headers["Content-Type"] == "text/plain"


def test_logs_timestamps(sim: RunningSim, api: Api) -> None:
    line = api.get(f"{PODS}/web-0/log?timestamps=true&tailLines=1").body.decode()
    stamp, text = line.split(" ", 1)
    assert text == "line 4\n" and stamp.endswith(".000000000Z") and len(stamp) == 30


@pytest.mark.parametrize(
    ("path", "status", "message"),
    [
        (
            "pending-start/log",
            400,
            'container "app" in pod "pending-start" is waiting to start: ContainerCreating',
        ),
        (
            "web-0/log?previous=true",
            400,
            'previous terminated container "app" in pod "web-0" not found',
        ),
        ("web-0/log?container=nope", 400, "container nope is not valid for pod web-0"),
        (
            "web-0/log?tailLines=-1",
            422,
            'PodLogOptions "web-0" is invalid: tailLines: Invalid value: -1: '
            "must be greater than or equal to 0",
        ),
        ("ghost/log", 404, 'pods "ghost" not found'),
    ],
)
def test_log_errors(sim: RunningSim, api: Api, path: str, status: int, message: str) -> None:
    waiting = pod(
        "pending-start",
        statuses=[
            container_status(
                "app",
                "busybox:1.36",
                ready=False,
                state={"waiting": {"reason": "ContainerCreating"}},
            )
        ],
    )
    sim.state.create("pods", waiting)
    reply = api.get(f"{PODS}/{path}")
    assert (reply.status, reply.json()["message"]) == (status, message)


def test_crash_looping_container_shows_its_last_run(api: Api) -> None:
    assert api.get(f"{PODS}/crashy/log").body == b"boom 1\nboom 2\n"


# Rewritten from kubernetes/kubernetes pkg/registry/core/pod/strategy_test.go
# TestCheckLogLocation (master, 2026-07): (containers, init, ephemeral, requested) -> error
LOG_LOCATION_CASES = [
    (["mycontainer"], [], [], "", None),
    ([], [], [], "", "a container name must be specified for pod test"),
    (
        ["container1", "container2"],
        [],
        [],
        "",
        "a container name must be specified for pod test, choose one of: [container1 container2]",
    ),
    (
        ["container1", "container2"],
        ["initcontainer1"],
        [],
        "",
        "a container name must be specified for pod test, choose one of: "
        "[initcontainer1 container1 container2]",
    ),
    (
        ["container1", "container2"],
        ["initcontainer1"],
        ["debugger"],
        "",
        "a container name must be specified for pod test, choose one of: "
        "[initcontainer1 container1 container2 debugger]",
    ),
    (
        ["container1", "container2"],
        [],
        [],
        "unknown",
        "container unknown is not valid for pod test",
    ),
    (["container1", "container2"], [], [], "container2", None),
]


@pytest.mark.parametrize(
    ("containers", "inits", "ephemeral", "requested", "error"), LOG_LOCATION_CASES
)
def test_log_container_choice(containers, inits, ephemeral, requested, error) -> None:
    spec = {
        "containers": [{"name": c} for c in containers],
        "initContainers": [{"name": c} for c in inits],
        "ephemeralContainers": [{"name": c} for c in ephemeral],
    }
    pod_obj = {"metadata": {"name": "test"}, "spec": spec}
    if error is None:
        assert choose_container(pod_obj, requested) == (requested or containers[0])
    else:
        with pytest.raises(wire_status.ApiError) as caught:
            choose_container(pod_obj, requested)
        assert (caught.value.code, caught.value.message) == (400, error)


def test_unscheduled_pod_has_empty_log(api: Api) -> None:
    reply = api.get(f"{PODS}/pending/log")
    assert (reply.status, reply.body) == (200, b"")


def test_follow_streams_appended_lines(sim: RunningSim, api: Api) -> None:
    conn = api.conn()
    conn.request(
        "GET",
        f"{PODS}/web-0/log?follow=true&tailLines=1",
        headers={"Authorization": f"Bearer {sim.token}"},
    )
    resp = conn.getresponse()
    assert resp.readline() == b"line 4\n"
    sim.state.append_log("default", "web-0", "app", "fresh")
    assert resp.readline() == b"fresh\n"
    sim.state.remove("pods", "default", "web-0")
    assert resp.read() == b""
    conn.close()
