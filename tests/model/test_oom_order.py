"""Per-node OOM kill order.

The kill-order cases at the bottom are rewritten from kubernetes/kubernetes
pkg/kubelet/qos/policy_test.go TestOOMScoreAdjTieBreakKillOrder (master, mid-2026, as
stored by the code index; issues #142235 and #142230), evaluated with the default
formula, i.e. the KubeletOOMScoreAdjTieBreak gate off.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec

from kubetui.model.oom_order import (
    BASIS_STATIC,
    BASIS_USAGE,
    node_memory_capacity,
    oom_kill_order,
)
from kubetui.model.records import Node, Pod

MI, GI, TI = 2**20, 2**30, 2**40
RUNNING = {"running": {}}


def node(name: str = "n1", memory: Any = "8Gi") -> Node:
    status = {} if memory is None else {"capacity": {"memory": memory}}
    return msgspec.convert({"metadata": {"name": name}, "status": status}, Node)


def pod(
    name: str,
    containers: dict[str, dict],
    *,
    init: dict[str, dict] | None = None,
    node_name: str = "n1",
    phase: str = "Running",
    states: dict[str, dict] | None = None,
    **spec: Any,
) -> Pod:
    """containers/init map a name to its resources; every container runs unless
    ``states`` says otherwise."""
    states = states or {}

    def spec_of(items: dict[str, dict], restart: bool) -> list[dict]:
        extra = {"restartPolicy": "Always"} if restart else {}
        return [{"name": n, "resources": r, **extra} for n, r in items.items()]

    def statuses(items: dict[str, dict]) -> list[dict]:
        return [{"name": n, "state": states.get(n, RUNNING)} for n in items]

    return msgspec.convert(
        {
            "metadata": {"name": name, "namespace": "ns"},
            "spec": {
                "nodeName": node_name,
                "containers": spec_of(containers, False),
                "initContainers": spec_of(init or {}, True),
                **spec,
            },
            "status": {
                "phase": phase,
                "containerStatuses": statuses(containers),
                "initContainerStatuses": statuses(init or {}),
            },
        },
        Pod,
    )


def mem(request: str | int | None = None, limit: str | int | None = None, cpu: str | None = None):
    out: dict[str, dict] = {}
    if request is not None or cpu is not None:
        out["requests"] = {k: v for k, v in (("memory", request), ("cpu", cpu)) if v is not None}
    if limit is not None:
        out["limits"] = {"memory": limit, **({"cpu": cpu} if cpu else {})}
    return out


def order(candidates) -> list[str]:
    return [f"{c.pod}/{c.container}" for c in candidates]


GUARANTEED = {"requests": {"cpu": "1", "memory": "2Gi"}, "limits": {"cpu": "1", "memory": "2Gi"}}


def test_without_usage_ranks_by_adj_then_request() -> None:
    pods = [
        pod("guaranteed", {"app": GUARANTEED}),
        pod("big-burstable", {"app": mem("4Gi")}),  # 1000 - 500 = 500
        pod("besteffort", {"app": {}}),  # 1000
        pod("small-burstable", {"app": mem("512Mi")}),  # 1000 - 62 = 938
        pod("critical", {"app": mem("1Gi")}, priorityClassName="system-node-critical"),
    ]
    got = oom_kill_order(pods, node())
    assert order(got) == [
        "besteffort/app",
        "small-burstable/app",
        "big-burstable/app",
        "guaranteed/app",  # -997 tie: the 2Gi request before the 1Gi one
        "critical/app",
    ]
    assert [c.oom_score_adj for c in got] == [1000, 938, 500, -997, -997]
    assert {c.basis for c in got} == {BASIS_STATIC}
    assert all(c.oom_score is None for c in got)


def test_ties_break_by_request_then_limit() -> None:
    small = {"requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"cpu": "1", "memory": "1Gi"}}
    pods = [pod("g-small", {"app": small}), pod("g-big", {"app": GUARANTEED})]
    assert order(oom_kill_order(pods, node())) == ["g-big/app", "g-small/app"]
    # Limits only: the API server defaults the request to the limit.
    limit_only = pod("g-limit", {"app": {"limits": {"cpu": "1", "memory": "3Gi"}}})
    got = oom_kill_order([*pods, limit_only], node())
    assert order(got)[0] == "g-limit/app"
    assert (got[0].request_bytes, got[0].limit_bytes, got[0].qos) == (3 * GI, 3 * GI, "Guaranteed")


def test_usage_decides_when_known() -> None:
    pods = [
        pod("guaranteed", {"app": GUARANTEED}),
        pod("besteffort", {"app": {}}),
        pod("burstable", {"app": mem("819Mi")}),  # 10% of 8Gi: adj 901
    ]
    usage = {
        ("ns", "guaranteed", "app"): 7 * GI,  # 875 - 997
        ("ns", "besteffort", "app"): 80 * MI,  # 9 + 1000
        ("ns", "burstable", "app"): 4 * GI,  # 901 + 500: far over its request
    }
    got = oom_kill_order(pods, node(), usage)
    assert order(got) == ["burstable/app", "besteffort/app", "guaranteed/app"]
    # adj is scaled by capacity//1000 before the sum, as the kernel does, hence ±1.
    assert [c.oom_score for c in got] == [1400, 1009, -121]
    assert [c.proc_oom_score for c in got] == [1600, 1339, 586]
    assert {c.basis for c in got} == {BASIS_USAGE}


def test_candidates_with_usage_rank_before_those_without() -> None:
    pods = [pod("seen", {"app": GUARANTEED}), pod("unseen", {"app": {}})]
    got = oom_kill_order(pods, node(), {("ns", "seen", "app"): GI})
    assert order(got) == ["seen/app", "unseen/app"]
    assert [c.basis for c in got] == [BASIS_USAGE, BASIS_STATIC]
    assert got[1].usage_bytes is None


def test_only_running_containers_of_live_pods_on_this_node() -> None:
    pods = [
        pod("elsewhere", {"app": {}}, node_name="n2"),
        pod("done", {"app": {}}, phase="Succeeded"),
        pod("failed", {"app": {}}, phase="Failed"),
        pod(
            "mixed",
            {"app": {}, "crashing": {}, "exited": {}},
            init={"proxy": {}},
            states={
                "crashing": {"waiting": {"reason": "CrashLoopBackOff"}},
                "exited": {"terminated": {"exitCode": 137, "reason": "OOMKilled"}},
            },
        ),
        pod("deleting", {"app": {}}, phase="Running"),
    ]
    # A terminating pod's containers still run until they stop: kept.
    pods[-1].metadata.deletion_timestamp = datetime(2026, 1, 1, tzinfo=UTC)
    got = oom_kill_order(pods, node())
    assert sorted(order(got)) == ["deleting/app", "mixed/app", "mixed/proxy"]
    assert next(c for c in got if c.container == "proxy").is_init


def test_no_capacity_leaves_burstable_unknown_and_last() -> None:
    pods = [pod("burstable", {"app": mem("1Gi")}), pod("guaranteed", {"app": GUARANTEED})]
    got = oom_kill_order(pods, node(memory=None), {("ns", "burstable", "app"): GI})
    assert order(got) == ["guaranteed/app", "burstable/app"]
    assert got[1].oom_score_adj is None
    assert got[1].oom_score is None


def test_node_capacity_is_read_from_status_capacity() -> None:
    assert node_memory_capacity(node(memory="16Gi")) == 16 * GI
    assert node_memory_capacity(node(memory="plenty")) is None
    assert node_memory_capacity(node(memory=None)) is None


# ---------------------------------------------------------- policy_test.go kill order


def test_over_request_container_killed_before_one_at_request() -> None:
    # "cases from #142235 on a 1Ti node": A uses more than its request, B sits at its own.
    for big_req, big_use, small_req in (
        (16 * GI, 48 * GI, 500 * MI),
        (64 * GI, 84 * GI, 500 * MI),
        (100 * GI, 130 * GI, 50 * MI),
    ):
        pods = [pod("A", {"c": mem(big_req)}), pod("B", {"c": mem(small_req)})]
        usage = {("ns", "A", "c"): big_use, ("ns", "B", "c"): small_req}
        assert order(oom_kill_order(pods, node(memory=TI), usage)) == ["A/c", "B/c"]


def test_default_formula_takes_the_bounded_orchestrator_first() -> None:
    # #142230: same 500Mi request; the orchestrator cannot exceed it (limit = request) and
    # uses 200Mi, an executor worker uses 100Mi. Both get adj 999 without the gated
    # tie-break, so the one using more memory, the orchestrator, goes first.
    pods = [
        pod("orchestrator", {"c": mem(500 * MI, 500 * MI)}),
        pod("executor", {"c": mem(500 * MI)}),
    ]
    usage = {("ns", "orchestrator", "c"): 200 * MI, ("ns", "executor", "c"): 100 * MI}
    got = oom_kill_order(pods, node(memory=TI), usage)
    assert order(got) == ["orchestrator/c", "executor/c"]
    assert [c.oom_score_adj for c in got] == [999, 999]
