"""Run a whole sim: state + scenario + API server (+ Kyuubi) + background loop.

``running_sim(...)`` is what tests and ``kubetui demo`` use; ``kubetui sim serve`` wraps it.
The background loop, on wall time, lets sim time do its work (grace expiry, garbage
collection, compaction: ``SimState.process_due``), runs the controllers, and, unless
frozen, calls ``scenario.tick`` every ``tick_interval`` sim seconds.
"""

from __future__ import annotations

import random
import secrets
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kubetui.sim import tls
from kubetui.sim.controllers import Controllers
from kubetui.sim.kubeconfig import write_kubeconfig
from kubetui.sim.server import LoggedRequest, ServerSettings, SimApiServer
from kubetui.sim.state import SimClock, SimState

if TYPE_CHECKING:
    from kubetui.sim.scenarios import Scenario

LOOP_INTERVAL = 0.1


@dataclass
class RunningSim:
    state: SimState
    url: str
    kubeconfig_path: Path
    token: str
    tokens: dict[str, str]
    ca_path: Path | None
    kyuubi_url: str | None
    server: SimApiServer
    scenario: Scenario | None = None
    kyuubi: Any = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def request_log(self) -> list[LoggedRequest]:
        return self.server.request_log


class _Loop(threading.Thread):
    def __init__(self, state: SimState, scenario: Scenario | None, frozen: bool, seed: int) -> None:
        super().__init__(name="sim-loop", daemon=True)
        self.state = state
        self.scenario = scenario
        self.frozen = frozen
        self.rng = random.Random(seed)
        self.controllers = Controllers(state, seed)
        self.stop_event = threading.Event()
        self._next_tick = state.clock.timestamp() + (scenario.tick_interval if scenario else 0)

    def run(self) -> None:
        while not self.stop_event.wait(LOOP_INTERVAL):
            self.step()

    def step(self) -> None:
        self.state.process_due()
        self.controllers.run_once()
        if self.frozen or self.scenario is None:
            return
        now = self.state.clock.timestamp()
        while now >= self._next_tick:
            self.scenario.tick(self.state, self.rng)
            self._next_tick += max(self.scenario.tick_interval, 0.001)

    def stop(self) -> None:
        self.stop_event.set()
        self.join(timeout=5)
        self.controllers.close()


def _scenario(spec: str | Scenario | None, seed: int) -> Scenario | None:
    if spec is None or not isinstance(spec, str):
        return spec
    from kubetui.sim.scenarios import get_scenario

    return get_scenario(spec, seed)


@contextmanager
def running_sim(
    scenario: str | Scenario | None = "incidents",
    seed: int = 1,
    *,
    frozen: bool = True,
    speed: float = 1.0,
    tmp_dir: Path | None = None,
    port: int = 0,
    http: bool = False,
    state_file: Path | None = None,
    kubeconfig_out: Path | None = None,
    settings: ServerSettings | None = None,
    kyuubi: bool = True,
    state_options: dict[str, Any] | None = None,
) -> Iterator[RunningSim]:
    """Start everything on 127.0.0.1 (ephemeral ports); stop and free it all on exit."""
    with tempfile.TemporaryDirectory(prefix="kubetui-sim-") as scratch:
        work = Path(tmp_dir) if tmp_dir is not None else Path(scratch)
        clock = SimClock(frozen=frozen, speed=speed)
        options = state_options or {}
        if state_file is not None and Path(state_file).exists():
            state = SimState.load(Path(state_file), clock, seed=seed, **options)
            loaded = True
        else:
            state = SimState(clock, seed=seed, **options)
            loaded = False
        scen = _scenario(scenario, seed)
        if scen is not None and not loaded:
            scen.populate(state)
        tokens = _tokens(state)
        files = None if http else tls.generate(work / "pki")
        server = SimApiServer(
            state,
            port=port,
            tls=None if files is None else files.server_context(),
            settings=settings,
        )
        url = server.start()
        kubeconfig = write_kubeconfig(
            Path(kubeconfig_out) if kubeconfig_out else work / "kubeconfig",
            url,
            tokens,
            None if files is None else files.ca_pem(),
        )
        kyuubi_server = None
        if kyuubi and scen is not None and scen.kyuubi is not None:
            from kubetui.sim.kyuubi import KyuubiServer

            kyuubi_server = KyuubiServer(state, scen.kyuubi)
        loop = _Loop(state, scen, frozen, seed)
        sim = RunningSim(
            state=state,
            url=url,
            kubeconfig_path=kubeconfig,
            token=tokens["admin"],
            tokens=tokens,
            ca_path=None if files is None else files.ca_cert,
            kyuubi_url=None,
            server=server,
            scenario=scen,
            kyuubi=kyuubi_server,
        )
        try:
            if kyuubi_server is not None:
                sim.kyuubi_url = kyuubi_server.start()
            loop.start()
            yield sim
        finally:
            loop.stop()
            if kyuubi_server is not None:
                kyuubi_server.stop()
            server.stop()
            if state_file is not None:
                state.save(Path(state_file))


def _tokens(state: SimState) -> dict[str, str]:
    """An admin token plus one per user named in the scenario's RBAC rules."""
    users = {"admin"} | {rule.user for rule in state.deny_rules()}
    known = {user: token for token, user in state.tokens.items()}
    for user in sorted(users):
        if user not in known:
            known[user] = secrets.token_urlsafe(24)
            state.add_token(known[user], user)
    return known
