"""The reflector's backoff and watch timeout, against upstream's own test tables."""

from __future__ import annotations

import random

import pytest

from kubetui.sources.reflector import watch_timeout
from kubetui.sources.supervise import Backoff


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


# kubernetes/apimachinery pkg/util/wait/wait_test.go (master eed236ceee2c, 2026-07-23)
# TestBackoff_Step, the rows without jitter: (Duration, Factor, Steps, Cap) → steps.
# A huge reset interval stands for plain Backoff.Step (no reset in between).
STEP_CASES = [
    ((1.0, 0.0, -1, 0.0), [1, 1, 1]),
    ((1.0, 0.0, 0, 0.0), [1, 1, 1]),
    ((1.0, 0.0, 1, 0.0), [1, 1, 1]),
    ((1.0, 1.0, 1, 0.0), [1, 1, 1]),
    ((1.0, 2.0, 3, 0.0), [1, 2, 4]),
    ((1.0, 2.0, 3, 3.0), [1, 2, 3]),
]


@pytest.mark.parametrize(("params", "want"), STEP_CASES)
def test_backoff_step_table(params: tuple[float, float, int, float], want: list[float]) -> None:
    duration, factor, steps, cap = params
    backoff = Backoff(duration, cap, factor, 0.0, steps, reset=1e9, clock=FakeClock())
    assert [backoff.step() for _ in want] == want


def test_backoff_step_with_jitter_stays_within_its_factor() -> None:
    """TestBackoff_Step: {Duration 1s, Factor 2, Steps 6, Jitter 4} → 1,2,4,8,16,32 (+jitter)."""
    for seed in range(5):
        rng = random.Random(seed)
        backoff = Backoff(1.0, 0.0, 2.0, 4.0, 6, reset=1e9, clock=FakeClock(), rand=rng.random)
        for want in (1, 2, 4, 8, 16, 32):
            got = backoff.step()
            assert want <= got <= want * 5


def test_delay_with_reset_exponential() -> None:
    """TestBackoffDelayWithResetExponential: {1, Cap 10, ×2, Steps 10}, reset 10."""
    clock = FakeClock()
    backoff = Backoff(1.0, 10.0, 2.0, 0.0, 10, reset=10.0, clock=clock)
    assert [backoff.step() for _ in range(7)] == [1, 2, 4, 8, 10, 10, 10]
    clock.now += 11
    assert backoff.step() == 1


def test_delay_with_reset_empty() -> None:
    """TestBackoffDelayWithResetEmpty: reset interval 0 → always the initial duration."""
    clock = FakeClock()
    backoff = Backoff(1.0, 10.0, 2.0, 0.0, 10, reset=0.0, clock=clock)
    assert [backoff.step() for _ in range(7)] == [1] * 7
    clock.now += 11
    assert backoff.step() == 1


def test_delay_with_reset_jitter() -> None:
    """TestBackoffDelayWithResetJitter: {Duration 1, Jitter 1} → within [1, 2]."""
    backoff = Backoff(1.0, 0.0, 0.0, 1.0, 0, reset=0.0, clock=FakeClock())
    assert all(1 <= backoff.step() <= 2 for _ in range(5))


def test_reflector_defaults_800ms_doubling_capped_at_30s() -> None:
    """reflector.go: 800 ms ×2, jitter 1.0, cap 30 s → steady in [30, 60)."""
    clock = FakeClock()
    low = Backoff(clock=clock, rand=lambda: 0.0)
    high = Backoff(clock=clock, rand=lambda: 0.999)
    lows = [low.step() for _ in range(8)]
    highs = [high.step() for _ in range(8)]
    assert lows == pytest.approx([0.8, 1.6, 3.2, 6.4, 12.8, 25.6, 30, 30])
    assert highs == pytest.approx([2 * x * 0.9995 for x in lows])
    clock.now += 121  # DelayWithReset(2 min)
    assert low.step() == pytest.approx(0.8)


def test_watch_timeout_is_random_in_300_600() -> None:
    assert watch_timeout(lambda: 0.0) == 300
    assert watch_timeout(lambda: 0.999999) == 599
    rng = random.Random(3)
    assert all(300 <= watch_timeout(rng.random) < 600 for _ in range(200))
