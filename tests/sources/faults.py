"""Injected failures: a callable that raises where a source does not expect it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


class InjectedFault(RuntimeError):
    """What :class:`Fault` raises: no source handles it on purpose."""


class Fault:
    """``fn``, except that of the calls for which ``when(*args)`` holds, the ``times``
    after the first ``skip`` raise :class:`InjectedFault` (``"injected in <where>"``)
    instead; thread-safe."""

    def __init__(
        self,
        fn: Callable[..., Any],
        where: str,
        *,
        times: int = 1,
        skip: int = 0,
        when: Callable[..., bool] = lambda *args, **kwargs: True,
    ) -> None:
        self.fn = fn
        self.message = f"injected in {where}"
        self.left = times
        self.skip = skip
        self.when = when
        self.raised = 0
        self._lock = threading.Lock()

    @property
    def cause(self) -> str:
        """The one-line cause a source reports for it."""
        return f"InjectedFault: {self.message}"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            fire = self.left > 0 and self.when(*args, **kwargs)
            if fire and self.skip:
                self.skip -= 1
                fire = False
            elif fire:
                self.left -= 1
                self.raised += 1
        if fire:
            raise InjectedFault(self.message)
        return self.fn(*args, **kwargs)
