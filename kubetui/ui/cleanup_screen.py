"""The cleanup screen (``c``): choose what to clean, preview it, confirm, or export it.

Choices: the pods of the zombie-engine, stuck-Terminating and orphaned findings (the
planners ``kubetui cleanup`` uses), and each failed-pod preset of the settings (a union of
descheduler RemoveFailedPods policies). The preview is the plan itself, built from the
pods on screen (the namespace picked with ``n`` applies), so what is confirmed is what
was previewed. A plan larger than ``max_bulk`` is refused with the reason. ``e`` writes
the highlighted preset as a descheduler ``v1alpha2`` DeschedulerPolicy file and shows
where, and what the file cannot express.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar, NamedTuple

import msgspec
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from kubetui.actions.plans import FORCE_DELETE, Plan, plan_failed_pods, plan_finding_cleanup
from kubetui.config import CleanupPreset
from kubetui.model.cleanup_policy import select_by_any
from kubetui.model.descheduler_yaml import render_policy_union
from kubetui.ui.action_runner import app_settings, run_plan
from kubetui.ui.data import DashboardData


class Choice(NamedTuple):
    """One line of the choice list: finding kinds, or a failed-pod preset."""

    label: str
    kinds: tuple[str, ...] = ()
    preset: CleanupPreset | None = None


FINDING_CHOICES = (
    Choice("zombie engine pods", kinds=("zombie_engine_pod",)),
    Choice("stuck Terminating (force)", kinds=("stuck_terminating",)),
    Choice("orphaned (force)", kinds=("orphaned",)),
)


def choices(presets: Sequence[CleanupPreset]) -> list[Choice]:
    return [*FINDING_CHOICES, *(Choice(f"failed: {p.name}", preset=p) for p in presets)]


def cleanup_plan(choice: Choice, data: DashboardData) -> Plan:
    """The plan for ``choice`` over the pods in the dashboard's namespace scope."""
    pods = [p for p in data.store.pods.values() if data.in_scope(p.metadata.namespace)]
    if choice.preset is not None:
        plan = plan_failed_pods(select_by_any(pods, choice.preset.policies, data.now()), pods)
    else:
        findings = [
            f
            for f in (data.analysis.findings if data.analysis is not None else ())
            if f.kind in choice.kinds and data.in_scope(f.namespace)
        ]
        plan = plan_finding_cleanup(findings, pods, choice.kinds)
    scope = f" in {data.namespace}" if data.namespace is not None else ""
    title = f"Clean up {len(plan.steps)} pod(s): {choice.label}{scope}"
    return msgspec.structs.replace(plan, title=title)


# ---------------------------------------------------------------------- export


def export_file_name(preset: CleanupPreset) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", preset.name.lower()).strip("-") or "preset"
    return f"descheduler-policy-{slug}.yaml"


# ---------------------------------------------------------------------- the screen


def preview_lines(plan: Plan, max_bulk: int) -> list[Content]:
    """The count against the cap, then one line per pod: action, pod, why."""
    count = len(plan.steps)
    if count > max_bulk:
        head = Content.styled(
            f"{count} pods selected: over the cap of {max_bulk} (max_bulk), so this cannot "
            "run. Narrow it (n picks a namespace) or raise max_bulk in the config.",
            "bold $sev-critical",
        )
    else:
        head = Content.styled(
            f"{count} pod(s) selected (cap {max_bulk}). enter: review the plan and confirm",
            "bold",
        )
    lines = [head, Content("")]
    for step in plan.steps:
        target = step.target
        style = "$sev-critical" if step.action == FORCE_DELETE else ""
        lines.append(
            Content.assemble(
                (f"{step.action:<13}", style), (f"{target.namespace}/{target.name}", "bold")
            )
        )
        lines.append(Content.styled(f"    {step.reason}", "$text-muted"))
    if plan.warnings:
        lines.append(Content(""))
        lines += [Content.styled(f"! {w}", "$sev-warning") for w in plan.warnings]
    return lines


class CleanupScreen(Screen):
    BINDINGS: ClassVar = [
        Binding("escape", "app.pop_screen", "Back", id="cleanup-back"),
        Binding("e", "export", "Export policy", id="cleanup-export"),
    ]

    DEFAULT_CSS = """
    CleanupScreen #cleanup-title { height: 1; background: $panel; padding: 0 1; }
    CleanupScreen #cleanup-choices { width: 28; height: 1fr; border: none; }
    CleanupScreen #cleanup-preview-box { width: 1fr; height: 1fr; padding: 0 1; }
    CleanupScreen #cleanup-export-notes { height: auto; max-height: 8; padding: 0 1; }
    """

    def __init__(self, data: DashboardData, *, export_dir: Path | None = None) -> None:
        super().__init__()
        self.data = data
        #: Where ``e`` writes (the working directory by default, where kubectl runs).
        self.export_dir = export_dir
        self.choices: list[Choice] = []
        self.plan: Plan | None = None

    def compose(self) -> ComposeResult:
        settings = app_settings(self.app)
        self.choices = choices(settings.cleanup_presets)
        yield Static(
            Content.styled("Clean up: choose (↑↓), enter confirms, e exports a preset", "bold"),
            id="cleanup-title",
        )
        with Horizontal():
            yield OptionList(
                *(Option(Content(c.label)) for c in self.choices), id="cleanup-choices"
            )
            with Vertical(id="cleanup-preview-box"), VerticalScroll():
                yield Static(Content(""), id="cleanup-preview")
        yield Static(Content(""), id="cleanup-export-notes")
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.highlighted = 0
        options.focus()
        self.show_preview(0)

    @property
    def max_bulk(self) -> int:
        return app_settings(self.app).max_bulk

    @property
    def choice(self) -> Choice:
        return self.choices[self.query_one(OptionList).highlighted or 0]

    def show_preview(self, index: int) -> None:
        choice = self.choices[index]
        self.plan = cleanup_plan(choice, self.data)
        lines = preview_lines(self.plan, self.max_bulk)
        if choice.kinds and self.data.analysis is None:
            lines = [Content("Analysing… (findings are not computed yet)")]
        self.query_one("#cleanup-preview", Static).update(Content("\n").join(lines))

    @on(OptionList.OptionHighlighted, "#cleanup-choices")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self.show_preview(event.option_index)

    @on(OptionList.OptionSelected, "#cleanup-choices")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        plan = self.plan
        if plan is None:
            return
        if len(plan.steps) > self.max_bulk:
            self.notify(
                f"{len(plan.steps)} pods selected, over max_bulk {self.max_bulk}: nothing "
                "is deleted; narrow the selection or raise max_bulk",
                severity="error",
                markup=False,
            )
            return
        run_plan(self.app, plan, "cleanup")

    def action_export(self) -> None:
        preset = self.choice.preset
        if preset is None:
            self.notify(
                "only failed-pod presets can be exported as a descheduler policy",
                severity="warning",
                markup=False,
            )
            return
        policy = render_policy_union(preset.name, preset.policies)
        path = (self.export_dir or Path.cwd()) / export_file_name(preset)
        try:
            path.write_text(policy.text)
        except OSError as exc:
            self.notify(
                f"cannot write {path}: {exc.strerror or exc}", severity="error", markup=False
            )
            return
        lines = [Content.styled(f"wrote {path}", "bold")]
        lines += [
            Content.styled(f"not equivalent: {note}", "$sev-warning") for note in policy.notes
        ]
        if not policy.notes:
            lines.append(Content("the file selects the same pods (see its header comments)"))
        self.query_one("#cleanup-export-notes", Static).update(Content("\n").join(lines))
        self.notify(f"descheduler policy written to {path}", markup=False)
