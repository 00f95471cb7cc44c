"""Fixtures shared by the live action tests (each module defines its own ``sim``)."""

from __future__ import annotations

import pytest

from kubetui.sim.runner import RunningSim


@pytest.fixture
def kyuubi_log(sim: RunningSim) -> list[tuple[str, str]]:
    """(method, path?query) of every request the Kyuubi lookalike receives."""
    assert sim.kyuubi is not None
    return sim.kyuubi.request_log
