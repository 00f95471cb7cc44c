"""Scenarios that populate and evolve the simulated cluster.

``get_scenario("incidents", seed)`` is the default demo cluster (every incident README.md
lists for ``kubetui demo``, at once); ``get_scenario("scale:150000", seed)`` is N realistic
pods with a steady stream of modifications.
"""

from __future__ import annotations

from collections.abc import Callable

from kubetui.sim.scenarios.base import Scenario
from kubetui.sim.scenarios.incidents import IncidentsScenario
from kubetui.sim.scenarios.scale import DEFAULT_SCALE_PODS, ScaleScenario

#: factory(argument after ":" or None, seed) -> Scenario
ScenarioFactory = Callable[[str | None, int], Scenario]


def _incidents(arg: str | None, seed: int) -> Scenario:
    if arg:
        raise ValueError(f"scenario 'incidents' takes no argument, got {arg!r}")
    return IncidentsScenario(seed)


def _scale(arg: str | None, seed: int) -> Scenario:
    try:
        pods = int(arg) if arg else DEFAULT_SCALE_PODS
    except ValueError:
        raise ValueError(f"scale:N needs a pod count, got {arg!r}") from None
    if pods < 1:
        raise ValueError(f"scale:N needs at least one pod, got {pods}")
    return ScaleScenario(pods, seed)


SCENARIOS: dict[str, ScenarioFactory] = {"incidents": _incidents, "scale": _scale}


def get_scenario(spec: str, seed: int) -> Scenario:
    """``"incidents"`` or ``"scale:N"``; ValueError for anything else."""
    name, _, arg = spec.partition(":")
    factory = SCENARIOS.get(name.strip())
    if factory is None:
        raise ValueError(f"unknown scenario {spec!r}; known: {', '.join(sorted(SCENARIOS))}")
    return factory(arg.strip() or None, seed)


__all__ = ["SCENARIOS", "Scenario", "ScenarioFactory", "get_scenario"]
