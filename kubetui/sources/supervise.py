"""Source threads that fail loudly and come back.

Each source handles the failures it expects (an unreachable server, a refused request,
an unreadable answer) itself, as ``reconnecting``, ``stale`` or ``forbidden``. Anything
else (a bug, a decoder's surprise, a callback that raised) used to end the source's
thread while its data went on saying ``live``. :func:`supervise` runs a source's body so
that such an exception is instead

* logged with its traceback (logger ``kubetui.sources.supervise``; the dashboard writes
  kubetui's records to its log file, ``kubetui/logfile.py``);
* reported through the source's own channel as its ``error`` state, with the cause in
  one line (:func:`crash_cause`: inert, credentials redacted) and ``stale`` set when the
  source had delivered data, which is kept but no longer follows the cluster;
* followed by the body being run again after the next delay of the source's
  :class:`Backoff`, until the source is stopped.

client-go runs a reflector the same way: ``Reflector.Run`` calls ``ListAndWatch`` inside
``wait.BackoffUntil`` with the reflector's backoff manager, so whatever ends it, it
starts over after the next delay (kubernetes/client-go ``tools/cache/reflector.go``,
master 32ce75a7d6bc). :class:`Poller` is the same loop for the sources that poll.
"""

from __future__ import annotations

import logging
import math
import random
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Final, Generic, TypeVar

from kubetui.model.inert_text import inert, single_line
from kubetui.model.redaction import redact

log = logging.getLogger(__name__)

# client-go tools/cache/reflector.go (master 32ce75a7d6bc): defaultBackoff{Init,Max,Reset,
# Factor,Jitter}.
BACKOFF_INIT: Final = 0.8
BACKOFF_MAX: Final = 30.0
BACKOFF_RESET: Final = 120.0
BACKOFF_FACTOR: Final = 2.0
BACKOFF_JITTER: Final = 1.0
#: A cause is cut to this many characters.
CAUSE_CHARS: Final = 300

U = TypeVar("U")


class Backoff:
    """apimachinery ``wait.Backoff.DelayWithReset`` (pkg/util/wait/backoff.go, master
    eed236ceee2c, 2026-07-23): exponential, jittered, capped; back to the initial
    duration once ``reset`` seconds have passed since the last reset."""

    def __init__(
        self,
        initial: float = BACKOFF_INIT,
        cap: float = BACKOFF_MAX,
        factor: float = BACKOFF_FACTOR,
        jitter: float = BACKOFF_JITTER,
        steps: int | None = None,
        reset: float = BACKOFF_RESET,
        *,
        clock: Callable[[], float] = time.monotonic,
        rand: Callable[[], float] = random.random,
    ) -> None:
        if steps is None:
            # reflector.go: Steps = ceil(defaultBackoffMax / defaultBackoffInit)
            steps = math.ceil(cap / initial)
        if reset <= 0:  # DelayWithReset: no reset interval means no backoff growth
            steps, factor = 0, 0.0
        self._initial = (initial, steps)
        self._duration, self._steps = initial, steps
        self._cap, self._factor, self._jitter = cap, factor, jitter
        self._reset = reset
        self._clock, self._rand = clock, rand
        self._last_reset = clock()

    def step(self) -> float:
        """The next delay in seconds (backoffManager.Step, then Backoff.Step)."""
        now = self._clock()
        if self._reset <= 0 or now - self._last_reset > self._reset:
            self._duration, self._steps = self._initial
            self._last_reset = now
        # backoff.go delay()
        duration = self._duration
        if self._steps < 1:
            return self._jittered(duration)
        self._steps -= 1
        following = duration * self._factor if self._factor else duration
        if self._cap > 0 and following > self._cap:
            following, self._steps = self._cap, 0
        self._duration = following
        return self._jittered(duration)

    def _jittered(self, duration: float) -> float:
        """wait.Jitter: duration + rand × jitter × duration (none when jitter ≤ 0)."""
        return duration + self._rand() * self._jitter * duration if self._jitter > 0 else duration


class Stopped(Exception):
    """The source was asked to stop (ends a supervised body quietly)."""


def crash_cause(exc: BaseException) -> str:
    """``RuntimeError: boom`` in one inert line without credentials (the type alone when
    the exception says nothing)."""
    text = single_line(redact(inert(str(exc)))).strip()
    cause = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return cause if len(cause) <= CAUSE_CHARS else cause[: CAUSE_CHARS - 1] + "…"


def log_failure(name: str, exc: BaseException, delay: float) -> str:
    """Log ``exc`` with its traceback (source ``name`` starts over in ``delay`` seconds)
    and return its cause; for the threads :func:`supervise` cannot run (Textual's thread
    workers)."""
    log.error("source %s failed; restarting in %.1f s", name, delay, exc_info=exc)
    return crash_cause(exc)


def supervise(
    body: Callable[[], None],
    *,
    name: str,
    crashed: Callable[[str], None],
    wait: Callable[[float], bool],
    backoff: Backoff,
) -> None:
    """Run ``body`` until it returns or raises :class:`Stopped`. When it raises anything
    else: log the traceback, call ``crashed`` with the cause, ``wait`` the backoff's next
    delay (``wait`` returns True when the source is stopping) and run ``body`` again."""
    while True:
        try:
            body()
            return
        except Stopped:
            return
        except Exception as exc:
            delay = backoff.step()
            cause = log_failure(name, exc, delay)
            try:
                crashed(cause)
            except Stopped:
                return
            except Exception as also:
                log.error("source %s: reporting its failure failed too", name, exc_info=also)
        if wait(delay):
            return


class Poller(ABC, Generic[U]):
    """A source that polls: :meth:`poll_once` at once, then ``interval`` seconds after
    each poll ends (a slow server never stacks polls), each result posted, on one
    supervised thread; :meth:`crashed` is what is posted when a poll or the post raised.
    """

    #: The thread's name and the source's name in the log.
    NAME: str = "poll"

    def __init__(self, interval: float, *, backoff: Backoff | None = None) -> None:
        self.interval = interval
        self.backoff = backoff or Backoff()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @abstractmethod
    def poll_once(self) -> U:
        """Poll now; the update to post (the failures a poll expects reported in it)."""

    @abstractmethod
    def crashed(self, cause: str) -> U:
        """The update saying the source failed with ``cause`` (its last data, stale)."""

    def done(self, update: U) -> bool:
        """Whether polling ends after ``update`` (never, unless a poller says so)."""
        return False

    def start(self, post: Callable[[U], None]) -> None:
        def run() -> None:
            while not self._stop.is_set():
                update = self.poll_once()
                post(update)
                if self.done(update):
                    return
                self._stop.wait(self.interval)

        def thread() -> None:
            supervise(
                run,
                name=self.NAME,
                crashed=lambda cause: post(self.crashed(cause)),
                wait=self._stop.wait,
                backoff=self.backoff,
            )

        self._thread = threading.Thread(target=thread, name=self.NAME, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop after the current poll."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
