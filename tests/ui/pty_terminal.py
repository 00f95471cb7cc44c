"""kubetui in a pseudo-terminal: start it, read everything it writes, signal it or hang
up its terminal, and judge what it left behind (terminal modes, processes, ports).

Shared by ``test_demo_terminal.py`` and ``test_terminal_signals.py``. Every wait polls
the pty output (or the process) against a deadline; none sleeps a fixed time.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import signal
import socket
import struct
import sys
import termios
import time
from collections.abc import Callable
from pathlib import Path

#: How long a wait for something on the screen may take before the test fails (a
#: deadline for polling, not a speed bound).
DEADLINE = 30.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def kubetui_env(tmp_path: Path) -> dict[str, str]:
    """The environment of a kubetui under test: a 256-colour terminal, colour on, its
    own config and state dirs (no user config, the log file under ``tmp_path``)."""
    env = dict(
        os.environ,
        TERM="xterm-256color",
        XDG_CONFIG_HOME=str(tmp_path),
        XDG_STATE_HOME=str(tmp_path / "state"),
    )
    env.pop("NO_COLOR", None)
    return env


def demo_command(port: int, *extra: str) -> list[str]:
    return [sys.executable, "-m", "kubetui", "demo", "--port", str(port), *extra]


def wait(predicate: Callable[[], bool], what: str, deadline: float = DEADLINE) -> None:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.1)  # polling a condition with a deadline, not a blind sleep
    raise AssertionError(f"timed out waiting for {what}")


# ------------------------------------------------------------------ the pty process


class PtyProcess:
    """``argv`` as the session leader of a new pseudo-terminal (``pty.fork``: the pty is
    its controlling terminal, so closing our end hangs it up and the kernel sends it
    SIGHUP). ``output`` is everything it wrote."""

    def __init__(self, argv: list[str], env: dict[str, str], *, rows=30, cols=100) -> None:
        pid, fd = pty.fork()
        if pid == 0:  # the child: size the terminal first (no resize race), become argv
            try:
                fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
                # An interactive terminal's dispositions: a test run started in the
                # background (as a CI script may be) inherits SIGINT ignored, which kubetui
                # rightly keeps ignored (nohup's contract); a terminal session has it on.
                for sig in (signal.SIGINT, signal.SIGQUIT, signal.SIGTERM, signal.SIGHUP):
                    signal.signal(sig, signal.SIG_DFL)
                os.execve(argv[0], argv, env)
            finally:
                os._exit(127)
        self.pid = pid
        self.fd: int | None = fd
        # Readable once the process has ended (Linux 5.3); else waitpid is polled.
        self._pidfd = os.pidfd_open(pid) if hasattr(os, "pidfd_open") else None
        self._eof = False
        self.output = bytearray()
        self.status: int | None = None

    # reading

    def _read_once(self) -> None:
        assert self.fd is not None
        try:
            chunk = os.read(self.fd, 65536)
        except OSError:  # EIO: no process has the terminal open any more
            chunk = b""
        if chunk:
            self.output.extend(chunk)
        else:
            self._eof = True

    def _wait(self, timeout: float) -> bool:
        """Wait up to ``timeout`` s for output (read it) or the end of the process;
        whether it has ended."""
        fds = [self.fd] if self.fd is not None and not self._eof else []
        if self._pidfd is not None:
            fds.append(self._pidfd)
        else:
            timeout = min(timeout, 0.01)
        ready = select.select(fds, [], [], max(0.0, timeout))[0] if fds else []
        if not fds:
            time.sleep(max(0.0, timeout))  # nothing to select on: poll waitpid below
        if self.fd is not None and self.fd in ready:
            self._read_once()
        if self._pidfd is not None:
            return self._pidfd in ready
        if self.status is None:
            done, status = os.waitpid(self.pid, os.WNOHANG)
            if done:
                self.status = status
        return self.status is not None

    def wait_for(self, needle: bytes, what: str, deadline: float = DEADLINE) -> None:
        """Read until ``needle`` is in the output; fail if the process exits first."""
        self.read_while(lambda: needle in self.output, what, deadline)

    def read_while(self, predicate: Callable[[], bool], what: str, deadline=DEADLINE) -> None:
        """Go on reading the output until ``predicate()`` holds; fail if the process
        exits first."""
        end = time.monotonic() + deadline
        while not predicate():
            left = end - time.monotonic()
            if left <= 0:
                raise AssertionError(f"timed out waiting for {what}: {self.tail()!r}")
            if self._wait(min(left, 0.1)) and not predicate():
                raise AssertionError(f"kubetui exited waiting for {what}: {self.tail()!r}")

    def tail(self, size: int = 600) -> str:
        text = re.sub(rb"\x1b\[[0-9;?<>=$]*[A-Za-z~]", b"", bytes(self.output[-4 * size :]))
        return text.decode("utf-8", "replace")[-size:]

    # ending

    def send_signal(self, sig: int) -> float:
        """Send ``sig``; when (``time.monotonic``)."""
        sent = time.monotonic()
        os.kill(self.pid, sig)
        return sent

    def press(self, keys: bytes) -> float:
        """Type ``keys``; when."""
        assert self.fd is not None
        typed = time.monotonic()
        os.write(self.fd, keys)
        return typed

    def close_terminal(self) -> float:
        """Close our end of the pty (the terminal window goes away); when."""
        assert self.fd is not None
        closed = time.monotonic()
        os.close(self.fd)
        self.fd = None
        return closed

    def wait_exit(self, deadline: float = DEADLINE) -> float:
        """Read the output until the process exits; when it exited. Then reap it
        (``status``) and read what is left in the pty."""
        end = time.monotonic() + deadline
        while not self._wait(end - time.monotonic()):
            if time.monotonic() >= end:
                raise AssertionError(f"kubetui did not exit in {deadline} s: {self.tail()!r}")
        exited = time.monotonic()
        if self.status is None:
            _, self.status = os.waitpid(self.pid, 0)
        # The rest, up to EIO; a process left holding the terminal (an orphan: the
        # test fails on it) must not hang this read, hence the select.
        while self.fd is not None and not self._eof and select.select([self.fd], [], [], 1)[0]:
            self._read_once()
        return exited

    @property
    def exit_code(self) -> int:
        assert self.status is not None
        return os.waitstatus_to_exitcode(self.status)

    def close(self) -> None:
        """Kill the process if it still runs; close the pty and the pidfd."""
        if self.status is None:
            os.kill(self.pid, signal.SIGKILL)
            _, self.status = os.waitpid(self.pid, 0)
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
        if self._pidfd is not None:
            os.close(self._pidfd)


# ------------------------------------------------------------------ what it left


_PRIVATE_MODE = re.compile(rb"\x1b\[\?([0-9;]+)([hl])")
_KITTY_PUSH = re.compile(rb"\x1b\[>[0-9]*u")
_KITTY_POP = re.compile(rb"\x1b\[<[0-9]*u")

#: DEC private modes an app turns on and must turn off: the alternate screen, mouse
#: tracking (X10/normal, button-event, any-event; urxvt and SGR encodings), focus
#: events and bracketed paste (xterm's ctlseqs); the cursor's visibility (25) is the
#: one that must end *on*.
MODES_OFF_AT_EXIT = {
    1049: "alternate screen",
    1000: "mouse tracking (normal)",
    1002: "mouse tracking (button-event)",
    1003: "mouse tracking (any-event)",
    1006: "SGR mouse encoding",
    1015: "urxvt mouse encoding",
    1004: "focus events",
    2004: "bracketed paste",
}


def private_modes(output: bytes) -> dict[int, bool]:
    """Each DEC private mode's last setting in ``output`` (``CSI ? n h`` on, ``l`` off;
    several modes may share one sequence)."""
    modes: dict[int, bool] = {}
    for match in _PRIVATE_MODE.finditer(output):
        for number in match.group(1).split(b";"):
            if number:
                modes[int(number)] = match.group(2) == b"h"
    return modes


def terminal_left_dirty(output: bytes) -> list[str]:
    """What ``output`` leaves on a terminal that a shell prompt would suffer from
    (empty: restored)."""
    modes = private_modes(output)
    problems = [f"{name} left on" for n, name in MODES_OFF_AT_EXIT.items() if modes.get(n)]
    if modes.get(25) is False:
        problems.append("cursor left hidden")
    pushes = [m.end() for m in _KITTY_PUSH.finditer(output)]
    pops = [m.end() for m in _KITTY_POP.finditer(output)]
    if pushes and (not pops or pops[-1] < pushes[-1]):
        problems.append("kitty keyboard protocol left pushed")
    return problems


def _stat(pid: str) -> tuple[int, int] | None:
    """(parent pid, session id) of a process, None once it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) "
    return int(fields[1]), int(fields[3])


def processes_where(test: Callable[[int, int], bool]) -> set[int]:
    """Pids of the processes whose (parent, session) pass ``test`` (read from /proc)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = _stat(entry.name)
            if stat is not None and test(*stat):
                found.add(int(entry.name))
    return found


def children_of(pid: int) -> set[int]:
    return processes_where(lambda parent, _session: parent == pid)


def in_session(sid: int) -> set[int]:
    """The processes still in session ``sid`` (a pty child leads its own)."""
    return processes_where(lambda _parent, session: session == sid)


def alive(pids: set[int]) -> set[int]:
    return {pid for pid in pids if Path(f"/proc/{pid}").exists()}
