"""``kubetui triage`` against the real control plane, on the incidents built through its
API: exactly the findings, engine states and oom_score_adj values a reader of the
objects expects (written out here from the incident design, not from kubetui's output).
"""

from __future__ import annotations

import json
from pathlib import Path

import incidents
from control_plane import ControlPlane
from kubetui_cli import triage

NAMESPACES = "spark-alice,etl,ops"

EXPECTED_FINDINGS = {
    ("oom_killed", "spark-alice", "alice-oom-driver"),  # terminated OOMKilled 137 now
    ("oom_killed", "spark-alice", "alice-notebook"),  # OOMKilled in lastState
    ("zombie_engine_pod", "spark-alice", "alice-old-driver"),  # engine ended 2 h ago
    ("zombie_engine_pod", "spark-alice", "alice-old-exec-1"),
    ("zombie_engine_pod", "spark-alice", "alice-old-exec-2"),
    ("crash_loop", "etl", "etl-loader"),  # CrashLoopBackOff, 7 restarts
    ("failed_lingering", "etl", "etl-migrate"),  # init failed 3 h ago, still there
    ("stuck_terminating", "ops", "ops-stuck"),  # finalizer holds it past its deadline
    ("orphaned", "ops", "ops-orphan"),  # its node was deleted
}


def test_triage_finds_exactly_the_incidents(
    control_plane: ControlPlane, built: incidents.Incidents, tmp_path: Path
) -> None:
    result = triage(
        control_plane.kubeconfig(),
        tmp_path,
        "-n",
        NAMESPACES,
        "--format",
        "json",
        "--now",
        built.judge_at.isoformat(),
    )
    assert result.returncode == 1, result.stderr  # findings present
    report = json.loads(result.stdout)
    found = {(f["kind"], f["namespace"], f["name"]) for f in report["findings"]}
    assert found == EXPECTED_FINDINGS
    assert report["nodes_known"] is True

    by_tag = {e["kyuubi_tag"]: e for e in report["engines"]}
    oom = by_tag[built.engines["alice-oom"][0]]
    old = by_tag[built.engines["alice-old"][0]]
    # The pods prove KILLED by the kernel; Kyuubi's pod-phase rule would say FAILED.
    assert (oom["state"], oom["reason"], oom["kyuubi_would_say"]) == (
        "KILLED",
        "OOMKilled",
        "FAILED",
    )
    assert oom["app_id"] == built.engines["alice-oom"][1]
    assert sorted(oom["pods"]) == ["alice-oom-driver", "alice-oom-exec-1", "alice-oom-exec-2"]
    assert old["state"] == "FINISHED"
    assert len(report["engines"]) == 2

    pods = {p["name"]: p for p in report["pods"]}
    # kubelet's policy (pkg/kubelet/qos/policy.go): Guaranteed -997, BestEffort 1000,
    # Burstable 1000 - 1000 * request / capacity = 1000 - 1000 * 16Gi / 64Gi = 750.
    adj = {
        name: pods[name]["containers"][0]["oom_score_adj"]
        for name in ("qos-guaranteed", "qos-burstable", "qos-besteffort")
    }
    assert adj == {"qos-guaranteed": -997, "qos-burstable": 750, "qos-besteffort": 1000}
    assert {pods[n]["qos"] for n in adj} == {"Guaranteed", "Burstable", "BestEffort"}
    driver = pods["alice-oom-driver"]
    assert (driver["status"], driver["containers"][0]["exit_code"]) == ("OOMKilled", 137)
    assert driver["containers"][0]["signal"] == "SIGKILL"
    assert pods["ops-stuck"]["status"] == "Terminating"
    assert pods["etl-migrate"]["status"] == "Init:Error"


def test_triage_text_names_each_incident(
    control_plane: ControlPlane, built: incidents.Incidents, tmp_path: Path
) -> None:
    result = triage(
        control_plane.kubeconfig(), tmp_path, "-n", NAMESPACES, "--now", built.judge_at.isoformat()
    )
    assert result.returncode == 1, result.stderr
    for _kind, _namespace, name in EXPECTED_FINDINGS:
        assert name in result.stdout
    assert all(len(line) <= 80 for line in result.stdout.splitlines())
