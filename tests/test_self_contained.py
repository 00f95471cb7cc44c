"""The source cites upstream code or its own docs, never notes kept outside the repository.

A comment or docstring may name an upstream repository, path and version (apache/kyuubi
``kyuubi-server/.../KyuubiApplicationManager.scala`` @ cfbbeec4, kubernetes/client-go
``tools/cache/reflector.go``) or the repository's own README.md and bench/README.md.
Team notes that are not shipped with it (the wire and Kyuubi fact sheets, the mission,
design and style notes, anything under ``../shared``) are no source a reader can open.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCANNED_DIRS = ("kubetui", "tests", "scripts", "bench")
SCANNED_FILES = ("README.md",)
SKIPPED_DIRS = {"__pycache__", ".pytest_cache", ".ruff_cache"}

#: Names of notes outside the repository, and the short forms comments used for them.
OUTSIDE_NOTES = re.compile(
    r"k8s-wire-facts|kyuubi-facts|wire facts §|facts file|"
    r"MISSION\.md|DESIGN\.md|STYLE\.md|\.\./shared\b"
)


def _scanned() -> list[Path]:
    paths = [ROOT / name for name in SCANNED_FILES]
    for top in SCANNED_DIRS:
        for path in sorted((ROOT / top).rglob("*")):
            if path.is_file() and not SKIPPED_DIRS & set(path.relative_to(ROOT).parts):
                paths.append(path)
    return paths


def _citations(path: Path, root: Path = ROOT) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return []  # binary: no comments to read
    rel = path.relative_to(root).as_posix()
    return [
        f"{rel}:{number}: {line.strip()}"
        for number, line in enumerate(text.splitlines(), 1)
        if OUTSIDE_NOTES.search(line)
    ]


def test_no_file_cites_notes_outside_the_repository() -> None:
    this = Path(__file__).resolve()
    scanned = [path for path in _scanned() if path.resolve() != this]
    assert len(scanned) > 100, "the scan found too few files to mean anything"
    found = [hit for path in scanned for hit in _citations(path)]
    assert not found, "cite the upstream source instead:\n" + "\n".join(found)


@pytest.mark.parametrize(
    "line",
    [
        "(k8s-wire-facts.md §5, ``pkg/registry/core/pod/strategy.go``)",
        "# kyuubi-facts §3",
        "the kubelet never sets ``signal`` (wire facts §10)",
        "precedence (same file and commit) and the facts file §4.",
        "every incident of MISSION.md at once",
        "(DESIGN.md, hot path rules)",
        '(see ../shared/STYLE.md "Untrusted text")',
        "see ../shared for the notes",
    ],
)
def test_the_pattern_catches_each_form_used_before(line: str) -> None:
    assert OUTSIDE_NOTES.search(line)


@pytest.mark.parametrize(
    "line",
    [
        "apache/kyuubi ``kyuubi-server/.../engine/KyuubiApplicationManager.scala`` @ cfbbeec4",
        "kubernetes/client-go ``tools/cache/reflector.go`` @ v0.33.0",
        "see bench/README.md and README.md",
        "the facts an on-call operator is paged about",
    ],
)
def test_the_pattern_leaves_upstream_and_own_docs_alone(line: str) -> None:
    assert not OUTSIDE_NOTES.search(line)
