"""The supervisor of source threads: causes, restarts, backoff, stopping."""

from __future__ import annotations

import pytest

from kubetui.sources.supervise import CAUSE_CHARS, Backoff, Stopped, crash_cause, supervise


@pytest.mark.parametrize(
    ("exc", "cause"),
    [
        (ValueError("bad\x1b[2J value\nsecond line"), "ValueError: bad␛[2J value second line"),
        (KeyError(), "KeyError"),
        (
            RuntimeError("GET failed, headers {'Authorization': 'Bearer abc.def-123'}"),
            "RuntimeError: GET failed, headers {'Authorization': '<redacted>'}",
        ),
        (OSError("x" * 400), "OSError: " + "x" * (CAUSE_CHARS - len("OSError: ") - 1) + "…"),
    ],
)
def test_a_cause_is_one_inert_line_without_credentials(exc: Exception, cause: str) -> None:
    assert crash_cause(exc) == cause


class Body:
    def __init__(self, *outcomes: BaseException | None) -> None:
        self.outcomes = list(outcomes)
        self.runs = 0

    def __call__(self) -> None:
        self.runs += 1
        outcome = self.outcomes.pop(0)
        if outcome is not None:
            raise outcome


def fixed() -> Backoff:
    return Backoff(1.0, 4.0, 2.0, 0.0, reset=1e9)


def test_a_failing_body_is_reported_and_run_again_after_the_backoff(
    caplog: pytest.LogCaptureFixture,
) -> None:
    body = Body(RuntimeError("one"), ValueError("two"), None)
    causes: list[str] = []
    waits: list[float] = []
    supervise(
        body,
        name="test",
        crashed=causes.append,
        wait=lambda s: bool(waits.append(s)),
        backoff=fixed(),
    )
    assert body.runs == 3
    assert causes == ["RuntimeError: one", "ValueError: two"]
    assert waits == [1.0, 2.0]
    assert caplog.text.count("Traceback (most recent call last)") == 2
    assert "source test failed; restarting in 2.0 s" in caplog.text


def test_stopping_ends_the_body_and_the_backoff_wait() -> None:
    stopped = Body(Stopped())
    supervise(stopped, name="t", crashed=pytest.fail, wait=pytest.fail, backoff=fixed())
    assert stopped.runs == 1
    failing = Body(RuntimeError("x"), None)
    causes: list[str] = []
    supervise(failing, name="t", crashed=causes.append, wait=lambda s: True, backoff=fixed())
    assert (failing.runs, causes) == (1, ["RuntimeError: x"])


def test_a_report_that_fails_too_is_logged_and_the_body_still_restarts(
    caplog: pytest.LogCaptureFixture,
) -> None:
    body = Body(RuntimeError("first"), None)

    def crashed(cause: str) -> None:
        raise OSError("the receiver is gone")

    supervise(body, name="t", crashed=crashed, wait=lambda s: False, backoff=fixed())
    assert body.runs == 2
    assert "source t: reporting its failure failed too" in caplog.text
    assert "OSError: the receiver is gone" in caplog.text
