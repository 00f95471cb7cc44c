"""Credentials that change under a running kubetui, on the real kube-apiserver: an exec
credential plugin whose token is rotated is run again on the 401 (as client-go does) and
the watch goes on; a token revoked for good is one "unauthorized (401)" notice, and the
source recovers when the server accepts the credentials again."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from control_plane import FROZEN, ControlPlane, ensure_namespace

from kubetui.sources.kube_client import connect
from tests.sources.ingest_support import Fed

NAMESPACE = "creds"
SOURCE = f"pods/{NAMESPACE}"
ADMINS = ("system:masters",)

PLUGIN = """
import json, pathlib, sys
here = pathlib.Path(sys.argv[1])
with (here / "runs").open("a") as runs:
    runs.write("run\\n")
print(json.dumps({
    "apiVersion": "client.authentication.k8s.io/v1",
    "kind": "ExecCredential",
    "status": {"token": (here / "token").read_text().strip()},
}))
"""


@pytest.fixture
def plugin(control_plane: ControlPlane, tmp_path: Path) -> Iterator[Path]:
    """A kubeconfig whose user gets its token from an exec plugin reading tmp_path/token."""
    ensure_namespace(control_plane, NAMESPACE)
    if not _exists(control_plane):
        control_plane.request(
            "POST",
            f"/api/v1/namespaces/{NAMESPACE}/pods",
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": "one", "labels": {FROZEN: "true"}},
                "spec": {
                    "nodeName": "creds-node",
                    "containers": [{"name": "m", "image": "busybox:1.36"}],
                },
            },
        )
    (tmp_path / "plugin.py").write_text(PLUGIN)
    config = yaml.safe_load(control_plane.kubeconfig("admin").read_text())
    config["users"][0]["user"] = {
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1",
            "command": sys.executable,
            "args": [str(tmp_path / "plugin.py"), str(tmp_path)],
            "interactiveMode": "Never",
        }
    }
    kubeconfig = tmp_path / "kubeconfig-exec"
    kubeconfig.write_text(yaml.safe_dump(config))
    yield kubeconfig
    control_plane.write_tokens()
    control_plane.restart_apiserver()


def _exists(plane: ControlPlane) -> bool:
    return any(
        p["metadata"]["name"] == "one"
        for p in plane.request("GET", f"/api/v1/namespaces/{NAMESPACE}/pods")["items"]
    )


def runs(tmp_path: Path) -> int:
    path = tmp_path / "runs"
    return len(path.read_text().splitlines()) if path.exists() else 0


def test_rotated_token_is_fetched_again_and_a_revoked_one_is_one_notice(
    control_plane: ControlPlane, plugin: Path, tmp_path: Path
) -> None:
    plane = control_plane
    (tmp_path / "token").write_text("rotating-token-A")
    plane.write_tokens({"rotating-token-A": ("rotating", ADMINS)})
    plane.restart_apiserver()
    kube = connect(str(plugin))
    assert runs(tmp_path) == 1
    with Fed(kube, namespaces=[NAMESPACE]) as fed:
        fed.wait_for(lambda: len(fed.store.pods) >= 1, "the first sync")

        # The token is rotated: the server only knows B now, the plugin hands out B.
        (tmp_path / "token").write_text("rotating-token-B")
        plane.write_tokens({"rotating-token-B": ("rotating", ADMINS)})
        seen = len(fed.syncs)
        plane.restart_apiserver()
        fed.wait_for(lambda: runs(tmp_path) >= 2, "the plugin to run again on the 401", timeout=60)
        fed.wait_for(
            lambda: fed.last(SOURCE).phase == "live", "live with the new token", timeout=60
        )
        assert not [s for s in fed.syncs[seen:] if s.source == SOURCE and s.phase == "error"]

        # B is revoked for good: one notice, in words an operator understands.
        plane.write_tokens()
        seen = len(fed.syncs)
        plane.restart_apiserver()
        fed.wait_for(lambda: fed.last(SOURCE).phase == "error", "the 401 reported", timeout=60)
        fed.wait_for(lambda: runs(tmp_path) >= 3, "the plugin asked once more", timeout=30)
        errors = {s.message for s in fed.syncs[seen:] if s.source == SOURCE and s.phase == "error"}
        assert len(errors) == 1 and "unauthorized (401)" in next(iter(errors))

        # The server accepts B again: the source recovers by itself.
        plane.write_tokens({"rotating-token-B": ("rotating", ADMINS)})
        plane.restart_apiserver()
        fed.wait_for(lambda: fed.last(SOURCE).phase == "live", "live again", timeout=90)
    print(f"\nexec plugin runs: {runs(tmp_path)}")
