"""The official ``kubernetes`` Python client against the sim, as against a real server."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from kubernetes import client, config, watch

from kubetui.sim.runner import RunningSim, running_sim
from tests.sim.conftest import FAST, TinyScenario


def _core(sim: RunningSim) -> client.CoreV1Api:
    return client.CoreV1Api(config.new_client_from_config(str(sim.kubeconfig_path)))


def test_list_deserializes_every_object(sim: RunningSim) -> None:
    core = _core(sim)
    pods = core.list_pod_for_all_namespaces()
    assert sorted(p.metadata.name for p in pods.items) == sorted(
        p["metadata"]["name"] for p in sim.state.list("pods")
    )
    assert pods.metadata.resource_version == str(sim.state.resource_version)
    crashy = next(p for p in pods.items if p.metadata.name == "crashy")
    assert crashy.status.container_statuses[0].last_state.terminated.exit_code == 1
    assert [n.metadata.name for n in core.list_node().items] == ["node-1"]
    assert core.list_event_for_all_namespaces().items[0].involved_object.name == "crashy"


def test_incidents_scenario_deserializes(tmp_path: Path) -> None:
    pytest.importorskip("kubetui.sim.scenarios")
    with running_sim("incidents", seed=1, tmp_dir=tmp_path, kyuubi=False) as sim:
        api_client = config.new_client_from_config(str(sim.kubeconfig_path))
        core = client.CoreV1Api(api_client)
        apps = client.AppsV1Api(api_client)
        assert len(core.list_pod_for_all_namespaces().items) == len(sim.state.list("pods"))
        core.list_node()
        core.list_namespace()
        core.list_event_for_all_namespaces()
        apps.list_deployment_for_all_namespaces()
        apps.list_stateful_set_for_all_namespaces()
        apps.list_replica_set_for_all_namespaces()


def test_watch_stream_gets_events_and_bookmarks(sim: RunningSim) -> None:
    core = _core(sim)
    rv = core.list_namespaced_pod("default").metadata.resource_version

    def change() -> None:
        time.sleep(0.2)
        sim.state.mutate(
            "pods", "default", "web-1", lambda o: o["metadata"]["labels"].update(tier="back")
        )

    threading.Thread(target=change).start()
    seen = []
    for event in watch.Watch().stream(
        core.list_namespaced_pod,
        "default",
        resource_version=rv,
        allow_watch_bookmarks=True,
        timeout_seconds=3,
    ):
        seen.append(event)
    types = [e["type"] for e in seen]
    assert "MODIFIED" in types and "BOOKMARK" in types
    modified = next(e for e in seen if e["type"] == "MODIFIED")
    assert modified["object"].metadata.labels["tier"] == "back"
    bookmark = next(e for e in seen if e["type"] == "BOOKMARK")
    assert bookmark["raw_object"]["kind"] == "Pod"
    assert int(bookmark["raw_object"]["metadata"]["resourceVersion"]) >= int(rv)


def test_watch_too_old_resource_version_raises_410_after_one_retry(tmp_path: Path) -> None:
    small_cache = {"watch_cache_min": 2, "watch_cache_max": 4}
    with running_sim(
        TinyScenario(), tmp_dir=tmp_path, settings=FAST, state_options=small_cache
    ) as sim:
        core = _core(sim)
        old = core.list_namespaced_pod("default").metadata.resource_version
        for i in range(6):
            sim.state.mutate(
                "pods", "default", "web-0", lambda o, i=i: o["metadata"]["labels"].update(n=str(i))
            )
        with pytest.raises(client.ApiException) as caught:
            for _ in watch.Watch().stream(
                core.list_namespaced_pod, "default", resource_version=old
            ):
                pass
        assert caught.value.status == 410
        assert "Expired: too old resource version" in caught.value.reason
        watches = [r for r in sim.request_log if "watch=true" in r.query.lower()]
        assert len(watches) == 2 and all(f"resourceVersion={old}" in r.query for r in watches)


def test_delete_with_wrong_uid_precondition_is_409(sim: RunningSim) -> None:
    core = _core(sim)
    uid = sim.state.get("pods", "default", "web-2")["metadata"]["uid"]
    with pytest.raises(client.ApiException) as caught:
        core.delete_namespaced_pod(
            "web-2",
            "default",
            body=client.V1DeleteOptions(preconditions=client.V1Preconditions(uid="not-it")),
        )
    assert caught.value.status == 409
    assert (
        f'Operation cannot be fulfilled on Pod \\"web-2\\": the UID in the precondition '
        f"(not-it) does not "
        f"match the UID in record ({uid}). The object might have been deleted and then recreated"
    ) in caught.value.body
    assert sim.state.get("pods", "default", "web-2") is not None


def test_body_options_win_over_query_dry_run(sim: RunningSim) -> None:
    """A non-empty body makes the server ignore the query: dry_run in the query is lost."""
    core = _core(sim)
    core.delete_namespaced_pod(
        "web-2", "default", body=client.V1DeleteOptions(grace_period_seconds=0), dry_run="All"
    )
    assert sim.state.get("pods", "default", "web-2") is None
    core.delete_namespaced_pod("web-1", "default", dry_run="All")
    assert not sim.state.get("pods", "default", "web-1")["metadata"].get("deletionTimestamp")
