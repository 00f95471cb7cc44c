"""The failed-pod cleanup selection against the descheduler's RemoveFailedPods tests.

Upstream: kubernetes-sigs/descheduler at commit 7d2b28bf2b6a12810317936d909af0270ff38fa3
(master, 2026-06-30): ``pkg/framework/plugins/removefailedpods/failedpods_test.go``
(TestRemoveFailedPods) and ``validation_test.go`` (TestValidateRemoveFailedPodsArgs).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import pytest

from kubetui.model.cleanup_policy import (
    CleanupPolicy,
    ExitCodeRange,
    format_exit_codes,
    parse_exit_codes,
    select_failed_pods,
)
from kubetui.model.records import Pod

NOW = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
ONE_HOUR = 3600
REPLICA_SET = [{"kind": "ReplicaSet", "apiVersion": "v1", "name": "replicaset-1"}]


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def pod_status(
    reason: str = "",
    phase: str = "",
    init_state: dict[str, Any] | None = None,
    state: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """newPodStatus: giving any container state also makes the phase Failed."""
    status: dict[str, Any] = {"reason": reason, "phase": phase}
    if init_state is not None:
        status["initContainerStatuses"] = [{"state": init_state}]
        status["phase"] = "Failed"
    if state is not None:
        status["containerStatuses"] = [{"state": state}]
        status["phase"] = "Failed"
    return status


def build_pod(
    name: str, node: str, status: dict[str, Any], deleted: bool = False, **meta: Any
) -> Pod:
    """buildTestPod: namespace default, a ReplicaSet owner, created now."""
    metadata: dict[str, Any] = {
        "name": name,
        "namespace": "default",
        "ownerReferences": REPLICA_SET,
        "creationTimestamp": _iso(NOW),
    }
    if deleted:
        metadata["deletionTimestamp"] = _iso(NOW)
    metadata.update(meta)
    return msgspec.convert(
        {"metadata": metadata, "spec": {"nodeName": node}, "status": status}, Pod
    )


def args(
    init: bool = False,
    reasons: tuple[str, ...] = (),
    codes: tuple[int, ...] = (),
    exclude_kinds: tuple[str, ...] = (),
    min_age: int | None = None,
) -> CleanupPolicy:
    """createRemoveFailedPodsArgs(includingInitContainers, reasons, exitCodes, excludeKinds,
    minAgeSeconds)."""
    return CleanupPolicy(
        include_init_containers=init,
        reasons=reasons,
        exit_codes=tuple(ExitCodeRange(c, c) for c in codes),
        exclude_owner_kinds=exclude_kinds,
        min_pod_lifetime_seconds=min_age,
    )


def term(reason: str = "", exit_code: int = 0) -> dict[str, Any]:
    return {"terminated": {"reason": reason, "exitCode": exit_code}}


def wait(reason: str) -> dict[str, Any]:
    return {"waiting": {"reason": reason}}


CCCE = "CreateContainerConfigError"

# TestRemoveFailedPods as (description, args, pods, names evicted). Left out: the three
# nodeFit=true rows (the two "nodeFit=true, ..." rows and "1 container terminated with
# reason ShutDown, 0 evictions"), which depend on whether the pod fits another node;
# kubetui does not model nodeFit and the exported policy leaves it at its default, false.
REMOVE_FAILED_PODS = [
    ("default empty args, 0 failures, 0 evictions", CleanupPolicy(), [], []),
    ("0 failures, 0 evictions", args(), [], []),
    (
        "1 container terminated with reason NodeAffinity, 1 eviction",
        args(),
        [build_pod("p1", "node1", pod_status(state=term("NodeAffinity")))],
        ["p1"],
    ),
    (
        "1 container terminated with exitCode 1, 1 eviction",
        args(codes=(1,)),
        [build_pod("p1", "node1", pod_status(state=term(exit_code=1)))],
        ["p1"],
    ),
    (
        "1 container terminated with exitCode 1, reason NodeAffinity, 1 eviction",
        args(codes=(1,)),
        [build_pod("p1", "node1", pod_status(state=term("NodeAffinity", 1)))],
        ["p1"],
    ),
    (
        "1 container terminated with exitCode 1, expected exitCode 2, 0 eviction",
        args(codes=(2,)),
        [build_pod("p1", "node1", pod_status(state=term(exit_code=1)))],
        [],
    ),
    (
        "2 containers terminated with exitCode 1 and 2 respectively, 2 evictions",
        args(codes=(1, 2, 3)),
        [
            build_pod("p1", "node1", pod_status(state=term(exit_code=1))),
            build_pod("p2", "node1", pod_status(state=term(exit_code=2))),
        ],
        ["p1", "p2"],
    ),
    (
        "2 containers terminated with exitCode 1 and 2 respectively, expected exitCode 1, "
        "1 eviction",
        args(codes=(1,)),
        [
            build_pod("p1", "node1", pod_status(state=term(exit_code=1))),
            build_pod("p2", "node1", pod_status(state=term(exit_code=2))),
        ],
        ["p1"],
    ),
    (
        "1 init container terminated with reason NodeAffinity, 1 eviction",
        args(init=True),
        [build_pod("p1", "node1", pod_status(init_state=term("NodeAffinity")))],
        ["p1"],
    ),
    (
        # Upstream's row puts the state on a regular container despite its name.
        "1 init container terminated with exitCode 1, 1 eviction",
        args(init=True, codes=(1,)),
        [build_pod("p1", "node1", pod_status(state=term(exit_code=1)))],
        ["p1"],
    ),
    (
        "1 init container terminated with exitCode 2, expected 1, 0 eviction",
        args(init=True, codes=(1,)),
        [build_pod("p1", "node1", pod_status(state=term(exit_code=2)))],
        [],
    ),
    (
        "1 init container waiting with reason CreateContainerConfigError, 1 eviction",
        args(init=True),
        [build_pod("p1", "node1", pod_status(init_state=wait(CCCE)))],
        ["p1"],
    ),
    (
        "2 init container waiting with reason CreateContainerConfigError, 2 nodes, 2 evictions",
        args(init=True),
        [
            build_pod("p1", "node1", pod_status(init_state=term(CCCE))),
            build_pod("p2", "node2", pod_status(init_state=term(CCCE))),
        ],
        ["p1", "p2"],
    ),
    (
        "include reason=CreateContainerConfigError, 1 container terminated with reason "
        "CreateContainerConfigError, 1 eviction",
        args(reasons=(CCCE,)),
        [build_pod("p1", "node1", pod_status(state=term(CCCE)))],
        ["p1"],
    ),
    (
        "include reason=CreateContainerConfigError+NodeAffinity, 1 container terminated with "
        "reason CreateContainerConfigError, 1 eviction",
        args(reasons=(CCCE, "NodeAffinity")),
        [build_pod("p1", "node1", pod_status(state=term(CCCE)))],
        ["p1"],
    ),
    (
        "include reason=CreateContainerConfigError, 1 container terminated with reason "
        "NodeAffinity, 0 eviction",
        args(reasons=(CCCE,)),
        [build_pod("p1", "node1", pod_status(state=term("NodeAffinity")))],
        [],
    ),
    (
        "include init container=false, 1 init container waiting with reason "
        "CreateContainerConfigError, 0 eviction",
        args(reasons=(CCCE,)),
        [build_pod("p1", "node1", pod_status(init_state=wait(CCCE)))],
        [],
    ),
    (
        "lifetime 1 hour, 1 container terminated with reason NodeAffinity, 0 eviction",
        args(min_age=ONE_HOUR),
        [build_pod("p1", "node1", pod_status(state=term("NodeAffinity")))],
        [],
    ),
    (
        "excluded owner kind=ReplicaSet, 1 init container terminated with owner "
        "kind=ReplicaSet, 0 eviction",
        args(init=True, exclude_kinds=("ReplicaSet",)),
        [build_pod("p1", "node1", pod_status(init_state=term("NodeAffinity")))],
        [],
    ),
    (
        "excluded owner kind=DaemonSet, 1 init container terminated with owner "
        "kind=ReplicaSet, 1 eviction",
        args(init=True, exclude_kinds=("DaemonSet",)),
        [build_pod("p1", "node1", pod_status(init_state=term("NodeAffinity")))],
        ["p1"],
    ),
    (
        "excluded owner kind=DaemonSet, 1 init container terminated with owner "
        "kind=ReplicaSet, 1 pod in termination; nothing should be moved",
        args(init=True, exclude_kinds=("DaemonSet",)),
        [build_pod("p1", "node1", pod_status(init_state=term("NodeAffinity")), deleted=True)],
        [],
    ),
    (
        "include reason=Shutdown, 2 containers terminated with reason ShutDown, 2 evictions",
        args(reasons=("Shutdown",)),
        [
            build_pod("p1", "node1", pod_status("Shutdown", "Failed")),
            build_pod("p2", "node1", pod_status("Shutdown", "Failed")),
        ],
        ["p1", "p2"],
    ),
]


@pytest.mark.parametrize(
    ("policy", "pods", "evicted"),
    [row[1:] for row in REMOVE_FAILED_PODS],
    ids=[row[0] for row in REMOVE_FAILED_PODS],
)
def test_remove_failed_pods(policy: CleanupPolicy, pods: list[Pod], evicted: list[str]) -> None:
    selected = select_failed_pods(pods, policy, NOW)
    assert [s.pod.metadata.name for s in selected] == evicted


# ------------------------------------------------------------------ kubetui's own cases


def spark_driver(
    reason: str = "OOMKilled",
    exit_code: int = 137,
    *,
    created: datetime = NOW - timedelta(hours=2),
    owners: list[dict[str, Any]] | None = None,
    **overrides: Any,
) -> Pod:
    """A failed Spark driver pod: bare (Spark sets no owner) unless ``owners`` is given."""
    doc: dict[str, Any] = {
        "metadata": {
            "name": "kyuubi-x-driver",
            "namespace": "spark",
            "labels": {"spark-role": "driver", "spark-app-selector": "spark-1"},
            "creationTimestamp": _iso(created),
            "ownerReferences": owners or [],
        },
        "status": {
            "phase": "Failed",
            "containerStatuses": [
                {
                    "name": "spark-kubernetes-driver",
                    "state": {"terminated": {"reason": reason, "exitCode": exit_code}},
                }
            ],
        },
    }
    for path, value in overrides.items():
        section, key = path.split("__")
        doc.setdefault(section, {})[key] = value
    return msgspec.convert(doc, Pod)


BARE = CleanupPolicy(include_bare_pods=True)


def _picked(pod: Pod, policy: CleanupPolicy, now: datetime = NOW) -> str | None:
    selected = select_failed_pods([pod], policy, now)
    return selected[0].reason if selected else None


# (description, pod, policy, expected reason line or None when not selected)
KUBETUI_CASES = [
    (
        "reason line names the container, its reason and exit code",
        spark_driver(),
        CleanupPolicy(reasons=("OOMKilled",), include_bare_pods=True),
        "container spark-kubernetes-driver terminated OOMKilled exit 137",
    ),
    (
        "a range matches a code inside it",
        spark_driver(),
        CleanupPolicy(exit_codes=parse_exit_codes("129-255"), include_bare_pods=True),
        "container spark-kubernetes-driver terminated OOMKilled exit 137",
    ),
    (
        "a range does not match a code outside it",
        spark_driver("Error", 128),
        CleanupPolicy(exit_codes=parse_exit_codes("129-255"), include_bare_pods=True),
        None,
    ),
    (
        "reasons and exit codes must both match",
        spark_driver(),
        CleanupPolicy(
            reasons=("OOMKilled",), exit_codes=parse_exit_codes("1"), include_bare_pods=True
        ),
        None,
    ),
    (
        "both match on the same container: one phrase",
        spark_driver(),
        CleanupPolicy(
            reasons=("OOMKilled",), exit_codes=parse_exit_codes("137"), include_bare_pods=True
        ),
        "container spark-kubernetes-driver terminated OOMKilled exit 137",
    ),
    (
        "no filter: phase Failed and the telling status",
        spark_driver("Error", 1),
        BARE,
        "phase Failed, container spark-kubernetes-driver terminated Error exit 1",
    ),
    (
        "no filter: the pod's own reason first",
        spark_driver(status__reason="Evicted"),
        BARE,
        "phase Failed, pod reason Evicted",
    ),
    (
        "pod status.reason counts for reasons",
        spark_driver(status__reason="DeadlineExceeded"),
        CleanupPolicy(reasons=("DeadlineExceeded",), include_bare_pods=True),
        "pod reason DeadlineExceeded",
    ),
    (
        "bare pods are protected by default (FailedBarePods)",
        spark_driver(),
        CleanupPolicy(),
        None,
    ),
    (
        "executors owned by the driver pod are not bare",
        spark_driver(owners=[{"kind": "Pod", "name": "kyuubi-x-driver"}]),
        CleanupPolicy(),
        "phase Failed, container spark-kubernetes-driver terminated OOMKilled exit 137",
    ),
    (
        "DaemonSet pods are protected",
        spark_driver(owners=[{"kind": "DaemonSet", "name": "ds"}]),
        BARE,
        None,
    ),
    (
        "mirror pods (owned by their Node) are protected",
        spark_driver(owners=[{"kind": "Node", "name": "n1"}]),
        BARE,
        None,
    ),
    (
        "system-critical priority is protected",
        spark_driver(spec__priority=2_000_000_000),
        BARE,
        None,
    ),
    (
        "priority just below system-critical is not",
        spark_driver(spec__priority=1_999_999_999),
        BARE,
        "phase Failed, container spark-kubernetes-driver terminated OOMKilled exit 137",
    ),
    ("only phase Failed", spark_driver(status__phase="Running"), BARE, None),
    (
        "age equal to the minimum is old enough",
        spark_driver(created=NOW - timedelta(seconds=600)),
        CleanupPolicy(min_pod_lifetime_seconds=600, include_bare_pods=True),
        "phase Failed, container spark-kubernetes-driver terminated OOMKilled exit 137",
    ),
    (
        "age is whole seconds: 599.9 s is younger than 600",
        spark_driver(created=NOW - timedelta(seconds=599, milliseconds=900)),
        CleanupPolicy(min_pod_lifetime_seconds=600, include_bare_pods=True),
        None,
    ),
    (
        "undatable pod is never old enough",
        spark_driver(metadata__creationTimestamp=None),
        CleanupPolicy(min_pod_lifetime_seconds=0, include_bare_pods=True),
        None,
    ),
    (
        "an empty reason matches no status",
        spark_driver(""),
        CleanupPolicy(reasons=("",), include_bare_pods=True),
        None,
    ),
    (
        "the previous container state (lastState) does not count",
        msgspec.convert(
            {
                "metadata": {"name": "p", "ownerReferences": REPLICA_SET},
                "status": {
                    "phase": "Failed",
                    "containerStatuses": [
                        {
                            "name": "c",
                            "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                            "lastState": {"terminated": {"reason": "OOMKilled", "exitCode": 137}},
                        }
                    ],
                },
            },
            Pod,
        ),
        CleanupPolicy(reasons=("OOMKilled",), exit_codes=parse_exit_codes("137")),
        None,
    ),
    (
        "waiting reasons count",
        msgspec.convert(
            {
                "metadata": {"name": "p", "ownerReferences": REPLICA_SET},
                "status": {
                    "phase": "Failed",
                    "containerStatuses": [
                        {"name": "c", "state": {"waiting": {"reason": "CrashLoopBackOff"}}}
                    ],
                },
            },
            Pod,
        ),
        CleanupPolicy(reasons=("CrashLoopBackOff",)),
        "container c waiting CrashLoopBackOff",
    ),
    (
        "init container exit codes count only when included",
        msgspec.convert(
            {
                "metadata": {"name": "p", "ownerReferences": REPLICA_SET},
                "status": {
                    "phase": "Failed",
                    "initContainerStatuses": [
                        {"name": "init", "state": {"terminated": {"exitCode": 143}}}
                    ],
                },
            },
            Pod,
        ),
        CleanupPolicy(exit_codes=parse_exit_codes("143"), include_init_containers=True),
        "init container init terminated exit 143",
    ),
    (
        "a Failed pod with nothing else known, owner set, no filters",
        msgspec.convert(
            {"metadata": {"ownerReferences": REPLICA_SET}, "status": {"phase": "Failed"}}, Pod
        ),
        CleanupPolicy(),
        "phase Failed",
    ),
    (
        "unknown everything with every filter set never crashes",
        msgspec.convert(
            {
                "metadata": {"ownerReferences": [{}]},
                "status": {"phase": "Failed", "containerStatuses": [{}, {"state": {}}]},
            },
            Pod,
        ),
        CleanupPolicy(
            reasons=("OOMKilled",),
            exit_codes=parse_exit_codes("1-255"),
            include_init_containers=True,
            min_pod_lifetime_seconds=1,
            exclude_owner_kinds=("Job",),
            namespaces_exclude=("kube-system",),
            label_selector="!x",
        ),
        None,
    ),
]


@pytest.mark.parametrize(
    ("pod", "policy", "expected"),
    [row[1:] for row in KUBETUI_CASES],
    ids=[row[0] for row in KUBETUI_CASES],
)
def test_kubetui_cases(pod: Pod, policy: CleanupPolicy, expected: str | None) -> None:
    assert _picked(pod, policy) == expected


def test_reason_and_code_from_different_containers_are_both_named() -> None:
    pod = msgspec.convert(
        {
            "metadata": {"ownerReferences": REPLICA_SET},
            "status": {
                "phase": "Failed",
                "containerStatuses": [
                    {"name": "a", "state": {"terminated": {"reason": "Error", "exitCode": 1}}},
                    {"name": "b", "state": {"terminated": {"exitCode": 143}}},
                ],
            },
        },
        Pod,
    )
    policy = CleanupPolicy(reasons=("Error",), exit_codes=parse_exit_codes("143"))
    assert _picked(pod, policy) == (
        "container a terminated Error exit 1; container b terminated exit 143"
    )


# (policy, namespace, labels, selected?)
FILTERS = [
    (CleanupPolicy(namespaces_include=("spark",), include_bare_pods=True), True),
    (CleanupPolicy(namespaces_include=("other",), include_bare_pods=True), False),
    (CleanupPolicy(namespaces_exclude=("spark",), include_bare_pods=True), False),
    (CleanupPolicy(namespaces_exclude=("other",), include_bare_pods=True), True),
    (CleanupPolicy(label_selector="spark-role=driver", include_bare_pods=True), True),
    (CleanupPolicy(label_selector="spark-role in (executor)", include_bare_pods=True), False),
    (CleanupPolicy(label_selector="spark-role,!kyuubi-unique-tag", include_bare_pods=True), True),
    (CleanupPolicy(exclude_owner_kinds=("Pod",), include_bare_pods=True), True),
]


@pytest.mark.parametrize(("policy", "selected"), FILTERS)
def test_namespace_label_and_owner_filters(policy: CleanupPolicy, selected: bool) -> None:
    assert (_picked(spark_driver(), policy) is not None) is selected


def test_naive_now_is_utc_and_order_is_kept() -> None:
    pods = [spark_driver(), spark_driver("Error", 1)]
    policy = CleanupPolicy(min_pod_lifetime_seconds=ONE_HOUR, include_bare_pods=True)
    naive = NOW.replace(tzinfo=None)
    assert [s.reason for s in select_failed_pods(pods, policy, naive)] == [
        "phase Failed, container spark-kubernetes-driver terminated OOMKilled exit 137",
        "phase Failed, container spark-kubernetes-driver terminated Error exit 1",
    ]
    assert select_failed_pods(iter(pods), policy, naive - timedelta(hours=1, seconds=1)) == []


# ------------------------------------------------------------------ exit code parsing

PARSE_EXIT_CODES = [
    ("", ()),
    ("  ", ()),
    ("137", ((137, 137),)),
    ("137,143,129-255", ((137, 137), (143, 143), (129, 255))),
    (" 1 - 3 , 0 ", ((1, 3), (0, 0))),
    ("2147483647", ((2147483647, 2147483647),)),
]


@pytest.mark.parametrize(("text", "ranges"), PARSE_EXIT_CODES)
def test_parse_exit_codes(text: str, ranges: tuple[tuple[int, int], ...]) -> None:
    parsed = parse_exit_codes(text)
    assert tuple((r.start, r.end) for r in parsed) == ranges
    assert parse_exit_codes(format_exit_codes(parsed)) == parsed


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a", "bad exit code 'a'"),
        ("1,,2", "bad exit code ''"),
        ("-1", "bad exit code '-1'"),
        ("1-", "bad exit code '1-'"),
        ("1.5", "bad exit code '1.5'"),
        ("5-3", "bad exit code range 5-3"),
        ("2147483648", "bad exit code range 2147483648-2147483648"),
    ],
)
def test_parse_exit_codes_rejects(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as err:
        parse_exit_codes(text)
    assert "\n" not in str(err.value)


# ------------------------------------------------------------------ validation
# TestValidateRemoveFailedPodsArgs, with the label selector in kubectl's string form.

VALIDATION = [
    (
        "valid namespace args, no errors",
        dict(
            namespaces_include=("default",),
            exclude_owner_kinds=("Job",),
            reasons=("ReasonDoesNotMatch",),
            min_pod_lifetime_seconds=ONE_HOUR,
        ),
        None,
    ),
    (
        "invalid namespaces args, expects error",
        dict(namespaces_include=("default",), namespaces_exclude=("kube-system",)),
        "only one of Include/Exclude namespaces can be set",
    ),
    ("valid label selector args, no errors", dict(label_selector="role.kubernetes.io/node="), None),
    (
        "invalid label selector args, expects errors",
        dict(label_selector="in (a)"),
        # "in" starts a requirement as its key (upstream reads keywords as identifiers there)
        "bad labelSelector 'in (a)': unable to parse requirement: found '(', expected: in, "
        "notin, =, ==, !=, gt, lt",
    ),
    (
        "kubetui: negative minimum age",
        dict(min_pod_lifetime_seconds=-1),
        "minPodLifetimeSeconds must not be negative, got -1",
    ),
]


@pytest.mark.parametrize(
    ("kwargs", "error"), [row[1:] for row in VALIDATION], ids=[row[0] for row in VALIDATION]
)
def test_policy_validation(kwargs: dict[str, Any], error: str | None) -> None:
    if error is None:
        CleanupPolicy(**kwargs)
        return
    with pytest.raises(ValueError) as err:
        CleanupPolicy(**kwargs)
    assert str(err.value) == error


def test_policy_decodes_from_config_and_rejects_unknown_keys() -> None:
    policy = msgspec.convert(
        {"reasons": ["OOMKilled"], "exit_codes": [{"start": 129, "end": 255}]}, CleanupPolicy
    )
    assert policy.exit_codes == (ExitCodeRange(129, 255),)
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert({"reason": ["OOMKilled"]}, CleanupPolicy)
    with pytest.raises(msgspec.ValidationError, match="only one of Include/Exclude"):
        msgspec.convert({"namespaces_include": ["a"], "namespaces_exclude": ["b"]}, CleanupPolicy)
