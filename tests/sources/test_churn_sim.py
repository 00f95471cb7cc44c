"""The churn watch against the simulated cluster: the Kubero hot loop is found.

The incidents scenario rewrites KuberoPipeline ``kubero/shop`` and Secret
``shop-production/registry-login`` every 5–8 s (manager ``kubero-operator``) and their
peers every 2–5 min. The sim clock is frozen and driven here, one scenario tick per sim
second, so the test is deterministic and fast.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from functools import partial

import pytest

from kubetui.model.churn_rates import MANAGER_KIND
from kubetui.model.findings import find_hot_loops
from kubetui.sim.runner import RunningSim, running_sim
from kubetui.sources.churn import (
    ChurnUpdate,
    ChurnWatcher,
    WatchedKind,
    discover_kinds,
)
from kubetui.sources.kube_client import ACCESS_REVIEW_PATH, connect
from tests.waiting import until


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSim]:
    with running_sim("incidents", 1, frozen=True, tmp_dir=tmp_path_factory.mktemp("sim")) as s:
        yield s


wait_for = partial(until, timeout=20.0, interval=0.02)


def drive(sim: RunningSim, seconds: int) -> None:
    """Run the scenario for ``seconds`` of sim time, one tick per second."""
    assert sim.scenario is not None
    rng = random.Random(7)
    for _ in range(seconds):
        sim.state.clock.advance(1.0)
        sim.scenario.tick(sim.state, rng)


def test_discovery_adds_custom_kinds_and_caps(sim: RunningSim) -> None:
    kube = connect(str(sim.kubeconfig_path))
    kinds, notice = discover_kinds(kube)
    assert [k.resource for k in kinds] == [
        "pods",
        "configmaps",
        "secrets",
        "deployments",
        "statefulsets",
        "replicasets",
        "jobs",
        "kuberopipelines",
    ]
    assert kinds[-1] == WatchedKind("kuberopipelines", "kubero.dev", "v1alpha1", "KuberoPipeline")
    assert notice == ""
    capped, notice = discover_kinds(kube, max_kinds=7)
    assert len(capped) == 7
    assert notice == "watching 7 kinds; not watched: kuberopipelines.kubero.dev"


def test_hot_kubero_objects_found_and_peers_quiet(sim: RunningSim) -> None:
    kube = connect(str(sim.kubeconfig_path))
    kinds = [
        WatchedKind("secrets", "", "v1", "Secret"),
        WatchedKind("kuberopipelines", "kubero.dev", "v1alpha1", "KuberoPipeline"),
    ]
    posts: list[ChurnUpdate] = []
    watcher = ChurnWatcher(kube, kinds=kinds, report_interval=0.05)
    before = len(sim.request_log)
    watcher.start(posts.append)
    try:
        wait_for(lambda: watcher.update().sync.phase == "live", "the initial lists")
        drive(sim, 600)
        target = sim.state.clock.now().timestamp() - 10
        wait_for(lambda: (watcher.tracker.clock or 0) >= target, "the last writes")
        update = watcher.update()
    finally:
        watcher.stop()
    assert posts and posts[-1].sync.source == "churn"
    hot = {
        (f.evidence["object_kind"], f.namespace, f.name): f for f in find_hot_loops(update.rates)
    }
    assert set(hot) == {
        ("KuberoPipeline", "kubero", "shop"),
        ("Secret", "shop-production", "registry-login"),
        (MANAGER_KIND, None, "kubero-operator"),
    }
    for f in hot.values():
        assert f.evidence["managers"] == "kubero-operator"
        assert f.evidence["window_seconds"] == pytest.approx(600, abs=15)
    shop = next(r for r in update.rates if r.kind == "KuberoPipeline" and r.name == "shop")
    assert 7.0 <= shop.updates_per_minute <= 12.5  # every 5–8 s
    peers = [r for r in update.rates if r.kind == "KuberoPipeline" and r.name != "shop"]
    assert len(peers) == 3 and all(r.updates_per_minute < 1.0 for r in peers)
    # One paged LIST each, then watches with bookmarks from the list's resourceVersion.
    requests = [r for r in sim.request_log[before:] if "kuberopipelines" in r.path]
    assert "limit=500" in requests[0].query and "watch" not in requests[0].query
    assert all("allowWatchBookmarks=true" in r.query for r in requests[1:])
    assert all("resourceVersion=" in r.query for r in requests[1:])


@pytest.mark.parametrize(
    ("namespaces", "message", "reviews", "rated"),
    [
        # secrets: list refused; configmaps: list and watch allowed
        pytest.param(None, "not permitted (skipped): secrets", 3, {"ConfigMap"}, id="cluster-wide"),
        # secrets: list refused in both; configmaps: refused in etl, both allowed in kubero
        # (which holds none)
        pytest.param(
            ["etl", "kubero"],
            "not permitted (skipped): secrets, configmaps (in etl)",
            5,
            set(),
            id="refused-in-some-namespaces",
        ),
    ],
)
def test_a_kind_not_permitted_is_skipped_unasked_and_the_rest_keeps_going(
    sim: RunningSim, namespaces: list[str] | None, message: str, reviews: int, rated: set[str]
) -> None:
    """The viewer may not list secrets, nor read anything in etl (the scenario's RBAC):
    the watcher asks first (SelfSubjectAccessReviews, list then watch), sends no request
    the server would refuse, and says so once in the one wording, naming the namespaces
    of a kind refused in some only; configmaps are watched."""
    kube = connect(str(sim.kubeconfig_path), context="kubetui-sim-viewer")
    kinds = [
        WatchedKind("secrets", "", "v1", "Secret"),
        WatchedKind("configmaps", "", "v1", "ConfigMap"),
    ]
    before = len(sim.request_log)
    watcher = ChurnWatcher(kube, namespaces, kinds=kinds, report_interval=60)
    watcher.start(lambda _: None)
    try:
        wait_for(lambda: watcher.update().sync.phase == "live", "configmaps live")
        update = watcher.update()
    finally:
        watcher.stop()
    assert update.sync.message == message
    assert {r.kind for r in update.rates} == rated
    sent = sim.request_log[before:]
    assert not [r for r in sent if r.status == 403]
    assert not [r for r in sent if r.path.endswith("/secrets")]
    assert sum(r.path == ACCESS_REVIEW_PATH for r in sent) == reviews
