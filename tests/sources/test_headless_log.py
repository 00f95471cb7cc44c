"""The headless commands keep a log file as the dashboard does: a failure of
``triage --watch``'s background churn watch lands there with its traceback, and never
with the cluster's token; the report still comes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kubetui.cli import main
from kubetui.sim.runner import RunningSim, running_sim
from kubetui.sources import churn as churn_module
from tests.sources.faults import Fault


@pytest.fixture(scope="module")
def incidents(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSim]:
    with running_sim("incidents", 1, tmp_dir=tmp_path_factory.mktemp("sim")) as sim:
        yield sim


def test_a_churn_watch_failure_in_triage_watch_is_logged_without_the_token(
    incidents: RunningSim,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    fault = Fault(churn_module.discover_kinds, "the discovery")
    monkeypatch.setattr(churn_module, "discover_kinds", fault)
    code = main(["triage", "--kubeconfig", str(incidents.kubeconfig_path), "--watch", "1"])
    out, err = capsys.readouterr()
    assert code == 1, err  # the incidents cluster has findings
    assert "FINDINGS" in out or "findings" in out.lower()
    assert "Traceback" not in out + err
    log = (tmp_path / "state" / "kubetui" / "kubetui.log").read_text()
    assert fault.raised >= 1
    assert "Traceback (most recent call last)" in log and fault.message in log
    assert incidents.token not in log


def test_a_log_that_cannot_be_opened_is_one_line_and_the_report_comes(
    incidents: RunningSim,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    state = tmp_path / "state"
    state.write_text("a file where the state directory should be")
    monkeypatch.setenv("XDG_STATE_HOME", str(state))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    code = main(["triage", "--kubeconfig", str(incidents.kubeconfig_path)])
    out, err = capsys.readouterr()
    assert code == 1
    about_the_log = [line for line in err.splitlines() if "log file" in line]
    assert len(about_the_log) == 1 and about_the_log[0].startswith("kubetui: no log file: ")
    assert "pod" in out.lower()
