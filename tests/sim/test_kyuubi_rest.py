"""The Kyuubi REST lookalike over HTTP: shapes, quirks, auth, kills, launches, fail modes."""

from __future__ import annotations

import base64
import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from kubetui.sim.kyuubi import KyuubiServer
from kubetui.sim.scenarios import get_scenario
from kubetui.sim.state import SimClock, SimState

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
ADMIN = "Basic " + base64.b64encode(b"admin:secret").decode()
CAROL = "Basic " + base64.b64encode(b"carol:pw").decode()
BATCH_KEYS = [
    "id",
    "user",
    "batchType",
    "name",
    "appStartTime",
    "appId",
    "appUrl",
    "appState",
    "appDiagnostic",
    "kyuubiInstance",
    "state",
    "createTime",
    "endTime",
    "batchInfo",
]


class Client:
    def __init__(self, url: str) -> None:
        self.url = url

    def call(
        self, method: str, path: str, body: Any = None, auth: str | None = ADMIN, timeout: float = 5
    ) -> tuple[int, Any, dict[str, str]]:
        headers = {"Content-Type": "application/json"}
        if auth:
            headers["Authorization"] = auth
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                status, raw, hdrs = resp.status, resp.read(), dict(resp.headers)
        except urllib.error.HTTPError as exc:
            status, raw, hdrs = exc.code, exc.read(), dict(exc.headers)
        if hdrs.get("Content-Type", "").startswith("application/json") and raw:
            return status, json.loads(raw), hdrs
        return status, raw.decode("latin-1"), hdrs


@pytest.fixture
def sim() -> Iterator[tuple[SimState, Any, KyuubiServer, Client]]:
    state = SimState(SimClock(T0))
    scenario = get_scenario("incidents", 7)
    scenario.populate(state)
    server = KyuubiServer(
        state,
        scenario.kyuubi,
        "admin",
        "secret",
        users={"carol": "pw"},
        launch_delay=0.01,
        slow_seconds=0.2,
    )
    url = server.start()
    yield state, scenario, server, Client(url)
    server.stop()


def _wait(predicate, timeout: float = 3.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        time.sleep(0.01)


def _tagged(state: SimState, tag: str) -> list[dict]:
    return [
        p for p in state.list("pods") if p["metadata"]["labels"].get("kyuubi-unique-tag") == tag
    ]


def test_ping_version_and_auth(sim):
    _, _, _, c = sim
    assert c.call("GET", "/api/v1/ping", auth=None)[:2] == (200, "pong")
    status, _, headers = c.call("GET", "/api/v1/version", auth=None)
    assert (status, headers["WWW-Authenticate"]) == (401, "Basic")
    bad = "Basic " + base64.b64encode(b"admin:nope").decode()
    assert c.call("GET", "/api/v1/version", auth=bad)[0] == 403
    assert c.call("GET", "/api/v1/version")[:2] == (200, {"version": "1.10.1"})
    assert c.call("GET", "/api/v1/nowhere")[:2] == (404, {"message": "HTTP 404 Not Found"})


def test_batch_list_pages_and_total_is_the_page_size(sim):
    _, scenario, _, c = sim
    everything = list(scenario.kyuubi.batches)
    seen, start = [], 0
    while True:
        status, page, _ = c.call("GET", f"/api/v1/batches?from={start}&size=5")
        assert status == 200
        assert page["from"] == start
        assert page["total"] == len(page["batches"])  # not the grand total
        seen += [b["id"] for b in page["batches"]]
        if len(page["batches"]) < 5:
            break
        start += 5
    assert seen == everything  # key_id order, oldest first
    assert list(page["batches"][0]) == BATCH_KEYS
    _, desc, _ = c.call("GET", "/api/v1/batches?desc=true&size=1")
    assert desc["batches"][0]["id"] == everything[-1]


def test_batch_list_filters(sim):
    _, _, _, c = sim
    _, page, _ = c.call("GET", "/api/v1/batches?batchUser=bob&batchState=error")
    assert {(b["user"], b["state"]) for b in page["batches"]} == {("bob", "ERROR")}
    names = {b["name"] for b in page["batches"]}
    assert names == {"daily-report", "ml-train"}
    _, page, _ = c.call("GET", "/api/v1/batches?batchType=PYSPARK")
    assert page == {"from": 0, "total": 0, "batches": []}


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            "batchState=DONE",
            "requirement failed: The valid batch state can be one of the "
            "following: PENDING,RUNNING,FINISHED,ERROR,CANCELED",
        ),
        ("createTime=10&endTime=5", "requirement failed: Invalid time range"),
        ("createTime=-1", "requirement failed: Invalid time range"),
    ],
)
def test_batch_list_validation_is_a_500(sim, query, message):
    _, _, _, c = sim
    assert c.call("GET", f"/api/v1/batches?{query}")[:2] == (500, {"message": message})


def test_oom_killed_batch_as_kyuubi_shows_it(sim):
    _, scenario, _, c = sim
    batch_id = next(
        b.id for b in scenario.kyuubi.batches.values() if b.name == "daily-report" and b.in_memory
    )
    status, batch, _ = c.call("GET", f"/api/v1/batches/{batch_id}")
    assert status == 200
    assert (batch["state"], batch["appState"]) == ("ERROR", "FAILED")
    diagnostic = json.loads(batch["appDiagnostic"])
    terminated = diagnostic["PodStatus"]["containerStatuses"][0]["state"]["terminated"]
    assert (terminated["reason"], terminated["exitCode"]) == ("OOMKilled", 137)
    assert batch["appUrl"].startswith("http://") and batch["appUrl"].endswith(".svc:4040")
    assert c.call("GET", "/api/v1/batches/nope")[:2] == (404, {"message": "Invalid batchId: nope"})
    ok, msg = c.call("DELETE", f"/api/v1/batches/{batch_id}")[1].values()
    assert (ok, msg) == (False, f"batch {batch_id} is already terminal so can not kill it.")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"batchType": "HIVE", "resource": "x"},
            "requirement failed: HIVE is not in the supported list: Set(SPARK, PYSPARK)}",
        ),
        ({"batchType": "spark"}, "requirement failed: resource is a required parameter"),
        (
            {"batchType": "SPARK", "resource": "x.jar"},
            "requirement failed: classname is a required parameter for SPARK",
        ),
        (
            {"batchType": "PYSPARK", "resource": "x.py", "conf": {"kyuubi.batch.id": "b1"}},
            "kyuubi.batch.id=b1 must be an UUID",
        ),
    ],
)
def test_submit_validation_is_a_500(sim, body, message):
    _, _, _, c = sim
    assert c.call("POST", "/api/v1/batches", body)[:2] == (500, {"message": message})


def test_submit_runs_pods_and_delete_kills_the_driver(sim):
    state, _, _, c = sim
    request = {
        "batchType": "SPARK",
        "resource": "s3a://jobs/x.jar",
        "className": "x.Main",
        "name": "rest-job",
        "conf": {"kyuubi.session.proxy.user": "bob"},
    }
    status, batch, _ = c.call("POST", "/api/v1/batches", request)
    assert status == 200
    assert (batch["state"], batch["appId"], batch["user"]) == ("PENDING", None, "bob")
    _wait(lambda: len(_tagged(state, batch["id"])) == 1)
    (driver,) = _tagged(state, batch["id"])
    assert driver["metadata"]["namespace"] == "spark-bob"
    _, live, _ = c.call("GET", f"/api/v1/batches/{batch['id']}")
    assert (live["state"], live["appState"]) == ("RUNNING", "RUNNING")
    assert live["appId"] == driver["metadata"]["labels"]["spark-app-selector"]
    again = dict(request, conf={**request["conf"], "kyuubi.batch.id": batch["id"]})
    _, dup, _ = c.call("POST", "/api/v1/batches", again)
    assert dup["batchInfo"] == {"kyuubi.batch.duplicated": "true"}

    _, killed, _ = c.call("DELETE", f"/api/v1/batches/{batch['id']}")
    assert killed["success"] is True
    assert killed["msg"].endswith(f"label: kyuubi-unique-tag={batch['id']}] is completed")
    (deleting,) = _tagged(state, batch["id"])
    assert deleting["metadata"]["deletionTimestamp"]
    _, after, _ = c.call("GET", f"/api/v1/batches/{batch['id']}")
    assert (after["state"], after["appState"]) == ("CANCELED", "RUNNING")  # pre-1.12 quirk
    _, second, _ = c.call("DELETE", f"/api/v1/batches/{batch['id']}")
    assert second["success"] is False
    assert second["msg"].startswith(f"The batch[Metadata({batch['id']},BATCH,bob,bob,")


def test_delete_of_a_dead_instances_batch_fails_to_redirect(sim):
    state, scenario, _, c = sim
    stale = next(b for b in scenario.kyuubi.batches.values() if b.name == "hourly-sessionize")
    _, resp, _ = c.call("DELETE", f"/api/v1/batches/{stale.id}")
    assert resp["success"] is False
    assert f"Connect to {stale.kyuubi_instance} failed: Connection refused" in resp["msg"]
    assert _tagged(state, stale.id)  # Kyuubi deleted nothing


def test_non_admin_cannot_act_for_others(sim):
    _, scenario, _, c = sim
    bob_batch = next(b.id for b in scenario.kyuubi.batches.values() if b.user == "bob")
    status, body, _ = c.call("DELETE", f"/api/v1/batches/{bob_batch}", auth=CAROL)
    assert (status, body) == (
        403,
        {"message": "Failed to validate proxy privilege of carol for bob"},
    )
    assert c.call("GET", "/api/v1/admin/server", auth=CAROL)[0] == 403
    assert c.call("GET", "/api/v1/admin/engine", auth=CAROL)[:2] == (200, [])


def test_engines_and_sessions(sim):
    state, _, _, c = sim
    _, engines, _ = c.call("GET", "/api/v1/admin/engine?proxyUser=alice")
    assert {e["subdomain"] for e in engines} == {"default", "adhoc"}
    adhoc = next(e for e in engines if e["subdomain"] == "adhoc")
    assert adhoc["namespace"] == "/kyuubi_1.10.1_USER_SPARK_SQL/alice/adhoc"
    assert list(adhoc) == [
        "version",
        "user",
        "engineType",
        "sharelevel",
        "subdomain",
        "instance",
        "namespace",
        "attributes",
    ]
    ref = adhoc["attributes"]["refId"]
    (driver,) = _tagged(state, ref)
    assert (
        adhoc["attributes"]["kyuubi.engine.id"]
        == driver["metadata"]["labels"]["spark-app-selector"]
    )
    _, text, _ = c.call("DELETE", "/api/v1/admin/engine?proxyUser=alice&subdomain=adhoc&kill=true")
    assert text.startswith(
        f"Engine /kyuubi_1.10.1_USER_SPARK_SQL/alice/adhoc refId={ref} is "
        "deleted successfully.\nKilled engine with "
    )
    assert text.endswith("is in FAILED state)")  # Kyuubi kills nothing it thinks failed
    _, left, _ = c.call("GET", "/api/v1/admin/engine?proxyUser=alice")
    assert [e["subdomain"] for e in left] == ["default"]

    status, handle, _ = c.call(
        "POST", "/api/v1/sessions", {"configs": {"kyuubi.session.proxy.user": "bob"}}
    )
    assert status == 200 and set(handle) == {"identifier", "kyuubiInstance"}
    _wait(lambda: len(_tagged(state, handle["identifier"])) == 1)
    _, bobs, _ = c.call("GET", "/api/v1/admin/engine?proxyUser=bob")
    assert [e["attributes"]["refId"] for e in bobs] == [handle["identifier"]]
    _, event, _ = c.call("GET", f"/api/v1/sessions/{handle['identifier']}")
    assert event["sessionId"] == handle["identifier"] and event["engineId"].startswith("spark-")
    _, sessions, _ = c.call("GET", "/api/v1/sessions")
    assert handle["identifier"] in {s["identifier"] for s in sessions}
    assert c.call("DELETE", f"/api/v1/sessions/{handle['identifier']}")[:2] == (200, "")
    missing = c.call("DELETE", f"/api/v1/sessions/{handle['identifier']}")
    assert missing[:2] == (404, {"message": f"Invalid session handle: {handle['identifier']}"})
    assert c.call("DELETE", "/api/v1/sessions/not-a-uuid")[0] == 500

    _, killed, _ = c.call("DELETE", "/api/v1/admin/engine?proxyUser=bob&kill=true")
    assert "(true,[KubernetesInfo(Some(sim),Some(spark-bob))] Operation of deleted" in killed
    (deleting,) = _tagged(state, handle["identifier"])
    assert deleting["metadata"]["deletionTimestamp"]


def test_fail_modes(sim):
    _, _, server, c = sim
    server.set_fail_mode("garbage")
    status, body, _ = c.call("GET", "/api/v1/version")
    assert status == 200 and not body.startswith("{")
    server.set_fail_mode("401")
    assert c.call("GET", "/api/v1/version")[0] == 401
    server.set_fail_mode("slow")
    with pytest.raises(TimeoutError):
        c.call("GET", "/api/v1/version", timeout=0.05)
    server.fail_mode = "down"
    with pytest.raises(urllib.error.URLError):
        c.call("GET", "/api/v1/version")
    server.fail_mode = None
    assert c.call("GET", "/api/v1/version")[:2] == (200, {"version": "1.10.1"})
    with pytest.raises(ValueError):
        server.set_fail_mode("flaky")
