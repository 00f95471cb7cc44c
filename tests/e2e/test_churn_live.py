"""Hot reconcile loops for real: a writer rewrites a custom resource and a Secret every
5 s with its own field manager while their peers stay still. ``kubetui triage --watch``
names exactly those two, with the writer's manager name read from the server's real
managedFields, and none of the peers."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import incidents
from control_plane import ControlPlane
from kubetui_cli import triage

from kubetui.model.churn_rates import ChurnTracker

CHURN_SETTLE = ChurnTracker.settle_seconds

WRITER = incidents.HOT_WRITER
NAMESPACE = incidents.HOT_NAMESPACE


def test_triage_watch_names_the_hot_objects_and_their_writer(
    control_plane: ControlPlane, built: incidents.Incidents, tmp_path: Path
) -> None:
    # kubetui does not count an object's first two minutes (a new object settles): the
    # loop is judged once the objects are older than that, as an incident's would be.
    settled = built.started + timedelta(seconds=CHURN_SETTLE + 5)
    time.sleep(max(0.0, (settled - datetime.now(UTC)).total_seconds()))
    result = triage(
        control_plane.kubeconfig("admin"),
        tmp_path,
        "-n",
        NAMESPACE,
        "--watch",
        "40",
        "--format",
        "json",
        timeout=180,
    )
    assert result.returncode == 1, result.stderr
    hot = [f for f in json.loads(result.stdout)["findings"] if f["kind"] == "hot_loop"]
    # the two objects, and the writer itself (its busiest object's rate; its only peer
    # manager here, peer-setup, is too few for a median: the absolute 6/min applies)
    assert {(f["evidence"]["object_kind"], f["name"]) for f in hot} == {
        ("Widget", "widget-hot"),
        ("Secret", "secret-hot"),
        ("FieldManager", WRITER),
    }
    for finding in hot:
        assert WRITER in (finding["evidence"]["managers"] or WRITER).split(", ")
        assert finding["evidence"]["updates_per_minute"] >= 6  # every 5 s is 12/min
