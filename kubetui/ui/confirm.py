"""Confirmation before any write: the whole plan, then (for force deletes) a typed "force".

The operator sees every object a plan touches (kind, namespace, name, uid), the exact API
call, why it was selected, what goes with it by owner garbage collection and which
finalizers will hold it, and the plan's warnings; nothing outside the plan is ever run
(``kubetui.actions.execute`` runs exactly ``plan.steps``). Plans with force deletes need a
second, deliberate act: typing ``force`` on a screen that explains what grace 0 means.

Everything shown comes from the cluster, so every line is a ``Content`` built from plain
strings (never parsed as markup).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import ClassVar

from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from kubetui.actions.plans import FORCE_DELETE, Plan, Step
from kubetui.actions.relaunch import REDACTED, RelaunchPlan, shown_request

#: What the operator must type on the second screen.
FORCE_WORD = "force"

_LABEL = "bold $text-muted"
_WARN = "$sev-warning"


def _field(label: str, value: str, style: str = "") -> Content:
    return Content.assemble((f"     {label:<11}", _LABEL), (value, style))


def step_lines(number: int, step: Step, kyuubi_url: str | None = None) -> list[Content]:
    """One step: what is done to which object, the call (and a Kyuubi call's fallback),
    why, and what goes with it."""
    target = step.target
    where = f"{target.namespace}/{target.name}" if target.namespace else target.name
    style = "bold $sev-critical" if step.action == FORCE_DELETE else "bold"
    lines = [
        Content.assemble(
            f"{number:>3}. ",
            (step.action, style),
            f"  {target.kind} ",
            (where, "bold"),
        ),
        _field("uid", target.uid or "?"),
        _field("call", step.api_call(kyuubi_url)),
    ]
    if step.fallback is not None:
        lines.append(_field("else", step.fallback.api_call()))
        if step.fallback_when:
            lines.append(_field("when", step.fallback_when))
    lines.append(_field("why", step.reason))
    if step.finalizers:
        held = ", ".join(step.finalizers) + " (hold it until removed)"
        lines.append(_field("finalizers", held, _WARN))
    if step.follow is not None:
        lines.append(_field("then", f"follow pods {step.follow.label_selector} until gone"))
    dependents = step.dependents
    if dependents:
        lines.append(_field("with it", f"executors follow by owner GC: {', '.join(dependents)}"))
    return lines


def plan_summary(plan: Plan) -> str:
    count = len(plan.steps)
    calls = "1 API call" if count == 1 else f"{count} API calls"
    objects = "1 object" if count == 1 else f"{count} objects"
    if any(step.is_kyuubi for step in plan.steps):
        return f"{objects}, {calls} (Kyuubi has no dry run; pod calls are dry-run first)"
    return f"{objects}, {calls} (each dry-run on the server first, then for real)"


def plan_lines(plan: Plan, kyuubi_url: str | None = None) -> list[Content]:
    """The whole plan as the confirmation screen shows it (pure: tests read it too)."""
    lines: list[Content] = [Content.styled(warning, _WARN) for warning in _warnings(plan)]
    if lines:
        lines.append(Content(""))
    for number, step in enumerate(plan.steps, 1):
        lines += step_lines(number, step, kyuubi_url)
    if isinstance(plan, RelaunchPlan) and plan.batch_request is not None:
        request = json.dumps(shown_request(plan.batch_request), indent=2, sort_keys=True)
        title = f"The batch request POST /batches sends (secrets shown as {REDACTED}):"
        lines += [Content(""), Content.styled(title, "bold")]
        lines += [Content("  " + line) for line in request.splitlines()]
    return lines


def _warnings(plan: Plan) -> list[str]:
    return [f"! {warning}" for warning in plan.warnings]


class ConfirmScreen(ModalScreen[bool]):
    """The plan, scrollable; ``y`` (or Confirm) runs it, ``n`` / esc (or Cancel) does not."""

    BINDINGS: ClassVar = [
        Binding("y", "answer(True)", "Confirm", id="confirm-yes"),
        Binding("n,escape", "answer(False)", "Cancel", id="confirm-no"),
    ]

    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    ConfirmScreen > Vertical {
        width: 95%; max-width: 160; height: auto; max-height: 100%;
        border: round $warning; background: $surface; padding: 0 1;
    }
    ConfirmScreen #confirm-body { height: auto; max-height: 70vh; }
    ConfirmScreen #confirm-buttons { height: 1; margin-top: 1; align-horizontal: right; }
    ConfirmScreen Button { margin-left: 2; }
    """

    def __init__(self, plan: Plan, kyuubi_url: str | None = None) -> None:
        super().__init__()
        self.plan = plan
        self.kyuubi_url = kyuubi_url

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Content.styled(self.plan.title, "bold"), id="confirm-title")
            yield Static(Content.styled(plan_summary(self.plan), "$text-muted"), id="confirm-count")
            with VerticalScroll(id="confirm-body"):
                yield Static(
                    Content("\n").join(plan_lines(self.plan, self.kyuubi_url)), id="confirm-plan"
                )
            with Horizontal(id="confirm-buttons"):
                yield Button("Confirm (y)", variant="error", id="confirm", compact=True)
                yield Button("Cancel (n)", id="cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#confirm-body").focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "confirm")

    def action_answer(self, confirmed: bool) -> None:
        self.dismiss(confirmed)


def force_lines(plan: Plan) -> list[Content]:
    """The risk of each force delete in the plan, and the finalizers holding each pod."""
    lines = [
        Content(
            "A force delete (gracePeriodSeconds=0) removes the pod's API object at once, "
            "without waiting for the kubelet to confirm that its containers stopped. If the "
            "node is still alive, the containers may keep running there (holding memory, "
            "writing files, talking to other services) until the kubelet notices; a "
            "controller may meanwhile start a replacement, so two copies can run at once."
        ),
        Content(
            "Finalizers are not removed: a pod holding finalizers stays (marked for "
            "deletion) until the controller that owns each finalizer removes it."
        ),
        Content(""),
    ]
    for step in plan.steps:
        if step.action != FORCE_DELETE:
            continue
        target = step.target
        lines.append(
            Content.assemble(
                ("force delete ", "bold $sev-critical"),
                (f"{target.namespace}/{target.name}", "bold"),
            )
        )
        finalizers = ", ".join(step.finalizers) or "none"
        lines.append(_field("finalizers", finalizers, _WARN if step.finalizers else ""))
    if plan.warnings:
        lines.append(Content(""))
        lines += [Content.styled(warning, _WARN) for warning in _warnings(plan)]
    return lines


class ForceConfirmScreen(ModalScreen[bool]):
    """The second confirmation of force deletes: type ``force`` and press enter."""

    BINDINGS: ClassVar = [Binding("escape", "answer(False)", "Cancel", id="force-cancel")]

    DEFAULT_CSS = """
    ForceConfirmScreen { align: center middle; }
    ForceConfirmScreen > Vertical {
        width: 95%; max-width: 160; height: auto; max-height: 100%;
        border: thick $error; background: $surface; padding: 0 1;
    }
    ForceConfirmScreen #force-body { height: auto; max-height: 55vh; }
    ForceConfirmScreen #force-input { margin-top: 1; }
    ForceConfirmScreen #force-buttons { height: 1; margin-top: 1; align-horizontal: right; }
    ForceConfirmScreen Button { margin-left: 2; }
    """

    def __init__(self, plan: Plan) -> None:
        super().__init__()
        self.plan = plan

    def compose(self) -> ComposeResult:
        count = sum(1 for s in self.plan.steps if s.action == FORCE_DELETE)
        title = f"Force delete {count} pod(s)? Read this first."
        with Vertical():
            yield Static(Content.styled(title, "bold $sev-critical"), id="force-title")
            with VerticalScroll(id="force-body"):
                yield Static(Content("\n").join(force_lines(self.plan)), id="force-risk")
            yield Input(
                placeholder=f"type {FORCE_WORD} and press enter (esc cancels)",
                id="force-input",
                compact=True,
            )
            with Horizontal(id="force-buttons"):
                yield Button(
                    "Force delete", variant="error", id="confirm", compact=True, disabled=True
                )
                yield Button("Cancel (esc)", id="cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#force-input").focus()

    @property
    def typed(self) -> bool:
        return self.query_one("#force-input", Input).value.strip().lower() == FORCE_WORD

    @on(Input.Changed, "#force-input")
    def _changed(self) -> None:
        self.query_one("#confirm", Button).disabled = not self.typed

    @on(Input.Submitted, "#force-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.typed:
            self.dismiss(True)
        else:
            self.notify(f"type {FORCE_WORD} to confirm, or esc to cancel", severity="warning")

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "confirm" and self.typed)

    def action_answer(self, confirmed: bool) -> None:
        self.dismiss(confirmed)


def confirm_plan(
    app: App, plan: Plan, on_confirmed: Callable[[], object], *, kyuubi_url: str | None = None
) -> None:
    """Show ``plan``; call ``on_confirmed`` only after every confirmation it needs."""

    def second(confirmed: bool | None) -> None:
        if confirmed:
            on_confirmed()

    def first(confirmed: bool | None) -> None:
        if not confirmed:
            return
        if plan.needs_second_confirmation:
            app.push_screen(ForceConfirmScreen(plan), second)
        else:
            on_confirmed()

    app.push_screen(ConfirmScreen(plan, kyuubi_url), first)
