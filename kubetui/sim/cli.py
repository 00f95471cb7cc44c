"""``kubetui sim serve``: run the simulated cluster until Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from kubetui.sim.runner import running_sim


def add_sim_parser(subparsers: Any) -> None:
    """Add ``sim serve`` to the top-level subparsers; the handler is ``run_sim``."""
    sim = subparsers.add_parser("sim", help="run the embedded demo cluster")
    sim_sub = sim.add_subparsers(dest="sim_command", required=True)
    serve = sim_sub.add_parser(
        "serve",
        help="serve the simulated kube-apiserver (and Kyuubi) on 127.0.0.1",
        description="Serve a simulated cluster: kube-apiserver over HTTPS with a generated "
        "CA and bearer token (written into a kubeconfig), plus the Kyuubi REST lookalike.",
    )
    serve.add_argument("--scenario", default="incidents", help='"incidents" or "scale:N"')
    serve.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    serve.add_argument("--port", type=int, default=0, help="API port (default: ephemeral)")
    serve.add_argument("--kubeconfig-out", type=Path, help="where to write the kubeconfig")
    serve.add_argument(
        "--state-file", type=Path, help="load the cluster from / save it to this file"
    )
    serve.add_argument("--frozen", action="store_true", help="stop sim time (no evolution)")
    serve.add_argument("--http", action="store_true", help="plain HTTP instead of HTTPS")
    serve.add_argument(
        "--speed", type=float, default=1.0, help="sim seconds per wall second (default 1)"
    )
    serve.set_defaults(handler=run_sim)


def run_sim(args: argparse.Namespace) -> int:
    """Serve until interrupted; prints where the kubeconfig and Kyuubi are."""
    if args.speed <= 0:
        print("kubetui sim serve: --speed must be positive", file=sys.stderr)
        return 2
    stop = threading.Event()

    def _on_signal(signum: int, frame: object) -> None:
        stop.set()

    previous = {s: signal.signal(s, _on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        with running_sim(
            args.scenario,
            args.seed,
            frozen=args.frozen,
            speed=args.speed,
            port=args.port,
            http=args.http,
            state_file=args.state_file,
            kubeconfig_out=args.kubeconfig_out,
        ) as sim:
            print(f"kubeconfig: {sim.kubeconfig_path}")
            print(f"API server: {sim.url}")
            print(f"Kyuubi:     {sim.kyuubi_url or '(none in this scenario)'}")
            print(f"try: KUBECONFIG={sim.kubeconfig_path} kubectl get pods -A", flush=True)
            while not stop.wait(0.5):
                pass
    except ValueError as err:
        print(f"kubetui sim serve: {err}", file=sys.stderr)
        return 2
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0
