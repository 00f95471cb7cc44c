"""kubetui's log file: what failed in the background, with its traceback.

The dashboard shows a failure as one inert line (a source's state in the header, a
notice); the whole story, traceback included, goes to ``kubetui.log`` in the XDG state
directory (``kubetui locate log``), rotated by size with the standard library's
``logging.handlers.RotatingFileHandler`` (:data:`MAX_BYTES` per file, :data:`BACKUPS`
old files kept).

Nothing secret is written: every formatted record, traceback included, goes through
:func:`redact` first, which removes ``Authorization`` header values, ``Bearer``/``Basic``
credentials, the values of keys Spark's redaction pattern calls secret
(``actions/relaunch.py`` ``SECRET_PATTERN``: secret, password, token, access key), the
``user:password@`` of URLs (``actions/plans.py`` ``without_userinfo``), and any literal
secret registered with :func:`register_secret` (the kubeconfig's token).
"""

from __future__ import annotations

import logging
import re
import threading
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import Final

from kubetui.actions.plans import without_userinfo
from kubetui.actions.relaunch import SECRET_PATTERN
from kubetui.paths import log_file

#: The logger every kubetui module logs under (``logging.getLogger(__name__)``).
LOGGER: Final = "kubetui"
MAX_BYTES: Final = 1 << 20
BACKUPS: Final = 3
FORMAT: Final = "%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s"
REDACTED: Final = "<redacted>"

_SECRET_WORDS: Final = SECRET_PATTERN.pattern.removeprefix("(?i)")
#: ``Authorization: …`` / ``'Authorization': '…'`` / ``authorization=…`` up to the line's
#: or the quoted value's end.
_AUTHORIZATION: Final = re.compile(r"""(?i)(\bauthorization['"]?\s*[:=]\s*['"]?)[^'"\r\n]*""")
#: RFC 6750 ``b64token`` and RFC 7617 ``token68`` after the scheme.
_CREDENTIALS: Final = re.compile(r"(?i)\b(bearer|basic)(\s+)[A-Za-z0-9._~+/=-]+")
#: ``password=x``, ``"token": "x"``, ``spark.hadoop.fs.s3a.access.key: x``.
_SECRET_VALUE: Final = re.compile(
    rf"""(?i)([\w.-]*(?:{_SECRET_WORDS})[\w.-]*['"]?\s*[:=]\s*['"]?)[^\s'",;&}}\]]+"""
)

_secrets: set[str] = set()
_secrets_lock = threading.Lock()


def register_secret(value: str | None) -> None:
    """Never write ``value`` to the log (shorter than 4 characters: ignored)."""
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


class RedactingFormatter(logging.Formatter):
    """The standard formatter, its whole output (message and traceback) redacted."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def open_log(path: Path | None = None) -> RotatingFileHandler:
    """Start writing kubetui's records (INFO and up) to ``path`` (default: the state
    dir's ``kubetui.log``); OSError when the directory cannot be made."""
    path = path or log_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = RotatingFileHandler(
        path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8", delay=True
    )
    handler.setFormatter(RedactingFormatter(FORMAT))
    logger = logging.getLogger(LOGGER)
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    return handler


def close_log(handler: logging.Handler) -> None:
    logging.getLogger(LOGGER).removeHandler(handler)
    handler.close()
