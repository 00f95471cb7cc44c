"""The real ``kubetui demo`` in a terminal: it draws, quits on q, restores the terminal
and frees the demo cluster's port.

Driven in tmux when it is installed (the screen is read back with capture-pane), else in
a pseudo-terminal from the ``pty`` module (always available on Linux and macOS).
"""

from __future__ import annotations

import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from tests.ui.pty_terminal import (
    PtyProcess,
    demo_command,
    free_port,
    kubetui_env,
    listening,
    terminal_left_dirty,
    wait,
)


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux not installed (pty test runs)")
def test_demo_under_tmux(tmp_path: Path) -> None:
    port = free_port()
    session = f"kubetui-{uuid.uuid4().hex[:8]}"
    marker = tmp_path / "exit-code"
    shell = " ".join(demo_command(port)) + f"; echo $? > {marker}; echo DEMO-EXITED; sleep 60"
    env = kubetui_env(tmp_path)
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
        wait(lambda: "OOM killed" in screen(), "the findings view")
        text = screen()
        assert "1 Findings" in text and "demo incidents seed 1" in text
        assert listening(port)
        subprocess.run([*tmux, "send-keys", "-t", session, "2"], check=True, env=env)
        wait(lambda: "LAST TERMINATION" in screen(), "the pods view")
        subprocess.run([*tmux, "send-keys", "-t", session, "q"], check=True, env=env)
        wait(lambda: "DEMO-EXITED" in screen(), "kubetui to exit")
        assert marker.read_text().strip() == "0"
        after = screen()
        assert "LAST TERMINATION" not in after  # the alternate screen was left
        assert not listening(port)
    finally:
        subprocess.run([*tmux, "kill-server"], env=env, capture_output=True)


def test_demo_in_a_pty(tmp_path: Path) -> None:
    port = free_port()
    demo = PtyProcess(demo_command(port), kubetui_env(tmp_path))
    try:
        demo.wait_for(b"OOM killed", "the findings view")
        assert listening(port)
        start = len(demo.output)
        demo.press(b"q")
        demo.wait_exit()
    finally:
        demo.close()
    assert demo.exit_code == 0
    tail = bytes(demo.output[start:])
    assert b"\x1b[?1049l" in tail  # left the alternate screen
    assert b"\x1b[?25h" in tail  # cursor shown again
    assert terminal_left_dirty(bytes(demo.output)) == []
    assert not listening(port)
