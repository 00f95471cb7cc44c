"""``metadata.managedFields`` entries computed from the fields a writer sets.

A real apiserver records, per field manager, the set of fields it owns (FieldsV1). We
derive that set from the partial object the writer sent: maps become ``f:<key>`` members,
associative lists become ``k:{<merge keys>}`` members (merge keys from the k8s.io/api
``+listMapKey`` markers of the fields we emit), ``finalizers`` is a set (``v:"<value>"``),
other lists are atomic. Sizes and shapes are what matters for the simulator: dashboards
must skip this bulk cheaply, and hot-loop detection reads manager names and times.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from kubetui.sim.factory.ids import Obj, ts

#: Merge keys of the associative lists we emit (``k:{...}`` entries in fieldsV1).
_LIST_KEYS: dict[str, tuple[str, ...]] = {
    "containers": ("name",),
    "initContainers": ("name",),
    "env": ("name",),
    "ports": ("containerPort", "protocol"),
    "volumes": ("name",),
    "volumeMounts": ("mountPath",),
    "conditions": ("type",),
    "podIPs": ("ip",),
    "hostIPs": ("ip",),
    "ownerReferences": ("uid",),
    "imagePullSecrets": ("name",),
    "addresses": ("type",),
}
_SET_LISTS = frozenset({"finalizers"})
#: Fields whose presence is implied by their parent: no "." member of their own.
_NO_DOT = frozenset({"metadata", "spec", "status", "containers", "template", "data"})


def field_set(value: Any, field: str) -> Obj:
    if isinstance(value, dict):
        out: Obj = {} if field in _NO_DOT or not value else {".": {}}
        for key in sorted(value):
            out[f"f:{key}"] = field_set(value[key], key)
        return out
    if isinstance(value, list) and field in _LIST_KEYS and value:
        keys = _LIST_KEYS[field]
        out = {} if field in _NO_DOT else {".": {}}
        for item in value:
            key = json.dumps({k: item[k] for k in keys if k in item}, separators=(",", ":"))
            entry: Obj = {".": {}}
            for sub in sorted(item):
                entry[f"f:{sub}"] = field_set(item[sub], sub)
            out[f"k:{key}"] = entry
        return out
    if isinstance(value, list) and field in _SET_LISTS and value:
        return {".": {}, **{f"v:{json.dumps(v)}": {} for v in value}}
    return {}


def managed_entry(
    manager: str,
    at: datetime,
    fields: Mapping[str, Any],
    *,
    api_version: str = "v1",
    operation: str = "Update",
    subresource: str | None = None,
) -> Obj:
    """One ``managedFields`` entry owning ``fields`` (a partial object: {"spec": {...}})."""
    entry: Obj = {
        "manager": manager,
        "operation": operation,
        "apiVersion": api_version,
        "time": ts(at),
        "fieldsType": "FieldsV1",
        "fieldsV1": {f"f:{k}": field_set(fields[k], k) for k in sorted(fields)},
    }
    if subresource:
        entry["subresource"] = subresource
    return entry


def owned_metadata(meta: Obj) -> Obj:
    keep = ("generateName", "labels", "annotations", "ownerReferences", "finalizers")
    return {k: meta[k] for k in keep if meta.get(k)}


def touch_manager(obj: Obj, manager: str, at: datetime, *, subresource: str | None = None) -> None:
    """Stamp ``time`` of ``manager``'s entry, as any write by that manager does."""
    for entry in obj["metadata"].get("managedFields", ()):
        if entry["manager"] == manager and entry.get("subresource") == subresource:
            entry["time"] = ts(at)
            return
