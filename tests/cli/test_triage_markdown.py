"""``kubetui triage --format markdown``: the incident note of the demo cluster's dump, and
cluster text that tries to become Markdown (links, HTML, table cells, code) stays text."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

from kubetui.headless.markdown_report import md_text
from kubetui.sim.runner import running_sim
from tests.cli.test_triage_incidents import DUMP, EXPECTED_FINDINGS, HOURLY, triage


def test_note_of_the_incidents_dump() -> None:
    result = triage("--from-file", str(DUMP), "--format", "markdown")
    assert result.returncode == 1, result.stderr  # findings present, as for text
    note = result.stdout.decode()
    assert note.startswith(f"# Incident note: {len(EXPECTED_FINDINGS)} findings\n")
    assert f"- **Read from:** file {md_text(DUMP)}" in note
    assert "- **Written:** 2026-11-23 19:47:22 UTC" in note
    assert re.search(r"- \*\*Time window:\*\* 2026-11-\d\d .* to 2026-11-23 19:46:32 UTC", note)
    assert "- **Kyuubi:** not polled" in note
    # Every finding of the dump, each with its evidence line, in the note.
    items = re.findall(r"^- \*\*([^*]+)\*\* — .*\n  - evidence: .+$", note, re.MULTILINE)
    assert sorted(items) == sorted(f"{ns}/{name}" for _kind, ns, name in EXPECTED_FINDINGS)
    for kind in {k for k, _ns, _name in EXPECTED_FINDINGS}:
        count = sum(k == kind for k, _ns, _name in EXPECTED_FINDINGS)
        assert f"\n### {kind} ({count}, " in note
    assert (
        f"- **etl/{HOURLY}-driver** — container spark-kubernetes-driver OOMKilled (exit 137)"
        in note
    )
    assert "exit code: 137; finished at: 2026-11-23T17:39:22Z" in note
    # The three engines Kyuubi's phase rule calls FAILED though the pods prove KILLED.
    assert note.count("| KILLED ≠ | FAILED | OOMKilled |") == 3
    assert "- **engines**: 3 ended otherwise than Kyuubi's pod-phase rule says" in note


def test_cluster_text_cannot_become_markdown() -> None:
    hostile = "a|b`c`<img src=x onerror=alert(1)>[x](https://evil.example)*em*_u_ www.evil.io"
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "namespace": "etl",
            "name": hostile,
            "uid": "u1",
            "creationTimestamp": "2026-11-23T08:00:00Z",
        },
        "spec": {"containers": [{"name": "c|`x`", "image": "i"}]},
        "status": {
            "phase": "Failed",
            "containerStatuses": [
                {
                    "name": "c|`x`",
                    "ready": False,
                    "restartCount": 0,
                    "image": "i",
                    "imageID": "",
                    "state": {
                        "terminated": {
                            "reason": "OOMKilled",
                            "exitCode": 137,
                            "finishedAt": "2026-11-23T09:00:00Z",
                        }
                    },
                }
            ],
        },
    }
    result = triage("--from-file", "-", "--format", "markdown", stdin=json.dumps(pod).encode())
    assert result.returncode == 1, result.stderr
    note = result.stdout.decode()
    escaped = md_text(hostile)
    assert f"- **etl/{escaped}** — container c\\|\\`x\\` OOMKilled" in note
    for raw in ("<img", "https://", "www.evil"):
        assert raw not in note, raw
    # No bracket, backtick or pipe of the name is left unescaped.
    assert not re.search(r"(?<!\\)[\[\]`|]", note.split("## Findings")[1].split("## Engines")[0])


def test_md_text_escapes_what_markdown_would_act_on() -> None:
    assert md_text("a|b") == "a\\|b"
    assert md_text("[x](https://e.io)") == "\\[x\\](https\\://e.io)"
    assert md_text("<b>&amp;</b>") == "&lt;b&gt;&amp;amp;&lt;/b&gt;"
    assert md_text("`code` *em* _u_ ~s~") == "\\`code\\` \\*em\\* \\_u\\_ \\~s\\~"
    assert md_text("see WWW.example.com or x@y.io") == "see WWW\\.example.com or x\\@y.io"
    assert md_text("two\nlines\x1b[2J") == "two lines␛\\[2J"
    assert md_text(137) == "137"


def test_kyuubi_disagreements_of_the_demo_cluster(tmp_path) -> None:
    """Polled, the frozen demo's Kyuubi disagrees with the pods on exactly three engines
    (the scenario's standing disagreements; tests/sources/test_churn_triage_watch.py)."""
    with running_sim("incidents", 1, frozen=True, tmp_dir=tmp_path) as sim:
        assert sim.kyuubi is not None
        user, password = next(iter(sim.kyuubi.users.items()))
        result = subprocess.run(
            [sys.executable, "-m", "kubetui", "triage", "--kubeconfig", str(sim.kubeconfig_path),
             "--kyuubi-url", str(sim.kyuubi_url), "--kyuubi-user", user,
             "--kyuubi-password-env", "KUBETUI_TEST_KYUUBI", "--format", "markdown"],
            capture_output=True, text=True, timeout=120,
            env={**os.environ, "KUBETUI_TEST_KYUUBI": password,
                 "XDG_CONFIG_HOME": str(tmp_path / "config")},
        )  # fmt: skip
    assert result.returncode == 1, result.stderr
    note = result.stdout
    assert re.search(r"^- \*\*Kyuubi:\*\* live, \d+ batches, \d+ engines registered$", note, re.M)
    assert "- **kyuubi_disagreement**: 3 (see Kyuubi disagreements)" in note
    section = note.split("\n## Kyuubi disagreements\n\n")[1]
    entries = re.findall(r"^- \*\*([^*]+)\*\* — ", section, re.M)
    assert [e.split("/")[0] for e in entries] == ["etl", "spark-alice", "spark-bob"], entries
    assert "the pods prove KILLED (OOMKilled)" in section
