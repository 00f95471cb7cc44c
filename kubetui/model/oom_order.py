"""The order in which the kernel OOM killer would take one node's containers.

When the whole node runs out of memory (before the kubelet evicts), the kernel's
``select_bad_process`` kills the task with the highest ``oom_badness`` (torvalds/linux
``mm/oom_kill.c``, v5.9 and later)::

    points = rss + swap entries + page tables   (pages)
    points += oom_score_adj * (totalpages / 1000)

so in thousandths of the node's memory a process scores about
``usage*1000/capacity + oom_score_adj``; ``/proc/<pid>/oom_score`` shows the same badness
rescaled as ``(1000 + score) * 2/3`` (``fs/proc/base.c`` ``proc_oom_score``). A task with
adj -1000 (OOM_SCORE_ADJ_MIN) is never chosen, but the kubelet never gives a container
less than -997 (``pkg/kubelet/qos/policy.go``), so every running container is a candidate.

This is an approximation, and :attr:`OomCandidate.basis` says which one was used:

* With live usage per container, candidates rank by that estimated score. The kernel
  scores *processes*, not containers: a container's working set is only a proxy for its
  largest process's RSS+swap, and swap, page tables and the node's system daemons are
  not seen.
* Without usage, the adj is all that is known; ties (every BestEffort container has
  1000, every Guaranteed one -997) break by memory request, else limit, as the best
  static guess of who holds the most memory.

Also outside the model: a container over its own memory limit is killed by its cgroup's
OOM killer whatever its rank here, pause containers (-998) and the kubelet (-999) rank
below every container, and ``vm.panic_on_oom`` turns a node OOM into a panic.

The node's memory is ``status.capacity.memory``, the number the kubelet uses (cadvisor's
``MachineInfo.MemoryCapacity``, see ``pkg/kubelet/kuberuntime/kuberuntime_container_linux.go``
and ``pkg/kubelet/cadvisor/util.go`` ``CapacityFromMachineInfo``), not allocatable.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import NamedTuple

from kubetui.model.pod_status import is_pod_phase_terminal
from kubetui.model.qos import container_memory_bytes, pod_oom_score_adjs
from kubetui.model.quantity import memory_bytes
from kubetui.model.records import ContainerStatus, Node, Pod

#: ``usage`` keys: (namespace, pod name, container name).
UsageKey = tuple[str | None, str | None, str | None]

BASIS_USAGE = "usage*1000/capacity + oom_score_adj"
BASIS_STATIC = "oom_score_adj, then memory request or limit (usage unknown)"


class OomCandidate(NamedTuple):
    """One running container of the node, in kill order."""

    namespace: str | None
    pod: str | None
    container: str | None
    is_init: bool
    qos: str | None
    #: The kubelet's value for the container; None when unknown (e.g. Burstable without
    #: node capacity).
    oom_score_adj: int | None
    #: Memory request and limit after API defaulting; None where not set.
    request_bytes: int | None
    limit_bytes: int | None
    usage_bytes: int | None
    #: Estimated badness in thousandths of node memory, ``badness*1000/capacity`` with
    #: ``badness = usage + adj*(capacity/1000)``, i.e. about ``usage*1000/capacity + adj``
    #: (-1000..2000); None without usage, capacity or adj. Ranking uses the exact badness.
    oom_score: int | None
    #: What the rank of this candidate rests on: :data:`BASIS_USAGE` or
    #: :data:`BASIS_STATIC`.
    basis: str

    @property
    def proc_oom_score(self) -> int | None:
        """The estimate as ``/proc/<pid>/oom_score`` would print it, for comparison."""
        return None if self.oom_score is None else (1000 + self.oom_score) * 2 // 3


def _trunc(a: int, b: int) -> int:
    """C's signed division, which truncates toward zero."""
    return a // b if a >= 0 else -(-a // b)


def node_memory_capacity(node: Node) -> int | None:
    """``status.capacity.memory`` in bytes; None if absent or unparseable."""
    capacity = node.status.capacity
    return memory_bytes(capacity.get("memory")) if capacity else None


def _running(statuses: tuple[ContainerStatus, ...]) -> set[str | None]:
    return {s.name for s in statuses if s.state is not None and s.state.running is not None}


def _static_rank(c: OomCandidate) -> tuple:
    size = c.request_bytes if c.request_bytes is not None else c.limit_bytes or 0
    return (c.oom_score_adj is None, -(c.oom_score_adj or 0), -size)


def oom_kill_order(
    pods: Iterable[Pod], node: Node, usage: Mapping[UsageKey, int] | None = None
) -> list[OomCandidate]:
    """The running containers of ``node``'s pods, most likely OOM victim first.

    Only pods bound to the node (``spec.nodeName``) and not in a terminal phase count,
    and of those only containers whose status says running (sidecars and running init
    containers included; a waiting or terminated container has no process to kill).
    ``usage`` maps (namespace, pod, container) to bytes in use; candidates with a usage
    rank first, by estimated score, the rest after them as described in the module doc.
    """
    name = node.metadata.name
    capacity = node_memory_capacity(node)
    usage = usage or {}
    ranked: list[tuple[tuple, OomCandidate]] = []
    for pod in pods:
        if name is None or pod.spec.node_name != name or is_pod_phase_terminal(pod.status.phase):
            continue
        running = _running(pod.status.container_statuses)
        running_init = _running(pod.status.init_container_statuses)
        for container, is_init, adj in pod_oom_score_adjs(pod, capacity):
            if container.name not in (running_init if is_init else running):
                continue
            key = (pod.metadata.namespace, pod.metadata.name, container.name)
            used = usage.get(key)
            badness = score = None
            if used is not None and capacity and adj.value is not None:
                # oom_badness in bytes: adj is scaled by totalpages/1000 (integer division).
                badness = used + adj.value * (capacity // 1000)
                score = _trunc(badness * 1000, capacity)
            request, limit = container_memory_bytes(container)
            candidate = OomCandidate(
                *key,
                is_init=is_init,
                qos=adj.qos,
                oom_score_adj=adj.value,
                request_bytes=request,
                limit_bytes=limit,
                usage_bytes=used,
                oom_score=score,
                basis=BASIS_STATIC if badness is None else BASIS_USAGE,
            )
            rank = (1, *_static_rank(candidate)) if badness is None else (0, -badness, 0, 0)
            ranked.append(((*rank, *(part or "" for part in key)), candidate))
    ranked.sort(key=lambda pair: pair[0])
    return [candidate for _, candidate in ranked]
