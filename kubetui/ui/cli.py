"""The two ways to start the dashboard: ``kubetui`` and ``kubetui demo``.

``kubetui`` connects to the current kubeconfig context (flags as kubectl's) and checks
that the server answers *before* the app takes over the terminal, so a bad kubeconfig,
an unreachable server or rejected credentials end in one line and exit 2. ``kubetui
demo`` starts the embedded simulator in-process, points the same client path at it
through a kubeconfig, and stops it (freeing its port) when the app quits.

:func:`dashboard_app` is the one app factory, shared by both commands, the tests and
``scripts/screenshots.py``.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from contextlib import ExitStack
from typing import TYPE_CHECKING

from kubetui.cli_args import (
    add_hot_loops_flag,
    add_read_only_flag,
    add_theme_flag,
    namespaces_of,
)
from kubetui.errors import UserError
from kubetui.ui.data import Clock, utc_now

if TYPE_CHECKING:
    from kubetui.config import Settings
    from kubetui.sim.runner import RunningSim
    from kubetui.sources.kube_client import KubeClient
    from kubetui.sources.kyuubi import KyuubiConfig
    from kubetui.ui.app import KubetuiApp

#: A cheap GET every authenticated (even anonymous) user may make.
_PROBE_PATH = "/version"


def add_demo_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    demo = subparsers.add_parser(
        "demo",
        help="the dashboard on the embedded demo cluster (no cluster needed)",
        description="Start the embedded demo cluster (a kube-apiserver and Kyuubi lookalike "
        "with OOM-killed engines, zombie pods, crash loops, a pod stuck Terminating) on "
        "127.0.0.1, and open the dashboard on it through the real client path. Quitting "
        "stops the cluster.",
    )
    demo.add_argument(
        "--scenario",
        default="incidents",
        metavar="NAME",
        help="'incidents' (default) or 'scale:N' (N realistic pods)",
    )
    demo.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    demo.add_argument(
        "--port",
        type=int,
        default=0,
        help="serve the demo API on this 127.0.0.1 port (default: any free port)",
    )
    add_theme_flag(demo)
    add_hot_loops_flag(demo, default=True)
    add_read_only_flag(demo)
    return demo


def dashboard_app(
    kube: KubeClient,
    namespaces: Sequence[str] | None,
    *,
    server_label: str | None = None,
    clock: Clock = utc_now,
    theme: str | None = None,
    hot_loops: bool = False,
    settings: Settings | None = None,
) -> KubetuiApp:
    """The dashboard on ``kube``, fed from the cluster (and Kyuubi, when the settings
    name one); not yet running. Read-only settings make ``kube`` refuse every write."""
    from kubetui.config import Settings
    from kubetui.ui.app import KubetuiApp
    from kubetui.ui.feed import cluster_sources
    from kubetui.ui.header import Target

    settings = settings or Settings()
    kube.read_only = kube.read_only or settings.read_only

    target = Target(
        context=kube.context,
        server=server_label or kube.server,
        namespaces=tuple(namespaces) if namespaces else None,
    )
    sources, source_names = cluster_sources(
        kube, namespaces, hot_loops=hot_loops, kyuubi=settings.kyuubi
    )
    return KubetuiApp(
        sources,
        target,
        source_names=source_names,
        kube=kube,
        clock=clock,
        theme=theme,
        settings=settings,
    )


def dashboard_settings(
    args: argparse.Namespace, context: str | None, *, kyuubi: KyuubiConfig | None = None
) -> Settings:
    """The config file's settings for ``context``, with the command line's over them:
    ``--read-only`` can only add, the Kyuubi flags replace or amend the configured server
    (``kyuubi`` is the demo's own, used when neither names one)."""
    import msgspec

    from kubetui.config import kyuubi_from_flags, load_settings

    settings = load_settings(context)
    chosen = kyuubi_from_flags(
        getattr(args, "kyuubi_url", None),
        getattr(args, "kyuubi_user", None),
        getattr(args, "kyuubi_password_env", None),
        settings.kyuubi or kyuubi,
    )
    return msgspec.structs.replace(
        settings, read_only=settings.read_only or args.read_only, kyuubi=chosen
    )


def run_dashboard(args: argparse.Namespace) -> int:
    from kubetui.cluster_input import connect_from_args

    kube = connect_from_args(args)
    settings = dashboard_settings(args, kube.context)
    kube.get(_PROBE_PATH)  # KubeError (one line, exit 2) before the terminal is taken
    app = dashboard_app(
        kube,
        namespaces_of(args),
        theme=args.theme,
        hot_loops=args.hot_loops,
        settings=settings,
    )
    app.run()
    return app.return_code or 0


def demo_kyuubi(sim: RunningSim) -> KyuubiConfig | None:
    """The demo's own Kyuubi lookalike, polled every few seconds as its admin (the
    password goes in a file beside the demo's kubeconfig, as a real setup would keep it)."""
    from kubetui.sources.kyuubi import KyuubiConfig

    if sim.kyuubi_url is None or sim.kyuubi is None:
        return None
    user, password = next(iter(sim.kyuubi.users.items()))
    secret = sim.kubeconfig_path.parent / "kyuubi-password"
    secret.touch(mode=0o600)
    secret.write_text(password)
    return KyuubiConfig(url=sim.kyuubi_url, user=user, password_file=str(secret), interval=5.0)


def run_demo(args: argparse.Namespace) -> int:
    from kubetui.sim.runner import running_sim
    from kubetui.sim.scenarios import get_scenario
    from kubetui.sources.kube_client import connect

    try:
        scenario = get_scenario(args.scenario, args.seed)
    except ValueError as exc:
        raise UserError(f"kubetui demo: {exc}") from None
    with ExitStack() as stack:
        try:
            sim = stack.enter_context(
                running_sim(scenario, args.seed, frozen=False, port=args.port)
            )
        except OSError as exc:
            raise UserError(
                f"kubetui demo: cannot serve on 127.0.0.1:{args.port}: {exc.strerror or exc}"
            ) from None
        kube = connect(str(sim.kubeconfig_path))
        app = dashboard_app(
            kube,
            None,
            server_label=f"demo {args.scenario} seed {args.seed}",
            clock=sim.state.clock.now,
            theme=args.theme,
            hot_loops=args.hot_loops,
            settings=dashboard_settings(args, kube.context, kyuubi=demo_kyuubi(sim)),
        )
        app.run()
        return app.return_code or 0
