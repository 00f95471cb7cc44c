"""The user's settings file: ``$XDG_CONFIG_HOME/kubetui/config.yaml`` (``kubetui locate config``).

Everything has a default, so no file is needed. What it holds, and why it lives in a file
rather than flags:

* ``read_only``: a default that makes a shared bastion account safe; per context too, so
  a production context can be read-only while a staging one is not. ``--read-only`` can
  only add to it, never lift it.
* ``max_bulk``: the cap on bulk actions (cleanup), so one key never deletes hundreds of
  pods by surprise.
* ``contexts.<name>.kyuubi``: how to reach the Kyuubi server that launched the engines on
  that cluster (URL, user, where the password is: an environment variable or a file, never
  the file itself).
* ``cleanup_presets``: named failed-pod policies (descheduler RemoveFailedPods arguments).
  A preset is a union of policies, because RemoveFailedPods ANDs its filters: "OOMKilled or
  exit code 137" is two policies.
* ``theme``: the colour theme to start with (``--theme`` wins); choosing a theme in the
  command palette writes it here (:func:`save_theme`), so the choice survives a restart.
* ``keys``: binding ids mapped to the keys the operator wants (``?`` lists the ids);
  checked before the dashboard starts (``kubetui/ui/key_config.py``): an unknown id, a
  key that is not one, or a key already taken on the same screen is one line.

A file that cannot be read or does not fit the schema is one line naming the file and the
field, and exit 2; it never falls back silently to defaults (a read-only default that did
not apply would be worse than no start).

Example::

    read_only: false
    max_bulk: 50
    contexts:
      prod-east:
        read_only: true
        kyuubi: {url: "https://kyuubi.prod:10099", user: oncall, password_env: KYUUBI_PASSWORD}
    cleanup_presets:
      - name: evicted
        policies: [{reasons: [Evicted]}]
    theme: kubetui-okabe-ito
    keys: {pod-delete: ctrl+x, engine-kill: ctrl+k}
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Final

import msgspec
import yaml

from kubetui.errors import UserError
from kubetui.model.cleanup_policy import CleanupPolicy, parse_exit_codes
from kubetui.paths import config_dir
from kubetui.sources.kyuubi import KyuubiConfig

__all__ = [
    "DEFAULT_PRESETS",
    "CleanupPreset",
    "Settings",
    "config_file",
    "load_settings",
    "save_theme",
]


class CleanupPreset(msgspec.Struct, frozen=True):
    """A named failed-pod selection: a pod matching any of ``policies`` is selected."""

    name: str
    policies: tuple[CleanupPolicy, ...]


#: The presets issue 8 names; user presets with the same name replace them.
DEFAULT_PRESETS: Final = (
    CleanupPreset(
        name="OOM victims",
        policies=(
            CleanupPolicy(reasons=("OOMKilled",), include_bare_pods=True),
            CleanupPolicy(exit_codes=parse_exit_codes("137"), include_bare_pods=True),
        ),
    ),
    CleanupPreset(
        name="killed by signal",
        policies=(CleanupPolicy(exit_codes=parse_exit_codes("129-255"), include_bare_pods=True),),
    ),
)


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    """The settings for one run (one kube context)."""

    read_only: bool = False
    max_bulk: int = 50
    kyuubi: KyuubiConfig | None = None
    cleanup_presets: tuple[CleanupPreset, ...] = DEFAULT_PRESETS
    #: The theme to start with, unless ``--theme`` names one.
    theme: str | None = None
    #: Binding id → keys, as written (checked by ``kubetui.ui.key_config.check_keymap``).
    keys: dict[str, str] = msgspec.field(default_factory=dict)


# ------------------------------------------------------------------ the file's schema


class _PresetFile(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A preset as written: each policy is RemoveFailedPods' arguments with exit codes as
    text (``"137,129-255"``) and bare pods included unless said otherwise (Spark drivers
    have no owner; the descheduler's default protection would skip every one of them)."""

    name: str
    policies: tuple[CleanupPolicy, ...]


class _ContextFile(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    read_only: bool | None = None
    kyuubi: KyuubiConfig | None = None


class _File(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    read_only: bool = False
    max_bulk: int = 50
    contexts: dict[str, _ContextFile] = {}
    cleanup_presets: tuple[_PresetFile, ...] = ()
    theme: str | None = None
    keys: dict[str, str] = {}


def config_file() -> Path:
    return config_dir() / "config.yaml"


def _policy_doc(raw: object) -> object:
    """A policy mapping as ``CleanupPolicy`` reads it: exit-code text parsed, bare pods in."""
    if not isinstance(raw, dict):
        return raw
    doc = {"include_bare_pods": True, **raw}
    codes = doc.get("exit_codes")
    if isinstance(codes, str | int):
        doc["exit_codes"] = [{"start": r.start, "end": r.end} for r in parse_exit_codes(str(codes))]
    return doc


def _file_doc(doc: object) -> object:
    """The file's mapping with every preset policy prepared by :func:`_policy_doc`, and
    digit keys as text (YAML reads ``view-pods: 2`` as the number 2)."""
    if isinstance(doc, dict) and isinstance(doc.get("keys"), dict):
        keys = {
            k: str(v) if isinstance(v, int) and not isinstance(v, bool) else v
            for k, v in doc["keys"].items()
        }
        doc = {**doc, "keys": keys}
    if not isinstance(doc, dict) or not isinstance(doc.get("cleanup_presets"), list):
        return doc
    presets = [
        {**p, "policies": [_policy_doc(x) for x in p["policies"]]}
        if isinstance(p, dict) and isinstance(p.get("policies"), list)
        else p
        for p in doc["cleanup_presets"]
    ]
    return {**doc, "cleanup_presets": presets}


def _presets(path: Path, raw: tuple[_PresetFile, ...]) -> tuple[CleanupPreset, ...]:
    mine: dict[str, CleanupPreset] = {}
    for i, preset in enumerate(raw):
        where = f"{path}: cleanup_presets[{i}] ({preset.name!r})"
        if not preset.policies:
            raise UserError(f"{where}: a preset needs at least one policy")
        if not all(p.reasons or p.exit_codes for p in preset.policies):
            raise UserError(
                f"{where}: give each policy reasons or exit_codes, or it selects every failed pod"
            )
        mine[preset.name] = CleanupPreset(name=preset.name, policies=preset.policies)
    defaults = tuple(p for p in DEFAULT_PRESETS if p.name not in mine)
    return defaults + tuple(mine.values())


def _read(path: Path) -> _File:
    try:
        text = path.read_bytes()
    except FileNotFoundError:
        return _File()
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror or exc}") from None
    return _parse(path, text)[1]


def _parse(path: Path, text: bytes | str) -> tuple[object, _File]:
    """The file's YAML document and its checked form; UserError (one line) if either fails."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" (line {mark.line + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise UserError(f"{path}{at}: {problem}") from None
    if doc is None:
        return doc, _File()
    try:
        return doc, msgspec.convert(_file_doc(doc), _File)
    except (msgspec.ValidationError, ValueError) as exc:
        raise UserError(f"{path}: {exc}") from None


def load_settings(context: str | None, *, path: Path | None = None) -> Settings:
    """The settings for kube context ``context`` (None: no per-context part applies)."""
    path = path or config_file()
    raw = _read(path)
    if raw.max_bulk < 1:
        raise UserError(f"{path}: max_bulk must be at least 1, got {raw.max_bulk}")
    per_context = raw.contexts.get(context) if context is not None else None
    read_only = raw.read_only
    if per_context is not None and per_context.read_only is not None:
        read_only = per_context.read_only
    return Settings(
        read_only=read_only,
        max_bulk=raw.max_bulk,
        kyuubi=per_context.kyuubi if per_context is not None else None,
        cleanup_presets=_presets(path, raw.cleanup_presets),
        theme=raw.theme,
        keys=raw.keys,
    )


#: A top-level ``theme:`` line and its trailing comment (kept).
_THEME_LINE = re.compile(r"^theme:[^#\n]*?(?P<comment>[ \t]+#[^\n]*)?$", re.M)


def save_theme(name: str, *, path: Path | None = None) -> Path:
    """Write ``theme: NAME`` into the settings file and return its path.

    Only that line changes (or is appended): the file is the operator's, with comments
    PyYAML cannot write back, so it is never re-dumped. The edit is kept only if the new
    text reads as the old document with ``theme`` set, and it replaces the file
    atomically (same mode). A file that is malformed (or edited into one since the start)
    is never overwritten: UserError, one line.
    """
    path = path or config_file()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = ""
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"theme not saved: cannot read {path}: {exc}") from None
    try:
        doc, _ = _parse(path, text)
    except UserError as exc:
        raise UserError(f"theme not saved: {exc}") from None
    line = f"theme: {json.dumps(name)}"  # a JSON string is a YAML double-quoted scalar
    match = _THEME_LINE.search(text)
    if match is not None:
        new = f"{text[: match.start()]}{line}{match['comment'] or ''}{text[match.end() :]}"
    else:
        separator = "" if not text or text.endswith("\n") else "\n"
        new = f"{text}{separator}{line}\n"
    try:
        same = yaml.safe_load(new) == {**(doc or {}), "theme": name}  # type: ignore[dict-item]
    except (yaml.YAMLError, TypeError):
        same = False
    if not same:
        raise UserError(f"theme not saved: {path} is not a plain mapping; add '{line}' by hand")
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        mode = path.stat().st_mode & 0o777 if path.exists() else 0o600
        scratch.write_text(new, encoding="utf-8")
        scratch.chmod(mode)
        scratch.replace(path)
    except OSError as exc:
        scratch.unlink(missing_ok=True)
        raise UserError(f"theme not saved: cannot write {path}: {exc.strerror or exc}") from None
    return path


def kyuubi_from_flags(
    url: str | None, user: str | None, password_env: str | None, configured: KyuubiConfig | None
) -> KyuubiConfig | None:
    """The Kyuubi server to use: ``--kyuubi-url`` (with its user flags) replaces the
    configured one; ``--kyuubi-user``/``--kyuubi-password-env`` alone amend it."""
    if url:
        try:
            return KyuubiConfig(url=url, user=user, password_env=password_env)
        except ValueError as exc:
            raise UserError(f"--kyuubi-url: {exc}") from None
    if user or password_env:
        if configured is None:
            raise UserError("--kyuubi-user/--kyuubi-password-env need --kyuubi-url")
        changes = {"user": user} if user else {}
        if password_env:
            changes |= {"password_env": password_env, "password_file": None}
        return msgspec.structs.replace(configured, **changes)
    return configured
