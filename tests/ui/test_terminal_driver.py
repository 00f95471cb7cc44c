"""The terminal driver's output on a hung-up terminal (``kubetui/ui/terminal_driver.py``).

A pty whose master is closed is a hung-up terminal: every write to its slave fails with
EIO. Textual's writer thread, writing to it through the driver's output, must go on
taking writes (dropped) instead of dying, which left its 30-slot queue to fill and the
app's next write to block for good (with Textual's own output this test's writes never
finish).
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Iterator

import pytest
from textual.app import App
from textual.drivers._writer_thread import MAX_QUEUED_WRITES, WriterThread

from kubetui.ui.terminal_driver import TerminalDriver, _Output

#: A deadline for writes that should take milliseconds (they block forever when broken).
DEADLINE = 30.0


@pytest.fixture
def hung_up() -> Iterator[_Output]:
    """The driver's output on a terminal that was hung up."""
    master, slave = os.openpty()
    os.close(master)
    file = os.fdopen(slave, "w")
    yield _Output(file)
    with contextlib.suppress(OSError):  # what failed to be written is still buffered
        file.close()


def test_writes_to_a_hung_up_terminal_are_dropped_not_blocking(hung_up: _Output) -> None:
    writer = WriterThread(hung_up)
    writer.start()
    finished = threading.Event()

    def app_writes() -> None:
        for _ in range(4 * MAX_QUEUED_WRITES):  # a frame, then leaving the app
            writer.write("\x1b[?1049l" * 20)
        writer.stop()  # queues the end and joins the thread
        finished.set()

    threading.Thread(target=app_writes, daemon=True).start()
    assert finished.wait(DEADLINE)
    assert hung_up.gone
    assert not writer.is_alive()


def test_the_output_drops_after_the_first_failure(hung_up: _Output) -> None:
    hung_up.write("x" * 10_000)  # more than the text buffer: written through, EIO
    hung_up.flush()
    assert hung_up.gone
    assert not hung_up.isatty()
    hung_up.write("more")  # no exception: dropped
    hung_up.flush()


async def test_the_driver_writes_through_it() -> None:
    saved = {s: signal.getsignal(s) for s in (signal.SIGTSTP, signal.SIGCONT)}
    try:  # LinuxDriver.__init__ sets handlers for these two
        driver = TerminalDriver(App())
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)
    assert isinstance(driver._file, _Output)
