"""What the cached build scripts (scripts/control-plane/build.py, scripts/kyuubi/build.py,
scripts/peers/build.py) share: their one-line error, the telling line of a build log, the
versions.env reader, the cache directory, and the command line (``--force``,
``--print-root``; a failure is one line on stderr and exit 1).

Only the standard library, so it runs before the project's venv exists (.ci/run).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
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


def run(
    prog: str,
    description: str,
    root_of: Callable[[], Path],
    build: Callable[[Path, bool], object],
    force_help: str,
    argv: list[str] | None = None,
) -> int:
    """The scripts' command line; returns the exit code."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--force", action="store_true", help=force_help)
    parser.add_argument(
        "--print-root", action="store_true", help="print the cache directory and exit"
    )
    args = parser.parse_args(argv)
    try:
        root = root_of()
        if args.print_root:
            print(root)
            return 0
        build(root, args.force)
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
