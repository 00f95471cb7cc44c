"""A broken kubeconfig is one line naming the file and what is wrong, exit 2, for triage,
cleanup and the dashboard (which must fail before it takes the terminal)."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import pytest
import yaml

from kubetui.cli import main

GOOD_CA = base64.b64encode(b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")


def config(
    *,
    cluster: dict | None = None,
    user: dict | None = None,
    context: dict | None = None,
    **top: object,
) -> dict:
    """A kubeconfig with one cluster, user and context, each replaceable."""
    document: dict = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": "c",
                "cluster": cluster
                if cluster is not None
                else {
                    "server": "https://127.0.0.1:1",
                    "certificate-authority-data": GOOD_CA.decode(),
                },
            }
        ],
        "users": [{"name": "u", "user": user if user is not None else {"token": "t"}}],
        "contexts": [
            {
                "name": "x",
                "context": context if context is not None else {"cluster": "c", "user": "u"},
            }
        ],
        "current-context": "x",
    }
    document.update(top)
    return document


def dumped(document: object) -> str:
    return yaml.safe_dump(document)


#: case id → (file text, or a callable making the path; words the message must hold)
CASES: dict[str, tuple[object, tuple[str, ...]]] = {
    "passwd": (Path("/etc/passwd").read_text(), ("is a string", "not a kubeconfig")),
    "not-yaml": ("clusters: [\n  - name: {", ("not YAML at line",)),
    "yaml-list": ("- a\n- b\n", ("is a list", "not a kubeconfig")),
    "empty": ("", ("is empty",)),
    "binary": (b"\x7fELF\x02\x01\xff\xfe", ("not text",)),
    "clusters-not-list": (dumped(config(clusters=5)), ("clusters is a number",)),
    "users-a-mapping": (dumped(config(users={"u": {}})), ("users is a mapping",)),
    "context-entry-a-string": (dumped(config(contexts=["x"])), ("contexts[0] is a string",)),
    "entry-without-name": (
        dumped(config(users=[{"user": {"token": "t"}}])),
        ("users[0] has no name",),
    ),
    "cluster-body-a-list": (dumped(config(cluster=["https://x"])), ("cluster is a list",)),
    "server-a-number": (dumped(config(cluster={"server": 443})), (".server is a number",)),
    "no-server": (dumped(config(cluster={"insecure-skip-tls-verify": True})), ("has no server",)),
    "bad-ca-base64": (
        dumped(config(cluster={"server": "https://h", "certificate-authority-data": "%%%"})),
        ("certificate-authority-data is not base64",),
    ),
    "bad-client-key-base64": (
        dumped(config(user={"client-certificate-data": "!!", "client-key-data": "??"})),
        ("client-certificate-data is not base64",),
    ),
    "ca-file-missing": (
        dumped(config(cluster={"server": "https://h", "certificate-authority": "nope.crt"})),
        ("certificate-authority: nope.crt: no such file",),
    ),
    "token-file-missing": (
        dumped(config(user={"tokenFile": "/nonexistent/token"})),
        ("tokenFile: /nonexistent/token: no such file",),
    ),
    "no-clusters": (dumped(config(clusters=[])), ("names cluster 'c'", "not among its clusters")),
    "no-users": (dumped(config(users=None)), ("names user 'u'", "not among its users")),
    "no-contexts": (dumped(config(contexts=[])), ("current-context 'x' is not among",)),
    "no-current-context": (dumped(config(**{"current-context": ""})), ("no current-context",)),
    "current-context-a-list": (
        dumped(config(**{"current-context": ["x"]})),
        ("current-context is a list",),
    ),
    "exec-not-mapping": (dumped(config(user={"exec": "gcloud"})), ("exec is a string",)),
    "exec-without-command": (
        dumped(config(user={"exec": {"apiVersion": "x"}})),
        ("exec has no command",),
    ),
    "exec-missing": (
        dumped(
            config(
                user={
                    "exec": {
                        "apiVersion": "client.authentication.k8s.io/v1",
                        "command": "/nonexistent/credential-plugin",
                        "interactiveMode": "Never",
                    }
                }
            )
        ),
        ("credentials of user 'u'",),
    ),
    "exec-failing": (
        dumped(
            config(
                user={
                    "exec": {
                        "apiVersion": "client.authentication.k8s.io/v1",
                        "command": "sh",
                        "args": ["-c", "echo denied >&2; exit 3"],
                        "interactiveMode": "Never",
                    }
                }
            )
        ),
        ("credentials of user 'u'",),
    ),
    "exec-garbage": (
        dumped(
            config(
                user={
                    "exec": {
                        "apiVersion": "client.authentication.k8s.io/v1",
                        "command": "sh",
                        "args": ["-c", "printf '\\033]52;c;aGk=\\007 not json'"],
                        "interactiveMode": "Never",
                    }
                }
            )
        ),
        ("credentials of user 'u'",),
    ),
}

COMMANDS = {
    "triage": ["triage"],
    "cleanup": ["cleanup", "--zombies", "--dry-run"],
    "dashboard": [],
}


def _write(tmp_path: Path, content: object) -> Path:
    path = tmp_path / "kubeconfig"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(str(content))
    return path


def _run(
    argv: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp: Path
) -> tuple[int, str]:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp / "config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp / "state"))
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.err


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize("case", list(CASES))
def test_broken_kubeconfig_is_one_line_naming_the_file(
    case: str,
    command: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    content, words = CASES[case]
    path = _write(tmp_path, content)
    code, err = _run(["--kubeconfig", str(path), *COMMANDS[command]], capsys, monkeypatch, tmp_path)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert str(path) in lines[0]
    for word in words:
        assert word in lines[0], lines[0]
    assert "\x1b" not in err and "\x07" not in err  # a plugin's escape stays inert
    assert "Traceback" not in err


@pytest.mark.parametrize("command", list(COMMANDS))
def test_directory_and_unreadable_file(
    command: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    code, err = _run(
        ["--kubeconfig", str(tmp_path), *COMMANDS[command]], capsys, monkeypatch, tmp_path
    )
    assert (
        code == 2 and err.strip() == f"kubetui: kubeconfig {tmp_path}: is a directory, not a file"
    )
    # through KUBECONFIG, where kubectl merges files: a directory in the list is named too
    monkeypatch.setenv("KUBECONFIG", str(tmp_path))
    code, err = _run(COMMANDS[command], capsys, monkeypatch, tmp_path)
    assert code == 2 and "is a directory" in err and len(err.strip().splitlines()) == 1
    if os.geteuid() == 0:
        return  # root reads any file; the permission case cannot happen
    path = _write(tmp_path, dumped(config()))
    path.chmod(0)
    try:
        code, err = _run(
            ["--kubeconfig", str(path), *COMMANDS[command]], capsys, monkeypatch, tmp_path
        )
    finally:
        path.chmod(stat.S_IRUSR | stat.S_IWUSR)
    assert code == 2 and "permission denied" in err
