"""Helpers of the sim conformance suite: one client for both servers, and the comparison
of two answers by status and shape.

A *shape* keeps every key of a JSON document and every value, except the values that
differ between two servers holding the same objects by construction (uids, resource
versions, timestamps, continue tokens, generated names, free-text messages): those are
replaced by their JSON type. Two answers are equal when their status codes and shapes
are; :func:`differences` lists where they part, one line per JSON path.
"""

from __future__ import annotations

import http.client
import json
import re
import ssl
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

#: values compared by type only: identity, versions, clocks, free text
VOLATILE_KEYS = frozenset(
    {
        "uid",
        "resourceVersion",
        "creationTimestamp",
        "deletionTimestamp",
        "time",
        "message",
        "continue",
        "lastTransitionTime",
        "lastProbeTime",
        "startTime",
        # the Status message of a watch ERROR repeats RVs inside its text; a list's
        # blueprint is compared by value (it is deterministic), so not listed here
    }
)
#: values compared by JSON type only, without looking inside (managed fields' sets)
OPAQUE_KEYS = frozenset({"fieldsV1"})
#: generated names (ServiceAccount token volumes, generateName): the random suffix of
#: apimachinery's rand.String is not compared
GENERATED = (
    (re.compile(r"^kube-api-access-[bcdfghjklmnpqrstvwxz2456789]{5}$"), "kube-api-access-*"),
    (re.compile(r"^gen-[bcdfghjklmnpqrstvwxz2456789]{5}$"), "gen-*"),
)

USER_AGENT = "kubetui-conformance/1.0"


def shape(value: Any, key: str = "") -> Any:
    """``value`` with volatile scalars replaced by their type name (see module doc)."""
    if key in OPAQUE_KEYS:
        return f"<{_type(value)}>"
    if isinstance(value, dict):
        return {k: shape(v, k) for k, v in value.items()}
    if isinstance(value, list):
        items = [shape(v, key) for v in value]
        if key == "managedFields":
            # entries are sorted by their (volatile) times first, so two writes in one
            # second or in two can swap them: compared as a set
            items.sort(key=lambda e: json.dumps(e, sort_keys=True))
        return items
    if key in VOLATILE_KEYS and value is not None:
        return f"<{_type(value)}>"
    if isinstance(value, str):
        for pattern, replacement in GENERATED:
            if pattern.match(value):
                return replacement
    return value


def masked(value: Any, paths: tuple[str, ...]) -> Any:
    """``value`` with each path (``rows[*].cells[4]``, ``metadata.annotations.x``,
    ``[*].object.status``) replaced by ``"<masked>"`` where it exists."""
    for path in paths:
        value = _mask(value, _steps(path))
    return value


def _steps(path: str) -> list[str]:
    steps: list[str] = []
    for part in path.replace("[", ".[").split("."):
        if part:
            steps.append(part)
    return steps


def _mask(value: Any, steps: list[str]) -> Any:
    if not steps:
        return "<masked>"
    step, rest = steps[0], steps[1:]
    if step.startswith("["):
        if not isinstance(value, list):
            return value
        index = step[1:-1]
        if index == "*":
            return [_mask(v, rest) for v in value]
        i = int(index)
        if i >= len(value):
            return value
        return [*value[:i], _mask(value[i], rest), *value[i + 1 :]]
    if isinstance(value, dict) and step in value:
        return {**value, step: _mask(value[step], rest)}
    return value


def _type(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if value is None:
        return "null"
    return "object" if isinstance(value, dict) else "array"


def differences(real: Any, sim: Any, path: str = "") -> list[str]:
    """Where two shapes differ, one ``path: real … sim …`` line each."""
    if isinstance(real, dict) and isinstance(sim, dict):
        out = []
        for key in sorted(set(real) | set(sim)):
            where = f"{path}.{key}" if path else key
            if key not in sim:
                out.append(f"{where}: only real ({_brief(real[key])})")
            elif key not in real:
                out.append(f"{where}: only sim ({_brief(sim[key])})")
            else:
                out.extend(differences(real[key], sim[key], where))
        return out
    if isinstance(real, list) and isinstance(sim, list):
        out = []
        for index in range(max(len(real), len(sim))):
            where = f"{path}[{index}]"
            if index >= len(sim):
                out.append(f"{where}: only real ({_brief(real[index])})")
            elif index >= len(real):
                out.append(f"{where}: only sim ({_brief(sim[index])})")
            else:
                out.extend(differences(real[index], sim[index], where))
        return out
    if real != sim:
        return [f"{path or '.'}: real {_brief(real)} sim {_brief(sim)}"]
    return []


def _brief(value: Any) -> str:
    text = json.dumps(value, sort_keys=True)
    return text if len(text) <= 120 else text[:117] + "..."


@dataclass
class Answer:
    status: int
    body: Any
    #: watch streams: the decoded events, in order
    events: list[dict] | None = None
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def document(self) -> Any:
        """What is compared: the events of a watch, else the body."""
        return self.events if self.events is not None else self.body


@dataclass
class Endpoint:
    """One API server as the suite sees it: URL, CA and the token of each user."""

    name: str
    url: str
    ca: Path
    tokens: dict[str, str]

    def _connection(self, timeout: float) -> http.client.HTTPSConnection:
        parts = urlsplit(self.url)
        context = ssl.create_default_context(cafile=str(self.ca))
        return http.client.HTTPSConnection(
            parts.hostname or "127.0.0.1", parts.port, context=context, timeout=timeout
        )

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        user: str = "admin",
        content_type: str = "application/json",
        accept: str = "application/json",
        timeout: float = 30,
    ) -> Answer:
        """One request; the status and the decoded body (text when not JSON)."""
        data = None
        headers = {
            "Authorization": f"Bearer {self.tokens[user]}",
            "Accept": accept,
            "User-Agent": USER_AGENT,
        }
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            headers["Content-Type"] = content_type
        connection = self._connection(timeout)
        try:
            connection.request(method, path, body=data, headers=headers)
            response = connection.getresponse()
            raw = response.read()
            return Answer(response.status, _decoded(raw), headers=dict(response.getheaders()))
        finally:
            connection.close()

    def watch(
        self,
        path: str,
        *,
        user: str = "admin",
        accept: str = "application/json",
        until: int | None = None,
        timeout: float = 30,
    ) -> Answer:
        """A WATCH: read event lines until the server ends the stream or ``until``
        events arrived (the query should carry a short ``timeoutSeconds``)."""
        headers = {
            "Authorization": f"Bearer {self.tokens[user]}",
            "Accept": accept,
            "User-Agent": USER_AGENT,
        }
        connection = self._connection(timeout)
        try:
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            if response.status != 200:
                return Answer(response.status, _decoded(response.read()))
            events = []
            while until is None or len(events) < until:
                line = response.readline()
                if not line:
                    break
                if line.strip():
                    events.append(json.loads(line))
            return Answer(200, None, events)
        finally:
            connection.close()


def _decoded(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode(errors="replace")
