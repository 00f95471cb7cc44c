"""``kubetui cleanup`` against the demo cluster: exactly the plan reaches the server.

Each test starts its own frozen incidents cluster, so deletions cannot leak between
tests; what the server holds afterwards is read from the sim's state.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kubetui.actions.execute import CONFLICT, DELETED, HELD, RESTARTED, execute
from kubetui.actions.plans import RESTARTED_AT, plan_finding_cleanup, plan_restart
from kubetui.model.triage import analyse
from kubetui.sim.runner import RunningSim, running_sim
from kubetui.sources.kube_client import KubeError, connect
from kubetui.sources.snapshot import take_snapshot


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[RunningSim]:
    with running_sim(
        "incidents", 1, frozen=True, tmp_dir=tmp_path / "sim", kyuubi=False
    ) as running:
        yield running


def pods_of(sim: RunningSim) -> dict[str, str]:
    """uid → namespace/name of every pod the server holds."""
    return {
        p["metadata"]["uid"]: f"{p['metadata']['namespace']}/{p['metadata']['name']}"
        for p in sim.state.list("pods")
    }


def _cleanup_argv(sim: RunningSim, *args: str) -> list[str]:
    """``kubetui cleanup`` on the sim, judged at its frozen clock's now."""
    return [
        sys.executable,
        "-m",
        "kubetui",
        "cleanup",
        "--kubeconfig",
        str(sim.kubeconfig_path),
        "--now",
        sim.state.clock.now().isoformat(),
        *args,
    ]


def _env(tmp_path: Path) -> dict[str, str]:
    """This environment with kubetui's state (its audit log) and config under
    ``tmp_path``: a test reads and leaves only its own."""
    return {
        **os.environ,
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }


def cleanup(
    sim: RunningSim, tmp_path: Path, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        _cleanup_argv(sim, *args),
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        env=_env(tmp_path),
    )


def deletes(sim: RunningSim) -> list[str]:
    return [r.path for r in sim.request_log if r.method == "DELETE"]


def test_dry_run_deletes_nothing_but_asks_the_server(sim: RunningSim, tmp_path: Path) -> None:
    before = pods_of(sim)
    result = cleanup(sim, tmp_path, "--zombies", "--orphaned", "--dry-run", "--format", "json")
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["dry_run"] is True
    assert {o["status"] for o in report["outcomes"]} == {"dry-run-ok"}
    assert len(deletes(sim)) == len(report["selected"]) > 0  # one server-side dry run each
    assert pods_of(sim) == before
    # no audit record for a dry run (the state dir itself holds kubetui's log file)
    assert not (tmp_path / "state" / "kubetui" / "audit.jsonl").exists()
    assert (tmp_path / "state" / "kubetui").is_dir()


def test_zombie_cleanup_removes_exactly_the_zombies(sim: RunningSim, tmp_path: Path) -> None:
    before = pods_of(sim)
    snap = take_snapshot(connect(str(sim.kubeconfig_path)))
    now = sim.state.clock.now()
    zombies = {
        f.uid for f in analyse(snap.pods, snap.nodes, now).findings if f.kind == "zombie_engine_pod"
    }
    assert len(zombies) >= 10
    result = cleanup(sim, tmp_path, "--zombies", "--yes", "--format", "json")
    assert result.returncode == 0, result.stdout + result.stderr
    outcomes = json.loads(result.stdout)["outcomes"]
    assert {o["uid"] for o in outcomes} == zombies
    assert {o["status"] for o in outcomes} <= {"deleted", "gone"}
    after = pods_of(sim)
    assert set(before) - set(after) == zombies
    assert {u: before[u] for u in after} == after  # every other pod untouched


def test_audit_log_records_the_action_without_credentials(sim: RunningSim, tmp_path: Path) -> None:
    result = cleanup(sim, tmp_path, "--orphaned", "--yes")
    assert result.returncode == 0, result.stdout + result.stderr
    log = tmp_path / "state" / "kubetui" / "audit.jsonl"
    (line,) = log.read_text().splitlines()
    record = json.loads(line)
    assert record["verb"] == "cleanup" and record["context"] == "kubetui-sim"
    (step,) = record["steps"]
    assert step["action"] == "force-delete" and "gracePeriodSeconds=0" in step["api_call"]
    assert record["outcomes"][0]["status"] == DELETED
    for token in sim.tokens.values():
        assert token not in log.read_text()
    located = subprocess.run(
        [sys.executable, "-m", "kubetui", "locate", "audit"],
        capture_output=True,
        text=True,
        env={**os.environ, "XDG_STATE_HOME": str(tmp_path / "state")},
        check=True,
    )
    assert located.stdout.strip() == str(log)


def test_force_delete_of_a_finalizer_held_pod(sim: RunningSim, tmp_path: Path) -> None:
    result = cleanup(sim, tmp_path, "--stuck-terminating", "--yes", "--format", "json")
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    (outcome,) = report["outcomes"]
    assert outcome["status"] == HELD and "acme.io/shuffle-archive" in outcome["detail"]
    assert any("finalizers" in w for w in report["plan"]["warnings"])
    held = sim.state.get("pods", outcome["namespace"], outcome["name"])
    assert held is not None and held["metadata"]["finalizers"]


def test_recreated_pod_under_the_same_name_is_not_deleted(sim: RunningSim) -> None:
    kube = connect(str(sim.kubeconfig_path))
    snap = take_snapshot(kube)
    findings = analyse(snap.pods, snap.nodes, sim.state.clock.now()).findings
    plan = plan_finding_cleanup(findings, snap.pods, ["orphaned"])
    (step,) = plan.steps
    old = sim.state.get("pods", step.target.namespace, step.target.name)
    sim.state.remove("pods", step.target.namespace, step.target.name)
    old["metadata"].pop("uid")
    old["metadata"].pop("resourceVersion")
    recreated = sim.state.create("pods", old)
    (outcome,) = execute(kube, plan)
    assert outcome.status == CONFLICT and "UID in the precondition" in outcome.detail
    still = sim.state.get("pods", step.target.namespace, step.target.name)
    assert still["metadata"]["uid"] == recreated["metadata"]["uid"]


def test_read_only_sends_no_write(sim: RunningSim, tmp_path: Path) -> None:
    before = pods_of(sim)
    preview = cleanup(sim, tmp_path, "--zombies", "--dry-run", "--read-only")
    assert preview.returncode == 1, preview.stderr
    refused = cleanup(sim, tmp_path, "--zombies", "--yes", "--read-only")
    assert refused.returncode == 2 and "--read-only deletes nothing" in refused.stderr
    assert deletes(sim) == [] and pods_of(sim) == before
    kube = connect(str(sim.kubeconfig_path))
    kube.read_only = True
    with pytest.raises(KubeError, match="read-only"):
        kube.send("DELETE", "/api/v1/namespaces/etl/pods/x")
    assert deletes(sim) == []


def test_no_terminal_no_yes_refuses(sim: RunningSim, tmp_path: Path) -> None:
    before = pods_of(sim)
    result = cleanup(sim, tmp_path, "--zombies")
    assert result.returncode == 2
    assert "stdin is not a terminal" in result.stderr
    assert [p for p in deletes(sim)] == [] and pods_of(sim) == before


def test_max_caps_the_selection(sim: RunningSim, tmp_path: Path) -> None:
    result = cleanup(sim, tmp_path, "--zombies", "--yes", "--max", "3")
    assert result.returncode == 2 and "over --max (3)" in result.stderr
    assert deletes(sim) == []


def _config(tmp_path: Path, text: str) -> None:
    (tmp_path / "config" / "kubetui").mkdir(parents=True)
    (tmp_path / "config" / "kubetui" / "config.yaml").write_text(text)


def test_config_max_bulk_caps_the_selection(sim: RunningSim, tmp_path: Path) -> None:
    _config(tmp_path, "max_bulk: 2\n")
    result = cleanup(sim, tmp_path, "--zombies", "--yes")
    assert result.returncode == 2 and "over max_bulk in the config (2)" in result.stderr
    assert deletes(sim) == []


def test_config_read_only_context_refuses_and_sends_no_write(
    sim: RunningSim, tmp_path: Path
) -> None:
    before = pods_of(sim)
    _config(tmp_path, "contexts: {kubetui-sim: {read_only: true}}\n")
    result = cleanup(sim, tmp_path, "--zombies", "--yes")
    assert result.returncode == 2 and "makes context 'kubetui-sim' read-only" in result.stderr
    preview = cleanup(sim, tmp_path, "--zombies", "--dry-run")
    assert preview.returncode == 1 and "Delete 15 pod(s)" in preview.stdout
    assert deletes(sim) == [] and pods_of(sim) == before


def _interactive(sim: RunningSim, tmp_path: Path, answers: str, *args: str) -> tuple[int, str]:
    """Run cleanup with a terminal on stdin (a pty) and type ``answers`` into it."""
    import pty

    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        _cleanup_argv(sim, *args),
        stdin=follower,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(tmp_path),
    )
    os.close(follower)
    os.write(leader, answers.encode())
    out, err = proc.communicate(timeout=120)
    os.close(leader)
    return proc.returncode, out + err


def test_confirmation_no_deletes_nothing(sim: RunningSim, tmp_path: Path) -> None:
    before = pods_of(sim)
    code, text = _interactive(sim, tmp_path, "n\n", "--zombies")
    assert code == 0 and "Delete these" in text and "nothing deleted" in text
    assert deletes(sim) == [] and pods_of(sim) == before


def test_force_needs_the_second_confirmation(sim: RunningSim, tmp_path: Path) -> None:
    before = pods_of(sim)
    code, text = _interactive(sim, tmp_path, "y\nno\n", "--orphaned")
    assert code == 0 and "Type 'force' to confirm" in text
    assert deletes(sim) == [] and pods_of(sim) == before
    code, text = _interactive(sim, tmp_path, "y\nforce\n", "--orphaned")
    assert code == 0, text
    assert len(pods_of(sim)) == len(before) - 1


def test_restart_of_a_deployment_pod_is_a_rollout_restart(sim: RunningSim) -> None:
    kube = connect(str(sim.kubeconfig_path))
    snap = take_snapshot(kube, ["kyuubi"])
    pod = next(p for p in snap.pods if p.metadata.name.startswith("spark-history-server"))
    plan = plan_restart(pod, sim.state.clock.now())
    (step,) = plan.steps
    assert step.target.kind == "Deployment" and step.target.name == "spark-history-server"
    patches = lambda: [r for r in sim.request_log if r.method == "PATCH"]  # noqa: E731
    (outcome,) = execute(kube, plan)
    assert outcome.status == RESTARTED, outcome.detail
    assert [("dryRun=All" in r.query) for r in patches()] == [True, False]
    deployment = sim.state.get("deployments", "kyuubi", "spark-history-server")
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    assert annotations[RESTARTED_AT] == step.restarted_at
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # the sim's controller reacts on its own thread
        fresh = [
            p
            for p in sim.state.list("pods", "kyuubi")
            if p["metadata"]["name"].startswith("spark-history-server")
            and p["metadata"]["uid"] != pod.metadata.uid
        ]
        if fresh:
            break
        time.sleep(0.05)
    assert fresh, "the Deployment's controller made no new pod"


def test_an_unwritable_audit_log_is_said_and_fails_the_exit_code(
    sim: RunningSim, tmp_path: Path
) -> None:
    """The deletes are done: their results are printed, the audit failure is one line on
    stderr (no traceback) and the exit code is 1, not 0."""
    (tmp_path / "state").write_text("a file where the state dir should be")
    result = cleanup(sim, tmp_path, "--orphaned", "--yes", "--format", "json")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert "kubetui: audit log not written:" in result.stderr
    assert [o["status"] for o in json.loads(result.stdout)["outcomes"]] == [DELETED]
