"""Churn rates: which managers wrote an update, and rates per object, owner and manager."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import msgspec
import pytest

from kubetui.model.churn_rates import (
    MANAGER_KIND,
    ChurnTracker,
    ObjectMetadata,
    Warmup,
    moved_managers,
)
from kubetui.model.findings import find_hot_loops

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def stamp(seconds: float) -> str:
    return (T0 + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


def meta(
    name: str,
    rv: int,
    managers: dict[str, float],
    *,
    created: float = -86400,
    owner: tuple[str, str] | None = None,
    namespace: str = "ns",
) -> ObjectMetadata:
    """Metadata whose managedFields hold ``{manager[/subresource]: seconds after T0}``."""
    entries = []
    for key, t in managers.items():
        manager, _, sub = key.partition("/")
        entry = {"manager": manager, "operation": "Update", "time": stamp(t)}
        if sub:
            entry["subresource"] = sub
        entries.append(entry)
    doc = {
        "name": name,
        "namespace": namespace,
        "uid": f"uid-{name}",
        "resourceVersion": str(rv),
        "creationTimestamp": stamp(created),
        "managedFields": entries,
    }
    if owner:
        doc["ownerReferences"] = [{"kind": owner[0], "name": owner[1], "uid": f"uid-{owner[1]}"}]
    return msgspec.convert(doc, ObjectMetadata)


def stamps(m: ObjectMetadata) -> dict:
    return {
        (e.manager or "", e.operation or "", e.subresource or ""): e.time.timestamp()
        for e in m.managed_fields
    }


# Rewritten from kubernetes/apimachinery @ v0.36.3 (eed236ce),
# pkg/util/managedfields/internal/managedfieldsupdater_test.go: the apiserver moves a
# manager's time only when its operation changed the object, so "moved" = "wrote".
MOVED_CASES = [
    # TestManagedFieldsUpdateDoesModifyTime: the same manager changes a value.
    ("update modifies time", {"a": 0}, {"a": 5}, ("a",), 5),
    # TestManagedFieldsUpdateWithoutChangesDoesNotModifyTime.
    ("no change keeps time", {"a": 0}, {"a": 0}, (), None),
    # TestNonManagedFieldsUpdateDoesNotModifyTime: A writes; B's entry is untouched.
    ("other manager untouched", {"a": 0, "b": 1}, {"a": 9, "b": 1}, ("a",), 9),
    # TestTakingOverManagedFieldsDuringUpdateDoesNotModifyPreviousManagerTime.
    ("take-over keeps loser's time", {"a": 0}, {"a": 0, "b": 7}, ("b",), 7),
    # A manager that lost every field disappears: not a writer.
    ("vanished entry", {"a": 0, "b": 1}, {"b": 8}, ("b",), 8),
    # Status and main entries are separate keys; the manager is named once.
    ("spec and status", {"op": 0, "op/status": 0}, {"op": 6, "op/status": 6}, ("op",), 6),
    ("status only", {"op": 0, "op/status": 0}, {"op": 0, "op/status": 4}, ("op",), 4),
    ("two writers", {"a": 0, "b": 0}, {"a": 3, "b": 5}, ("a", "b"), 5),
]


@pytest.mark.parametrize(
    ("before", "after", "managers", "newest"),
    [c[1:] for c in MOVED_CASES],
    ids=[c[0] for c in MOVED_CASES],
)
def test_moved_managers(before, after, managers, newest) -> None:
    old, new = stamps(meta("x", 1, before)), stamps(meta("x", 2, after))
    got, at = moved_managers(old, new)
    assert got == managers
    assert at == (None if newest is None else (T0 + timedelta(seconds=newest)).timestamp())


def hot_tracker(**kw) -> ChurnTracker:
    """One KuberoPipeline rewritten every 6 s for 10 min, three peers every 4 min."""
    tr = ChurnTracker(**kw)
    names = ("shop", "blog", "docs", "api")
    tr.replace("KuberoPipeline", [meta(n, 1, {"kubero-operator": 0}) for n in names])
    rv = 1
    for t in range(6, 601, 6):
        rv += 1
        tr.observe("KuberoPipeline", "MODIFIED", meta("shop", rv, {"kubero-operator": t}))
        if t % 240 == 0:
            for peer in names[1:]:
                rv += 1
                tr.observe("KuberoPipeline", "MODIFIED", meta(peer, rv, {"kubero-operator": t}))
    return tr


def by_name(rows, kind):
    return {r.name: r for r in rows if r.kind == kind}


def test_hot_object_rate_and_manager_found_by_find_hot_loops() -> None:
    rates = hot_tracker(ring_size=128).rates(window=600)
    objects = by_name(rates, "KuberoPipeline")
    assert objects["shop"].updates_per_minute == pytest.approx(10.0)
    assert objects["shop"].managers == ("kubero-operator",)
    assert objects["shop"].window_seconds == 600
    # Two writes each in 10 min: fewer than min_updates → no rate.
    assert objects["blog"].updates_per_minute == 0.0
    hot = [f for f in find_hot_loops(rates) if f.kind == "hot_loop"]
    # The object, and its manager (alone, so against the absolute rate).
    assert [(f.evidence["object_kind"], f.name) for f in hot] == [
        (MANAGER_KIND, "kubero-operator"),
        ("KuberoPipeline", "shop"),
    ]
    assert "managers: kubero-operator" in hot[1].summary


def test_window_slides_and_counts_only_recent_updates() -> None:
    tr = hot_tracker()
    rates = by_name(tr.rates(window=120), "KuberoPipeline")
    assert rates["shop"].updates_per_minute == pytest.approx(10.0)  # 20 writes in 2 min
    assert rates["shop"].window_seconds == 120


def test_ring_overflow_measures_over_the_ring_span() -> None:
    rates = by_name(hot_tracker(ring_size=10).rates(window=600), "KuberoPipeline")
    # 10 writes kept, 6 s apart: 9 intervals in 54 s after the oldest.
    assert rates["shop"].updates_per_minute == pytest.approx(60 * 9 / 54)
    assert rates["shop"].window_seconds == 54


def test_young_objects_settle_before_counting() -> None:
    tr = ChurnTracker(settle_seconds=120)
    tr.replace("Pod", [meta("old", 1, {"kubelet": 0}), meta("new", 1, {"kubelet": 0}, created=0)])
    rv = 1
    for t in (10, 20, 30, 40, 200, 210, 220):
        for name in ("old", "new"):
            rv += 1
            created = -86400 if name == "old" else 0
            tr.observe("Pod", "MODIFIED", meta(name, rv, {"kubelet": t}, created=created))
    rates = by_name(tr.rates(window=600, min_updates=1), "Pod")
    assert rates["old"].updates_per_minute == pytest.approx(60 * 7 / 220)
    assert rates["new"].updates_per_minute == pytest.approx(60 * 3 / 220)


def test_same_resource_version_is_not_an_update_and_relist_drops_the_gone() -> None:
    tr = ChurnTracker()
    tr.replace("Secret", [meta("a", 5, {"op": 0}), meta("b", 5, {"op": 0})])
    for _ in range(3):
        tr.observe("Secret", "MODIFIED", meta("a", 5, {"op": 0}))  # replayed event
    tr.replace("Secret", [meta("a", 9, {"op": 40})])  # b deleted while disconnected
    rates = by_name(tr.rates(min_updates=1), "Secret")
    assert set(rates) == {"a"}
    assert rates["a"].updates_per_minute == pytest.approx(60 / 40)
    assert rates["a"].managers == ("op",)


def test_deleted_objects_leave_and_cap_counts_dropped() -> None:
    tr = ChurnTracker(max_objects=2)
    tr.replace("ConfigMap", [meta(n, 1, {"m": 0}) for n in ("a", "b", "c")])
    assert tr.dropped == 1
    tr.observe("ConfigMap", "DELETED", meta("a", 2, {"m": 0}))
    tr.observe("ConfigMap", "ADDED", meta("d", 3, {"m": 1}))
    assert sorted(o.name for o in tr.objects.values()) == ["b", "d"]


def test_update_without_a_moved_time_uses_the_latest_server_time() -> None:
    tr = ChurnTracker()
    tr.replace("Secret", [meta("a", 1, {"op": 0}), meta("b", 1, {"other": 0})])
    for rv, t in ((2, 10), (3, 20), (4, 30)):
        tr.observe("Secret", "MODIFIED", meta("b", rv, {"other": t}))
        tr.observe("Secret", "MODIFIED", meta("a", rv + 10, {"op": 0}))  # same-second write
    rates = by_name(tr.rates(), "Secret")
    assert rates["a"].updates_per_minute == pytest.approx(60 * 3 / 30)
    assert rates["a"].managers == ()


def test_owner_rollup_sums_children_and_skips_single_children() -> None:
    tr = ChurnTracker()
    pods = [meta(f"web-{i}", 1, {"kubelet": 0}, owner=("ReplicaSet", "web")) for i in range(3)]
    solo = meta("db-0", 1, {"kubelet": 0}, owner=("StatefulSet", "db"))
    tr.replace("Pod", [*pods, solo])
    rv = 1
    for t in (30, 60):
        for i in range(3):
            rv += 1
            tr.observe(
                "Pod", "MODIFIED", meta(f"web-{i}", rv, {"kubelet": t}, owner=("ReplicaSet", "web"))
            )
    owners = by_name(tr.rates(), "Pods of ReplicaSet")
    assert list(owners) == ["web"]
    assert owners["web"].updates_per_minute == pytest.approx(60 * 6 / 60)
    assert owners["web"].uid == "uid-web"
    assert by_name(tr.rates(), "Pod")["web-0"].updates_per_minute == 0.0  # 2 < min_updates
    assert not by_name(tr.rates(), "Pods of StatefulSet")


def test_manager_rows_carry_the_busiest_object_rate() -> None:
    tr = ChurnTracker()
    tr.replace("Pod", [meta(n, 1, {"kubelet": 0}) for n in ("a", "b")])
    tr.replace("Secret", [meta("s", 1, {"op": 0})])
    rv = 1
    for t in range(10, 121, 10):
        rv += 1
        tr.observe("Secret", "MODIFIED", meta("s", rv, {"op": t}))
        if t % 30 == 0:
            rv += 1
            tr.observe("Pod", "MODIFIED", meta("a", rv, {"kubelet": t}))
    managers = by_name(tr.rates(), MANAGER_KIND)
    assert managers["op"].updates_per_minute == pytest.approx(6.0)
    assert managers["kubelet"].updates_per_minute == pytest.approx(2.0)
    assert managers["op"].managers == ("op",)


def test_kind_listed_before_any_time_is_known_starts_with_the_clock() -> None:
    tr = ChurnTracker()
    tr.replace("Job", [])
    tr.replace("Secret", [meta("s", 1, {"op": 100})])
    assert tr.started["Job"] == tr.started["Secret"] == (T0 + timedelta(seconds=100)).timestamp()


def test_no_clock_no_rates() -> None:
    assert ChurnTracker().rates() == []


def test_warmup_counts_server_time_from_the_latest_kind_until_the_window_is_full() -> None:
    """The server clock (``saw_time``) is the test's clock: the tracker says how far the
    measurement is, from the kind listed last, and stops saying it at 2:00."""
    tr = ChurnTracker(measure_seconds=120)
    assert tr.warmup() == Warmup(0.0, 120.0)  # nothing listed yet
    t0 = T0.timestamp()
    tr.replace("Secret", [meta("s", 1, {"op": 0})])  # listed at T0 (its managedFields time)
    assert tr.warmup() == Warmup(0.0, 120.0)
    tr.saw_time(t0 + 30)
    tr.replace("KuberoPipeline", [])  # a custom kind listed 30 s later
    tr.saw_time(t0 + 75)
    assert tr.warmup() == Warmup(45.0, 120.0)
    assert tr.warmup().text() == "measuring rates: 0:45 of 2:00"
    tr.saw_time(t0 + 149)
    assert tr.warmup().text() == "measuring rates: 1:59 of 2:00"
    tr.saw_time(t0 + 150)
    assert tr.warmup() is None


def test_warmup_without_a_server_time_has_measured_nothing() -> None:
    tr = ChurnTracker()
    tr.replace("Job", [])  # listed, but no managedFields time nor Date header yet
    assert tr.warmup() == Warmup(0.0, tr.measure_seconds)
