"""``Analyser.analyse`` equals ``triage.analyse`` (the reference) after every change.

Pods: the incidents dump (OOM kills, zombies, stuck Terminating, orphans, crash loops)
plus a few hundred of the sim's ``scale`` pods (Spark drivers and executors,
Deployments, ~2 % failing). A seeded random walk adds, modifies and deletes pods in
batches, the way ``ClusterState`` keeps them (a modified record keeps its place, a new
one goes last), and moves the clock, the node list, the known engine ids, the rates and
the thresholds; after each batch both analyses must be equal, order included.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import msgspec
import pytest

from kubetui.model.analysis_cache import Analyser
from kubetui.model.decode import decode_json_item, load_objects
from kubetui.model.findings import KINDS, ObjectRate, Thresholds
from kubetui.model.records import (
    ContainerState,
    ContainerStatus,
    Node,
    OwnerReference,
    Pod,
    StateTerminated,
    StateWaiting,
)
from kubetui.model.triage import analyse
from kubetui.sim.scenarios.scale import ScaleScenario
from kubetui.sim.state import SimClock, SimState

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
DUMP_NOW = datetime.fromisoformat(
    (FIXTURES / "incidents-dump.now").read_text().strip().replace("Z", "+00:00")
)
rep = msgspec.structs.replace


def _scale_pods(count: int) -> tuple[list[Pod], list[Node]]:
    state = SimState(SimClock(DUMP_NOW))
    ScaleScenario(count, seed=3).populate(state)
    pods = [decode_json_item(e.data, Pod)[0] for e in state.entries("pods")]
    nodes = [decode_json_item(e.data, Node)[0] for e in state.entries("nodes")]
    return [p for p in pods if p is not None], [n for n in nodes if n is not None]


@pytest.fixture(scope="module")
def world() -> tuple[list[Pod], list[Node]]:
    dump = load_objects((FIXTURES / "incidents-dump.json").read_bytes())
    pods, nodes = _scale_pods(400)
    return [*dump.pods, *pods], [*dump.nodes, *nodes]


# ------------------------------------------------------------------ random changes


def _terminated(reason: str, code: int, at: datetime) -> ContainerState:
    return ContainerState(
        terminated=StateTerminated(
            exit_code=code, reason=reason, started_at=at - timedelta(minutes=9), finished_at=at
        )
    )


def _with_status(pod: Pod, **changes: object) -> Pod:
    statuses = pod.status.container_statuses or (ContainerStatus(name="main"),)
    return rep(pod, status=rep(pod.status, container_statuses=(rep(statuses[0], **changes),)))


def _labels(pod: Pod, **labels: str | None) -> Pod:
    merged = {**(pod.metadata.labels or {}), **labels}
    kept = {k: v for k, v in merged.items() if v is not None}
    return rep(pod, metadata=rep(pod.metadata, labels=kept))


def _modify(pod: Pod, rng: random.Random, now: datetime, pods: list[Pod]) -> Pod:
    """A new record of the same pod, changed in one of the ways that matter."""
    at = now - timedelta(minutes=rng.choice((1, 30, 200)))
    other = rng.choice(pods)
    other_labels = other.metadata.labels or {}
    change = rng.randrange(14)
    if change == 0:
        return rep(pod)  # a write that changes nothing the analysis reads
    if change == 1:
        return rep(pod, status=rep(pod.status, phase=rng.choice(("Failed", "Running"))))
    if change == 2:
        return rep(pod, metadata=rep(pod.metadata, deletion_timestamp=at))
    if change == 3:
        return _with_status(pod, state=_terminated("OOMKilled", 137, at))
    if change == 4:
        return _with_status(
            pod,
            state=ContainerState(waiting=StateWaiting(reason="CrashLoopBackOff")),
            last_state=_terminated("Error", 1, at),
            restart_count=rng.randrange(8),
        )
    if change == 5:
        return rep(pod, spec=rep(pod.spec, node_name=rng.choice(("gone-node", None))))
    if change == 6:  # join another pod's app, or leave every app
        return _labels(pod, **{"spark-app-selector": other_labels.get("spark-app-selector")})
    if change == 7:
        return _labels(pod, **{"kyuubi-unique-tag": other_labels.get("kyuubi-unique-tag")})
    if change == 8:
        return _labels(pod, **{"spark-role": rng.choice(("driver", "executor", None))})
    if change == 9:  # owned by another pod (an executor of its driver), or by nothing
        refs = (OwnerReference(kind="Pod", uid=other.metadata.uid, name=other.metadata.name),)
        return rep(pod, metadata=rep(pod.metadata, owner_references=rng.choice((refs, ()))))
    if change == 10:
        return rep(pod, metadata=rep(pod.metadata, creation_timestamp=at))
    if change == 11:
        return rep(pod, status=rep(pod.status, phase="Succeeded"))
    if change == 12:
        return _with_status(pod, state=_terminated("Completed", 0, at))
    return rep(pod, metadata=rep(pod.metadata, namespace=other.metadata.namespace))


def _new_pod(rng: random.Random, pods: list[Pod], serial: int) -> Pod:
    """A copy of a pod under a new name and uid: an extra executor or a second driver of
    the same app, a relaunch, a replica."""
    base = rng.choice(pods)
    meta = rep(
        base.metadata,
        name=f"{base.metadata.name}-n{serial}",
        uid=f"00000000-0000-4000-8000-{serial:012d}",
    )
    return rep(base, metadata=meta)


def _rates(rng: random.Random) -> tuple[ObjectRate, ...]:
    return tuple(
        ObjectRate(
            kind=rng.choice(("Deployment", "ConfigMap")),
            namespace="team-000",
            name=f"obj-{i}",
            uid=f"u{i}",
            updates_per_minute=rng.choice((0.5, 1.0, 2.0, 30.0)),
            window_seconds=300.0,
        )
        for i in range(rng.randrange(8))
    )


def _known(rng: random.Random, pods: list[Pod]) -> set[str] | None:
    if rng.random() < 0.4:
        return None
    labels = (p.metadata.labels or {} for p in pods)
    ids = {v for ls in labels for k, v in ls.items() if k in ("spark-app-selector",)}
    return {i for i in ids if rng.random() < 0.7}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_equal_to_analyse_over_random_changes(
    world: tuple[list[Pod], list[Node]], seed: int
) -> None:
    rng = random.Random(seed)
    all_pods, all_nodes = world
    store = {id(p): p for p in all_pods}  # dict order: what ClusterState.snapshot gives
    analyser = Analyser()
    now = DUMP_NOW
    th = Thresholds()
    kinds: Counter[str] = Counter()
    serial = 0
    for _batch in range(40):
        pods = list(store.values())
        for _ in range(rng.choice((0, 1, 3, 20))):
            action = rng.random()
            key = rng.choice(list(store))
            if action < 0.6:
                store[key] = _modify(store[key], rng, now, pods)  # keeps its place
            elif action < 0.8:
                del store[key]
            else:
                serial += 1
                new = _new_pod(rng, pods, serial)
                store[id(new)] = new
        now += timedelta(seconds=rng.choice((0, 1, 5, 400, 3700)))
        if rng.random() < 0.1:
            th = Thresholds(crash_loop_min_restarts=rng.choice((2, 3)), zombie_grace=120.0)
        nodes = None if rng.random() < 0.2 else [n for n in all_nodes if rng.random() < 0.97]
        pods = list(store.values())
        kwargs = {"thresholds": th, "rates": _rates(rng), "known_engine_ids": _known(rng, pods)}
        expected = analyse(pods, nodes, now, **kwargs)
        got = analyser.analyse(pods, nodes, now, **kwargs)
        assert got.engines == expected.engines
        assert got.findings == expected.findings
        assert len(analyser) == len(pods)  # entries of deleted records are gone
        kinds.update(f.kind for f in expected.findings)
    assert set(kinds) == set(KINDS)  # every kind of finding was compared


def test_findings_that_only_time_brings(world: tuple[list[Pod], list[Node]]) -> None:
    """The same records, later: lingering, stuck and zombie findings appear without any
    record changing, and their ages move."""
    pods, nodes = world
    analyser = Analyser()
    early = DUMP_NOW - timedelta(days=30)
    first = analyser.analyse(pods, nodes, early)
    assert first == analyse(pods, nodes, early)
    for later in (DUMP_NOW, DUMP_NOW + timedelta(seconds=1), DUMP_NOW + timedelta(hours=3)):
        got = analyser.analyse(pods, nodes, later)
        assert got == analyse(pods, nodes, later)
    late_kinds = {f.kind for f in got.findings}
    early_kinds = {f.kind for f in first.findings}
    assert {"failed_lingering", "zombie_engine_pod"} <= late_kinds - early_kinds


def test_engines_with_equal_sort_keys_keep_group_engines_order() -> None:
    """Two drivers alike but for their uid (one recreated before the old record left):
    ``group_engines`` keeps them in pod order, and so must the cache, whichever changed."""
    driver = msgspec.convert(
        {
            "metadata": {
                "name": "d",
                "namespace": "ns",
                "uid": "u1",
                "labels": {"spark-role": "driver", "kyuubi-unique-tag": "t"},
            },
            "status": {"phase": "Running"},
        },
        Pod,
    )
    twin = rep(driver, metadata=rep(driver.metadata, uid="u2"))
    other = rep(driver, metadata=rep(driver.metadata, uid="u3", name="e"))
    analyser = Analyser()
    pods = [driver, other, twin]
    assert analyser.analyse(pods, None, DUMP_NOW) == analyse(pods, None, DUMP_NOW)
    pods[0] = rep(driver, status=rep(driver.status, phase="Failed"))
    got = analyser.analyse(pods, None, DUMP_NOW)
    assert got == analyse(pods, None, DUMP_NOW)
    assert [e.driver.metadata.uid for e in got.engines if e.driver] == ["u1", "u2", "u3"]


def test_thresholds_change_what_is_kept() -> None:
    """Two failed restarts are a crash loop only from ``crash_loop_min_restarts=2``."""
    pod = msgspec.convert(
        {
            "metadata": {"name": "p", "namespace": "ns", "uid": "u"},
            "spec": {"containers": [{"name": "main"}]},
            "status": {"phase": "Running"},
        },
        Pod,
    )
    pod = _with_status(
        pod, state=ContainerState(), last_state=_terminated("Error", 1, DUMP_NOW), restart_count=2
    )
    analyser = Analyser()
    for th in (Thresholds(), Thresholds(crash_loop_min_restarts=2), Thresholds()):
        got = analyser.analyse([pod], None, DUMP_NOW, thresholds=th)
        assert got == analyse([pod], None, DUMP_NOW, thresholds=th)
        assert len(got.findings) == (th.crash_loop_min_restarts == 2)


def test_a_record_is_analysed_once_while_it_lives(world: tuple[list[Pod], list[Node]]) -> None:
    pods, nodes = world
    analyser = Analyser()
    analyser.analyse(pods, nodes, DUMP_NOW)
    kept = [rep(p) for p in pods[:3]] + pods[3:]  # three new records, the rest the same
    calls = Counter[str]()
    import kubetui.model.analysis_cache as cache

    real = cache.pod_facts

    def counting(pod: Pod, th: Thresholds):  # type: ignore[no-untyped-def]
        calls["pod_facts"] += 1
        return real(pod, th)

    cache.pod_facts = counting  # type: ignore[assignment]
    try:
        got = analyser.analyse(kept, nodes, DUMP_NOW)
    finally:
        cache.pod_facts = real  # type: ignore[assignment]
    assert calls["pod_facts"] == 3
    assert got == analyse(kept, nodes, DUMP_NOW)
    assert len(analyser) == len(kept)


def test_any_order_and_length(world: tuple[list[Pod], list[Node]]) -> None:
    """Snapshots shuffled, cut and extended between calls: what changed is still found
    (records are compared by position first, then by identity)."""
    pods, nodes = world
    rng = random.Random(5)
    analyser = Analyser()
    for size in (len(pods), len(pods) // 2, len(pods), 10, 0, len(pods)):
        snapshot = rng.sample(pods, size)
        assert analyser.analyse(snapshot, nodes, DUMP_NOW) == analyse(snapshot, nodes, DUMP_NOW)
        assert len(analyser) == size


def test_now_without_zone_reads_as_utc(world: tuple[list[Pod], list[Node]]) -> None:
    pods, nodes = world
    naive = DUMP_NOW.astimezone(UTC).replace(tzinfo=None)
    assert Analyser().analyse(pods, nodes, naive) == analyse(pods, nodes, naive)


def test_keys_shared_across_namespaces_and_by_many_pods(
    world: tuple[list[Pod], list[Node]],
) -> None:
    """Uids are indexed without their namespace and a key's holders go from one id to a
    list and back: copies of one driver's executors in another namespace (same uids, same
    owner) are walked with the originals but grouped apart, and removing them one by one
    down to none leaves the result equal throughout."""
    pods, nodes = world
    executors = [p for p in pods if any(r.kind == "Pod" for r in p.metadata.owner_references)]
    assert len(executors) >= 3
    owner = executors[0].metadata.owner_references[0].uid
    group = [p for p in executors if p.metadata.owner_references[0].uid == owner]
    copies = [rep(p, metadata=rep(p.metadata, namespace="elsewhere")) for p in group]
    analyser = Analyser()
    snapshot = [*pods, *copies]
    assert analyser.analyse(snapshot, nodes, DUMP_NOW) == analyse(snapshot, nodes, DUMP_NOW)
    while copies:
        copies.pop(0)
        snapshot = [*pods, *copies]
        got = analyser.analyse(snapshot, nodes, DUMP_NOW)
        assert got == analyse(snapshot, nodes, DUMP_NOW)
        assert len(analyser) == len(snapshot)
