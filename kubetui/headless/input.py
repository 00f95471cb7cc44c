"""Reading the ``--from-file`` input of the headless commands."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import msgspec

from kubetui.model.decode import InputError, LoadedObjects, load_objects


def read_dump(path: str) -> LoadedObjects:
    """Load a dump file (``-`` = stdin); report ignored kinds and skipped objects on stderr.

    Raises :class:`InputError` (one line) when the file cannot be read or is not usable.
    """
    if path == "-":
        data, source = sys.stdin.buffer.read(), "stdin"
    else:
        source = path
        try:
            data = Path(path).read_bytes()
        except FileNotFoundError:
            raise InputError(f"{path}: no such file") from None
        except IsADirectoryError:
            raise InputError(f"{path}: is a directory, not a file") from None
        except OSError as exc:
            raise InputError(f"{path}: cannot read: {exc.strerror}") from None
    loaded = load_objects(data, source=source)
    if loaded.ignored_kinds:
        counts = ", ".join(f"{n} {kind}" for kind, n in sorted(loaded.ignored_kinds.items()))
        notice(f"ignored objects of other kinds: {counts}")
    for error in loaded.errors:
        notice(f"{source}: {error}")
    if not loaded.pods and not loaded.nodes and (loaded.ignored_kinds or loaded.errors):
        # Objects were there, none of them usable: most likely the wrong dump.
        raise InputError(f"{source}: no usable Pod or Node objects in the input")
    return loaded


def resolve_now(now: datetime | None) -> datetime:
    """``--now`` if given, else the real clock (UTC)."""
    return now if now is not None else datetime.now(UTC)


def notice(line: str) -> None:
    """One line on stderr for the operator (stdout stays the report)."""
    print(f"kubetui: {line}", file=sys.stderr)


def write_json(result: msgspec.Struct) -> None:
    """A command's result as indented JSON on stdout (``--format json``)."""
    sys.stdout.buffer.write(msgspec.json.format(msgspec.json.encode(result), indent=2) + b"\n")
