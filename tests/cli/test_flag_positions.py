"""Every shared flag works the same before or after the command, or is refused in one line.

argparse alone drops a flag given before a subcommand (the subcommand's default
overwrites the dest): ``kubetui -n spark-alice cleanup`` planned deletes in every
namespace. The table walks every shared flag × position × command through the real
parser; the scope, kubeconfig and read-only flags are then checked at a running demo
cluster: what was requested and what would be deleted.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from kubetui.cli import build_parser, parse_command_line
from kubetui.cli_args import UsageError
from kubetui.sim.runner import RunningSim, running_sim

#: flag arguments → (dest, effective value). The values are written out here, not read
#: from the parser under test.
FLAGS: dict[tuple[str, ...], tuple[str, object]] = {
    ("--kubeconfig", "/tmp/kc"): ("kubeconfig", "/tmp/kc"),
    ("--context", "prod"): ("context", "prod"),
    ("-n", "spark-alice"): ("namespace", ["spark-alice"]),
    ("--namespace", "a,b"): ("namespace", ["a,b"]),
    ("-A",): ("all_namespaces", True),
    ("--kyuubi-url", "http://127.0.0.1:10099"): ("kyuubi_url", "http://127.0.0.1:10099"),
    ("--kyuubi-user", "ops"): ("kyuubi_user", "ops"),
    ("--kyuubi-password-env", "KPW"): ("kyuubi_password_env", "KPW"),
    ("--theme", "kubetui-ansi"): ("theme", "kubetui-ansi"),
    ("--hot-loops",): ("hot_loops", True),
    ("--no-hot-loops",): ("hot_loops", False),
    ("--read-only",): ("read_only", True),
}

#: command → the arguments it needs to parse, and which of the flags above it takes.
CLUSTER = {"kubeconfig", "context", "namespace", "all_namespaces"}
KYUUBI = {"kyuubi_url", "kyuubi_user", "kyuubi_password_env"}
COMMANDS: dict[str, tuple[tuple[str, ...], set[str]]] = {
    "dashboard": ((), CLUSTER | KYUUBI | {"theme", "hot_loops", "read_only"}),
    "triage": (("triage",), CLUSTER | KYUUBI | {"read_only"}),
    "cleanup": (("cleanup",), CLUSTER | {"read_only"}),
    "demo": (("demo",), {"theme", "hot_loops", "read_only"}),
    "sim": (("sim", "serve"), set()),
}

#: Each command's defaults, as its --help states them.
DEFAULTS: dict[str, object] = {
    "kubeconfig": None,
    "context": None,
    "namespace": None,
    "all_namespaces": False,
    "kyuubi_url": None,
    "kyuubi_user": None,
    "kyuubi_password_env": None,
    "theme": None,
    "read_only": False,
}
HOT_LOOPS_DEFAULT = {"dashboard": False, "demo": True}

CASES = [
    (command, flag, position)
    for command in COMMANDS
    for flag in FLAGS
    for position in ("before", "after", "both")
]


def _argv(command: str, flag: tuple[str, ...], position: str) -> list[str]:
    words = list(COMMANDS[command][0])
    if command == "dashboard":
        return list(flag)  # no command: "before" is the only position there is
    before = list(flag) if position in ("before", "both") else []
    after = list(flag) if position in ("after", "both") else []
    return [*before, *words, *after]


@pytest.mark.parametrize(("command", "flag", "position"), CASES)
def test_flag_reaches_the_command_or_is_refused(
    command: str, flag: tuple[str, ...], position: str
) -> None:
    _words, accepted = COMMANDS[command]
    dest, value = FLAGS[flag]
    argv = _argv(command, flag, position)
    if dest not in accepted:
        with pytest.raises(UsageError) as refused:
            parse_command_line(argv)
        message = str(refused.value)
        assert "\n" not in message and flag[0].lstrip("-") in message
        return
    args = parse_command_line(argv)
    assert getattr(args, dest) == value
    # every other shared flag of the command keeps its default
    for other, default in DEFAULTS.items():
        if other in accepted and other != dest:
            assert getattr(args, other) == default, other
    if "hot_loops" in accepted and dest != "hot_loops":
        assert args.hot_loops is HOT_LOOPS_DEFAULT[command]


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["-n", "a", "cleanup", "-n", "b"], ["-n/--namespace", "a and b"]),
        (["--kubeconfig", "x", "triage", "--kubeconfig", "y"], ["--kubeconfig", "x and y"]),
        (["--context", "p", "cleanup", "--context", "q"], ["--context", "p and q"]),
        (["--hot-loops", "demo", "--no-hot-loops"], ["--hot-loops"]),
        (["-n", "a", "triage", "-A"], ["exclude each other"]),
        (["-A", "cleanup", "-n", "a"], ["exclude each other"]),
        (["--theme", "x", "triage"], ["--theme", "'triage'"]),
        (["-n", "a", "demo"], ["-n/--namespace", "'demo'"]),
        (["--read-only", "sim", "serve"], ["--read-only", "'sim'"]),
    ],
)
def test_ambiguous_or_misplaced_flags_are_one_line(argv: list[str], words: list[str]) -> None:
    with pytest.raises(UsageError) as refused:
        parse_command_line(argv)
    message = str(refused.value)
    assert "\n" not in message
    for word in words:
        assert word in message


def test_same_flag_at_both_positions_with_the_same_value_is_accepted() -> None:
    args = parse_command_line(["-n", "a", "cleanup", "-n", "a", "--read-only"])
    assert args.namespace == ["a"] and args.read_only is True


def test_help_of_the_top_level_lists_the_shared_flags() -> None:
    text = build_parser().format_help()
    for option in ("--kubeconfig", "--namespace", "--read-only", "--theme", "--hot-loops"):
        assert option in text


# -- at the server -----------------------------------------------------------------


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSim]:
    with running_sim(
        "incidents", 1, frozen=True, tmp_dir=tmp_path_factory.mktemp("sim"), kyuubi=False
    ) as running:
        yield running


def _run(sim: RunningSim, tmp_path: Path, argv: list[str]) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "KUBECONFIG": str(tmp_path / "absent-kubeconfig"),  # only --kubeconfig can reach it
    }
    return subprocess.run(
        [sys.executable, "-m", "kubetui", *argv],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def _pod_uids(sim: RunningSim) -> set[str]:
    return {p["metadata"]["uid"] for p in sim.state.list("pods")}


def _pod_requests(sim: RunningSim, since: int) -> list[tuple[str, str, str]]:
    return [(r.method, r.path, r.query) for r in sim.request_log[since:] if "/pods" in r.path]


@pytest.mark.parametrize("position", ["before", "after"])
def test_namespace_and_kubeconfig_reach_the_server(
    sim: RunningSim, tmp_path: Path, position: str
) -> None:
    shared = ["--kubeconfig", str(sim.kubeconfig_path), "-n", "spark-alice"]
    rest = [
        "--zombies",
        "--dry-run",
        "--format",
        "json",
        "--now",
        sim.state.clock.now().isoformat(),
    ]
    argv = [*shared, "cleanup", *rest] if position == "before" else ["cleanup", *shared, *rest]
    since, held = len(sim.request_log), _pod_uids(sim)
    result = _run(sim, tmp_path, argv)
    assert result.returncode == 1, result.stderr  # zombies selected in a dry run
    selected = {p["namespace"] for p in json.loads(result.stdout)["selected"]}
    assert selected == {"spark-alice"}
    requests = _pod_requests(sim, since)
    assert requests, "nothing reached the server"
    # every pod request, reads and the dry-run deletes, stays in the namespace
    assert all(path.startswith("/api/v1/namespaces/spark-alice/") for _m, path, _q in requests)
    assert "DELETE" in {method for method, _p, _q in requests}  # the server-side dry runs
    assert _pod_uids(sim) == held  # ... and only dry runs


@pytest.mark.parametrize("position", ["before", "after"])
def test_read_only_cleanup_sends_no_write(sim: RunningSim, tmp_path: Path, position: str) -> None:
    flags = ["--kubeconfig", str(sim.kubeconfig_path), "--read-only"]
    rest = ["--zombies", "--dry-run", "--format", "json"]
    argv = [*flags, "cleanup", *rest] if position == "before" else ["cleanup", *flags, *rest]
    since = len(sim.request_log)
    result = _run(sim, tmp_path, argv)
    assert result.returncode == 1, result.stderr
    assert json.loads(result.stdout)["selected"]
    methods = {r.method for r in sim.request_log[since:]}
    assert methods == {"GET"}


@pytest.mark.parametrize("position", ["before", "after"])
def test_read_only_cleanup_without_dry_run_is_refused(
    sim: RunningSim, tmp_path: Path, position: str
) -> None:
    flags = ["--kubeconfig", str(sim.kubeconfig_path), "--read-only"]
    rest = ["--zombies", "--yes"]
    argv = [*flags, "cleanup", *rest] if position == "before" else ["cleanup", *flags, *rest]
    since = len(sim.request_log)
    result = _run(sim, tmp_path, argv)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "--read-only deletes nothing" in result.stderr
    assert sim.request_log[since:] == []
