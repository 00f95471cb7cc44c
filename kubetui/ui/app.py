"""KubetuiApp: the store, fed by source threads, drawn by five views.

Data flows one way. Source threads post updates (wrapped as :class:`SourceUpdated`);
the app applies each to the store on the UI thread at once (cheap) and schedules one
repaint of what is visible at most every :data:`REPAINT_DELAY` seconds. Engines and
findings are computed in a thread worker from a store snapshot, at most every
:data:`ANALYSIS_INTERVAL` seconds (and every twice its last duration: pure Python, it holds
the GIL) and only when the store changed, so a big cluster never blocks keys.

The clock is injectable: ``kubetui demo`` uses the simulator's clock, tests a frozen one,
so ages are the same on every run.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Iterable, Sequence
from functools import partial
from time import monotonic
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.dom import DOMNode
from textual.markup import escape
from textual.screen import Screen
from textual.timer import Timer
from textual.worker import Worker, WorkerState

from kubetui.config import Settings, save_theme
from kubetui.errors import UserError
from kubetui.heap import release_free_heap
from kubetui.logfile import close_log, open_log
from kubetui.model.analysis_cache import Analyser
from kubetui.model.kyuubi_join import KyuubiData, disagreement_findings, join_engines
from kubetui.model.store import ChangeBatch, ClusterState, Snapshot, SyncState
from kubetui.model.triage import Analysis
from kubetui.paths import user_themes_dir
from kubetui.sources.churn import ChurnUpdate
from kubetui.sources.kube_client import KubeClient
from kubetui.sources.kyuubi import KyuubiClient, KyuubiUpdate
from kubetui.sources.metrics import MetricsUpdate
from kubetui.sources.updates import SourceUpdate, UnknownUpdate, dispatch
from kubetui.ui.command_line import CommandLine, command_rows, parse_command
from kubetui.ui.data import Clock, DashboardData, utc_now
from kubetui.ui.detail import PodDetailScreen
from kubetui.ui.dialogs import HelpScreen, help_lines
from kubetui.ui.feed import Source
from kubetui.ui.header import Target
from kubetui.ui.keymap import APP_BINDINGS, PALETTE_HIDDEN
from kubetui.ui.main_screen import MainScreen
from kubetui.ui.messages import AnalysisFinished, PodChosen, SourceUpdated
from kubetui.ui.themes import (
    BUNDLED_DIR,
    DEFAULT_THEME,
    FALLBACK_THEME,
    SEVERITY_DEFAULTS,
    load_themes,
)

if TYPE_CHECKING:
    from kubetui.ui.cli import Connection, ContextOpener

log = logging.getLogger(__name__)

REPAINT_DELAY = 0.1
ANALYSIS_INTERVAL = 1.0
#: How long the first analysis waits for slow sources (usage, churn) before going ahead.
FIRST_ANALYSIS_WAIT = 5.0
#: How long closing the app waits, in all, for the source threads to end (see
#: ``KubetuiApp.source_stop_wait``).
SOURCE_STOP_WAIT = 5.0


class KubetuiApp(App[None]):
    TITLE = "kubetui"
    BINDINGS: ClassVar = APP_BINDINGS
    CSS = """
    Screen { background: $background; }
    Footer { height: 1; }
    """

    def __init__(
        self,
        sources: Sequence[Source],
        target: Target,
        *,
        kube: KubeClient | None = None,
        clock: Clock = utc_now,
        theme: str | None = None,
        store: ClusterState | None = None,
        source_names: Sequence[str] = (),
        settings: Settings | None = None,
        opener: ContextOpener | None = None,
    ) -> None:
        super().__init__()
        #: The config file's settings with the command line's over them.
        self.settings = settings or Settings()
        #: For engine kills and relaunches; None when no Kyuubi server is configured.
        self.kyuubi = self._kyuubi_client(self.settings)
        #: Opens another kube context for ``:ctx``; None: the dashboard stays on this one.
        self.opener = opener
        #: Counts the contexts shown (``:ctx``): updates and analyses of an earlier one
        #: that arrive late are dropped (see ``SourceUpdated``).
        self._epoch = 0
        if self.settings.keys:  # checked by ``kubetui.ui.key_config.check_keymap``
            self.set_keymap(self.settings.keys)
        self.sources = list(sources)
        #: Sync sources that must have reported before the app counts as settled.
        self.source_names = tuple(source_names)
        #: For the detail screen's logs and events; None without a cluster (tests).
        self.kube = kube
        self.target = target
        self.data = DashboardData(store or ClusterState(), clock)
        self._repaint_timer: Timer | None = None
        self._last_repaint = 0.0
        self._analysing = False
        #: Reuses per-pod work between runs; one worker at a time (``_analysing``).
        self._analyser = Analyser()
        #: When the running (or last) analysis started and how long the last one took.
        self._analysis_started = 0.0
        self._analysis_took = 0.0
        #: A snapshot came in at this store version: freeze the collector once an
        #: analysis of it is in (None: nothing to freeze).
        self._freeze_at: int | None = 0
        self._mounted_at = 0.0
        self._log: logging.Handler | None = None
        #: The last message each source's sync state carried (shown once, when new).
        self._noticed: dict[str, str | None] = {}
        #: Seconds closing the app waits, in all, for the source threads to end. A poll
        #: in flight (usage of 50k pods: seconds) cannot be cut short; ``kubetui`` sets
        #: 0 as the process ends next, taking the threads (all daemons) with it, so a
        #: quit or a signal never waits for a poll (it waited 5.6 s at 50k pods).
        self.source_stop_wait = SOURCE_STOP_WAIT
        self._theme_problems = self._install_themes(theme)
        self._main = MainScreen(self.data, self.target)

    @staticmethod
    def _kyuubi_client(settings: Settings) -> KyuubiClient | None:
        if settings.kyuubi is None:
            return None
        return KyuubiClient(settings.kyuubi, read_only=settings.read_only)

    # ------------------------------------------------------------------ themes

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return dict(SEVERITY_DEFAULTS)

    def _install_themes(self, wanted: str | None) -> list[str]:
        themes, problems = load_themes([BUNDLED_DIR, user_themes_dir()])
        for theme in themes:
            self.register_theme(theme)
        names = {t.name for t in themes}
        name = wanted or (DEFAULT_THEME if DEFAULT_THEME in names else FALLBACK_THEME)
        if name not in self.available_themes:
            fallback = DEFAULT_THEME if DEFAULT_THEME in names else FALLBACK_THEME
            problems.append(
                f"theme {name!r} not found (known: {', '.join(sorted(self.available_themes))});"
                f" using {fallback}"
            )
            name = fallback
        self.theme = name
        return problems

    def choose_theme(self, name: str) -> None:
        """Switch to theme ``name`` and keep it in the settings file for the next start
        (one line if it cannot be written: the switch stays)."""
        self.theme = name
        try:
            path = save_theme(name)
        except UserError as exc:
            self.notify(str(exc), severity="warning", markup=False, timeout=8)
            return
        self.notify(f"theme {name} saved in {path}", markup=False)

    # ------------------------------------------------------------------ lifecycle

    def get_default_screen(self) -> Screen:
        """A blank screen under the main one, so that ``:ctx`` can pop the main screen
        and push a new one (Textual cannot replace the bottom screen of the stack, and
        two main screens, both with the id "main", cannot be there at once)."""
        return Screen()

    @property
    def main(self) -> MainScreen:
        return self._main

    async def on_mount(self) -> None:
        await self.push_screen(self._main)
        self._mounted_at = monotonic()
        self._log = self._open_log()
        if self._theme_problems:
            self.notify("; ".join(self._theme_problems), severity="warning", markup=False)
        self._start_sources()

    def _start_sources(self) -> None:
        # The redraw timers belong to the main screen, whose widgets they draw into: a
        # screen's timers stop when it closes, before its widgets are removed (an app-owned
        # timer went on firing into removed widgets while the app was torn down).
        self.main.set_interval(ANALYSIS_INTERVAL, self._every_second)
        post = partial(self._post_update, self._epoch)
        for source in self.sources:
            source.start(post)

    async def on_unmount(self) -> None:
        await asyncio.to_thread(self._stop_sources, self.sources)
        if self._log is not None:
            close_log(self._log)
        gc.unfreeze()  # what was frozen (``_freeze``) dies with the app, cycles included

    def _open_log(self) -> logging.Handler | None:
        """kubetui's log file (``kubetui locate log``); the cluster's credentials were
        registered for redaction when its client was made (``kube_client.py``)."""
        try:
            return open_log()
        except OSError as exc:
            self.notify(f"no log file: {exc}", severity="warning", markup=False)
            return None

    def _stop_sources(self, sources: Sequence[Source]) -> None:
        """Stop ``sources``, waiting for their threads ``source_stop_wait`` seconds in
        all (it was 5 s for each source that was slow to end)."""
        deadline = monotonic() + self.source_stop_wait
        for source in sources:
            source.stop(max(0.0, deadline - monotonic()))

    def _post_update(self, epoch: int, update: SourceUpdate) -> None:
        """Called from source threads: hand the update to the UI thread."""
        self.post_message(SourceUpdated(update, epoch))

    # ------------------------------------------------------------------ data in

    @property
    def _exiting(self) -> bool:
        """Messages can still arrive after the screens are gone at exit."""
        return not self.screen_stack

    @property
    def _drawable(self) -> bool:
        """The main screen's widgets are there: its message loop runs. A screen being
        removed stops its loop (and the timers it owns) before its widgets go; a timer
        started while it was stopping them fires after, and finds this False."""
        return not self._exiting and self.main.is_running

    @on(SourceUpdated)
    def _apply_update(self, message: SourceUpdated) -> None:
        if self._exiting or message.epoch != self._epoch:
            return
        try:
            update = dispatch(message.update, self)
        except UnknownUpdate as exc:
            log.error("%s: %r", exc, message.update)
            self.notify(str(exc), severity="error", markup=False, timeout=8)
            return
        if update.sync is not None:
            self._notice(update.sync)
        self._schedule_repaint()
        if self.data.analysis is None:
            self._maybe_analyse()

    def _notice(self, sync: SyncState) -> None:
        """Show a source's message once, when it first appears or changes."""
        if sync.message and self._noticed.get(sync.source) != sync.message:
            severity = "error" if sync.phase in ("error", "forbidden") else "warning"
            self.notify(sync.message, severity=severity, markup=False, timeout=8)
        self._noticed[sync.source] = sync.message

    # The four kinds of update (``sources/updates.py`` ``dispatch``), on the UI thread.

    def apply_churn(self, update: ChurnUpdate) -> None:
        self.data.store.set_rates(update.rates, update.warmup)
        self.data.store.set_sync(update.sync)

    def apply_metrics(self, update: MetricsUpdate) -> None:
        if self.data.store.set_usage(update):
            self.data.generation += 1

    def apply_kyuubi(self, update: KyuubiUpdate) -> None:
        self.data.store.set_kyuubi(update)

    def apply_batch(self, batch: ChangeBatch) -> None:
        applied = self.data.store.apply(batch)
        if batch.snapshot is not None:
            self._freeze_at = self.data.store.version
        if batch.kind == "Pod":
            self.main.pods_changed(applied.changed, applied.removed)
        elif applied.changed or applied.removed or batch.snapshot is not None:
            self.data.nodes_changed()
        if isinstance(self.screen, PodDetailScreen):
            self.screen.pods_changed(applied.changed | applied.removed)

    def _schedule_repaint(self) -> None:
        """At most one repaint per REPAINT_DELAY, drawn at once when the last one is older
        (leading edge): a lone watch event is visible without waiting out the delay."""
        if self._repaint_timer is None:
            wait = max(0.01, self._last_repaint + REPAINT_DELAY - monotonic())
            self._repaint_timer = self.main.set_timer(wait, self._repaint)

    def _repaint(self) -> None:
        self._repaint_timer = None
        self._last_repaint = monotonic()
        if not self._drawable:
            return
        self.main.mark_stale()
        self.main.refresh_visible()

    def _every_second(self) -> None:
        """Keep ages moving and re-analyse when the store changed (a main screen timer:
        it never outlives the widgets it draws)."""
        self._maybe_analyse()
        self.main.refresh_visible()

    @property
    def settled(self) -> bool:
        """Every source has listed, the analysis matches the store and nothing waits to
        be drawn (tests and the screenshot script wait for this)."""
        store = self.data.store
        return (
            bool(store.sync)
            and self._all_reported()
            and not any(s.phase == "listing" for s in store.sync.values())
            and self.data.analysed_version == store.version
            and not self._analysing
            and self._repaint_timer is None
        )

    def _all_reported(self) -> bool:
        sync = self.data.store.sync
        return all(
            any(key == name or key.startswith(f"{name}/") for key in sync)
            for name in self.source_names
        )

    # ------------------------------------------------------------------ analysis

    def _maybe_analyse(self) -> None:
        store = self.data.store
        if self._analysing or store.version == self.data.analysed_version:
            return
        if any(s.phase == "listing" for s in store.sync.values()):
            return  # the first analysis waits for every initial LIST …
        waiting = monotonic() - self._mounted_at < FIRST_ANALYSIS_WAIT
        if self.data.analysis is None and waiting and not self._all_reported():
            return  # … and, for a few seconds, for every source's first word
        if monotonic() - self._analysis_started < 2 * self._analysis_took:
            return  # the analysis holds the GIL: at most half the time, keys get the rest
        self._analysing = True
        self._analysis_started = monotonic()
        now = self.data.now()
        self._analyse(store.snapshot(), store.kyuubi, store.known_engine_ids(now), self._epoch)

    @work(thread=True, group="analysis", exit_on_error=False, description="findings")
    def _analyse(
        self, snap: Snapshot, kyuubi: KyuubiData | None, known_ids: set[str] | None, epoch: int
    ) -> None:
        """Engines and findings; with a Kyuubi poll, Kyuubi's word joined to each engine
        and its disagreements with the pods as findings of their own."""
        engines, findings = self._analyser.analyse(
            snap.pods,
            snap.nodes,
            self.data.now(),
            thresholds=self.data.store.thresholds,
            rates=snap.rates,
            known_engine_ids=known_ids,
        )
        if kyuubi is not None:
            engines = join_engines(engines, kyuubi)
            findings = findings + disagreement_findings(engines)
        self.post_message(AnalysisFinished(snap.version, Analysis(engines, findings), epoch))

    @on(AnalysisFinished)
    def _take_analysis(self, message: AnalysisFinished) -> None:
        if message.epoch != self._epoch:
            return  # of the context before ``:ctx``
        self._analysing = False
        self._analysis_took = monotonic() - self._analysis_started
        if self._exiting:
            return
        first = self.data.analysis is None
        self.data.set_analysis(message.version, message.analysis)
        if self._freeze_at is not None and message.version >= self._freeze_at:
            self._freeze_at = None
            self._freeze()
        if not self._drawable:
            return
        main = self.main
        if first and not main.view_chosen and not message.analysis.findings:
            main.show_view(2)
        main.mark_stale()
        main.refresh_visible()
        if message.version == self.data.store.version:
            main.lay_out_hidden_views()

    @staticmethod
    def _freeze() -> None:
        """Move what the first analysis of a snapshot left alive (its findings, engines,
        the index's dicts) out of the collector's reach, as the ingest does after its
        first LIST: each full collection walked them again (~8 ms at 50k pods, in the
        middle of a key). Once per snapshot, after a full collection so no garbage
        cycle is frozen forever. Then the heap the LISTs and the analysis freed goes
        back to the OS (``release_free_heap``: ~11 MB of RSS at 50k pods)."""
        gc.collect()
        gc.freeze()
        release_free_heap()

    @on(Worker.StateChanged)
    def _worker_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "context":
            self._context_opened(event.worker)
        elif event.worker.group == "analysis" and event.state == WorkerState.ERROR:
            self._analysing = False
            error = event.worker.error
            log.error("analysis failed", exc_info=error)
            self.notify(f"analysis failed: {type(error).__name__}: {error}", markup=False)

    # ------------------------------------------------------------------ screens

    @on(PodChosen)
    def _open_pod(self, message: PodChosen) -> None:
        if message.uid in self.data.store.pods:
            self.push_screen(PodDetailScreen(self.data, message.uid, self.kube))

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            return
        rows = help_lines(self.screen.active_bindings, self.get_key_display)
        self.push_screen(HelpScreen(rows, f"Keys: {self.screen.__class__.__name__}"))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """The palette: every key of ``screen`` (its live bindings, by id, with the keys
        they answer to now), then namespaces and themes (titles escaped)."""
        yield from self._binding_commands(screen)
        main = self.main
        yield SystemCommand(
            "namespace: all", "show every namespace", lambda: main.set_namespace(None)
        )
        for ns in self._namespaces():
            yield SystemCommand(
                f"namespace: {escape(ns)}",
                "show only this namespace",
                lambda ns=ns: main.set_namespace(ns),
            )
        for name in sorted(self.available_themes):
            yield SystemCommand(
                f"theme: {escape(name)}",
                "switch colours (kept in the config file)",
                lambda name=name: self.choose_theme(name),
            )

    def _binding_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """One entry per binding id live on ``screen`` (not :data:`PALETTE_HIDDEN`; a
        key ``check_action`` hides, as the write keys when read-only, is left out), run
        as its key would run it."""
        entries: dict[str, tuple[Binding, DOMNode, list[str]]] = {}
        for active in screen.active_bindings.values():
            binding = active.binding
            if binding.id is None or binding.id in PALETTE_HIDDEN or not active.enabled:
                continue
            _, _, keys = entries.setdefault(binding.id, (binding, active.node, []))
            keys.append(self.get_key_display(binding))
        for ident, (binding, node, keys) in entries.items():
            yield SystemCommand(
                escape(binding.description or binding.action),
                f"{', '.join(keys)}  ·  {ident}",
                # Scheduled, not awaited: a palette entry's callback is called plainly.
                partial(self.call_later, self.run_action, binding.action, node),
            )

    def _namespaces(self) -> list[str]:
        return sorted({p.metadata.namespace or "" for p in self.data.store.pods.values()})

    # ------------------------------------------------------------------ ``:`` commands

    def action_command_line(self) -> None:
        if not isinstance(self.screen, CommandLine):
            self.push_screen(CommandLine(self._command_arguments), self.run_command)

    def action_colon_commands(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(command_rows(), "Commands: type : then one"))

    def _command_arguments(self, command: str) -> list[str]:
        """What ``:ns``/``:ctx`` complete: namespaces seen, the kubeconfig's contexts."""
        if command == "ns":
            return ["all", *self._namespaces()]
        return self.opener.contexts() if self.opener is not None else []

    def run_command(self, text: str | None) -> None:
        """Run a ``:`` command line (None or blank: the line was cancelled)."""
        if not text or not text.strip():
            return
        try:
            command, argument = parse_command(text)
        except ValueError as exc:
            self.notify(str(exc), severity="warning", markup=False)
            return
        name = command.names[0]
        if name == "q":
            self.exit()
        elif name == "ctx":
            self.switch_context(argument)
        else:
            while self.screen is not self.main:  # back to the main screen, as k9s' ``:``
                self.pop_screen()
            if command.view is not None:
                self.main.action_show_view(command.view)
            elif argument is None:
                self.main.action_pick_namespace()
            else:
                if argument != "all" and argument not in self._namespaces():
                    self.notify(f":ns {argument}: no pod seen there (yet)", markup=False)
                self.main.set_namespace(None if argument == "all" else argument)

    # ------------------------------------------------------------------ ``:ctx``

    def switch_context(self, name: str | None) -> None:
        """Show kube context ``name`` instead: connected off the UI thread; the current
        one stays until that works (a failure is one line)."""
        if self.opener is None:
            self.notify(":ctx: no kubeconfig to switch in", severity="warning", markup=False)
        elif name is None:
            known = ", ".join(self.opener.contexts()) or "none"
            self.notify(f":ctx needs a NAME (contexts: {known})", markup=False)
        else:
            self.notify(f"connecting to context {name}…", markup=False)
            self.run_worker(
                partial(self.opener.open, name),
                thread=True,
                group="context",
                exclusive=True,
                exit_on_error=False,
                description=f"context {name}",
            )

    def _context_opened(self, worker: Worker) -> None:
        if worker.state == WorkerState.ERROR:
            error = worker.error
            text = (
                str(error) if isinstance(error, UserError) else f"{type(error).__name__}: {error}"
            )
            self.notify(f":ctx: {text}", severity="error", markup=False, timeout=8)
        elif worker.state == WorkerState.SUCCESS and not self._exiting:
            # A task of its own: it awaits screen changes, which the app's message loop
            # (running this handler) has to process.
            self.run_worker(self._show_connection(worker.result), group="context-switch")

    async def _show_connection(self, connection: Connection) -> None:
        """Tear down what the current context feeds (its sources stopped, its store,
        analysis, screens and timers dropped) and show ``connection`` from scratch, as a
        fresh start would: nothing of the previous context can reach the new screens."""
        self._epoch += 1  # late updates and analyses of the old sources are dropped
        await asyncio.to_thread(self._stop_sources, self.sources)
        self.kube = connection.kube
        self.settings = connection.settings
        self.kyuubi = self._kyuubi_client(connection.settings)
        self.target = connection.target
        self.sources = list(connection.sources)
        self.source_names = connection.source_names
        self.data = DashboardData(ClusterState(), self.data.clock)
        self._analyser = Analyser()
        self._analysing = False
        self._analysis_took = 0.0
        self._freeze_at = 0
        self._noticed = {}
        self._repaint_timer = None  # it belonged to the old main screen
        self._mounted_at = monotonic()
        while self.screen is not self.main:
            await self.pop_screen()
        await self.pop_screen()  # the old main screen, its widgets and timers
        self._main = MainScreen(self.data, self.target)
        await self.push_screen(self._main)
        self._start_sources()
        self.notify(f"context {self.target.context}", markup=False)
