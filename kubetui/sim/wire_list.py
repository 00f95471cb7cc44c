"""LIST semantics: query options, resourceVersion forms, paging and continue tokens.

Follows kubernetes/apiserver@v0.33.0: ``pkg/endpoints/handlers/get.go`` (decode → default
→ validate → field-label conversion), apimachinery ``internalversion/validation`` (the
422s), ``pkg/storage/cacher/delegator/interface.go`` and ``cacher.go``
``computeListLimit`` (which reads come from the watch cache, and that RV "0" ignores
``limit``), ``pkg/storage/interfaces.go`` ``ValidateListOptions`` and ``continue.go`` (the
400s and the token format), and ``pkg/storage/etcd3/store.go``/``errors.go`` (paging,
``remainingItemCount`` only without selectors, 410 on compacted continues with an
"inconsistent continue" token at rv -1).
"""

from __future__ import annotations

import base64
import json
import posixpath
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import msgspec

from kubetui.model.selectors import (
    FieldRequirement,
    FieldSelector,
    LabelSelector,
    SelectorError,
    parse_field_selector,
    parse_label_selector,
)
from kubetui.sim import wire_status
from kubetui.sim.resources import ResourceDef
from kubetui.sim.state import Entry, SimState, key_prefix

Query = dict[str, list[str]]

#: how long a NotOlderThan read waits for a resourceVersion ahead of the store
TOO_LARGE_RV_WAIT = 3.0

_TRUE = ("1", "t", "T", "true", "TRUE", "True")
_FALSE = ("0", "f", "F", "false", "FALSE", "False")


def first(query: Query, name: str) -> str | None:
    values = query.get(name)
    return values[0] if values else None


def parse_bool(query: Query, name: str) -> bool | None:
    """Go strconv.ParseBool (the Python client sends ``True``)."""
    value = first(query, name)
    if value is None:
        return None
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise wire_status.bad_request(f'strconv.ParseBool: parsing "{value}": invalid syntax')


def parse_int(query: Query, name: str) -> int | None:
    value = first(query, name)
    if value is None or value == "":
        return None
    try:
        return int(value, 10)
    except ValueError:
        raise wire_status.bad_request(
            f'strconv.ParseInt: parsing "{value}": invalid syntax'
        ) from None


class Selection:
    """A label and a field selector, both already checked against the kind."""

    def __init__(self, labels: LabelSelector | None, fields: FieldSelector | None) -> None:
        self.labels = labels if labels is not None and not labels.empty else None
        self.fields = fields if fields is not None and not fields.empty else None

    @property
    def empty(self) -> bool:
        return self.labels is None and self.fields is None

    def matches(self, entry: Entry) -> bool:
        if self.labels is not None and not self.labels.matches(entry.labels):
            return False
        return self.fields is None or self.fields.matches(entry.fields.get)


@dataclass(slots=True)
class ListOptions:
    resource_version: str = ""
    rv_match: str = ""
    limit: int = 0
    continue_token: str = ""
    selection: Selection = field(default_factory=lambda: Selection(None, None))
    watch: bool = False
    allow_bookmarks: bool = False
    send_initial_events: bool | None = None
    timeout_seconds: int | None = None


def parse_list_options(
    query: Query,
    rdef: ResourceDef,
    *,
    force_watch: bool,
    name: str | None,
    watch_list_enabled: bool,
) -> ListOptions:
    """Query → options, with the apiserver's 400s and 422s, in its order."""
    try:
        labels = parse_label_selector(first(query, "labelSelector") or "")
        fields = parse_field_selector(first(query, "fieldSelector") or "")
    except SelectorError as err:
        raise wire_status.bad_request(str(err)) from None
    opts = ListOptions(
        resource_version=first(query, "resourceVersion") or "",
        rv_match=first(query, "resourceVersionMatch") or "",
        limit=parse_int(query, "limit") or 0,
        continue_token=first(query, "continue") or "",
        watch=bool(parse_bool(query, "watch")) or force_watch,
        allow_bookmarks=bool(parse_bool(query, "allowWatchBookmarks")),
        send_initial_events=parse_bool(query, "sendInitialEvents"),
        timeout_seconds=parse_int(query, "timeoutSeconds"),
    )
    _default_watch_list(opts, watch_list_enabled)
    errors = validate(opts, watch_list_enabled)
    if errors:
        raise wire_status.list_options_invalid(errors)
    converted = []
    for req in fields.requirements:
        try:
            converted.append(
                FieldRequirement(rdef.check_field_label(req.field), req.operator, req.value)
            )
        except ValueError as err:
            raise wire_status.bad_request(str(err)) from None
    fields = FieldSelector(tuple(converted))
    if name is not None:
        if not fields.empty:
            exact = [
                r.value
                for r in fields.requirements
                if r.field == "metadata.name" and r.operator == "="
            ]
            if len(fields.requirements) != 1 or exact != [name]:
                raise wire_status.bad_request(
                    "fieldSelector metadata.name doesn't match requested name"
                )
        else:
            fields = FieldSelector((FieldRequirement("metadata.name", "=", name),))
    opts.selection = Selection(labels, fields)
    return opts


def _default_watch_list(opts: ListOptions, enabled: bool) -> None:
    """internalversion SetListOptionsDefaults: legacy ""/"0" watches become watch-lists."""
    if not enabled or opts.send_initial_events is not None or opts.rv_match:
        return
    if opts.watch and opts.resource_version in ("", "0"):
        opts.send_initial_events = True
        opts.rv_match = "NotOlderThan"


def validate(opts: ListOptions, watch_list_enabled: bool) -> list[tuple[str, str, str]]:
    """internalversion/validation ValidateListOptions (apimachinery v0.33.0)."""
    errs: list[tuple[str, str, str]] = []
    match = opts.rv_match
    forbidden = wire_status.forbidden_field
    if opts.watch:
        if opts.send_initial_events is not None:
            if match != "NotOlderThan":
                errs.append(
                    forbidden(
                        "resourceVersionMatch",
                        "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan",
                    )
                )
            if not watch_list_enabled:
                errs.append(
                    forbidden(
                        "sendInitialEvents",
                        "sendInitialEvents is forbidden for watch unless the WatchList "
                        "feature gate is enabled",
                    )
                )
        if match:
            if opts.send_initial_events is None:
                errs.append(
                    forbidden(
                        "resourceVersionMatch",
                        "resourceVersionMatch is forbidden for watch unless "
                        "sendInitialEvents is provided",
                    )
                )
            if match != "NotOlderThan":
                errs.append(
                    wire_status.unsupported_field("resourceVersionMatch", match, ["NotOlderThan"])
                )
            if opts.continue_token:
                errs.append(
                    forbidden(
                        "resourceVersionMatch",
                        "resourceVersionMatch is forbidden when continue is provided",
                    )
                )
        return errs
    if match:
        if not opts.resource_version:
            errs.append(
                forbidden(
                    "resourceVersionMatch",
                    "resourceVersionMatch is forbidden unless resourceVersion is provided",
                )
            )
        if opts.continue_token:
            errs.append(
                forbidden(
                    "resourceVersionMatch",
                    "resourceVersionMatch is forbidden when continue is provided",
                )
            )
        if match not in ("Exact", "NotOlderThan"):
            errs.append(
                wire_status.unsupported_field(
                    "resourceVersionMatch", match, ["Exact", "NotOlderThan", ""]
                )
            )
        if match == "Exact" and opts.resource_version == "0":
            errs.append(
                forbidden(
                    "resourceVersionMatch",
                    'resourceVersionMatch "exact" is forbidden for resourceVersion "0"',
                )
            )
    if opts.send_initial_events is not None:
        errs.append(forbidden("sendInitialEvents", "sendInitialEvents is forbidden for list"))
    return errs


def parse_rv(text: str) -> int:
    """APIObjectVersioner.ParseResourceVersion, as the 400 ValidateListOptions raises."""
    if text in ("", "0"):
        return 0
    if not text.isdigit():
        raise wire_status.bad_request(
            f'invalid resource version: resourceVersion: Invalid value: "{text}": '
            f'strconv.ParseUint: parsing "{text}": invalid syntax'
        )
    return int(text)


def wait_for_rv(state: SimState, rv: int) -> None:
    """cacher waitUntilFreshAndBlock: up to 3 s for the store to reach ``rv``, then 504."""
    deadline = time.monotonic() + TOO_LARGE_RV_WAIT
    while state.resource_version < rv:
        if time.monotonic() >= deadline:
            raise wire_status.too_large_rv(rv, state.resource_version)
        time.sleep(0.05)


# ---------------------------------------------------------------- continue tokens


def encode_continue(rel_key: str, rv: int) -> str:
    """storage.EncodeContinue: base64url (no padding) of ``{"v","rv","start"}``."""
    raw = json.dumps({"v": "meta.k8s.io/v1", "rv": rv, "start": rel_key}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).rstrip(b"=").decode()


def decode_continue(token: str) -> tuple[str, int]:
    """storage.DecodeContinue → (start key relative to the list prefix, rv)."""

    def invalid(detail: str) -> wire_status.ApiError:
        return wire_status.bad_request(f"invalid continue token: continue key is not valid{detail}")

    try:
        data = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError) as err:
        raise invalid(f": {err}") from None
    if not isinstance(doc, dict):
        raise invalid(": json: cannot unmarshal into continueToken")
    if doc.get("v") != "meta.k8s.io/v1":
        raise wire_status.bad_request(
            "invalid continue token: continue key is not valid: server does not recognize "
            f"this encoded version {doc.get('v', '')}"
        )
    rv = doc.get("rv")
    if not isinstance(rv, int) or rv == 0:
        raise invalid(": incorrect encoded start resourceVersion (version meta.k8s.io/v1)")
    start = doc.get("start")
    if not isinstance(start, str) or not start:
        raise invalid(": encoded start key empty (version meta.k8s.io/v1)")
    key = start if start.startswith("/") else "/" + start
    if posixpath.normpath(key) != key:
        raise invalid(f": {start}")
    return key[1:], rv


# ---------------------------------------------------------------- the read


@dataclass(slots=True)
class ListPage:
    rv: int
    items: Iterable[Entry]
    continue_token: str = ""
    remaining: int | None = None

    def list_meta(self) -> bytes:
        meta: dict[str, object] = {"resourceVersion": str(self.rv)}
        if self.continue_token:
            meta["continue"] = self.continue_token
        if self.remaining is not None:
            meta["remainingItemCount"] = self.remaining
        return msgspec.json.encode(meta)


def read_list(
    state: SimState, rdef: ResourceDef, namespace: str | None, opts: ListOptions
) -> ListPage:
    """Pick the snapshot (RV semantics) and cut the page (limit/continue)."""
    prefix = key_prefix(rdef, namespace)
    start = prefix
    limit = opts.limit if opts.limit > 0 else 0
    rv_text = opts.resource_version
    if opts.continue_token:
        rel, token_rv = decode_continue(opts.continue_token)
        if rv_text not in ("", "0"):
            raise wire_status.bad_request(
                "specifying resource version is not allowed when using continue"
            )
        start = prefix + rel
        read_rv = token_rv if token_rv > 0 else state.resource_version
        if read_rv < state.compacted_rv:
            raise wire_status.expired(
                INCONSISTENT_CONTINUE, list_meta={"continue": encode_continue(rel, -1)}
            )
    elif rv_text == "":
        read_rv = state.resource_version
    else:
        wanted = parse_rv(rv_text)
        exact = opts.rv_match == "Exact" or (opts.rv_match == "" and limit > 0 and wanted > 0)
        if rv_text == "0":
            limit = 0
        if exact:
            if wanted > state.resource_version:
                raise wire_status.too_large_rv(wanted, state.resource_version)
            state.check_readable(wanted)
            read_rv = wanted
        else:
            wait_for_rv(state, wanted)
            read_rv = state.resource_version
    snapshot = state.iter_snapshot(rdef.plural, read_rv, prefix, start)
    selection = opts.selection
    if not limit:
        return ListPage(read_rv, (e for e in snapshot if selection.matches(e)))
    return _page(state, rdef, snapshot, selection, limit, read_rv, prefix)


#: pkg/storage/etcd3/errors.go inconsistentContinue (v0.33.0)
INCONSISTENT_CONTINUE = (
    "The provided continue parameter is too old to display a consistent list result. You "
    "can start a new list without the continue parameter, or use the continue token in "
    "this response to retrieve the remainder of the results. Continuing with the provided "
    "token results in an inconsistent list - objects that were created, modified, or "
    "deleted between the time the first chunk was returned and now may show up in the list."
)


def _page(
    state: SimState,
    rdef: ResourceDef,
    snapshot: Iterator[Entry],
    selection: Selection,
    limit: int,
    read_rv: int,
    prefix: str,
) -> ListPage:
    items: list[Entry] = []
    has_more = False
    for entry in snapshot:
        if len(items) >= limit:
            has_more = True
            break
        if selection.matches(entry):
            items.append(entry)
    if not has_more:
        return ListPage(read_rv, items)
    last = items[-1].key
    token = encode_continue(last[len(prefix) :] + "\x00", read_rv)
    remaining = None
    if selection.empty:
        remaining = state.count_after(rdef.plural, read_rv, prefix, last)
    return ListPage(read_rv, items, token, remaining)
