"""PATCH bodies: JSON merge patch, a strategic-merge subset, and JSON patch.

Content types as kube-apiserver accepts them (kubernetes/apiserver@v0.33.0
``pkg/endpoints/handlers/patch.go``): ``application/merge-patch+json`` (RFC 7386),
``application/strategic-merge-patch+json`` (built-in kinds only; a CRD answers 415) and
``application/json-patch+json`` (RFC 6902). Server-side apply is not served (415).

The strategic merge here is the part kubectl and the Python client use: maps merge,
``null`` deletes, and lists of objects that carry a ``name`` merge by name (containers,
env, volumes, ports: their patchMergeKey is ``name``) instead of being replaced. The
``$patch``/``$retainKeys``/``$setElementOrder`` directives are not interpreted, except
``$patch: delete`` inside a named list item.
"""

from __future__ import annotations

import copy
from typing import Any

from kubetui.sim import wire_status

MERGE = "application/merge-patch+json"
STRATEGIC = "application/strategic-merge-patch+json"
JSON_PATCH = "application/json-patch+json"
APPLY = "application/apply-patch+yaml"


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


def _named(items: Any) -> bool:
    return (
        isinstance(items, list)
        and bool(items)
        and all(isinstance(i, dict) and "name" in i for i in items)
    )


def strategic_merge(target: Any, patch: Any) -> Any:
    """Merge patch, with lists of named objects merged by ``name``."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if key.startswith("$"):
            continue
        current = out.get(key)
        if value is None:
            out.pop(key, None)
        elif _named(value) and (current is None or _named(current)):
            merged = [dict(i) for i in current or []]
            for item in value:
                index = next((n for n, m in enumerate(merged) if m["name"] == item["name"]), None)
                if item.get("$patch") == "delete":
                    if index is not None:
                        merged.pop(index)
                elif index is None:
                    merged.append(strategic_merge({}, item))
                else:
                    merged[index] = strategic_merge(merged[index], item)
            out[key] = merged
        else:
            out[key] = strategic_merge(current, value)
    return out


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise wire_status.bad_request(f'json patch path "{path}" must start with "/"')
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _walk(doc: Any, parts: list[str]) -> Any:
    for part in parts:
        if isinstance(doc, list):
            doc = doc[int(part)]
        elif isinstance(doc, dict):
            doc = doc[part]
        else:
            raise KeyError(part)
    return doc


def json_patch(doc: Any, ops: Any) -> Any:
    """RFC 6902 add/remove/replace/move/copy/test."""
    if not isinstance(ops, list):
        raise wire_status.bad_request(
            "json: cannot unmarshal object into Go value of type jsonpatch.Patch"
        )
    doc = copy.deepcopy(doc)
    for op in ops:
        kind = op.get("op")
        parts = _pointer(op.get("path", ""))
        try:
            if kind == "test":
                if _walk(doc, parts) != op.get("value"):
                    raise _rejected()
                continue
            if kind in ("move", "copy"):
                src = _pointer(op.get("from", ""))
                value = copy.deepcopy(_walk(doc, src))
                if kind == "move":
                    doc = _apply(doc, src, "remove", None)
                doc = _apply(doc, parts, "add", value)
                continue
            doc = _apply(doc, parts, kind, op.get("value"))
        except (KeyError, IndexError, ValueError, TypeError):
            raise _rejected() from None
    return doc


def _rejected() -> wire_status.ApiError:
    """handlers/patch.go: a JSON patch that does not apply is
    ``NewGenericServerResponse(422, ...)``, whose text hides the patch library's error."""
    return wire_status.ApiError(
        422, "Invalid", "the server rejected our request due to an error in our request", {}
    )


def _apply(doc: Any, parts: list[str], kind: str | None, value: Any) -> Any:
    if not parts:
        if kind in ("add", "replace"):
            return copy.deepcopy(value)
        raise KeyError("")
    parent = _walk(doc, parts[:-1])
    last = parts[-1]
    if isinstance(parent, list):
        if kind == "add":
            parent.insert(len(parent) if last == "-" else int(last), copy.deepcopy(value))
        elif kind == "remove":
            parent.pop(int(last))
        elif kind == "replace":
            parent[int(last)] = copy.deepcopy(value)
        else:
            raise ValueError(kind)
    elif isinstance(parent, dict):
        if kind == "add":
            parent[last] = copy.deepcopy(value)
        elif kind == "remove":
            del parent[last]
        elif kind == "replace":
            if last not in parent:
                raise KeyError(last)
            parent[last] = copy.deepcopy(value)
        else:
            raise ValueError(kind)
    else:
        raise KeyError(last)
    return doc


def apply_patch(
    obj: dict[str, Any], content_type: str, patch: Any, builtin: bool
) -> dict[str, Any]:
    """The patched object, or 415 for a patch type this resource does not take."""
    media = content_type.split(";")[0].strip().lower()
    if media == MERGE:
        return merge_patch(obj, patch)
    if media == STRATEGIC and builtin:
        return strategic_merge(obj, patch)
    if media == JSON_PATCH:
        return json_patch(obj, patch)
    raise wire_status.unsupported_media_type(media, builtin or media != STRATEGIC)
