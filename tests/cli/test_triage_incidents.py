"""``kubetui triage --from-file`` on a real kubectl dump of the demo cluster.

tests/fixtures/incidents-dump.json is ``kubectl get pods,nodes -A -o json`` run against
the simulator's ``incidents`` scenario (scripts/make_incidents_dump.py), and
incidents-dump.now the sim's clock at that moment. The tables below are the findings and
engine states an operator must get from it: each incident the demo holds is in there.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
DUMP = FIXTURES / "incidents-dump.json"
NOW = (FIXTURES / "incidents-dump.now").read_text().strip()

HOURLY = "kyuubi-hourly-sessionize-1e39ef8e-062e-4c92-8ebb-898ae76db5ef"
ADHOC = "kyuubi-user-spark-sql-alice-adhoc-e5b0fcb2-370b-42ff-bd96-bfb12cd66a72"
DAILY = "kyuubi-daily-report-f6bad673-423e-46d0-b8e9-de81b74f3410"
DAVE = "kyuubi-user-spark-sql-dave-default-d87064fc-83da-4265-a24c-4b62591550ff"
NIGHTLY = "kyuubi-nightly-etl-3ebebe3e-1790-40da-9891-0052cebcc1ba"

EXPECTED_FINDINGS = [
    # An OOM-killed driver per engine that Kyuubi's phase rule calls FAILED.
    ("oom_killed", "etl", f"{HOURLY}-driver"),
    ("oom_killed", "spark-alice", f"{ADHOC}-driver"),
    ("oom_killed", "spark-bob", f"{DAILY}-driver"),
    # Init container crash loop, a crash-looping service (143), an executor's sidecar (1).
    ("crash_loop", "kubero", "kubero-ui-wvkrl74rql-s7ctj"),
    ("crash_loop", "kyuubi", "spark-history-server-8x2p8t95k8-7c5nr"),
    (
        "crash_loop",
        "spark-bob",
        "kyuubi-feature-build-30ab1c2e-174e-4f4b-aeb8-f85f1e10553b-exec-3",
    ),
    # Every pod of every engine that ended more than 5 minutes ago.
    ("zombie_engine_pod", "etl", f"{HOURLY}-driver"),
    ("zombie_engine_pod", "etl", f"{HOURLY}-exec-1"),
    ("zombie_engine_pod", "etl", f"{HOURLY}-exec-2"),
    ("zombie_engine_pod", "etl", f"{NIGHTLY}-driver"),
    ("zombie_engine_pod", "spark-alice", f"{ADHOC}-driver"),
    ("zombie_engine_pod", "spark-alice", f"{ADHOC}-exec-1"),
    ("zombie_engine_pod", "spark-alice", f"{ADHOC}-exec-2"),
    (
        "zombie_engine_pod",
        "spark-analytics",
        "kyuubi-user-spark-sql-carol-default-c41a66d9-82fa-4d7a-a8d2-e08e5e6279db-driver",
    ),
    ("zombie_engine_pod", "spark-analytics", f"{DAVE}-driver"),
    ("zombie_engine_pod", "spark-analytics", f"{DAVE}-exec-1"),
    ("zombie_engine_pod", "spark-analytics", f"{DAVE}-exec-2"),
    ("zombie_engine_pod", "spark-bob", f"{DAILY}-driver"),
    ("zombie_engine_pod", "spark-bob", f"{DAILY}-exec-1"),
    ("zombie_engine_pod", "spark-bob", f"{DAILY}-exec-2"),
    (
        "zombie_engine_pod",
        "spark-bob",
        "kyuubi-ml-train-d0b93207-12cb-4f3f-847a-ddc92d9b4f22-driver",
    ),
    # Behind a finalizer; on a node that is gone.
    ("stuck_terminating", "etl", f"{NIGHTLY}-exec-4"),
    ("orphaned", "etl", "kyuubi-clickstream-agg-0cd3aee8-9ea4-40bb-ba5b-99cdf06f217a-exec-2"),
    ("failed_lingering", "etl", f"{HOURLY}-driver"),
    ("failed_lingering", "etl", f"{HOURLY}-exec-1"),
    ("failed_lingering", "etl", f"{HOURLY}-exec-2"),
    ("failed_lingering", "etl", "partition-repair-29063220-8rwh5"),
    ("failed_lingering", "etl", "partition-repair-29063220-d2dg8"),
    ("failed_lingering", "etl", "partition-repair-29063220-llpql"),
    ("failed_lingering", "monitoring", "metrics-exporter-29hq5kfknn-89mgg"),
    ("failed_lingering", "spark-analytics", f"{DAVE}-driver"),
    ("failed_lingering", "spark-analytics", f"{DAVE}-exec-1"),
    ("failed_lingering", "spark-analytics", f"{DAVE}-exec-2"),
]

# (namespace, engine id) -> (state the pods prove, what Kyuubi's phase rule says, reason)
EXPECTED_ENGINES = {
    ("etl", "0cd3aee8-9ea4-40bb-ba5b-99cdf06f217a"): ("RUNNING", "RUNNING", None),
    ("etl", "1e39ef8e-062e-4c92-8ebb-898ae76db5ef"): ("KILLED", "FAILED", "OOMKilled"),
    ("etl", "25f46356-6a4a-4ead-a50a-bf6e5ac04ca4"): ("RUNNING", "RUNNING", None),
    ("etl", "3ebebe3e-1790-40da-9891-0052cebcc1ba"): ("FINISHED", "FINISHED", None),
    ("spark-alice", "53e0472c-6c19-4787-8ed0-1edfe2608a62"): ("RUNNING", "RUNNING", None),
    ("spark-alice", "7afbf358-7e65-4242-9f5f-48b450bbd9b0"): (
        "PENDING",
        "PENDING",
        "Unschedulable",
    ),
    ("spark-alice", "e5b0fcb2-370b-42ff-bd96-bfb12cd66a72"): ("KILLED", "FAILED", "OOMKilled"),
    ("spark-analytics", "c41a66d9-82fa-4d7a-a8d2-e08e5e6279db"): ("FINISHED", "FINISHED", None),
    ("spark-analytics", "d87064fc-83da-4265-a24c-4b62591550ff"): (
        "FAILED",
        "FAILED",
        "Error exit 143",
    ),
    ("spark-bob", "30ab1c2e-174e-4f4b-aeb8-f85f1e10553b"): ("RUNNING", "RUNNING", None),
    ("spark-bob", "d0b93207-12cb-4f3f-847a-ddc92d9b4f22"): ("FAILED", "FAILED", "Error exit 1"),
    ("spark-bob", "f6bad673-423e-46d0-b8e9-de81b74f3410"): ("KILLED", "FAILED", "OOMKilled"),
}


def triage(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "kubetui", "triage", "--now", NOW, *args],
        input=stdin,
        capture_output=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def report() -> dict:
    result = triage("--from-file", str(DUMP), "--format", "json")
    assert result.returncode == 1, result.stderr  # findings present
    return json.loads(result.stdout)


def test_exact_findings(report: dict) -> None:
    found = [(f["kind"], f["namespace"], f["name"]) for f in report["findings"]]
    assert found == EXPECTED_FINDINGS


def test_engine_states_oom_killed_is_killed_never_unknown(report: dict) -> None:
    engines = {
        (e["namespace"], e["id"]): (e["state"], e["kyuubi_would_say"], e["reason"])
        for e in report["engines"]
    }
    assert engines == EXPECTED_ENGINES
    hourly = next(e for e in report["engines"] if e["id"].startswith("1e39ef8e"))
    assert hourly["pods"] == [f"{HOURLY}-driver", f"{HOURLY}-exec-1", f"{HOURLY}-exec-2"]


def test_pod_rows_carry_the_decoded_truth(report: dict) -> None:
    pods = {(p["namespace"], p["name"]): p for p in report["pods"]}
    assert len(pods) == 51
    driver = pods["etl", f"{HOURLY}-driver"]
    assert (driver["status"], driver["ready"], driver["last_termination"]) == (
        "OOMKilled",
        "0/1",
        "OOMKilled 137 SIGKILL",
    )
    (container,) = driver["containers"]
    assert container["state"] == "terminated"
    assert (container["reason"], container["exit_code"], container["signal"]) == (
        "OOMKilled",
        137,
        "SIGKILL",
    )
    init_failure = pods["spark-bob", "kyuubi-ml-train-d0b93207-12cb-4f3f-847a-ddc92d9b4f22-driver"]
    assert init_failure["status"] == "Init:Error"
    assert [c["init"] for c in init_failure["containers"]] == [True, False]
    crash = pods["kyuubi", "spark-history-server-8x2p8t95k8-7c5nr"]
    assert crash["status"] == "CrashLoopBackOff"
    assert crash["restarts"] == 7
    assert crash["containers"][0]["last_exit_code"] == 143
    assert crash["containers"][0]["last_signal"] == "SIGTERM"


def test_qos_trio_on_one_node(report: dict) -> None:
    """Guaranteed, Burstable and BestEffort side by side on ip-10-0-0-13."""
    on_node = {
        p["name"]: (p["qos"], p["containers"][0]["oom_score_adj"])
        for p in report["pods"]
        if p["node"] == "ip-10-0-0-13.ec2.internal"
    }
    assert on_node["netshoot-debug"] == ("BestEffort", 1000)
    assert on_node["kyuubi-warehouse-load-25f46356-6a4a-4ead-a50a-bf6e5ac04ca4-driver"] == (
        "Guaranteed",
        -997,
    )
    assert on_node["kyuubi-warehouse-load-25f46356-6a4a-4ead-a50a-bf6e5ac04ca4-exec-1"] == (
        "Burstable",
        862,
    )
    orphan = next(
        p
        for p in report["pods"]
        if p["name"].endswith("0cd3aee8-9ea4-40bb-ba5b-99cdf06f217a-exec-2")
    )
    # Its node is gone, so its memory capacity (the Burstable input) is unknown: no guess.
    assert orphan["containers"][0]["oom_score_adj"] is None


def test_json_shape_has_every_documented_key(report: dict) -> None:
    assert set(report) >= {"pods", "engines", "findings"}
    assert set(report["pods"][0]) >= {
        "namespace",
        "name",
        "uid",
        "node",
        "status",
        "ready",
        "restarts",
        "qos",
        "containers",
    }
    assert set(report["pods"][0]["containers"][0]) >= {
        "name",
        "init",
        "state",
        "reason",
        "exit_code",
        "signal",
        "last_reason",
        "last_exit_code",
        "oom_score_adj",
    }
    assert set(report["engines"][0]) >= {"id", "name", "namespace", "state", "reason", "pods"}
    assert set(report["findings"][0]) >= {"kind", "namespace", "name", "summary"}


def test_yaml_dump_gives_the_same_report(report: dict) -> None:
    as_yaml = yaml.safe_dump(json.loads(DUMP.read_bytes())).encode()
    result = triage("--from-file", "-", "--format", "json", stdin=as_yaml)
    assert result.returncode == 1, result.stderr
    assert json.loads(result.stdout) == report


def test_text_report_fits_80_columns_grouped_by_kind() -> None:
    result = triage("--from-file", str(DUMP))
    assert result.returncode == 1
    text = result.stdout.decode()
    assert all(len(line) <= 80 for line in text.splitlines())
    headings = [
        line.split(" (")[0]
        for line in text.splitlines()
        if line.endswith(")") and " " not in line.split(" (")[0]
    ]
    assert headings[:7] == [
        "FINDINGS",
        "oom_killed",
        "crash_loop",
        "zombie_engine_pod",
        "stuck_terminating",
        "orphaned",
        "failed_lingering",
    ]
    assert "!! etl/kyuubi-hourly-sessionize-1e39ef8e-062e-4c92-8ebb-898ae76db5ef-driver" in text
    assert "≠ KILLED    FAILED         3  etl/1e39ef8e-062e-4c92-8ebb-898ae76db5ef" in text
