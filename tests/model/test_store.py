"""ClusterState applies batches: snapshots replace their scope, changes apply in order."""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec

from kubetui.model.records import Node, Pod
from kubetui.model.store import (
    ADDED,
    DELETED,
    MODIFIED,
    Change,
    ChangeBatch,
    ClusterState,
    SyncState,
)

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


def pod(name: str, namespace: str = "a", uid: str | None = None, phase: str = "Running") -> Pod:
    return msgspec.convert(
        {
            "metadata": {
                "name": name,
                "namespace": namespace,
                "uid": uid or f"uid-{namespace}-{name}",
            },
            "status": {"phase": phase},
        },
        Pod,
    )


def names(state: ClusterState) -> list[str]:
    return sorted(f"{p.metadata.namespace}/{p.metadata.name}" for p in state.pods.values())


def test_snapshot_replaces_only_its_scope() -> None:
    state = ClusterState()
    state.apply(ChangeBatch(kind="Pod", snapshot=[pod("x", "a"), pod("y", "a")], scope="a"))
    state.apply(ChangeBatch(kind="Pod", snapshot=[pod("z", "b")], scope="b"))
    applied = state.apply(ChangeBatch(kind="Pod", snapshot=[pod("y", "a")], scope="a"))
    assert names(state) == ["a/y", "b/z"]
    assert applied.removed == {"uid-a-x"}


def test_cluster_wide_relist_drops_what_was_deleted_meanwhile() -> None:
    state = ClusterState()
    state.apply(ChangeBatch(kind="Pod", snapshot=[pod("x", "a"), pod("z", "b")]))
    state.apply(ChangeBatch(kind="Pod", snapshot=[pod("z", "b")]))
    assert names(state) == ["b/z"]


def test_changes_in_order_and_recreated_pod_is_another_pod() -> None:
    state = ClusterState()
    old = pod("x", uid="old")
    state.apply(ChangeBatch(kind="Pod", changes=[Change(ADDED, old)]))
    version = state.version
    new = pod("x", uid="new")
    applied = state.apply(
        ChangeBatch(
            kind="Pod",
            changes=[
                Change(DELETED, old),
                Change(ADDED, new),
                Change(MODIFIED, pod("x", uid="new", phase="Failed")),
            ],
        )
    )
    assert list(state.pods) == ["new"]
    assert state.pods["new"].status.phase == "Failed"
    assert applied.changed == {"new"} and applied.removed == {"old"}
    assert state.version == version + 1


def test_delete_of_unknown_pod_changes_nothing() -> None:
    state = ClusterState()
    version = state.version
    applied = state.apply(ChangeBatch(kind="Pod", changes=[Change(DELETED, pod("ghost"))]))
    assert applied.removed == set() and state.version == version


def test_nodes_known_only_after_a_node_list_and_sync_states_kept() -> None:
    state = ClusterState()
    assert state.snapshot().nodes is None
    sync = SyncState(source="nodes", phase="live", items=1)
    node = msgspec.convert({"metadata": {"name": "n1"}}, Node)
    state.apply(ChangeBatch(kind="Node", snapshot=[node], sync=sync))
    assert [n.metadata.name for n in state.snapshot().nodes] == ["n1"]
    assert state.sync["nodes"] == sync


def test_report_reads_the_current_state() -> None:
    state = ClusterState()
    state.apply(ChangeBatch(kind="Pod", snapshot=[pod("x"), pod("y", phase="Failed")]))
    report = state.report(NOW)
    assert [p.name for p in report.pods] == ["x", "y"]
    assert report.nodes_known is False


def test_usage_moves_the_version_only_when_it_changed() -> None:
    """A metrics poll every 15 s with the same figures must not re-run the analysis."""
    from types import SimpleNamespace

    from kubetui.model.store import Usage

    store = ClusterState()
    sync = SyncState(source="metrics", phase="live")
    usage = {"ns/p": {"c": Usage(100, 2**20)}}
    assert store.set_usage(SimpleNamespace(pods=usage, nodes={}, sync=sync))
    version = store.version
    same = {"ns/p": {"c": Usage(100, 2**20)}}
    assert not store.set_usage(SimpleNamespace(pods=same, nodes={}, sync=sync))
    assert store.version == version and store.sync["metrics"] is sync
    more = {"ns/p": {"c": Usage(100, 2**21)}}
    assert store.set_usage(SimpleNamespace(pods=more, nodes={}, sync=sync))
    assert store.version == version + 1 and store.pod_usage is more
