"""Textual's Linux driver, with output that survives the terminal going away.

Textual 8.2 (``textual/drivers/_writer_thread.py``) writes the screen from one thread
that takes strings from a queue of at most 30 (``MAX_QUEUED_WRITES``). When the terminal
is hung up (its window closed, an ssh connection lost, a pty's master closed) a write
fails with EIO: the exception ends that thread, nothing takes from the queue any more,
and the 31st write blocks the app's event loop for good. Measured on the incidents demo
with its pty's master closed (SIGHUP): 29 of the 30 places were taken by the time the app
had left (a frame, then the mouse, paste, cursor, alternate screen and keyboard protocol
resets); one repaint more and kubetui hung on a closed terminal instead of exiting. Here
the first failed write marks the terminal gone and every later write and flush is
dropped, so the app leaves as it does on a live terminal.
"""

from __future__ import annotations

from typing import IO

from textual.drivers.linux_driver import LinuxDriver


class _Output:
    """The driver's output file; after a write or flush failed (the terminal is gone),
    the rest is dropped."""

    def __init__(self, file: IO[str]) -> None:
        self._file = file
        self.gone = False

    def write(self, text: str) -> None:
        if self.gone:
            return
        try:
            self._file.write(text)
        except OSError:
            self.gone = True

    def flush(self) -> None:
        if self.gone:
            return
        try:
            self._file.flush()
        except OSError:
            self.gone = True

    def fileno(self) -> int:
        return self._file.fileno()

    def isatty(self) -> bool:
        return not self.gone and self._file.isatty()


class TerminalDriver(LinuxDriver):
    """LinuxDriver writing through :class:`_Output` (``LinuxDriver.__init__`` takes
    ``sys.__stderr__`` as its file; ``start_application_mode`` hands it to the writer
    thread)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._file = _Output(self._file)
