"""Follow a killed engine's pods until each is gone or terminated, reporting each change.

A kill returns as soon as the driver is marked for deletion; the operator wants to see it
end: the driver leaves after its grace period, then the garbage collector deletes the
executors it owned (each with its own grace period). This polls instead of watching:
a kill involves a handful of pods for under a minute, and a poll is one LIST with the
engine's label selector (``spark-app-selector`` on driver and executors, else the
driver's ``kyuubi-unique-tag``) plus a GET by name for a seen pod the LIST no longer
returns (a pod whose labels do not match is not proven gone by the LIST alone).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

from kubetui.actions.plans import Follow
from kubetui.model.decode import decode_json_item, decode_pod_page
from kubetui.model.engines import ROLE_LABEL
from kubetui.model.inert_text import inert, single_line
from kubetui.model.records import Pod
from kubetui.sources.kube_client import KubeClient, KubeError

RUNNING: Final = "running"
TERMINATING: Final = "Terminating"
TERMINATED: Final = "terminated"
GONE: Final = "gone"
#: A pod in one of these states needs no more following.
DONE: Final = frozenset({TERMINATED, GONE})
DEFAULT_TIMEOUT: Final = 60.0
DEFAULT_INTERVAL: Final = 0.5


@dataclass
class _Tracked:
    role: str  # "driver" or "executor"
    name: str
    state: str = RUNNING
    detail: str = ""


@dataclass
class FollowResult:
    """Where the pods ended; ``stopped`` is None (all done), "timeout" or "cancelled"."""

    pods: dict[str, _Tracked] = field(default_factory=dict)
    stopped: str | None = None
    #: Whether every pod was already gone or terminated at the first look.
    already: bool = False
    timeout: float = DEFAULT_TIMEOUT

    @property
    def done(self) -> bool:
        return all(p.state in DONE for p in self.pods.values())

    @property
    def still_running(self) -> list[str]:
        """Pods neither ended nor marked for deletion: the kill did not reach them."""
        return [p.name for p in self.pods.values() if p.state == RUNNING]

    def summary(self) -> str:
        """``driver and 3 executors gone``; ``driver Terminating, 2 of 3 executors left``."""
        driver = next((p for p in self.pods.values() if p.role == "driver"), None)
        execs = [p for p in self.pods.values() if p.role == "executor"]
        if self.done:
            states = {p.state for p in self.pods.values()}
            if len(states) == 1:
                (state,) = states
                who = _who(driver is not None, len(execs))
                return f"{who} {'already ' if self.already else ''}{state}".strip()
        parts = []
        if driver is not None:
            parts.append(f"driver {driver.state}")
        if execs:
            left = sum(p.state not in DONE for p in execs)
            ended = "/".join(sorted({p.state for p in execs}))
            parts.append(
                f"{left} of {len(execs)} executors left"
                if left
                else f"{_who(False, len(execs))} {ended}"
            )
        text = ", ".join(parts) or "no pods"
        if self.stopped == "timeout":
            return f"after {self.timeout:g} s: {text}"
        if self.stopped == "cancelled":
            return f"following cancelled: {text}"
        return text


def _who(driver: bool, executors: int) -> str:
    noun = f"{executors} executor{'s' if executors != 1 else ''}"
    if driver and executors:
        return f"driver and {noun}"
    return "driver" if driver else (noun if executors else "no pods")


def _state(pod: Pod) -> tuple[str, str]:
    phase = pod.status.phase
    if phase in ("Succeeded", "Failed"):
        return TERMINATED, phase
    if pod.metadata.deletion_timestamp is not None:
        return TERMINATING, ""
    return RUNNING, phase or ""


def follow_pods(
    kube: KubeClient,
    follow: Follow,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    interval: float = DEFAULT_INTERVAL,
    cancel: threading.Event | None = None,
    on_progress: Callable[[str], None] | None = None,
) -> FollowResult:
    """Poll until every pod is gone or terminated, ``timeout`` seconds pass, or
    ``cancel`` is set; each change goes to ``on_progress`` as one inert line."""
    stop = cancel or threading.Event()
    report = on_progress or (lambda _line: None)
    result = FollowResult(timeout=timeout)
    for target in follow.pods:
        role = "driver" if target.uid == follow.driver_uid else "executor"
        result.pods[target.uid] = _Tracked(role, target.name)
    deadline = time.monotonic() + timeout
    first = True
    last_error = ""
    while True:
        try:
            changed = _poll(kube, follow, result, report)
            last_error = ""
        except KubeError as exc:
            changed = False
            if str(exc) != last_error:
                report(f"following: {exc}")
            last_error = str(exc)
        if first and not last_error:
            result.already = result.done
        first = False
        if changed:
            _report_left(result, report)
        if result.done and not last_error:
            return result
        if time.monotonic() >= deadline:
            result.stopped = "timeout"
            return result
        if stop.wait(interval):
            result.stopped = "cancelled"
            return result


def _poll(
    kube: KubeClient, follow: Follow, result: FollowResult, report: Callable[[str], None]
) -> bool:
    """One look; whether any pod changed state."""
    base = f"/api/v1/namespaces/{follow.namespace}/pods"
    listed = decode_pod_page(kube.get(base, [("labelSelector", follow.label_selector)])).items
    seen: dict[str, Pod] = {p.metadata.uid: p for p in listed if p.metadata.uid}
    for uid, tracked in result.pods.items():
        if uid in seen or tracked.state == GONE:
            continue
        try:
            pod, _ = decode_json_item(kube.get(f"{base}/{tracked.name}"), Pod)
        except KubeError as exc:
            if exc.status != 404:
                raise
            continue
        if pod is not None and pod.metadata.uid == uid:  # else replaced under its name
            seen[uid] = pod
    changed = False
    for uid, pod in seen.items():
        if uid not in result.pods:
            driver = (pod.metadata.labels or {}).get(ROLE_LABEL) == "driver"
            role = "driver" if driver else "executor"
            result.pods[uid] = _Tracked(role, pod.metadata.name or "?", state="")
    for uid, tracked in result.pods.items():
        state, detail = _state(seen[uid]) if uid in seen else (GONE, "")
        if (state, detail) == (tracked.state, tracked.detail) or tracked.state == GONE:
            continue
        tracked.state, tracked.detail = state, detail
        changed = True
        note = f" ({detail})" if detail and state != RUNNING else ""
        report(single_line(inert(f"{tracked.role} {tracked.name}: {state}{note}")))
    return changed


def _report_left(result: FollowResult, report: Callable[[str], None]) -> None:
    execs = [p for p in result.pods.values() if p.role == "executor"]
    left = sum(p.state not in DONE for p in execs)
    if execs and left:
        report(f"{left} executor{'s' if left != 1 else ''} left")
