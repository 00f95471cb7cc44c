"""``kubetui cleanup --from-file --dry-run`` on the demo cluster's kubectl dump."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
DUMP = str(FIXTURES / "incidents-dump.json")
NOW = (FIXTURES / "incidents-dump.now").read_text().strip()


def cleanup(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kubetui", "cleanup", "--from-file", DUMP, "--now", NOW, *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def selected(*args: str) -> list[tuple[str, str]]:
    """(namespace, name) of each selected pod, in output order."""
    result = cleanup("--dry-run", "--format", "json", *args)
    assert result.returncode in (0, 1), result.stderr
    pods = [(p["namespace"], p["name"]) for p in json.loads(result.stdout)["selected"]]
    assert result.returncode == (1 if pods else 0)
    return pods


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ("--reasons", "OOMKilled"),
            [
                ("etl", "4c92-8ebb-898ae76db5ef-driver"),
                ("spark-alice", "42ff-bd96-bfb12cd66a72-driver"),
                ("spark-bob", "46d0-b8e9-de81b74f3410-driver"),
            ],
        ),
        # The descheduler's default evictor protects bare pods; Spark drivers are bare.
        (("--reasons", "OOMKilled", "--exclude-bare-pods"), []),
        (
            ("--exit-codes", "129-255"),
            [
                ("etl", "4c92-8ebb-898ae76db5ef-driver"),
                ("monitoring", "29hq5kfknn-89mgg"),
                ("spark-alice", "42ff-bd96-bfb12cd66a72-driver"),
                ("spark-analytics", "4265-a24c-4b62591550ff-driver"),
                ("spark-bob", "46d0-b8e9-de81b74f3410-driver"),
            ],
        ),
        # Both must match when both are given (RemoveFailedPods semantics).
        (("--reasons", "OOMKilled", "--exit-codes", "143"), []),
        (
            ("--exit-codes", "1", "--namespaces", "etl"),
            [("etl", "4c92-8ebb-898ae76db5ef-exec-1"), ("etl", "4c92-8ebb-898ae76db5ef-exec-2")],
        ),
        (
            ("--reasons", "Error", "--min-age", "3h", "--selector", "spark-role=executor"),
            [
                ("spark-analytics", "4265-a24c-4b62591550ff-exec-1"),
                ("spark-analytics", "4265-a24c-4b62591550ff-exec-2"),
            ],
        ),
        (
            ("--reasons", "Error", "--exclude-namespaces", "spark-analytics,etl"),
            [
                ("spark-alice", "42ff-bd96-bfb12cd66a72-exec-1"),
                ("spark-alice", "42ff-bd96-bfb12cd66a72-exec-2"),
                ("spark-bob", "46d0-b8e9-de81b74f3410-exec-1"),
                ("spark-bob", "46d0-b8e9-de81b74f3410-exec-2"),
            ],
        ),
        (("--reasons", "Evicted"), [("monitoring", "29hq5kfknn-89mgg")]),
        # Partition-repair pods are owned by a Job.
        (("--exit-codes", "2", "--exclude-owner-kinds", "Job"), []),
    ],
)
def test_policy_selects_exactly(args: tuple[str, ...], expected: list[tuple[str, str]]) -> None:
    """``expected`` holds (namespace, name suffix): the names are long generated ones."""
    got = selected(*args)
    assert len(got) == len(expected), got
    for (namespace, name), (want_ns, suffix) in zip(got, expected, strict=True):
        assert namespace == want_ns and name.endswith(suffix), (namespace, name)


def test_policy_yaml_is_written_and_parses(tmp_path: Path) -> None:
    out = tmp_path / "policy.yaml"
    result = cleanup(
        "--dry-run",
        "--reasons",
        "OOMKilled",
        "--exit-codes",
        "137,143",
        "--include-init-containers",
        "--min-age",
        "1h",
        "--selector",
        "spark-role in (driver)",
        "--policy-yaml",
        str(out),
    )
    assert result.returncode == 1, result.stderr
    policy = yaml.safe_load(out.read_text())
    assert policy["apiVersion"] == "descheduler/v1alpha2"
    assert policy["kind"] == "DeschedulerPolicy"
    (profile,) = policy["profiles"]
    args = next(p["args"] for p in profile["pluginConfig"] if p["name"] == "RemoveFailedPods")
    assert args["reasons"] == ["OOMKilled"]
    assert args["exitCodes"] == [137, 143]
    assert args["includingInitContainers"] is True
    assert args["minPodLifetimeSeconds"] == 3600
    assert args["labelSelector"] == {
        "matchExpressions": [{"key": "spark-role", "operator": "In", "values": ["driver"]}]
    }
    assert profile["plugins"]["deschedule"]["enabled"] == ["RemoveFailedPods"]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("--reasons", "OOMKilled"), "needs --dry-run"),
        (("--dry-run", "--exit-codes", "300-2"), "300-2"),
        (("--dry-run", "--exit-codes", "abc"), "abc"),
        (("--dry-run", "--min-age", "soon"), "not a duration"),
        (("--dry-run", "--selector", "a in (b"), "--selector"),
        (("--dry-run", "--namespaces", "a", "--exclude-namespaces", "b"), "namespaces"),
        (("--dry-run", "--policy-yaml", "/nonexistent/dir/p.yaml"), "cannot write"),
    ],
)
def test_bad_policy_flags_are_usage_errors(args: tuple[str, ...], needle: str) -> None:
    result = cleanup(*args)
    assert result.returncode == 2
    assert needle in result.stderr
    assert "Traceback" not in result.stderr
