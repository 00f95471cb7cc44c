"""Run a plan: a server-side dry run of every step, then the real calls, one by one.

Each step is first sent with ``dryRun: ["All"]`` (for a DELETE in the same DeleteOptions
body as its preconditions, for a PATCH in the query), so a 403 or a precondition
conflict shows before anything changes; only a step whose dry run passed is then sent
for real. Steps are independent: a failure is
reported and the next step runs. A cancel event stops before the next step; what was
done stays reported.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Final

import msgspec

from kubetui.actions.plans import RESTARTED_AT, ROLLOUT_RESTART, Plan, Step
from kubetui.model.records import Pod
from kubetui.sources.kube_client import KubeClient, KubeError, read_status

DRY_RUN_OK: Final = "dry-run-ok"
DELETED: Final = "deleted"
TERMINATING: Final = "terminating"
HELD: Final = "held-by-finalizers"
GONE: Final = "gone"
CONFLICT: Final = "conflict"
FORBIDDEN: Final = "forbidden"
FAILED: Final = "failed"
CANCELLED: Final = "cancelled"
RESTARTED: Final = "restarted"

#: Outcomes that count as success for the exit code.
SUCCESS: Final = frozenset({DRY_RUN_OK, DELETED, TERMINATING, HELD, GONE, RESTARTED})


class Outcome(msgspec.Struct, frozen=True, kw_only=True):
    namespace: str
    name: str
    uid: str
    action: str
    status: str
    detail: str

    @property
    def ok(self) -> bool:
        return self.status in SUCCESS


_POD = msgspec.json.Decoder(Pod)


def _server_message(body: bytes) -> str:
    return (read_status(body).message or "")[:300]


def _interpret(step: Step, status: int, body: bytes, *, dry_run: bool) -> tuple[str, str]:
    """(outcome status, detail) for one DELETE response."""
    if status == 200:
        if dry_run:
            return DRY_RUN_OK, "server-side dry run accepted"
        if step.action == ROLLOUT_RESTART:
            return RESTARTED, f"rollout restart triggered ({RESTARTED_AT}={step.restarted_at})"
        try:
            pod = _POD.decode(body)
        except msgspec.DecodeError:
            return DELETED, "deleted"
        if pod.metadata.finalizers:
            held = ", ".join(pod.metadata.finalizers)
            return HELD, f"marked for deletion; held by finalizers {held}"
        grace = pod.metadata.deletion_grace_period_seconds
        if pod.metadata.deletion_timestamp is not None and grace:
            return TERMINATING, f"terminating (grace {grace}s)"
        return DELETED, "deleted"
    if status == 404:
        return GONE, "already gone (deleted by someone else, or with its owner)"
    if status == 409:
        return CONFLICT, f"not deleted: it changed since the preview: {_server_message(body)}"
    if status == 403:
        return FORBIDDEN, f"forbidden: {_server_message(body)}"
    if status == 401:
        return FAILED, "unauthorized (401): the credentials were rejected"
    return FAILED, f"HTTP {status}: {_server_message(body)}"


def _outcome(step: Step, status: str, detail: str) -> Outcome:
    t = step.target
    return Outcome(
        namespace=t.namespace,
        name=t.name,
        uid=t.uid,
        action=step.action,
        status=status,
        detail=detail,
    )


def _send(kube: KubeClient, step: Step, *, dry_run: bool) -> tuple[str, str]:
    status, body = kube.send(
        step.method,
        step.path,
        step.body(dry_run=dry_run),
        query=step.query(dry_run=dry_run),
        content_type=step.content_type,
    )
    return _interpret(step, status, body, dry_run=dry_run)


def run_step(kube: KubeClient, step: Step, *, dry_run_only: bool) -> Outcome:
    """Dry-run one step on the server, then (unless ``dry_run_only``) run it for real."""
    try:
        outcome, detail = _send(kube, step, dry_run=True)
        if dry_run_only or outcome != DRY_RUN_OK:
            return _outcome(step, outcome, detail)
        return _outcome(step, *_send(kube, step, dry_run=False))
    except KubeError as exc:
        return _outcome(step, FAILED, str(exc))


def execute(
    kube: KubeClient,
    plan: Plan,
    *,
    dry_run_only: bool = False,
    cancel: threading.Event | None = None,
    on_outcome: Callable[[Outcome], None] | None = None,
) -> list[Outcome]:
    """Run every step in order; one outcome per step (cancelled ones included)."""
    outcomes: list[Outcome] = []
    for step in plan.steps:
        if cancel is not None and cancel.is_set():
            outcome = _outcome(step, CANCELLED, "not run: cancelled by the operator")
        else:
            outcome = run_step(kube, step, dry_run_only=dry_run_only)
        outcomes.append(outcome)
        if on_outcome is not None:
            on_outcome(outcome)
    return outcomes
