"""Reading the ``--from-file`` input of the headless commands."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

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


#: Items of a streamed list written per ``write`` call.
_CHUNK = 1000


def write_json(result: msgspec.Struct, out: BinaryIO | None = None) -> None:
    """A command's result as indented JSON on ``out`` (stdout) (``--format json``).

    The bytes are those of ``msgspec.json.format(msgspec.json.encode(result), indent=2)``
    plus a newline, but each top-level list field (a triage report's 50k pod rows) is
    encoded item by item: the whole document at once held its compact and its indented
    copy (~100 MB at 50k pods) on top of the report.
    """
    out = out if out is not None else sys.stdout.buffer
    lists = {
        name: value
        for name in result.__struct_fields__
        if isinstance(value := getattr(result, name), list) and value
    }
    head = _formatted(msgspec.structs.replace(result, **{name: [] for name in lists}))
    # A top-level key sits on its own line at two spaces; strings cannot hold a raw
    # newline, so each marker is found once or the struct renames its fields.
    markers = [b'\n  "%s": []' % name.encode() for name in lists]
    if any(head.count(marker) != 1 for marker in markers):
        out.write(_formatted(result) + b"\n")
        return
    for marker, items in zip(markers, lists.values(), strict=True):
        before, head = head.split(marker)
        out.write(before + marker[:-1] + b"\n")
        for start in range(0, len(items), _CHUNK):
            chunk = items[start : start + _CHUNK]
            text = b",\n".join(
                b"    " + _formatted(item).replace(b"\n", b"\n    ") for item in chunk
            )
            out.write(text + (b",\n" if start + _CHUNK < len(items) else b"\n"))
        out.write(b"  ]")
    out.write(head + b"\n")


def _formatted(value: object) -> bytes:
    return msgspec.json.format(msgspec.json.encode(value), indent=2)
