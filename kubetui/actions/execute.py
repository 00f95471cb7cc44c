"""Run a plan: a server-side dry run of every step, then the real calls, one by one.

Each step is first sent with ``dryRun: ["All"]`` (for a DELETE in the same DeleteOptions
body as its preconditions, for a PATCH in the query), so a 403 or a precondition
conflict shows before anything changes; only a step whose dry run passed is then sent
for real. Steps are independent: a failure is
reported and the next step runs. A cancel event stops before the next step; what was
done stays reported.

Kyuubi steps (kills) have no server-side dry run (Kyuubi offers none), so their preview
says the call was not sent; the fallback driver delete is dry-run on the API server first.
After a kill, the engine's pods are followed (``follow.py``) until they are gone or
terminated, each change reported through ``on_progress`` as one inert line, and the
outcome ends with where they ended. Kyuubi's answer is kept verbatim in the outcome.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Final

import msgspec

from kubetui.actions.follow import DEFAULT_TIMEOUT, FollowResult, follow_pods
from kubetui.actions.plans import (
    KYUUBI_ACTIONS,
    KYUUBI_KILL_BATCH,
    RESTARTED_AT,
    ROLLOUT_RESTART,
    Plan,
    Step,
    without_userinfo,
)
from kubetui.model.decode import decode_json_item
from kubetui.model.inert_text import inert, single_line
from kubetui.model.records import Pod
from kubetui.sources.kube_client import KubeClient, KubeError, read_status
from kubetui.sources.kyuubi import KyuubiClient, KyuubiError

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
#: A kill followed to the end: the driver and executors are gone or terminated.
KILLED: Final = "killed"
#: Nothing to kill: Kyuubi refused and the pods had already ended.
ALREADY_ENDED: Final = "already-ended"

#: Outcomes that count as success for the exit code.
SUCCESS: Final = frozenset(
    {DRY_RUN_OK, DELETED, TERMINATING, HELD, GONE, RESTARTED, KILLED, ALREADY_ENDED}
)
#: Outcomes of a delete that was accepted (a kill to follow).
_ACCEPTED: Final = frozenset({DELETED, TERMINATING, HELD})
Progress = Callable[[str], None]


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


def outcome_of(step: Step, status: str, detail: str) -> Outcome:
    """The outcome of ``step``; URLs in ``detail`` lose any ``user:password@``."""
    t = step.target
    return Outcome(
        namespace=t.namespace,
        name=t.name,
        uid=t.uid,
        action=step.action,
        status=status,
        detail=without_userinfo(detail),
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
            return outcome_of(step, outcome, detail)
        return outcome_of(step, *_send(kube, step, dry_run=False))
    except KubeError as exc:
        return outcome_of(step, FAILED, str(exc))


def execute(
    kube: KubeClient,
    plan: Plan,
    *,
    dry_run_only: bool = False,
    cancel: threading.Event | None = None,
    on_outcome: Callable[[Outcome], None] | None = None,
    kyuubi: KyuubiClient | None = None,
    on_progress: Progress | None = None,
    follow_timeout: float = DEFAULT_TIMEOUT,
    follow_interval: float = 0.5,
) -> list[Outcome]:
    """Run every step in order; one outcome per step (cancelled ones included).

    ``kyuubi`` runs Kyuubi steps (without it they use their fallback); ``on_progress``
    gets one line per observation while a kill is followed, for up to ``follow_timeout``
    seconds, polling every ``follow_interval``.
    """
    outcomes: list[Outcome] = []
    progress = progress_reporter(on_progress)
    for step in plan.steps:
        if cancel is not None and cancel.is_set():
            outcome = outcome_of(step, CANCELLED, "not run: cancelled by the operator")
        elif step.kyuubi is not None and step.action not in KYUUBI_ACTIONS:
            # A relaunch's session/submit steps: only relaunch.run_relaunch runs them.
            outcome = outcome_of(step, FAILED, f"not run: {step.action} is not a kill step")
        elif step.kyuubi is not None:
            run = _Kill(kube, kyuubi, step, cancel, progress, follow_timeout, follow_interval)
            outcome = run.run(dry_run_only=dry_run_only)
        else:
            outcome = run_step(kube, step, dry_run_only=dry_run_only)
            if step.follow is not None and not dry_run_only and outcome.status in _ACCEPTED:
                run = _Kill(kube, kyuubi, step, cancel, progress, follow_timeout, follow_interval)
                outcome = run.finish([f"driver pod {outcome.detail}"], killed=True)
        outcomes.append(outcome)
        if on_outcome is not None:
            on_outcome(outcome)
    return outcomes


def progress_reporter(on_progress: Progress | None) -> Progress:
    """``on_progress`` fed one inert line, without URL credentials (a no-op when None)."""

    def report(line: str) -> None:
        if on_progress is not None:
            on_progress(without_userinfo(single_line(inert(line))))

    return report


def _quote(text: str) -> str:
    return f"'{single_line(text).strip()}'"


class _Kill:
    """One kill step: the Kyuubi call, the fallback driver delete when needed, following."""

    def __init__(
        self,
        kube: KubeClient,
        kyuubi: KyuubiClient | None,
        step: Step,
        cancel: threading.Event | None,
        progress: Progress,
        timeout: float,
        interval: float,
    ) -> None:
        self.kube = kube
        self.kyuubi = kyuubi
        self.step = step
        self.cancel = cancel
        self.progress = progress
        self.timeout = timeout
        self.interval = interval

    def run(self, *, dry_run_only: bool) -> Outcome:
        step, fallback = self.step, self.step.fallback
        refused = self._read_only()
        if refused:
            return outcome_of(step, FAILED, refused)
        dry = None
        if fallback is not None:
            dry = self._send(fallback, dry_run=True)
            self.progress(f"fallback dry run ({fallback.target.name}): {dry[1]}")
        if dry_run_only:
            return self._preview(dry)
        kyuubi_words, kyuubi_ok, kyuubi_killed = self._call_kyuubi()
        parts = [kyuubi_words]
        use_fallback = not kyuubi_ok
        if kyuubi_ok and fallback is not None and self._driver_runs(fallback):
            use_fallback = True
            parts.append("Kyuubi answered but the driver still runs")
        if not use_fallback:
            return self.finish(parts, killed=kyuubi_killed)
        if fallback is None:
            return outcome_of(step, FAILED, "; ".join([*parts, "no driver pod to delete instead"]))
        assert dry is not None
        if dry[0] != DRY_RUN_OK:
            parts.append(f"fallback driver pod delete not sent: {dry[1]}")
            return outcome_of(step, dry[0], "; ".join(parts))
        self.progress(f"deleting driver pod {fallback.target.name} instead (uid precondition)")
        status, detail = self._send(fallback, dry_run=False)
        parts.append(f"fallback: driver pod {detail}")
        if status not in _ACCEPTED:
            return outcome_of(step, status, "; ".join(parts))
        return self.finish(parts, killed=True)

    def _read_only(self) -> str | None:
        if self.kube.read_only or (self.kyuubi is not None and self.kyuubi.read_only):
            return f"read-only: refusing {self._call_text()} (started with --read-only)"
        return None

    def _send(self, step: Step, *, dry_run: bool) -> tuple[str, str]:
        try:
            return _send(self.kube, step, dry_run=dry_run)
        except KubeError as exc:
            return FAILED, str(exc)

    def _preview(self, dry: tuple[str, str] | None) -> Outcome:
        words = f"Kyuubi has no dry run: {self._call_text()} not sent"
        if dry is None:
            return outcome_of(self.step, DRY_RUN_OK, words)
        return outcome_of(self.step, dry[0], f"{words}; fallback driver pod delete: {dry[1]}")

    def _call_text(self) -> str:
        return self.step.api_call(self.kyuubi.config.url if self.kyuubi is not None else None)

    def _call_kyuubi(self) -> tuple[str, bool, bool]:
        """(Kyuubi's answer in words, whether Kyuubi answered, whether it says it killed)."""
        call = self.step.kyuubi
        assert call is not None
        if self.kyuubi is None:
            self.progress("Kyuubi not connected: deleting the driver pod instead")
            return "Kyuubi not connected", False, False
        self.progress(self._call_text())
        try:
            answer = self.kyuubi.send(call.method, call.path, query=dict(call.query))
            body = self.kyuubi.checked(call.method, call.path, answer)
        except KyuubiError as exc:
            self.progress(f"Kyuubi failed: {exc}")
            return f"Kyuubi failed: {exc}", False, False
        if self.step.action == KYUUBI_KILL_BATCH:
            success = isinstance(body, dict) and body.get("success") is True
            msg = body.get("msg") if isinstance(body, dict) else body
            words = f"Kyuubi: success={str(success).lower()} {_quote(str(msg or ''))}"
        else:
            text = body if isinstance(body, str) else str(body)
            success = bool(text.strip())
            words = f"Kyuubi: {_quote(text)}" if success else "Kyuubi: no engine registered"
        self.progress(words)
        return words, True, success

    def _driver_runs(self, fallback: Step) -> bool:
        """Whether the driver the plan saw is still there, unmarked and not ended."""
        target = fallback.target
        path = f"/api/v1/namespaces/{target.namespace}/pods/{target.name}"
        try:
            pod, _ = decode_json_item(self.kube.get(path), Pod)
        except KubeError:
            return False  # gone (404), or unknown: following will show it
        return (
            pod is not None
            and pod.metadata.uid == target.uid
            and pod.metadata.deletion_timestamp is None
            and pod.status.phase not in ("Succeeded", "Failed")
        )

    def finish(self, parts: list[str], *, killed: bool) -> Outcome:
        """Follow the pods, then the outcome: what was asked and where the pods ended."""
        follow = self.step.follow
        if follow is None:
            return outcome_of(self.step, KILLED if killed else ALREADY_ENDED, "; ".join(parts))
        result = follow_pods(
            self.kube,
            follow,
            timeout=self.timeout,
            interval=self.interval,
            cancel=self.cancel,
            on_progress=self.progress,
        )
        return outcome_of(self.step, *_ending(result, parts, killed=killed))


def _ending(result: FollowResult, parts: list[str], *, killed: bool) -> tuple[str, str]:
    summary = result.summary()
    if result.done:
        if result.already or not killed:
            return ALREADY_ENDED, "; ".join([*parts, f"pods {summary}"])
        return KILLED, "; ".join([*parts, f"killed: {summary}"])
    running = result.still_running
    if result.stopped == "timeout" and running:
        parts = [*parts, f"not killed: {', '.join(running)} still running", summary]
        return FAILED, "; ".join(parts)
    return TERMINATING, "; ".join([*parts, summary])
