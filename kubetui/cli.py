"""Command line entry point: ``kubetui <command>``.

Every failure an operator can cause (bad flags, unreadable or malformed input) ends in
one line on stderr and exit code 2, never a traceback. Exit codes of the report commands
are meant for scripts: 0 nothing found, 1 something found, 2 usage or input error.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from datetime import UTC, datetime

from kubetui import __version__
from kubetui.cli_args import (
    EXIT_OK,
    EXIT_USAGE,
    Parser,
    UsageError,
    add_cluster_flags,
    add_dashboard_flags,
    add_kyuubi_flags,
    add_read_only_flag,
    resolve_shared_flags,
)
from kubetui.completion import COMPLETE, SCRIPTS, SHELLS, run_complete
from kubetui.errors import UserError
from kubetui.logfile import headless_log
from kubetui.paths import LOCATIONS
from kubetui.rbac import ROLES, rbac_yaml


def parse_now(text: str) -> datetime:
    """``--now``: an ISO 8601 instant; without a zone it is UTC."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {text!r}") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _add_file_flag(parser: argparse.ArgumentParser, *, required: bool) -> None:
    parser.add_argument(
        "--from-file",
        metavar="PATH",
        required=required,
        help="read objects from PATH ('-' for stdin) instead of a cluster: output of "
        "'kubectl get pods,nodes -A -o json' (or -o yaml), a PodList, a NodeList, "
        "a single Pod, JSON or YAML (several documents allowed)",
    )


def _add_output_flags(parser: argparse.ArgumentParser, *, markdown: bool = False) -> None:
    parser.add_argument(
        "--format",
        choices=("text", "json", "markdown") if markdown else ("text", "json"),
        default="text",
        help="output format (default: text, a report that fits 80 columns"
        + ("; markdown: the incident note the dashboard's x key writes)" if markdown else ")"),
    )
    parser.add_argument(
        "--now",
        type=parse_now,
        metavar="ISO8601",
        help="the current time for every age rule, e.g. 2026-11-23T10:00:00Z "
        "(default: the real clock); makes replays and tests reproducible",
    )


def _add_demo_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--demo",
        action="store_true",
        help="start the embedded demo cluster in-process and read it through the real "
        "client path (no cluster needed)",
    )
    parser.add_argument(
        "--scenario",
        default="incidents",
        metavar="NAME",
        help="demo scenario: 'incidents' (default) or 'scale:N'",
    )
    parser.add_argument("--seed", type=int, default=1, help="demo random seed (default 1)")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="kubetui",
        description="Triage Kubernetes pods and Spark/Kyuubi engines: termination reasons, "
        "decoded exit codes, OOM scores, zombie pods, hot reconcile loops.",
    )
    parser.add_argument("--version", action="version", version=f"kubetui {__version__}")
    from kubetui.ui.cli import add_demo_parser

    add_dashboard_flags(parser)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    parser.set_defaults(command_parsers=commands.choices)

    triage = commands.add_parser(
        "triage",
        help="print findings, engines and pods (headless)",
        description="Print every finding (OOMKilled, crash loops, zombie engine pods, "
        "stuck Terminating, orphaned, failed lingering), the engines with the state their "
        "pods prove, and every pod with kubectl's columns, QoS and oom_score_adj. "
        "Reads the current kubeconfig context, a dump file or the demo cluster. "
        "Exit 0 when nothing is found, 1 when findings are present, 2 on a usage, "
        "input or connection error.",
    )
    _add_file_flag(triage, required=False)
    add_cluster_flags(triage)
    _add_demo_flags(triage)
    _add_output_flags(triage, markdown=True)
    triage.add_argument(
        "--watch",
        type=float,
        metavar="SECONDS",
        help="after the sync, watch object updates for SECONDS to find hot reconcile loops",
    )
    add_kyuubi_flags(triage)
    add_read_only_flag(
        triage,
        help_text="accepted for scripts and aliases that always pass it: triage never writes",
    )

    cleanup = commands.add_parser(
        "cleanup",
        help="delete failed, zombie, stuck and orphaned pods, with a preview (headless)",
        description="Select pods to delete: failed pods by a descheduler-style policy "
        "(RemoveFailedPods semantics), and/or the pods of the zombie, stuck-Terminating and "
        "orphaned findings; show the plan, run a server-side dry run, ask, then delete with "
        "uid preconditions and report each pod. With --from-file only --dry-run is allowed. "
        "Exit 0: nothing selected (or all done), 1: pods selected in a dry run, or some "
        "deletes failed; 2: usage, input or connection error.",
    )
    _add_file_flag(cleanup, required=False)
    add_cluster_flags(cleanup)
    _add_demo_flags(cleanup)
    _add_output_flags(cleanup)
    cleanup.add_argument(
        "--dry-run",
        action="store_true",
        help="only print the plan and the server's dry-run answer for each pod; delete nothing",
    )
    cleanup.add_argument(
        "--zombies", action="store_true", help="select pods of engines that ended (zombies)"
    )
    cleanup.add_argument(
        "--stuck-terminating",
        action="store_true",
        help="select pods stuck Terminating past their deadline (force delete, grace 0)",
    )
    cleanup.add_argument(
        "--orphaned",
        action="store_true",
        help="select pods bound to nodes that no longer exist (force delete, grace 0)",
    )
    cleanup.add_argument(
        "--yes", "-y", action="store_true", help="do not ask for confirmation (scripts)"
    )
    cleanup.add_argument(
        "--max",
        type=int,
        metavar="N",
        help="refuse to run when more than N pods are selected (default: max_bulk in the "
        "config, 50 without one)",
    )
    add_read_only_flag(
        cleanup,
        help_text="never send a write request (not even a server-side dry run); the "
        "config's read_only (global or for the context) does the same",
    )
    cleanup.add_argument(
        "--preset",
        metavar="NAME",
        help="select failed pods by a cleanup preset of the config (a union of policies; "
        "built in: 'OOM victims', 'killed by signal'); replaces the policy flags below",
    )
    cleanup.add_argument(
        "--reasons",
        metavar="A,B",
        help="container termination/waiting reasons to select, e.g. OOMKilled,Error",
    )
    cleanup.add_argument(
        "--exit-codes",
        metavar="CODES",
        help="exit codes and ranges to select, e.g. 137,143,129-255",
    )
    cleanup.add_argument(
        "--include-init-containers",
        action="store_true",
        help="also look at init containers' reasons and exit codes",
    )
    cleanup.add_argument(
        "--min-age",
        metavar="DURATION",
        help="only pods older than this, e.g. 3600s, 90m, 2h, 1d",
    )
    cleanup.add_argument(
        "--exclude-owner-kinds",
        metavar="KINDS",
        help="skip pods owned by these kinds, e.g. Job,ReplicaSet",
    )
    cleanup.add_argument("--namespaces", metavar="NS,NS", help="only these namespaces")
    cleanup.add_argument("--exclude-namespaces", metavar="NS,NS", help="skip these namespaces")
    cleanup.add_argument(
        "--selector",
        "-l",
        metavar="SELECTOR",
        help="label selector, full kubectl syntax: 'k=v,k2 in (x,y),!k3'",
    )
    cleanup.add_argument(
        "--exclude-bare-pods",
        action="store_true",
        help="skip pods without an owner, as the descheduler's default evictor does "
        "(kubetui selects them by default: Spark driver pods have no owner, and a failed "
        "pod is already dead)",
    )
    cleanup.add_argument(
        "--policy-yaml",
        metavar="FILE",
        help="also write the equivalent descheduler v1alpha2 DeschedulerPolicy to FILE",
    )

    locate = commands.add_parser(
        "locate",
        help="print where kubetui keeps its files",
        description="Print the path of kubetui's config dir, user themes dir, state dir, "
        "audit log or log file (XDG base directories).",
    )
    locate.add_argument(
        "what",
        nargs="?",
        choices=tuple(LOCATIONS),
        help="one location (default: all, one per line)",
    )

    completion = commands.add_parser(
        "completion",
        help="print the shell completion script for bash, zsh or fish",
        description="Print a script that completes kubetui's commands, flags, kubeconfig "
        "contexts, namespaces (the kubeconfig's and, when it answers, the server's) and "
        'theme names. bash: eval "$(kubetui completion bash)"; zsh: source <(kubetui '
        "completion zsh); fish: kubetui completion fish | source.",
    )
    completion.add_argument("shell", metavar="SHELL", choices=SHELLS, help="bash, zsh or fish")

    rbac = commands.add_parser(
        "rbac",
        help="print the ClusterRoles kubetui needs (YAML for kubectl apply -f -)",
        description="Print kubetui's ClusterRoles: read-only (every view, detail, logs, "
        "triage and the hot-loop watch) and actions (the write keys and cleanup; bind it "
        "beside read-only). hot-loops-secrets, printed only when named, adds list/watch "
        "of Secrets to read-only for hot loops on Secrets: its holders can read every "
        "Secret. Each rule says why it is there.",
    )
    rbac.add_argument(
        "role",
        nargs="?",
        choices=tuple(ROLES),
        help="one role (default: read-only and actions, never hot-loops-secrets)",
    )

    from kubetui.sim.cli import add_sim_parser

    add_sim_parser(commands)
    add_demo_parser(commands)
    return parser


def parse_command_line(argv: Sequence[str] | None) -> argparse.Namespace:
    """The parsed command line with each shared flag resolved once, wherever it stood
    (UsageError when that is ambiguous or the command has no such flag)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    command_parsers = vars(args).pop("command_parsers")
    resolve_shared_flags(args, parser, command_parsers.get(args.command))
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run kubetui; returns the process exit code (also used by ``python -m kubetui``)."""
    # Libraries (urllib3 retries, the kubeconfig loader) log to the root logger; nothing
    # of that may reach the operator's terminal: failures are reported as one line.
    logging.getLogger().addHandler(logging.NullHandler())
    words = sys.argv[1:] if argv is None else list(argv)
    if words[:1] == [COMPLETE]:
        return run_complete(words[1:])
    try:
        args = parse_command_line(argv)
        if args.command in (None, "demo"):
            from kubetui.ui.cli import run_dashboard_command

            run_dashboard_command(args)  # ends the process (or raises UserError)
        if args.command == "triage":
            from kubetui.headless.triage import run_triage

            with headless_log():
                return run_triage(args)
        if args.command == "cleanup":
            from kubetui.headless.cleanup import run_cleanup

            with headless_log():
                return run_cleanup(args)
        if args.command == "sim":
            return args.handler(args)
        if args.command == "completion":
            sys.stdout.write(SCRIPTS[args.shell])
            return EXIT_OK
        if args.command == "rbac":
            sys.stdout.write(rbac_yaml(args.role))
            return EXIT_OK
        if args.command == "locate":
            for name, where in LOCATIONS.items():
                if args.what in (None, name):
                    print(where() if args.what else f"{name}: {where()}")
            return EXIT_OK
        raise UsageError(f"kubetui: unknown command {args.command!r}")
    except UserError as exc:
        message = str(exc)
        print(message if message.startswith("kubetui") else f"kubetui: {message}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `kubetui triage ... | head`: the reader left; say nothing more.
        sys.stderr.close()
        return EXIT_OK
