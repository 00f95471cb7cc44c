"""Cleanup policies exported as descheduler v1alpha2 policies.

Expected layouts follow kubernetes-sigs/descheduler@7d2b28bf2b6a12810317936d909af0270ff38fa3
``README.md`` (the RemoveFailedPods, Namespace filtering and Label filtering examples) and
``pkg/framework/plugins/removefailedpods/types.go`` (argument names).
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
import yaml

from kubetui.model.cleanup_policy import CleanupPolicy, parse_exit_codes
from kubetui.model.descheduler_yaml import (
    MAX_LISTED_EXIT_CODES,
    descheduler_policy_yaml,
    label_selector_to_api,
    render_policy,
)
from kubetui.model.selectors import parse_label_selector


def policy_doc(evictor_disabled: list[str], args: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "descheduler/v1alpha2",
        "kind": "DeschedulerPolicy",
        "profiles": [
            {
                "name": "kubetui-remove-failed-pods",
                "pluginConfig": [
                    {
                        "name": "DefaultEvictor",
                        "args": {"podProtections": {"defaultDisabled": evictor_disabled}},
                    },
                    {"name": "RemoveFailedPods", "args": args},
                ],
                "plugins": {"deschedule": {"enabled": ["RemoveFailedPods"]}},
            }
        ],
    }


LOCAL = ["PodsWithLocalStorage"]
RENDERED = [
    (
        "defaults: no minimum age is written as 0",
        CleanupPolicy(),
        policy_doc(LOCAL, {"includingInitContainers": False, "minPodLifetimeSeconds": 0}),
    ),
    (
        "the README's RemoveFailedPods example",
        CleanupPolicy(
            reasons=("NodeAffinity",),
            exit_codes=parse_exit_codes("1"),
            include_init_containers=True,
            exclude_owner_kinds=("Job",),
            min_pod_lifetime_seconds=3600,
        ),
        policy_doc(
            LOCAL,
            {
                "reasons": ["NodeAffinity"],
                "exitCodes": [1],
                "includingInitContainers": True,
                "excludeOwnerKinds": ["Job"],
                "minPodLifetimeSeconds": 3600,
            },
        ),
    ),
    (
        "Spark drivers: bare pods included, ranges written out, namespaces included",
        CleanupPolicy(
            reasons=("OOMKilled",),
            exit_codes=parse_exit_codes("137,143,129-131"),
            namespaces_include=("spark", "kyuubi"),
            include_bare_pods=True,
            min_pod_lifetime_seconds=600,
        ),
        policy_doc(
            ["PodsWithLocalStorage", "FailedBarePods"],
            {
                "reasons": ["OOMKilled"],
                "exitCodes": [129, 130, 131, 137, 143],
                "includingInitContainers": False,
                "minPodLifetimeSeconds": 600,
                "namespaces": {"include": ["spark", "kyuubi"]},
            },
        ),
    ),
    (
        "excluded namespaces and a label selector with every operator",
        CleanupPolicy(
            namespaces_exclude=("kube-system",),
            label_selector="spark-role=driver,tier!=gold,app in (b,a),team notin (x),k,!skip",
            min_pod_lifetime_seconds=0,
        ),
        policy_doc(
            LOCAL,
            {
                "includingInitContainers": False,
                "minPodLifetimeSeconds": 0,
                "namespaces": {"exclude": ["kube-system"]},
                "labelSelector": {
                    "matchLabels": {"spark-role": "driver"},
                    "matchExpressions": [
                        {"key": "app", "operator": "In", "values": ["a", "b"]},
                        {"key": "k", "operator": "Exists"},
                        {"key": "skip", "operator": "DoesNotExist"},
                        {"key": "team", "operator": "NotIn", "values": ["x"]},
                        {"key": "tier", "operator": "NotIn", "values": ["gold"]},
                    ],
                },
            },
        ),
    ),
    (
        "a second '=' on one key becomes In; YAML-looking values stay strings",
        CleanupPolicy(label_selector="a=true,a==1,b="),
        policy_doc(
            LOCAL,
            {
                "includingInitContainers": False,
                "minPodLifetimeSeconds": 0,
                "labelSelector": {
                    "matchLabels": {"a": "true", "b": ""},
                    "matchExpressions": [{"key": "a", "operator": "In", "values": ["1"]}],
                },
            },
        ),
    ),
]


@pytest.mark.parametrize(
    ("policy", "expected"), [r[1:] for r in RENDERED], ids=[r[0] for r in RENDERED]
)
def test_rendered_policy_loads_back(policy: CleanupPolicy, expected: dict[str, Any]) -> None:
    rendered = render_policy(policy)
    assert yaml.safe_load(rendered.text) == expected
    assert rendered.notes == ()
    assert descheduler_policy_yaml(policy) == rendered.text


def test_comments_explain_the_translation() -> None:
    text = descheduler_policy_yaml(
        CleanupPolicy(exit_codes=parse_exit_codes("129-255"), include_bare_pods=True)
    )
    header = list(itertools.takewhile(lambda line: line.startswith("#"), text.splitlines()))
    joined = " ".join(line.lstrip("# ") for line in header)
    assert "only visits pods bound to Ready nodes" in joined
    assert "PodsWithLocalStorage protection is off" in joined
    assert "FailedBarePods protection is off" in joined
    assert "kubetui's 129-255 written out one code each" in joined
    assert "would default an absent value to 3600" in joined
    assert "NOT EQUIVALENT" not in text
    assert all(len(line) <= 88 for line in header)
    assert yaml.safe_load(text)["profiles"][0]["pluginConfig"][1]["args"]["exitCodes"] == list(
        range(129, 256)
    )


def test_exit_codes_past_the_limit_are_left_out_and_noted() -> None:
    rendered = render_policy(CleanupPolicy(exit_codes=parse_exit_codes("1000-1100,0-199,150-300")))
    codes = yaml.safe_load(rendered.text)["profiles"][0]["pluginConfig"][1]["args"]["exitCodes"]
    assert codes == list(range(MAX_LISTED_EXIT_CODES))  # merged, lowest first: 0-255
    assert rendered.notes == (
        "exit codes 256-300,1000-1100 are left out (at most 256 codes are listed), so the "
        "descheduler removes fewer pods than kubetui",
    )
    assert "# NOT EQUIVALENT: exit codes 256-300,1000-1100" in rendered.text


def test_gt_and_lt_label_requirements_are_left_out_and_noted() -> None:
    rendered = render_policy(CleanupPolicy(label_selector="n>1,m<5"))
    args = yaml.safe_load(rendered.text)["profiles"][0]["pluginConfig"][1]["args"]
    assert "labelSelector" not in args
    assert [note.split(" is left out")[0] for note in rendered.notes] == [
        "label requirement 'm<5'",
        "label requirement 'n>1'",
    ]
    assert all("removes more pods than kubetui" in note for note in rendered.notes)
    assert rendered.text.count("# NOT EQUIVALENT") == 2


def _selector_text(api: dict[str, Any]) -> str:
    """A metav1.LabelSelector back in kubectl's syntax (LabelSelectorAsSelector's mapping)."""
    terms = [f"{k}={v}" for k, v in api.get("matchLabels", {}).items()]
    for expr in api.get("matchExpressions", []):
        key, op = expr["key"], expr["operator"]
        values = ",".join(expr.get("values", []))
        terms.append(
            {"In": f"{key} in ({values})", "NotIn": f"{key} notin ({values})"}.get(op)
            or (key if op == "Exists" else f"!{key}")
        )
    return ",".join(terms)


LABEL_SETS = [
    {},
    {"a": "1"},
    {"a": "2"},
    {"a": "1", "b": "x"},
    {"a": "1", "b": "y", "c": ""},
    {"b": "x", "c": "z"},
    {"a": "1", "d": "q"},
]


@pytest.mark.parametrize(
    "text", ["a=1", "a!=1", "a=1,b!=y", "a in (1,2),!d", "b notin (x,),c", "a=1,a==2", "a=,c"]
)
def test_exported_label_selector_matches_the_same_labels(text: str) -> None:
    original = parse_label_selector(text)
    api, left_out = label_selector_to_api(original)
    assert left_out == []
    exported = parse_label_selector(_selector_text(api))
    assert [exported.matches(ls) for ls in LABEL_SETS] == [
        original.matches(ls) for ls in LABEL_SETS
    ]
