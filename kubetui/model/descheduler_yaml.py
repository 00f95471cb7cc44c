"""A cleanup policy written as a descheduler policy, so the cluster can run it continuously.

The exported file must select the pods kubetui's preview selected (``cleanup_policy.py``):
RemoveFailedPods gets the same arguments, and the DefaultEvictor, which every eviction
passes through, protects the same pods kubetui protects. What the descheduler's format
cannot say is left out, flagged in a comment and returned in ``notes``.

Layout and names from kubernetes-sigs/descheduler at commit
7d2b28bf2b6a12810317936d909af0270ff38fa3 (master, 2026-06-30): ``README.md`` (sections
"Policy, Default Evictor and Strategy plugins", "RemoveFailedPods", "Namespace filtering",
"Label filtering"), ``pkg/api/v1alpha2/types.go`` (profiles, pluginConfig, plugins),
``pkg/framework/plugins/removefailedpods/types.go`` (argument names),
``pkg/framework/plugins/defaultevictor/types.go`` (``podProtections.defaultDisabled``) and
``pkg/descheduler/policyconfig.go`` (the DefaultEvictor is enabled for filter and
preEvictionFilter when a profile does not name it). The label selector is a
``metav1.LabelSelector``, whose operators are In, NotIn, Exists and DoesNotExist
(kubernetes/apimachinery@eed236ce ``pkg/apis/meta/v1/helpers.go`` LabelSelectorAsSelector).
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

import yaml

from kubetui.model.cleanup_policy import CleanupPolicy, ExitCodeRange
from kubetui.model.inert_text import inert, single_line
from kubetui.model.selectors import LabelSelector, Op, Requirement, parse_label_selector

PROFILE_NAME = "kubetui-remove-failed-pods"
#: exitCodes is a list of codes; ranges are written out up to this many codes in total.
MAX_LISTED_EXIT_CODES = 256

_API_OPERATORS = {
    Op.EQUALS: "In",
    Op.DOUBLE_EQUALS: "In",
    Op.IN: "In",
    Op.NOT_EQUALS: "NotIn",
    Op.NOT_IN: "NotIn",
    Op.EXISTS: "Exists",
    Op.DOES_NOT_EXIST: "DoesNotExist",
}


class PolicyYaml(NamedTuple):
    """The policy file, and what it could not express (empty: it selects the same pods,
    apart from the fixed differences its header comment states)."""

    text: str
    notes: tuple[str, ...]


def descheduler_policy_yaml(policy: CleanupPolicy) -> str:
    """The text of :func:`render_policy`."""
    return render_policy(policy).text


def render_policy(policy: CleanupPolicy) -> PolicyYaml:
    """A ``descheduler/v1alpha2`` DeschedulerPolicy with one profile running RemoveFailedPods
    under ``deschedule``, equivalent to ``policy`` wherever the format allows."""
    comments = [
        "DeschedulerPolicy written by kubetui from a cleanup policy. The descheduler only "
        "visits pods bound to Ready nodes; kubetui's preview also lists failed pods on "
        "missing or NotReady nodes.",
        "DefaultEvictor: PodsWithLocalStorage protection is off because kubetui does not "
        "look at volumes (Spark pods mount an emptyDir for spark-local-dir).",
    ]
    notes: list[str] = []
    disabled = ["PodsWithLocalStorage"]
    if policy.include_bare_pods:
        disabled.append("FailedBarePods")
        comments.append(
            "DefaultEvictor: FailedBarePods protection is off: the policy includes pods "
            "without an owner, such as Spark driver pods."
        )

    args: dict[str, Any] = {}
    if policy.reasons:
        args["reasons"] = list(policy.reasons)
    if policy.exit_codes:
        codes, dropped = _listed_exit_codes(policy.exit_codes)
        args["exitCodes"] = codes
        if any(r.start != r.end for r in policy.exit_codes):
            written = ",".join(str(r) for r in policy.exit_codes)
            comments.append(f"exitCodes: kubetui's {written} written out one code each.")
        if dropped:
            notes.append(
                f"exit codes {dropped} are left out (at most {MAX_LISTED_EXIT_CODES} codes are "
                "listed), so the descheduler removes fewer pods than kubetui"
            )
    args["includingInitContainers"] = policy.include_init_containers
    if policy.exclude_owner_kinds:
        args["excludeOwnerKinds"] = list(policy.exclude_owner_kinds)
    if policy.min_pod_lifetime_seconds is None:
        args["minPodLifetimeSeconds"] = 0
        comments.append(
            "minPodLifetimeSeconds: 0 means no minimum age; the descheduler would default an "
            "absent value to 3600."
        )
    else:
        args["minPodLifetimeSeconds"] = policy.min_pod_lifetime_seconds
    if policy.namespaces_include:
        args["namespaces"] = {"include": list(policy.namespaces_include)}
    elif policy.namespaces_exclude:
        args["namespaces"] = {"exclude": list(policy.namespaces_exclude)}
    if policy.label_selector:
        selector, left_out = label_selector_to_api(parse_label_selector(policy.label_selector))
        if selector:
            args["labelSelector"] = selector
        notes.extend(
            f"label requirement '{r}' is left out (a descheduler labelSelector has only In, "
            "NotIn, Exists and DoesNotExist), so the descheduler removes more pods than kubetui"
            for r in left_out
        )

    body = {
        "apiVersion": "descheduler/v1alpha2",
        "kind": "DeschedulerPolicy",
        "profiles": [
            {
                "name": PROFILE_NAME,
                "pluginConfig": [
                    {
                        "name": "DefaultEvictor",
                        "args": {"podProtections": {"defaultDisabled": disabled}},
                    },
                    {"name": "RemoveFailedPods", "args": args},
                ],
                "plugins": {"deschedule": {"enabled": ["RemoveFailedPods"]}},
            }
        ],
    }
    comments.extend(f"NOT EQUIVALENT: {note}." for note in notes)
    header = "".join(
        "\n".join(textwrap.wrap(c, width=88, initial_indent="# ", subsequent_indent="#   ")) + "\n"
        for c in comments
    )
    return PolicyYaml(
        header + yaml.safe_dump(body, sort_keys=False, default_flow_style=None, width=88),
        tuple(notes),
    )


def label_selector_to_api(selector: LabelSelector) -> tuple[dict[str, Any], list[Requirement]]:
    """The selector as a ``metav1.LabelSelector`` dict, and the requirements it cannot hold.

    ``k=v`` goes to matchLabels (a second ``=`` on the same key becomes ``In``), ``!=`` is
    ``NotIn`` with one value (both match a pod without the key), ``>`` and ``<`` have no
    form and are returned instead.
    """
    match_labels: dict[str, str] = {}
    expressions: list[dict[str, Any]] = []
    left_out: list[Requirement] = []
    for req in selector.requirements:
        operator = _API_OPERATORS.get(req.operator)
        if operator is None:
            left_out.append(req)
        elif req.operator in (Op.EQUALS, Op.DOUBLE_EQUALS) and req.key not in match_labels:
            match_labels[req.key] = req.values[0]
        elif operator in ("Exists", "DoesNotExist"):
            expressions.append({"key": req.key, "operator": operator})
        else:
            expressions.append({"key": req.key, "operator": operator, "values": sorted(req.values)})
    api: dict[str, Any] = {}
    if match_labels:
        api["matchLabels"] = match_labels
    if expressions:
        api["matchExpressions"] = expressions
    return api, left_out


def _listed_exit_codes(ranges: Iterable[ExitCodeRange]) -> tuple[list[int], str]:
    """Every code of ``ranges`` in ascending order, at most MAX_LISTED_EXIT_CODES of them
    (the lowest, which hold every Linux exit status 0-255 first), and the rest as text."""
    merged: list[list[int]] = []
    for r in sorted(ranges, key=lambda r: r.start):
        if merged and r.start <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], r.end)
        else:
            merged.append([r.start, r.end])
    codes: list[int] = []
    dropped: list[ExitCodeRange] = []
    for start, end in merged:
        room = MAX_LISTED_EXIT_CODES - len(codes)
        last = min(end, start + room - 1)
        if last >= start:
            codes.extend(range(start, last + 1))
        if last < end:
            dropped.append(ExitCodeRange(max(start, last + 1), end))
    return codes, ",".join(str(r) for r in dropped)


def _comment_paragraphs(text: str) -> list[str]:
    """The header comment of a rendered policy, one string per wrapped paragraph."""
    paragraphs: list[str] = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        if line.startswith("#   ") and paragraphs:
            paragraphs[-1] += " " + line[4:]
        else:
            paragraphs.append(line[2:])
    return paragraphs


def render_policy_union(name: str, policies: Sequence[CleanupPolicy]) -> PolicyYaml:
    """A union of policies (a cleanup preset called ``name``) as one ``descheduler/v1alpha2``
    DeschedulerPolicy.

    RemoveFailedPods ANDs its arguments, and a profile configures each plugin once (the
    descheduler reads the first pluginConfig of a name: ``GetPluginConfig`` in
    kubernetes-sigs/descheduler ``pkg/descheduler/descheduler.go`` @ 7d2b28bf), so each
    policy becomes a profile of its own (``profiles`` in ``pkg/api/v1alpha2/types.go``);
    the profiles run in turn and a pod any of them selects is evicted.
    """
    rendered = [render_policy(policy) for policy in policies]
    name = single_line(inert(name))  # a YAML comment line: no newline or control character
    comments = [
        f"kubetui cleanup preset {name!r}: a failed pod is removed when it matches any of "
        f"the {len(rendered)} profile(s) below (one per policy of the preset)."
    ]
    profiles = []
    notes: list[str] = []
    for number, policy in enumerate(rendered, 1):
        for paragraph in _comment_paragraphs(policy.text):
            if paragraph not in comments:
                comments.append(paragraph)
        profile = yaml.safe_load(policy.text)["profiles"][0]
        if len(rendered) > 1:
            profile["name"] = f"{PROFILE_NAME}-{number}"
        profiles.append(profile)
        prefix = f"profile {profile['name']}: " if len(rendered) > 1 else ""
        notes += [prefix + note for note in policy.notes]
    body = {"apiVersion": "descheduler/v1alpha2", "kind": "DeschedulerPolicy", "profiles": profiles}
    header = "".join(
        "\n".join(textwrap.wrap(c, width=88, initial_indent="# ", subsequent_indent="#   ")) + "\n"
        for c in comments
    )
    text = header + yaml.safe_dump(body, sort_keys=False, default_flow_style=None, width=88)
    return PolicyYaml(text, tuple(notes))
