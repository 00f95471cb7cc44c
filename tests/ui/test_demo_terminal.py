"""The real ``kubetui demo`` in a terminal: it draws, quits on q, restores the terminal
and frees the demo cluster's port.

Driven in tmux when it is installed (the screen is read back with capture-pane), else in
a pseudo-terminal from the ``pty`` module (always available on Linux and macOS).
"""

from __future__ import annotations

import os
import pty
import select
import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

DEADLINE = 30.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ, TERM="xterm-256color", XDG_CONFIG_HOME=str(tmp_path))
    env.pop("NO_COLOR", None)
    return env


def _command(port: int) -> list[str]:
    return [sys.executable, "-m", "kubetui", "demo", "--port", str(port)]


def _wait(predicate, what: str) -> None:
    end = time.monotonic() + DEADLINE
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.1)  # polling a condition with a deadline, not a blind sleep
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux not installed (pty test runs)")
def test_demo_under_tmux(tmp_path: Path) -> None:
    port = _free_port()
    session = f"kubetui-{uuid.uuid4().hex[:8]}"
    marker = tmp_path / "exit-code"
    shell = " ".join(_command(port)) + f"; echo $? > {marker}; echo DEMO-EXITED; sleep 60"
    env = _env(tmp_path)
    tmux = ["tmux", "-L", session]
    subprocess.run(
        [*tmux, "new-session", "-d", "-s", session, "-x", "100", "-y", "30", shell],
        check=True,
        env=env,
    )

    def screen() -> str:
        return subprocess.run(
            [*tmux, "capture-pane", "-p", "-t", session], capture_output=True, text=True, env=env
        ).stdout

    try:
        _wait(lambda: "OOM killed" in screen(), "the findings view")
        text = screen()
        assert "1 Findings" in text and "demo incidents seed 1" in text
        assert _listening(port)
        subprocess.run([*tmux, "send-keys", "-t", session, "2"], check=True, env=env)
        _wait(lambda: "LAST TERMINATION" in screen(), "the pods view")
        subprocess.run([*tmux, "send-keys", "-t", session, "q"], check=True, env=env)
        _wait(lambda: "DEMO-EXITED" in screen(), "kubetui to exit")
        assert marker.read_text().strip() == "0"
        after = screen()
        assert "LAST TERMINATION" not in after  # the alternate screen was left
        assert not _listening(port)
    finally:
        subprocess.run([*tmux, "kill-server"], env=env, capture_output=True)


def test_demo_in_a_pty(tmp_path: Path) -> None:
    port = _free_port()
    pid, fd = pty.fork()
    if pid == 0:  # the child: become kubetui on the pty
        os.execve(sys.executable, _command(port), _env(tmp_path))
    import fcntl
    import struct
    import termios

    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    output = bytearray()

    def drain() -> None:
        while select.select([fd], [], [], 0.05)[0]:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                return
            if not chunk:
                return
            output.extend(chunk)

    def seen(needle: bytes) -> bool:
        drain()
        return needle in output

    exit_status: list[int] = []

    def exited() -> bool:
        drain()
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            exit_status.append(status)
        return bool(done)

    try:
        _wait(lambda: seen(b"OOM killed"), "the findings view")
        assert _listening(port)
        start = len(output)
        os.write(fd, b"q")
        _wait(exited, "kubetui to exit")
    finally:
        if not exit_status:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
        os.close(fd)
    assert os.waitstatus_to_exitcode(exit_status[0]) == 0
    tail = bytes(output[start:])
    assert b"\x1b[?1049l" in tail  # left the alternate screen
    assert b"\x1b[?25h" in tail  # cursor shown again
    assert not _listening(port)
