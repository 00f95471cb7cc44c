"""What an operator sees when a call goes wrong: one line on stderr, exit 2, no traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import kubetui


def run(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kubetui", *args],
        input=stdin.decode("latin-1"),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_version() -> None:
    result = run("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"kubetui {kubetui.__version__}"


def test_help_lists_every_subcommand() -> None:
    result = run("--help")
    assert result.returncode == 0
    for command in ("triage", "cleanup"):
        assert command in result.stdout


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("cleanup", "--from-file", "x"), "needs --dry-run"),
        (("triage", "--from-file", "x", "--bogus"), "unrecognized arguments: --bogus"),
        (("triage", "--from-file", "x", "--format", "xml"), "invalid choice: 'xml'"),
        (("triage", "--from-file", "x", "--now", "yesterday"), "not an ISO 8601 time"),
        (("frobnicate",), "invalid choice: 'frobnicate'"),
        (
            ("triage", "--from-file", "/nonexistent/dump.json"),
            "/nonexistent/dump.json: no such file",
        ),
        (("triage", "--from-file", "/"), "is a directory"),
    ],
)
def test_usage_and_file_errors_are_one_line(args: tuple[str, ...], needle: str) -> None:
    result = run(*args)
    assert result.returncode == 2
    assert needle in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


@pytest.mark.parametrize(
    ("stdin", "needle"),
    [
        (b"\x7fELF\x02\x01\x01\x00\x00\x00garbage", "binary data"),
        (b'{"kind": "PodList", "items": [', "malformed JSON"),
        (b"a: [b\n", "malformed YAML"),
        (b'{"kind": "ConfigMap", "metadata": {"name": "x"}}', "no usable Pod or Node"),
    ],
)
def test_malformed_input_from_stdin(stdin: bytes, needle: str) -> None:
    result = run("triage", "--from-file", "-", stdin=stdin)
    assert result.returncode == 2
    assert needle in result.stderr
    assert "Traceback" not in result.stderr


def test_dashboard_without_a_kubeconfig_is_one_line_and_points_to_the_demo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bare ``kubetui`` opens the dashboard on the current context; none → one line."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    result = run()
    assert result.returncode == 2
    assert "no kubeconfig found" in result.stderr and "kubetui demo" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_empty_list_is_nothing_found(tmp_path: Path) -> None:
    dump = tmp_path / "empty.json"
    dump.write_text('{"apiVersion": "v1", "kind": "List", "items": []}')
    result = run("triage", "--from-file", str(dump), "--format", "json")
    assert result.returncode == 0, result.stderr
    assert '"findings": []' in result.stdout
