"""Bytes and documents in, records out: the one entry point for every kind of input.

Three callers share it: the live LIST pages and watch lines (JSON bytes from the API), a
file an operator hands to ``kubetui triage --from-file`` (``kubectl get -o json|yaml``
output: a v1 List of mixed kinds, a PodList, a NodeList, one object, YAML multi-document),
and the simulator. Rules:

* Decode straight into the typed records of ``records.py``; never build a dict tree for
  the fast path. A page that fails typed decoding falls back to one item at a time, and
  an item that fails falls back to :func:`lenient_convert`, which drops only the fields
  of the wrong type: one bad field does not lose the pod, one bad pod does not lose the
  list, and a dropped field reads as unknown, never as an invented value.
* Clean untrusted text (``inert_text``) once, here, and only on pages whose raw bytes
  can hold something to clean.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

import msgspec
import yaml

from kubetui.errors import UserError
from kubetui.model.inert_text import inert, may_hold_unsafe_text, single_line
from kubetui.model.records import ListMeta, Node, Pod

R = TypeVar("R", bound=msgspec.Struct)

#: The record type for each object kind kubetui reads.
RECORD_TYPES: dict[str, type[msgspec.Struct]] = {"Pod": Pod, "Node": Node}


class InputError(UserError, ValueError):
    """The input as a whole is unusable; the message is one line for the operator."""


# ---------------------------------------------------------------- text cleaning


def clean_record(record: Any) -> Any:
    """Return ``record`` with every string of its tree in its inert form.

    Mutable Structs are cleaned in place and returned; frozen ones (the Kyuubi records)
    come back as cleaned copies, so callers use the result. Setting a field of a frozen
    Struct raised AttributeError, which failed every Kyuubi poll holding a control
    character, and lists were passed over, which left the batches of a
    ``GetBatchesResponse`` as they came (both found by tests/model/test_hostile_pipeline.py).
    """
    if isinstance(record, msgspec.Struct):
        changes: dict[str, Any] = {}
        for name in record.__struct_fields__:
            value = getattr(record, name)
            if value is None or isinstance(value, (int, float)):
                continue
            cleaned = clean_record(value)
            if cleaned is not value:
                changes[name] = cleaned
        if changes and record.__struct_config__.frozen:
            return msgspec.structs.replace(record, **changes)
        for name, cleaned in changes.items():
            setattr(record, name, cleaned)
        return record
    if isinstance(record, str):
        return inert(record)
    if isinstance(record, tuple):
        return tuple(clean_record(v) for v in record)
    if isinstance(record, list):
        return [clean_record(v) for v in record]
    if isinstance(record, dict):
        return {clean_record(k): clean_record(v) for k, v in record.items()}
    return record


# ---------------------------------------------------------------- lenient conversion

_PATH = re.compile(r" - at `\$(?P<path>[^`]*)`$")
_STEP = re.compile(r"\.([^.\[]+)|\[(\d+|\.\.\.)\]")
_MAX_REPAIRS = 64


def _repair(obj: Any, path: str) -> bool:
    """Remove the value at a msgspec error path; ``False`` when nothing could be removed."""
    steps = [m.group(1) or m.group(2) for m in _STEP.finditer(path)]
    if not steps:
        return False
    parent = obj
    for step in steps[:-1]:
        if isinstance(parent, list) and step.isdigit() and int(step) < len(parent):
            parent = parent[int(step)]
        elif isinstance(parent, dict) and step in parent:
            parent = parent[step]
        else:
            return False
    last = steps[-1]
    if isinstance(parent, list) and last.isdigit() and int(last) < len(parent):
        del parent[int(last)]
        return True
    if isinstance(parent, dict) and last == "...":
        # A map value of the wrong type: msgspec does not say which key, so drop the
        # entries that are not plain scalars; the parent step removes the map otherwise.
        bad = [k for k, v in parent.items() if not isinstance(v, str)]
        for key in bad:
            del parent[key]
        return bool(bad)
    if isinstance(parent, dict) and last in parent:
        del parent[last]
        return True
    return False


def lenient_convert(obj: Any, record_type: type[R]) -> tuple[R | None, list[str]]:
    """Convert a decoded document to ``record_type``, dropping only what does not fit.

    Returns the record (``None`` when the document is not an object at all) and one note
    per dropped field, naming its path, so callers can report what was unknown.
    """
    if not isinstance(obj, dict):
        return None, [f"not an object: {type(obj).__name__}"]
    notes: list[str] = []
    for _ in range(_MAX_REPAIRS):
        try:
            return msgspec.convert(obj, record_type, strict=True), notes
        except msgspec.ValidationError as exc:
            message = str(exc)
            match = _PATH.search(message)
            if match is None or not _repair(obj, match.group("path")):
                # Typically a map whose non-string values survived `_repair`: drop it.
                if match is not None:
                    parent_path = match.group("path").rsplit("[", 1)[0]
                    if parent_path != match.group("path") and _repair(obj, parent_path):
                        notes.append(message)
                        continue
                return None, [*notes, message]
            notes.append(message)
    return None, [*notes, "too many malformed fields"]


# ---------------------------------------------------------------- JSON (API and files)


class _Envelope(msgspec.Struct):
    kind: str | None = None
    api_version: str | None = msgspec.field(default=None, name="apiVersion")
    metadata: msgspec.Raw = msgspec.Raw(b"null")
    items: list[msgspec.Raw] | None = None


class _KindPeek(msgspec.Struct):
    kind: Any = None


_ENVELOPE = msgspec.json.Decoder(_Envelope)
_KIND = msgspec.json.Decoder(_KindPeek)
_LIST_META = msgspec.json.Decoder(ListMeta)
_DECODERS: dict[type, msgspec.json.Decoder] = {t: msgspec.json.Decoder(t) for t in (Pod, Node)}
#: One typed "list page" decoder per record type: ``{"metadata": …, "items": [record…]}``.
_PAGE_DECODERS: dict[type, msgspec.json.Decoder] = {
    t: msgspec.json.Decoder(
        msgspec.defstruct(
            f"{t.__name__}ListPage",
            [("metadata", ListMeta | None, None), ("items", list[t] | None, None)],
        )
    )
    for t in (Pod, Node)
}
_ANY = msgspec.json.Decoder()


def decode_json_item(raw: bytes | msgspec.Raw, record_type: type[R]) -> tuple[R | None, list[str]]:
    """Decode one object's JSON into a record: typed fast path, lenient on failure."""
    try:
        return _DECODERS[record_type].decode(raw), []
    except msgspec.ValidationError:
        try:
            tree = _ANY.decode(raw)
        except msgspec.DecodeError as exc:
            return None, [f"malformed JSON: {exc}"]
        return lenient_convert(tree, record_type)


@dataclass(slots=True)
class Page:
    """One decoded LIST response (or one page of it)."""

    items: list[Any]
    meta: ListMeta
    errors: list[str] = field(default_factory=list)


def decode_page(data: bytes, record_type: type[msgspec.Struct]) -> Page:
    """Decode a LIST response body (PodList, NodeList), the hot path of every sync.

    One typed decode of the whole page when it is well formed (the normal case); else
    item by item so a single malformed object costs only itself.
    """
    try:
        page = _PAGE_DECODERS[record_type].decode(data)
        items = page.items or []
        meta = page.metadata or ListMeta()
        errors: list[str] = []
    except msgspec.ValidationError:
        # A field of the wrong type somewhere: redo the page one item at a time.
        envelope = _decode_envelope(data)
        meta = _decode_list_meta(envelope.metadata)
        items, errors = [], []
        for index, raw in enumerate(envelope.items or ()):
            record, notes = decode_json_item(raw, record_type)
            if record is None:
                errors.append(f"item {index}: {notes[-1]}")
            else:
                items.append(record)
    except msgspec.DecodeError as exc:  # after ValidationError, its subclass
        raise InputError(f"malformed JSON: {exc}") from None
    if may_hold_unsafe_text(data):
        for record in items:
            clean_record(record)
    return Page(items=items, meta=meta, errors=errors)


def decode_pod_page(data: bytes) -> Page:
    """A PodList page; see :func:`decode_page`."""
    return decode_page(data, Pod)


def decode_node_page(data: bytes) -> Page:
    """A NodeList page; see :func:`decode_page`."""
    return decode_page(data, Node)


def _decode_envelope(data: bytes) -> _Envelope:
    try:
        return _ENVELOPE.decode(data)
    except msgspec.ValidationError as exc:
        raise InputError(f"not a Kubernetes object or list: {exc}") from None
    except msgspec.DecodeError as exc:
        raise InputError(f"malformed JSON: {exc}") from None


def _decode_list_meta(raw: msgspec.Raw) -> ListMeta:
    try:
        return _LIST_META.decode(raw) if bytes(raw) != b"null" else ListMeta()
    except msgspec.ValidationError:
        return ListMeta()


# ---------------------------------------------------------------- files: JSON or YAML


@dataclass(slots=True)
class LoadedObjects:
    """What a dump file held: the records kubetui reads, and an account of the rest."""

    pods: list[Pod] = field(default_factory=list)
    nodes: list[Node] = field(default_factory=list)
    ignored_kinds: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)

    def take(
        self,
        where: str,
        kind: Any,
        convert: Callable[[type[msgspec.Struct]], tuple[Any, list[str]]],
    ) -> None:
        """Decode one item with ``convert(record_type)``; keep it or account for it."""
        if not isinstance(kind, str):
            self.errors.append(f"{where}: no kind")
            return
        record_type = RECORD_TYPES.get(kind)
        if record_type is None:
            # The kind is the file's text and is printed in the "ignored objects" notice:
            # inert and on one line, like every other string of the input (a kind holding
            # an OSC 52 write or a newline reached stderr as it was; found by
            # tests/model/test_hostile_pipeline.py).
            self.ignored_kinds[single_line(inert(kind))] += 1
            return
        record, notes = convert(record_type)
        if record is None:
            self.errors.append(f"{where}: {kind} skipped: {notes[-1]}")
            return
        self.errors.extend(f"{where}: {kind}: unknown field value: {n}" for n in notes)
        (self.pods if kind == "Pod" else self.nodes).append(record)


def load_objects(data: bytes, source: str = "input") -> LoadedObjects:
    """Read a dump of cluster objects (JSON or YAML, one object, a list, several docs).

    Raises :class:`InputError` with a one-line message when the input as a whole is not
    usable: binary data, malformed JSON/YAML, or documents that are not Kubernetes objects.
    """
    if b"\x00" in data:
        raise InputError(f"{source}: binary data, not JSON or YAML")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{source}: not UTF-8 text (binary data?)") from None
    stripped = text.lstrip()
    if not stripped:
        raise InputError(f"{source}: empty input")
    loaded = LoadedObjects()
    if stripped[0] in "{[":
        _load_json(stripped.encode(), loaded, source)
        unsafe = may_hold_unsafe_text(data)
    else:
        _load_yaml(text, loaded, source)
        unsafe = True  # YAML has no cheap raw-bytes check; dumps are small
    if unsafe:
        for record in (*loaded.pods, *loaded.nodes):
            clean_record(record)
    return loaded


def _load_json(data: bytes, loaded: LoadedObjects, source: str) -> None:
    try:
        top = msgspec.json.decode(data, type=_Envelope | list[msgspec.Raw])
    except msgspec.ValidationError:
        raise InputError(f"{source}: JSON is not a Kubernetes object or list") from None
    except msgspec.DecodeError as exc:
        raise InputError(f"{source}: malformed JSON: {exc}") from None
    if isinstance(top, list):
        items, list_kind = top, None
    elif top.items is not None:
        items, list_kind = top.items, top.kind
    elif top.kind:
        items, list_kind = [msgspec.Raw(data)], None
    else:
        raise InputError(f"{source}: JSON object has no 'kind': not a Kubernetes object")
    default_kind = _item_kind(list_kind)
    for index, raw in enumerate(items):
        kind = default_kind
        if kind is None:
            try:
                kind = _KIND.decode(raw).kind
            except msgspec.DecodeError:  # also ValidationError: the item is not an object
                kind = None
        loaded.take(f"item {index}", kind, partial(decode_json_item, raw))


def _item_kind(list_kind: str | None) -> str | None:
    """``PodList`` → ``Pod``; a generic ``List`` (mixed kinds) gives ``None``."""
    if list_kind and list_kind.endswith("List") and list_kind != "List":
        return list_kind[: -len("List")]
    return None


def _load_yaml(text: str, loaded: LoadedObjects, source: str) -> None:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        docs = [d for d in yaml.load_all(text, Loader=loader) if d is not None]
    except yaml.YAMLError as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"{source}: malformed YAML: {first}") from None
    if not docs or not all(isinstance(d, dict) and "kind" in d for d in docs):
        raise InputError(f"{source}: YAML is not a Kubernetes object or list (no 'kind')")
    for doc_index, doc in enumerate(docs):
        items = doc.get("items")
        if isinstance(items, list):
            default_kind = _item_kind(doc.get("kind"))
            entries = [
                (f"document {doc_index} item {i}", d, default_kind) for i, d in enumerate(items)
            ]
        else:
            entries = [(f"document {doc_index}", doc, None)]
        for where, obj, default_kind in entries:
            kind = obj.get("kind", default_kind) if isinstance(obj, dict) else None
            loaded.take(where, kind, partial(lenient_convert, obj))
