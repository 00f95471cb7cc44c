"""Theme files: validated at start, one-line problems, fallback, severity variables."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kubetui.sim.runner import RunningSim
from kubetui.ui.themes import BUNDLED_DIR, ThemeError, load_themes, parse_theme
from tests.ui.conftest import make_app, settle

GOOD = """
name: mine
colors: {primary: "#112233"}
severity: {critical: "#ff0000"}
"""


def test_bundled_themes_load_with_severity_variables() -> None:
    themes, problems = load_themes([BUNDLED_DIR])
    assert problems == []
    by_name = {t.name: t for t in themes}
    assert set(by_name) == {
        "kubetui-dark",
        "kubetui-light",
        "kubetui-high-contrast",
        "kubetui-okabe-ito",
        "kubetui-ansi",
    }
    assert by_name["kubetui-light"].dark is False
    assert by_name["kubetui-ansi"].ansi is True
    assert by_name["kubetui-ansi"].variables["sev-critical"] == "ansi_bright_red"
    for theme in themes:
        assert {f"sev-{k}" for k in ("ok", "warning", "critical", "zombie", "oom")} <= set(
            theme.variables
        )


def test_a_good_file() -> None:
    theme = parse_theme(GOOD, "mine.yaml")
    assert theme.name == "mine" and theme.primary == "#112233"
    assert theme.variables == {"sev-critical": "#ff0000"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name: [", "theme t.yaml: line 1 not valid YAML"),
        ("name: x\ncolors: {primary: '#000'}\nsevrity: {}", "(did you mean 'severity'?)"),
        ("name: x\ncolors: {primary: '#000', acent: red}", "(did you mean 'accent'?)"),
        ("name: x\ncolors: {primary: 'not-a-colour'}", "colors.primary: not a colour"),
        ("name: x\ncolors: {primary: red}\nseverity: {oom: blurple}", "severity.oom: not a colour"),
        ("colors: {primary: red}", "missing required field `name`"),
        ("- a list", "Expected `object`, got `array`"),
    ],
)
def test_bad_files_are_one_line(text: str, expected: str) -> None:
    with pytest.raises(ThemeError) as caught:
        parse_theme(text, "t.yaml")
    message = str(caught.value)
    assert expected in message and "\n" not in message


def test_later_directories_override_and_problems_are_collected(tmp_path: Path) -> None:
    (tmp_path / "dark.yaml").write_text("name: kubetui-dark\ncolors: {primary: '#010203'}\n")
    (tmp_path / "bad.yaml").write_text("name: bad\n")
    themes, problems = load_themes([BUNDLED_DIR, tmp_path])
    assert {t.name: t for t in themes}["kubetui-dark"].primary == "#010203"
    assert len(problems) == 1 and str(tmp_path / "bad.yaml") in problems[0]


async def test_bad_user_theme_and_unknown_name_fall_back_with_a_notice(
    incidents: RunningSim, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    themes = tmp_path / "kubetui" / "themes"
    themes.mkdir(parents=True)
    (themes / "broken.yaml").write_text("name: broken\ncolors: {primary: nope}\n")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    app = make_app(incidents, theme="no-such-theme")
    notices: list[str] = []
    async with app.run_test(size=(120, 30), notifications=True) as pilot:
        await settle(pilot)
        notices = [str(n.message) for n in app._notifications]
        assert app.theme == "kubetui-dark"
    assert len(notices) == 1
    assert "broken.yaml: colors.primary: not a colour: 'nope'" in notices[0]
    assert "theme 'no-such-theme' not found" in notices[0]


async def test_ansi_theme_uses_the_terminal_palette(incidents: RunningSim) -> None:
    app = make_app(incidents, theme="kubetui-ansi")
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        assert app.theme == "kubetui-ansi" and app.native_ansi_color
        assert app.theme_variables["sev-oom"] == "ansi_bright_magenta"


# ---------------------------------------------------------------------- chosen in the palette


async def _choose_in_palette(pilot, app, name: str) -> None:  # type: ignore[no-untyped-def]
    await pilot.press("ctrl+p")
    await pilot.pause()
    await pilot.press(*f"theme: {name}")
    await pilot.pause(0.3)
    await pilot.press("enter")
    for _ in range(100):
        if app.theme == name:
            break
        await pilot.pause(0.02)
    await pilot.pause()


MINE = "# mine\nread_only: false  # staging\nkeys: {pod-delete: ctrl+x}\nmax_bulk: 7\n"
BROKEN = "read_only: [true\n# edited since the start\n"


@pytest.mark.parametrize(
    ("before", "name", "after", "notice"),
    [
        # the theme line added, the user's comments and settings kept as they were
        pytest.param(
            MINE,
            "kubetui-okabe-ito",
            MINE + 'theme: "kubetui-okabe-ito"\n',
            "theme kubetui-okabe-ito saved in {path}",
            id="saved",
        ),
        # the switch stays; only saving fails, in one line
        pytest.param(
            BROKEN, "kubetui-light", BROKEN, "theme not saved: {path}.*", id="malformed-kept"
        ),
    ],
)
async def test_a_theme_chosen_in_the_palette_is_saved_unless_the_config_is_malformed(
    incidents: RunningSim, before: str, name: str, after: str, notice: str
) -> None:
    """``notice`` is a pattern the last notification matches whole (``.`` is no newline);
    ``{path}`` stands for the config file."""
    from kubetui.config import config_file

    path = config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(before)
    app = make_app(incidents)
    async with app.run_test(size=(120, 30), notifications=True) as pilot:
        await settle(pilot)
        await _choose_in_palette(pilot, app, name)
        assert app.theme == name
        said = [str(n.message) for n in app._notifications][-1]
    assert path.read_text() == after
    assert re.fullmatch(notice.format(path=re.escape(str(path))), said), said


async def test_a_saved_theme_is_used_at_the_next_start(incidents: RunningSim) -> None:
    """The config as the palette leaves it (the case ``saved`` above) starts the next app
    in that theme, the user's other settings read too; ``--theme`` still wins."""
    from kubetui.config import config_file, load_settings

    path = config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(MINE + 'theme: "kubetui-okabe-ito"\n')
    settings = load_settings(None)
    assert (settings.theme, settings.max_bulk, settings.keys) == (
        "kubetui-okabe-ito",
        7,
        {"pod-delete": "ctrl+x"},
    )
    again = make_app(incidents, settings=settings)
    async with again.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        assert again.theme == "kubetui-okabe-ito"
    assert make_app(incidents, settings=settings, theme="kubetui-light").theme == "kubetui-light"
