"""``kubetui cleanup``: preview, dry-run on the server, confirm, then delete, headless.

Selection: failed pods by a descheduler-style policy (the policy flags, or ``--preset``:
a named union of policies from the config), and/or the pods of the zombie,
stuck-Terminating and orphaned findings. The plan (``kubetui.actions.plans``) is shown in
full before anything runs; execution and the audit record are ``kubetui.actions``'.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
import threading
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import msgspec

from kubetui.actions.audit import record_action
from kubetui.actions.execute import FAILED, Outcome, execute
from kubetui.actions.plans import Plan, merge_plans, plan_failed_pods, plan_finding_cleanup
from kubetui.cli_args import EXIT_FOUND, EXIT_OK, UsageError, namespaces_of
from kubetui.cluster_input import check_sources, open_cluster
from kubetui.config import CleanupPreset, config_file, load_settings
from kubetui.headless.input import notice, read_dump, resolve_now, write_json
from kubetui.headless.text_report import WIDTH, fit
from kubetui.model.cleanup_policy import CleanupPolicy, parse_exit_codes, select_by_any
from kubetui.model.descheduler_yaml import PolicyYaml, render_policy, render_policy_union
from kubetui.model.durations import parse_duration_seconds
from kubetui.model.records import Node, Pod
from kubetui.model.selectors import SelectorError, parse_label_selector
from kubetui.model.triage import analyse
from kubetui.sources.kube_client import KubeClient
from kubetui.sources.snapshot import take_snapshot


class SelectedPod(msgspec.Struct, frozen=True):
    namespace: str
    name: str
    uid: str
    reason: str
    action: str
    api_call: str


class CleanupResult(msgspec.Struct, frozen=True):
    selected: list[SelectedPod]
    #: The failed-pod policy as a descheduler DeschedulerPolicy (empty when not used).
    policy_yaml: str
    #: What the descheduler policy cannot express (it would select differently).
    policy_notes: list[str]
    plan: Plan
    #: One per step: the server's dry-run answer, or the real outcome.
    outcomes: list[Outcome]
    dry_run: bool
    #: The config preset that selected the failed pods (``--preset``), if any.
    preset: str | None = None


def _csv(text: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (text or "").split(",") if part.strip())


def policy_from_args(args: argparse.Namespace) -> CleanupPolicy:
    """Build the policy from the command-line flags; any bad value is a ``UsageError``."""
    try:
        exit_codes = parse_exit_codes(args.exit_codes) if args.exit_codes else ()
        min_age = parse_duration_seconds(args.min_age) if args.min_age else None
        if args.selector:
            parse_label_selector(args.selector)
        return CleanupPolicy(
            reasons=_csv(args.reasons),
            exit_codes=exit_codes,
            include_init_containers=args.include_init_containers,
            min_pod_lifetime_seconds=None if min_age is None else int(min_age),
            exclude_owner_kinds=_csv(args.exclude_owner_kinds),
            namespaces_include=_csv(args.namespaces),
            namespaces_exclude=_csv(args.exclude_namespaces),
            label_selector=args.selector or None,
            include_bare_pods=not args.exclude_bare_pods,
        )
    except SelectorError as exc:
        raise UsageError(f"kubetui cleanup: --selector: {exc}") from None
    except ValueError as exc:
        raise UsageError(f"kubetui cleanup: {exc}") from None


#: The failed-pod policy flags (attribute, flag). A preset is a whole policy (a union of
#: them), so it takes none: which policy of the union would a --min-age narrow?
_POLICY_FLAGS = (
    ("reasons", "--reasons"),
    ("exit_codes", "--exit-codes"),
    ("include_init_containers", "--include-init-containers"),
    ("min_age", "--min-age"),
    ("exclude_owner_kinds", "--exclude-owner-kinds"),
    ("namespaces", "--namespaces"),
    ("exclude_namespaces", "--exclude-namespaces"),
    ("selector", "--selector"),
    ("exclude_bare_pods", "--exclude-bare-pods"),
)


def preset_from_args(
    args: argparse.Namespace, presets: Sequence[CleanupPreset]
) -> CleanupPreset | None:
    """``--preset NAME`` from the config's presets; a ``UsageError`` naming the known ones
    for an unknown name, or when policy flags are given with it."""
    if args.preset is None:
        return None
    given = [flag for attr, flag in _POLICY_FLAGS if getattr(args, attr)]
    if given:
        raise UsageError(
            f"kubetui cleanup: --preset {args.preset!r} is a whole failed-pod policy: "
            f"{', '.join(given)} cannot be added to it (scope it with -n NAMESPACE)"
        )
    found = next((p for p in presets if p.name == args.preset), None)
    if found is None:
        known = ", ".join(repr(p.name) for p in presets)
        raise UsageError(
            f"kubetui cleanup: --preset: no preset {args.preset!r}; known: {known} "
            f"(cleanup_presets in {config_file()})"
        )
    return found


def failed_pod_policies(
    args: argparse.Namespace, policy: CleanupPolicy, preset: CleanupPreset | None
) -> tuple[tuple[CleanupPolicy, ...], PolicyYaml]:
    """The failed-pod policies in use (a pod any of them selects is selected) and their
    descheduler export; none when only finding kinds were asked for."""
    if preset is not None:
        return preset.policies, render_policy_union(preset.name, preset.policies)
    if policy.reasons or policy.exit_codes or not _finding_kinds(args):
        return (policy,), render_policy(policy)
    return (), PolicyYaml("", ())


def _finding_kinds(args: argparse.Namespace) -> list[str]:
    wanted = (
        ("zombie_engine_pod", args.zombies),
        ("stuck_terminating", args.stuck_terminating),
        ("orphaned", args.orphaned),
    )
    return [kind for kind, on in wanted if on]


def build_plan(
    args: argparse.Namespace,
    policies: Sequence[CleanupPolicy],
    pods: list[Pod],
    nodes: list[Node] | None,
    now: datetime,
) -> Plan:
    """The failed-pod policies (``failed_pod_policies``) plus the chosen finding kinds,
    merged so each pod appears once."""
    kinds = _finding_kinds(args)
    plans = []
    if policies:
        plans.append(plan_failed_pods(select_by_any(pods, policies, now), pods))
    if kinds:
        findings = analyse(pods, nodes, now).findings
        plans.append(plan_finding_cleanup(findings, pods, kinds))
    merged = merge_plans("", plans)
    title = f"Delete {len(merged.steps)} pod(s)"
    return msgspec.structs.replace(merged, title=title)


def _render_text(result: CleanupResult) -> str:
    plan = result.plan
    verb = "dry run: nothing deleted" if result.dry_run else "executed"
    lines = [f"{plan.title} ({verb})"]
    outcome_of = {o.uid: o for o in result.outcomes}
    for step in plan.steps:
        t = step.target
        lines.append(f"  {step.action:<12} {fit(f'{t.namespace}/{t.name}', WIDTH - 15)}")
        lines.extend(_wrap(f"why: {step.reason}", 6))
        lines.extend(_wrap(f"call: {step.api_call()}", 6))
        if step.finalizers:
            lines.append(f"      finalizers: {fit(', '.join(step.finalizers), WIDTH - 18)}")
        if step.dependents:
            lines.extend(_wrap(f"with it (owner GC): {', '.join(step.dependents)}", 6))
        outcome = outcome_of.get(t.uid)
        if outcome is not None:
            lines.extend(_wrap(f"=> {outcome.status}: {outcome.detail}", 6))
    lines.extend(f"warning: {w}" for w in plan.warnings)
    lines.extend(f"note: {note}" for note in result.policy_notes)
    return "\n".join(lines) + "\n"


def _wrap(text: str, indent: int) -> list[str]:
    pad = " " * indent
    return textwrap.wrap(text, WIDTH, initial_indent=pad, subsequent_indent=pad + "  ")


def _confirm(plan: Plan, policy_yaml: PolicyYaml) -> bool:
    """Show the whole plan and ask on the terminal; refuse (UsageError) without one.

    Preview and question go to stderr so that stdout stays the machine-readable result.
    """
    if not sys.stdin.isatty():
        raise UsageError(
            "kubetui cleanup: refusing to delete without confirmation: stdin is not a "
            "terminal (use --dry-run to preview, --yes to confirm in scripts)"
        )
    sys.stderr.write(_render_text(_result(plan, [], policy_yaml, dry_run=True)))
    if not _ask(f"Delete these {len(plan.steps)} pod(s)? [y/N] "):
        return False
    if plan.needs_second_confirmation:
        return _ask(
            "This includes FORCE deletes (grace 0): their containers may keep running on "
            "the node, and finalizers may still hold them. Type 'force' to confirm: ",
            expect="force",
        )
    return True


def _ask(question: str, expect: str = "y") -> bool:
    print(question, end="", file=sys.stderr, flush=True)
    answer = sys.stdin.readline().strip().lower()
    return answer == expect or (expect == "y" and answer == "yes")


def _execute(kube: KubeClient, plan: Plan) -> list[Outcome]:
    """Run in a worker so Ctrl-C cancels before the next step and keeps what was done.

    One outcome per step, always: a step the run never reached (it stopped on an
    unexpected error) is reported failed, so the exit code cannot claim success.
    """
    cancel = threading.Event()
    outcomes: list[Outcome] = []
    error: list[str] = []

    def work() -> None:
        try:
            execute(kube, plan, cancel=cancel, on_outcome=outcomes.append)
        except Exception as exc:  # reported per step below, never a traceback
            error.append(f"{type(exc).__name__}: {exc}")

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    try:
        while worker.is_alive():
            worker.join(0.2)
    except KeyboardInterrupt:
        cancel.set()
        print("kubetui: cancelling after the current pod…", file=sys.stderr)
        worker.join()
    why = f"not run: the run stopped: {error[0] if error else 'unknown error'}"
    for step in plan.steps[len(outcomes) :]:
        t = step.target
        outcomes.append(
            Outcome(
                namespace=t.namespace,
                name=t.name,
                uid=t.uid,
                action=step.action,
                status=FAILED,
                detail=why,
            )
        )
    return outcomes


def _result(
    plan: Plan,
    outcomes: list[Outcome],
    policy_yaml: PolicyYaml,
    dry_run: bool,
    preset: CleanupPreset | None = None,
) -> CleanupResult:
    return CleanupResult(
        selected=[
            SelectedPod(
                s.target.namespace, s.target.name, s.target.uid, s.reason, s.action, s.api_call()
            )
            for s in plan.steps
        ],
        policy_yaml=policy_yaml.text,
        policy_notes=list(policy_yaml.notes),
        plan=plan,
        outcomes=outcomes,
        dry_run=dry_run,
        preset=preset.name if preset is not None else None,
    )


def _audit(kube: KubeClient, plan: Plan, outcomes: list[Outcome]) -> bool:
    """Write the audit record; whether it was written (the deletes are done either way,
    so a failure is said, and makes the exit code 1, instead of hiding the results)."""
    try:
        record_action(kube, "cleanup", plan, outcomes)
    except OSError as exc:
        notice(f"audit log not written: {exc}")
        return False
    return True


def run_cleanup(args: argparse.Namespace) -> int:
    """Preview or execute; see the command's help for the exit codes."""
    check_sources(args, "cleanup")
    if args.from_file and not args.dry_run:
        raise UsageError(
            "kubetui cleanup: --from-file needs --dry-run (a dump file cannot be deleted from)"
        )
    if args.read_only and not args.dry_run:
        raise UsageError("kubetui cleanup: --read-only deletes nothing; add --dry-run to preview")
    if args.max is not None and args.max < 1:
        raise UsageError("kubetui cleanup: --max must be at least 1")
    policy = policy_from_args(args)
    # Presets are global (no per-context part), so they are known before connecting.
    preset = preset_from_args(args, load_settings(None).cleanup_presets)
    policies, policy_yaml = failed_pod_policies(args, policy, preset)
    if args.policy_yaml and not policies:
        raise UsageError(
            "kubetui cleanup: --policy-yaml: no failed-pod policy to export (--zombies, "
            "--stuck-terminating and --orphaned are kubetui findings); add --reasons, "
            "--exit-codes or --preset"
        )
    if preset is None and not (policy.reasons or policy.exit_codes or _finding_kinds(args)):
        print(
            "kubetui: no --reasons, --exit-codes, --preset, --zombies, --stuck-terminating "
            "or --orphaned: every failed pod the other filters allow is selected",
            file=sys.stderr,
        )
    now = resolve_now(args.now)
    audited = True
    if args.from_file:
        loaded = read_dump(args.from_file)
        plan = build_plan(args, policies, loaded.pods, loaded.nodes or None, now)
        result = _result(plan, [], policy_yaml, dry_run=True, preset=preset)
    else:
        with open_cluster(args, read_only=args.read_only) as kube:
            settings = load_settings(kube.context)
            if settings.read_only and not args.dry_run:
                raise UsageError(
                    f"kubetui cleanup: the config ({config_file()}) makes context "
                    f"{kube.context!r} read-only; add --dry-run to preview"
                )
            kube.read_only = kube.read_only or settings.read_only
            limit = args.max if args.max is not None else settings.max_bulk
            snap = take_snapshot(kube, namespaces_of(args))
            for line in (*snap.notices, *snap.errors):
                notice(line)
            plan = build_plan(args, policies, snap.pods, snap.nodes, now)
            if len(plan.steps) > limit:
                where = "--max" if args.max is not None else "max_bulk in the config"
                raise UsageError(
                    f"kubetui cleanup: {len(plan.steps)} pods selected, over {where} "
                    f"({limit}); narrow the selection or raise --max"
                )
            if args.dry_run:
                outcomes = [] if kube.read_only else execute(kube, plan, dry_run_only=True)
            else:
                if plan.steps and not args.yes and not _confirm(plan, policy_yaml):
                    print("kubetui: nothing deleted", file=sys.stderr)
                    return EXIT_OK
                outcomes = _execute(kube, plan)
                if plan.steps:
                    audited = _audit(kube, plan, outcomes)
            result = _result(plan, outcomes, policy_yaml, dry_run=args.dry_run, preset=preset)
    if args.policy_yaml:
        try:
            Path(args.policy_yaml).write_text(result.policy_yaml)
        except OSError as exc:
            raise UsageError(
                f"kubetui cleanup: cannot write {args.policy_yaml}: {exc.strerror}"
            ) from None
    if args.format == "json":
        write_json(result)
    elif result.dry_run or not plan.steps:
        sys.stdout.write(_render_text(result))
    else:
        sys.stdout.write(
            "\n".join(f"{o.status:<19} {o.namespace}/{o.name}: {o.detail}" for o in result.outcomes)
            + "\n"
        )
    sys.stdout.flush()
    if result.dry_run:
        return EXIT_FOUND if plan.steps else EXIT_OK
    return EXIT_OK if audited and all(o.ok for o in result.outcomes) else EXIT_FOUND
