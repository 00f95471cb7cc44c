"""Kubernetes resource quantities ("512Mi", "1.5Gi", "100m", "1e3") as exact numbers.

Every request, limit and node capacity on the wire is a ``resource.Quantity`` string, and
hand-written YAML often turns them into plain ints or floats. The QoS class and the
kubelet's oom_score_adj depend on exact comparisons and integer arithmetic over these
values (``req.Equal(lim)``, ``Memory().Value()``), so a float approximation could flip a
Guaranteed pod to Burstable or shift an adj by one. This module ports the parser of
kubernetes/apimachinery ``pkg/api/resource/quantity.go`` (``parseQuantityString``,
``ParseQuantity``) and ``suffix.go`` (master eed236ce, 2026-07-23, synced from
kubernetes/kubernetes af7eeeb2) to :class:`decimal.Decimal`, keeping its quirks:

* ``<sign><digits>[.<digits>]<suffix>`` with suffixes ``n u m "" k M G T P E`` (decimal
  SI), ``Ki Mi Gi Ti Pi Ei`` (binary SI) or ``e``/``E`` plus a signed integer; ``"1."``,
  ``".5"``, ``"."``, ``"-"`` are numbers (``"."`` and ``"-"`` are zero);
* non-zero values are rounded *away from zero* to a multiple of 1n (``0.1n`` → ``1n``);
* binary-SI values are capped at 2^63-1 in magnitude, decimal ones are not;
* the exponent is truncated to int32 like Go's ``int32(parsed)``.

Text coming off the wire goes through ``Quantity.UnmarshalJSON`` first, which trims
surrounding whitespace (``TestJSONWhitespace``); :func:`parse_quantity` does the same.
Nothing here raises: unparseable input is ``None`` (unknown), never a guess.
"""

from __future__ import annotations

import math
from decimal import MAX_EMAX, MIN_EMIN, ROUND_UP, Decimal, localcontext
from functools import lru_cache

__all__ = ["MAX_INT64", "cpu_millis", "format_bytes", "memory_bytes", "parse_quantity"]

MAX_INT64 = 2**63 - 1

_DIGITS = frozenset("0123456789")
# The scanner's suffix alphabet (parseQuantityString: strings.ContainsAny "eEinumkKMGTP").
_SUFFIX_CHARS = frozenset("eEinumkKMGTP")
_DECIMAL_SI = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_BINARY_SI = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_NANO = Decimal("1e-9")
_INT32 = 2**32
_TWO_64 = Decimal(2**64)


def _scan(s: str) -> tuple[bool, str, str, str] | None:
    """Split ``s`` into (positive, numerator, denominator, suffix), or None if malformed.

    A port of ``parseQuantityString``: leading zeros are dropped, an empty numerator is
    "0", and the suffix is letters from the suffix alphabet, then at most one sign, then
    digits, up to the end of the string.
    """
    end = len(s)
    pos = 0
    positive = True
    if s[0] in "+-":
        positive = s[0] == "+"
        pos = 1
    while pos < end and s[pos] == "0":
        pos += 1
    if pos >= end:
        return positive, "0", "", ""
    start = pos
    while pos < end and s[pos] in _DIGITS:
        pos += 1
    num = s[start:pos] or "0"
    denom = ""
    if pos < end and s[pos] == ".":
        pos += 1
        start = pos
        while pos < end and s[pos] in _DIGITS:
            pos += 1
        denom = s[start:pos]
    suffix_start = pos
    while pos < end and s[pos] in _SUFFIX_CHARS:
        pos += 1
    if pos < end and s[pos] in "+-":
        pos += 1
    while pos < end and s[pos] in _DIGITS:
        pos += 1
    if pos < end:
        return None
    return positive, num, denom, s[suffix_start:]


def _exponent(suffix: str) -> tuple[int, int] | None:
    """(base, exponent) of a suffix, as ``suffixHandler.interpret`` reads it."""
    if suffix in _DECIMAL_SI:
        return 10, _DECIMAL_SI[suffix]
    if suffix in _BINARY_SI:
        return 2, _BINARY_SI[suffix]
    if len(suffix) < 2 or suffix[0] not in "eE":
        return None
    # strconv.ParseInt(s, 10, 64): an optional sign, then at least one digit.
    body = suffix[2:] if suffix[1] in "+-" else suffix[1:]
    if not body or not set(body) <= _DIGITS:
        return None
    parsed = int(suffix[1:])
    if not -(2**63) <= parsed <= MAX_INT64:
        return None
    return 10, (parsed + 2**31) % _INT32 - 2**31  # Go's int32(parsed)


@lru_cache(maxsize=4096)
def _parse_text(s: str) -> Decimal | None:
    """Memoised: a cluster repeats a few dozen request/limit strings across every pod, and
    the dashboard asks for them on every row it draws (a Decimal is immutable, so one
    value can be shared)."""
    scanned = _scan(s)
    if scanned is None:
        return None
    positive, num, denom, suffix = scanned
    interpreted = _exponent(suffix)
    if interpreted is None:
        return None
    base, exponent = interpreted
    digits = tuple(int(c) for c in num + denom)
    sign = 0 if positive else 1
    if base == 10:
        value = Decimal((sign, digits, exponent - len(denom)))
    else:
        value = Decimal((sign, digits, -len(denom)))
        with localcontext() as ctx:
            ctx.prec = len(digits) + 20  # 2**60 has 19 digits: the product is exact
            value = value * (1 << exponent)
    if value == 0:
        return Decimal(0)
    if value.as_tuple().exponent < -9:  # type: ignore[operator]  # finite here
        with localcontext() as ctx:
            ctx.prec = max(value.adjusted() + 12, 12)
            ctx.Emax, ctx.Emin = MAX_EMAX, MIN_EMIN
            value = value.quantize(_NANO, rounding=ROUND_UP)
    if base == 2 and value.copy_abs() > MAX_INT64:
        value = Decimal(MAX_INT64).copy_sign(value)
    return value


def parse_quantity(v: object) -> Decimal | None:
    """The exact value of a quantity string, YAML int or YAML float; None if unparseable.

    Floats are read through ``repr`` (the shortest text that round-trips), which is
    what a JSON number would have carried; NaN, infinities and booleans are not
    quantities.
    """
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        text = str(v)
    elif isinstance(v, float):
        if not math.isfinite(v):
            return None
        text = repr(v)
    elif isinstance(v, str):
        text = v.strip()
    else:
        return None
    return _parse_text(text) if text else None


def _ceil_scaled(v: object, scale: int) -> int | None:
    """ceil(q * scale) like ``Quantity.ScaledValue``; None where Go would overflow int64."""
    q = parse_quantity(v)
    if q is None or q.copy_abs() > _TWO_64:  # cheap exact guard before building big integers
        return None
    n, d = q.as_integer_ratio()
    result = -((-n * scale) // d)
    return result if -(2**63) <= result <= MAX_INT64 else None


def memory_bytes(v: object) -> int | None:
    """``Quantity.Value()``: the value rounded up to a whole number (bytes for memory)."""
    return _ceil_scaled(v, 1)


def cpu_millis(v: object) -> int | None:
    """``Quantity.MilliValue()``: ceil(q * 1000), millicores for CPU."""
    return _ceil_scaled(v, 1000)


_UNITS = ("Ki", "Mi", "Gi", "Ti", "Pi", "Ei")


def format_bytes(n: int) -> str:
    """Bytes in the largest binary unit that keeps the number >= 1, one decimal at most.

    ``1610612736`` → ``"1.5Gi"``, ``536870912`` → ``"512Mi"``, ``1000`` → ``"1000"``.
    For display only; the value is rounded.
    """
    sign = "-" if n < 0 else ""
    rest = abs(n)
    if rest < 1024:
        return f"{n}"
    power = min((rest.bit_length() - 1) // 10, len(_UNITS))
    shown = f"{rest / 1024**power:.1f}"
    if shown == "1024.0" and power < len(_UNITS):  # 1023.96Mi rounds to the next unit
        power += 1
        shown = "1.0"
    return f"{sign}{shown.removesuffix('.0')}{_UNITS[power - 1]}"
