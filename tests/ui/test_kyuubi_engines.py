"""The Engines and Findings views with a Kyuubi poll: Kyuubi's own word beside the pods'."""

from __future__ import annotations

from kubetui.config import Settings
from kubetui.sim.runner import RunningSim
from kubetui.ui.cli import demo_kyuubi
from tests.ui.conftest import make_app, screen_text, settle


def _row(text: str, engine_id: str) -> str:
    return next(line for line in text.splitlines() if engine_id in line)


async def test_engines_show_kyuubi_state_user_kind_and_disagreements(
    incidents: RunningSim,
) -> None:
    app = make_app(incidents, settings=Settings(kyuubi=demo_kyuubi(incidents)))
    async with app.run_test(size=(200, 50)) as pilot:
        await settle(pilot)
        assert "kyuubi live" in screen_text(app)
        await pilot.press("3")
        await settle(pilot)
        text = screen_text(app)
        # An OOM-killed batch: Kyuubi reported ERROR/FAILED, the pods prove KILLED.
        bob = _row(text, "f6bad673-423e-46d0-b8e9-de81b74f3410")
        assert bob.startswith("≠")
        assert bob.split()[3:5] == ["KILLED", "FAILED"]
        assert "bob" in bob and "batch SPARK" in bob
        # An interactive engine still registered in ZooKeeper although its driver died.
        alice = _row(text, "e5b0fcb2-370b-42ff-bd96-bfb12cd66a72")
        assert alice.startswith("≠") and "REGISTERED" in alice and "USER SPARK_SQL" in alice
        # A healthy engine: both agree, no marker, Kyuubi's word without the ~ of the rule.
        running = _row(text, "0cd3aee8-9ea4-40bb-ba5b-99cdf06f217a")
        assert not running.startswith("≠") and running.split()[2:4] == ["RUNNING", "RUNNING"]
        # Engines Kyuubi does not list keep the rule's guess, marked ~.
        assert "~FINISHED" in _row(text, "c41a66d9-82fa-4d7a-a8d2-e08e5e6279db")
        await pilot.press("1")
        await settle(pilot)
        text = screen_text(app)
        assert "Kyuubi says batch ERROR, appState FAILED; the pods prove KILLED" in text
        assert "Kyuubi has it registered (ZooKeeper); the pods prove KILLED" in text


async def test_without_kyuubi_the_column_is_the_rule_marked_tilde(incidents: RunningSim) -> None:
    app = make_app(incidents)
    async with app.run_test(size=(200, 50)) as pilot:
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)
        text = screen_text(app)
        assert "kyuubi" not in text.splitlines()[0]
        bob = _row(text, "f6bad673-423e-46d0-b8e9-de81b74f3410")
        assert bob.split()[3:5] == ["KILLED", "~FAILED"] and bob.startswith("≠")
        assert "Kyuubi says" not in text
