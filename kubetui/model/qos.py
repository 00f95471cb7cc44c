"""A pod's QoS class and the oom_score_adj the kubelet gives each of its containers.

When a node runs out of memory before the kubelet can evict, the kernel kills the process
with the highest badness, which is its memory share plus ``oom_score_adj``; the kubelet
writes that adj per container from the pod's QoS class. The rules are read from
kubernetes/kubernetes master (mid-2026, as stored by the code index):

* ``pkg/apis/core/v1/helper/qos/qos.go``: ``GetPodQOS`` and ``ComputePodQOS`` (the
  per-container ``resourceQOS`` form, with pod-level ``spec.resources`` taking over when
  present), only cpu and memory counted;
* ``pkg/kubelet/qos/policy.go`` ``GetContainerOOMScoreAdjust`` and ``helpers.go``
  (``minRegularContainerMemory``, ``remainingPodMemReqPerContainer``);
* ``pkg/kubelet/types/pod_update.go`` ``IsNodeCriticalPod``;
* ``pkg/apis/core/v1/defaults.go`` (commit 023f88a3) ``SetDefaults_Pod`` and
  ``defaultPodRequests``, because a manifest read from a file has not been through the
  API server: a container's missing request defaults to its limit, and when pod-level
  limits are set, a missing pod-level cpu/memory request defaults to the containers'
  aggregate request (kubernetes/component-helpers ``resource/helpers.go``
  ``AggregateContainerRequests``, master 1961876b) or else to the pod-level limit.
  Defaulting is idempotent, so objects read from the API give the same answer.

Feature gates are taken at their defaults: PodLevelResources on (beta since 1.34),
sidecars always on (GA). Not modelled: DRA memory claims (DRANodeAllocatableResources,
alpha), the KubeletOOMScoreAdjTieBreak nudge (seen in a 2026 policy.go, gated), allocated
resources of in-place resizes (the kubelet uses allocated values, we use the spec), the
``defaultPodLimits`` seen in that defaults.go but not yet in component-helpers master,
and static/mirror-pod detection (the records keep no annotations; see
:func:`is_node_critical`).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Hashable, Iterable
from decimal import Decimal
from functools import partial
from typing import Any, NamedTuple, TypeVar

from kubetui.model.pod_status import is_restartable_init_container
from kubetui.model.quantity import parse_quantity
from kubetui.model.records import Container, Pod, ResourceMap, ResourceRequirements

GUARANTEED = "Guaranteed"
BURSTABLE = "Burstable"
BEST_EFFORT = "BestEffort"

#: policy.go constants.
GUARANTEED_OOM_SCORE_ADJ = -997
BEST_EFFORT_OOM_SCORE_ADJ = 1000
#: The lowest Burstable value: ``1000 + guaranteedOOMScoreAdj``.
BURSTABLE_MIN_OOM_SCORE_ADJ = 1000 + GUARANTEED_OOM_SCORE_ADJ

#: pkg/apis/scheduling: ``SystemCriticalPriority`` and the node-critical class name.
SYSTEM_CRITICAL_PRIORITY = 2_000_000_000
SYSTEM_NODE_CRITICAL = "system-node-critical"

#: ``supportedQoSComputeResources``; also the only overcommittable pod-level resources.
_QOS_RESOURCES = ("cpu", "memory")

Resources = dict[str, Decimal]
T = TypeVar("T")


class OomScoreAdj(NamedTuple):
    """The kubelet's oom_score_adj for one container, and how it was reached."""

    #: The value the kubelet writes to /proc/<pid>/oom_score_adj; None when unknown.
    value: int | None
    #: The QoS class the kubelet acts on (``GetPodQOS``); None if a quantity is unparseable.
    qos: str | None
    #: Short text of the branch taken.
    rule: str
    #: The arithmetic with the numbers filled in, e.g. ``1000 - 1000*2147483648/8589934592
    #: = 750``; empty where the value is a constant of policy.go.
    formula: str
    #: The inputs by name (bytes for memory), for a detail pane.
    inputs: dict[str, str | int | None]


def _parse(resources: ResourceMap | None) -> Resources | None:
    """The cpu/memory entries of a request or limit map; None if one is unparseable.

    A key present with value 0 stays present: defaulting asks whether a key *exists*.
    """
    parsed: Resources = {}
    for name in _QOS_RESOURCES:
        if resources and name in resources:
            value = parse_quantity(resources[name])
            if value is None:
                return None
            parsed[name] = value
    return parsed


def _value(quantity: Decimal) -> int:
    """``Quantity.Value()``: rounded up."""
    n, d = quantity.as_integer_ratio()
    return -(-n // d)


class _Requirements(NamedTuple):
    requests: Resources
    limits: Resources


#: Memo tables of ``_by_identity``: parts' ids → (those parts, result).
_Memo = dict[tuple[Hashable, ...], tuple[tuple[object, ...], Any]]
_MEMO_LIMIT = 4096
_REQUIREMENTS: _Memo = {}
_ANALYSES: _Memo = {}
_ADJS: _Memo = {}


def _by_identity(
    table: _Memo,
    parts: tuple[object, ...],
    compute: Callable[[], T],
    values: tuple[Hashable, ...] = (),
) -> T:
    """``compute()``, remembered for these very ``parts`` (record fields) and equal
    ``values`` (scalars: strings, ints, None).

    Parsing every container's quantities was a quarter of a 50k-pod triage report, yet
    the executors of one app carry equal resources and containers, one shared object each
    once records are compacted (``watch_decode.Compactor``), and a pod's adj asked for
    its containers twice. Records are never changed after decoding, so their identity
    tells their value; an entry keeps its parts alive, so their ids stay theirs. The
    table is cleared when full. Results are shared: read them, never change them.
    """
    key = (*map(id, parts), *values)
    known = table.get(key)
    if known is not None and all(map(operator.is_, known[0], parts)):
        return known[1]
    result = compute()
    if len(table) >= _MEMO_LIMIT:
        table.clear()
    table[key] = (parts, result)
    return result


def _container_requirements(container: Container) -> _Requirements | None:
    """Requests and limits after ``SetDefaults_Pod``: a missing request takes the limit."""
    res = container.resources
    return _by_identity(_REQUIREMENTS, (res,), partial(_requirements, res))


def _requirements(res: ResourceRequirements | None) -> _Requirements | None:
    requests = _parse(res.requests if res else None)
    limits = _parse(res.limits if res else None)
    if requests is None or limits is None:
        return None
    return _Requirements({**limits, **requests}, limits)


def container_memory_bytes(container: Container) -> tuple[int | None, int | None]:
    """(request, limit) of memory in bytes after API defaulting; None where unset or
    unparseable."""
    requirements = _container_requirements(container)
    if requirements is None:
        return None, None
    request = requirements.requests.get("memory")
    limit = requirements.limits.get("memory")
    return (
        None if request is None else _value(request),
        None if limit is None else _value(limit),
    )


def _add(total: Resources, more: Resources) -> None:
    for name, value in more.items():
        total[name] = total.get(name, Decimal(0)) + value


def _aggregate_requests(
    regular: Iterable[_Requirements], init: Iterable[tuple[_Requirements, bool]]
) -> Resources:
    """``AggregateContainerRequests``: regular containers and sidecars add up; a plain init
    container needs its own request plus the sidecars started before it; the pod needs
    the larger of the two phases, per resource."""
    total: Resources = {}
    for req in regular:
        _add(total, req.requests)
    sidecars: Resources = {}
    init_peak: Resources = {}
    for req, restartable in init:
        if restartable:
            _add(total, req.requests)
            _add(sidecars, req.requests)
            phase = dict(sidecars)
        else:
            phase = dict(req.requests)
            _add(phase, sidecars)
        for name, value in phase.items():
            init_peak[name] = max(init_peak.get(name, value), value)
    for name, value in init_peak.items():
        total[name] = max(total.get(name, value), value)
    return total


class _PodAnalysis(NamedTuple):
    """Everything about a pod that every container's adj needs, computed once."""

    regular: list[_Requirements]
    init: list[tuple[_Requirements, bool]]
    aggregate: Resources
    #: Pod-level requirements after ``defaultPodRequests``; None without spec.resources.
    pod_level: _Requirements | None


def _analyse(pod: Pod) -> _PodAnalysis | None:
    """The pod's requirements and their aggregate: a function of three spec fields, which
    compacted records share between the pods of one template."""
    spec = pod.spec
    parts = (spec.containers, spec.init_containers, spec.resources)
    return _by_identity(_ANALYSES, parts, partial(_analyse_spec, *parts))


def _analyse_spec(
    containers: tuple[Container, ...],
    init_containers: tuple[Container, ...],
    spec_res: ResourceRequirements | None,
) -> _PodAnalysis | None:
    regular = [_container_requirements(c) for c in containers]
    init = [_container_requirements(c) for c in init_containers]
    if any(r is None for r in (*regular, *init)):
        return None
    regular_ok = [r for r in regular if r is not None]
    init_ok = [
        (r, is_restartable_init_container(c))
        for r, c in zip(init, init_containers, strict=True)
        if r is not None
    ]
    aggregate = _aggregate_requests(regular_ok, init_ok)
    if spec_res is None:
        return _PodAnalysis(regular_ok, init_ok, aggregate, None)
    requests = _parse(spec_res.requests)
    limits = _parse(spec_res.limits)
    if requests is None or limits is None:
        return None
    if spec_res.limits:  # defaultPodRequests runs only when pod-level limits exist
        for name in _QOS_RESOURCES:
            if name not in requests and name in aggregate:
                requests[name] = aggregate[name]
        requests = {**limits, **requests}
    return _PodAnalysis(regular_ok, init_ok, aggregate, _Requirements(requests, limits))


def _resource_qos(req: _Requirements) -> str:
    """``resourceQOS``: one set of requirements alone. Absent counts as zero."""
    qos = None
    for name in _QOS_RESOURCES:
        request = req.requests.get(name, Decimal(0))
        if request != req.limits.get(name, Decimal(0)):
            return BURSTABLE
        this = BEST_EFFORT if request == 0 else GUARANTEED
        if qos is not None and this != qos:
            return BURSTABLE
        qos = this
    return qos or BEST_EFFORT


def _computed_qos(analysis: _PodAnalysis) -> str:
    if analysis.pod_level is not None:
        return _resource_qos(analysis.pod_level)
    classes = {_resource_qos(r) for r in (*analysis.regular, *(r for r, _ in analysis.init))}
    if len(classes) > 1:
        return BURSTABLE
    return classes.pop() if classes else BEST_EFFORT


def pod_qos_class(pod: Pod) -> str | None:
    """``ComputePodQOS``: the class from the spec alone (as the API server computes it
    for ``status.qosClass`` at creation). None if a cpu/memory quantity is unparseable."""
    analysis = _analyse(pod)
    return None if analysis is None else _computed_qos(analysis)


def effective_qos(pod: Pod) -> str | None:
    """``GetPodQOS``, the class the kubelet acts on: ``status.qosClass`` when set (the
    API server fills it at creation and it never changes), else :func:`pod_qos_class`."""
    return pod.status.qos_class or pod_qos_class(pod)


def is_node_critical(pod: Pod) -> bool:
    """``IsNodeCriticalPod``: critical (static, mirror or priority >= 2e9) and of class
    system-node-critical.

    Static and mirror pods are recognised upstream by annotations the records do not
    keep. The Priority admission plugin always sets ``spec.priority`` (2000001000) for
    this class, so an unset priority means a pod that has not been admitted yet, or a
    static pod's own manifest; both are taken as critical.
    """
    spec = pod.spec
    return spec.priority_class_name == SYSTEM_NODE_CRITICAL and (
        spec.priority is None or spec.priority >= SYSTEM_CRITICAL_PRIORITY
    )


def _div(a: int, b: int) -> int:
    """Go's integer division, which truncates toward zero."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def _burstable_adj(
    pod: Pod, analysis: _PodAnalysis, container: Container, capacity: int, inputs: dict
) -> tuple[int | None, str, str]:
    """The Burstable branch of ``GetContainerOOMScoreAdjust``: (value, rule, formula)."""
    requirements = _container_requirements(container)
    if requirements is None:
        return None, "Burstable: memory request unparseable", ""
    request = _value(requirements.requests.get("memory", Decimal(0)))
    inputs["memory_request"] = request
    remaining = 0
    pod_request = analysis.pod_level.requests.get("memory") if analysis.pod_level else None
    if pod_request:  # remainingPodMemReqPerContainer; 0 without a pod-level memory request
        count = len(pod.spec.containers) + len(pod.spec.init_containers)
        aggregate = _value(analysis.aggregate.get("memory", Decimal(0)))
        remaining = _div(_value(pod_request) - aggregate, count)
        inputs.update(
            pod_memory_request=_value(pod_request),
            containers_memory_request=aggregate,
            containers=count,
            remaining_per_container=remaining,
        )
        rule = "Burstable: memory request plus a share of the pod-level request"
    else:
        rule = "Burstable: 1000 - 1000*memoryRequest/nodeCapacity"

    def term(memory: int) -> tuple[int, str]:
        shown = f"({memory}+{remaining})" if pod_request else f"{memory}"
        adj = 1000 - _div(1000 * (memory + remaining), capacity)
        return adj, f"1000 - 1000*{shown}/{capacity} = {adj}"

    adj, formula = term(request)
    sidecar = is_restartable_init_container(container) and any(
        c.name == container.name for c in pod.spec.init_containers
    )
    if sidecar and analysis.regular:  # Go would index Containers[0]; validation ensures one
        smallest = min(_value(r.requests.get("memory", Decimal(0))) for r in analysis.regular)
        inputs["min_regular_memory_request"] = smallest
        cap, cap_formula = term(smallest)
        rule = "Burstable sidecar: no higher than its pod's smallest regular container"
        adj = min(adj, cap)
        formula = f"min({formula}, {cap_formula}) = {adj}"

    if adj < BURSTABLE_MIN_OOM_SCORE_ADJ:
        floor = BURSTABLE_MIN_OOM_SCORE_ADJ
        return floor, rule, f"{formula} → {floor} (Burstable floor)"
    if adj == BEST_EFFORT_OOM_SCORE_ADJ:
        return adj - 1, rule, f"{formula} → {adj - 1} (kept below BestEffort)"
    return adj, rule, formula


def _container_adj(
    pod: Pod, analysis: _PodAnalysis | None, container: Container, memory_capacity: int | None
) -> OomScoreAdj:
    spec, status = pod.spec, pod.status
    inputs: dict[str, str | int | None] = {
        "priority_class": spec.priority_class_name,
        "priority": spec.priority,
    }
    # status.qosClass is nearly always set (the API server fills it): compute only without.
    qos = status.qos_class or (None if analysis is None else _computed_qos(analysis))
    inputs["qos_source"] = "status.qosClass" if status.qos_class else "computed from spec"
    if is_node_critical(pod):
        return OomScoreAdj(GUARANTEED_OOM_SCORE_ADJ, qos, "node-critical pod", "", inputs)
    if qos == GUARANTEED:
        return OomScoreAdj(GUARANTEED_OOM_SCORE_ADJ, qos, "Guaranteed", "", inputs)
    if qos == BEST_EFFORT:
        return OomScoreAdj(BEST_EFFORT_OOM_SCORE_ADJ, qos, "BestEffort", "", inputs)
    if qos != BURSTABLE or analysis is None:
        return OomScoreAdj(None, qos, "QoS or a memory quantity unknown", "", inputs)
    inputs["memory_capacity"] = memory_capacity
    if not memory_capacity or memory_capacity <= 0:
        return OomScoreAdj(None, qos, "Burstable: node memory capacity unknown", "", inputs)
    value, rule, formula = _burstable_adj(pod, analysis, container, memory_capacity, inputs)
    return OomScoreAdj(value, qos, rule, formula, inputs)


def container_oom_score_adj(
    pod: Pod, container: Container, memory_capacity: int | None
) -> OomScoreAdj:
    """``GetContainerOOMScoreAdjust`` for one container of ``pod``.

    ``memory_capacity`` is the node's ``status.capacity.memory`` in bytes (the kubelet
    passes cadvisor's ``MachineInfo.MemoryCapacity``, the same number it reports as
    capacity; not allocatable). Only Burstable needs it: without it the value is None,
    never a guess. Node-critical pods and Guaranteed get -997, BestEffort 1000, Burstable
    ``1000 - 1000*request/capacity`` clamped to 3..999, where a pod-level memory request
    adds its unassigned remainder split over all containers, and a sidecar never scores
    above the pod's smallest regular container.
    """
    return _container_adj(pod, _analyse(pod), container, memory_capacity)


def pod_oom_score_adjs(
    pod: Pod, memory_capacity: int | None
) -> list[tuple[Container, bool, OomScoreAdj]]:
    """(container, is_init, adj) for every init container, then every regular one.

    Remembered (``_by_identity``) by what the adjs read: the spec's containers and
    resources, priority, class and the node's capacity; a 50k-pod report asked for
    every pod's, and most pods are the executors of a few templates. Their ``inputs``
    dicts are shared: read them, never change them.
    """
    spec = pod.spec
    parts = (spec.containers, spec.init_containers, spec.resources)
    values = (spec.priority_class_name, spec.priority, pod.status.qos_class, memory_capacity)
    return list(_by_identity(_ADJS, parts, partial(_pod_adjs, pod, memory_capacity), values))


def _pod_adjs(pod: Pod, memory_capacity: int | None) -> list[tuple[Container, bool, OomScoreAdj]]:
    analysis = _analyse(pod)
    return [
        (c, is_init, _container_adj(pod, analysis, c, memory_capacity))
        for is_init, containers in ((True, pod.spec.init_containers), (False, pod.spec.containers))
        for c in containers
    ]
