"""Quantity parsing, Value()/MilliValue() rounding and byte formatting.

Tables rewritten from kubernetes/apimachinery pkg/api/resource/quantity_test.go
(master eed236ce, 2026-07-23): TestQuantityParse, its invalid list, TestParseQuantity,
TestJSONWhitespace and TestScaledValue.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from kubetui.model.quantity import MAX_INT64, cpu_millis, format_bytes, memory_bytes, parse_quantity

# TestQuantityParse: decQuantity(i, e) is i * 10**e.
PARSE = [
    ("0", "0"),
    ("0n", "0"),
    ("0u", "0"),
    ("0m", "0"),
    ("0Ki", "0"),
    ("0k", "0"),
    ("0Mi", "0"),
    ("0M", "0"),
    ("0Gi", "0"),
    ("0G", "0"),
    ("0Ti", "0"),
    ("0T", "0"),
    ("1", "1"),
    ("1Ki", "1024"),
    ("8Ki", str(8 * 1024)),
    ("7Mi", str(7 * 1024**2)),
    ("6Gi", str(6 * 1024**3)),
    ("5Ti", str(5 * 1024**4)),
    ("4Pi", str(4 * 1024**5)),
    ("3Ei", str(3 * 1024**6)),
    ("10Ti", str(10 * 1024**4)),
    ("100Ti", str(100 * 1024**4)),
    ("5n", "5e-9"),
    ("4u", "4e-6"),
    ("3m", "3e-3"),
    ("9", "9"),
    ("8k", "8e3"),
    ("50k", "5e4"),
    ("7M", "7e6"),
    ("6G", "6e9"),
    ("5T", "5e12"),
    ("40T", "4e13"),
    ("300T", "3e14"),
    ("2P", "2e15"),
    ("1E", "1e18"),
    ("1E-3", "1e-3"),
    ("1e3", "1e3"),
    ("1E6", "1e6"),
    ("1e9", "1e9"),
    ("1E12", "1e12"),
    ("1e15", "1e15"),
    ("1E18", "1e18"),
    ("1e14", "1e14"),
    ("1e13", "1e13"),
    ("100.035k", "100035"),
    ("0.001", "1e-3"),
    ("0.0005k", "5e-1"),
    ("0.005", "5e-3"),
    ("0.05", "5e-2"),
    ("0.5", "5e-1"),
    ("0.00050k", "5e-1"),
    ("0.00500", "5e-3"),
    ("0.05000", "5e-2"),
    ("0.50000", "5e-1"),
    ("0.5e0", "5e-1"),
    ("0.5e-1", "5e-2"),
    ("0.5e-2", "5e-3"),
    ("10.035M", "10035e3"),
    ("1.2e3", "12e2"),
    ("1.3E+6", "13e5"),
    ("1.40e9", "14e8"),
    ("1.53E12", "153e10"),
    ("1.6e15", "16e14"),
    ("1.7E18", "17e17"),
    ("9.01", "901e-2"),
    ("8.1k", "81e2"),
    ("7.123456M", "7123456"),
    ("6.987654321G", "6987654321"),
    ("5.444T", "5444e9"),
    ("40.1T", "401e11"),
    ("300.2T", "3002e11"),
    ("2.5P", "25e14"),
    ("1.01E", "101e16"),
    # Things that saturate/round
    ("3.001n", "4e-9"),
    ("1.1E-9", "2e-9"),
    ("0.0000000001", "1e-9"),
    ("0.0000000005", "1e-9"),
    ("0.00000000050", "1e-9"),
    ("0.5e-9", "1e-9"),
    ("0.9n", "1e-9"),
    ("0.00000012345", "124e-9"),
    ("0.00000012354", "124e-9"),
    ("9Ei", str(MAX_INT64)),
    ("9223372036854775807Ki", str(MAX_INT64)),
    ("12E", "12e18"),
    # We'll accept fractional binary stuff, too.
    ("100.035Ki", "10243584e-2"),
    ("0.5Mi", str(1024 * 1024 // 2)),
    ("0.05Gi", "536870912e-1"),
    ("0.025Ti", "274877906944e-1"),
    # Things written by trolls
    ("0.000000000001Ki", "2e-9"),
    (".001", "1e-3"),
    (".0001k", "100e-3"),
    ("1.", "1"),
    ("1.G", "1e9"),
    # TestParseQuantityString: "." is zero.
    (".", "0"),
]


@pytest.mark.parametrize(("text", "expected"), PARSE)
def test_parse(text: str, expected: str) -> None:
    assert parse_quantity(text) == Decimal(expected)


@pytest.mark.parametrize(("text", "expected"), PARSE)
def test_parse_signed(text: str, expected: str) -> None:
    # The upstream test re-parses every row with "-" and "+" in front.
    assert parse_quantity("-" + text) == -Decimal(expected)
    assert parse_quantity("+" + text) == Decimal(expected)


@pytest.mark.parametrize(
    "text",
    [
        "1.1.M",
        "1+1.0M",
        "0.1mi",
        "0.1am",
        "aoeu",
        ".5i",
        "1i",
        "-3.01i",
        "-3.01e-",
        "",
        "1e",
        "1e+",
    ],
)
def test_invalid(text: str) -> None:
    assert parse_quantity(text) is None
    assert memory_bytes(text) is None
    assert cpu_millis(text) is None


# TestJSONWhitespace: the wire decoder trims what ParseQuantity alone would reject.
@pytest.mark.parametrize(("text", "expected"), [(" 1", 1), ("1 ", 1), (" -1", -1), ("10", 10)])
def test_wire_whitespace(text: str, expected: int) -> None:
    assert parse_quantity(text) == expected


# TestParseQuantity: values around 18-20 digits and int64 stay exact.
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("999999999999999999.1", "999999999999999999.1"),
        ("9999999999999999999000m", "9999999999999999999"),
        ("1.0000000000000000001E", "1000000000000000000.1"),
        ("10.000000000000000001E", "10000000000000000001"),
        ("9223372036854775807.1", "9223372036854775807.1"),
        ("-9223372036854775808000m", "-9223372036854775808"),
    ],
)
def test_parse_large_exact(text: str, expected: str) -> None:
    assert parse_quantity(text) == Decimal(expected)


# TestScaledValue: NewScaledQuantity(1, scale).ScaledValue rounds up.
@pytest.mark.parametrize(
    ("text", "value", "milli"),
    [("1n", 1, 1), ("1u", 1, 1), ("1m", 1, 1), ("1", 1, 1000), ("1e2", 100, 100_000)],
)
def test_scaled_value(text: str, value: int, milli: int) -> None:
    assert memory_bytes(text) == value
    assert cpu_millis(text) == milli


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("512Mi", 536870912),
        ("1.5Gi", 1610612736),
        ("1G", 1_000_000_000),
        ("100.035Ki", 102436),  # Value() rounds up
        ("0.1", 1),
        (2, 2),
        (1.5, 2),
        (1e3, 1000),
        ("9Ei", MAX_INT64),  # capped at parse time
        ("12E", None),  # beyond int64: Go would overflow, we say unknown
        (True, None),
        (None, None),
        (float("nan"), None),
        ("1e999999999", None),
    ],
)
def test_memory_bytes(value: object, expected: int | None) -> None:
    assert memory_bytes(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("100m", 100), ("1", 1000), ("0.5", 500), ("1.0001", 1001), ("2500u", 3), (0.25, 250)],
)
def test_cpu_millis(value: object, expected: int) -> None:
    assert cpu_millis(value) == expected


@pytest.mark.parametrize("text", ["-.", "-", "+", "00", "-0"])
def test_degenerate_zeros(text: str) -> None:
    # parseQuantityString returns num "0" for these; ParseQuantity accepts them.
    assert parse_quantity(text) == 0


def test_exponent_wraps_like_go_int32() -> None:
    # int32(4294967296) == 0 in Go, so "1e4294967296" is 1.
    assert parse_quantity("1e4294967296") == 1


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (0, "0"),
        (1000, "1000"),
        (1024, "1Ki"),
        (1536, "1.5Ki"),
        (536870912, "512Mi"),
        (1610612736, "1.5Gi"),
        (1023 * 2**30 + 2**30 - 2**20, "1Ti"),
        (-2048, "-2Ki"),
    ],
)
def test_format_bytes(n: int, text: str) -> None:
    assert format_bytes(n) == text
