"""kubectl's relative times, against upstream's own tables.

Cases rewritten from kubernetes/apimachinery ``pkg/util/duration/duration_test.go``
(TestHumanDuration, TestHumanDurationBoundaries) at commit eed236ceee2c (2026-07-23), and
TestTranslateTimestampSince from kubernetes/kubernetes
``pkg/printers/internalversion/printers_test.go`` (atiratree/kubernetes@9d6ee340, a fork
tracking master). Go durations are nanoseconds; where a case adds one nanosecond, the
smallest timedelta step (one microsecond) stands in for it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kubetui.model.durations import (
    human_duration,
    parse_duration_seconds,
    translate_timestamp_since,
)

S = timedelta(seconds=1)
MS = timedelta(milliseconds=1)
TICK = timedelta(microseconds=1)  # Go's `+ 1` (one nanosecond)
MIN = timedelta(minutes=1)
H = timedelta(hours=1)
D = 24 * H
Y = 365 * D

# TestHumanDuration
HUMAN_DURATION = [
    (S, "1s"),
    (70 * S, "70s"),
    (190 * S, "3m10s"),
    (70 * MIN, "70m"),
    (47 * H, "47h"),
    (49 * H, "2d1h"),
    ((8 * 24 + 2) * H, "8d"),
    (367 * 24 * H, "367d"),
    ((365 * 2 * 24 + 25) * H, "2y1d"),
    ((365 * 8 * 24 + 2) * H, "8y"),
]

# TestHumanDurationBoundaries
HUMAN_DURATION_BOUNDARIES = [
    (-2 * S, "<invalid>"),
    (-2 * S + TICK, "0s"),
    (timedelta(0), "0s"),
    (S - MS, "0s"),
    (2 * MIN - MS, "119s"),
    (2 * MIN, "2m"),
    (2 * MIN + S, "2m1s"),
    (10 * MIN - MS, "9m59s"),
    (10 * MIN, "10m"),
    (10 * MIN + S, "10m"),
    (3 * H - MS, "179m"),
    (3 * H, "3h"),
    (3 * H + MIN, "3h1m"),
    (8 * H - MS, "7h59m"),
    (8 * H, "8h"),
    (8 * H + 59 * MIN, "8h"),
    (2 * D - MS, "47h"),
    (2 * D, "2d"),
    (2 * D + H, "2d1h"),
    (8 * D - MS, "7d23h"),
    (8 * D, "8d"),
    (8 * D + 23 * H, "8d"),
    (2 * Y - MS, "729d"),
    (2 * Y, "2y"),
    (2 * Y + 23 * H, "2y"),
    (2 * Y + 23 * H + 59 * MIN, "2y"),
    (2 * Y + 24 * H - MS, "2y"),
    (2 * Y + 24 * H, "2y1d"),
    (3 * Y, "3y"),
    (4 * Y, "4y"),
    (5 * Y, "5y"),
    (6 * Y, "6y"),
    (7 * Y, "7y"),
    (8 * Y - MS, "7y364d"),
    (8 * Y, "8y"),
    (8 * Y + 364 * D, "8y"),
    (9 * Y, "9y"),
]


@pytest.mark.parametrize(("delta", "want"), HUMAN_DURATION + HUMAN_DURATION_BOUNDARIES)
def test_human_duration(delta: timedelta, want: str) -> None:
    assert human_duration(delta) == want


NOW = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)

# TestTranslateTimestampSince: "now.Add(x)" is the timestamp, so the elapsed time is -x.
TRANSLATE_TIMESTAMP_SINCE = [
    ("a while from now", NOW + timedelta(seconds=2.1), "<invalid>"),
    ("almost now", NOW + timedelta(seconds=1.9), "0s"),
    ("now", NOW, "0s"),
    ("unknown", None, "<unknown>"),
    ("30 seconds ago", NOW - 30 * S, "30s"),
    ("5 minutes ago", NOW - 5 * MIN, "5m"),
    ("an hour ago", NOW - 100 * MIN, "100m"),
    ("2 days ago", NOW - 2 * D, "2d"),
    ("months ago", NOW - 90 * D, "90d"),
    ("10 years ago", NOW - 10 * Y, "10y"),
]


@pytest.mark.parametrize(("name", "ts", "want"), TRANSLATE_TIMESTAMP_SINCE)
def test_translate_timestamp_since(name: str, ts: datetime | None, want: str) -> None:
    assert translate_timestamp_since(ts, NOW) == want


def test_naive_timestamp_reads_as_utc_instead_of_raising() -> None:
    naive = (NOW - 5 * MIN).replace(tzinfo=None)
    assert translate_timestamp_since(naive, NOW) == "5m"


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("3600", 3600),
        ("3600s", 3600),
        ("90m", 5400),
        ("1h30m", 5400),
        ("2d", 172_800),
        ("1.5h", 5400),
        ("500ms", 0.5),
        (" 10s ", 10),
    ],
)
def test_parse_duration_seconds(text: str, seconds: float) -> None:
    assert parse_duration_seconds(text) == seconds


@pytest.mark.parametrize("text", ["", "-5s", "5 m", "1w", "h", "10s garbage", "1h-30m"])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration_seconds(text)
