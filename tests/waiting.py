"""Waiting for what another thread or process does: the one polling loop the tests
share, so that each says only what it waits for, how long it may take and how often to
look (often against the in-process sim, less often against a real server)."""

from __future__ import annotations

import time
from collections.abc import Callable


def until(condition: Callable[[], object], what: str, *, timeout: float, interval: float) -> None:
    """Return once ``condition()`` is true; AssertionError naming ``what`` when it is
    still false ``timeout`` seconds on."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(interval)
