"""Credentials are taken out of free text (exception messages, tracebacks)."""

from __future__ import annotations

import pytest

from kubetui.model.redaction import REDACTED, redact, register_secret

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
