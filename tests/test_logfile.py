"""The log file: where it is, that it rotates, and that no credential is written to it."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

from kubetui.logfile import LOGGER, close_log, open_log

TOKEN = "eyJhbGciOiJSUzI1NiIsImtpZCI6IjEyMyJ9.payload-42.sig_nature"


def test_tracebacks_rotate_and_are_redacted(tmp_path: Path) -> None:
    path = tmp_path / "state" / "kubetui.log"
    handler = open_log(path)
    handler.maxBytes = 2000
    log = logging.getLogger(f"{LOGGER}.test")
    try:
        for n in range(20):
            try:
                raise RuntimeError(f"boom {n}: Authorization: Bearer {TOKEN}")
            except RuntimeError:
                log.exception("source crashed")
    finally:
        close_log(handler)
    files = sorted(path.parent.glob("kubetui.log*"))
    assert [f.name for f in files] == ["kubetui.log", *(f"kubetui.log.{n}" for n in (1, 2, 3))]
    text = "".join(f.read_text() for f in files)
    assert "Traceback (most recent call last)" in text and "RuntimeError: boom 19" in text
    assert TOKEN not in text
    assert handler not in logging.getLogger(LOGGER).handlers


def test_locate_prints_the_log_file(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "kubetui", "locate", "log"],
        capture_output=True,
        text=True,
        check=True,
        env={"XDG_STATE_HOME": str(tmp_path), "HOME": str(tmp_path)},
    )
    assert run.stdout.strip() == str(tmp_path / "kubetui" / "kubetui.log")
