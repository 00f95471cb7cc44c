"""Write an SVG of each dashboard view (and a kill confirmation and the cleanup screen)
into screenshots/, from the incidents demo.

The demo cluster runs frozen (seed 1), and the app reads it through the real client path
on the sim's clock, so every age, and so every picture, is the same on every run.

Usage: ``python scripts/screenshots.py [--size 140x40] [--out DIR]``.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from kubetui.config import Settings
from kubetui.sim.runner import running_sim
from kubetui.sources.kube_client import connect
from kubetui.ui.app import KubetuiApp
from kubetui.ui.cli import dashboard_app, demo_kyuubi

#: (file name, keys pressed from the landing view)
SHOTS = (
    ("1-findings", ()),
    ("2-pods", ("2",)),
    ("3-engines", ("3",)),
    ("4-nodes-oom-order", ("4", "down", "down", "enter")),
    ("5-hot-loops", ("5",)),
    ("6-pod-detail", ("2", "slash", *"daily-report-f6", "enter", "enter")),
    ("7-help", ("question_mark",)),
    ("8-confirm-kill", ("3", "K")),
    ("9-cleanup", ("c",)),
)


async def _shoot(app: KubetuiApp, keys: tuple[str, ...], size: tuple[int, int], out: Path) -> None:
    async with app.run_test(size=size) as pilot:
        for _ in range(1000):
            if app.settled:
                break
            await pilot.pause(0.02)
        else:
            raise SystemExit("the dashboard never finished loading")
        await pilot.press(*keys)
        await pilot.pause(0.2)
        out.write_text(app.export_screenshot(title="kubetui demo"))


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="140x40", help="terminal WIDTHxHEIGHT")
    parser.add_argument("--out", type=Path, default=Path(__file__).parents[1] / "screenshots")
    args = parser.parse_args()
    width, height = (int(n) for n in args.size.split("x"))
    args.out.mkdir(parents=True, exist_ok=True)
    with running_sim("incidents", 1, frozen=True) as sim:
        kube = connect(str(sim.kubeconfig_path))
        for name, keys in SHOTS:
            app = dashboard_app(
                kube,
                None,
                server_label="demo incidents seed 1",
                clock=sim.state.clock.now,
                settings=Settings(kyuubi=demo_kyuubi(sim)),  # as `kubetui demo` polls it
            )
            path = args.out / f"{name}.svg"
            await _shoot(app, keys, (width, height), path)
            print(path)


if __name__ == "__main__":
    asyncio.run(main())
