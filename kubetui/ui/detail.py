"""The pod detail screen: every container's fate, then the pod's logs and events.

Containers (``c``): init containers and sidecars first, each with its state, reason,
message, exit code and what it means (signal, OOM, Spark's own codes), when it started
and finished, restarts, last termination, requests and limits, QoS and the kubelet's
``oom_score_adj`` with the formula and its inputs. Then the owner chain, node and Spark
/ Kyuubi labels. Logs (``l``): the selected container's log, followed, in a bounded
buffer (``o`` next container, ``p`` previous instance). Events (``e``): as ``kubectl
describe pod`` lists them. All cluster text is shown as plain text, never markup.

A log follower or an events read that fails in a way it does not expect says so (the
log's title, the events pane), logs the traceback and starts over after a backoff
(``sources/supervise.py``).
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Log, Static, TabbedContent, TabPane
from textual.worker import get_current_worker

from kubetui.model.durations import human_duration
from kubetui.model.engines import (
    APP_ID_LABEL,
    APP_NAME_LABEL,
    KYUUBI_TAG_LABEL,
    ROLE_LABEL,
    Engine,
)
from kubetui.model.exit_codes import explain_reason
from kubetui.model.pod_status import pod_columns
from kubetui.model.qos import effective_qos, pod_oom_score_adjs
from kubetui.model.records import Container, Pod, ResourceMap
from kubetui.model.terminations import ContainerReport, container_terminations
from kubetui.sources.kube_client import KubeClient, KubeError
from kubetui.sources.pod_events import event_age, event_source, fetch_pod_events
from kubetui.sources.pod_logs import LogStream
from kubetui.sources.supervise import Backoff, log_failure
from kubetui.ui.action_runner import WriteActions
from kubetui.ui.clipboard import CopyActions
from kubetui.ui.data import DashboardData
from kubetui.ui.keymap import COPY_BINDINGS, POD_ACTION_BINDINGS
from kubetui.ui.rows import ago, qualified

#: Lines kept in the log pane (older ones scroll away).
LOG_LINES = 5000
_LABEL = "bold $text-muted"


def _resources(resources: ResourceMap | None) -> str:
    return " ".join(f"{k}={v}" for k, v in sorted((resources or {}).items())) or "-"


def _field(label: str, *value: str | tuple[str, str]) -> Content:
    return Content.assemble((f"  {label:<14}", _LABEL), *value)


def container_block(
    report: ContainerReport,
    container: Container | None,
    adj_parts: tuple[int | None, str, str, str] | None,
    now: datetime,
) -> list[Content]:
    """The lines describing one container (pure: used by tests and the screen)."""
    kind = "sidecar" if report.sidecar else "init container" if report.init else "container"
    state_style = {"running": "$sev-ok", "terminated": "$sev-critical", "waiting": "$sev-warning"}
    lines = [
        Content.assemble(
            ("▸ ", "$accent"),
            (report.name or "?", "bold"),
            f"  ({kind})",
            ("  ready" if report.ready else "", "$sev-ok"),
        )
    ]
    state = [(report.state, state_style.get(report.state, ""))]
    if report.reason:
        reason_style = "$sev-oom" if report.reason == "OOMKilled" else "bold"
        state += ["  ", (report.reason, reason_style)]
    if report.exit_code is not None:
        state.append(f"  exit {report.exit_code}")
        meaning = report.exit_meaning
        if meaning is not None:
            signal = f" {meaning.signal_name}" if meaning.signal_name else ""
            state.append(f"{signal} — {meaning.summary}")
    lines.append(_field("state", *state))
    if report.message:
        lines.append(_field("message", " ".join(report.message.split())))
    if report.exit_meaning is not None and report.exit_code is not None:
        lines.append(_field("exit code", report.exit_meaning.detail))
    if explained := explain_reason(report.reason):
        lines.append(_field("reason", explained))
    times = []
    if report.started_at is not None:
        times.append(f"started {ago(now, report.started_at)}")
    if report.finished_at is not None:
        times.append(f"finished {ago(now, report.finished_at)}")
    if report.lived is not None:
        times.append(f"lived {human_duration(report.lived)}")
    if times:
        lines.append(_field("times", "  ".join(times)))
    lines.append(
        _field("restarts", str(report.restart_count if report.restart_count is not None else "?"))
    )
    if report.last_exit_meaning is not None:
        last = report.last_exit_meaning
        signal = f" {last.signal_name}" if last.signal_name else ""
        finished = (
            f", finished {ago(now, report.last_finished_at)}" if report.last_finished_at else ""
        )
        # A last state without an exit code showed "exit None": it is unknown, and the
        # summary says so (found by tests/ui/test_hostile_pipeline_ui.py).
        code = report.last_exit_code
        exit_code = f"exit {code}{signal} — " if code is not None else ""
        lines.append(
            _field(
                "last state",
                (report.last_reason or "terminated", "bold"),
                f"  {exit_code}{last.summary}{finished}",
            )
        )
    if container is not None:
        resources = container.resources
        lines.append(
            _field(
                "resources",
                f"requests {_resources(resources.requests if resources else None)}"
                f"  limits {_resources(resources.limits if resources else None)}",
            )
        )
    if adj_parts is not None:
        value, rule, formula, inputs = adj_parts
        lines.append(
            _field(
                "oom_score_adj",
                (str(value) if value is not None else "unknown", "bold"),
                f"  {rule}",
            )
        )
        if formula:
            lines.append(_field("formula", formula))
        if inputs:
            lines.append(_field("inputs", inputs))
    return lines


def owner_chain(pod: Pod, pods_by_uid: dict[str, Pod]) -> str:
    """``ReplicaSet web-5d4 → …`` following owners through pods we know (executor →
    driver → its owner); other kinds are shown as the last link."""
    links: list[str] = []
    current: Pod | None = pod
    seen: set[str] = set()
    while current is not None:
        refs = current.metadata.owner_references
        ref = next((r for r in refs if r.controller), refs[0] if refs else None)
        if ref is None or (ref.uid or "") in seen:
            break
        seen.add(ref.uid or "")
        links.append(f"{ref.kind or '?'} {ref.name or '?'}")
        current = pods_by_uid.get(ref.uid or "") if ref.kind == "Pod" else None
    return " → ".join(links) or "none (a bare pod)"


def pod_lines(
    pod: Pod, capacity: int | None, pods_by_uid: dict[str, Pod], now: datetime
) -> list[Content]:
    """The whole containers pane for ``pod``."""
    columns = pod_columns(pod, now)
    meta, status = pod.metadata, pod.status
    lines = [
        Content.assemble(
            (qualified(meta.namespace, meta.name), "bold"),
            "  ",
            (columns.status, "bold $accent"),
            f"  ready {columns.ready}  restarts {columns.restarts}  age {columns.age}",
        ),
        _field(
            "node", columns.node, f"  QoS {effective_qos(pod) or '?'}  phase {status.phase or '?'}"
        ),
    ]
    if status.reason or status.message:
        lines.append(_field("pod reason", " ".join(filter(None, (status.reason, status.message)))))
    if meta.deletion_timestamp is not None:
        lines.append(
            _field(
                "deleting",
                f"deadline {ago(now, meta.deletion_timestamp)}, "
                f"finalizers {', '.join(meta.finalizers) or 'none'}",
            )
        )
    lines.append(_field("owners", owner_chain(pod, pods_by_uid)))
    labels = meta.labels or {}
    engine = [
        f"{k}={labels[k]}"
        for k in (ROLE_LABEL, APP_ID_LABEL, KYUUBI_TAG_LABEL, APP_NAME_LABEL)
        if k in labels
    ]
    if engine:
        lines.append(_field("engine labels", "  ".join(engine)))
    specs = {(c.name, True): c for c in pod.spec.init_containers}
    specs.update({(c.name, False): c for c in pod.spec.containers})
    adjs = {
        (c.name, is_init): (
            a.value,
            a.rule,
            a.formula,
            ", ".join(f"{k}={v}" for k, v in a.inputs.items() if v is not None),
        )
        for c, is_init, a in pod_oom_score_adjs(pod, capacity)
    }
    for report in container_terminations(pod):
        lines.append(Content(""))
        key = (report.name, report.init)
        lines += container_block(report, specs.get(key), adjs.get(key), now)
    return lines


class PodDetailScreen(WriteActions, CopyActions, Screen):
    BINDINGS: ClassVar = [
        Binding("escape", "app.pop_screen", "Back", id="detail-back"),
        Binding("c", "tab('containers')", "Containers", id="detail-containers"),
        Binding("l", "tab('logs')", "Logs", id="detail-logs"),
        Binding("e", "tab('events')", "Events", id="detail-events"),
        Binding("o", "next_container", "Log container", show=False, id="detail-log-container"),
        Binding("p", "toggle_previous", "Previous log", show=False, id="detail-previous-log"),
        *POD_ACTION_BINDINGS,
        *COPY_BINDINGS,
    ]

    DEFAULT_CSS = """
    PodDetailScreen #detail-containers-body { padding: 0 1; }
    PodDetailScreen Log { height: 1fr; }
    PodDetailScreen #log-title { height: 1; background: $panel; padding: 0 1; }
    PodDetailScreen #detail-events-body { padding: 0 1; }
    """

    def __init__(self, data: DashboardData, uid: str, kube: KubeClient | None) -> None:
        super().__init__()
        self.data = data
        self.uid = uid
        self.kube = kube
        pod = data.store.pods[uid]
        self.namespace = pod.metadata.namespace or ""
        self.pod_name = pod.metadata.name or ""
        self.containers = [r.name or "" for r in container_terminations(pod)]
        self.log_container = self._default_container(pod)
        self.previous = False
        self._stream: LogStream | None = None
        #: Delays before a failed log follower or events read starts over.
        self._log_backoff = Backoff()
        self._events_backoff = Backoff()

    def selected(self) -> tuple[Pod | None, Engine | None]:
        """The write keys act on this pod (its engine for a kill)."""
        return self.data.store.pods.get(self.uid), None

    @staticmethod
    def _default_container(pod: Pod) -> str:
        """The Spark container, else the first regular container, else the first one."""
        reports = container_terminations(pod)
        spark = next((r.name for r in reports if r.spark), None)
        regular = next((r.name for r in reports if not r.init), None)
        return spark or regular or (reports[0].name if reports else "") or ""

    def compose(self) -> ComposeResult:
        with TabbedContent(initial="containers"):
            with TabPane("Containers", id="containers"), VerticalScroll():
                yield Static(Content(""), id="detail-containers-body")
            with TabPane("Logs", id="logs"):
                yield Static(Content(""), id="log-title")
                yield Log(max_lines=LOG_LINES, id="log")
            with TabPane("Events", id="events"), VerticalScroll():
                yield Static(Content("Loading events…"), id="detail-events-body")
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        self.show_pod()

    def on_unmount(self) -> None:
        self._stop_log()

    # ------------------------------------------------------------------ containers

    def pods_changed(self, uids: set[str]) -> None:
        if self.uid in uids and self.is_running:  # not while being removed
            self.show_pod()

    def show_pod(self) -> None:
        body = self.query_one("#detail-containers-body", Static)
        pod = self.data.store.pods.get(self.uid)
        if pod is None:
            body.update(
                Content.styled(f"{self.namespace}/{self.pod_name} was deleted.", "$sev-warning")
            )
            return
        capacity = self.data.capacities.get(pod.spec.node_name or "")
        lines = pod_lines(pod, capacity, self.data.store.pods, self.data.now())
        body.update(Content("\n").join(lines))

    # ------------------------------------------------------------------ tabs

    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id == "logs" and self._stream is None:
            self._start_log()
        elif event.pane.id == "events":
            self._load_events()

    # ------------------------------------------------------------------ logs

    def _log_title(self, note: str = "") -> None:
        which = "previous instance" if self.previous else "following"
        text = f"container {self.log_container} ({which}; o: next container, p: previous)"
        self.query_one("#log-title", Static).update(Content(f"{text}  {note}".rstrip()))

    def _start_log(self) -> None:
        self._stop_log()
        log = self.query_one(Log)
        log.clear()
        self._log_title()
        if self.kube is None:
            log.write_line("Logs need a cluster connection.")
            return
        self._stream = LogStream(
            self.kube,
            self.namespace,
            self.pod_name,
            self.log_container,
            previous=self.previous,
            follow=not self.previous,
        )
        self._follow_log(self._stream)

    def _stop_log(self) -> None:
        if self._stream is not None:
            self._stream.close()
            self._stream = None

    @work(thread=True, group="pod-log", exclusive=True, exit_on_error=False)
    def _follow_log(self, stream: LogStream) -> None:
        worker = get_current_worker()
        try:
            for lines in stream.chunks():
                if worker.is_cancelled:
                    return
                self.app.call_from_thread(self._append_log, stream, lines)
        except KubeError as exc:
            if not worker.is_cancelled:
                self.app.call_from_thread(self._append_log, stream, [f"[kubetui] {exc}"])
        except Exception as exc:  # anything else: shown, logged, and the follower restarts
            if not worker.is_cancelled:
                delay = self._log_backoff.step()
                cause = log_failure("pod log", exc, delay)
                self.app.call_from_thread(self._log_failed, stream, cause, delay)

    def _append_log(self, stream: LogStream, lines: list[str]) -> None:
        if stream is self._stream:
            self.query_one(Log).write_lines(lines)

    def _log_failed(self, stream: LogStream, cause: str, delay: float) -> None:
        """The follower failed: say so in the title; after ``delay`` it starts over as when
        the tab was opened (the tail again, then following), unless another stream has
        replaced it meanwhile."""
        if stream is not self._stream:
            return
        self._log_title(f"error: {cause}; restarting in {delay:.1f} s")
        self.set_timer(delay, lambda: self._start_log() if stream is self._stream else None)

    def action_next_container(self) -> None:
        if self.containers:
            index = (self.containers.index(self.log_container) + 1) % len(self.containers)
            self.log_container = self.containers[index]
            self.action_tab("logs")
            self._start_log()

    def action_toggle_previous(self) -> None:
        self.previous = not self.previous
        self.action_tab("logs")
        self._start_log()

    # ------------------------------------------------------------------ events

    def _load_events(self) -> None:
        if self.kube is None:
            self._show_events(Content("Events need a cluster connection."))
            return
        self._fetch_events(self.kube)

    @work(thread=True, group="pod-events", exclusive=True, exit_on_error=False)
    def _fetch_events(self, kube: KubeClient) -> None:
        pod = self.data.store.pods.get(self.uid)
        uid = pod.metadata.uid if pod is not None else None
        try:
            events = fetch_pod_events(kube, self.namespace, self.pod_name, uid)
        except KubeError as exc:
            self.app.call_from_thread(self._show_events, Content(f"Events cannot be read: {exc}"))
            return
        except Exception as exc:  # anything else: shown, logged, and read again
            delay = self._events_backoff.step()
            cause = log_failure("pod events", exc, delay)
            self.app.call_from_thread(self._events_failed, cause, delay)
            return
        now = self.data.now()
        if not events:
            body = Content("Events: <none> (events expire after an hour by default)")
        else:
            header = Content.styled(
                f"{'TYPE':<8} {'REASON':<18} {'AGE':<20} {'FROM':<16} MESSAGE", "bold"
            )
            rows = [
                Content.assemble(
                    ((e.type or "")[:8].ljust(8), "$sev-warning" if e.type == "Warning" else ""),
                    f" {(e.reason or '')[:18]:<18} {event_age(e, now)[:20]:<20} "
                    f"{event_source(e)[:16]:<16} {' '.join((e.message or '').split())}",
                )
                for e in events
            ]
            body = Content("\n").join([header, *rows])
        self.app.call_from_thread(self._show_events, body)

    def _show_events(self, body: Content) -> None:
        self.query_one("#detail-events-body", Static).update(body)

    def _events_failed(self, cause: str, delay: float) -> None:
        text = f"Events: error: {cause}; reading them again in {delay:.1f} s"
        self._show_events(Content.styled(text, "$sev-critical"))
        self.set_timer(delay, self._load_events)
