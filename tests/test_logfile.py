"""The log file: where it is, that it rotates, and that no credential is ever written."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pytest

from kubetui.logfile import (
    LOGGER,
    REDACTED,
    close_log,
    open_log,
    redact,
    register_secret,
)

TOKEN = "eyJhbGciOiJSUzI1NiIsImtpZCI6IjEyMyJ9.payload-42.sig_nature"


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        (f"headers={{'Authorization': 'Bearer {TOKEN}', 'Accept': 'x'}}", "'Accept': 'x'"),
        (f"Authorization: Bearer {TOKEN}\nnext line", "next line"),
        (f"sent Bearer {TOKEN} to the server", "to the server"),
        ("auth Basic YWRtaW46aHVudGVyMg== refused", "refused"),
        ('{"password": "hunter2-xyz", "user": "bob"}', '"user": "bob"'),
        ("password_file=/p spark.hadoop.fs.s3a.access.key=hunter2-xyz ok", "ok"),
        ("GET https://bob:hunter2-xyz@kyuubi:10099/api/v1/batches", "kyuubi:10099/api/v1"),
    ],
)
def test_credentials_are_redacted(text: str, kept: str) -> None:
    shown = redact(text)
    assert TOKEN not in shown and "hunter2" not in shown and "YWRtaW46" not in shown
    assert kept in shown


def test_a_registered_secret_is_redacted_anywhere() -> None:
    secret = "plain-looking-value-9481"
    register_secret(secret)
    assert redact(f"x {secret}y") == f"x {REDACTED}y"
    register_secret("abc")  # too short to be told from ordinary text: ignored
    assert redact("abc") == "abc"


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
