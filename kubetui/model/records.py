"""Compact typed records of the Kubernetes objects kubetui reads.

These msgspec Structs mirror the v1 Pod and Node wire shapes, but hold only the fields
the findings and the UI need: msgspec skips every other key (managedFields, env, volumes,
…) while decoding, which is what makes a 10k-pod LIST decode in tens of milliseconds
instead of seconds (see bench/). Every field is optional: a real object may lack any of
them, and ``None`` means "unknown", never a guessed value. Arrays decode to tuples so
that, with ``gc=False`` on the Structs, a synced store holds almost nothing the garbage
collector has to traverse.

The same schema serves every input: JSON bytes from the API or a file
(``msgspec.json.decode``) and YAML documents (``msgspec.convert``); see ``decode.py``.
"""

from __future__ import annotations

from datetime import datetime

import msgspec

#: Quantities are strings on the wire ("512Mi"), but hand-written YAML often has numbers.
Quantity = str | int | float
ResourceMap = dict[str, Quantity]


class _Rec(msgspec.Struct, gc=False, rename="camel", omit_defaults=True):
    """Base for every record: untracked by the GC, camelCase on the wire."""


class OwnerReference(_Rec):
    api_version: str | None = None
    kind: str | None = None
    name: str | None = None
    uid: str | None = None
    controller: bool | None = None


class ObjectMeta(_Rec):
    name: str | None = None
    namespace: str | None = None
    uid: str | None = None
    resource_version: str | None = None
    generation: int | None = None
    creation_timestamp: datetime | None = None
    deletion_timestamp: datetime | None = None
    deletion_grace_period_seconds: int | None = None
    labels: dict[str, str] | None = None
    owner_references: tuple[OwnerReference, ...] = ()
    finalizers: tuple[str, ...] = ()


class ResourceRequirements(_Rec):
    requests: ResourceMap | None = None
    limits: ResourceMap | None = None


class Container(_Rec):
    name: str | None = None
    image: str | None = None
    resources: ResourceRequirements | None = None
    #: "Always" on an init container makes it a restartable init container (a sidecar).
    restart_policy: str | None = None


class ReadinessGate(_Rec):
    condition_type: str | None = None


class PodSpec(_Rec):
    node_name: str | None = None
    containers: tuple[Container, ...] = ()
    init_containers: tuple[Container, ...] = ()
    restart_policy: str | None = None
    priority: int | None = None
    priority_class_name: str | None = None
    readiness_gates: tuple[ReadinessGate, ...] = ()
    #: Pod-level resources (PodLevelResources, beta and on by default since v1.34).
    resources: ResourceRequirements | None = None


class StateWaiting(_Rec):
    reason: str | None = None
    message: str | None = None


class StateRunning(_Rec):
    started_at: datetime | None = None


class StateTerminated(_Rec):
    exit_code: int | None = None
    signal: int | None = None
    reason: str | None = None
    message: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None


class ContainerState(_Rec):
    waiting: StateWaiting | None = None
    running: StateRunning | None = None
    terminated: StateTerminated | None = None


class ContainerStatus(_Rec):
    name: str | None = None
    state: ContainerState | None = None
    last_state: ContainerState | None = None
    ready: bool | None = None
    restart_count: int | None = None
    started: bool | None = None
    image: str | None = None


class Condition(_Rec):
    """A pod or node condition: the two API types share these fields."""

    type: str | None = None
    status: str | None = None
    reason: str | None = None
    message: str | None = None
    last_transition_time: datetime | None = None


class PodIP(_Rec):
    ip: str | None = None


class PodStatus(_Rec):
    phase: str | None = None
    reason: str | None = None
    message: str | None = None
    conditions: tuple[Condition, ...] = ()
    container_statuses: tuple[ContainerStatus, ...] = ()
    init_container_statuses: tuple[ContainerStatus, ...] = ()
    qos_class: str | None = None
    pod_ip: str | None = msgspec.field(default=None, name="podIP")
    pod_ips: tuple[PodIP, ...] = msgspec.field(default=(), name="podIPs")
    nominated_node_name: str | None = None


class Pod(_Rec):
    metadata: ObjectMeta = msgspec.field(default_factory=ObjectMeta)
    spec: PodSpec = msgspec.field(default_factory=PodSpec)
    status: PodStatus = msgspec.field(default_factory=PodStatus)


class NodeSpec(_Rec):
    unschedulable: bool | None = None


class NodeStatus(_Rec):
    capacity: ResourceMap | None = None
    allocatable: ResourceMap | None = None
    conditions: tuple[Condition, ...] = ()


class Node(_Rec):
    metadata: ObjectMeta = msgspec.field(default_factory=ObjectMeta)
    spec: NodeSpec = msgspec.field(default_factory=NodeSpec)
    status: NodeStatus = msgspec.field(default_factory=NodeStatus)


class ListMeta(_Rec):
    resource_version: str | None = None
    # ``continue`` is a Python keyword.
    continue_: str | None = msgspec.field(default=None, name="continue")
    remaining_item_count: int | None = None
