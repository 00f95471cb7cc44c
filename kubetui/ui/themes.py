"""Theme files: ``themes/*.yaml`` shipped with kubetui plus the user's own.

Each file is read with ``yaml.safe_load`` into a validated :class:`ThemeFile` (unknown
keys are errors, with a close-match suggestion) and every colour is parsed by Textual
before the theme is registered, so a typo is reported as one line naming the file, and
the dashboard starts on the default theme instead of failing later. Severity colours
(``ok``, ``warning``, ``critical``, ``zombie``, ``oom``) become theme variables
``sev-<name>``; :data:`SEVERITY_DEFAULTS` gives them a value under Textual's built-in
themes too (see ``KubetuiApp.get_theme_variable_defaults``).
"""

from __future__ import annotations

import difflib
import re
import sys
from collections.abc import Iterable
from pathlib import Path

import msgspec
import yaml
from textual.color import Color, ColorParseError
from textual.theme import Theme

DEFAULT_THEME = "kubetui-dark"
#: Used when no theme file could be loaded.
FALLBACK_THEME = "textual-dark"


def _bundled_dir() -> Path:
    """The themes shipped with kubetui: the repository's top-level themes/ (a source
    checkout or an editable install), else where a wheel installs them
    (``[tool.setuptools.data-files]`` in pyproject.toml: ``<prefix>/share/kubetui/themes``).
    """
    source = Path(__file__).resolve().parents[2] / "themes"
    return source if source.is_dir() else Path(sys.prefix) / "share" / "kubetui" / "themes"


BUNDLED_DIR = _bundled_dir()

SEVERITY_DEFAULTS: dict[str, str] = {
    "sev-ok": "#57ab5a",
    "sev-warning": "#e3a23b",
    "sev-critical": "#f47067",
    "sev-zombie": "#b083f0",
    "sev-oom": "#ff5fa2",
}


class ThemeColors(msgspec.Struct, forbid_unknown_fields=True):
    """Textual's base colours (``textual.theme.Theme``); only ``primary`` is required."""

    primary: str
    secondary: str | None = None
    accent: str | None = None
    foreground: str | None = None
    background: str | None = None
    surface: str | None = None
    panel: str | None = None
    boost: str | None = None
    warning: str | None = None
    error: str | None = None
    success: str | None = None


class SeverityColors(msgspec.Struct, forbid_unknown_fields=True):
    ok: str | None = None
    warning: str | None = None
    critical: str | None = None
    zombie: str | None = None
    oom: str | None = None


class ThemeFile(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    colors: ThemeColors
    dark: bool = True
    #: Use the terminal's own 16 colours (``ansi_*`` names) instead of truecolor.
    ansi: bool = False
    severity: SeverityColors = msgspec.field(default_factory=SeverityColors)
    #: Any other Textual theme variable, e.g. ``block-cursor-background``.
    variables: dict[str, str] = msgspec.field(default_factory=dict)


class ThemeError(ValueError):
    """A theme file that cannot be used; ``str()`` is one line."""


_UNKNOWN_FIELD = re.compile(r"unknown field `([^`]+)`")


def _suggest(message: str) -> str:
    match = _UNKNOWN_FIELD.search(message)
    if not match:
        return message
    known = [
        *ThemeFile.__struct_fields__,
        *ThemeColors.__struct_fields__,
        *SeverityColors.__struct_fields__,
    ]
    close = difflib.get_close_matches(match.group(1), known, n=1)
    return f"{message} (did you mean {close[0]!r}?)" if close else message


def _check_colour(where: str, value: str) -> None:
    try:
        Color.parse(value)
    except ColorParseError:
        raise ThemeError(f"{where}: not a colour: {value!r}") from None


def parse_theme(text: str, source: str) -> Theme:
    """One theme file's text → a Textual :class:`Theme`; :class:`ThemeError` if unusable."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark is not None else ""
        raise ThemeError(f"theme {source}:{line} not valid YAML") from None
    try:
        spec = msgspec.convert(raw, ThemeFile)
    except msgspec.ValidationError as exc:
        raise ThemeError(f"theme {source}: {_suggest(str(exc))}") from None
    colors = msgspec.structs.asdict(spec.colors)
    for key, value in colors.items():
        if value is not None:
            _check_colour(f"theme {source}: colors.{key}", value)
    variables = dict(spec.variables)
    for key, value in msgspec.structs.asdict(spec.severity).items():
        if value is not None:
            _check_colour(f"theme {source}: severity.{key}", value)
            variables[f"sev-{key}"] = value
    return Theme(name=spec.name, dark=spec.dark, ansi=spec.ansi, variables=variables, **colors)


def load_themes(directories: Iterable[Path]) -> tuple[list[Theme], list[str]]:
    """Every ``*.yaml`` in ``directories`` (later ones override by name), and the problems.

    A missing directory is not a problem; an unreadable or invalid file is one line.
    """
    themes: dict[str, Theme] = {}
    problems: list[str] = []
    for directory in directories:
        if not directory.is_dir():
            continue
        for path in sorted(directory.glob("*.yaml")):
            try:
                theme = parse_theme(path.read_text(encoding="utf-8"), str(path))
            except OSError as exc:
                problems.append(f"theme {path}: {exc.strerror or exc}")
                continue
            except (ThemeError, UnicodeDecodeError) as exc:
                problems.append(str(exc))
                continue
            themes[theme.name] = theme
    return list(themes.values()), problems
