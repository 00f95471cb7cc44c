"""Label and field selectors against apimachinery's own test tables.

Tables rewritten from kubernetes/apimachinery at commit
eed236ceee2c19c2753a3d93ac0631dc20750454 (master, 2026-07-23):
``pkg/labels/selector_test.go`` and ``pkg/fields/selector_test.go``. Each table names the
Go test it comes from; rows that need Go-only internals are left out with a note.
"""

from __future__ import annotations

import pytest

from kubetui.model.selectors import (
    FieldRequirement,
    LabelSelector,
    Op,
    SelectorError,
    Token,
    escape_field_value,
    lex,
    new_requirement,
    parse_field_selector,
    parse_label_selector,
    split_field_term,
    split_field_terms,
    unescape_field_value,
)

T = Token

# ================================================================== labels

# TestSelectorParse: good strings re-print as themselves without spaces.
LABEL_GOOD = [
    "x=a,y=b,z=c",
    "",
    "x!=a,y=b",
    "x=",
    "x= ",
    "x=,z= ",
    "x= ,z= ",
    "!x",
    "x>1",
    "x>1,z<5",
]
LABEL_BAD = ["x=a||y=b", "x==a==b", "!x=a", "x<a"]


@pytest.mark.parametrize("text", LABEL_GOOD)
def test_label_parse_good_restrings(text: str) -> None:
    assert str(parse_label_selector(text)) == text.replace(" ", "")


@pytest.mark.parametrize("text", LABEL_BAD)
def test_label_parse_bad(text: str) -> None:
    with pytest.raises(SelectorError):
        parse_label_selector(text)


def test_label_parse_is_deterministic() -> None:  # TestDeterministicParse
    assert str(parse_label_selector("x=a,a=x")) == str(parse_label_selector("a=x,x=a"))


# TestSelectorMatches (expectMatch / expectNoMatch), plus TestEverything's "" row.
FOO_BAZ = {"foo": "bar", "baz": "blah"}
LABEL_MATCHES = [
    ("", {"x": "y"}, True),
    ("x=y", {"x": "y"}, True),
    ("x=y,z=w", {"x": "y", "z": "w"}, True),
    ("x!=y,z!=w", {"x": "z", "z": "a"}, True),
    ("notin=in", {"notin": "in"}, True),  # in and notin in exactMatch
    ("x", {"x": "z"}, True),
    ("!x", {"y": "z"}, True),
    ("x>1", {"x": "2"}, True),
    ("x<1", {"x": "0"}, True),
    ("x=z", {}, False),
    ("x=y", {"x": "z"}, False),
    ("x=y,z=w", {"x": "w", "z": "w"}, False),
    ("x!=y,z!=w", {"x": "z", "z": "w"}, False),
    ("x", {"y": "z"}, False),
    ("!x", {"x": "z"}, False),
    ("x>1", {"x": "0"}, False),
    ("x<1", {"x": "2"}, False),
    ("foo=bar", FOO_BAZ, True),
    ("baz=blah", FOO_BAZ, True),
    ("foo=bar,baz=blah", FOO_BAZ, True),
    ("foo=blah", FOO_BAZ, False),
    ("baz=bar", FOO_BAZ, False),
    ("foo=bar,foobar=bar,baz=blah", FOO_BAZ, False),
]


@pytest.mark.parametrize(("text", "labels", "expected"), LABEL_MATCHES)
def test_label_matches(text: str, labels: dict[str, str], expected: bool) -> None:
    assert parse_label_selector(text).matches(labels) is expected


# TestLexer: the first token of each string and its literal.
LEXER = [
    ("", T.END_OF_STRING),
    (",", T.COMMA),
    ("notin", T.NOT_IN),
    ("in", T.IN),
    ("=", T.EQUALS),
    ("==", T.DOUBLE_EQUALS),
    (">", T.GREATER_THAN),
    ("<", T.LESS_THAN),
    ("!", T.DOES_NOT_EXIST),  # Lex returns the longest valid token found
    ("!=", T.NOT_EQUALS),
    ("(", T.OPEN_PAR),
    (")", T.CLOSED_PAR),
    ("~", T.IDENTIFIER),  # non-"special" characters are part of an identifier
    ("||", T.IDENTIFIER),
]


@pytest.mark.parametrize(("text", "token"), LEXER)
def test_lexer_first_token(text: str, token: Token) -> None:
    assert lex(text)[0] == (token, text)


# TestParserLookahead (the same rows as TestLexerSequence, plus the END_OF_STRING token).
LEXER_SEQUENCES = [
    ("key in ( value )", [T.IDENTIFIER, T.IN, T.OPEN_PAR, T.IDENTIFIER, T.CLOSED_PAR]),
    ("key notin ( value )", [T.IDENTIFIER, T.NOT_IN, T.OPEN_PAR, T.IDENTIFIER, T.CLOSED_PAR]),
    (
        "key in ( value1, value2 )",
        [T.IDENTIFIER, T.IN, T.OPEN_PAR, T.IDENTIFIER, T.COMMA, T.IDENTIFIER, T.CLOSED_PAR],
    ),
    ("key", [T.IDENTIFIER]),
    ("!key", [T.DOES_NOT_EXIST, T.IDENTIFIER]),
    ("()", [T.OPEN_PAR, T.CLOSED_PAR]),
    ("", []),
    ("x in (),y", [T.IDENTIFIER, T.IN, T.OPEN_PAR, T.CLOSED_PAR, T.COMMA, T.IDENTIFIER]),
    (
        "== != (), = notin",
        [T.DOUBLE_EQUALS, T.NOT_EQUALS, T.OPEN_PAR, T.CLOSED_PAR, T.COMMA, T.EQUALS, T.NOT_IN],
    ),
    ("key>2", [T.IDENTIFIER, T.GREATER_THAN, T.IDENTIFIER]),
    ("key<1", [T.IDENTIFIER, T.LESS_THAN, T.IDENTIFIER]),
]


@pytest.mark.parametrize(("text", "tokens"), LEXER_SEQUENCES)
def test_lexer_sequence(text: str, tokens: list[Token]) -> None:
    assert [tok for tok, _ in lex(text)] == [*tokens, T.END_OF_STRING]


# TestParseOperator: the error rows, reached through a key followed by the bad operator.
BINARY = "in, notin, =, ==, !=, gt, lt"


@pytest.mark.parametrize("token", ["!", "exists", "("])
def test_parse_operator_errors(token: str) -> None:
    with pytest.raises(SelectorError) as err:
        parse_label_selector(f"x {token}")
    assert str(err.value) == f"unable to parse requirement: found '{token}', expected: {BINARY}"


# TestRequirementConstructor: (key, operator, values, expected "<field>: <type>: <value>"
# prefix of the error, or None). Upstream compares Type/Field/BadValue and ignores Detail.
A254 = "a" * 254
REQUIREMENT_CONSTRUCTOR = [
    ("x1", "in", [], "values: Invalid value: []"),
    ("x2", "notin", [], "values: Invalid value: []"),
    ("x3", "in", ["foo"], None),
    ("x4", "notin", ["foo"], None),
    ("x5", "=", ["bar", "foo"], 'values: Invalid value: ["bar","foo"]'),
    ("x6", "exists", [], None),
    ("x7", "!", [], None),
    ("x8", "exists", ["foo"], 'values: Invalid value: ["foo"]'),
    ("x9", "in", ["bar"], None),
    ("x10", "in", ["bar"], None),
    ("x11", "gt", ["1"], None),
    ("x12", "lt", ["6"], None),
    ("x13", "gt", [], "values: Invalid value: []"),
    ("x14", "gt", ["bar"], 'values[0]: Invalid value: "bar"'),
    ("x15", "lt", ["bar"], 'values[0]: Invalid value: "bar"'),
    (A254, "exists", [], f'key: Invalid value: "{A254}"'),  # name part longer than 63
    ("x16", "=", [A254], f'values[0][x16]: Invalid value: "{A254}"'),
    ("x17", "=", ["a b"], 'values[0][x17]: Invalid value: "a b"'),
    ("x18", "unsupportedOp", [], 'operator: Unsupported value: "unsupportedOp"'),
]


@pytest.mark.parametrize(("key", "op", "values", "error"), REQUIREMENT_CONSTRUCTOR)
def test_requirement_constructor(key: str, op: str, values: list[str], error: str | None) -> None:
    if error is None:
        assert new_requirement(key, op, values).key == key
        return
    with pytest.raises(SelectorError) as err:
        new_requirement(key, op, values)
    assert str(err.value).startswith(error + ": ")


def test_requirement_error_wording_matches_descheduler_validation_test() -> None:
    # kubernetes-sigs/descheduler@7d2b28bf pkg/framework/plugins/removefailedpods/
    # validation_test.go quotes this text (with Go's nil slice shown as null, ours as []).
    with pytest.raises(SelectorError) as err:
        new_requirement("", "in", [])
    assert str(err.value) == (
        '[key: Invalid value: "": name part must be non-empty; name part must consist of '
        "alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric "
        "character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
        "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]'), values: Invalid value: []: for 'in', "
        "'notin' operators, values set can't be empty]"
    )


def _sel(*reqs: tuple[str, str, list[str]]) -> LabelSelector:
    return LabelSelector(tuple(new_requirement(k, op, vals) for k, op, vals in reqs))


# TestToString (the row holding Go's zero-value Requirement is left out: it cannot be built).
TO_STRING = [
    (
        _sel(("x", "in", ["abc", "def"]), ("y", "notin", ["jkl"]), ("z", "exists", [])),
        "x in (abc,def),y notin (jkl),z",
    ),
    (
        _sel(("x", "notin", ["abc", "def"]), ("y", "!=", ["jkl"]), ("z", "!", [])),
        "x notin (abc,def),y!=jkl,!z",
    ),
    (
        _sel(("x", "notin", ["abc"]), ("y", "in", ["jkl", "mno"]), ("z", "notin", [""])),
        "x notin (abc),y in (jkl,mno),z notin ()",
    ),
    (
        _sel(("x", "=", ["abc"]), ("y", "==", ["jkl"]), ("z", "!=", ["a"]), ("z", "exists", [])),
        "x=abc,y==jkl,z!=a,z",
    ),
    (_sel(("x", "gt", ["2"]), ("y", "lt", ["8"]), ("z", "exists", [])), "x>2,y<8,z"),
]


@pytest.mark.parametrize(("selector", "text"), TO_STRING)
def test_to_string(selector: LabelSelector, text: str) -> None:
    assert str(selector) == text


# TestRequirementSelectorMatching (the zero-value Requirement row is left out).
REQUIREMENT_MATCHING = [
    ({"x": "foo", "y": "baz"}, _sel(("x", "in", ["foo"]), ("y", "notin", ["alpha"])), True),
    ({"x": "foo", "y": "baz"}, _sel(("x", "in", ["foo"]), ("y", "in", ["alpha"])), False),
    ({"y": ""}, _sel(("x", "notin", [""]), ("y", "exists", [])), True),
    ({"y": ""}, _sel(("x", "!", []), ("y", "exists", [])), True),
    ({"y": ""}, _sel(("x", "notin", [""]), ("y", "!", [])), False),
    ({"y": "baz"}, _sel(("x", "in", [""])), False),
    ({"z": "2"}, _sel(("z", "gt", ["1"])), True),
    ({"z": "v2"}, _sel(("z", "gt", ["1"])), False),
]


@pytest.mark.parametrize(("labels", "selector", "expected"), REQUIREMENT_MATCHING)
def test_requirement_selector_matching(
    labels: dict[str, str], selector: LabelSelector, expected: bool
) -> None:
    assert selector.matches(labels) is expected


# TestSetSelectorParser: (input, expected requirements or None, compare?, valid?).
# "compare" is upstream's Match column: False rows are parsed but not compared (for
# "x,y in (a)" because upstream lists the requirements out of key order on purpose).
E, DNE = "exists", "!"
SET_SELECTOR_PARSER = [
    ("", [], True, True),
    ("\rx", [("x", E, [])], True, True),
    (
        "this-is-a-dns.domain.com/key-with-dash",
        [("this-is-a-dns.domain.com/key-with-dash", E, [])],
        True,
        True,
    ),
    (
        "this-is-another-dns.domain.com/key-with-dash in (so,what)",
        [("this-is-another-dns.domain.com/key-with-dash", "in", ["so", "what"])],
        True,
        True,
    ),
    (
        "0.1.2.domain/99 notin (10.10.100.1, tick.tack.clock)",
        [("0.1.2.domain/99", "notin", ["10.10.100.1", "tick.tack.clock"])],
        True,
        True,
    ),
    ("foo  in\t (abc)", [("foo", "in", ["abc"])], True, True),
    ("x notin\n (abc)", [("x", "notin", ["abc"])], True, True),
    ("x  notin\t\t\t(abc,def)", [("x", "notin", ["abc", "def"])], True, True),
    ("x in (abc,def)", [("x", "in", ["abc", "def"])], True, True),
    ("x in (abc,)", [("x", "in", ["", "abc"])], True, True),
    ("x in (abc,abc)", [("x", "in", ["abc"])], True, True),
    ("x in ()", [("x", "in", [""])], True, True),
    ("x in (a,,)", [("x", "in", ["", "a"])], True, True),
    ("x in (a,,,)", [("x", "in", ["", "a"])], True, True),
    ("x in (a,,,,,,)", [("x", "in", ["", "a"])], True, True),
    ("x in (a,,a,,a,,a,,)", [("x", "in", ["", "a"])], True, True),
    (
        "x notin (abc,,def),bar,z in (),w",
        [("bar", E, []), ("w", E, []), ("x", "notin", ["", "abc", "def"]), ("z", "in", [""])],
        True,
        True,
    ),
    ("x,y in (a)", None, False, True),
    ("x=a", [("x", "=", ["a"])], True, True),
    ("x>1", [("x", "gt", ["1"])], True, True),
    ("x<7", [("x", "lt", ["7"])], True, True),
    ("x=a,y!=b", [("x", "=", ["a"]), ("y", "!=", ["b"])], True, True),
    (
        "x=a,y!=b,z in (h,i,j)",
        [("x", "=", ["a"]), ("y", "!=", ["b"]), ("z", "in", ["h", "i", "j"])],
        True,
        True,
    ),
    ("x=a||y=b", None, False, False),
    ("x,,y", None, True, False),
    (",x,y", None, True, False),
    ("x nott in (y)", None, True, False),
    ("x notin ( )", [("x", "notin", [""])], True, True),
    ("x notin (, a)", [("x", "notin", ["", "a"])], True, True),
    ("a in (xyz),", None, True, False),
    ("a in (xyz)b notin ()", None, True, False),
    ("a ", [("a", E, [])], True, True),
    (
        "a in (x,y,notin, z,in)",  # operator 'in' inside a list of identifiers
        [("a", "in", ["in", "notin", "x", "y", "z"])],
        True,
        True,
    ),
    ("a in (xyz abc)", None, False, False),  # no comma
    ("a notin(", None, True, False),  # badly formed
    ("a (", None, False, False),  # cpar
    ("(", None, False, False),  # opar
    ("!x", [("x", DNE, [])], True, True),  # kubetui: the DoesNotExist form, round trip
]


@pytest.mark.parametrize(("text", "expected", "compare", "valid"), SET_SELECTOR_PARSER)
def test_set_selector_parser(
    text: str,
    expected: list[tuple[str, str, list[str]]] | None,
    compare: bool,
    valid: bool,
) -> None:
    if not valid:
        with pytest.raises(SelectorError):
            parse_label_selector(text)
        return
    selector = parse_label_selector(text)
    if compare and expected is not None:
        assert selector == _sel(*expected)


# kubetui's own cases: messages users see, None labels, and the empty selector.
LABEL_ERRORS = [
    ("x,", "found '', expected: identifier after ','"),
    ("x=a b", "found 'b', expected: ',' or 'end of string'"),
    ("=a", "found '=', expected: !, identifier, or 'end of string'"),
    ("a in (xyz abc)", "unable to parse requirement: found 'abc', expected: ',' or ')'"),
    ("a notin(", "unable to parse requirement: found '', expected: ',', ')' or identifier"),
    ("a notin x", "unable to parse requirement: found 'x' expected: '('"),
    ("!", "unable to parse requirement: found '', expected: identifier"),
    (
        "a/b/c",
        'unable to parse requirement: <nil>: Invalid value: "a/b/c": a valid label key must '
        "consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
        "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
        "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS "
        "subdomain prefix and '/' (e.g. 'example.com/MyName')",
    ),
    (
        "Bad_Prefix/x",
        'unable to parse requirement: <nil>: Invalid value: "Bad_Prefix/x": prefix part a '
        "lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' "
        "or '.', and must start and end with an alphanumeric character (e.g. 'example.com', "
        "regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*"
        "[a-z0-9])?)*')",
    ),
    (
        "x>a-",
        "unable to parse requirement: [values[0]: Invalid value: \"a-\": for 'Gt', 'Lt' "
        'operators, the value must be an integer, values[0][x]: Invalid value: "a-": a valid '
        "label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', "
        "and must start and end with an alphanumeric character (e.g. 'MyValue',  or "
        "'my_value',  or '12345', regex used for validation is "
        "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')]",
    ),
]


@pytest.mark.parametrize(("text", "message"), LABEL_ERRORS)
def test_label_error_messages(text: str, message: str) -> None:
    with pytest.raises(SelectorError) as err:
        parse_label_selector(text)
    assert str(err.value) == message


def test_label_selector_none_labels_and_empty() -> None:
    assert parse_label_selector("").empty
    assert parse_label_selector("").matches(None)
    assert parse_label_selector("!x,y notin (a)").matches(None)
    assert not parse_label_selector("x").matches(None)
    assert not parse_label_selector("x>1").matches({"x": "1_0"})  # Go's ParseInt, not int()
    assert parse_label_selector("x<1").matches({"x": "-5"})


def test_label_requirements_are_sorted_by_key_with_upstream_operators() -> None:
    selector = parse_label_selector("z!=1, a in (y,x), m")
    assert [(r.key, r.operator, r.values) for r in selector.requirements] == [
        ("a", Op.IN, ("x", "y")),
        ("m", Op.EXISTS, ()),
        ("z", Op.NOT_EQUALS, ("1",)),
    ]


# ================================================================== fields

# TestSplitTerms
SPLIT_TERMS = {
    "a": ["a"],
    "a=avalue": ["a=avalue"],
    "a=avalue,b=bvalue": ["a=avalue", "b=bvalue"],
    "a=avalue,b==bvalue,c!=cvalue": ["a=avalue", "b==bvalue", "c!=cvalue"],
    "": [],
    "a=a,": ["a=a", ""],
    ",a=a": ["", "a=a"],
    r"k=\,,k2=v2": [r"k=\,", "k2=v2"],  # escaped comma in value
    r"k=\\,k2=v2": [r"k=\\", "k2=v2"],  # escaped backslash, unescaped comma
    r"k=\\\,,k2=v2": [r"k=\\\,", "k2=v2"],  # escaped backslash and comma
    "k=\\a\\b\\": ["k=\\a\\b\\"],  # non-escape sequences
    "k=\\": ["k=\\"],  # orphan backslash
    "함=수,목=록": ["함=수", "목=록"],  # multi-byte
}


@pytest.mark.parametrize(("text", "terms"), SPLIT_TERMS.items())
def test_split_field_terms(text: str, terms: list[str]) -> None:
    assert split_field_terms(text) == terms


# TestSplitTerm
SPLIT_TERM = {
    "a=value": ("a", "=", "value"),
    "b==value": ("b", "==", "value"),
    "c!=value": ("c", "!=", "value"),
    "": None,
    "a": None,
    r"k=\,": ("k", "=", r"\,"),
    r"k=\=": ("k", "=", r"\="),
    "k=\\\\\\a\\b\\=\\,\\": ("k", "=", "\\\\\\a\\b\\=\\,\\"),
    "함=수": ("함", "=", "수"),
}


@pytest.mark.parametrize(("term", "parts"), SPLIT_TERM.items())
def test_split_field_term(term: str, parts: tuple[str, str, str] | None) -> None:
    assert split_field_term(term) == parts


# TestEscapeValue: unescaped -> escaped, both ways; then invalid escape sequences.
ESCAPES = {
    "": "",
    "a": "a",
    "=": r"\=",
    ",": r"\,",
    "\\": "\\\\",
    "\\=\\,\\": "\\\\\\=\\\\\\,\\\\",  # `\=\,\` -> `\\\=\\\,\\`
}


@pytest.mark.parametrize(("raw", "escaped"), ESCAPES.items())
def test_escape_field_value(raw: str, escaped: str) -> None:
    assert escape_field_value(raw) == escaped
    assert unescape_field_value(escaped) == raw


@pytest.mark.parametrize("text", ["\\", "\\\\\\", r"\a"])
def test_unescape_invalid_sequence(text: str) -> None:
    with pytest.raises(SelectorError, match="invalid escape sequence"):
        unescape_field_value(text)


# TestSelectorParse (fields)
FIELD_GOOD = ["x=a,y=b,z=c", "", "x!=a,y=b", r"x=a||y\=b", r"x=a\=\=b"]
FIELD_BAD = ["x=a||y=b", "x==a==b", "x=a,b", "x in (a)", "x in (a,b,c)", "x"]


@pytest.mark.parametrize("text", FIELD_GOOD)
def test_field_parse_good_restrings(text: str) -> None:
    assert str(parse_field_selector(text)) == text


@pytest.mark.parametrize("text", FIELD_BAD)
def test_field_parse_bad(text: str) -> None:
    with pytest.raises(SelectorError):
        parse_field_selector(text)


def test_field_parse_is_deterministic() -> None:  # TestDeterministicParse
    assert str(parse_field_selector("x=a,a=x")) == str(parse_field_selector("a=x,x=a"))


# TestSelectorMatches and TestEverything (fields)
FIELDSET = {"foo": "bar", "baz": "blah", "complex": "=value\\,\\"}
FIELD_MATCHES = [
    ("", {"x": "y"}, True),
    ("x=y", {"x": "y"}, True),
    ("x=y,z=w", {"x": "y", "z": "w"}, True),
    ("x!=y,z!=w", {"x": "z", "z": "a"}, True),
    ("notin=in", {"notin": "in"}, True),  # in and notin in exactMatch
    ("x=y", {"x": "z"}, False),
    ("x=y,z=w", {"x": "w", "z": "w"}, False),
    ("x!=y,z!=w", {"x": "z", "z": "w"}, False),
    ("foo=bar", FIELDSET, True),
    ("baz=blah", FIELDSET, True),
    ("foo=bar,baz=blah", FIELDSET, True),
    (r"foo=bar,baz=blah,complex=\=value\\\,\\", FIELDSET, True),
    ("foo=blah", FIELDSET, False),
    ("baz=bar", FIELDSET, False),
    ("foo=bar,foobar=bar,baz=blah", FIELDSET, False),
    ("spec.nodeName=", {}, True),  # kubetui: an unknown field reads as ""
    ("spec.nodeName!=", {}, False),
]


@pytest.mark.parametrize(("text", "fields", "expected"), FIELD_MATCHES)
def test_field_matches(text: str, fields: dict[str, str], expected: bool) -> None:
    assert parse_field_selector(text).matches(fields.get) is expected


# kubetui's own cases: requirements exposed for the simulator, and error messages.
def test_field_requirements_and_messages() -> None:
    selector = parse_field_selector("status.phase!=Running,metadata.name==a\\,b,")
    assert selector.requirements == (
        FieldRequirement("metadata.name", "=", "a,b"),
        FieldRequirement("status.phase", "!=", "Running"),
    )
    assert str(selector) == r"metadata.name=a\,b,status.phase!=Running"
    assert parse_field_selector(",").empty
    with pytest.raises(SelectorError) as err:
        parse_field_selector("a=b,x")
    assert str(err.value) == "invalid selector: 'a=b,x'; can't understand 'x'"
    with pytest.raises(SelectorError) as err:
        parse_field_selector("x==a==b")
    assert str(err.value) == "invalid field selector: unescaped character in value: 61"
