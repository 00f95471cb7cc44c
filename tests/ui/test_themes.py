"""Theme files: validated at start, one-line problems, fallback, severity variables."""

from __future__ import annotations

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
    assert set(by_name) == {"kubetui-dark", "kubetui-ansi"}
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
