"""Watch lines into records, and records into the compact form a 150k-pod store keeps.

Watch events (kubernetes/apiserver ``pkg/endpoints/handlers/watch.go``) arrive one JSON
object per line:
``{"type":"ADDED|MODIFIED|DELETED|BOOKMARK|ERROR","object":{…}}``. Each line is decoded
once, by a typed msgspec decoder, straight into the record (``object`` as a Pod or Node);
the rare lines that do not fit that shape (a BOOKMARK's ``"containers":null``, an ERROR's
``Status``, a malformed object) are decoded again through ``object`` as raw bytes. Text is
made inert exactly as decode.py does for LIST pages.

:class:`Compactor` then shares equal values between records. msgspec builds a fresh
``str`` for every string and a fresh ``datetime`` for every timestamp, so 50k Spark pods
held ~5 KB each, mostly copies of the same label keys, condition types and statuses,
images, resource maps and timestamps (bench/README.md, "sync_bench"). Records are never
mutated after decoding (store.py), so equal parts can be one object.
"""

from __future__ import annotations

import sys
from typing import Any, Final, NamedTuple

import msgspec

from kubetui.model.decode import clean_record, decode_json_item
from kubetui.model.inert_text import may_hold_unsafe_text
from kubetui.model.records import (
    Condition,
    Container,
    ContainerState,
    ContainerStatus,
    Node,
    OwnerReference,
    Pod,
    ResourceRequirements,
)
from kubetui.sources.kube_client import KubeError, status_error

BOOKMARK: Final = "BOOKMARK"
ERROR: Final = "ERROR"


class WatchEvent(NamedTuple):
    """One decoded watch line."""

    type: str
    #: The object (its last state for DELETED); None for BOOKMARK and ERROR, or when the
    #: object could not be decoded at all (``note`` says why).
    record: Any
    #: The object's (or bookmark's) resourceVersion: where to resume the watch.
    resource_version: str | None
    #: For ERROR: the Status as an error (``status`` 410 = expired).
    error: KubeError | None = None
    note: str | None = None


class _Meta(msgspec.Struct):
    resource_version: str | None = msgspec.field(default=None, name="resourceVersion")


class _Shell(msgspec.Struct):
    """Any object, read for its resourceVersion only (a bookmark)."""

    metadata: _Meta | None = None


class _RawEvent(msgspec.Struct):
    type: str = ""
    object: msgspec.Raw = msgspec.Raw(b"null")


class _Code(msgspec.Struct):
    code: int | None = None


def _event_decoder(record_type: type) -> msgspec.json.Decoder:
    event = msgspec.defstruct(
        f"{record_type.__name__}WatchEvent", [("type", str), ("object", record_type)]
    )
    return msgspec.json.Decoder(event)


_TYPED = {t: _event_decoder(t) for t in (Pod, Node)}
_RAW = msgspec.json.Decoder(_RawEvent)
_SHELL = msgspec.json.Decoder(_Shell)
_CODE = msgspec.json.Decoder(_Code)


def decode_event(line: bytes, record_type: type) -> WatchEvent | None:
    """Decode one watch line; ``None`` for a line that is not an event at all.

    Raises nothing: a line that is JSON but not a usable event comes back with ``note``.
    """
    try:
        event = _TYPED[record_type].decode(line)
    except msgspec.ValidationError:
        return _decode_slow(line, record_type)
    except msgspec.DecodeError:
        return None
    record = event.object
    if event.type == BOOKMARK:
        return WatchEvent(BOOKMARK, None, record.metadata.resource_version)
    if event.type == ERROR:  # a Status with no "status" field fits a Pod record
        return _decode_slow(line, record_type)
    if may_hold_unsafe_text(line):
        clean_record(record)
    return WatchEvent(event.type, record, record.metadata.resource_version)


def _decode_slow(line: bytes, record_type: type) -> WatchEvent | None:
    try:
        raw = _RAW.decode(line)
    except msgspec.DecodeError:  # ValidationError too: not an object, or no string type
        return None
    if raw.type == ERROR:
        try:
            code = _CODE.decode(raw.object).code
        except msgspec.DecodeError:
            code = None
        return WatchEvent(ERROR, None, None, status_error(code or 500, bytes(raw.object)))
    if raw.type == BOOKMARK:
        try:
            shell = _SHELL.decode(raw.object)
        except msgspec.DecodeError:
            return WatchEvent(BOOKMARK, None, None, note="bookmark without metadata")
        return WatchEvent(BOOKMARK, None, shell.metadata and shell.metadata.resource_version)
    record, notes = decode_json_item(raw.object, record_type)
    if record is None:
        return WatchEvent(raw.type, None, None, note=notes[-1] if notes else "no object")
    if may_hold_unsafe_text(line):
        clean_record(record)
    return WatchEvent(raw.type, record, record.metadata.resource_version)


# ---------------------------------------------------------------- compaction

_intern = sys.intern
#: Shared values kept before the table starts over. Bounds the table's own cost (about
#: 150 bytes an entry) when values turn out unique, and its growth under churn.
SHARED_LIMIT = 100_000


class Compactor:
    """Makes equal parts of records one object, in place; returns the record.

    Strings that repeat across pods (label keys and values, namespaces, node names,
    phases, condition types, images) go through ``sys.intern``, whose table lets a string
    go with its last record. Timestamps, conditions, owner references, resource maps,
    containers, empty container states and the tuples holding them are shared through one
    table of equal values. A key made of ``id()``s is safe: its value holds those very objects, so
    they stay alive, and their ids unique, as long as the entry. The table is cleared
    when it reaches ``limit``, so churn cannot grow it without bound; sharing is only an
    optimisation, and after a clear new records share among themselves again. Unique
    values (uids, IPs, names) are left alone.

    Thread-safe in the way that matters: a race between reflectors can only miss a
    chance to share.
    """

    def __init__(self, limit: int = SHARED_LIMIT) -> None:
        self._shared: dict[Any, Any] = {}
        self._limit = limit

    def _share(self, key: Any, value: Any) -> Any:
        shared = self._shared.get(key)
        if shared is not None:
            return shared
        if len(self._shared) >= self._limit:
            self._shared.clear()
        self._shared[key] = value
        return value

    def _tuple(self, tag: str, items: tuple[Any, ...]) -> tuple[Any, ...]:
        """A tuple of already shared objects, itself shared."""
        return self._share((tag, *map(id, items)), items)

    def pod(self, pod: Pod) -> Pod:
        self._meta(pod)
        spec = pod.spec
        if spec.node_name:
            spec.node_name = _intern(spec.node_name)
        if spec.restart_policy:
            spec.restart_policy = _intern(spec.restart_policy)
        if spec.priority_class_name:
            spec.priority_class_name = _intern(spec.priority_class_name)
        if spec.containers:
            spec.containers = self._tuple("cs", tuple(map(self._container, spec.containers)))
        if spec.init_containers:
            spec.init_containers = self._tuple(
                "cs", tuple(map(self._container, spec.init_containers))
            )
        if spec.resources is not None:
            spec.resources = self._resources(spec.resources)
        status = pod.status
        if status.phase:
            status.phase = _intern(status.phase)
        if status.qos_class:
            status.qos_class = _intern(status.qos_class)
        if status.conditions:
            status.conditions = self._conditions(status.conditions)
        for statuses in (status.container_statuses, status.init_container_statuses):
            for container_status in statuses:
                self._container_status(container_status)
        if status.pod_ips and status.pod_ips[0].ip == status.pod_ip:
            status.pod_ip = status.pod_ips[0].ip
        return pod

    def node(self, node: Node) -> Node:
        self._meta(node)
        if node.status.conditions:
            node.status.conditions = self._conditions(node.status.conditions)
        return node

    def _meta(self, record: Pod | Node) -> None:
        meta = record.metadata
        if meta.namespace:
            meta.namespace = _intern(meta.namespace)
        if meta.labels:
            # Label sets are nearly all distinct (pod-template-hash, spark-exec-id): a
            # table entry per set would cost more than sharing the few equal ones saves.
            meta.labels = {_intern(k): _intern(v) for k, v in meta.labels.items()}
        if meta.creation_timestamp is not None:
            meta.creation_timestamp = self._share(meta.creation_timestamp, meta.creation_timestamp)
        if meta.owner_references:
            meta.owner_references = self._tuple(
                "owners", tuple(map(self._owner, meta.owner_references))
            )

    def _owner(self, ref: OwnerReference) -> OwnerReference:
        key = ("owner", ref.uid, ref.name, ref.kind, ref.api_version, ref.controller)
        shared = self._shared.get(key)
        if shared is not None:
            return shared
        if ref.kind:
            ref.kind = _intern(ref.kind)
        if ref.api_version:
            ref.api_version = _intern(ref.api_version)
        return self._share(key, ref)

    def _conditions(self, conditions: tuple[Condition, ...]) -> tuple[Condition, ...]:
        return self._tuple("conds", tuple(map(self._condition, conditions)))

    def _condition(self, cond: Condition) -> Condition:
        key = ("cond", cond.type, cond.status, cond.reason, cond.message, cond.last_transition_time)
        shared = self._shared.get(key)
        if shared is not None:
            return shared
        if cond.type:
            cond.type = _intern(cond.type)
        if cond.status:
            cond.status = _intern(cond.status)
        if cond.reason:
            cond.reason = _intern(cond.reason)
        if cond.last_transition_time is not None:
            cond.last_transition_time = self._share(
                cond.last_transition_time, cond.last_transition_time
            )
        return self._share(key, cond)

    def _resource_map(self, values: dict[str, Any] | None) -> dict[str, Any] | None:
        if not values:
            return values
        key = ("map", *values.items())
        shared = self._shared.get(key)
        if shared is not None:
            return shared
        # sys.intern takes exact str only; hand-written quantities can be numbers.
        return self._share(
            key, {_intern(k): _intern(v) if type(v) is str else v for k, v in values.items()}
        )

    def _resources(self, res: ResourceRequirements) -> ResourceRequirements:
        requests = self._resource_map(res.requests)
        limits = self._resource_map(res.limits)
        shared = self._shared.get(("res", id(requests), id(limits)))
        if shared is not None:
            return shared
        res.requests, res.limits = requests, limits
        return self._share(("res", id(requests), id(limits)), res)

    def _container(self, container: Container) -> Container:
        resources = container.resources
        if resources is not None:
            resources = self._resources(resources)
        key = ("c", container.name, container.image, container.restart_policy, id(resources))
        shared = self._shared.get(key)
        if shared is not None:
            return shared
        if container.name:
            container.name = _intern(container.name)
        if container.image:
            container.image = _intern(container.image)
        if container.restart_policy:
            container.restart_policy = _intern(container.restart_policy)
        container.resources = resources
        return self._share(key, container)

    def _container_status(self, status: ContainerStatus) -> None:
        if status.name:
            status.name = _intern(status.name)
        if status.image:
            status.image = _intern(status.image)
        if status.state is not None:
            status.state = self._state(status.state)
        if status.last_state is not None:
            status.last_state = self._state(status.last_state)

    def _state(self, state: ContainerState) -> ContainerState:
        """The empty state (``lastState: {}``) is shared; start times are."""
        if state.waiting is None and state.running is None and state.terminated is None:
            return self._share("empty-state", state)
        running = state.running
        if running is not None and running.started_at is not None:
            running.started_at = self._share(running.started_at, running.started_at)
        return state
