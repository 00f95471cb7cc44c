"""``kubetui cleanup``: which failed pods a descheduler-style policy selects, headless."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import msgspec

from kubetui.cli import UsageError
from kubetui.headless.input import read_dump, resolve_now
from kubetui.headless.text_report import WIDTH, fit
from kubetui.model.cleanup_policy import (
    CleanupPolicy,
    Selection,
    parse_exit_codes,
    select_failed_pods,
)
from kubetui.model.descheduler_yaml import PolicyYaml, render_policy
from kubetui.model.durations import parse_duration_seconds
from kubetui.model.selectors import SelectorError, parse_label_selector


class SelectedPod(msgspec.Struct, frozen=True):
    namespace: str | None
    name: str | None
    uid: str | None
    reason: str


class CleanupResult(msgspec.Struct, frozen=True):
    selected: list[SelectedPod]
    policy_yaml: str
    #: What the descheduler policy cannot express (it would select differently).
    policy_notes: list[str]


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


def _render_text(result: CleanupResult) -> str:
    lines = [f"Selected {len(result.selected)} failed pod(s) (dry run: nothing deleted)"]
    for pod in result.selected:
        lines.append(f"  {fit(f'{pod.namespace}/{pod.name}', WIDTH - 2)}")
        lines.append(f"      {fit(pod.reason, WIDTH - 6)}")
    lines.extend(f"note: {note}" for note in result.policy_notes)
    return "\n".join(lines) + "\n"


def _result(selections: list[Selection], policy_yaml: PolicyYaml) -> CleanupResult:
    return CleanupResult(
        selected=[
            SelectedPod(s.pod.metadata.namespace, s.pod.metadata.name, s.pod.metadata.uid, s.reason)
            for s in selections
        ],
        policy_yaml=policy_yaml.text,
        policy_notes=list(policy_yaml.notes),
    )


def run_cleanup(args: argparse.Namespace) -> int:
    """Print the selection; exit 1 when pods are selected, 0 when none are."""
    if not args.dry_run:
        raise UsageError(
            "kubetui cleanup: --from-file needs --dry-run (a dump file cannot be deleted from)"
        )
    policy = policy_from_args(args)
    if not policy.reasons and not policy.exit_codes:
        print(
            "kubetui: no --reasons or --exit-codes: every failed pod the other filters "
            "allow is selected",
            file=sys.stderr,
        )
    loaded = read_dump(args.from_file)
    selections = select_failed_pods(loaded.pods, policy, resolve_now(args.now))
    result = _result(selections, render_policy(policy))
    if args.policy_yaml:
        try:
            Path(args.policy_yaml).write_text(result.policy_yaml)
        except OSError as exc:
            raise UsageError(
                f"kubetui cleanup: cannot write {args.policy_yaml}: {exc.strerror}"
            ) from None
    if args.format == "json":
        sys.stdout.buffer.write(msgspec.json.format(msgspec.json.encode(result), indent=2))
        sys.stdout.buffer.write(b"\n")
    else:
        sys.stdout.write(_render_text(result))
    sys.stdout.flush()
    return 1 if result.selected else 0
