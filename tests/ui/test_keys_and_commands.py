"""Keys the operator owns (issue 14, item 3): ``keys:`` remaps, its one-line errors, the
palette built from the bindings, the ``:`` command line and ``:ctx`` context switching."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from textual.pilot import Pilot

from kubetui.cli import main
from kubetui.config import Settings
from kubetui.sim.runner import RunningSim, running_sim
from kubetui.sources.kube_client import connect
from kubetui.ui.app import KubetuiApp
from kubetui.ui.cli import ContextOpener, dashboard_app
from kubetui.ui.command_line import COLON_COMMANDS, CommandLine, parse_command
from kubetui.ui.confirm import ConfirmScreen
from kubetui.ui.dialogs import HelpScreen
from kubetui.ui.key_config import check_keymap, parse_keys
from kubetui.ui.views.pods import PodsView
from tests.sources.ingest_support import server_pods
from tests.ui.conftest import make_app, screen_text, settle

BIG = (160, 40)
REMAP = {"pod-delete": "ctrl+x", "view-engines": "E"}


def _config(text: str) -> Path:
    """The config file the dashboard reads (XDG_CONFIG_HOME is a fresh dir per test)."""
    from kubetui.config import config_file

    path = config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def palette_help(app: KubetuiApp) -> dict[str, str]:
    """The palette's binding entries over the current screen: id → help (keys · id)."""
    return {
        str(c.help).rsplit("·", 1)[1].strip(): str(c.help)
        for c in app.get_system_commands(app.screen)
        if "·" in str(c.help)
    }


async def wait_for(pilot: Pilot, what: str, ready) -> None:  # type: ignore[no-untyped-def]
    for _ in range(500):
        if ready():
            return
        await pilot.pause(0.02)
    raise AssertionError(f"never happened: {what}")


async def command(pilot: Pilot, text: str) -> None:
    """Type ``:text`` and enter, as an operator would."""
    await pilot.press("colon")
    await wait_for(pilot, "the command line", lambda: isinstance(pilot.app.screen, CommandLine))
    await pilot.press(*text, "enter")
    await pilot.pause()


# ---------------------------------------------------------------------- keys:


def test_keys_are_parsed_as_textual_names_them() -> None:
    assert parse_keys("ctrl+x, X") == "ctrl+x,X"
    assert parse_keys(":") == "colon" and parse_keys("?") == "question_mark"
    assert parse_keys("f5") == "f5" and parse_keys("shift+tab") == "shift+tab"
    for bad in ("", "ctrl+", "foo", "hyperx+a", "a,,b"):
        with pytest.raises(ValueError):
            parse_keys(bad)


async def test_a_remapped_key_runs_its_action_and_the_old_key_does_nothing(
    incidents: RunningSim,
) -> None:
    keys = check_keymap(REMAP, "config.yaml")
    app = make_app(incidents, settings=Settings(keys=keys))
    async with app.run_test(size=BIG) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await pilot.press("3")  # view-engines' old key
        await pilot.pause()
        assert app.main.current == 2
        await pilot.press("E")
        await pilot.pause()
        assert app.main.current == 3

        await pilot.press("2", "down")
        await pilot.press("ctrl+d")  # pod-delete's old key: nothing opens
        await pilot.pause()
        assert app.screen is app.main
        footer = screen_text(app).splitlines()[-1]
        assert "^x Delete" in footer and "^d" not in footer
        entries = palette_help(app)
        assert entries["pod-delete"].startswith("^x") and entries["view-engines"].startswith("E")
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        help_row = next(line for line in screen_text(app).splitlines() if "pod-delete" in line)
        assert "^x" in help_row and "^d" not in help_row
        await pilot.press("escape")
        await pilot.press("ctrl+x")  # the new key: the delete's confirmation
        await wait_for(pilot, "the confirmation", lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("escape")


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        (
            "{pod-delet: ctrl+x}",
            "keys.pod-delet: no binding has this id (did you mean 'pod-delete'?)",
        ),
        ("{pod-delete: 'ctrl+'}", "keys.pod-delete: 'ctrl+': no key after the modifier"),
        ("{pod-delete: pgup}", "keys.pod-delete: 'pgup': 'pgup' is not a key name"),
        ("{pod-delete: q}", "keys.pod-delete: 'q' is already bound to quit on the main screen"),
        (
            "{pod-delete: ctrl+x, engine-kill: ctrl+x}",
            "keys.engine-kill: 'ctrl+x' is already bound to pod-delete on the main screen",
        ),
        ("{filter: j}", "keys.filter: 'j' is already bound to cursor-down on the main screen"),
        ("[pod-delete]", "Expected `object`, got `array` - at `$.keys`"),
    ],
)
def test_bad_keys_are_one_line_naming_the_file_and_entry(
    incidents: RunningSim,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    keys: str,
    expected: str,
) -> None:
    def never(app: KubetuiApp) -> int:
        raise AssertionError("the dashboard started despite the bad keys")

    monkeypatch.setattr("kubetui.ui.cli.run_in_terminal", never)
    path = _config(f"read_only: true\nkeys: {keys}\n")
    code = main(["--kubeconfig", str(incidents.kubeconfig_path)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"kubetui: {path}") and expected in err, err


def test_digit_keys_from_yaml_are_keys(tmp_path: Path) -> None:
    """YAML reads ``view-pods: 2`` as a number; it is the key 2."""
    from kubetui.config import load_settings

    path = tmp_path / "c.yaml"
    path.write_text("keys: {view-pods: 9, view-nodes: 8}\n")
    keys = load_settings(None, path=path).keys
    assert check_keymap(keys, str(path)) == {"view-pods": "9", "view-nodes": "8"}


# ---------------------------------------------------------------------- : commands


def test_command_parsing() -> None:
    assert parse_command(":po")[0].view == 2
    assert parse_command("ns  spark-prod ") == (COLON_COMMANDS[5], "spark-prod")
    for bad, message in [
        ("", "no command"),
        (":deploy", ":deploy is not a command (ctrl+a lists them)"),
        (":pods extra", ":pods takes nothing, got 'extra'"),
        (":ctx a b", ":ctx takes one NAME, got 'a b'"),
    ]:
        with pytest.raises(ValueError, match=re.escape(message)):
            parse_command(bad)


async def test_each_view_command_and_ctrl_a(incidents: RunningSim) -> None:
    app = make_app(incidents)
    async with app.run_test(size=BIG) as pilot:
        await settle(pilot)
        for text, view in [("pods", 2), ("engines", 3), ("nodes", 4), ("hot", 5), ("findings", 1)]:
            await command(pilot, text)
            assert app.main.current == view, text
            assert app.screen is app.main
        await command(pilot, "no")  # k9s' alias
        assert app.main.current == 4
        await pilot.press("2", "home", "enter")  # a pod's detail: ``:`` works there too
        await wait_for(pilot, "the pod detail", lambda: app.screen is not app.main)
        await command(pilot, "engines")
        assert app.screen is app.main and app.main.current == 3
        await pilot.press("colon", *"hot-", "right", "enter")  # → takes the completion
        await wait_for(pilot, "the completed command", lambda: app.main.current == 5)
        await pilot.press("ctrl+a")
        assert isinstance(app.screen, HelpScreen)
        listed = screen_text(app)
        for usage in (":pods", ":engines", ":nodes", ":hot", ":findings", ":ns NAME", ":ctx NAME"):
            assert usage in listed, usage
        await pilot.press("escape")


async def test_ns_command_and_a_wrong_command_is_one_line(incidents: RunningSim) -> None:
    app = make_app(incidents)
    async with app.run_test(size=BIG, notifications=True) as pilot:
        await settle(pilot)
        namespaces = app._namespaces()
        target = namespaces[-1]
        await command(pilot, f"ns {target}")
        assert app.data.namespace == target
        await pilot.press("2")
        await pilot.pause()
        pods = app.main.current_view
        assert isinstance(pods, PodsView)
        shown = pods.counts()[0]
        expected = sum(1 for p in app.data.store.pods.values() if p.metadata.namespace == target)
        assert shown == expected
        await command(pilot, "ns all")
        assert app.data.namespace is None
        await command(pilot, "ns spark-typo")  # shown (it may fill later), and said
        assert app.data.namespace == "spark-typo"
        assert [str(n.message) for n in app._notifications][-1] == (
            ":ns spark-typo: no pod seen there (yet)"
        )
        await command(pilot, "ns all")
        await command(pilot, "deploy")
        assert app.screen is app.main
        assert [str(n.message) for n in app._notifications][-1] == (
            ":deploy is not a command (ctrl+a lists them)"
        )
        await command(pilot, "q")
        await pilot.pause()
        assert not app.is_running


# ---------------------------------------------------------------------- :ctx


@pytest.fixture
def two_contexts(incidents: RunningSim, tmp_path: Path) -> Iterator[tuple[Path, RunningSim]]:
    """A kubeconfig with two contexts: ``first`` (the incidents sim) and ``second`` (a
    scale sim of other pods), each with its own server, CA and token."""
    with running_sim("scale:40", 7, frozen=True) as other:
        doc: dict = {"apiVersion": "v1", "kind": "Config", "current-context": "first"}
        for name, sim in (("first", incidents), ("second", other)):
            cluster = {"server": sim.url}
            if sim.ca_path is not None:
                cluster["certificate-authority-data"] = base64.b64encode(
                    sim.ca_path.read_bytes()
                ).decode()
            doc.setdefault("clusters", []).append({"name": name, "cluster": cluster})
            doc.setdefault("users", []).append({"name": name, "user": {"token": sim.token}})
            doc.setdefault("contexts", []).append(
                {"name": name, "context": {"cluster": name, "user": name}}
            )
        path = tmp_path / "kubeconfig"
        path.write_text(yaml.safe_dump(doc))
        yield path, other


async def test_ctx_switches_to_the_second_context_with_no_stale_rows(
    incidents: RunningSim, two_contexts: tuple[Path, RunningSim]
) -> None:
    path, other = two_contexts
    first_names = {p.metadata.name for p in server_pods(incidents).values()}
    second_names = {p.metadata.name for p in server_pods(other).values()}
    assert first_names and second_names and not first_names & second_names
    opener = ContextOpener(str(path), None, lambda context: Settings())
    assert opener.contexts() == ["first", "second"]
    app = dashboard_app(
        connect(str(path), "first"), None, clock=incidents.state.clock.now, opener=opener
    )
    async with app.run_test(size=BIG, notifications=True) as pilot:
        await settle(pilot)
        first_sources = list(app.sources)
        assert {p.metadata.name for p in app.data.store.pods.values()} == first_names
        await pilot.press("2")
        await command(pilot, "ctx second")
        await wait_for(pilot, "the second context", lambda: app.target.context == "second")
        await settle(pilot)
        assert {p.metadata.name for p in app.data.store.pods.values()} == second_names
        assert app.sources is not first_sources
        analysis = app.data.analysis
        assert analysis is not None  # findings and engines of the second context only
        assert {f.uid for f in analysis.findings if f.uid} <= set(app.data.store.pods)
        assert {p.metadata.uid for e in analysis.engines for p in e.pods} <= set(
            app.data.store.pods
        )
        await pilot.press("2")
        await pilot.pause()
        text = screen_text(app)
        assert "second" in text.splitlines()[0]  # the header names the context
        assert not [name for name in first_names if name in text]
        assert any(name in text for name in second_names)

        await command(pilot, "ctx nowhere")
        await wait_for(
            pilot,
            "the failure",
            lambda: any(
                "nowhere" in str(n.message)
                for n in app._notifications
                if "not found" in str(n.message)
            ),
        )
        message = next(str(n.message) for n in app._notifications if "not found" in str(n.message))
        assert message.startswith(":ctx: context 'nowhere' not found") and "\n" not in message
        assert app.target.context == "second"


async def test_a_palette_entry_runs_its_binding(incidents: RunningSim) -> None:
    """Built from the bindings: the entry runs what the key runs, called plainly (as
    Textual's palette and scripts call it) or chosen by typing."""
    app = make_app(incidents)
    async with app.run_test(size=BIG) as pilot:
        await settle(pilot)
        entries = {
            str(c.help).rsplit("·", 1)[-1].strip(): c for c in app.get_system_commands(app.screen)
        }
        assert "cursor-down" not in entries and "command-palette" not in entries
        entries["view-nodes"].callback()
        await pilot.pause()
        assert app.main.current == 4
        await pilot.press("ctrl+p", *"hot loops", "enter")
        await wait_for(pilot, "the hot loops view", lambda: app.main.current == 5)
