"""``sim serve``: arguments, what it prints, and a clean stop on SIGTERM."""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
from pathlib import Path

import yaml

from kubetui.sim.cli import add_sim_parser, run_sim

SERVE = """
import argparse, sys
from kubetui.sim.cli import add_sim_parser
parser = argparse.ArgumentParser(prog="kubetui")
add_sim_parser(parser.add_subparsers(dest="command"))
args = parser.parse_args(sys.argv[1:])
sys.exit(args.handler(args))
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kubetui")
    add_sim_parser(parser.add_subparsers(dest="command"))
    return parser


def test_serve_arguments() -> None:
    args = _parser().parse_args(
        [
            "sim",
            "serve",
            "--scenario",
            "scale:10",
            "--seed",
            "7",
            "--port",
            "0",
            "--frozen",
            "--http",
            "--speed",
            "60",
            "--kubeconfig-out",
            "k.yaml",
            "--state-file",
            "s.json",
        ]
    )
    assert (args.scenario, args.seed, args.frozen, args.http, args.speed) == (
        "scale:10",
        7,
        True,
        True,
        60.0,
    )
    assert (args.kubeconfig_out, args.state_file) == (Path("k.yaml"), Path("s.json"))
    assert args.handler is run_sim


def test_bad_speed_is_a_usage_error(capsys) -> None:
    args = _parser().parse_args(["sim", "serve", "--speed", "0"])
    assert run_sim(args) == 2
    assert "--speed must be positive" in capsys.readouterr().err


def test_serve_prints_kubeconfig_and_stops_on_sigterm(tmp_path: Path) -> None:
    kubeconfig = tmp_path / "sim.kubeconfig"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            SERVE,
            "sim",
            "serve",
            "--frozen",
            "--http",
            "--kubeconfig-out",
            str(kubeconfig),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = [proc.stdout.readline() for _ in range(4)]
        assert lines[0] == f"kubeconfig: {kubeconfig}\n"
        assert lines[1].startswith("API server: http://127.0.0.1:")
        assert lines[2].startswith("Kyuubi:")
        doc = yaml.safe_load(kubeconfig.read_text())
        assert doc["clusters"][0]["cluster"]["server"] == lines[1].split(": ", 1)[1].strip()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
    finally:
        proc.kill()
