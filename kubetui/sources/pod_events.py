"""The events of one pod, found and printed the way ``kubectl describe pod`` does.

kubernetes/kubectl ``pkg/describe/describe.go`` (commit eb836333) ``searchEvents``: LIST
``/api/v1/namespaces/NS/events`` with the field selector client-go's
``GetFieldSelector`` builds from the pod's reference, with the kind left out for pods
(``ref.Kind = ""``): ``involvedObject.name``, ``involvedObject.namespace`` and
``involvedObject.uid`` (``fields.Set.AsSelector`` sorts the terms; values escaped with
``fields.EscapeValue``). ``DescribeEvents`` then prints TYPE, REASON, AGE, FROM, MESSAGE,
where AGE is ``"<last> (x<count> over <first>)"`` for a repeated event (``series`` for
events.k8s.io writers, else ``count``) and FROM is ``source.component``, else
``reportingController``.

Events are decoded into the small :class:`PodEvent` record below and every string is
made inert at once, like every other record.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

import msgspec

from kubetui.model.decode import clean_record
from kubetui.model.durations import translate_timestamp_since
from kubetui.model.selectors import escape_field_value
from kubetui.sources.kube_client import KubeClient, KubeError

#: kubectl describe's default ``--chunk-size`` is 500; a pod with more events is unusual,
#: and the first page is enough for the detail pane.
EVENTS_LIMIT = 500


class _Source(msgspec.Struct, rename="camel"):
    component: str | None = None
    host: str | None = None


class _Series(msgspec.Struct, rename="camel"):
    count: int | None = None
    last_observed_time: datetime | None = None


class PodEvent(msgspec.Struct, rename="camel", gc=False):
    type: str | None = None
    reason: str | None = None
    message: str | None = None
    count: int | None = None
    first_timestamp: datetime | None = None
    last_timestamp: datetime | None = None
    event_time: datetime | None = None
    series: _Series | None = None
    source: _Source | None = None
    reporting_controller: str | None = msgspec.field(default=None, name="reportingComponent")


class _EventList(msgspec.Struct):
    items: list[PodEvent] = msgspec.field(default_factory=list)


def events_query(namespace: str, name: str, uid: str | None) -> list[tuple[str, str]]:
    terms = {"involvedObject.name": name, "involvedObject.namespace": namespace}
    if uid:
        terms["involvedObject.uid"] = uid
    selector = ",".join(f"{k}={escape_field_value(v)}" for k, v in sorted(terms.items()))
    return [("fieldSelector", selector), ("limit", str(EVENTS_LIMIT))]


def fetch_pod_events(
    kube: KubeClient, namespace: str, name: str, uid: str | None
) -> list[PodEvent]:
    """The pod's events, oldest first; :class:`KubeError` when they cannot be read."""
    path = f"/api/v1/namespaces/{quote(namespace, safe='')}/events"
    body = kube.get(path, events_query(namespace, name, uid))
    try:
        listed = msgspec.json.decode(body, type=_EventList)
    except msgspec.DecodeError as exc:
        raise KubeError(f"events of {namespace}/{name}: unreadable reply: {exc}") from None
    events = [clean_record(e) for e in listed.items]
    events.sort(key=_last_seen_key)
    return events


def _last_seen(event: PodEvent) -> datetime | None:
    if event.series is not None and event.series.last_observed_time is not None:
        return event.series.last_observed_time
    return event.last_timestamp or event.event_time or event.first_timestamp


def _last_seen_key(event: PodEvent) -> float:
    seen = _last_seen(event)
    return seen.timestamp() if seen is not None else 0.0


def event_age(event: PodEvent, now: datetime) -> str:
    """``DescribeEvents``' AGE column: ``"2m"`` or ``"30s (x4 over 5m)"``."""
    first = translate_timestamp_since(event.event_time or event.first_timestamp, now)
    if event.series is not None:
        last = translate_timestamp_since(event.series.last_observed_time, now)
        # kubectl prints Go's zero value for a series without a count ("x0"); None is
        # unknown here (records.py), never a made-up count (found by
        # tests/model/test_hostile_pipeline.py).
        count = event.series.count if event.series.count is not None else "?"
        return f"{last} (x{count} over {first})"
    if (event.count or 0) > 1:
        last = translate_timestamp_since(event.last_timestamp, now)
        return f"{last} (x{event.count} over {first})"
    return first


def event_source(event: PodEvent) -> str:
    component = event.source.component if event.source is not None else None
    return component or event.reporting_controller or ""
