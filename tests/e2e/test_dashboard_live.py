"""The dashboard under Pilot on the real control plane: the incidents' findings, the
pods' columns, a pod created through the API appearing live, and metrics.k8s.io (not
served by this control plane) handled quietly."""

from __future__ import annotations

import incidents
from control_plane import ControlPlane

from kubetui.sources.kube_client import connect
from kubetui.ui.cli import dashboard_app
from tests.ui.conftest import screen_text, settle

NAMESPACES = ["spark-alice", "etl", "ops"]
SIZE = (200, 50)


def lines_with(text: str, needle: str) -> list[str]:
    return [line for line in text.splitlines() if needle in line]


async def test_dashboard_shows_the_incidents_and_follows_the_server(
    control_plane: ControlPlane, built: incidents.Incidents
) -> None:
    kube = connect(str(control_plane.kubeconfig("admin")))
    app = dashboard_app(kube, NAMESPACES, server_label="e2e", clock=lambda: built.judge_at)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        text = screen_text(app)
        assert "OOM killed (2)" in text and "Crash loops (1)" in text
        assert "Zombie engine pods (3)" in text
        assert "Stuck Terminating (1)" in text and "On vanished nodes (1)" in text
        assert "Failed, lingering (1)" in text
        driver = lines_with(text, "alice-oom-driver")[0]
        assert driver.startswith("!!") and "OOMKilled (exit 137)" in driver
        header = lines_with(text, "e2e-admin @ e2e")[0]
        assert "pods/etl live" in header and "nodes live" in header
        assert "9 findings" in text
        # metrics.k8s.io is not served here: said as absent, not as an error
        assert "metrics absent" in header and "error" not in header

        await pilot.press("2")
        text = screen_text(app)
        burstable = lines_with(text, "qos-burstable")[0]
        assert "Burstable" in burstable and " 750 " in burstable
        assert "-997" in lines_with(text, "qos-guaranteed")[0]
        assert "Terminating" in lines_with(text, "ops-stuck")[0]

        incidents.create(control_plane, incidents.pod("etl", "arrives-live"))
        for _ in range(300):
            await pilot.pause(0.05)
            if lines_with(screen_text(app), "arrives-live"):
                break
        else:
            raise AssertionError("a pod created through the API never appeared")
        control_plane.request(
            "DELETE", "/api/v1/namespaces/etl/pods/arrives-live", {"gracePeriodSeconds": 0}
        )
        for _ in range(300):
            await pilot.pause(0.05)
            if not lines_with(screen_text(app), "arrives-live"):
                break
        else:
            raise AssertionError("a pod deleted through the API stayed on screen")
