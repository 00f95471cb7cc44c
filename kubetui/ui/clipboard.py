"""Copy and export: ``y`` copies the selection's name, ``Y`` the kubectl command that
shows it, ``x`` writes the findings as a Markdown incident note.

The clipboard is reached with OSC 52, the terminal's own clipboard escape, so it works
from a jump host over SSH: Textual's ``App.copy_to_clipboard`` (Textualize/textual 8.2.8,
``src/textual/app.py``) writes ``ESC ] 52 ; c ; <base64> BEL`` to the terminal and nothing
else. Inside tmux the sequence reaches the outer terminal only with ``set -g
set-clipboard on``: tmux's ``input_osc_52`` (tmux/tmux ``input.c``, 3.5a) drops an
application's OSC 52 unless the option is ``on``, and the default is ``external``; tmux
also needs the outer terminal's ``Ms`` capability (``terminal-features … clipboard``).
kubetui does not wrap the sequence in tmux's DCS passthrough, which needs
``allow-passthrough`` (off by default since tmux 3.3) and would garble it outside tmux.
The README says so.

The copied text is cluster text that the operator will paste into a shell: it is made
one line and inert (``kubetui.model.inert_text``), and every word of a command is quoted
with ``shlex.quote``, so a name can neither carry an escape sequence to the terminal nor
a second command to the shell.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from textual.app import App

from kubetui.headless.markdown_report import (
    NoteSource,
    cluster_source,
    kyuubi_standing,
    render_markdown,
)
from kubetui.model.engines import APP_ID_LABEL, KYUUBI_TAG_LABEL, Engine
from kubetui.model.findings import Finding
from kubetui.model.inert_text import inert, single_line
from kubetui.model.records import Pod
from kubetui.model.triage import engine_row
from kubetui.paths import state_dir
from kubetui.sources.kyuubi import SOURCE as KYUUBI_SOURCE
from kubetui.ui.data import DashboardData

#: Findings about a container whose logs tell the story; the crash loop's are the
#: previous run's (the container now waits in back-off).
_LOG_KINDS = frozenset({"oom_killed", "crash_loop"})
#: What a context name may keep in a file name.
_UNSAFE_FILE_CHARS = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True, slots=True)
class Selection:
    """What the cursor is on: a pod, an engine, and/or the finding of the row; or a
    node."""

    pod: Pod | None = None
    engine: Engine | None = None
    finding: Finding | None = None
    node: str | None = None


def _clean(text: str) -> str:
    return single_line(inert(text))


def _qualified(namespace: str | None, name: str | None) -> str:
    return _clean(f"{namespace}/{name}" if namespace else name or "")


def copy_name(selection: Selection) -> str | None:
    """``namespace/name`` of the selected object, the engine id on an engine; None when
    nothing is selected."""
    if selection.engine is not None:
        return _clean(selection.engine.id)
    if selection.pod is not None:
        return _qualified(selection.pod.metadata.namespace, selection.pod.metadata.name)
    if selection.finding is not None and selection.finding.name:
        return _qualified(selection.finding.namespace, selection.finding.name)
    return _clean(selection.node) if selection.node else None


def _kubectl(namespace: str | None, *words: str) -> str:
    scope = ("-n", namespace) if namespace else ()
    return shlex.join(_clean(word) for word in ("kubectl", *scope, *words))


def _logs_command(finding: Finding) -> str | None:
    """``kubectl logs`` of the finding's container: ``-p`` when the run that ended is
    the previous one (a current termination's logs are the container's own)."""
    container = finding.evidence.get("container")
    if finding.kind not in _LOG_KINDS or not isinstance(container, str) or not finding.name:
        return None
    previous = finding.kind == "crash_loop" or finding.evidence.get("state") == "last"
    words = ["logs", finding.name, "-c", container, *(["-p"] if previous else [])]
    return _kubectl(finding.namespace, *words)


def kubectl_command(selection: Selection) -> str | None:
    """The kubectl command that shows the selected object, quoted for a POSIX shell."""
    engine, pod, finding = selection.engine, selection.pod, selection.finding
    if engine is not None:
        label = (
            f"{APP_ID_LABEL}={engine.app_id}"
            if engine.app_id
            else f"{KYUUBI_TAG_LABEL}={engine.kyuubi_tag or engine.id}"
        )
        return _kubectl(engine.namespace, "get", "pods", "-l", label)
    if finding is not None and (logs := _logs_command(finding)) is not None:
        return logs
    if pod is not None and pod.metadata.name:
        return _kubectl(pod.metadata.namespace, "describe", "pod", pod.metadata.name)
    kind = finding.evidence.get("object_kind") if finding is not None else None
    if finding is not None and finding.name and isinstance(kind, str):
        return _kubectl(finding.namespace, "describe", kind.lower(), finding.name)
    return _kubectl(None, "describe", "node", selection.node) if selection.node else None


def note_text(app: App, data: DashboardData, now: datetime) -> str | None:
    """The incident note of what the dashboard shows (its namespace scope included);
    None before the first analysis."""
    analysis = data.analysis
    if analysis is None:
        return None
    target = app.target  # type: ignore[attr-defined]
    findings = [f for f in analysis.findings if data.in_scope(f.namespace)]
    engines = [engine_row(e) for e in analysis.engines if data.in_scope(e.namespace)]
    namespaces = (data.namespace,) if data.namespace is not None else target.namespaces
    sync = data.store.sync.get(KYUUBI_SOURCE)
    standing = None if sync is None else kyuubi_standing(sync.phase, data.store.kyuubi)
    where = cluster_source(target.context, target.server)
    return render_markdown(findings, engines, now, NoteSource(where, namespaces, standing))


def write_note(text: str, folder: Path, context: str | None, now: datetime) -> Path:
    """Write ``text`` to a new file in ``folder`` (made if missing), never over an
    existing one; OSError when that cannot be done."""
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"kubetui-incident-{_UNSAFE_FILE_CHARS.sub('_', context or 'cluster')}"
    stem += now.strftime("-%Y%m%d-%H%M%S")
    for attempt in range(1, 100):
        path = folder / (f"{stem}.md" if attempt == 1 else f"{stem}-{attempt}.md")
        try:
            with path.open("x", encoding="utf-8") as out:
                out.write(text)
        except FileExistsError:
            continue
        return path.resolve()
    raise FileExistsError(f"{folder / stem}.md and 98 numbered ones exist")


class CopyActions:
    """``y``, ``Y`` and ``x`` of a screen (mixed in before Screen, beside WriteActions,
    whose ``selected`` gives the pod or engine; screens with more kinds of rows
    override ``copy_selection``)."""

    data: DashboardData
    app: App

    def selected(self) -> tuple[Pod | None, Engine | None]:
        raise NotImplementedError

    def copy_selection(self) -> Selection:
        """What ``y``/``Y`` copy."""
        pod, engine = self.selected()
        return Selection(pod, engine)

    def _copy(self, text: str | None) -> None:
        if text is None:
            self.app.notify("nothing to copy here: select a row first")
            return
        self.app.copy_to_clipboard(text)
        self.app.notify(f"copied (OSC 52): {text}", markup=False)

    def action_copy_name(self) -> None:
        self._copy(copy_name(self.copy_selection()))

    def action_copy_kubectl(self) -> None:
        self._copy(kubectl_command(self.copy_selection()))

    def action_export_note(self) -> None:
        now = self.data.now()
        text = note_text(self.app, self.data, now)
        if text is None:
            self.app.notify("no findings yet: the first analysis is running", markup=False)
            return
        context = self.app.target.context  # type: ignore[attr-defined]
        try:
            path = write_note(text, Path.cwd(), context, now)
        except OSError as first:
            # The working dir can be gone or read-only (a jump host's /); during an
            # incident the note must land somewhere: kubetui's own state dir.
            try:
                path = write_note(text, state_dir() / "notes", context, now)
            except OSError as second:
                self.app.notify(
                    f"incident note not written: {first}; nor in the state dir: {second}",
                    severity="error",
                    markup=False,
                    timeout=10,
                )
                return
            self.app.notify(
                f"incident note written to {path} (not in the working dir: {first})",
                severity="warning",
                markup=False,
                timeout=10,
            )
            return
        self.app.notify(f"incident note written to {path}", markup=False, timeout=10)
