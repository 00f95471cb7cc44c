"""kubetui's log file: what failed in the background, with its traceback.

The dashboard shows a failure as one inert line (a source's state in the header, a
notice); the whole story, traceback included, goes to ``kubetui.log`` in the XDG state
directory (``kubetui locate log``), rotated by size with the standard library's
``logging.handlers.RotatingFileHandler`` (:data:`MAX_BYTES` per file, :data:`BACKUPS`
old files kept).

Nothing secret is written: every formatted record, traceback included, goes through
``model/redaction.py`` ``redact`` first, which removes ``Authorization`` header values,
``Bearer``/``Basic`` credentials, the values of keys Spark's redaction pattern calls
secret (secret, password, token, access key), the ``user:password@`` of URLs, and any
literal secret registered with ``register_secret`` (the kubeconfig's token).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import Final

from kubetui.model.redaction import redact
from kubetui.paths import log_file

#: The logger every kubetui module logs under (``logging.getLogger(__name__)``).
LOGGER: Final = "kubetui"
MAX_BYTES: Final = 1 << 20
BACKUPS: Final = 3
FORMAT: Final = "%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s"


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


@contextmanager
def headless_log() -> Iterator[None]:
    """The log file for a headless command (``triage``, ``cleanup``): their background
    threads (``triage --watch``'s churn watch) and their deletes log there as the
    dashboard's do. A log that cannot be opened is one line on stderr; the command goes
    on (a report is worth more than its log)."""
    try:
        handler = open_log()
    except OSError as exc:
        print(f"kubetui: no log file: {exc}", file=sys.stderr)
        yield
        return
    try:
        yield
    finally:
        close_log(handler)
