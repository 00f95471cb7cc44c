"""``kubetui completion SHELL``: the scripts run in real bash, zsh and fish and complete
what the argparse parser declares (commands, flags, choices) plus kubeconfig contexts,
namespaces (the kubeconfig's and the server's) and theme names."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from kubetui.cli import build_parser
from kubetui.completion import FILES, complete
from kubetui.sim.runner import RunningSim, running_sim

BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSim]:
    with running_sim("incidents", 1, frozen=True, tmp_dir=tmp_path_factory.mktemp("sim")) as s:
        yield s


def _env(**extra: str) -> dict[str, str]:
    """This Python's bin dir first (the ``kubetui`` the scripts call), no user config."""
    env = {k: v for k, v in os.environ.items() if k not in ("KUBECONFIG", "XDG_CONFIG_HOME")}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return {**env, **extra}


def _script(shell: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "kubetui", "completion", shell],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def _shell(shell: str, body: str, **env: str) -> list[str]:
    """Run ``body`` in ``shell`` with kubetui's script loaded; its stdout lines."""
    binary = shutil.which(shell)
    if binary is None:
        pytest.skip(f"{shell} is not installed (apt-get install -y {shell})")
    result = subprocess.run(
        [binary, "-c", body], capture_output=True, text=True, timeout=120, env=_env(**env)
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def _bash(*words: str, **env: str) -> list[str]:
    quoted = " ".join(f"'{w}'" for w in words)
    body = (
        f"{_script('bash')}\n"
        f"COMP_WORDS=(kubetui {quoted}); COMP_CWORD={len(words)}\n"
        '_kubetui_complete; printf "%s\\n" "${COMPREPLY[@]}"'
    )
    return [line for line in _shell("bash", body, **env) if line]


def _zsh(*words: str) -> list[str]:
    """zsh's completion system needs a terminal; its two entry points are stubbed:
    ``compadd`` prints what it is given, ``_files`` says it was asked for."""
    quoted = " ".join(f"'{w}'" for w in words)
    body = (
        "compdef() { :; }; compadd() { [[ $1 == -- ]] && shift; print -l -- $@; }; "
        "_files() { print -- FILES; }\n"
        f"{_script('zsh')}\n"
        f"words=(kubetui {quoted}); CURRENT={len(words) + 1}; _kubetui_complete"
    )
    return _shell("zsh", body)


def _fish(line: str) -> list[str]:
    body = f"kubetui completion fish | source; complete -C '{line}'"
    return [entry.split("\t")[0] for entry in _shell("fish", body)]


def test_bash_completes_commands_flags_and_choices() -> None:
    assert _bash("tri") == ["triage"]
    assert set(_bash("")) >= {"triage", "cleanup", "completion", "locate", "demo", "sim"}
    assert "__complete" not in _bash("")
    assert _bash("triage", "--fo") == ["--format"]
    assert _bash("triage", "--format", "") == ["json", "markdown", "text"]
    assert _bash("completion", "") == ["bash", "zsh", "fish"]
    assert _bash("sim", "") == ["serve"]  # a command's own commands
    assert "--kubeconfig-out" in _bash("sim", "serve", "--kub")
    assert _bash("--th") == ["--theme"]
    assert "kubetui-dark" in _bash("--theme", "kubetui-")


def test_bash_completes_files_for_file_flags(tmp_path: Path) -> None:
    (tmp_path / "dump.json").write_text("{}")
    assert _bash("triage", "--from-file", f"{tmp_path}/du") == [f"{tmp_path}/dump.json"]


def test_zsh_completes_commands_flags_and_files() -> None:
    assert _zsh("tri") == ["triage"]
    assert _zsh("cleanup", "--dry") == ["--dry-run"]
    assert _zsh("triage", "--kubeconfig", "") == ["FILES"]
    assert _zsh("sim", "serve", "--state-file", "") == ["FILES"]


def test_fish_completes_commands_flags_and_choices() -> None:
    assert _fish("kubetui tri") == ["triage"]
    assert _fish("kubetui triage --format m") == ["markdown"]
    assert "--stuck-terminating" in _fish("kubetui cleanup --st")


def test_contexts_and_namespaces_from_kubeconfig_and_server(sim: RunningSim) -> None:
    config = yaml.safe_load(sim.kubeconfig_path.read_text())
    names = [c["name"] for c in config["contexts"]]
    # One more context, whose namespace only the kubeconfig knows.
    config["contexts"].append(
        {
            "name": "prod-eu",
            "context": {**config["contexts"][0]["context"], "namespace": "payments"},
        }
    )
    path = sim.kubeconfig_path.parent / "more-contexts.yaml"
    path.write_text(yaml.safe_dump(config))
    assert _bash("--context", "", KUBECONFIG=str(path)) == sorted([*names, "prod-eu"])
    # The sim's namespaces, from its server (the current context), and the kubeconfig's.
    namespaces = _bash("triage", "-n", "", KUBECONFIG=str(path))
    assert {"etl", "spark-alice", "kyuubi", "payments"} <= set(namespaces)
    assert _bash("triage", "--kubeconfig", str(path), "-n", "spark-") == [
        "spark-alice",
        "spark-analytics",
        "spark-bob",
    ]


def test_unreachable_server_still_completes_kubeconfig_namespaces(tmp_path: Path) -> None:
    kubeconfig = tmp_path / "config"
    kubeconfig.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "current-context": "dead",
                "clusters": [{"name": "c", "cluster": {"server": "https://127.0.0.1:9"}}],
                "users": [{"name": "u", "user": {"token": "t"}}],
                "contexts": [
                    {"name": "dead", "context": {"cluster": "c", "user": "u", "namespace": "ops"}}
                ],
            }
        )
    )
    assert complete(build_parser(), ["--kubeconfig", str(kubeconfig), "-n", ""]) == ["ops"]


def test_complete_reads_any_parser_not_a_list() -> None:
    """A parser that is not kubetui's completes from its own declarations."""
    parser = argparse.ArgumentParser(prog="toy")
    commands = parser.add_subparsers(dest="command")
    brew = commands.add_parser("brew")
    brew.add_argument("--kind", choices=("tea", "coffee"))
    brew.add_argument("--kubeconfig", metavar="FILE")
    brew.add_argument("cups", choices=("1", "2"))
    assert complete(parser, ["b"]) == ["brew"]
    assert complete(parser, ["brew", "--"]) == ["--help", "--kind", "--kubeconfig"]
    assert complete(parser, ["brew", "--kind", ""]) == ["coffee", "tea"]
    assert complete(parser, ["brew", "--kind", "tea", ""]) == ["1", "2"]
    assert complete(parser, ["brew", "--kubeconfig", "x"]) == [FILES]


def test_every_command_and_flag_of_the_parser_completes() -> None:
    parser = build_parser()
    (commands,) = (a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert complete(parser, [""]) == sorted(c for c in commands.choices if c != "__complete")
    for name, sub in commands.choices.items():
        flags = {o for a in sub._actions for o in a.option_strings if o.startswith("--")}
        assert set(complete(parser, [name, "--"])) == flags, name


def test_unknown_shell_is_one_line_and_exit_2() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "kubetui", "completion", "tcsh"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert "invalid choice: 'tcsh'" in line and "'bash', 'zsh', 'fish'" in line
