"""The settings file: defaults, per-context values, presets, and one-line errors."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from kubetui.config import DEFAULT_PRESETS, Settings, kyuubi_from_flags, load_settings
from kubetui.errors import UserError
from kubetui.model.cleanup_policy import ExitCodeRange
from kubetui.sources.kyuubi import KyuubiConfig
from kubetui.ui.cli import dashboard_settings


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return path


def test_no_file_gives_the_defaults(tmp_path: Path) -> None:
    settings = load_settings("any", path=tmp_path / "missing.yaml")
    assert settings == Settings()
    assert [p.name for p in settings.cleanup_presets] == ["OOM victims", "killed by signal"]


def test_default_presets_match_the_issue() -> None:
    oom, signal = DEFAULT_PRESETS
    # "OOM victims": reason OOMKilled OR exit code 137 — RemoveFailedPods ANDs its filters,
    # so the union is two policies.
    assert [(p.reasons, p.exit_codes) for p in oom.policies] == [
        (("OOMKilled",), ()),
        ((), (ExitCodeRange(137, 137),)),
    ]
    assert [p.exit_codes for p in signal.policies] == [(ExitCodeRange(129, 255),)]
    assert all(p.include_bare_pods for p in oom.policies + signal.policies)


def test_context_values_override_the_global_ones(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """
read_only: false
max_bulk: 20
contexts:
  prod:
    read_only: true
    kyuubi: {url: "https://kyuubi.prod:10099", user: oncall, password_env: KYUUBI_PW}
  staging: {}
""",
    )
    prod = load_settings("prod", path=path)
    assert prod.read_only and prod.max_bulk == 20
    assert prod.kyuubi == KyuubiConfig(
        url="https://kyuubi.prod:10099", user="oncall", password_env="KYUUBI_PW"
    )
    staging = load_settings("staging", path=path)
    assert not staging.read_only and staging.kyuubi is None
    assert load_settings(None, path=path).kyuubi is None


def test_user_presets_add_to_and_replace_the_defaults(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """
cleanup_presets:
  - name: OOM victims
    policies: [{reasons: [OOMKilled], namespaces_include: [spark]}]
  - name: evicted
    policies: [{reasons: [Evicted]}, {exit_codes: "143"}]
""",
    )
    presets = {p.name: p for p in load_settings(None, path=path).cleanup_presets}
    assert list(presets) == ["killed by signal", "OOM victims", "evicted"]
    assert presets["OOM victims"].policies[0].namespaces_include == ("spark",)
    assert presets["evicted"].policies[1].exit_codes == (ExitCodeRange(143, 143),)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("read_only: [yes", "(line 2): expected ',' or ']'"),
        ("read_only: maybe", "Expected `bool`, got `str` - at `$.read_only`"),
        ("max_bulk: 0", "max_bulk must be at least 1, got 0"),
        ("colour: red", "Object contains unknown field `colour`"),
        ("contexts: {p: {kyuubi: {user: x}}}", "missing required field `url`"),
        (
            "contexts: {p: {kyuubi: {url: u, password_env: A, password_file: B}}}",
            "give password_env or password_file, not both",
        ),
        (
            "contexts: {p: {kyuubi: {url: 'http://oncall:hunter2@k:10099'}}}",
            "must not hold credentials",
        ),
        ("cleanup_presets: [{name: x, policies: []}]", "a preset needs at least one policy"),
        ("cleanup_presets: [{name: x, policies: [{}]}]", "selects every failed pod"),
        (
            "cleanup_presets: [{name: x, policies: [{reasons: [A]}, {exclude_owner_kinds: [J]}]}]",
            "give each policy reasons or exit_codes",
        ),
        ("cleanup_presets: [{name: x, policies: [{exit_codes: '9-x'}]}]", "bad exit code"),
        (
            "cleanup_presets: [{name: x, policies: [{reasons: [A], label_selector: 'a in'}]}]",
            "bad labelSelector",
        ),
    ],
)
def test_a_bad_file_is_one_line_naming_the_file(tmp_path: Path, text: str, message: str) -> None:
    path = _write(tmp_path, text + "\n")
    with pytest.raises(UserError) as caught:
        load_settings("p", path=path)
    assert str(caught.value).startswith(str(path))
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_an_unreadable_file_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="cannot read"):
        load_settings(None, path=tmp_path)  # a directory


def test_kyuubi_flags_replace_or_amend_the_configured_server() -> None:
    configured = KyuubiConfig(url="https://k:10099", user="a", password_file="/run/pw")
    assert kyuubi_from_flags(None, None, None, configured) is configured
    assert kyuubi_from_flags("http://x", "b", None, configured) == KyuubiConfig(
        url="http://x", user="b"
    )
    amended = kyuubi_from_flags(None, None, "PW", configured)
    assert (amended.user, amended.password_env, amended.password_file) == ("a", "PW", None)
    with pytest.raises(UserError, match="need --kyuubi-url"):
        kyuubi_from_flags(None, "b", None, None)
    with pytest.raises(UserError, match="--kyuubi-url: the Kyuubi URL must not hold credentials"):
        kyuubi_from_flags("https://u:pw@kyuubi:10099", None, None, None)


def test_read_only_flag_adds_to_the_config_and_cannot_lift_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    (tmp_path / "kubetui").mkdir()
    (tmp_path / "kubetui" / "config.yaml").write_text("contexts: {prod: {read_only: true}}\n")

    def args(read_only: bool) -> argparse.Namespace:
        return argparse.Namespace(
            read_only=read_only, kyuubi_url=None, kyuubi_user=None, kyuubi_password_env=None
        )

    assert dashboard_settings(args(False), "prod").read_only
    assert dashboard_settings(args(True), "dev").read_only
    assert not dashboard_settings(args(False), "dev").read_only


# ---------------------------------------------------------------------- save_theme


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("", 'theme: "x"\n'),
        ("max_bulk: 3", 'max_bulk: 3\ntheme: "x"\n'),
        (
            "# top\ntheme: old  # why\nkeys: {pod-delete: ctrl+x}\n",
            '# top\ntheme: "x"  # why\nkeys: {pod-delete: ctrl+x}\n',
        ),
        (
            "contexts:\n  prod:\n    read_only: true\n",
            'contexts:\n  prod:\n    read_only: true\ntheme: "x"\n',
        ),
    ],
)
def test_save_theme_changes_only_its_line(tmp_path: Path, before: str, after: str) -> None:
    from kubetui.config import save_theme

    path = _write(tmp_path, before)
    path.chmod(0o640)
    assert save_theme("x", path=path) == path
    assert path.read_text() == after
    assert path.stat().st_mode & 0o777 == 0o640
    assert load_settings("prod", path=path).theme == "x"
    assert [p.name for p in tmp_path.iterdir()] == ["config.yaml"]  # no scratch file left


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("read_only: [true\n", "(line 2)"),
        ("{read_only: true}\n", "is not a plain mapping; add 'theme: \"x\"' by hand"),
        ("colour: red\n", "unknown field `colour`"),
        ("- a\n", "Expected `object`, got `array`"),
    ],
)
def test_save_theme_never_overwrites_a_file_it_cannot_edit(
    tmp_path: Path, text: str, message: str
) -> None:
    from kubetui.config import save_theme

    path = _write(tmp_path, text)
    with pytest.raises(UserError) as caught:
        save_theme("x", path=path)
    assert str(caught.value).startswith("theme not saved: ") and message in str(caught.value)
    assert "\n" not in str(caught.value)
    assert path.read_text() == text


def test_save_theme_creates_the_file(tmp_path: Path) -> None:
    from kubetui.config import save_theme

    path = tmp_path / "kubetui" / "config.yaml"
    save_theme("kubetui-light", path=path)
    assert load_settings(None, path=path).theme == "kubetui-light"
    assert path.stat().st_mode & 0o777 == 0o600
