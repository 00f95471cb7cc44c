"""``kubetui cleanup --preset NAME``: a config preset selects failed pods (the union of its
policies), combines with the finding kinds as the policy flags do, and exports as one
descheduler policy; unknown names and mixed flags are usage errors. Run in-process on the
demo cluster's kubectl dump (``--from-file --dry-run``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from kubetui.cli import main
from kubetui.cli_args import EXIT_USAGE

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
DUMP = str(FIXTURES / "incidents-dump.json")
NOW = (FIXTURES / "incidents-dump.now").read_text().strip()
CONFIG = """
cleanup_presets:
  - name: evicted or exit 2
    policies: [{reasons: [Evicted]}, {exit_codes: "2"}]
"""


@pytest.fixture(autouse=True)
def _config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "config" / "kubetui"
    config.mkdir(parents=True)
    (config / "config.yaml").write_text(CONFIG)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict, str]:
    code = main(
        ["cleanup", "--from-file", DUMP, "--now", NOW, "--dry-run", "--format", "json", *args]
    )
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out else {}), err


def uids(result: dict) -> set[str]:
    return {p["uid"] for p in result["selected"]}


def test_a_preset_selects_the_union_of_its_policies(capsys: pytest.CaptureFixture[str]) -> None:
    _, oom, _ = run(capsys, "--reasons", "OOMKilled")
    _, exit137, _ = run(capsys, "--exit-codes", "137")
    code, preset, err = run(capsys, "--preset", "OOM victims")
    assert code == 1 and err == ""
    assert uids(preset) == uids(oom) | uids(exit137) and uids(exit137) - uids(oom)
    assert preset["preset"] == "OOM victims"
    assert len(preset["selected"]) == len(uids(preset))  # each pod once


def test_a_user_preset_and_the_built_in_ones(capsys: pytest.CaptureFixture[str]) -> None:
    _, evicted, _ = run(capsys, "--reasons", "Evicted", "--exclude-bare-pods")
    _, exit2, _ = run(capsys, "--exit-codes", "2")
    _, mine, _ = run(capsys, "--preset", "evicted or exit 2")
    assert uids(mine) == uids(evicted) | uids(exit2) and uids(evicted) and uids(exit2)
    _, signal, _ = run(capsys, "--preset", "killed by signal")
    _, flags, _ = run(capsys, "--exit-codes", "129-255")
    assert uids(signal) == uids(flags)


def test_a_preset_combines_with_the_finding_kinds(capsys: pytest.CaptureFixture[str]) -> None:
    _, zombies, _ = run(capsys, "--zombies")
    _, preset, _ = run(capsys, "--preset", "OOM victims")
    _, both, _ = run(capsys, "--preset", "OOM victims", "--zombies")
    assert uids(both) == uids(zombies) | uids(preset)
    assert uids(zombies) - uids(preset) and uids(preset) - uids(zombies)


def test_policy_yaml_of_a_preset_is_the_union_export(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "policy.yaml"
    run(capsys, "--preset", "OOM victims", "--policy-yaml", str(out))
    doc = yaml.safe_load(out.read_text())
    assert doc["kind"] == "DeschedulerPolicy" and len(doc["profiles"]) == 2
    assert "kubetui cleanup preset 'OOM victims'" in out.read_text()


def test_policy_yaml_without_a_failed_pod_policy_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """--zombies alone uses no failed-pod policy: exporting one would evict every failed pod."""
    out = tmp_path / "policy.yaml"
    code, _, err = run(capsys, "--zombies", "--policy-yaml", str(out))
    assert code == EXIT_USAGE and "no failed-pod policy to export" in err
    assert not out.exists()


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("--preset", "oom"), "no preset 'oom'; known: 'OOM victims', 'killed by signal', "),
        (("--preset", "OOM victims", "--reasons", "Error"), "--reasons cannot be added"),
        (("--preset", "OOM victims", "--min-age", "1h", "-l", "a=b"), "--min-age, --selector"),
    ],
)
def test_preset_usage_errors(
    capsys: pytest.CaptureFixture[str], args: tuple[str, ...], needle: str
) -> None:
    code, out, err = run(capsys, *args)
    assert code == EXIT_USAGE and out == {} and needle in err, err
    assert "'evicted or exit 2'" in err or "cannot be added" in err
