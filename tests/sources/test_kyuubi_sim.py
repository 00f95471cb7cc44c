"""The Kyuubi poller against the REST lookalike: paging, engines per user, failures kept
stale, and the join of what Kyuubi says to what the pods prove."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from kubetui.model.engines import group_engines
from kubetui.model.kyuubi_join import KyuubiData, disagreement_findings, join_engines
from kubetui.sim.runner import RunningSim, running_sim
from kubetui.sources.kube_client import connect
from kubetui.sources.kyuubi import KyuubiConfig, KyuubiPoller, KyuubiUpdate
from kubetui.sources.snapshot import take_snapshot

PASSWORD_ENV = "KUBETUI_TEST_KYUUBI_PASSWORD"


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSim]:
    with running_sim("incidents", 1, frozen=True, tmp_dir=tmp_path_factory.mktemp("sim")) as s:
        s.kyuubi.slow_seconds = 1.0
        yield s


@pytest.fixture
def kyuubi(sim: RunningSim, monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningSim]:
    monkeypatch.setenv(PASSWORD_ENV, "admin")
    yield sim
    sim.kyuubi.fail_mode = None


def config(sim: RunningSim, **kw) -> KyuubiConfig:
    options = {"url": sim.kyuubi_url, "user": "admin", "password_env": PASSWORD_ENV}
    return KyuubiConfig(**{**options, "timeout": 0.4, **kw})


def test_poll_pages_batches_and_lists_every_users_engines(kyuubi: RunningSim) -> None:
    model = kyuubi.kyuubi.model
    update = KyuubiPoller(config(kyuubi, page_size=3)).poll_once()
    assert update.sync.phase == "live" and update.sync.message is None
    data = update.data
    assert data is not None and data.complete
    # 14 rows in pages of 3: the short last page ends the paging, nothing repeats.
    assert [b.id for b in data.batches] == list(model.batches)
    assert {(e.user, e.ref_id) for e in data.engines} == {(e.user, e.ref_id) for e in model.engines}
    assert {s.identifier for s in data.sessions} == set(model.sessions)


def test_url_may_name_the_api_root(kyuubi: RunningSim) -> None:
    cfg = config(kyuubi, url=kyuubi.kyuubi_url + "/api/v1/")
    assert KyuubiPoller(cfg).poll_once().sync.phase == "live"


@pytest.mark.parametrize(
    ("mode", "cause"),
    [
        ("down", "connection refused (is Kyuubi up, the URL and port right?)"),
        ("slow", "timed out"),
        ("garbage", "GET /batches answered something that is not JSON (text/html)"),
        ("401", "unauthorized (401): check the Kyuubi user and password"),
    ],
)
def test_failures_keep_the_last_good_data_marked_stale(
    kyuubi: RunningSim, mode: str, cause: str
) -> None:
    poller = KyuubiPoller(config(kyuubi))
    good = poller.poll_once().data
    kyuubi.kyuubi.fail_mode = mode
    first = poller.poll_once()
    second = poller.poll_once()
    for update in (first, second):
        assert update.data is good
        assert update.sync.phase == "stale"
        assert update.sync.message == f"Kyuubi at {kyuubi.kyuubi_url}: {cause}"
    assert second.sync.since == first.sync.since  # stale since the first failure
    kyuubi.kyuubi.fail_mode = None
    recovered = poller.poll_once()
    assert recovered.sync.phase == "live" and recovered.data is not good


def test_failure_before_any_good_poll_is_an_error_without_data(kyuubi: RunningSim) -> None:
    kyuubi.kyuubi.fail_mode = "garbage"
    update = KyuubiPoller(config(kyuubi)).poll_once()
    assert (update.sync.phase, update.data) == ("error", None)


def test_missing_password_variable_is_one_line(
    kyuubi: RunningSim, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(PASSWORD_ENV)
    update = KyuubiPoller(config(kyuubi)).poll_once()
    assert update.sync.message == (
        f"Kyuubi at {kyuubi.kyuubi_url}: environment variable {PASSWORD_ENV} is not set"
    )


def test_non_admin_sees_only_own_engines_and_the_listing_is_incomplete(
    kyuubi: RunningSim, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(kyuubi.kyuubi.users, "alice", "secret")
    monkeypatch.setenv(PASSWORD_ENV, "secret")
    data = KyuubiPoller(config(kyuubi, user="alice")).poll_once().data
    assert data is not None and not data.complete
    assert {e.user for e in data.engines} == {"alice"}


def test_wrong_password_is_forbidden(kyuubi: RunningSim, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASSWORD_ENV, "wrong")
    update = KyuubiPoller(config(kyuubi)).poll_once()
    assert update.sync.message == (
        f"Kyuubi at {kyuubi.kyuubi_url}: forbidden (403): check the Kyuubi user and password"
    )


def test_config_rejects_two_password_sources() -> None:
    with pytest.raises(ValueError, match="not both"):
        KyuubiConfig(url="http://k:10099", password_env="A", password_file="/p")


class _SlowClient:
    """Counts how many fetches run at once."""

    def __init__(self) -> None:
        self.active = self.most = self.calls = 0
        self.lock = threading.Lock()

    def fetch(self) -> KyuubiData:
        with self.lock:
            self.active += 1
            self.calls += 1
            self.most = max(self.most, self.active)
        time.sleep(0.03)
        with self.lock:
            self.active -= 1
        return KyuubiData(fetched_at=datetime.now(UTC))


def test_polls_never_stack_and_stop_promptly() -> None:
    client = _SlowClient()
    cfg = KyuubiConfig(url="http://unused:10099", interval=0.001)
    poller = KyuubiPoller(cfg, client=client)  # type: ignore[arg-type]
    posts: list[KyuubiUpdate] = []
    poller.start(posts.append)
    deadline = time.monotonic() + 10
    while client.calls < 5:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    poller.stop()
    assert client.most == 1
    assert len(posts) >= 4 and all(p.sync.phase == "live" for p in posts)


def test_join_shows_where_kyuubi_and_the_pods_disagree(kyuubi: RunningSim) -> None:
    data = KyuubiPoller(config(kyuubi)).poll_once().data
    assert data is not None
    pods = take_snapshot(connect(str(kyuubi.kubeconfig_path))).pods
    engines = join_engines(group_engines(pods), data)
    names = {e.id: e.name for e in engines}
    found = {names[f.evidence["engine_id"]]: f for f in disagreement_findings(engines)}
    # bob's OOM-killed batch: Kyuubi reads the phase (FAILED), the pods prove KILLED.
    assert "Kyuubi says batch ERROR, appState FAILED; the pods prove KILLED (OOMKilled)" in (
        found["daily-report"].summary
    )
    # owned by the dead server kyuubi-1: still RUNNING in the metadata store.
    assert "Kyuubi says batch RUNNING, appState RUNNING; the pods prove KILLED" in (
        found["hourly-sessionize"].summary
    )
    # alice's engine whose ZooKeeper node outlived it.
    registered = [f for f in found.values() if f.evidence["kyuubi_registered"]]
    assert [f.evidence["pod_state"] for f in registered] == ["KILLED"]
    # The finished batch whose driver pod lingers agrees with Kyuubi (it is a zombie).
    assert "nightly-etl" not in found
    users = {e.name: e.user for e in engines if e.kyuubi_meta is not None}
    assert users["daily-report"] == "bob"
