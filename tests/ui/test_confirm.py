"""What the confirmation screens say about a plan (pure builders, no app needed)."""

from __future__ import annotations

from kubetui.actions.plans import (
    DELETE,
    FORCE_DELETE,
    KYUUBI_KILL_BATCH,
    Follow,
    KyuubiCall,
    Plan,
    Step,
    Target,
)
from kubetui.config import CleanupPreset
from kubetui.model.cleanup_policy import CleanupPolicy, parse_exit_codes
from kubetui.model.descheduler_yaml import render_policy, render_policy_union
from kubetui.ui.cleanup_screen import export_file_name
from kubetui.ui.confirm import force_lines, plan_lines, plan_summary

HOSTILE = "[red]x[/]"
DRIVER = Target(namespace="etl", name="job-driver", uid="u-1")


def text(lines) -> str:
    return "\n".join(line.plain for line in lines)


def test_each_step_shows_object_call_reason_finalizers_and_dependents() -> None:
    step = Step(
        action=DELETE,
        target=DRIVER,
        reason="chosen by the operator",
        finalizers=("acme.io/keep",),
        dependents=("job-exec-1", "job-exec-2"),
    )
    plan = Plan(title="Delete pod etl/job-driver", steps=(step,), warnings=("careful",))
    shown = text(plan_lines(plan))
    assert "! careful" in shown
    assert "1. delete  Pod etl/job-driver" in shown
    assert "uid        u-1" in shown
    assert f"call       {step.api_call()}" in shown
    assert "why        chosen by the operator" in shown
    assert "finalizers acme.io/keep (hold it until removed)" in shown
    assert "executors follow by owner GC: job-exec-1, job-exec-2" in shown
    assert plan_summary(plan).startswith("1 object, 1 API call (each dry-run")


def test_kyuubi_step_shows_its_call_fallback_and_follow() -> None:
    fallback = Step(action=DELETE, target=DRIVER, reason="kill the driver")
    step = Step(
        action=KYUUBI_KILL_BATCH,
        target=DRIVER,
        reason="Kyuubi kills batch b-1",
        kyuubi=KyuubiCall(method="DELETE", path="/batches/b-1"),
        fallback=fallback,
        fallback_when="if Kyuubi is unreachable",
        follow=Follow(namespace="etl", label_selector="spark-app-selector=spark-1", pods=()),
    )
    plan = Plan(title="Kill", steps=(step, step))
    shown = text(plan_lines(plan, "http://kyuubi:10099"))
    assert "call       DELETE http://kyuubi:10099/api/v1/batches/b-1" in shown
    assert f"else       {fallback.api_call()}" in shown
    assert "when       if Kyuubi is unreachable" in shown
    assert "then       follow pods spark-app-selector=spark-1 until gone" in shown
    assert plan_summary(plan).startswith("2 objects, 2 API calls (Kyuubi has no dry run")


def test_force_screen_names_each_force_delete_and_its_finalizers() -> None:
    force = Step(
        action=FORCE_DELETE,
        target=Target(namespace="etl", name="stuck", uid="u-2", resource_version="7"),
        reason="stuck_terminating",
        grace_seconds=0,
        finalizers=("acme.io/archive",),
        check_resource_version=True,
    )
    plain = Step(action=DELETE, target=DRIVER, reason="zombie")
    plan = Plan(title="Clean up", steps=(plain, force), warnings=("etl/stuck: may still run",))
    assert plan.needs_second_confirmation
    shown = text(force_lines(plan))
    assert "containers may keep running" in shown
    assert "force delete etl/stuck" in shown and "force delete etl/job-driver" not in shown
    assert "finalizers acme.io/archive" in shown and "! etl/stuck: may still run" in shown


def test_cluster_text_is_never_markup() -> None:
    step = Step(
        action=DELETE,
        target=Target(namespace=HOSTILE, name=f"{HOSTILE}-pod", uid="u"),
        reason=f"because {HOSTILE}",
        finalizers=("[/foo]",),
    )
    lines = plan_lines(Plan(title=HOSTILE, steps=(step,), warnings=("[/bar]",)))
    shown = text(lines)
    assert f"Pod {HOSTILE}/{HOSTILE}-pod" in shown
    assert f"because {HOSTILE}" in shown and "[/foo]" in shown and "! [/bar]" in shown


def test_single_policy_preset_exports_as_render_policy_does() -> None:
    policy = CleanupPolicy(exit_codes=parse_exit_codes("129-255"), include_bare_pods=True)
    preset = CleanupPreset(name="killed by signal", policies=(policy,))
    rendered = render_policy_union(preset.name, preset.policies)
    assert rendered.text.endswith(render_policy(policy).text.split("\napiVersion", 1)[1])
    assert export_file_name(preset) == "descheduler-policy-killed-by-signal.yaml"


def test_union_export_prefixes_each_note_with_its_profile() -> None:
    preset = CleanupPreset(
        name="odd\nname",
        policies=(
            CleanupPolicy(reasons=("Evicted",)),
            CleanupPolicy(reasons=("OOMKilled",), label_selector="tier>2"),
        ),
    )
    rendered = render_policy_union(preset.name, preset.policies)
    assert rendered.text.startswith("# kubetui cleanup preset 'odd name': ")
    (note,) = rendered.notes
    assert note.startswith("profile kubetui-remove-failed-pods-2: label requirement")
    assert "NOT EQUIVALENT" in rendered.text
    assert export_file_name(preset) == "descheduler-policy-odd-name.yaml"
