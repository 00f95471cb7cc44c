"""QoS class and the kubelet's per-container oom_score_adj.

Tables rewritten from kubernetes/kubernetes (master, mid-2026, as stored by the code
index): pkg/kubelet/qos/policy_test.go (TestGetContainerOOMScoreAdjust, and the
gate-off column of TestGetContainerOOMScoreAdjustTieBreak) and
pkg/apis/core/v1/helper/qos/qos_test.go (TestComputePodQOS, both the generated
per-container version and the earlier named pod-level cases).
"""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from kubetui.model.qos import (
    BEST_EFFORT,
    BURSTABLE,
    GUARANTEED,
    container_oom_score_adj,
    effective_qos,
    pod_oom_score_adjs,
    pod_qos_class,
)
from kubetui.model.records import Pod

STANDARD = 8_000_000_000  # policy_test.go standardMemoryAmount
MI, GI, TI = 2**20, 2**30, 2**40


def res(req: dict | None = None, lim: dict | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if req is not None:
        out["requests"] = req
    if lim is not None:
        out["limits"] = lim
    return out


def c(name: str, req: dict | None = None, lim: dict | None = None, **extra: Any) -> dict:
    return {"name": name, "resources": res(req, lim), **extra}


def sidecar(name: str, req: dict | None = None, lim: dict | None = None) -> dict:
    return c(name, req, lim, restartPolicy="Always")


def pod(containers: list[dict], init: list[dict] | None = None, **spec: Any) -> Pod:
    body = {"containers": containers, "initContainers": init or [], **spec}
    return msgspec.convert({"metadata": {"name": "p"}, "spec": body}, Pod)


def adjs(p: Pod, capacity: int | None) -> dict[str | None, int | None]:
    return {cont.name: adj.value for cont, _, adj in pod_oom_score_adjs(p, capacity)}


# ---------------------------------------------------------------- policy_test.go

MEM_REQ = STANDARD // 8  # sampleDefaultMemRequest
MEM_LIM = 1000 + STANDARD // 8
POD_REQ = STANDARD // 4  # sampleDefaultPodMemRequest
POD_LIM = 1000 + STANDARD // 4
SAMPLE = {"memory": str(MEM_REQ)}, {"memory": str(MEM_LIM)}

POLICY = [
    ("cpu-limit", pod([c("a", lim={"cpu": "10"})]), 4_000_000_000, {"a": 999}),
    (
        # Upstream expects 999 on the raw object; the API server defaults the memory
        # request to the 10G limit, which the kubelet then sees: 1000-1250 → floor 3.
        "memory-limit-cpu-request (after API defaulting)",
        pod([c("a", {"cpu": "0"}, {"memory": "10G"})]),
        STANDARD,
        {"a": 3},
    ),
    ("zero-memory-limit", pod([c("a", lim={"memory": "0"})]), 7230457451, {"a": 1000}),
    ("no-request-limit", pod([c("a")]), 4_000_000_000, {"a": 1000}),
    (
        "equal-request-limit-cpu-memory",
        pod([c("a", {"memory": "10G", "cpu": "5m"}, {"cpu": "5m", "memory": "10G"})]),
        123456789,
        {"a": -997},
    ),
    (
        "cpu-unlimited-memory-limited-with-requests",
        pod([c("a", {"memory": str(STANDARD // 2), "cpu": "5m"}, {"memory": "10G"})]),
        STANDARD,
        {"a": 500},  # upstream: 495..505
    ),
    (
        "request-no-limit",
        pod([c("a", {"memory": str(STANDARD - 1), "cpu": "5m"})]),
        STANDARD,
        {"a": 3},
    ),
    (
        "cluster-critical is not node-critical",
        pod([c("a")], priorityClassName="system-cluster-critical", priority=2_000_000_000),
        4_000_000_000,
        {"a": 1000},
    ),
    (
        "node-critical",
        pod([c("a")], priorityClassName="system-node-critical", priority=2_000_001_000),
        4_000_000_000,
        {"a": -997},
    ),
    ("burstable-unique-container-pod", pod([c("a", *SAMPLE)]), STANDARD, {"a": 875}),
    (
        "burstable-mixed-unique-main-container-pod",
        pod([c("main-1", *SAMPLE)], init=[c("init-container", *SAMPLE)]),
        STANDARD,
        {"init-container": 875, "main-1": 875},
    ),
    (
        "burstable-mixed-multi-container-small-sidecar-pod",
        pod(
            [c("main-1", *SAMPLE)],
            init=[
                c("init-container", *SAMPLE),
                sidecar("sidecar-small", {"memory": str(STANDARD // 20)}, SAMPLE[1]),
            ],
        ),
        STANDARD,
        {"init-container": 875, "sidecar-small": 875, "main-1": 875},
    ),
    (
        "burstable-mixed-multi-container-same-request-pod",
        pod([c("main-1", *SAMPLE)], init=[c("init-container", *SAMPLE), sidecar("sc", *SAMPLE)]),
        STANDARD,
        {"init-container": 875, "sc": 875, "main-1": 875},
    ),
    (
        "burstable-mixed-multi-container-big-sidecar-container-pod",
        pod(
            [c("main-1", *SAMPLE)],
            init=[
                c("init-container", *SAMPLE),
                sidecar("sidecar-big", {"memory": str(STANDARD // 2)}, SAMPLE[1]),
            ],
        ),
        STANDARD,
        {"init-container": 875, "sidecar-big": 500, "main-1": 875},
    ),
    (
        "guaranteed-pod-resources-no-container-resources",
        pod(
            [c("n1"), c("n2")],
            resources=res(
                {"cpu": "5m", "memory": str(POD_REQ)}, {"cpu": "5m", "memory": str(POD_REQ)}
            ),
        ),
        4_000_000_000,
        {"n1": -997, "n2": -997},
    ),
    (
        "guaranteed-pod-resources-unequal-container-requests",
        pod(
            [
                c(
                    "burstable",
                    {"cpu": "3m", "memory": str(MEM_REQ)},
                    {"cpu": "5m", "memory": str(MEM_LIM)},
                ),
                c("best-effort"),
            ],
            resources=res(
                {"cpu": "5m", "memory": str(POD_REQ)}, {"cpu": "5m", "memory": str(POD_REQ)}
            ),
        ),
        4_000_000_000,
        {"burstable": -997, "best-effort": -997},
    ),
    (
        "burstable-pod-resources-no-container-resources",
        pod(
            [c("n1"), c("n2")],
            resources=res(
                {"cpu": "5m", "memory": str(POD_REQ)}, {"cpu": "5m", "memory": str(POD_LIM)}
            ),
        ),
        4_000_000_000,
        {"n1": 750, "n2": 750},
    ),
    (
        "burstable-pod-resources-equal-container-requests",
        pod(
            [
                c(
                    "g1",
                    {"cpu": "5m", "memory": str(MEM_REQ)},
                    {"cpu": "5m", "memory": str(MEM_REQ)},
                ),
                c(
                    "g2",
                    {"cpu": "5m", "memory": str(MEM_REQ)},
                    {"cpu": "5m", "memory": str(MEM_REQ)},
                ),
            ],
            resources=res(
                {"cpu": "5m", "memory": str(POD_REQ)}, {"cpu": "5m", "memory": str(POD_LIM)}
            ),
        ),
        4_000_000_000,
        {"g1": 750, "g2": 750},
    ),
    (
        "burstable-pod-resources-unequal-container-requests",
        pod(
            [
                c(
                    "burstable",
                    {"cpu": "3m", "memory": str(MEM_REQ)},
                    {"cpu": "5m", "memory": str(MEM_REQ)},
                ),
                c("best-effort"),
            ],
            resources=res(
                {"cpu": "5m", "memory": str(POD_REQ)}, {"cpu": "5m", "memory": str(POD_LIM)}
            ),
        ),
        4_000_000_000,
        {"burstable": 625, "best-effort": 875},
    ),
    (
        "burstable-pod-resources-no-container-resources-with-sidecar",
        pod(
            [c("main")],
            init=[sidecar("side")],
            resources=res(
                {"cpu": "5m", "memory": str(POD_REQ)}, {"cpu": "5m", "memory": str(POD_LIM)}
            ),
        ),
        4_000_000_000,
        {"main": 750, "side": 750},
    ),
    (
        "burstable-pod-resources-equal-container-requests-with-sidecar",
        pod(
            [
                c(
                    "main",
                    {"cpu": "5m", "memory": str(MEM_REQ)},
                    {"cpu": "5m", "memory": str(MEM_LIM)},
                )
            ],
            init=[
                sidecar(
                    "side",
                    {"cpu": "5m", "memory": str(MEM_REQ)},
                    {"cpu": "5m", "memory": str(MEM_LIM)},
                )
            ],
            resources=res(
                {"cpu": "5m", "memory": str(POD_REQ)}, {"cpu": "5m", "memory": str(POD_LIM)}
            ),
        ),
        4_000_000_000,
        {"main": 750, "side": 750},
    ),
    (
        "burstable-pod-resources-unequal-container-requests-with-sidecar",
        pod(
            [
                c(
                    "b1",
                    {"cpu": "5m", "memory": "1000000000"},
                    {"cpu": "5m", "memory": str(POD_LIM)},
                ),
                c(
                    "b2",
                    {"cpu": "5m", "memory": "500000000"},
                    {"cpu": "5m", "memory": str(POD_LIM)},
                ),
            ],
            init=[
                sidecar(
                    "side",
                    {"cpu": "5m", "memory": "200000000"},
                    {"cpu": "5m", "memory": str(POD_LIM)},
                )
            ],
            resources=res(
                {"cpu": "5m", "memory": "2000000000"}, {"cpu": "5m", "memory": str(POD_LIM)}
            ),
        ),
        4_000_000_000,
        {"b1": 725, "b2": 850, "side": 850},
    ),
    # DRA memory claims are not modelled (DRANodeAllocatableResources is alpha, off).
    (
        "burstable-pod-with-dra-disabled",
        pod([c("c1", {"memory": "500Mi"})]),
        4_000_000_000,
        {"c1": 869},
    ),
    # TestGetContainerOOMScoreAdjustTieBreak, gateOff column (the tie-break is gated).
    ("16Gi node, 500Mi unlimited", pod([c("c", {"memory": str(500 * MI)})]), 16 * GI, {"c": 970}),
    (
        "16Gi node, 500Mi request equals limit",
        pod([c("c", {"memory": str(500 * MI)}, {"memory": str(500 * MI)})]),
        16 * GI,
        {"c": 970},
    ),
    (
        "1Ti node, 50Mi is below one adj point",
        pod([c("c", {"memory": str(50 * MI)})]),
        TI,
        {"c": 999},
    ),
    ("1Ti node, 4Gi unlimited", pod([c("c", {"memory": str(4 * GI)})]), TI, {"c": 997}),
    ("1Ti node, 16Gi unlimited", pod([c("c", {"memory": str(16 * GI)})]), TI, {"c": 985}),
    ("4Ti node, 64Gi unlimited", pod([c("c", {"memory": str(64 * GI)})]), 4 * TI, {"c": 985}),
    (
        "1Ti node, sidecar capped at the smallest regular container",
        pod(
            [
                c("small-bounded", {"memory": str(50 * MI)}, {"memory": str(50 * MI)}),
                c("large-unbounded", {"memory": str(16 * GI)}),
            ],
            init=[sidecar("sidecar", {"memory": str(50 * MI)})],
        ),
        TI,
        {"sidecar": 999, "small-bounded": 999, "large-unbounded": 985},
    ),
    (
        "1Ti node, pod-level request only",
        pod([c("c", {"cpu": "100m"})], resources=res({"memory": "2Gi"}, {"memory": "4Gi"})),
        TI,
        {"c": 999},
    ),
]


@pytest.mark.parametrize(("name", "p", "capacity", "expected"), POLICY, ids=[r[0] for r in POLICY])
def test_policy(name: str, p: Pod, capacity: int, expected: dict[str, int]) -> None:
    assert adjs(p, capacity) == expected


def test_burstable_formula_and_inputs() -> None:
    p = pod([c("app", {"memory": "2Gi"}, {"memory": "4Gi"})])
    adj = container_oom_score_adj(p, p.spec.containers[0], 8 * GI)
    assert adj.value == 750
    assert adj.qos == BURSTABLE
    assert adj.formula == "1000 - 1000*2147483648/8589934592 = 750"
    assert adj.inputs["memory_request"] == 2 * GI
    assert adj.inputs["memory_capacity"] == 8 * GI
    assert adj.inputs["qos_source"] == "computed from spec"


def test_clamps_show_in_formula() -> None:
    tiny = pod([c("app", {"cpu": "1"})])
    huge = pod([c("app", {"memory": "16Gi"})])
    assert container_oom_score_adj(tiny, tiny.spec.containers[0], 8 * GI).formula.endswith(
        "= 1000 → 999 (kept below BestEffort)"
    )
    assert container_oom_score_adj(huge, huge.spec.containers[0], 8 * GI).formula.endswith(
        "= -1000 → 3 (Burstable floor)"
    )


def test_pod_level_formula_shows_the_share() -> None:
    p = pod(
        [c("a", {"memory": "1Gi"}), c("b")],
        resources=res({"memory": "3Gi"}, {"memory": "4Gi"}),
    )
    adj = container_oom_score_adj(p, p.spec.containers[0], 8 * GI)
    # remaining = (3Gi - 1Gi) / 2 = 1Gi; 1000 - 1000*2Gi/8Gi = 750
    assert adj.value == 750
    assert adj.formula == f"1000 - 1000*({GI}+{GI})/{8 * GI} = 750"
    assert adj.inputs["remaining_per_container"] == GI


def test_sidecar_formula_names_the_cap() -> None:
    p = pod([c("main", {"memory": "1Gi"})], init=[sidecar("proxy", {"memory": "128Mi"})])
    adj = container_oom_score_adj(p, p.spec.init_containers[0], 8 * GI)
    assert adj.value == 875
    assert adj.formula.startswith("min(1000 - 1000*134217728/8589934592 = 985, ")
    assert adj.inputs["min_regular_memory_request"] == GI


def test_burstable_without_capacity_is_unknown() -> None:
    p = pod([c("app", {"memory": "1Gi"})])
    for capacity in (None, 0):
        adj = container_oom_score_adj(p, p.spec.containers[0], capacity)
        assert adj.value is None
        assert adj.qos == BURSTABLE


@pytest.mark.parametrize(
    ("p", "value"),
    [
        (pod([c("a", {"cpu": "1", "memory": "1Gi"}, {"cpu": "1", "memory": "1Gi"})]), -997),
        (pod([c("a")]), 1000),
        (pod([c("a", {"memory": "1Gi"})], priorityClassName="system-node-critical"), -997),
    ],
)
def test_constants_need_no_capacity(p: Pod, value: int) -> None:
    assert container_oom_score_adj(p, p.spec.containers[0], None).value == value


def test_status_qos_class_wins_like_get_pod_qos() -> None:
    p = pod([c("a", {"memory": "1Gi"})])
    p.status.qos_class = GUARANTEED
    assert pod_qos_class(p) == BURSTABLE
    assert effective_qos(p) == GUARANTEED
    adj = container_oom_score_adj(p, p.spec.containers[0], None)
    assert (adj.value, adj.inputs["qos_source"]) == (-997, "status.qosClass")


def test_explicit_low_priority_with_node_critical_class_is_not_critical() -> None:
    p = pod([c("a")], priorityClassName="system-node-critical", priority=0)
    assert container_oom_score_adj(p, p.spec.containers[0], GI).value == 1000


def test_unparseable_quantity_is_unknown() -> None:
    p = pod([c("a", {"memory": "lots"})])
    assert pod_qos_class(p) is None
    adj = container_oom_score_adj(p, p.spec.containers[0], 8 * GI)
    assert (adj.value, adj.qos) == (None, None)


# ---------------------------------------------------------------- qos_test.go

GUARANTEED_RES = res(
    {"cpu": "100m", "memory": "100Mi", "ephemeral-storage": "10Gi"},
    {"cpu": "100m", "memory": "100Mi"},
)
BEST_EFFORT_RES = [res(), res({"cpu": "0", "memory": "0"}), res({"ephemeral-storage": "10Gi"})]
BURSTABLE_RES = [
    res({"cpu": "100m", "memory": "100Mi"}, {"cpu": "200m", "memory": "200Mi"}),
    res({"cpu": "100m", "memory": "100Mi"}, {"cpu": "100m", "memory": "200Mi"}),
    res({"cpu": "100m", "memory": "100Mi"}, {"cpu": "200m", "memory": "100Mi"}),
    res({"cpu": "100m", "memory": "100Mi"}),
    res({"cpu": "100m", "memory": "100Mi"}, {"cpu": "100m"}),
]
SINGLE = (
    [(GUARANTEED_RES, GUARANTEED)]
    + [(r, BEST_EFFORT) for r in BEST_EFFORT_RES]
    + [(r, BURSTABLE) for r in BURSTABLE_RES]
)
PAIRS = [
    (GUARANTEED_RES, GUARANTEED_RES, GUARANTEED),
    (BEST_EFFORT_RES[0], BEST_EFFORT_RES[1], BEST_EFFORT),
    (BURSTABLE_RES[0], BURSTABLE_RES[1], BURSTABLE),
] + [
    (a, b, BURSTABLE)
    for i, a in enumerate([GUARANTEED_RES, BEST_EFFORT_RES[0], BURSTABLE_RES[0]])
    for j, b in enumerate([GUARANTEED_RES, BEST_EFFORT_RES[1], BURSTABLE_RES[1]])
    if i != j
]


@pytest.mark.parametrize(("resources", "expected"), SINGLE)
def test_compute_single_container(resources: dict, expected: str) -> None:
    assert pod_qos_class(pod([{"name": "a", "resources": resources}])) == expected


@pytest.mark.parametrize(("first", "second", "expected"), PAIRS)
def test_compute_two_containers_and_init_variant(first: dict, second: dict, expected: str) -> None:
    one, two = {"name": "a", "resources": first}, {"name": "b", "resources": second}
    assert pod_qos_class(pod([one, two])) == expected
    # "doesn't matter if second container is an init container or not"
    assert pod_qos_class(pod([one], init=[two])) == expected


@pytest.mark.parametrize(("resources", "expected"), SINGLE)
def test_compute_pod_level_resources_decide(resources: dict, expected: str) -> None:
    # variant 1: the container is Guaranteed, the pod-level resources decide.
    assert (
        pod_qos_class(pod([{"name": "a", "resources": GUARANTEED_RES}], resources=resources))
        == expected
    )


# The earlier named table of qos_test.go (pod-level cases).
NAMED = [
    (
        "burstable-cpu-guaranteed-memory",
        pod([c("a", {"memory": "100Mi"}, {"memory": "100Mi"})]),
        BURSTABLE,
    ),
    (
        "burstable-2",
        pod([c("a", {"cpu": "0", "memory": "0"}, {"cpu": "100m", "memory": "200Mi"})]),
        BURSTABLE,
    ),
    (
        "best-effort-hugepages",
        pod(
            [
                c(
                    "a",
                    {"cpu": "0", "memory": "0", "hugepages-2Mi": "1Gi"},
                    {"cpu": "0", "memory": "0", "hugepages-2Mi": "1Gi"},
                )
            ]
        ),
        BEST_EFFORT,
    ),
    (
        "init-container",
        pod(
            [c("be")],
            init=[c("b", {"cpu": "10m", "memory": "100Mi"}, {"cpu": "100m", "memory": "200Mi"})],
        ),
        BURSTABLE,
    ),
    (
        "guaranteed-with-pod-and-container-level-resources",
        pod(
            [c("b", {"cpu": "3m", "memory": "10Mi"}, {"cpu": "5m", "memory": "20Mi"})],
            resources=res({"cpu": "10m", "memory": "100Mi"}, {"cpu": "10m", "memory": "100Mi"}),
        ),
        GUARANTEED,
    ),
    (
        "burstable-with-pod-and-container-level-resources",
        pod(
            [c("b", {"cpu": "5m", "memory": "10Mi"}, {"cpu": "5m", "memory": "10Mi"})],
            resources=res({"cpu": "10m", "memory": "10Mi"}, {"cpu": "20m", "memory": "50Mi"}),
        ),
        BURSTABLE,
    ),
    (
        "burstable-with-pod-and-container-level-requests",
        pod(
            [c("b", {"cpu": "5m", "memory": "10Mi"})],
            resources=res({"cpu": "10m", "memory": "10Mi"}),
        ),
        BURSTABLE,
    ),
    (
        "burstable-with-pod-and-container-level-resources-2",
        pod(
            [
                c("b", {"cpu": "5m", "memory": "10Mi"}),
                c("g", {"cpu": "5m", "memory": "10Mi"}, {"cpu": "5m", "memory": "10Mi"}),
            ],
            resources=res({"cpu": "10m", "memory": "10Mi"}, {"cpu": "5m"}),
        ),
        BURSTABLE,
    ),
]


@pytest.mark.parametrize(("name", "p", "expected"), NAMED, ids=[r[0] for r in NAMED])
def test_compute_named(name: str, p: Pod, expected: str) -> None:
    assert pod_qos_class(p) == expected


# ---------------------------------------------------------------- API-server defaulting
# pkg/apis/core/v1/defaults.go SetDefaults_Pod / defaultPodRequests (commit 023f88a3).


def test_container_limits_only_default_requests() -> None:
    assert pod_qos_class(pod([c("a", lim={"cpu": "1", "memory": "1Gi"})])) == GUARANTEED
    assert (
        pod_qos_class(pod([c("a")], init=[c("i", lim={"cpu": "1", "memory": "1Gi"})])) == BURSTABLE
    )


def test_pod_level_limits_only_default_pod_requests_to_limits() -> None:
    p = pod([c("a"), c("b")], resources=res(lim={"cpu": "2", "memory": "4Gi"}))
    assert pod_qos_class(p) == GUARANTEED
    assert adjs(p, 8 * GI) == {"a": -997, "b": -997}


def test_pod_level_requests_default_from_aggregate_container_requests() -> None:
    # memory: containers ask 1Gi in all, so the pod request defaults to 1Gi, not the 2Gi
    # limit; cpu has no container request and defaults to the pod-level limit.
    p = pod(
        [c("a", {"memory": "512Mi"}), c("b", {"memory": "512Mi"})],
        resources=res(lim={"cpu": "1", "memory": "2Gi"}),
    )
    assert pod_qos_class(p) == BURSTABLE
    # aggregate 1Gi == pod request 1Gi: nothing left to share.
    assert adjs(p, 8 * GI) == {"a": 938, "b": 938}


def test_aggregate_counts_sidecars_and_the_init_peak() -> None:
    # Init phase peak: sidecar 1Gi + init 3Gi = 4Gi > steady state 1Gi + 1Gi = 2Gi.
    p = pod(
        [c("main", {"memory": "1Gi"})],
        init=[sidecar("side", {"memory": "1Gi"}), c("setup", {"memory": "3Gi"})],
        resources=res({"memory": "6Gi"}),
    )
    got = container_oom_score_adj(p, p.spec.containers[0], 8 * GI)
    assert got.inputs["containers_memory_request"] == 4 * GI
    assert got.inputs["remaining_per_container"] == (6 * GI - 4 * GI) // 3
