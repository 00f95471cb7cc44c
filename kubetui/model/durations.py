"""kubectl's relative times ("5m", "2d1h", "<unknown>"), digit for digit.

kubetui shows the same AGE and "(5m ago)" strings an operator sees in ``kubectl get``, so
they are computed the way the API server's table printers compute them:

* :func:`human_duration` mirrors ``HumanDuration`` in kubernetes/apimachinery
  ``pkg/util/duration/duration.go`` (read at commit eed236ceee2c, 2026-07-23, after tag
  v0.36.3), including its tolerance of up to two seconds of clock skew;
* :func:`translate_timestamp_since` mirrors ``translateTimestampSince`` in
  kubernetes/kubernetes ``pkg/printers/internalversion/printers.go`` (read in
  michaelasp/kubernetes@212194ab, a fork tracking master): the zero time prints as
  ``<unknown>``.

Go's ``time.Duration`` counts nanoseconds and Python's ``timedelta`` microseconds; both
are whole numbers here, and Go's truncation toward zero is kept.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

_US_PER_S = 1_000_000
_US_PER_MIN = 60 * _US_PER_S
_US_PER_H = 60 * _US_PER_MIN


def _microseconds(delta: timedelta) -> int:
    """The exact length of ``delta`` in whole microseconds (no float rounding)."""
    return (delta.days * 86_400 + delta.seconds) * _US_PER_S + delta.microseconds


def human_duration(delta: timedelta) -> str:
    """A 2–3 significant-figure rendering of ``delta``: "119s", "3m10s", "2d1h", "8y".

    Up to 2 s in the future reads as "0s" (clock skew between nodes); more is
    "<invalid>", as kubectl prints it.
    """
    us = _microseconds(delta)
    # Go: int(d.Seconds()) truncates toward zero; Python's // floors, so negate around it.
    seconds = us // _US_PER_S if us >= 0 else -(-us // _US_PER_S)
    if seconds < -1:
        return "<invalid>"
    if seconds < 0:
        return "0s"
    if seconds < 60 * 2:
        return f"{seconds}s"
    minutes = us // _US_PER_MIN
    if minutes < 10:
        s = seconds % 60
        return f"{minutes}m" if s == 0 else f"{minutes}m{s}s"
    if minutes < 60 * 3:
        return f"{minutes}m"
    hours = us // _US_PER_H
    if hours < 8:
        m = minutes % 60
        return f"{hours}h" if m == 0 else f"{hours}h{m}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        h = hours % 24
        return f"{hours // 24}d" if h == 0 else f"{hours // 24}d{h}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        dy = (hours // 24) % 365
        years = hours // 24 // 365
        return f"{years}y" if dy == 0 else f"{years}y{dy}d"
    return f"{hours // 24 // 365}y"


def as_aware(ts: datetime) -> datetime:
    """``ts`` with a time zone: a naive time (never sent by the API) is taken as UTC.

    Go would reject such a timestamp at decode time; kubetui keeps the record and must not
    raise when subtracting it from an aware "now".
    """
    return ts if ts.tzinfo is not None else ts.replace(tzinfo=UTC)


def translate_timestamp_since(ts: datetime | None, now: datetime) -> str:
    """How long before ``now`` the time ``ts`` was; ``None`` (Go's zero time) is unknown."""
    if ts is None:
        return "<unknown>"
    return human_duration(as_aware(now) - as_aware(ts))


_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86_400}
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")


def parse_duration_seconds(text: str) -> float:
    """Read a duration as operators write it: ``3600``, ``3600s``, ``90m``, ``1h30m``, ``2d``.

    The unit syntax is Go's ``time.ParseDuration`` (what kubectl's ``--timeout`` takes)
    plus ``d`` for days; a bare number is seconds. Raises ``ValueError`` with a one-line
    message on anything else, including negative durations.
    """
    spec = text.strip()
    if re.fullmatch(r"\d+(?:\.\d+)?", spec):
        return float(spec)
    parts = _DURATION_PART.findall(spec)
    if not spec or "".join(n + u for n, u in parts) != spec:
        raise ValueError(f"not a duration: {text!r} (examples: 3600s, 90m, 1h30m, 2d)")
    return sum(float(n) * _UNIT_SECONDS[u] for n, u in parts)
