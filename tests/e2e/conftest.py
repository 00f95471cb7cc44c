"""The real control plane, once per test session, for every test in tests/e2e.

Under CI (``CI=true``) a control plane that cannot be built or started fails the tests
that need it; elsewhere they are skipped with the reason (no Go, say), so a developer
without the toolchain can still run the rest of the suite.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import incidents
import pytest
from control_plane import ControlPlane, ControlPlaneError, running_control_plane
from spark_client import SparkUnavailable, resolve_spark_home


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"the real control plane is required under CI: {reason}", pytrace=False)
    pytest.skip(f"no real control plane: {reason}")


@pytest.fixture(scope="session")
def control_plane(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ControlPlane]:
    root = tmp_path_factory.mktemp("control-plane")
    try:
        manager = running_control_plane(root)
        plane = manager.__enter__()
    except (ControlPlaneError, OSError) as error:
        _unavailable(str(error))
        return
    _LOGS[:] = [str(plane.logs)]
    try:
        yield plane
    finally:
        manager.__exit__(None, None, None)


_LOGS: list[str] = []


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    """A failing e2e test's report names the control plane's log directory."""
    report = yield
    if report.failed and _LOGS and "control_plane" in getattr(item, "fixturenames", ()):
        report.sections.append(("control plane logs", _LOGS[0]))
    return report


@pytest.fixture(scope="session", autouse=True)
def built(control_plane: ControlPlane) -> Iterator[incidents.Incidents]:
    """The incidents (tests/e2e/incidents.py), made once at the start of the e2e tests
    (the hot-loop writer's objects must be older than kubetui's settle time when the
    churn test reads them)."""
    made = incidents.build(control_plane)
    yield made
    made.stop_writer.set()


@pytest.fixture(scope="session")
def spark_home() -> Path:
    """Spark's submission client from scripts/kyuubi/build.py (tests/e2e/spark_client.py):
    required under CI like the control plane, else a skip with the reason (no Maven...)."""
    try:
        return resolve_spark_home()
    except (SparkUnavailable, OSError, subprocess.TimeoutExpired) as error:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"Spark's submission client is required under CI: {error}", pytrace=False)
        pytest.skip(f"no Spark submission client: {error}")
