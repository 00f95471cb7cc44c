"""What the cached build scripts (scripts/control-plane/build.py, scripts/kyuubi/build.py,
scripts/peers/build.py) share: their one-line error, the telling line of a build log, the
versions.env reader, the cache directory, the stamp check, the progress lines and the
command line (``--force``, ``--print-root``; a failure is one line on stderr and exit 1).

Only the standard library, so it runs before the project's venv exists (.ci/run).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path


class BuildError(Exception):
    """One line for the user; the details are in the build log."""


def last_error(log_path: Path) -> str:
    """The most telling line of a build log: the last one that reads like an error."""
    lines = [line.strip() for line in log_path.read_text(errors="replace").splitlines()]
    lines = [line for line in lines if line and not line.startswith("$ ")]
    for line in reversed(lines):
        if re.search(
            r"error|refused|forbidden|not found|cannot|unknown|40[34]|410|invalid", line, re.I
        ):
            return line[:300]
    return lines[-1][:300] if lines else "no output"


def read_versions(
    path: Path, required: tuple[str, ...], pattern: str, shape: str
) -> dict[str, str]:
    """KEY=VALUE lines of ``path`` (comments and blanks ignored), each value matching
    ``pattern`` (``shape`` says it to the user); every ``required`` key present."""
    versions: dict[str, str] = {}
    for number, raw in enumerate(path.read_text().splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep or not re.fullmatch(pattern, value.strip()):
            raise BuildError(f"{path}:{number}: expected KEY={shape}, got {raw!r}")
        versions[key.strip()] = value.strip()
    for key in required:
        if key not in versions:
            raise BuildError(f"{path}: {key} is missing")
    return versions


def cache_root(env_var: str, kind: str, tag: str) -> Path:
    """``$env_var`` if set, else ~/.cache/kubetui/<kind>/<tag> (one directory per versions)."""
    override = os.environ.get(env_var)
    if override:
        return Path(override).expanduser()
    return Path.home() / ".cache" / "kubetui" / kind / tag


def stamped(stamp_path: Path, wanted: object) -> bool:
    """Whether ``stamp_path`` records exactly ``wanted``: a build writes its stamp last, so
    one that stopped half-way, or was made for other versions, is not taken as cached."""
    return stamp_path.exists() and json.loads(stamp_path.read_text()) == wanted


class Progress:
    """The progress lines of a build on stdout, ``<prog>: <text>``, flushed at once so that
    they stand in order beside the build tools' output in a CI log."""

    def __init__(self, prog: str) -> None:
        self.prog = prog

    def say(self, text: str) -> None:
        print(f"{self.prog}: {text}", flush=True)

    def timed(self, what: str, step: Callable[[], object]) -> None:
        """Run ``step`` between a line saying ``what`` starts and one saying how long it took."""
        self.say(f"{what} ...")
        started = time.monotonic()
        step()
        self.say(f"{what}: done in {time.monotonic() - started:.0f} s")


def run(
    prog: str,
    doc: str,
    read_versions: Callable[[], dict[str, str]],
    root_of: Callable[[dict[str, str]], Path],
    build: Callable[[Path, dict[str, str], bool], object],
    force_help: str,
    argv: list[str] | None = None,
) -> int:
    """The scripts' command line: ``--print-root`` prints ``root_of(versions)``, else
    ``build(root, versions, force)`` runs; a BuildError or OSError (a malformed versions.env
    too) is one line on stderr and exit 1. ``doc`` is the script's docstring, whose first
    paragraph is the ``--help`` description. Returns the exit code."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--force", action="store_true", help=force_help)
    parser.add_argument(
        "--print-root", action="store_true", help="print the cache directory and exit"
    )
    args = parser.parse_args(argv)
    try:
        versions = read_versions()
        root = root_of(versions)
        if args.print_root:
            print(root)
            return 0
        build(root, versions, args.force)
    except BuildError as error:
        print(f"{prog}: {error}", file=sys.stderr)
        return 1
    except OSError as error:
        print(
            f"{prog}: {error.strerror or error}: {error.filename or ''}".rstrip(": "),
            file=sys.stderr,
        )
        return 1
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130
    return 0
