"""Headless cleanup's run loop: one outcome per step whatever happens to the run."""

from __future__ import annotations

import pytest

from kubetui.actions.execute import DELETED, FAILED, Outcome
from kubetui.actions.plans import DELETE, Plan, Step, Target
from kubetui.headless import cleanup


def test_a_run_that_crashes_reports_the_steps_it_never_ran(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    steps = tuple(
        Step(action=DELETE, target=Target(namespace="ns", name=n, uid=n), reason="r")
        for n in ("a", "b", "c")
    )

    def first_then_crash(kube, plan, *, cancel, on_outcome):
        on_outcome(
            Outcome(namespace="ns", name="a", uid="a", action=DELETE, status=DELETED, detail="")
        )
        raise RuntimeError("connection pool exploded")

    monkeypatch.setattr(cleanup, "execute", first_then_crash)
    outcomes = cleanup._execute(object(), Plan(title="t", steps=steps))  # type: ignore[arg-type]
    assert [(o.name, o.status) for o in outcomes] == [("a", DELETED), ("b", FAILED), ("c", FAILED)]
    assert outcomes[2].detail == "not run: the run stopped: RuntimeError: connection pool exploded"
