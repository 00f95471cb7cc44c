"""Label and field selectors: parsed once, then matched cheaply against many objects.

The simulated API server filters LIST and WATCH with these, and cleanup policies filter pods
with label selectors, so both must accept, reject and match exactly what a real API server
does, and say why in the words kubectl users already know. Ported from
kubernetes/apimachinery at commit eed236ceee2c19c2753a3d93ac0631dc20750454 (master,
2026-07-23):

* ``pkg/labels/selector.go``: the lexer, the recursive-descent parser, ``NewRequirement``,
  ``Requirement.Matches`` and ``Requirement.String``;
* ``pkg/api/validate/content/{kube,dns,errors}.go``: label key and value validation and
  their messages;
* ``pkg/util/validation/field/{errors,path}.go`` and ``pkg/util/errors/errors.go``: how those
  errors are rendered and aggregated;
* ``pkg/fields/selector.go``: ``ParseSelector`` (``=``, ``==``, ``!=`` and backslash escapes).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from typing import NamedTuple


class SelectorError(ValueError):
    """A selector string that the API server would reject; the message is upstream's."""


# ------------------------------------------------------------------ validation messages
# pkg/api/validate/content: kube.go, dns.go, errors.go.

_LABEL_KEY_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_LABEL_KEY_ERR = (
    "must consist of alphanumeric characters, '-', '_' or '.', "
    "and must start and end with an alphanumeric character"
)
_LABEL_VALUE_FMT = f"({_LABEL_KEY_FMT})?"
_LABEL_VALUE_ERR = (
    "a valid label must be an empty string or consist of alphanumeric characters, "
    "'-', '_' or '.', and must start and end with an alphanumeric character"
)
_DNS1123_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1123_SUBDOMAIN_FMT = _DNS1123_LABEL_FMT + "(\\." + _DNS1123_LABEL_FMT + ")*"
_DNS1123_SUBDOMAIN_ERR = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
    "'-' or '.', and must start and end with an alphanumeric character"
)
_LABEL_KEY_RE = re.compile(_LABEL_KEY_FMT)
_LABEL_VALUE_RE = re.compile(_LABEL_VALUE_FMT)
_DNS1123_SUBDOMAIN_RE = re.compile(_DNS1123_SUBDOMAIN_FMT)
_MAX_NAME_BYTES = 63
_MAX_SUBDOMAIN_BYTES = 253


def _regex_error(msg: str, regex: str, *examples: str) -> str:
    # Upstream's RegexError, double space included: "(e.g. 'a',  or 'b', regex used ...)".
    quoted = " or ".join(f"'{example}', " for example in examples)
    return f"{msg} (e.g. {quoted}regex used for validation is '{regex}')"


def _max_len_error(length: int) -> str:
    return f"must be no more than {length} bytes"


def _byte_len(text: str) -> int:
    """Go measures strings in UTF-8 bytes."""
    return len(text.encode("utf-8", "surrogatepass"))


def label_key_errors(key: str) -> list[str]:
    """Why ``key`` is not a label key (``content.IsLabelKey``); empty when it is one."""
    errs: list[str] = []
    parts = key.split("/")
    if len(parts) > 2:
        return [
            "a valid label key "
            + _regex_error(_LABEL_KEY_ERR, _LABEL_KEY_FMT, "MyName", "my.name", "123-abc")
            + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
        ]
    name = parts[-1]
    if len(parts) == 2:
        prefix = parts[0]
        if not prefix:
            errs.append("prefix part must be non-empty")
        else:
            if _byte_len(prefix) > _MAX_SUBDOMAIN_BYTES:
                errs.append("prefix part " + _max_len_error(_MAX_SUBDOMAIN_BYTES))
            if not _DNS1123_SUBDOMAIN_RE.fullmatch(prefix):
                errs.append(
                    "prefix part "
                    + _regex_error(_DNS1123_SUBDOMAIN_ERR, _DNS1123_SUBDOMAIN_FMT, "example.com")
                )
    if not name:
        errs.append("name part must be non-empty")
    elif _byte_len(name) > _MAX_NAME_BYTES:
        errs.append("name part " + _max_len_error(_MAX_NAME_BYTES))
    if not _LABEL_KEY_RE.fullmatch(name):
        errs.append(
            "name part "
            + _regex_error(_LABEL_KEY_ERR, _LABEL_KEY_FMT, "MyName", "my.name", "123-abc")
        )
    return errs


def label_value_errors(value: str) -> list[str]:
    """Why ``value`` is not a label value (``content.IsLabelValue``); empty when it is one."""
    errs: list[str] = []
    if _byte_len(value) > _MAX_NAME_BYTES:
        errs.append(_max_len_error(_MAX_NAME_BYTES))
    if not _LABEL_VALUE_RE.fullmatch(value):
        errs.append(
            _regex_error(_LABEL_VALUE_ERR, _LABEL_VALUE_FMT, "MyValue", "my_value", "12345")
        )
    return errs


def _invalid(path: str, bad_value: str | list[str], detail: str) -> str:
    """``field.Invalid(path, value, detail).Error()``: strings %q-quoted, lists as JSON."""
    if isinstance(bad_value, str):
        shown = json.dumps(bad_value, ensure_ascii=False)
    else:
        shown = json.dumps(bad_value, separators=(",", ":"), ensure_ascii=False)
    return f"{path}: Invalid value: {shown}: {detail}"


def _aggregate(messages: list[str]) -> str:
    """``utilerrors.NewAggregate(errs).Error()``: one as is, several deduplicated in [a, b]."""
    unique = list(dict.fromkeys(messages))
    return unique[0] if len(unique) == 1 else "[" + ", ".join(unique) + "]"


# ------------------------------------------------------------------ label requirements


class Op(StrEnum):
    """``selection.Operator``; the values are upstream's."""

    DOES_NOT_EXIST = "!"
    EQUALS = "="
    DOUBLE_EQUALS = "=="
    IN = "in"
    NOT_EQUALS = "!="
    NOT_IN = "notin"
    EXISTS = "exists"
    GREATER_THAN = "gt"
    LESS_THAN = "lt"


_BINARY_OPS = (
    Op.IN,
    Op.NOT_IN,
    Op.EQUALS,
    Op.DOUBLE_EQUALS,
    Op.NOT_EQUALS,
    Op.GREATER_THAN,
    Op.LESS_THAN,
)
_VALID_OPS = (*_BINARY_OPS, Op.EXISTS, Op.DOES_NOT_EXIST)
_POSITIVE_OPS = frozenset((Op.IN, Op.EQUALS, Op.DOUBLE_EQUALS))
_NEGATIVE_OPS = frozenset((Op.NOT_IN, Op.NOT_EQUALS))
_INT64_RE = re.compile(r"[+-]?[0-9]+")
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_MISSING = object()


def _parse_int64(text: str) -> int | None:
    """``strconv.ParseInt(text, 10, 64)``, or None where Go returns an error."""
    if not _INT64_RE.fullmatch(text):
        return None
    number = int(text)
    return number if _INT64_MIN <= number <= _INT64_MAX else None


@dataclass(frozen=True, slots=True)
class Requirement:
    """One ANDed term of a label selector; build it with :func:`new_requirement`."""

    key: str
    operator: Op
    values: tuple[str, ...]
    _value_set: frozenset[str] = field(init=False, repr=False, compare=False)
    _number: int | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_value_set", frozenset(self.values))
        number = _parse_int64(self.values[0]) if len(self.values) == 1 else None
        object.__setattr__(self, "_number", number)

    def matches(self, labels: Mapping[str, str]) -> bool:
        """``Requirement.Matches``: NotIn and != also match when the key is absent."""
        op = self.operator
        if op in _POSITIVE_OPS:
            return labels.get(self.key, _MISSING) in self._value_set
        if op in _NEGATIVE_OPS:
            return labels.get(self.key, _MISSING) not in self._value_set
        if op is Op.EXISTS:
            return self.key in labels
        if op is Op.DOES_NOT_EXIST:
            return self.key not in labels
        value = labels.get(self.key)
        actual = None if value is None else _parse_int64(value)
        if actual is None or self._number is None:
            return False
        return actual > self._number if op is Op.GREATER_THAN else actual < self._number

    def __str__(self) -> str:
        op = self.operator
        if op is Op.EXISTS:
            return self.key
        if op is Op.DOES_NOT_EXIST:
            return "!" + self.key
        values = self.values[0] if len(self.values) == 1 else ",".join(sorted(self.values))
        if op in (Op.IN, Op.NOT_IN):
            return f"{self.key} {op.value} ({values})"
        symbol = {Op.GREATER_THAN: ">", Op.LESS_THAN: "<"}.get(op, op.value)
        return f"{self.key}{symbol}{values}"


def new_requirement(key: str, operator: str, values: Iterable[str] = ()) -> Requirement:
    """``labels.NewRequirement``: check key, operator arity and values, then build.

    Raises :class:`SelectorError` with every problem found, aggregated as upstream does.
    """
    vals = list(values)
    errs: list[str] = []
    if key_errs := label_key_errors(key):
        errs.append(_invalid("key", key, "; ".join(key_errs)))
    try:
        op = Op(operator)
    except ValueError:
        op = None
    if op in (Op.IN, Op.NOT_IN):
        if not vals:
            errs.append(
                _invalid("values", vals, "for 'in', 'notin' operators, values set can't be empty")
            )
    elif op in (Op.EQUALS, Op.DOUBLE_EQUALS, Op.NOT_EQUALS):
        if len(vals) != 1:
            errs.append(
                _invalid("values", vals, "exact-match compatibility requires one single value")
            )
    elif op in (Op.EXISTS, Op.DOES_NOT_EXIST):
        if vals:
            errs.append(
                _invalid("values", vals, "values set must be empty for exists and does not exist")
            )
    elif op in (Op.GREATER_THAN, Op.LESS_THAN):
        if len(vals) != 1:
            errs.append(
                _invalid("values", vals, "for 'Gt', 'Lt' operators, exactly one value is required")
            )
        for i, value in enumerate(vals):
            if _parse_int64(value) is None:
                errs.append(
                    _invalid(
                        f"values[{i}]",
                        value,
                        "for 'Gt', 'Lt' operators, the value must be an integer",
                    )
                )
    else:
        supported = ", ".join(json.dumps(o.value) for o in _VALID_OPS)
        errs.append(
            f"operator: Unsupported value: {json.dumps(operator)}: supported values: {supported}"
        )
    for i, value in enumerate(vals):
        if value_errs := label_value_errors(value):
            errs.append(_invalid(f"values[{i}][{key}]", value, "; ".join(value_errs)))
    if errs:
        raise SelectorError(_aggregate(errs))
    assert op is not None  # an unknown operator always adds an error above
    return Requirement(key, op, tuple(vals))


@dataclass(frozen=True, slots=True)
class LabelSelector:
    """Requirements ANDed together, sorted by key; no requirement selects everything."""

    requirements: tuple[Requirement, ...] = ()

    @property
    def empty(self) -> bool:
        """True when the selector does not restrict anything."""
        return not self.requirements

    def matches(self, labels: Mapping[str, str] | None) -> bool:
        """True when every requirement holds for ``labels`` (None = no labels)."""
        present = labels if labels is not None else {}
        # A plain loop: all() over a generator costs more on this per-object hot path.
        for requirement in self.requirements:  # noqa: SIM110
            if not requirement.matches(present):
                return False
        return True

    def __str__(self) -> str:
        """The canonical form upstream's ``String()`` prints, e.g. ``a=b,x in (c,d),!y``."""
        return ",".join(str(r) for r in self.requirements)


# ------------------------------------------------------------------ label lexer


class Token(IntEnum):
    """The lexer's token kinds (``labels.Token``; upstream's ErrorToken cannot occur here)."""

    END_OF_STRING = 1
    CLOSED_PAR = 2
    COMMA = 3
    DOES_NOT_EXIST = 4
    DOUBLE_EQUALS = 5
    EQUALS = 6
    GREATER_THAN = 7
    IDENTIFIER = 8
    IN = 9
    LESS_THAN = 10
    NOT_EQUALS = 11
    NOT_IN = 12
    OPEN_PAR = 13


_STRING_TO_TOKEN = {
    ")": Token.CLOSED_PAR,
    ",": Token.COMMA,
    "!": Token.DOES_NOT_EXIST,
    "==": Token.DOUBLE_EQUALS,
    "=": Token.EQUALS,
    ">": Token.GREATER_THAN,
    "in": Token.IN,
    "<": Token.LESS_THAN,
    "!=": Token.NOT_EQUALS,
    "notin": Token.NOT_IN,
    "(": Token.OPEN_PAR,
}
_SPECIAL = frozenset("=!(),><")
_WHITESPACE = frozenset(" \t\r\n")


def lex(text: str) -> list[tuple[Token, str]]:
    """Every (token, literal) of ``text``, ending with END_OF_STRING (``Lexer.Lex``).

    A run of special characters yields the longest token that starts it ("!=" rather than
    "!"); any other run of characters up to whitespace or a special character is an
    identifier, or the keyword ``in`` / ``notin``.
    """
    items: list[tuple[Token, str]] = []
    pos, end = 0, len(text)
    while True:
        while pos < end and text[pos] in _WHITESPACE:
            pos += 1
        if pos == end:
            items.append((Token.END_OF_STRING, ""))
            return items
        start = pos
        if text[pos] in _SPECIAL:
            # Every special character alone is a token, so ``longest`` is set on the
            # first pass; upstream's error branch for "no token at all" is unreachable.
            longest = start + 1
            while pos < end and text[pos] in _SPECIAL:
                if text[start : pos + 1] in _STRING_TO_TOKEN:
                    longest = pos + 1
                elif longest > start:
                    break
                pos += 1
            pos = longest
            literal = text[start:pos]
            items.append((_STRING_TO_TOKEN[literal], literal))
        else:
            while pos < end and text[pos] not in _SPECIAL and text[pos] not in _WHITESPACE:
                pos += 1
            literal = text[start:pos]
            items.append((_STRING_TO_TOKEN.get(literal, Token.IDENTIFIER), literal))


# ------------------------------------------------------------------ label parser

_OPERATOR_TOKENS = {
    Token.IN: Op.IN,
    Token.EQUALS: Op.EQUALS,
    Token.DOUBLE_EQUALS: Op.DOUBLE_EQUALS,
    Token.GREATER_THAN: Op.GREATER_THAN,
    Token.LESS_THAN: Op.LESS_THAN,
    Token.NOT_IN: Op.NOT_IN,
    Token.NOT_EQUALS: Op.NOT_EQUALS,
}
_EXPECTED_OPERATORS = ", ".join(o.value for o in _BINARY_OPS)


class _Parser:
    """``labels.Parser``. ``values`` is upstream's ``Values`` context, where the keywords
    ``in`` and ``notin`` read as identifiers (so ``a in (in,notin)`` parses)."""

    def __init__(self, text: str) -> None:
        self.items = lex(text)
        self.pos = 0

    def lookahead(self, values: bool = True) -> tuple[Token, str]:
        tok, lit = self.items[self.pos]
        if values and tok in (Token.IN, Token.NOT_IN):
            tok = Token.IDENTIFIER
        return tok, lit

    def consume(self, values: bool = True) -> tuple[Token, str]:
        item = self.lookahead(values)
        self.pos += 1
        return item

    def parse(self) -> list[Requirement]:
        requirements: list[Requirement] = []
        while True:
            tok, lit = self.lookahead()
            if tok == Token.END_OF_STRING:
                return requirements
            if tok not in (Token.IDENTIFIER, Token.DOES_NOT_EXIST):
                raise SelectorError(f"found '{lit}', expected: !, identifier, or 'end of string'")
            try:
                requirements.append(self.parse_requirement())
            except SelectorError as err:
                raise SelectorError(f"unable to parse requirement: {err}") from None
            tok, lit = self.consume()
            if tok == Token.END_OF_STRING:
                return requirements
            if tok != Token.COMMA:
                raise SelectorError(f"found '{lit}', expected: ',' or 'end of string'")
            tok, lit = self.lookahead()
            if tok not in (Token.IDENTIFIER, Token.DOES_NOT_EXIST):
                raise SelectorError(f"found '{lit}', expected: identifier after ','")

    def parse_requirement(self) -> Requirement:
        key, operator = self.parse_key_and_infer_operator()
        if operator is not None:
            return new_requirement(key, operator)
        operator = self.parse_operator()
        in_set = operator in (Op.IN, Op.NOT_IN)
        values = self.parse_values() if in_set else self.parse_exact_value()
        return new_requirement(key, operator, sorted(values))

    def parse_key_and_infer_operator(self) -> tuple[str, Op | None]:
        """The key, with Exists / DoesNotExist when no binary operator follows it."""
        operator = None
        tok, literal = self.consume()
        if tok == Token.DOES_NOT_EXIST:
            operator = Op.DOES_NOT_EXIST
            tok, literal = self.consume()
        if tok != Token.IDENTIFIER:
            raise SelectorError(f"found '{literal}', expected: identifier")
        if key_errs := label_key_errors(literal):
            # The parser validates the key with a nil field path, hence upstream's "<nil>".
            raise SelectorError(_invalid("<nil>", literal, "; ".join(key_errs)))
        if operator is None and self.lookahead()[0] in (Token.END_OF_STRING, Token.COMMA):
            operator = Op.EXISTS
        return literal, operator

    def parse_operator(self) -> Op:
        tok, lit = self.consume(values=False)
        operator = _OPERATOR_TOKENS.get(tok)
        if operator is None:
            raise SelectorError(f"found '{lit}', expected: {_EXPECTED_OPERATORS}")
        return operator

    def parse_values(self) -> set[str]:
        tok, lit = self.consume()
        if tok != Token.OPEN_PAR:
            raise SelectorError(f"found '{lit}' expected: '('")
        tok, lit = self.lookahead()
        if tok in (Token.IDENTIFIER, Token.COMMA):
            values = self.parse_identifiers_list()
            if self.consume()[0] != Token.CLOSED_PAR:
                raise SelectorError(f"found '{lit}', expected: ')'")
            return values
        if tok == Token.CLOSED_PAR:  # "()" is the set holding the empty string
            self.consume()
            return {""}
        raise SelectorError(f"found '{lit}', expected: ',', ')' or identifier")

    def parse_identifiers_list(self) -> set[str]:
        """A comma-separated list where an empty slot (``(a,,b)``, ``(,a)``) is ``""``."""
        values: set[str] = set()
        while True:
            tok, lit = self.consume()
            if tok == Token.IDENTIFIER:
                values.add(lit)
                tok2, lit2 = self.lookahead()
                if tok2 == Token.CLOSED_PAR:
                    return values
                if tok2 != Token.COMMA:
                    raise SelectorError(f"found '{lit2}', expected: ',' or ')'")
            elif tok == Token.COMMA:
                if not values:
                    values.add("")
                tok2, _ = self.lookahead()
                if tok2 == Token.CLOSED_PAR:
                    values.add("")
                    return values
                if tok2 == Token.COMMA:
                    values.add("")
            else:
                raise SelectorError(f"found '{lit}', expected: ',', or identifier")

    def parse_exact_value(self) -> set[str]:
        tok, _ = self.lookahead()
        if tok in (Token.END_OF_STRING, Token.COMMA):
            return {""}
        tok, lit = self.consume()
        if tok == Token.IDENTIFIER:
            return {lit}
        raise SelectorError(f"found '{lit}', expected: identifier")


def parse_label_selector(text: str) -> LabelSelector:
    """``labels.Parse``: ``k=v k==v k!=v``, ``k in (a,b)``, ``k notin (a,b)``, ``k``,
    ``!k``, ``k>1``, ``k<1``, joined by commas; ``""`` selects everything.

    Raises :class:`SelectorError` with upstream's message.
    """
    requirements = _Parser(text).parse()
    requirements.sort(key=lambda r: r.key)  # deterministic, as upstream's sort by key
    return LabelSelector(tuple(requirements))


# ------------------------------------------------------------------ field selectors


class FieldRequirement(NamedTuple):
    """One ANDed term of a field selector; ``operator`` is ``=`` or ``!=``."""

    field: str
    operator: str
    value: str


def escape_field_value(value: str) -> str:
    """``fields.EscapeValue``: backslash-escape ``\\``, ``,`` and ``=``."""
    return value.replace("\\", "\\\\").replace(",", "\\,").replace("=", "\\=")


def unescape_field_value(text: str) -> str:
    """``fields.UnescapeValue``; raises :class:`SelectorError` on a bad escape or a bare
    ``,`` / ``=``."""
    if not any(c in text for c in "\\,="):
        return text
    out: list[str] = []
    in_slash = False
    for c in text:
        if in_slash:
            if c not in "\\,=":
                raise SelectorError(f"invalid field selector: invalid escape sequence: \\{c}")
            out.append(c)
            in_slash = False
        elif c == "\\":
            in_slash = True
        elif c in ",=":
            # Upstream formats the rune with %v, which prints its number.
            raise SelectorError(f"invalid field selector: unescaped character in value: {ord(c)}")
        else:
            out.append(c)
    if in_slash:
        raise SelectorError("invalid field selector: invalid escape sequence: \\")
    return "".join(out)


def split_field_terms(text: str) -> list[str]:
    """``splitTerms``: split on commas not escaped by a backslash (escapes are kept)."""
    if not text:
        return []
    terms: list[str] = []
    start = 0
    in_slash = False
    for i, c in enumerate(text):
        if in_slash:
            in_slash = False
        elif c == "\\":
            in_slash = True
        elif c == ",":
            terms.append(text[start:i])
            start = i + 1
    terms.append(text[start:])
    return terms


def split_field_term(term: str) -> tuple[str, str, str] | None:
    """``splitTerm``: (lhs, operator, raw rhs) at the first operator, or None."""
    for i in range(len(term)):
        for operator in ("!=", "==", "="):
            if term.startswith(operator, i):
                return term[:i], operator, term[i + len(operator) :]
    return None


@dataclass(frozen=True, slots=True)
class FieldSelector:
    """Field requirements ANDed together, in upstream's order (sorted by term text)."""

    requirements: tuple[FieldRequirement, ...] = ()

    @property
    def empty(self) -> bool:
        """True when the selector does not restrict anything."""
        return not self.requirements

    def matches(self, get: Callable[[str], str | None]) -> bool:
        """True when every term holds; ``get(field)`` gives a field's value, None = ``""``
        (upstream's ``Fields.Get`` returns "" for an unknown field)."""
        for name, operator, value in self.requirements:
            if ((get(name) or "") == value) != (operator == "="):
                return False
        return True

    def __str__(self) -> str:
        return ",".join(
            f"{name}{operator}{escape_field_value(value)}"
            for name, operator, value in self.requirements
        )


def parse_field_selector(text: str) -> FieldSelector:
    """``fields.ParseSelector``: ``f=v``, ``f==v``, ``f!=v`` joined by commas; ``""`` and
    empty terms select everything.

    Raises :class:`SelectorError` with upstream's message.
    """
    requirements: list[FieldRequirement] = []
    for term in sorted(split_field_terms(text)):
        if not term:
            continue
        parts = split_field_term(term)
        if parts is None:
            raise SelectorError(f"invalid selector: '{text}'; can't understand '{term}'")
        name, operator, raw = parts
        requirements.append(
            FieldRequirement(name, "!=" if operator == "!=" else "=", unescape_field_value(raw))
        )
    return FieldSelector(tuple(requirements))
