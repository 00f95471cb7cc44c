"""The command line's shared plumbing: the parser class, the flags more than one command
takes, exit codes, and how a flag given before the command reaches it.

``kubetui --kubeconfig X -n spark-alice --read-only <command> ...``: the flags of the
dashboard (``kubetui`` alone) may also stand before a command. argparse alone would lose
them (a subcommand's defaults overwrite the same dest), which for a tool that deletes pods
means a lost namespace scope or a lost ``--read-only``. So every shared flag is declared
with no default (``argparse.SUPPRESS``), before the command under a dest of its own, and
:func:`resolve_shared_flags` joins the two positions: a flag given once counts wherever it
stands; given at both positions with different values, or before a command that has no
such option, it is a one-line usage error; the defaults are filled in last.
"""

from __future__ import annotations

import argparse
from typing import Any, NoReturn

from kubetui.errors import UserError

EXIT_OK, EXIT_FOUND, EXIT_USAGE = 0, 1, 2

#: The dest prefix of a shared flag given before the command.
_BEFORE = "before_command__"


class UsageError(UserError):
    """A problem with how kubetui was called; the message is one line."""


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line naming the command, then exit 2; and it
    knows its shared flags (dest → (option string, default)) to join them across
    positions."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # No abbreviations: `--kubeconfig` must never be taken for `sim serve
        # --kubeconfig-out`, nor `--dry` guessed into a flag of a command that deletes.
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)
        self.shared: dict[str, tuple[str, Any]] = {}
        self.before_command = False

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message} (see '{self.prog} --help')")

    def add_shared(self, *names: str, default: Any = None, **kwargs: Any) -> None:
        """A flag several commands share; see the module docstring."""
        target = kwargs.pop("group", None) or self
        probe = argparse.ArgumentParser(add_help=False).add_argument(*names, **kwargs)
        dest = probe.dest
        self.shared[dest] = ("/".join(probe.option_strings), default)
        prefix = _BEFORE if self.before_command else ""
        target.add_argument(*names, dest=prefix + dest, default=argparse.SUPPRESS, **kwargs)


def resolve_shared_flags(args: argparse.Namespace, top: Parser, command: Parser | None) -> None:
    """Give ``args`` each shared flag of the command (or of the dashboard when there is
    none) once: from wherever it was given, else its default. Raises UsageError when a
    flag before the command does not apply to it, or was given again after it with a
    different value."""
    values = vars(args)
    before = {
        key[len(_BEFORE) :]: values.pop(key) for key in list(values) if key.startswith(_BEFORE)
    }
    target = command if command is not None else top
    name = command.prog if command is not None else top.prog
    for dest, value in before.items():
        option = top.shared[dest][0]
        if dest not in target.shared:
            raise UsageError(
                f"{top.prog}: {option} was given before '{name.removeprefix(top.prog + ' ')}', "
                f"which has no such option (see '{name} --help')"
            )
        if dest in values and values[dest] != value:
            raise UsageError(
                f"{top.prog}: {option} given before and after the command with different "
                f"values ({_shown(value)} and {_shown(values[dest])}); give it once"
            )
        values[dest] = value
    if values.get("namespace") and values.get("all_namespaces"):
        raise UsageError(f"{name}: -n/--namespace and -A/--all-namespaces exclude each other")
    for dest, (_option, default) in target.shared.items():
        values.setdefault(dest, default)


def _shown(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(map(str, value))
    return str(value)


# -- the shared flags ----------------------------------------------------------------


def add_cluster_flags(parser: Parser) -> None:
    """The connection flags, named and meaning what kubectl's do."""
    parser.add_shared(
        "--kubeconfig",
        metavar="FILE",
        help="kubeconfig file (default: $KUBECONFIG, else ~/.kube/config, else in-cluster)",
    )
    parser.add_shared("--context", metavar="NAME", help="kubeconfig context to use")
    scope = parser.add_mutually_exclusive_group()
    parser.add_shared(
        "-n",
        "--namespace",
        group=scope,
        action="append",
        metavar="NS",
        help="only this namespace (repeat or comma-separate for several)",
    )
    parser.add_shared(
        "-A",
        "--all-namespaces",
        group=scope,
        default=False,
        action="store_true",
        help="all namespaces (the default)",
    )


def add_kyuubi_flags(parser: Parser) -> None:
    """Where the Kyuubi server is; they override the context's ``kyuubi`` in the config."""
    parser.add_shared(
        "--kyuubi-url",
        metavar="URL",
        help="also poll this Kyuubi REST server (http(s)://host:10099) and show where its "
        "engine states disagree with the pods (default: the context's kyuubi.url in the config)",
    )
    parser.add_shared("--kyuubi-user", metavar="USER", help="Kyuubi user (basic auth)")
    parser.add_shared(
        "--kyuubi-password-env", metavar="VAR", help="environment variable with the password"
    )


def add_read_only_flag(parser: Parser, *, help_text: str | None = None) -> None:
    parser.add_shared(
        "--read-only",
        default=False,
        action="store_true",
        help=help_text
        or "hide every write key and refuse every write request (the config's read_only "
        "can make this the default; this flag cannot lift it)",
    )


def add_theme_flag(parser: Parser) -> None:
    parser.add_shared(
        "--theme",
        metavar="NAME",
        help="colour theme: kubetui-dark (default), kubetui-light, kubetui-high-contrast, "
        "kubetui-okabe-ito (safe for red-green colour blindness), kubetui-ansi (the "
        "terminal's 16 colours), a Textual theme, or a file NAME.yaml in the user themes "
        "dir (kubetui locate themes); overrides the config file's theme:; NO_COLOR=1 "
        "turns colour off",
    )


def add_hot_loops_flag(parser: Parser, *, default: bool) -> None:
    parser.add_shared(
        "--hot-loops",
        default=default,
        action=argparse.BooleanOptionalAction,
        help="watch object metadata of the workload kinds and custom resources to find "
        f"objects rewritten far more often than their peers (default: {'on' if default else 'off'}"
        "; it adds one metadata watch per kind)",
    )


def add_dashboard_flags(parser: Parser) -> None:
    """``kubetui`` itself: the connection and Kyuubi flags, --theme, --hot-loops,
    --read-only; before a command they go to that command."""
    parser.before_command = True
    add_cluster_flags(parser)
    add_kyuubi_flags(parser)
    add_theme_flag(parser)
    add_hot_loops_flag(parser, default=False)
    add_read_only_flag(parser)
    parser.before_command = False


def namespaces_of(args: argparse.Namespace) -> list[str] | None:
    """``-n a -n b,c`` → ``[a, b, c]``; ``None`` for all namespaces."""
    if not getattr(args, "namespace", None):
        return None
    return [ns for value in args.namespace for ns in value.split(",") if ns]
