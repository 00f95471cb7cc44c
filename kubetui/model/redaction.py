"""Credentials out of text that is shown, recorded or logged.

:data:`SECRET_PATTERN` is Spark's default ``spark.redaction.regex`` (apache/spark master
@ ba6e1ce1: ``core/.../internal/config/package.scala`` SECRET_REDACTION_PATTERN, the
launcher's ``CommandBuilderUtils.java`` copy): a conf key or value it matches is secret
(``actions/relaunch.py`` applies it to batch requests). :func:`without_userinfo` drops the
``user:password@`` of URLs. :func:`redact` applies both to free text (an exception's
message, a traceback) together with the credential shapes of HTTP: ``Authorization``
header values and ``Bearer``/``Basic`` credentials, plus any literal secret registered
with :func:`register_secret`.
"""

from __future__ import annotations

import re
import threading
from typing import Final

SECRET_PATTERN: Final = re.compile(r"(?i)secret|password|token|access[.]?key")
#: What :func:`redact` puts in place of a secret.
REDACTED: Final = "<redacted>"

#: ``scheme://user:password@`` of a URL (greedy up to the last ``@`` before the path, so a
#: raw ``@`` in a password is taken too).
_USERINFO: Final = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s]*@")
#: ``Authorization: …``, ``'Authorization': '…'``, ``authorization=…``: the value up to
#: the line's or the quoted value's end.
_AUTHORIZATION: Final = re.compile(r"""(?i)(\bauthorization['"]?\s*[:=]\s*['"]?)[^'"\r\n]*""")
#: RFC 6750 ``b64token`` and RFC 7617 ``token68`` after the scheme.
_CREDENTIALS: Final = re.compile(r"(?i)\b(bearer|basic)(\s+)[A-Za-z0-9._~+/=-]+")
#: ``password=x``, ``"token": "x"``, ``spark.hadoop.fs.s3a.access.key: x``.
_SECRET_VALUE: Final = re.compile(
    rf"""(?i)([\w.-]*(?:{SECRET_PATTERN.pattern.removeprefix("(?i)")})[\w.-]*['"]?\s*[:=]\s*"""
    r"""['"]?)[^\s'",;&}\]]+"""
)

_secrets: set[str] = set()
_secrets_lock = threading.Lock()


def without_userinfo(text: str) -> str:
    """``text`` with the ``user:password@`` part of every URL in it removed.

    A Kyuubi URL may be written with credentials in it; everything shown, reported or
    written to the audit log (calls, errors naming the server) goes through this.
    """
    return _USERINFO.sub(r"\1", text)


def register_secret(value: str | None) -> None:
    """Make :func:`redact` remove ``value`` wherever it appears (values shorter than 4
    characters are ignored: they cannot be told from ordinary text)."""
    if value and len(value) >= 4:
        with _secrets_lock:
            _secrets.add(value)


def redact(text: str) -> str:
    """``text`` without credentials (see the module docstring)."""
    with _secrets_lock:
        known = sorted(_secrets, key=len, reverse=True)
    for secret in known:
        text = text.replace(secret, REDACTED)
    text = _AUTHORIZATION.sub(rf"\1{REDACTED}", text)
    text = _CREDENTIALS.sub(rf"\1\2{REDACTED}", text)
    text = _SECRET_VALUE.sub(rf"\1{REDACTED}", text)
    return without_userinfo(text)
