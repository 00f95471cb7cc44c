"""``y`` in a real terminal: the OSC 52 bytes reach the pty, and inside tmux the copy
lands in tmux's paste buffer with ``set-clipboard on`` and is dropped with the default
``external`` (what README says an operator must set)."""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from tests.ui.pty_terminal import PtyProcess, demo_command, free_port, kubetui_env, wait

#: The first finding of the demo's Findings view (most severe kind first, then by name),
#: one row below the cursor's start on its group's title.
FIRST = "etl/kyuubi-hourly-sessionize-1e39ef8e-062e-4c92-8ebb-898ae76db5ef-driver"
OSC52 = re.compile(rb"\x1b\]52;c;([A-Za-z0-9+/=]*)\x07")


def test_osc52_reaches_the_terminal(tmp_path: Path) -> None:
    demo = PtyProcess(demo_command(free_port()), kubetui_env(tmp_path))
    try:
        demo.wait_for(b"OOM killed", "the findings view")
        start = len(demo.output)
        demo.press(b"j")
        demo.press(b"y")
        demo.read_while(
            lambda: OSC52.search(bytes(demo.output[start:])) is not None, "the OSC 52 sequence"
        )
        demo.press(b"q")
        demo.wait_exit()
    finally:
        demo.close()
    (encoded,) = OSC52.findall(bytes(demo.output[start:]))
    assert base64.b64decode(encoded).decode() == FIRST


def _tmux_copy(tmp_path: Path, set_clipboard: str) -> str | None:
    """Press ``y`` in the demo inside a tmux with ``set-clipboard`` set so; tmux's paste
    buffer afterwards (None: no buffer)."""
    session = f"kubetui-{uuid.uuid4().hex[:8]}"
    env = kubetui_env(tmp_path)
    tmux = ["tmux", "-L", session, "-f", "/dev/null"]
    subprocess.run(
        [*tmux, "new-session", "-d", "-s", session, "-x", "160", "-y", "30", "sleep 600"],
        check=True,
        env=env,
    )
    try:
        subprocess.run([*tmux, "set", "-g", "set-clipboard", set_clipboard], check=True, env=env)
        subprocess.run(
            [*tmux, "respawn-pane", "-k", "-t", session, " ".join(demo_command(free_port()))],
            check=True,
            env=env,
        )

        def screen() -> str:
            return subprocess.run(
                [*tmux, "capture-pane", "-p", "-t", session],
                capture_output=True,
                text=True,
                env=env,
            ).stdout

        wait(lambda: "OOM killed" in screen(), "the findings view")
        subprocess.run([*tmux, "send-keys", "-t", session, "j", "y"], check=True, env=env)
        wait(lambda: "copied (OSC 52)" in screen(), "the copy's notification")
        buffer = subprocess.run([*tmux, "show-buffer"], capture_output=True, text=True, env=env)
        return buffer.stdout if buffer.returncode == 0 else None
    finally:
        subprocess.run([*tmux, "kill-server"], env=env, capture_output=True)


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux not installed")
def test_tmux_takes_the_copy_only_with_set_clipboard_on(tmp_path: Path) -> None:
    assert _tmux_copy(tmp_path / "on", "on") == FIRST
    assert _tmux_copy(tmp_path / "external", "external") is None
