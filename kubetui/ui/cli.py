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
import asyncio
import atexit
import contextlib
import os
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, NoReturn

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
    from kubetui.ui.feed import Source
    from kubetui.ui.header import Target

#: A cheap GET every authenticated (even anonymous) user may make.
_PROBE_PATH = "/version"

#: What ends the dashboard besides its quit key: ``kill`` (SIGTERM), the terminal going
#: away (SIGHUP, sent by the kernel when the terminal is hung up or its window closed)
#: and SIGINT (``kill -INT``; Ctrl+C is a key while the app runs: Textual's LinuxDriver
#: turns ISIG off). Each ends it in order, and the exit code is 128 + the signal's
#: number, as a shell reports a process killed by it.
_ENDING_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGHUP", "SIGINT") if hasattr(signal, name)
)


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


@dataclass(frozen=True)
class Connection:
    """What the dashboard shows of one kube context: the client, the settings for that
    context, the sources (not started) with their sync names, and the header's target."""

    kube: KubeClient
    settings: Settings
    sources: list[Source]
    source_names: tuple[str, ...]
    target: Target


def connection(
    kube: KubeClient,
    namespaces: Sequence[str] | None,
    settings: Settings,
    *,
    server_label: str | None = None,
    hot_loops: bool = False,
) -> Connection:
    """The sources for ``kube`` (and Kyuubi, when the settings name one). Read-only
    settings make ``kube`` refuse every write."""
    from kubetui.ui.feed import cluster_sources
    from kubetui.ui.header import Target

    kube.read_only = kube.read_only or settings.read_only
    target = Target(
        context=kube.context,
        server=server_label or kube.server,
        namespaces=tuple(namespaces) if namespaces else None,
    )
    sources, names = cluster_sources(kube, namespaces, hot_loops=hot_loops, kyuubi=settings.kyuubi)
    return Connection(kube, settings, sources, names, target)


class ContextOpener:
    """Opens another context of the kubeconfig the dashboard started from (``:ctx``),
    as ``kubetui --context NAME`` would: the same kubeconfig, namespaces and hot-loops
    choice, that context's settings, and the server's answer checked before the app
    lets go of the context it shows. Called off the UI thread (it does network I/O)."""

    def __init__(
        self,
        kubeconfig: str | None,
        namespaces: Sequence[str] | None,
        settings_for: Callable[[str | None], Settings],
        *,
        hot_loops: bool = False,
    ) -> None:
        self.kubeconfig = kubeconfig
        self.namespaces = namespaces
        self.settings_for = settings_for
        self.hot_loops = hot_loops

    def contexts(self) -> list[str]:
        """The kubeconfig's context names (none when it cannot be read)."""
        from kubetui.sources.kube_client import kubeconfig_contexts

        return kubeconfig_contexts(self.kubeconfig)

    def open(self, context: str) -> Connection:
        """A connection to ``context``; UserError (one line) if it cannot be had."""
        from kubetui.sources.kube_client import connect

        kube = connect(self.kubeconfig, context)
        settings = self.settings_for(kube.context)
        kube.get(_PROBE_PATH)
        return connection(kube, self.namespaces, settings, hot_loops=self.hot_loops)


def dashboard_app(
    kube: KubeClient,
    namespaces: Sequence[str] | None,
    *,
    server_label: str | None = None,
    clock: Clock = utc_now,
    theme: str | None = None,
    hot_loops: bool = False,
    settings: Settings | None = None,
    opener: ContextOpener | None = None,
) -> KubetuiApp:
    """The dashboard on ``kube``, fed from the cluster (and Kyuubi, when the settings
    name one); not yet running. ``theme`` (``--theme``) wins over the settings' one;
    ``opener`` lets ``:ctx`` switch contexts."""
    from kubetui.config import Settings
    from kubetui.ui.app import KubetuiApp

    settings = settings or Settings()
    first = connection(kube, namespaces, settings, server_label=server_label, hot_loops=hot_loops)
    return KubetuiApp(
        first.sources,
        first.target,
        source_names=first.source_names,
        kube=kube,
        clock=clock,
        theme=theme or settings.theme,
        settings=settings,
        opener=opener,
    )


def dashboard_settings(
    args: argparse.Namespace, context: str | None, *, kyuubi: KyuubiConfig | None = None
) -> Settings:
    """The config file's settings for ``context``, with the command line's over them:
    ``--read-only`` can only add, the Kyuubi flags replace or amend the configured server
    (``kyuubi`` is the demo's own, used when neither names one). The ``keys:`` are
    checked here, before the terminal is taken (UserError, one line)."""
    import msgspec

    from kubetui.config import config_file, kyuubi_from_flags, load_settings
    from kubetui.ui.key_config import check_keymap

    settings = load_settings(context)
    keys = check_keymap(settings.keys, str(config_file()))
    chosen = kyuubi_from_flags(
        getattr(args, "kyuubi_url", None),
        getattr(args, "kyuubi_user", None),
        getattr(args, "kyuubi_password_env", None),
        settings.kyuubi or kyuubi,
    )
    return msgspec.structs.replace(
        settings, read_only=settings.read_only or args.read_only, kyuubi=chosen, keys=keys
    )


class EndingSignal(SystemExit):
    """SIGTERM or SIGHUP came while the dashboard was not running (exit 128 + n)."""


@contextmanager
def ending_signals_raise() -> Iterator[None]:
    """While the dashboard is not running (connecting, starting or stopping the demo
    cluster), SIGTERM and SIGHUP raise :class:`EndingSignal` (exit 128 + n) instead of
    killing the process on the spot, so that what is open is closed on the way out: the demo's
    scratch dir (its kubeconfig with a bearer token, the Kyuubi password) is removed.
    SIGINT raises KeyboardInterrupt as always. A signal the caller ignores (``nohup``)
    stays ignored."""

    def _raise(signum: int, frame: object) -> None:
        raise EndingSignal(128 + signum)

    previous = {}
    for sig in _ENDING_SIGNALS:
        if sig != signal.SIGINT and signal.getsignal(sig) == signal.SIG_DFL:
            previous[sig] = signal.signal(sig, _raise)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def run_in_terminal(app: KubetuiApp) -> int:
    """Run ``app`` on this terminal until it quits or a signal ends it; the exit code.

    Textual handles no ending signal itself (textual 8.2.8,
    ``textual/drivers/linux_driver.py``, sets handlers for SIGTSTP, SIGCONT and SIGWINCH
    only): SIGTERM and SIGHUP killed kubetui with the terminal left in the alternate
    screen with mouse tracking on, and SIGINT reached the app through asyncio.run's
    handler, which runs only when the event loop next wakes up (0.9 s after the signal
    on an idle dashboard, 1.4 s during a first sync), and exited with code 0. Here each
    ending signal is handled on the app's own event loop (``loop.add_signal_handler``:
    the signal wakes the loop through its wakeup fd at once) by asking the app to exit,
    which restores the terminal and stops the sources as the quit key does."""
    from textual.drivers.linux_driver import LinuxDriver

    from kubetui.ui.terminal_driver import TerminalDriver

    if app.driver_class is LinuxDriver:  # not when TEXTUAL_DRIVER names another
        app.driver_class = TerminalDriver  # exits on a hung-up terminal instead of hanging
    # The process ends when the app does (``end_process``), taking the source threads
    # (daemons) with it: waiting for a poll in flight would only delay the exit.
    app.source_stop_wait = 0.0
    loop = asyncio.new_event_loop()
    previous = {}

    def _end(signum: int) -> None:
        app.exit(return_code=128 + signum)

    for sig in _ENDING_SIGNALS:
        handler = signal.getsignal(sig)
        if handler != signal.SIG_IGN:
            previous[sig] = handler
            loop.add_signal_handler(sig, _end, sig)
    asyncio.set_event_loop(loop)  # as asyncio.run (Textual's default) does
    try:
        app.run(loop=loop)
    finally:
        for sig, handler in previous.items():
            loop.remove_signal_handler(sig)
            signal.signal(sig, handler)
        try:
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            asyncio.set_event_loop(None)
            loop.close()
    return app.return_code or 0


def run_dashboard_command(args: argparse.Namespace) -> NoReturn:
    """``kubetui`` or ``kubetui demo`` as the whole process: run it, then end the process
    at once with its exit code (``end_process``). A usage or connection error propagates
    as UserError (one line, exit 2, from ``kubetui.cli.main``)."""
    try:
        code = run_demo(args) if args.command == "demo" else run_dashboard(args)
    except EndingSignal as ended:
        code = int(ended.code or 0)
    except KeyboardInterrupt:
        code = 128 + signal.SIGINT
    end_process(code)


def end_process(code: int) -> NoReturn:
    """Exit now: the terminal is restored, the demo cluster stopped and its scratch dir
    removed, the log file closed. The atexit functions run, as at any exit: the
    kubernetes client's removes the files it wrote a kubeconfig's ``*-data`` fields to
    (the CA, a client key: ``_cleanup_temp_files`` in kubernetes/config/kube_config.py,
    kubernetes 37.0.3), which a SIGTERM or SIGHUP that killed kubetui left in /tmp.
    Skipped is the rest of the interpreter's teardown (CPython 3.11 ``Py_FinalizeEx``,
    Python/pylifecycle.c: joining the executor's threads, an analysis in flight
    included, through ``concurrent.futures.thread._python_exit``; a full garbage
    collection; freeing every module's objects), memory the system takes back anyway:
    it took 0.4 s on the incidents demo and 1.6 s at 50k pods on a loaded 2-core
    machine, after a quit or a signal that should end kubetui at once."""
    atexit._run_exitfuncs()  # logging.shutdown among them
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        # The terminal may be gone (SIGHUP): what could not be written is lost anyway.
        with contextlib.suppress(OSError, ValueError, AttributeError):
            stream.flush()
    os._exit(code)


def run_dashboard(args: argparse.Namespace) -> int:
    from kubetui.cluster_input import connect_from_args

    with ending_signals_raise():
        kube = connect_from_args(args)
        settings = dashboard_settings(args, kube.context)
        kube.get(_PROBE_PATH)  # KubeError (one line, exit 2) before the terminal is taken
        namespaces = namespaces_of(args)
        app = dashboard_app(
            kube,
            namespaces,
            theme=args.theme,
            hot_loops=args.hot_loops,
            settings=settings,
            opener=ContextOpener(
                args.kubeconfig,
                namespaces,
                lambda context: dashboard_settings(args, context),
                hot_loops=args.hot_loops,
            ),
        )
        return run_in_terminal(app)


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
    with ending_signals_raise(), ExitStack() as stack:
        try:
            sim = stack.enter_context(
                running_sim(scenario, args.seed, frozen=False, port=args.port)
            )
        except OSError as exc:
            raise UserError(
                f"kubetui demo: cannot serve on 127.0.0.1:{args.port}: {exc.strerror or exc}"
            ) from None
        kube = connect(str(sim.kubeconfig_path))
        kyuubi = demo_kyuubi(sim)
        app = dashboard_app(
            kube,
            None,
            server_label=f"demo {args.scenario} seed {args.seed}",
            clock=sim.state.clock.now,
            theme=args.theme,
            hot_loops=args.hot_loops,
            settings=dashboard_settings(args, kube.context, kyuubi=kyuubi),
            opener=ContextOpener(  # the demo's contexts: one per user of the sim
                str(sim.kubeconfig_path),
                None,
                lambda context: dashboard_settings(args, context, kyuubi=kyuubi),
                hot_loops=args.hot_loops,
            ),
        )
        return run_in_terminal(app)
