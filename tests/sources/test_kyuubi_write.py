"""KyuubiClient's write calls against the Kyuubi lookalike: answers verbatim, errors in
one line with their status, read-only refusing before any request.

Cases rewritten from apache/kyuubi master ``kyuubi-server/src/test/scala/org/apache/kyuubi/
server/api/v1/AdminResourceSuite.scala`` ("force to kill engine - user share level",
"delete engine - user share level & proxyUser": 403 "Failed to validate proxy privilege
of <real> for <proxy>") and ``BatchesResourceSuite.scala`` (close a batch twice, unknown id
404 "Invalid batchId").
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kubetui.sim import kyuubi as kyuubi_sim
from kubetui.sim.runner import RunningSim, running_sim
from kubetui.sources.kyuubi import KillAnswer, KyuubiClient, KyuubiConfig, KyuubiError

PASSWORD_ENV = "KUBETUI_TEST_KYUUBI_WRITE_PASSWORD"
PASSWORD = "write-test-pw-9f2"


@pytest.fixture
def sim(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningSim]:
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    with running_sim("incidents", 1, frozen=True, tmp_dir=tmp_path / "sim") as running:
        running.kyuubi.users.update({"ops": PASSWORD, "bob": PASSWORD})
        running.kyuubi.admins.add("ops")
        yield running


@pytest.fixture
def methods(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The method of every request the lookalike receives."""
    seen: list[str] = []
    dispatch = kyuubi_sim._Handler._dispatch

    def logged(handler: kyuubi_sim._Handler, method: str) -> None:
        seen.append(method)
        dispatch(handler, method)

    monkeypatch.setattr(kyuubi_sim._Handler, "_dispatch", logged)
    return seen


def client(sim: RunningSim, user: str = "ops", **kw: object) -> KyuubiClient:
    config = KyuubiConfig(url=sim.kyuubi_url, user=user, password_env=PASSWORD_ENV, timeout=2)
    return KyuubiClient(config, **kw)


def running_batch(sim: RunningSim, name: str = "warehouse-load") -> str:
    model = sim.kyuubi.model
    return next(b.id for b in model.batches.values() if b.name == name and b.in_memory)


def test_delete_batch_answers_verbatim_also_when_already_terminal(sim: RunningSim) -> None:
    kyuubi = client(sim)
    batch_id = running_batch(sim)
    first = kyuubi.delete_batch(batch_id)
    assert first.success is True
    assert first.msg.endswith(f"label: kyuubi-unique-tag={batch_id}] is completed")
    again = kyuubi.delete_batch(batch_id)
    assert again == KillAnswer(False, again.msg)
    assert again.msg.startswith("The batch[Metadata(") and again.msg.endswith(
        "has been terminated."
    )
    assert kyuubi.get_batch(batch_id).state == "CANCELED"


def test_unknown_batch_is_a_one_line_error_with_its_status(sim: RunningSim) -> None:
    with pytest.raises(KyuubiError) as caught:
        client(sim).delete_batch("not-a-uuid")
    assert caught.value.status == 404
    assert str(caught.value) == (
        f"Kyuubi at {sim.kyuubi_url}: DELETE /batches/not-a-uuid: HTTP 404: "
        "Invalid batchId: not-a-uuid"
    )


def test_delete_engine_with_kill_deregisters_and_kills(sim: RunningSim) -> None:
    kyuubi = client(sim)
    (engine,) = kyuubi.list_engines("alice", "SPARK_SQL", "USER", "default")
    text = kyuubi.delete_engine("alice", "SPARK_SQL", "USER", "default", kill=True)
    assert text.startswith(
        f"Engine /kyuubi_1.10.1_USER_SPARK_SQL/alice/default refId={engine.ref_id} "
        "is deleted successfully.\nKilled engine with ApplicationManagerInfo("
    )
    assert ": (true," in text
    assert kyuubi.list_engines("alice", "SPARK_SQL", "USER", "default") == []
    assert kyuubi.delete_engine("alice", "SPARK_SQL", "USER", "default") == ""  # no nodes


def test_another_users_engine_needs_admin_rights(sim: RunningSim) -> None:
    bob = client(sim, user="bob")
    assert bob.engine_query("bob", "SPARK_SQL", "USER", None) == {
        "type": "SPARK_SQL",
        "sharelevel": "USER",
    }
    with pytest.raises(KyuubiError) as caught:
        bob.delete_engine("alice", "SPARK_SQL", "USER", "default")
    assert caught.value.status == 403
    assert str(caught.value).endswith(
        "HTTP 403: Failed to validate proxy privilege of bob for alice"
    )
    assert len(sim.kyuubi.model.list_engines("alice", "SPARK_SQL", "USER", "default")) == 1


def test_sessions_open_and_close(sim: RunningSim) -> None:
    kyuubi = client(sim)
    configs = {
        "kyuubi.engine.share.level.subdomain": "relaunch",
        "kyuubi.session.proxy.user": "carol",
    }
    handle = kyuubi.open_session(configs)
    assert sim.kyuubi.model.sessions[handle].user == "carol"
    kyuubi.close_session(handle)
    assert handle not in sim.kyuubi.model.sessions
    with pytest.raises(KyuubiError, match=f"HTTP 404: Invalid session handle: {handle}"):
        kyuubi.close_session(handle)


def test_submit_and_get_a_batch(sim: RunningSim) -> None:
    kyuubi = client(sim)
    request = {
        "batchType": "SPARK",
        "resource": "s3a://jobs/x.jar",
        "className": "com.example.Main",
        "name": "resubmitted",
        "conf": {"spark.kubernetes.namespace": "etl"},
    }
    batch = kyuubi.submit_batch(request)
    assert batch.state == "PENDING" and batch.user == "ops" and batch.name == "resubmitted"
    assert kyuubi.get_batch(batch.id).id == batch.id
    with pytest.raises(KyuubiError) as caught:
        kyuubi.submit_batch({"batchType": "SPARK", "className": "x"})
    assert caught.value.status == 500
    assert str(caught.value).endswith("requirement failed: resource is a required parameter")


def test_read_only_refuses_every_write_before_any_request(
    sim: RunningSim, methods: list[str]
) -> None:
    kyuubi = client(sim, read_only=True)
    batch_id = running_batch(sim)
    writes = [
        lambda: kyuubi.delete_batch(batch_id),
        lambda: kyuubi.delete_engine("alice", "SPARK_SQL", "USER", "default"),
        lambda: kyuubi.open_session({}),
        lambda: kyuubi.close_session(batch_id),
        lambda: kyuubi.submit_batch({"batchType": "SPARK"}),
    ]
    for write in writes:
        with pytest.raises(KyuubiError, match=r"^read-only: refusing "):
            write()
    assert methods == []
    assert kyuubi.get_batch(batch_id).state == "RUNNING"  # reads still work
    assert methods == ["GET"]


def test_kyuubi_down_is_one_line_without_credentials(sim: RunningSim) -> None:
    sim.kyuubi.set_fail_mode("down")
    with pytest.raises(KyuubiError) as caught:
        client(sim).delete_batch(running_batch(sim))
    message = str(caught.value)
    assert message == (
        f"Kyuubi at {sim.kyuubi_url}: connection refused (is Kyuubi up, the URL and port right?)"
    )
    assert caught.value.status is None and PASSWORD not in message
