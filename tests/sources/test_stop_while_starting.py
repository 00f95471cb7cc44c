"""A source stopped with no wait (kubetui quitting or signalled during its first sync,
``KubetuiApp.source_stop_wait`` 0) while it starts a reflector: ``stop`` must not join a
reflector it lists before that reflector's thread is started, since ``Thread.join``
raises RuntimeError then, which ended the dashboard with exit code 1
(tests/ui/test_terminal_signals.py). The stop comes from another thread just before
each reflector starts.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from kubetui.sources.ingest import Ingest
from kubetui.sources.reflector import Reflector


def _stop_before_each_start(
    monkeypatch: pytest.MonkeyPatch, stop: Callable[[], None]
) -> tuple[list[threading.Thread], list[BaseException]]:
    stoppers: list[threading.Thread] = []
    failures: list[BaseException] = []
    start = Reflector.start

    def stopping() -> None:
        try:
            stop()
        except BaseException as exc:
            failures.append(exc)

    def start_after_a_stop(reflector: Reflector) -> None:
        stopper = threading.Thread(target=stopping)
        stopper.start()
        stoppers.append(stopper)  # once started: the test thread joins what it finds here
        stopper.join(0.3)  # it runs now, or waits for what the start holds
        start(reflector)

    monkeypatch.setattr(Reflector, "start", start_after_a_stop)
    return stoppers, failures


def test_ingest(monkeypatch: pytest.MonkeyPatch) -> None:
    ingest = Ingest(object(), freeze_gc=False)  # type: ignore[arg-type]  # never reached
    stoppers, failures = _stop_before_each_start(monkeypatch, lambda: ingest.stop(0))
    ingest.start(lambda _: None)
    assert stoppers, "no reflector started"
    for stopper in stoppers:
        stopper.join(10)
        assert not stopper.is_alive()
    assert failures == []
