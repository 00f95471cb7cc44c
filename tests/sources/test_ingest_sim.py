"""Live ingest against the simulator, through the generated kubeconfig: the store equals
the server after the initial paged LIST, after random churn, after the server closes a
watch, after a 410, after a restart from the state file, with a namespace refused, with
pods refused cluster-wide, and nothing is listed again while the cluster is quiet."""

from __future__ import annotations

import gc
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kubetui.sim import tls
from kubetui.sim.runner import RunningSim, running_sim
from kubetui.sim.state import SimState
from kubetui.sources.kube_client import KubeClient, KubeError, connect
from tests.sim.conftest import FAST, TinyScenario
from tests.sim.conftest import pod as pod_dict
from tests.sources.ingest_support import (
    ClusterScopeRefused,
    Fed,
    describe_diff,
    in_sync,
    pod_lists,
    relists,
    server_pods,
    watches,
)


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[RunningSim]:
    with running_sim(TinyScenario(), tmp_dir=tmp_path, settings=FAST) as running:
        yield running


def kube_of(sim: RunningSim, context: str | None = None) -> KubeClient:
    return connect(str(sim.kubeconfig_path), context)


def synced(fed: Fed, sim: RunningSim, what: str = "the store to equal the server") -> None:
    try:
        fed.wait_for(lambda: in_sync(fed, sim), what)
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{describe_diff(fed, sim)}") from None


def test_initial_list_is_paged_and_equals_the_server(sim: RunningSim) -> None:
    with Fed(kube_of(sim), page_size=3) as fed:
        synced(fed, sim)
        pages = pod_lists(sim)
        assert len(pages) == 4  # 10 pods, 3 per page
        assert all("limit=3" in q for q in pages)
        assert sum("continue=" in q for q in pages) == 3
        assert all("resourceVersion" not in q for q in pages)  # never RV=0: unpaged
        listing = [s for s in fed.syncs if s.source == "pods" and s.phase == "listing"]
        assert [(s.pages_done, s.pages_total) for s in listing] == [
            (0, None),
            (1, 4),
            (2, 4),
            (3, 4),
        ]
        assert fed.last("pods").phase == "live"
        assert (fed.last("pods").items, fed.last("pods").pages_done) == (10, 4)
        assert fed.last("nodes").phase == "live" and fed.store.nodes_known


def random_change(state: SimState, rng: random.Random, serial: int) -> None:
    pods = [(e.key.split("/", 1)) for e in state.entries("pods")]
    roll = rng.random()
    if roll < 0.35 or len(pods) < 5:
        ns = rng.choice(["default", "spark"])
        state.create("pods", pod_dict(f"churn-{serial}", ns, labels={"n": str(serial)}))
        return
    ns, name = rng.choice(pods)
    if roll < 0.75:
        state.mutate("pods", ns, name, lambda o: o["metadata"]["labels"].update(n=str(serial)))
    elif roll < 0.9:
        state.remove("pods", ns, name)
    else:
        state.delete("pods", ns, name)  # graceful: MODIFIED with a deletionTimestamp


def test_a_thousand_random_changes_reach_the_store(sim: RunningSim) -> None:
    rng = random.Random(6)
    with Fed(kube_of(sim)) as fed:
        synced(fed, sim, "the initial sync")
        for serial in range(1000):
            random_change(sim.state, rng, serial)
        synced(fed, sim, "1000 changes to arrive")
        assert relists(sim) == 1
        assert len(watches(sim)) == 1


def test_server_closing_the_watch_resumes_from_the_last_rv(sim: RunningSim) -> None:
    with Fed(kube_of(sim)) as fed:
        synced(fed, sim, "the initial sync")
        sim.state.mutate("pods", "default", "web-0", lambda o: o["metadata"].update(labels={}))
        last_rv = str(sim.state.resource_version)
        synced(fed, sim, "the change")
        sim.state.close_watchers()  # what a watch's timeoutSeconds ending looks like
        fed.wait_for(lambda: len(watches(sim)) == 2, "a second watch")
        resumed = watches(sim)[1]
        assert resumed["resourceVersion"] == last_rv
        assert resumed["allowWatchBookmarks"] == "true"
        assert 300 <= int(resumed["timeoutSeconds"]) < 600
        sim.state.remove("pods", "default", "web-1")
        synced(fed, sim, "a change after the resumed watch")
        assert relists(sim) == 1
        assert "reconnecting" not in fed.phases("pods")


def test_410_relists_exactly_once(tmp_path: Path) -> None:
    small_cache = {"watch_cache_min": 2, "watch_cache_max": 3}
    with (
        running_sim(
            TinyScenario(), tmp_dir=tmp_path, settings=FAST, state_options=small_cache
        ) as sim,
        Fed(kube_of(sim)) as fed,
    ):
        synced(fed, sim, "the initial sync")
        # Close the watch and write past the watch cache before it can come back (the
        # sim's lock holds the re-watch at the door), so it resumes from a compacted RV.
        with sim.state._lock:
            sim.state.close_watchers()
            for i in range(5):
                sim.state.mutate(
                    "pods", "spark", "spark-pi-exec-1", lambda o, i=i: o["metadata"].update(n=i)
                )
            sim.state.remove("pods", "default", "crashy")
            written = sim.state.resource_version
        synced(fed, sim, "the relist")
        assert relists(sim) == 2, pod_lists(sim)
        assert relists(sim, "/api/v1/nodes") == 1
        # The re-watch starts from the relist, past the writes (not from the compacted RV);
        # the sim may have written more since (its own controllers), so not its RV now.
        assert int([w["resourceVersion"] for w in watches(sim)][-1]) >= written
        assert fed.phases("pods")[-2:] == ["listing", "live"]


def test_restart_from_the_state_file_mid_watch(tmp_path: Path, monkeypatch: Any) -> None:
    """Stopped, changed while down, restarted on the same port: one relist, exact."""
    files = tls.generate(tmp_path / "pki")
    monkeypatch.setattr(tls, "generate", lambda directory, *a: files)  # same CA both runs
    state_file = tmp_path / "state.json"
    with running_sim(
        TinyScenario(), tmp_dir=tmp_path, settings=FAST, state_file=state_file
    ) as first:
        port = first.server.port
        kube = kube_of(first)
        fed = Fed(kube).__enter__()
        synced(fed, first, "the initial sync")
        first.state.mutate("pods", "default", "web-0", lambda o: o["metadata"].update(labels={}))
        synced(fed, first, "a change before the stop")
    try:
        fed.wait_for(lambda: "reconnecting" in fed.phases("pods"), "the outage to show")
        down = SimState.load(state_file)
        down.remove("pods", "default", "web-1")
        down.remove("pods", "spark", "spark-pi-exec-2")
        down.create("pods", pod_dict("born-while-down", "spark"))
        down.mutate("pods", "default", "web-2", lambda o: o["metadata"].update(labels={}))
        down.save(state_file)
        with running_sim(
            TinyScenario(), tmp_dir=tmp_path, settings=FAST, state_file=state_file, port=port
        ) as second:
            synced(fed, second, "the sync after the restart")
            names = sorted(p.metadata.name for p in fed.store.pods.values())
            assert "web-1" not in names and "spark-pi-exec-2" not in names
            assert "born-while-down" in names
            assert len(names) == len(set(names)) == len(server_pods(second))
            assert relists(second) == 1
            assert fed.last("pods").phase == "live"
    finally:
        fed.__exit__()


def test_a_forbidden_namespace_is_named_and_the_rest_works(
    tmp_path: Path, monkeypatch: Any
) -> None:
    freezes: list[int] = []
    monkeypatch.setattr(gc, "freeze", lambda: freezes.append(1))
    with running_sim("incidents", 1, frozen=True, tmp_dir=tmp_path, settings=FAST) as sim:
        kube = kube_of(sim, "kubetui-sim-viewer")
        with Fed(kube, namespaces=["etl", "spark-bob"], freeze_gc=True) as fed:
            fed.wait_for(
                lambda: (
                    fed.last("pods/etl") is not None
                    and fed.last("pods/etl").phase == "forbidden"
                    and in_sync(fed, sim, ["spark-bob"])
                ),
                "spark-bob synced and etl forbidden",
            )
            refused = fed.last("pods/etl")
            assert refused.message is not None and 'namespace "etl"' in refused.message
            assert fed.last("pods/spark-bob").phase == "live"
            assert {p.metadata.namespace for p in fed.store.pods.values()} == {"spark-bob"}
            fed.wait_for(lambda: freezes, "gc.freeze() after the first LISTs, refusal included")
            assert freezes == [1]


def test_pods_refused_cluster_wide_fall_back_to_namespaces(sim: RunningSim) -> None:
    real = kube_of(sim)
    kube = ClusterScopeRefused(real.api, real.context, real.server, real.namespace, real.user)
    with pytest.raises(KubeError):
        kube.get("/api/v1/pods")
    with Fed(kube) as fed:
        synced(fed, sim, "the per-namespace sync")
        notice = fed.last("pods")
        assert notice is not None and notice.phase == "forbidden"
        assert "at the cluster scope" in (notice.message or "")
        assert "falling back to the namespaces you can list: default, spark" in notice.message
        assert fed.last("pods/default").phase == fed.last("pods/spark").phase == "live"


def test_no_periodic_lists_while_quiet(sim: RunningSim) -> None:
    with Fed(kube_of(sim)) as fed:
        synced(fed, sim, "the initial sync")
        requests = len(sim.request_log)
        sim.state.clock.advance(3 * 3600)  # compaction, event expiry: hours of sim time
        target = str(sim.state.resource_version)
        pods_reflector = next(r for r in fed.ingest.reflectors if r.source == "pods")
        fed.wait_for(
            lambda: pods_reflector.resource_version == target,
            "bookmarks to carry the watch past the quiet hours",
        )
        assert sim.request_log[requests:] == []
        assert relists(sim) == 1 and len(watches(sim)) == 1


def test_stop_closes_streams_and_joins(tmp_path: Path) -> None:
    """Default settings: no bookmark for a minute, so the watches are blocked reading."""
    with running_sim(TinyScenario(), tmp_dir=tmp_path) as sim:
        fed = Fed(kube_of(sim)).__enter__()
        synced(fed, sim, "the initial sync")
        fed.ingest.stop(timeout=5)
        assert not any(r.is_alive() for r in fed.ingest.reflectors)
        assert not fed.ingest._flusher.is_alive()
        before = len(sim.request_log)
        sim.state.remove("pods", "default", "web-0")
        fed.pump()
        assert len(sim.request_log) == before
        assert len(fed.store.pods) == len(server_pods(sim)) + 1
