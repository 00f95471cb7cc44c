"""Read-only, proved at the server: a read-only dashboard on the real control plane whose
operator presses every key on every view (write keys and their confirmations included)
and runs every palette command, with the hot-loop watch on, and ``kubetui cleanup
--read-only`` at both argument positions, send zero write verbs: counted in
kube-apiserver's own audit log, where kubetui's requests carry its User-Agent. The one
``create`` let through is an access review, which writes nothing (:data:`ACCESS_REVIEW`)."""

from __future__ import annotations

from pathlib import Path

import incidents
import pytest
from control_plane import ControlPlane
from kubetui_cli import kubetui

from kubetui.config import Settings
from kubetui.sources.kube_client import USER_AGENT, connect
from kubetui.ui.cli import dashboard_app
from tests.ui.conftest import settle

WRITE_VERBS = {"create", "update", "patch", "delete", "deletecollection"}
#: (group, resource) of the hot-loop watch's access reviews (KubeClient.review_access):
#: "create" at the audit log, but nothing is written. The server answers a
#: SelfSubjectAccessReview and stores nothing (kubernetes/kubernetes
#: pkg/registry/authorization/selfsubjectaccessreview/rest.go @ v1.37.2, a Create with
#: no store behind it; the API reference, k8s.io/api@v0.37.2 authorization/v1/types.go:
#: "SelfSubjectAccessReview checks whether or the current user can perform an action").
ACCESS_REVIEW = ("authorization.k8s.io", "selfsubjectaccessreviews")
NAMESPACES = ["spark-alice", "etl", "ops"]
#: every key of the dashboard's bindings (kubetui/ui/keymap.py, the views, tables and
#: screens), each followed by the keys that would confirm whatever it opened
VIEW_KEYS = [
    "down",
    "down",
    "up",
    "pagedown",
    "pageup",
    "end",
    "home",
    "j",
    "k",
    "g",
    "G",
    "s",
    "s",
    "n",
    "escape",
    "slash",
    "a",
    "escape",
    "escape",
    "ctrl+d",
    "y",
    "enter",
    "escape",
    "D",
    "y",
    "escape",
    "r",
    "y",
    "escape",
    "K",
    "y",
    "escape",
    "c",
    "e",
    "y",
    "escape",
    "escape",
    "question_mark",
    "escape",
    "right",
    "left",
    "tab",
    "shift+tab",
]
DETAIL_KEYS = ["c", "l", "o", "p", "e", "ctrl+d", "y", "D", "y", "r", "y", "K", "y", "escape"]


def kubetui_writes(plane: ControlPlane, since: int) -> tuple[int, int, list[str]]:
    """(kubetui's requests, its access reviews, its write requests) in the audit log
    after ``since``."""
    ours = [
        e
        for e in plane.audit_events()[since:]
        if e.get("userAgent") == USER_AGENT
        and e.get("stage") in ("ResponseComplete", "ResponseStarted")
    ]
    reviews = [e for e in ours if _resource(e) == ACCESS_REVIEW and e["verb"] == "create"]
    writes = [
        f"{e['verb']} {e['requestURI']}"
        for e in ours
        if e["verb"] in WRITE_VERBS and _resource(e) != ACCESS_REVIEW
    ]
    return len(ours), len(reviews), writes


def _resource(event: dict) -> tuple[str, str]:
    ref = event.get("objectRef") or {}
    return ref.get("apiGroup", ""), ref.get("resource", "")


async def test_read_only_dashboard_sends_no_write(
    control_plane: ControlPlane,
    built: incidents.Incidents,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    # The palette's theme entries write the settings file: this machine's must not change;
    # its incident-note export writes into the working dir: not the checkout's.
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.chdir(tmp_path)
    since = len(control_plane.audit_events())
    kube = connect(str(control_plane.kubeconfig("admin")))
    app = dashboard_app(
        kube,
        NAMESPACES,
        server_label="e2e",
        clock=lambda: built.judge_at,
        hot_loops=True,
        settings=Settings(read_only=True),
    )
    pressed = commands = 0
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        for view in "12345":
            await pilot.press(view)
            for key in VIEW_KEYS:
                await pilot.press(key)
                pressed += 1
            await pilot.press(view, "home", "enter")  # the detail screen of the first row
            for key in DETAIL_KEYS:
                await pilot.press(key)
                pressed += 1
            await pilot.press("escape", "escape")
        for command in list(app.get_system_commands(app.screen)):
            if str(command.help).endswith("·  quit"):  # the quit key's entry
                continue
            command.callback()
            commands += 1
            await pilot.pause()
            await pilot.press("y", "escape", "escape")
        await pilot.pause(1.0)
    requests, reviews, writes = kubetui_writes(control_plane, since)
    print(
        f"\nread-only dashboard: {pressed} keys, {commands} palette commands, "
        f"{requests} requests at the server ({reviews} access reviews), {len(writes)} writes"
    )
    assert requests > 0 and commands > 10
    assert reviews > 0  # the hot-loop watch asked, in read-only mode
    assert writes == []


def test_read_only_cleanup_at_both_positions_sends_no_write(
    control_plane: ControlPlane, built: incidents.Incidents, tmp_path: Path
) -> None:
    kubeconfig = ["--kubeconfig", str(control_plane.kubeconfig("admin"))]
    rest = [
        "--zombies",
        "--orphaned",
        "--stuck-terminating",
        "--dry-run",
        "-n",
        ",".join(NAMESPACES),
    ]
    for argv in (
        ["--read-only", *kubeconfig, "cleanup", *rest],
        [*kubeconfig, "cleanup", "--read-only", *rest],
    ):
        since = len(control_plane.audit_events())
        result = kubetui(tmp_path, *argv, "--now", built.judge_at.isoformat())
        assert result.returncode == 1, result.stderr  # pods selected, nothing sent
        assert "ops-orphan" in result.stdout and "alice-old-exec-1" in result.stdout
        requests, _reviews, writes = kubetui_writes(control_plane, since)
        assert requests > 0 and writes == [], argv
