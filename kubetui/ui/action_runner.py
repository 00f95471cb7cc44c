"""Run a confirmed plan off the UI thread and show each object's outcome as it arrives.

``run_plan`` opens :class:`ActionRunScreen`, whose thread worker calls
``kubetui.actions.execute.execute`` (a server-side dry run of each step before the real
call is inside it) and posts every outcome and follow-up line back as messages; the
screen never blocks. Esc cancels midway: the worker stops before the next step and every
step already done stays listed. The audit record is written in the worker when the run
ends (cancelled runs too: they did something), then the app is notified.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import ClassVar

import msgspec
from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Static

from kubetui.actions.audit import record_action
from kubetui.actions.execute import CANCELLED, Outcome, execute
from kubetui.actions.kill import engine_of_pod, plan_kill
from kubetui.actions.plans import Plan, PlanRefused, plan_delete_pod, plan_finding_cleanup
from kubetui.actions.relaunch import RelaunchPlan, plan_relaunch, run_relaunch
from kubetui.config import Settings
from kubetui.model.engines import Engine
from kubetui.model.records import Pod
from kubetui.sources.kube_client import KubeClient
from kubetui.sources.kyuubi import SOURCE as KYUUBI_SOURCE
from kubetui.sources.kyuubi import KyuubiClient
from kubetui.ui.confirm import confirm_plan
from kubetui.ui.data import DashboardData
from kubetui.ui.keymap import WRITE_ACTIONS
from kubetui.ui.rows import qualified

log = logging.getLogger(__name__)

_STATUS_STYLE = {True: "$sev-ok", False: "$sev-critical"}


def app_settings(app: App) -> Settings:
    """The settings of the running ``KubetuiApp`` (typed here: app.py imports this module)."""
    settings: Settings = app.settings  # type: ignore[attr-defined]
    return settings


def kyuubi_of(app: App) -> KyuubiClient | None:
    return getattr(app, "kyuubi", None)


def is_read_only(app: App) -> bool:
    """Read-only by settings, or because the client was made read-only."""
    kube: KubeClient | None = getattr(app, "kube", None)
    return app_settings(app).read_only or (kube is not None and kube.read_only)


def outcome_line(outcome: Outcome) -> Content:
    style = "$text-muted" if outcome.status == CANCELLED else _STATUS_STYLE[outcome.ok]
    return Content.assemble(
        (f"{outcome.status:<19}", style),
        (f"{outcome.namespace}/{outcome.name}", "bold"),
        f"  {outcome.detail}",
    )


def summary(outcomes: Sequence[Outcome]) -> str:
    """``2 deleted, 1 conflict`` in first-seen order."""
    counts: dict[str, int] = {}
    for outcome in outcomes:
        counts[outcome.status] = counts.get(outcome.status, 0) + 1
    return ", ".join(f"{n} {status}" for status, n in counts.items()) or "nothing run"


class ActionRunScreen(ModalScreen[list[Outcome]]):
    """Live results of one plan; dismissed with the outcomes once it has finished."""

    BINDINGS: ClassVar = [
        Binding("escape", "stop", "Cancel / close", id="action-stop"),
        Binding("enter,q", "close", "Close", show=False, id="action-close"),
    ]

    DEFAULT_CSS = """
    ActionRunScreen { align: center middle; }
    ActionRunScreen > Vertical {
        width: 95%; max-width: 160; height: auto; max-height: 100%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    ActionRunScreen #run-body { height: auto; max-height: 75vh; }
    """

    class OutcomeReported(Message):
        def __init__(self, outcome: Outcome) -> None:
            super().__init__()
            self.outcome = outcome

    class ProgressReported(Message):
        def __init__(self, line: str) -> None:
            super().__init__()
            self.line = line

    class RunFinished(Message):
        def __init__(self, outcomes: list[Outcome], audit: Path | None, error: str) -> None:
            super().__init__()
            self.outcomes = outcomes
            self.audit = audit
            self.error = error

    def __init__(
        self, kube: KubeClient, plan: Plan, verb: str, kyuubi: KyuubiClient | None = None
    ) -> None:
        super().__init__()
        self.kube = kube
        self.kyuubi = kyuubi
        self.plan = plan
        self.verb = verb
        self.cancel = threading.Event()
        self.lines: list[Content] = []
        self.outcomes: list[Outcome] = []
        self.finished = False

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Content.styled(self.plan.title, "bold"), id="run-title")
            yield Static(Content(""), id="run-status")
            with VerticalScroll(id="run-body"):
                yield Static(Content(""), id="run-lines")

    def on_mount(self) -> None:
        self._show_status()
        self._run()

    # ------------------------------------------------------------------ worker

    @work(thread=True, group="action-run", exit_on_error=False, description="plan")
    def _run(self) -> None:
        outcomes: list[Outcome] = []
        error = ""
        audit: Path | None = None

        def reported(outcome: Outcome) -> None:
            outcomes.append(outcome)
            self.post_message(self.OutcomeReported(outcome))

        def progress(line: str) -> None:
            self.post_message(self.ProgressReported(line))

        try:
            if isinstance(self.plan, RelaunchPlan):
                # Planned only with Kyuubi available, so the client is there.
                assert self.kyuubi is not None
                done = run_relaunch(
                    self.kube, self.kyuubi, self.plan, on_progress=progress, cancel=self.cancel
                )
                for outcome in done:  # a relaunch reports its steps when it ends
                    reported(outcome)
            else:
                execute(
                    self.kube,
                    self.plan,
                    cancel=self.cancel,
                    on_outcome=reported,
                    kyuubi=self.kyuubi,
                    on_progress=progress,
                )
        except Exception as exc:  # the run must end in a result screen, whatever broke
            error = f"the run stopped: {type(exc).__name__}: {exc}"
            log.exception("%s: %s", self.plan.title, error)
        try:
            audit = record_action(self.kube, self.verb, self.plan, outcomes, kyuubi=self.kyuubi)
        except OSError as exc:
            error = (error + "; " if error else "") + f"audit log not written: {exc}"
        self.post_message(self.RunFinished(outcomes, audit, error))

    # ------------------------------------------------------------------ messages

    @on(OutcomeReported)
    def _outcome(self, message: OutcomeReported) -> None:
        self.outcomes.append(message.outcome)
        self._add(outcome_line(message.outcome))

    @on(ProgressReported)
    def _progress(self, message: ProgressReported) -> None:
        self._add(Content.styled(f"  … {message.line}", "$text-muted"))

    @on(RunFinished)
    def _finished(self, message: RunFinished) -> None:
        self.finished = True
        self.outcomes = message.outcomes
        text = f"{self.plan.title}: {summary(self.outcomes)}"
        if message.error:
            self._add(Content.styled(message.error, "$sev-critical"))
        if message.audit is not None:
            self._add(Content.styled(f"audit record appended to {message.audit}", "$text-muted"))
        self._show_status()
        failed = message.error or not all(o.ok for o in self.outcomes)
        self.app.notify(text, severity="warning" if failed else "information", markup=False)

    def _add(self, line: Content) -> None:
        self.lines.append(line)
        self.query_one("#run-lines", Static).update(Content("\n").join(self.lines))
        self._show_status()
        self.query_one("#run-body", VerticalScroll).scroll_end(animate=False)

    def _show_status(self) -> None:
        total = len(self.plan.steps)
        done = len(self.outcomes)
        if self.finished:
            text = f"done: {summary(self.outcomes)}. enter/esc closes"
        elif self.cancel.is_set():
            text = f"{done}/{total}: cancelling after the current step…"
        else:
            text = f"{done}/{total} done. esc cancels the steps not yet started"
        self.query_one("#run-status", Static).update(Content.styled(text, "$text-muted"))

    # ------------------------------------------------------------------ keys

    def action_stop(self) -> None:
        if self.finished:
            self.dismiss(self.outcomes)
        else:
            self.cancel.set()
            self._show_status()

    def action_close(self) -> None:
        if self.finished:
            self.dismiss(self.outcomes)


def refused_read_only(app: App) -> bool:
    """True (and says so) when the app may not write."""
    if is_read_only(app):
        app.notify("read-only: no write is sent", severity="warning", markup=False)
        return True
    return False


def run_plan(app: App, plan: Plan, verb: str) -> None:
    """Confirm ``plan`` and run it, unless read-only, without a cluster, or empty."""
    kube: KubeClient | None = getattr(app, "kube", None)
    if refused_read_only(app):
        return
    if kube is None:
        app.notify("no cluster connection: nothing can be changed", severity="error", markup=False)
    elif not plan.steps:
        app.notify(f"{plan.title}: nothing to do", markup=False)
    else:
        kyuubi = kyuubi_of(app)
        confirm_plan(
            app,
            plan,
            lambda: app.push_screen(ActionRunScreen(kube, plan, verb, kyuubi)),
            kyuubi_url=kyuubi.config.url if kyuubi is not None else None,
        )


# ---------------------------------------------------------------------- the write keys


#: Findings that make a pod safe to force-delete: past its deadline, or its node is gone.
FORCE_KINDS = ("stuck_terminating", "orphaned")


class WriteActions:
    """The write keys of a screen with a selected pod or engine (mixed in before Screen).

    The screen binds ``POD_ACTION_BINDINGS``, sets ``data`` and implements ``selected``.
    Read-only hides the keys (``check_action`` False) and each action refuses anyway.
    """

    data: DashboardData
    app: App

    def selected(self) -> tuple[Pod | None, Engine | None]:
        """The pod and/or engine the write keys act on."""
        raise NotImplementedError

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in WRITE_ACTIONS and is_read_only(self.app):
            return False
        return super().check_action(action, parameters)  # type: ignore[misc]

    def _selected_pod(self) -> Pod | None:
        pod, engine = self.selected()
        if pod is None and engine is not None:
            pod = engine.driver
        if pod is None:
            self.app.notify("select a pod (or an engine with a driver) first", markup=False)
        return pod

    def _run(self, verb: str, make: Callable[[], Plan]) -> None:
        if refused_read_only(self.app):
            return
        try:
            plan = make()
        except PlanRefused as exc:
            self.app.notify(f"{verb}: {exc}", severity="warning", markup=False, timeout=8)
            return
        run_plan(self.app, plan, verb)

    def action_delete_pod(self) -> None:
        if (pod := self._selected_pod()) is not None:
            self._run("delete", lambda: plan_delete_pod(pod, self.data.store.pods.values()))

    def action_force_delete_pod(self) -> None:
        if (pod := self._selected_pod()) is not None:
            self._run("force-delete", lambda: self._force_plan(pod))

    def _force_plan(self, pod: Pod) -> Plan:
        uid = pod.metadata.uid or ""
        findings = [f for f in self.data.findings_by_uid.get(uid, ()) if f.kind in FORCE_KINDS]
        if not findings:
            raise PlanRefused(
                f"{qualified(pod.metadata.namespace, pod.metadata.name)} is neither stuck "
                "Terminating "
                "nor orphaned: delete it normally (ctrl+d); force delete is only for pods "
                "whose kubelet will not confirm the kill"
            )
        pods = list(self.data.store.pods.values())
        plan = plan_finding_cleanup(findings, pods, FORCE_KINDS)
        title = f"Force delete pod {qualified(pod.metadata.namespace, pod.metadata.name)}"
        return msgspec.structs.replace(plan, title=title)

    def action_restart(self) -> None:
        """A Kyuubi engine is relaunched, a controller's pod restarted (see
        ``plan_relaunch``). Planning may read the driver pod and its ConfigMap (to rebuild a
        batch request), so it runs in a thread worker."""
        pod = self._selected_pod()
        if pod is None or refused_read_only(self.app):
            return
        analysis = self.data.analysis
        kyuubi = kyuubi_of(self.app)
        make = partial(
            plan_relaunch,
            pod,
            engines=analysis.engines if analysis is not None else (),
            pods=list(self.data.store.pods.values()),
            kyuubi_data=self.data.store.kyuubi,
            kyuubi_available=self._kyuubi_available(),
            kyuubi_user=kyuubi.config.user if kyuubi is not None else None,
            kube=getattr(self.app, "kube", None),
            now=self.data.now(),
        )
        self.run_worker(  # type: ignore[attr-defined]
            partial(self._plan_off_thread, make),
            thread=True,
            group="plan",
            exit_on_error=False,
            description="relaunch plan",
        )

    def _plan_off_thread(self, make: Callable[[], Plan]) -> None:
        app = self.app
        try:
            plan = make()
        except PlanRefused as exc:
            app.call_from_thread(app.notify, f"restart: {exc}", severity="warning", markup=False)
        except Exception as exc:  # anything else must reach the operator too
            text = f"restart: no plan: {type(exc).__name__}: {exc}"
            log.exception(text)
            app.call_from_thread(app.notify, text, severity="error", markup=False)
        else:
            verb = "relaunch" if isinstance(plan, RelaunchPlan) else "restart"
            app.call_from_thread(run_plan, app, plan, verb)

    def _kyuubi_available(self) -> bool:
        """A Kyuubi client is configured and its last poll worked."""
        sync = self.data.store.sync.get(KYUUBI_SOURCE)
        return kyuubi_of(self.app) is not None and sync is not None and sync.phase == "live"

    def action_kill_engine(self) -> None:
        pod, engine = self.selected()
        analysis = self.data.analysis
        if engine is None and pod is not None and analysis is not None:
            engine = engine_of_pod(pod.metadata.uid or "", analysis.engines)
        if engine is None:
            what = "is not part of a Spark engine" if pod is not None else "is selected"
            self.app.notify(f"kill engine: no engine {what}", markup=False)
            return
        self._run("kill", lambda: self._kill_plan(engine))

    def _kill_plan(self, engine: Engine) -> Plan:
        """Through Kyuubi when it is configured and its last poll worked, else the driver."""
        kyuubi = kyuubi_of(self.app)
        return plan_kill(
            engine,
            list(self.data.store.pods.values()),
            self.data.store.kyuubi,
            kyuubi_available=self._kyuubi_available(),
            kyuubi_user=kyuubi.config.user if kyuubi is not None else None,
        )
