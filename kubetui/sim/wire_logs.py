"""pods/log: option checks, container choice, the kubelet's refusals, and the text.

Messages follow kubernetes/kubernetes (master, 2026-07): ``pkg/apis/core/validation``
``ValidatePodLogOptions`` (422 ``PodLogOptions "x" is invalid``),
``pkg/registry/core/pod/strategy.go`` ``LogLocation``/``validateContainer`` (400 when the
container is missing or unknown, listing all containers init-first; an unscheduled pod
answers an empty 200), and
``pkg/kubelet/kubelet_pods.go`` ``validateContainerLogStatus`` (relayed by the apiserver
as 400 BadRequest with the kubelet's text). Timestamps are RFC3339Nano as the kubelet
writes them (``2024-05-01T10:00:00.000000000Z line``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from kubetui.sim import wire_status
from kubetui.sim.state import SimState, parse_time
from kubetui.sim.wire_list import Query, first, parse_bool, parse_int

Obj = dict[str, Any]


@dataclass(frozen=True, slots=True)
class LogOptions:
    container: str
    previous: bool
    follow: bool
    timestamps: bool
    tail_lines: int | None
    limit_bytes: int | None
    since: datetime | None


def _invalid(name: str, field: str, value: object, detail: str) -> wire_status.ApiError:
    text = value if isinstance(value, int) else f'"{value}"'
    cause = {
        "reason": "FieldValueInvalid",
        "message": f"Invalid value: {text}: {detail}",
        "field": field,
    }
    return wire_status.invalid("", "PodLogOptions", name, [cause])


def parse_log_options(query: Query, pod: Obj, now: datetime) -> LogOptions:
    """Query → options (422s), then the container the request is about (400s)."""
    name = pod["metadata"]["name"]
    tail = parse_int(query, "tailLines")
    limit = parse_int(query, "limitBytes")
    since_seconds = parse_int(query, "sinceSeconds")
    since_time_text = first(query, "sinceTime")
    if tail is not None and tail < 0:
        raise _invalid(name, "tailLines", tail, "must be greater than or equal to 0")
    if limit is not None and limit < 1:
        raise _invalid(name, "limitBytes", limit, "must be greater than 0")
    if since_seconds is not None and since_time_text:
        cause = {
            "reason": "FieldValueForbidden",
            "message": "Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified",
            "field": "",
        }
        raise wire_status.invalid("", "PodLogOptions", name, [cause])
    if since_seconds is not None and since_seconds < 1:
        raise _invalid(name, "sinceSeconds", since_seconds, "must be greater than 0")
    since = None
    if since_seconds is not None:
        since = now - timedelta(seconds=since_seconds)
    elif since_time_text:
        since = parse_time(since_time_text)
        if since is None:
            raise wire_status.bad_request(
                f'parsing time "{since_time_text}" as "2006-01-02T15:04:05Z07:00": cannot parse'
            )
    return LogOptions(
        container=choose_container(pod, first(query, "container") or ""),
        previous=bool(parse_bool(query, "previous")),
        follow=bool(parse_bool(query, "follow")),
        timestamps=bool(parse_bool(query, "timestamps")),
        tail_lines=tail,
        limit_bytes=limit,
        since=since,
    )


def choose_container(pod: Obj, requested: str) -> str:
    """pod/strategy.go validateContainer: one container is the default; otherwise the
    400 lists every container in VisitContainers order (init, regular, ephemeral)."""
    spec = pod.get("spec") or {}
    name = pod["metadata"]["name"]
    containers = [c.get("name", "") for c in spec.get("containers") or []]
    every = [
        c.get("name", "")
        for group in ("initContainers", "containers", "ephemeralContainers")
        for c in spec.get(group) or []
    ]
    if not requested:
        if len(containers) == 1:
            return containers[0]
        if not containers:
            raise wire_status.bad_request(f"a container name must be specified for pod {name}")
        raise wire_status.bad_request(
            f"a container name must be specified for pod {name}, choose one of: [{' '.join(every)}]"
        )
    if requested not in every:
        raise wire_status.bad_request(f"container {requested} is not valid for pod {name}")
    return requested


def check_kubelet(pod: Obj, container: str, previous: bool) -> bool:
    """validateContainerLogStatus: which instance's log the kubelet serves.

    True = the previous (last terminated) instance: asked for, or the current one has
    not started (a crash-looping container shows its last run).
    """
    status = pod.get("status") or {}
    name = pod["metadata"]["name"]
    statuses = [
        *(status.get("containerStatuses") or []),
        *(status.get("initContainerStatuses") or []),
        *(status.get("ephemeralContainerStatuses") or []),
    ]
    cs = next((s for s in statuses if s.get("name") == container), None)
    if cs is None:
        raise wire_status.bad_request(f'container "{container}" in pod "{name}" is not available')
    state = cs.get("state") or {}
    last = (cs.get("lastState") or {}).get("terminated")
    if previous:
        if not last or not last.get("containerID"):
            raise wire_status.bad_request(
                f'previous terminated container "{container}" in pod "{name}" not found'
            )
        return True
    if state.get("running") is not None:
        return False
    terminated = state.get("terminated")
    if terminated is not None:
        if terminated.get("containerID"):
            return False
        if last and last.get("containerID"):
            return True
        raise wire_status.bad_request(f'container "{container}" in pod "{name}" is terminated')
    if last is not None:
        return True
    waiting = state.get("waiting")
    if waiting is not None:
        reason = waiting.get("reason", "")
        detail = {
            "ErrImagePull": "image can't be pulled",
            "ImagePullBackOff": "trying and failing to pull image",
        }.get(reason, reason)
        raise wire_status.bad_request(
            f'container "{container}" in pod "{name}" is waiting to start: {detail}'
        )
    raise wire_status.bad_request(
        f'container "{container}" in pod "{name}" is waiting to start - no logs yet'
    )


def format_line(stamp: datetime, line: str, timestamps: bool) -> bytes:
    text = line if line.endswith("\n") else line + "\n"
    if timestamps:
        return (
            stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond:06d}000Z " + text
        ).encode()
    return text.encode()


def render(lines: list[tuple[datetime, str]], opts: LogOptions) -> list[bytes]:
    """The kubelet's filters in its order: since, tail, then the byte limit."""
    if opts.since is not None:
        lines = [(t, s) for t, s in lines if t >= opts.since]
    if opts.tail_lines is not None:
        lines = lines[len(lines) - opts.tail_lines :] if opts.tail_lines else []
    return [format_line(t, s, opts.timestamps) for t, s in lines]


def stream_logs(
    send: Callable[[bytes], None],
    state: SimState,
    namespace: str,
    pod: str,
    opts: LogOptions,
    alive: Callable[[], bool],
) -> None:
    """Write the log; with ``follow``, keep writing appended lines while ``alive()``."""
    lines = state.log_lines(namespace, pod, opts.container, opts.previous) or []
    budget = opts.limit_bytes
    for chunk in render(lines, opts):
        if budget is not None:
            chunk = chunk[:budget]
            budget -= len(chunk)
        if chunk:
            send(chunk)
        if budget is not None and budget <= 0:
            return
    if not opts.follow or opts.previous:
        return
    seen = len(lines)
    while alive():
        state.wait_log(namespace, pod, opts.container, seen, timeout=0.5)
        current = state.log_lines(namespace, pod, opts.container, False) or []
        for stamp, line in current[seen:]:
            chunk = format_line(stamp, line, opts.timestamps)
            if budget is not None:
                chunk = chunk[:budget]
                budget -= len(chunk)
            send(chunk)
            if budget is not None and budget <= 0:
                return
        seen = len(current)
