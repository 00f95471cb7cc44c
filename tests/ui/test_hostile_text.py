"""Cluster text is never markup and never reaches the terminal as control sequences.

Hostile names, labels, reasons and messages are written into the sim and read back
through the real client path (where ingest makes control characters inert). Every view,
the detail screen and the command palette must show the markup-looking text literally,
keep running, and draw no ESC/BEL/bidi control of the cluster's.
"""

from __future__ import annotations

import re

import pytest

from kubetui.sim.runner import RunningSim
from kubetui.ui.detail import PodDetailScreen
from kubetui.ui.line_table import LineTable
from kubetui.ui.messages import PodChosen
from tests.ui.conftest import make_app, screen_text, settle

MARKUP = "[red]x[/]"
CLOSE = "[/foo]"
ESC_CLEAR = "\x1b[2J"
BEL = "\x07"
OSC52 = "\x1b]52;c;aGVsbG8=\x07"
BIDI = "\u202eevil"
NAMESPACE = "[b]hostile[/b]"
POD = f"{MARKUP}-{ESC_CLEAR}-{BEL}-{BIDI}"
NODE = "[/node]"
CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _hostile_objects(sim: RunningSim) -> None:
    sim.state.create(
        "nodes",
        {
            "metadata": {"name": NODE},
            "status": {
                "capacity": {"memory": "16Gi"},
                "conditions": [{"type": "Ready", "status": "True"}],
            },
        },
    )
    sim.state.create(
        "pods",
        {
            "metadata": {
                "name": POD,
                "namespace": NAMESPACE,
                "labels": {
                    "spark-role": "driver",
                    "spark-app-selector": f"spark-{CLOSE}",
                    "kyuubi-unique-tag": f"{CLOSE}{OSC52}",
                },
            },
            "spec": {
                "nodeName": NODE,
                "containers": [
                    {
                        "name": f"{CLOSE}c",
                        "image": "x",
                        "resources": {"requests": {"memory": "1Gi"}},
                    },
                    {"name": f"{MARKUP}run", "image": "x"},
                ],
            },
            "status": {
                "phase": "Running",
                "containerStatuses": [
                    {
                        "name": f"{CLOSE}c",
                        "restartCount": 5,
                        "ready": False,
                        "state": {
                            "waiting": {"reason": "CrashLoopBackOff", "message": f"{OSC52}{MARKUP}"}
                        },
                        "lastState": {
                            "terminated": {
                                "exitCode": 137,
                                "reason": f"{CLOSE}{ESC_CLEAR}",
                                "message": f"{BEL}{MARKUP}",
                            }
                        },
                    },
                    {"name": f"{MARKUP}run", "state": {"running": {}}, "ready": True},
                ],
            },
        },
    )


def _assert_inert(app) -> str:
    """The screen holds no control characters from the cluster; returns its text."""
    text = "".join(seg.text for strip in app.screen._compositor.render_strips() for seg in strip)
    assert not CONTROLS.search(text), repr(CONTROLS.search(text))
    return screen_text(app)


@pytest.fixture
def hostile(fresh_incidents: RunningSim) -> RunningSim:
    _hostile_objects(fresh_incidents)
    return fresh_incidents


async def test_hostile_text_in_every_view_detail_and_palette(hostile: RunningSim) -> None:
    app = make_app(hostile)
    async with app.run_test(size=(220, 60)) as pilot:
        await pilot.pause()
        for _ in range(500):
            if app.settled:
                break
            await pilot.pause(0.02)
        await settle(pilot)
        text = _assert_inert(app)  # 1 Findings
        crash = [line for line in text.splitlines() if "CrashLoopBackOff" in line and "␛" in line]
        assert crash and f"{NAMESPACE}/{MARKUP}-␛[2J-␇-" in crash[0]

        await pilot.press("2")
        text = _assert_inert(app)
        row = next(line for line in text.splitlines() if MARKUP in line)
        assert row.startswith(f"!! {NAMESPACE}") and "CrashLoopBackOff" in row
        assert f"{CLOSE}␛[2J 137 SIGKILL" in row

        await pilot.press("3")
        text = _assert_inert(app)
        assert f"{CLOSE}␛]52;c;aGVsbG8=␇" in text

        await pilot.press("4")
        table = app.screen.query_one("#nodes-table", LineTable)
        assert table.select_key(NODE)
        await pilot.pause()
        text = _assert_inert(app)
        victim = next(line for line in text.splitlines() if f"{MARKUP}run" in line)
        assert NODE in text and "[b]hostile[/b]/[red]x[/]-␛[2J" in victim, victim

        await pilot.press("5")
        _assert_inert(app)

        uid = next(k for k, p in app.data.store.pods.items() if p.metadata.namespace == NAMESPACE)
        app.main.post_message(PodChosen(uid))
        await pilot.pause()
        assert isinstance(app.screen, PodDetailScreen)
        text = _assert_inert(app)
        assert (
            f"▸ {CLOSE}c" in text and f"{CLOSE}␛[2J" in text and f"␛]52;c;aGVsbG8=␇{MARKUP}" in text
        )
        await pilot.press("escape")

        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"namespace: [b")
        await pilot.pause(0.3)
        text = _assert_inert(app)
        assert f"namespace: {NAMESPACE}" in text
        await pilot.press("escape")
        await pilot.press("slash", *CLOSE)
        _assert_inert(app)
        assert app.is_running
