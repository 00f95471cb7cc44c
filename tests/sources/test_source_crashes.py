"""Every source fails loudly and comes back: an exception no source handles on purpose is
injected at each stage of each source (the LIST decode, the watch, the poll, the report,
the post to the receiver), against the simulator. Each time the source posts its "error"
state with the one-line cause (``stale`` once it had delivered data), the traceback is
logged, and the source recovers: later changes arrive again and the state is "live"."""

from __future__ import annotations

import dataclasses
import queue
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from kubetui.model.store import SyncState
from kubetui.sim.runner import RunningSim, running_sim
from kubetui.sources import churn as churn_module
from kubetui.sources import ingest as ingest_module
from kubetui.sources import metrics as metrics_module
from kubetui.sources.churn import ChurnUpdate, ChurnWatcher, WatchedKind
from kubetui.sources.kube_client import KubeClient, connect
from kubetui.sources.kyuubi import KyuubiConfig, KyuubiPoller
from kubetui.sources.metrics import MetricsPoller, decode_pod_metrics
from kubetui.sources.reflector import PODS
from kubetui.sources.supervise import Backoff
from tests.sim.conftest import FAST, TinyScenario
from tests.sim.conftest import pod as pod_dict
from tests.sources.faults import Fault
from tests.sources.ingest_support import ClusterScopeRefused, Fed, describe_diff, in_sync
from tests.waiting import until

PASSWORD_ENV = "KUBETUI_TEST_KYUUBI_PASSWORD"


def quick() -> Backoff:
    return Backoff(initial=0.05, cap=0.2)


def kube_of(sim: RunningSim) -> KubeClient:
    return connect(str(sim.kubeconfig_path))


wait_for = partial(until, timeout=15.0, interval=0.02)


def recovered(syncs: list[SyncState], fault: Fault, *, stale: bool) -> bool:
    """The source said "error" with the fault's cause, and "live" after it."""
    errors = [i for i, s in enumerate(syncs) if s.phase == "error"]
    if not errors:
        return False
    error = syncs[errors[0]]
    assert (error.message, error.stale) == (fault.cause, stale), error
    return any(s.phase == "live" for s in syncs[errors[0] + 1 :])


def logged(caplog: pytest.LogCaptureFixture, fault: Fault) -> None:
    """The failure's traceback is in the log, under the supervisor."""
    records = [r for r in caplog.records if r.name == "kubetui.sources.supervise"]
    assert any(r.exc_info and str(r.exc_info[1]) == fault.message for r in records)
    assert "Traceback (most recent call last)" in caplog.text
    assert fault.cause in caplog.text


# ------------------------------------------------------------------ the pod/node ingest


@pytest.fixture
def tiny(tmp_path: Path) -> Iterator[RunningSim]:
    with running_sim(TinyScenario(), tmp_dir=tmp_path, settings=FAST) as running:
        yield running


def synced(fed: Fed, sim: RunningSim) -> None:
    try:
        fed.wait_for(
            lambda: in_sync(fed, sim) and fed.last("pods").phase == "live", "pods back in sync"
        )
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{describe_diff(fed, sim)}") from None


def pod_syncs(fed: Fed) -> list[SyncState]:
    return [s for s in fed.syncs if s.source == "pods"]


def test_a_fault_in_the_list_decode(
    tiny: RunningSim, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    fault = Fault(PODS.decode_page, "the LIST decode")
    monkeypatch.setattr(ingest_module, "PODS", dataclasses.replace(PODS, decode_page=fault))
    with Fed(kube_of(tiny)) as fed:
        synced(fed, tiny)
        assert fault.raised == 1
        assert recovered(pod_syncs(fed), fault, stale=False)
    logged(caplog, fault)


def test_a_fault_in_the_watch(
    tiny: RunningSim, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    fault = Fault(PODS.decode_event, "the watch", when=lambda line: b"late-pod" in line)
    monkeypatch.setattr(ingest_module, "PODS", dataclasses.replace(PODS, decode_event=fault))
    with Fed(kube_of(tiny)) as fed:
        synced(fed, tiny)
        tiny.state.create("pods", pod_dict("late-pod"))
        tiny.state.create("pods", pod_dict("later-pod"))
        fed.wait_for(lambda: recovered(pod_syncs(fed), fault, stale=True), "the recovery")
        synced(fed, tiny)  # both pods, the one whose event was lost included
        assert fault.raised == 1
    logged(caplog, fault)


def test_a_fault_posting_watch_changes(tiny: RunningSim, caplog: pytest.LogCaptureFixture) -> None:
    """The flusher's post of a change batch raised: those changes are lost, so the
    reflector fails in its own thread and relists."""
    fed = Fed(kube_of(tiny))
    fault = Fault(fed.inbox.put, "the post of watch changes", when=lambda batch: batch.changes)
    fed.inbox.put = fault  # type: ignore[method-assign]
    with fed:
        synced(fed, tiny)
        tiny.state.create("pods", pod_dict("late-pod"))
        fed.wait_for(lambda: recovered(pod_syncs(fed), fault, stale=True), "the recovery")
        synced(fed, tiny)
        assert "late-pod" in {p.metadata.name for p in fed.store.pods.values()}
    logged(caplog, fault)


def test_a_fault_posting_the_snapshot(tiny: RunningSim, caplog: pytest.LogCaptureFixture) -> None:
    fed = Fed(kube_of(tiny))
    fault = Fault(
        fed.inbox.put,
        "the post of the LIST",
        when=lambda batch: batch.kind == "Pod" and batch.snapshot is not None,
    )
    fed.inbox.put = fault  # type: ignore[method-assign]
    with fed:
        synced(fed, tiny)
        assert recovered(pod_syncs(fed), fault, stale=False)
    logged(caplog, fault)


def test_a_fault_in_the_namespace_fallback(
    tiny: RunningSim, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Pods refused cluster-wide: the fallback to the namespaces fails half-way (after
    starting the first one's watch); it runs again and watches each namespace once."""
    real = kube_of(tiny)
    kube = ClusterScopeRefused(real.api, real.context, real.server, real.namespace, real.user)
    fed = Fed(kube)
    fault = Fault(
        fed.ingest._add,
        "the namespace fallback",
        when=lambda _, namespace, **kw: namespace == "spark",
    )
    monkeypatch.setattr(fed.ingest, "_add", fault)
    with fed:
        fed.wait_for(
            lambda: (
                in_sync(fed, tiny)
                and fed.last("pods/spark") is not None
                and fed.last("pods/spark").phase == "live"
            ),
            "the per-namespace sync",
        )
        phases = [(s.phase, s.message) for s in pod_syncs(fed) if s.phase != "listing"]
        assert [p for p, _ in phases] == ["forbidden", "error", "forbidden"]
        assert phases[1][1] == fault.cause
        sources = sorted(r.source for r in fed.ingest.reflectors)
        assert sources == ["nodes", "pods", "pods/default", "pods/spark"]
        assert fed.ingest.synced_after is not None  # every first LIST counted once
    logged(caplog, fault)


# ------------------------------------------------------------------ pollers


@pytest.fixture(scope="module")
def incidents(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSim]:
    with running_sim("incidents", 1, frozen=True, tmp_dir=tmp_path_factory.mktemp("sim")) as s:
        yield s


class Posts:
    """What a source posted, in order."""

    def __init__(self) -> None:
        self.inbox: queue.Queue[Any] = queue.Queue()
        self.seen: list[Any] = []

    def post(self, update: Any) -> None:
        self.inbox.put(update)

    def syncs(self) -> list[SyncState]:
        while not self.inbox.empty():
            self.seen.append(self.inbox.get_nowait())
        return [u.sync for u in self.seen]


def run_until_recovered(source: Any, post: Callable[[Any], None], posts: Posts, fault: Fault,
                        *, stale: bool) -> None:  # fmt: skip
    source.start(post)
    try:
        wait_for(lambda: recovered(posts.syncs(), fault, stale=stale), "the recovery")
    finally:
        source.stop()
    assert fault.raised == 1


def test_a_fault_in_the_metrics_poll(
    incidents: RunningSim, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    fault = Fault(decode_pod_metrics, "the metrics poll", skip=1)
    monkeypatch.setattr(metrics_module, "decode_pod_metrics", fault)
    poller = MetricsPoller(kube_of(incidents), interval=0.02, backoff=quick())
    posts = Posts()
    run_until_recovered(poller, posts.post, posts, fault, stale=True)
    first, error = posts.seen[0], next(u for u in posts.seen if u.sync.phase == "error")
    assert error.pods == first.pods and error.nodes == first.nodes  # kept, marked stale
    logged(caplog, fault)


def test_a_fault_posting_metrics(incidents: RunningSim, caplog: pytest.LogCaptureFixture) -> None:
    poller = MetricsPoller(kube_of(incidents), interval=0.02, backoff=quick())
    posts = Posts()
    fault = Fault(posts.post, "the post of usage", skip=1)
    run_until_recovered(poller, fault, posts, fault, stale=True)
    logged(caplog, fault)


@pytest.fixture
def kyuubi_config(incidents: RunningSim, monkeypatch: pytest.MonkeyPatch) -> KyuubiConfig:
    monkeypatch.setenv(PASSWORD_ENV, "admin")
    return KyuubiConfig(
        url=incidents.kyuubi_url, user="admin", password_env=PASSWORD_ENV, interval=0.02
    )


def test_a_fault_in_the_kyuubi_poll(
    kyuubi_config: KyuubiConfig, caplog: pytest.LogCaptureFixture
) -> None:
    poller = KyuubiPoller(kyuubi_config, backoff=quick())
    fault = Fault(poller.client.fetch, "the Kyuubi poll", skip=1)
    poller.client.fetch = fault  # type: ignore[method-assign]
    posts = Posts()
    run_until_recovered(poller, posts.post, posts, fault, stale=True)
    error = next(u for u in posts.seen if u.sync.phase == "error")
    assert error.data is posts.seen[0].data  # the last good poll, kept
    logged(caplog, fault)


def test_a_fault_posting_kyuubi(
    kyuubi_config: KyuubiConfig, caplog: pytest.LogCaptureFixture
) -> None:
    poller = KyuubiPoller(kyuubi_config, backoff=quick())
    posts = Posts()
    fault = Fault(posts.post, "the post of Kyuubi's word", skip=1)
    run_until_recovered(poller, fault, posts, fault, stale=True)
    logged(caplog, fault)


# ------------------------------------------------------------------ the churn watch

CONFIGMAPS = WatchedKind("configmaps", "", "v1", "ConfigMap")


def configmap(name: str) -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": "default"}, "data": {"k": "v"}}


def churn_watcher(sim: RunningSim, **kw: Any) -> ChurnWatcher:
    kw.setdefault("kinds", [CONFIGMAPS])
    return ChurnWatcher(kube_of(sim), ["default"], report_interval=0.02, backoff=quick(), **kw)


def test_a_fault_in_the_churn_discovery(
    incidents: RunningSim, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    fault = Fault(churn_module.discover_kinds, "the discovery")
    monkeypatch.setattr(churn_module, "discover_kinds", fault)
    watcher = churn_watcher(incidents, kinds=None)
    posts = Posts()
    run_until_recovered(watcher, posts.post, posts, fault, stale=False)
    assert watcher.kinds and len(watcher.reflectors) >= len(watcher.kinds)
    logged(caplog, fault)


def test_a_fault_in_a_churn_watch(
    incidents: RunningSim, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    fault = Fault(
        churn_module.decode_metadata_event, "a churn watch", when=lambda line: b"late-cm" in line
    )
    monkeypatch.setattr(churn_module, "decode_metadata_event", fault)
    watcher = churn_watcher(incidents)
    posts = Posts()
    watcher.start(posts.post)
    try:
        wait_for(lambda: posts.syncs() and posts.syncs()[-1].phase == "live", "churn live")
        incidents.state.create("configmaps", configmap("late-cm"))
        cause = f"configmaps: {fault.cause}"
        wait_for(lambda: any(s.message == cause for s in posts.syncs()), "the error")
        error = next(s for s in posts.syncs() if s.message == cause)
        assert (error.phase, error.stale) == ("error", True)
        wait_for(lambda: posts.syncs()[-1].phase == "live", "churn live again")
        with watcher._lock:
            names = {o.name for o in watcher.tracker.objects.values()}
        assert "late-cm" in names  # the relist brought the object whose event was lost
    finally:
        watcher.stop()
        incidents.state.delete("configmaps", "default", "late-cm")
    logged(caplog, fault)


def test_a_fault_in_the_churn_report(
    incidents: RunningSim, caplog: pytest.LogCaptureFixture
) -> None:
    watcher = churn_watcher(incidents)
    fault = Fault(watcher.tracker.rates, "the churn report", skip=1)
    watcher.tracker.rates = fault  # type: ignore[method-assign]
    posts = Posts()
    run_until_recovered(watcher, posts.post, posts, fault, stale=True)
    # The frozen cluster's rates are still being measured: the failure keeps saying so
    # (a failure mid-warm-up is not "none is hot").
    error = next(u for u in posts.seen if u.sync.phase == "error")
    assert error.warmup is not None and error.warmup == posts.seen[0].warmup
    logged(caplog, fault)


def test_a_fault_posting_churn(incidents: RunningSim, caplog: pytest.LogCaptureFixture) -> None:
    watcher = churn_watcher(incidents)
    posts = Posts()
    fault = Fault(posts.post, "the post of rates", skip=1)
    run_until_recovered(watcher, fault, posts, fault, stale=True)
    assert all(isinstance(u, ChurnUpdate) for u in posts.seen)
    logged(caplog, fault)
