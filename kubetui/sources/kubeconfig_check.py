"""A kubeconfig's shape, checked before the ``kubernetes`` package's loader sees it.

The loader indexes into whatever YAML it is given, so a wrong file ends in Python's words
(``KUBECONFIG=/etc/passwd`` → "'str' object does not support item assignment"). This
module reads each file of the path the way client-go's clientcmd does (several files
``:``-separated; a missing one skipped; the first to set a name wins) and names the file
and the entry that is wrong, in one line. Field names are clientcmd's v1 Config
(k8s.io/client-go tools/clientcmd/api/v1/types.go, v0.37): ``clusters[].cluster``,
``users[].user``, ``contexts[].context``, ``current-context``; the ``-data`` fields are
base64 (they are ``[]byte`` there).
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from kubetui.errors import UserError
from kubetui.model.inert_text import inert, single_line

_SECTIONS = {"clusters": "cluster", "users": "user", "contexts": "context"}
_BASE64_FIELDS = {
    "cluster": ("certificate-authority-data",),
    "user": ("client-certificate-data", "client-key-data"),
}
_FILE_FIELDS = {
    "cluster": ("certificate-authority",),
    "user": ("client-certificate", "client-key", "tokenFile"),
}
_STRING_FIELDS = {
    "cluster": ("server", "certificate-authority", "tls-server-name", "proxy-url"),
    "user": ("token", "tokenFile", "username", "password", "client-certificate", "client-key"),
    "context": ("cluster", "user", "namespace"),
}


class KubeconfigError(UserError):
    """One line: the file and what is wrong in it."""


def _kind(value: object) -> str:
    kinds = {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean"}
    return {**kinds, int: "a number", float: "a number"}.get(
        type(value), f"a {type(value).__name__}"
    )


def _shown(text: str) -> str:
    return single_line(inert(text))[:120]


class _File:
    """One kubeconfig file, read and checked; the entries by section and name."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.entries: dict[str, dict[str, Mapping[str, Any]]] = {s: {} for s in _SECTIONS}
        self.current_context: str | None = None
        self._check(self._read())

    def fail(self, what: str) -> KubeconfigError:
        return KubeconfigError(f"kubeconfig {self.path}: {what}")

    def _read(self) -> object:
        if self.path.is_dir():
            raise self.fail("is a directory, not a file")
        try:
            text = self.path.read_bytes().decode("utf-8")
        except PermissionError:
            raise self.fail("cannot be read (permission denied)") from None
        except UnicodeDecodeError:
            raise self.fail("not text (not UTF-8)") from None
        except OSError as exc:
            raise self.fail(f"cannot be read ({exc.strerror or exc})") from None
        try:
            return yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1}" if mark is not None else ""
            problem = getattr(exc, "problem", None) or "invalid"
            raise self.fail(f"not YAML{where}: {_shown(str(problem))}") from None

    def _check(self, document: object) -> None:
        if document is None:
            raise self.fail("is empty")
        if not isinstance(document, dict):
            raise self.fail(
                f"is {_kind(document)}, not a kubeconfig (a mapping with clusters, "
                "users and contexts)"
            )
        current = document.get("current-context")
        if current is not None and not isinstance(current, str):
            raise self.fail(f"current-context is {_kind(current)}, not a name")
        self.current_context = current or None
        for section, inner in _SECTIONS.items():
            items = document.get(section)
            if items is None:
                continue
            if not isinstance(items, list):
                raise self.fail(f"{section} is {_kind(items)}, not a list")
            for index, item in enumerate(items):
                where = f"{section}[{index}]"
                if not isinstance(item, dict):
                    raise self.fail(f"{where} is {_kind(item)}, not a mapping")
                name = item.get("name")
                if not isinstance(name, str) or not name:
                    raise self.fail(f"{where} has no name")
                body = item.get(inner)
                if body is None:
                    body = {}
                if not isinstance(body, dict):
                    raise self.fail(f"{where} ({name}): {inner} is {_kind(body)}, not a mapping")
                self._check_fields(f"{where} ({name}).{inner}", inner, body)
                self.entries[section].setdefault(name, body)

    def _check_fields(self, where: str, inner: str, body: Mapping[str, Any]) -> None:
        for field in _STRING_FIELDS.get(inner, ()):
            value = body.get(field)
            if value is not None and not isinstance(value, str):
                raise self.fail(f"{where}.{field} is {_kind(value)}, not a string")
        for field in _BASE64_FIELDS.get(inner, ()):
            value = body.get(field)
            if value is None:
                continue
            try:
                base64.b64decode(str(value), validate=True)
            except (binascii.Error, ValueError):
                raise self.fail(f"{where}.{field} is not base64") from None
        for field in _FILE_FIELDS.get(inner, ()):
            value = body.get(field)
            if value and not self._relative(value).is_file():
                raise self.fail(f"{where}.{field}: {_shown(value)}: no such file")
        if inner == "user":
            self._check_exec(where, body.get("exec"))

    def _relative(self, value: str) -> Path:
        """clientcmd resolves a relative file path against the kubeconfig's directory."""
        path = Path(value).expanduser()
        return path if path.is_absolute() else self.path.parent / path

    def _check_exec(self, where: str, plugin: object) -> None:
        if plugin is None:
            return
        if not isinstance(plugin, dict):
            raise self.fail(f"{where}.exec is {_kind(plugin)}, not a mapping")
        command = plugin.get("command")
        if not isinstance(command, str) or not command:
            raise self.fail(f"{where}.exec has no command")
        args = plugin.get("args")
        if args is not None and not (
            isinstance(args, list) and all(isinstance(a, str) for a in args)
        ):
            raise self.fail(f"{where}.exec.args is not a list of strings")


def check_kubeconfig(path_list: str, context: str | None) -> None:
    """Raise KubeconfigError (one line) when the files of ``path_list`` cannot give the
    loader a usable ``context`` (the current one when None); nothing when they can."""
    files = [
        _File(Path(p).expanduser())
        for p in path_list.split(os.pathsep)
        if p and (Path(p).expanduser().exists() or Path(p).expanduser().is_symlink())
    ]
    if not files:
        return
    merged: dict[str, dict[str, Mapping[str, Any]]] = {s: {} for s in _SECTIONS}
    origin: dict[tuple[str, str], Path] = {}
    for file in files:
        for section, entries in file.entries.items():
            for name, body in entries.items():
                if name not in merged[section]:
                    merged[section][name] = body
                    origin[(section, name)] = file.path
    chosen = context or next((f.current_context for f in files if f.current_context), None)
    shown_path = files[0].path if len(files) == 1 else path_list
    if chosen is None:
        raise KubeconfigError(
            f"kubeconfig {shown_path}: no current-context and no --context "
            f"(contexts: {', '.join(sorted(merged['contexts'])) or 'none'})"
        )
    if chosen not in merged["contexts"]:
        if context is not None:
            return  # the caller names the missing context with the list of known ones
        raise KubeconfigError(
            f"kubeconfig {shown_path}: current-context {_shown(chosen)!r} is not among its "
            f"contexts ({', '.join(sorted(merged['contexts'])) or 'none'})"
        )
    body = merged["contexts"][chosen]
    where = origin[("contexts", chosen)]
    cluster = body.get("cluster")
    if not cluster:
        raise KubeconfigError(f"kubeconfig {where}: context {chosen!r} names no cluster")
    if cluster not in merged["clusters"]:
        raise KubeconfigError(
            f"kubeconfig {where}: context {chosen!r} names cluster {_shown(cluster)!r}, "
            "which is not among its clusters"
        )
    if not merged["clusters"][cluster].get("server"):
        raise KubeconfigError(
            f"kubeconfig {origin[('clusters', cluster)]}: cluster {cluster!r} has no server"
        )
    user = body.get("user")
    if user and user not in merged["users"]:
        raise KubeconfigError(
            f"kubeconfig {where}: context {chosen!r} names user {_shown(user)!r}, "
            "which is not among its users"
        )
