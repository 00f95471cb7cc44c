"""``kubetui triage --watch N`` on a running, sped-up incidents cluster.

The sim runs 60× faster than the wall clock, so 4 s of watching is 4 minutes of the
scenario: the Kubero operator's hot loop (every 5–8 s) shows, its peers (every 2–5 min)
do not. With ``--kyuubi-url`` the Kyuubi lookalike is polled once and its disagreements
with the pods are listed too.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from kubetui.sim.runner import RunningSim, running_sim
from kubetui.sim.scenarios.incidents import _CHURN_NAMES

PASSWORD_ENV = "KUBETUI_TEST_KYUUBI_PASSWORD"


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSim]:
    tmp = tmp_path_factory.mktemp("sim")
    with running_sim("incidents", 1, frozen=False, speed=60, tmp_dir=tmp) as s:
        yield s


def triage(*args: str, config_home: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``kubetui triage`` with the test password, and no config but ``config_home``'s."""
    home = config_home or Path("/nonexistent/kubetui-test-config")
    return subprocess.run(
        [sys.executable, "-m", "kubetui", "triage", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, PASSWORD_ENV: "admin", "XDG_CONFIG_HOME": str(home)},
    )


#: the incidents scenario's standing disagreements (its module docstring): the dead
#: instance's OOM-killed batch, alice's engine outliving its pod in ZooKeeper, bob's
#: daily-report that Kyuubi calls ERROR/FAILED
STANDING = (
    "etl/kyuubi-hourly-sessionize-",
    "spark-alice/kyuubi-user-spark-sql-alic",
    "spark-bob/kyuubi-daily-report-",
)


def assert_kyuubi_section(section: str) -> None:
    """The three standing disagreements are listed; any other is a churn batch OOM-killed
    since the sim started (it runs 60× fast, so a slow machine sees one more)."""
    heading = next(
        line for line in section.splitlines() if line.startswith("kyuubi_disagreement (")
    )
    entries = [line[3:] for line in section.splitlines() if line.startswith(" ! ")]
    assert heading == f"kyuubi_disagreement ({len(entries)})"
    for prefix in STANDING:
        assert sum(entry.startswith(prefix) for entry in entries) == 1, (prefix, entries)
    for entry in entries:
        if not entry.startswith(STANDING):
            assert any(f"/kyuubi-{name}-" in entry for name in _CHURN_NAMES), entry


def test_watch_finds_the_kubero_hot_loop_and_kyuubi_disagreements(sim: RunningSim) -> None:
    done = triage(
        "--kubeconfig", str(sim.kubeconfig_path), "--watch", "4", "--format", "json",
        "--kyuubi-url", str(sim.kyuubi_url), "--kyuubi-user", "admin",
        "--kyuubi-password-env", PASSWORD_ENV,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    findings = json.loads(done.stdout)["findings"]
    hot = {
        (f["evidence"]["object_kind"], f["namespace"], f["name"]): f
        for f in findings
        if f["kind"] == "hot_loop"
    }
    objects = {key for key in hot if key[0] != "FieldManager"}
    assert objects == {
        ("KuberoPipeline", "kubero", "shop"),
        ("Secret", "shop-production", "registry-login"),
    }
    for key in objects:
        assert hot[key]["evidence"]["managers"] == "kubero-operator"
        assert "managers: kubero-operator" in hot[key]["summary"]
        assert hot[key]["evidence"]["updates_per_minute"] >= 4.0
    disagreements = {f["name"]: f for f in findings if f["kind"] == "kyuubi_disagreement"}
    daily = next(f for name, f in disagreements.items() if "daily-report" in name)
    assert daily["evidence"]["kyuubi_app_state"] == "FAILED"
    assert daily["evidence"]["pod_state"] == "KILLED"


def test_a_watch_shorter_than_the_measuring_window_says_so() -> None:
    """On a frozen cluster the server clock stands still: the rates never cover 2:00."""
    with running_sim("incidents", 1, frozen=True) as frozen:
        done = triage("--kubeconfig", str(frozen.kubeconfig_path), "--watch", "1")
    assert done.returncode == 1, done.stderr
    assert (
        "kubetui: hot-loop watch: stopped while measuring rates: 0:00 of 2:00 (server time);"
        " an object not reported hot may still be one"
    ) in done.stderr.splitlines()


def test_a_full_watch_says_nothing_of_measuring(sim: RunningSim) -> None:
    """The sped-up cluster's server clock covers 2:00 within 2 s: a 6 s watch leaves
    4 s for discovery and the LISTs on a loaded machine."""
    done = triage("--kubeconfig", str(sim.kubeconfig_path), "--watch", "6")
    assert done.returncode == 1, done.stderr
    assert "measuring rates" not in done.stderr


def test_text_report_lists_the_kyuubi_section(sim: RunningSim) -> None:
    done = triage(
        "--kubeconfig", str(sim.kubeconfig_path), "--kyuubi-url", str(sim.kyuubi_url),
        "--kyuubi-user", "admin", "--kyuubi-password-env", PASSWORD_ENV,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    section = done.stdout.split("\nKYUUBI (")[1]
    assert section.startswith("live, ")
    assert_kyuubi_section(section)
    assert "the pods prove KILLED (OOMKilled)" in section
    assert all(len(line) <= 80 for line in done.stdout.splitlines())


def test_unreachable_kyuubi_is_one_line_and_the_report_still_comes(sim: RunningSim) -> None:
    done = triage("--kubeconfig", str(sim.kubeconfig_path), "--kyuubi-url", "http://127.0.0.1:9")
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "kubetui: Kyuubi at http://127.0.0.1:9: connection refused "
        "(is Kyuubi up, the URL and port right?)"
    ]
    assert "\nKYUUBI (error)\n  Kyuubi at http://127.0.0.1:9: connection refused" in done.stdout


def test_the_contexts_kyuubi_comes_from_the_config(sim: RunningSim, tmp_path: Path) -> None:
    (tmp_path / "kubetui").mkdir()
    (tmp_path / "kubetui" / "config.yaml").write_text(
        f"contexts:\n  kubetui-sim:\n    kyuubi: {{url: '{sim.kyuubi_url}', user: admin, "
        f"password_env: {PASSWORD_ENV}}}\n"
    )
    done = triage("--kubeconfig", str(sim.kubeconfig_path), config_home=tmp_path)
    assert done.returncode == 1, done.stderr
    assert_kyuubi_section(done.stdout.split("\nKYUUBI (")[1])
    without = triage("--kubeconfig", str(sim.kubeconfig_path))
    assert "\nKYUUBI (" not in without.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--watch", "0"], "--watch takes a number of seconds above 0"),
        (["--from-file", "-", "--watch", "5"], "a dump cannot be watched"),
        (["--kyuubi-user", "admin"], "need --kyuubi-url"),
    ],
)
def test_usage_errors(args: list[str], message: str) -> None:
    done = triage(*args)
    assert done.returncode == 2
    assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1
