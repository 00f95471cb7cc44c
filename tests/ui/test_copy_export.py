"""``y``/``Y`` copy through OSC 52 (what reaches the terminal is decoded here), ``x``
writes the Markdown incident note; hostile names can neither escape nor inject."""

from __future__ import annotations

import base64
import re
import shlex
from pathlib import Path

import pytest

from kubetui.config import Settings
from kubetui.model.findings import Finding
from kubetui.model.records import ObjectMeta, Pod
from kubetui.sim.runner import RunningSim
from kubetui.ui.app import KubetuiApp
from kubetui.ui.cli import demo_kyuubi
from kubetui.ui.clipboard import Selection, copy_name, kubectl_command, write_note
from kubetui.ui.line_table import LineTable
from tests.ui.conftest import make_app, settle

HOURLY = "kyuubi-hourly-sessionize-1e39ef8e-062e-4c92-8ebb-898ae76db5ef"
OSC52 = re.compile(r"\x1b\]52;c;([A-Za-z0-9+/=]*)\x07")


def _capture(app: KubetuiApp) -> list[str]:
    """Everything the app writes to the terminal from now on (the headless driver's
    ``write`` is where Textual's ``copy_to_clipboard`` sends OSC 52)."""
    written: list[str] = []
    assert app._driver is not None
    app._driver.write = written.append  # type: ignore[method-assign]
    return written


def _clipboard(written: list[str]) -> list[str]:
    """The texts of every OSC 52 clipboard write, decoded."""
    return [
        base64.b64decode(m.group(1)).decode() for chunk in written for m in OSC52.finditer(chunk)
    ]


def _notes(app: KubetuiApp) -> list[str]:
    return [n.message for n in app._notifications]


def _select(app: KubetuiApp, table_id: str, matches) -> None:
    table = app.screen.query_one(table_id, LineTable)
    key = next(k for k in table.keys if matches(k))
    assert table.select_key(key)


async def test_copy_keys_write_osc52_on_every_view(incidents: RunningSim) -> None:
    app = make_app(incidents)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        written = _capture(app)
        findings = app.main.views[1]

        # Findings: an OOM-killed driver (terminated now: its own logs, no -p) …
        def oom(key: str) -> bool:
            f = findings.finding(key)  # type: ignore[attr-defined]
            return f is not None and f.kind == "oom_killed" and f.name == f"{HOURLY}-driver"

        _select(app, "#findings-table", oom)
        await pilot.press("y", "Y")
        # … and a crash loop, whose story is the previous run's log.
        _select(
            app,
            "#findings-table",
            lambda k: (
                (f := findings.finding(k)) is not None  # type: ignore[attr-defined]
                and f.kind == "crash_loop"
                and f.namespace == "kyuubi"
            ),
        )
        await pilot.press("Y")
        # Pods: describe; Engines: the engine id and its pods by label.
        await pilot.press("2")
        pods = app.data.store.pods
        _select(app, "#pods-table", lambda k: pods[k].metadata.name == "netshoot-debug")
        await pilot.press("y", "Y")
        await pilot.press("3")
        engines = app.main.views[3]
        _select(
            app,
            "#engines-table",
            lambda k: engines.engine(k).id.startswith("1e39ef8e"),  # type: ignore[attr-defined]
        )
        await pilot.press("y", "Y")
        await pilot.pause()

        netshoot = next(p for p in pods.values() if p.metadata.name == "netshoot-debug")
        ns = netshoot.metadata.namespace
        engine = engines.engine(engines.table.selected_key)  # type: ignore[attr-defined]
        assert _clipboard(written) == [
            f"etl/{HOURLY}-driver",
            f"kubectl -n etl logs {HOURLY}-driver -c spark-kubernetes-driver",
            "kubectl -n kyuubi logs spark-history-server-8x2p8t95k8-7c5nr "
            "-c spark-history-server -p",
            f"{ns}/netshoot-debug",
            f"kubectl -n {ns} describe pod netshoot-debug",
            engine.id,
            f"kubectl -n etl get pods -l spark-app-selector={engine.app_id}",
        ]
        assert f"copied (OSC 52): etl/{HOURLY}-driver" in _notes(app)
        # Nodes: the node; Hot loops (no watch here, so no row): nothing is sent.
        await pilot.press("4")
        node = app.main.views[4].table.selected_key
        assert node in app.data.store.nodes
        await pilot.press("y", "Y", "5", "y")
        await pilot.pause()
        assert _clipboard(written)[7:] == [node, f"kubectl describe node {node}"]
        assert _notes(app)[-1] == "nothing to copy here: select a row first"


async def test_copy_from_the_pod_detail_screen(incidents: RunningSim) -> None:
    app = make_app(incidents)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        written = _capture(app)
        await pilot.press("2")
        pods = app.data.store.pods
        _select(app, "#pods-table", lambda k: pods[k].metadata.name == f"{HOURLY}-driver")
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("Y")
        await pilot.pause()
        assert _clipboard(written) == [f"kubectl -n etl describe pod {HOURLY}-driver"]


async def test_x_writes_the_incident_note_to_the_working_dir(
    incidents: RunningSim, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    app = make_app(incidents)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        await pilot.press("x")
        await pilot.pause()
        (note,) = tmp_path.glob("kubetui-incident-*.md")
        assert _notes(app)[-1] == f"incident note written to {note}"
        text = note.read_text()
        assert text.startswith("# Incident note: ")
        assert "- **Read from:** context " in text
        for line in (
            "### oom_killed (3, critical)",
            f"- **etl/{HOURLY}-driver** — container spark-kubernetes-driver OOMKilled",
            "### stuck_terminating (1, warning)",
            "### orphaned (1, warning)",
            "| etl | 1e39ef8e-062e-4c92-8ebb-898ae76db5ef | KILLED ≠ | FAILED | OOMKilled | 3 |",
        ):
            assert line in text, line
        # Picking a namespace (n) scopes the note as it scopes the views.
        app.main.set_namespace("kyuubi")
        await pilot.press("x")
        await pilot.pause()
        second = max(tmp_path.glob("kubetui-incident-*.md"), key=lambda p: p.stat().st_mtime_ns)
        assert second != note
        scoped = second.read_text()
        assert "- **Namespaces:** kyuubi" in scoped
        assert "spark-history-server" in scoped and HOURLY not in scoped


async def test_the_note_names_kyuubi_and_its_disagreements(
    incidents: RunningSim, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    app = make_app(incidents, settings=Settings(kyuubi=demo_kyuubi(incidents)))
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        await pilot.press("x")
        await pilot.pause()
    (note,) = tmp_path.glob("kubetui-incident-*.md")
    text = note.read_text()
    assert re.search(r"^- \*\*Kyuubi:\*\* live, \d+ batches, \d+ engines registered$", text, re.M)
    section = text.split("\n## Kyuubi disagreements\n\n")[1]
    assert len(re.findall(r"^- \*\*", section, re.M)) == 3
    assert "the pods prove KILLED (OOMKilled)" in section


async def _press_x_in(
    incidents: RunningSim, where: Path, monkeypatch: pytest.MonkeyPatch
) -> KubetuiApp:
    """Press x with the working dir ``where`` removed under the operator's feet."""
    where.mkdir()
    monkeypatch.chdir(where)
    where.rmdir()
    app = make_app(incidents)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        await pilot.press("x")
        await pilot.pause()
    return app


async def test_x_falls_back_to_the_state_dir(
    incidents: RunningSim, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    app = await _press_x_in(incidents, tmp_path / "gone", monkeypatch)
    (note,) = (tmp_path / "state" / "kubetui" / "notes").glob("kubetui-incident-*.md")
    assert note.read_text().startswith("# Incident note: ")
    (warning,) = [n for n in app._notifications if n.severity == "warning"]
    assert warning.message.startswith(f"incident note written to {note} (not in the working dir: ")


async def test_x_says_in_one_line_when_the_note_cannot_be_written(
    incidents: RunningSim, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    monkeypatch.setenv("XDG_STATE_HOME", str(blocked))  # no dir can be made under a file
    app = await _press_x_in(incidents, tmp_path / "gone", monkeypatch)
    (error,) = [n for n in app._notifications if n.severity == "error"]
    assert error.message.startswith("incident note not written: ")
    assert "; nor in the state dir: " in error.message and "\n" not in error.message


def _pod(namespace: str, name: str) -> Pod:
    return Pod(metadata=ObjectMeta(namespace=namespace, name=name))


def test_hostile_names_are_inert_and_quoted() -> None:
    evil = "x; rm -rf ~ \x1b]52;c;AAAA\x07\nsecond-line"
    pod = _pod("ns $(id)", evil)
    name = copy_name(Selection(pod=pod))
    assert name is not None and "\x1b" not in name and "\x07" not in name and "\n" not in name
    command = kubectl_command(Selection(pod=pod))
    assert command is not None
    words = shlex.split(command)
    # The shell sees exactly six words: no second command, no expansion.
    assert words[:4] == ["kubectl", "-n", "ns $(id)", "describe"]
    assert len(words) == 6 and words[5].startswith("x; rm -rf ~ ␛]52;c;AAAA␇")


def test_hot_loop_finding_copies_a_describe_of_its_kind() -> None:
    finding = Finding(
        kind="hot_loop",
        namespace="kubero",
        name="pipeline-a",
        summary="",
        evidence={"object_kind": "KuberoPipeline"},
        severity="warning",
    )
    assert copy_name(Selection(finding=finding)) == "kubero/pipeline-a"
    assert (
        kubectl_command(Selection(finding=finding))
        == "kubectl -n kubero describe kuberopipeline pipeline-a"
    )
    assert kubectl_command(Selection()) is None


def test_note_never_overwrites(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    now = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    first = write_note("a", tmp_path, "ctx/../evil", now)
    second = write_note("b", tmp_path, "ctx/../evil", now)
    assert first.parent == second.parent == tmp_path.resolve()
    assert first.name == "kubetui-incident-ctx_.._evil-20261123-100000.md"
    assert second.name == "kubetui-incident-ctx_.._evil-20261123-100000-2.md"
    assert (first.read_text(), second.read_text()) == ("a", "b")
