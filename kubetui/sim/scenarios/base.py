"""The scenario interface the sim runner drives (see /work/sim-contract.md)."""

from __future__ import annotations

import random
from abc import ABC, abstractmethod

from kubetui.sim.kyuubi_model import KyuubiModel
from kubetui.sim.state import SimState


class Scenario(ABC):
    """A populated cluster that keeps evolving.

    The runner calls ``populate`` once, then (unless frozen) ``tick`` every
    ``tick_interval`` sim seconds from a background thread. ``kyuubi`` is the data of the
    Kyuubi lookalike, or None when the scenario has no Kyuubi.
    """

    name: str = ""
    tick_interval: float = 1.0
    kyuubi: KyuubiModel | None = None

    @abstractmethod
    def populate(self, state: SimState) -> None:
        """Create the initial objects, logs, usage and RBAC rules."""

    @abstractmethod
    def tick(self, state: SimState, rng: random.Random) -> None:
        """One step of evolution at ``state.clock.now()``; deterministic given ``rng``."""
