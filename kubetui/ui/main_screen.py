"""The main screen: header, view bar, the five views, the filter line and the footer."""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import ClassVar, Final

from textual import events, on
from textual.app import ComposeResult
from textual.content import Content
from textual.geometry import Region, Size
from textual.screen import Screen
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import ContentSwitcher, Footer, Input

from kubetui.model.engines import Engine
from kubetui.model.records import Pod
from kubetui.ui.action_runner import WriteActions, refused_read_only
from kubetui.ui.cleanup_screen import CleanupScreen
from kubetui.ui.clipboard import CopyActions, Selection
from kubetui.ui.data import DashboardData
from kubetui.ui.header import StatusHeader, Target, ViewBar
from kubetui.ui.keymap import (
    CLEANUP_BINDINGS,
    COPY_BINDINGS,
    POD_ACTION_BINDINGS,
    VIEW_BINDINGS,
)
from kubetui.ui.line_table import LineTable
from kubetui.ui.messages import PodChosen
from kubetui.ui.views.base import View
from kubetui.ui.views.engines import EnginesView
from kubetui.ui.views.findings import FindingsView
from kubetui.ui.views.hot_loops import HotLoopsView
from kubetui.ui.views.nodes import NodesView
from kubetui.ui.views.pods import PodsView

VIEW_IDS = {1: "findings", 2: "pods", 3: "engines", 4: "nodes", 5: "hot-loops"}
#: Hidden views are laid out one per this many seconds (``lay_out_hidden_views``).
LAY_OUT_HIDDEN_DELAY = 0.05


try:
    # Private to Textual: it has no public off-screen layout. Without it (a Textual that
    # moved it), views are laid out when first shown, as before; tests/ui/test_first_use.py
    # fails on such a Textual so that the loss is seen.
    from textual._compositor import Compositor
except ImportError:  # pragma: no cover - depends on the installed Textual
    Compositor = None  # type: ignore[assignment,misc]

#: Whether hidden views can be laid out ahead (``lay_out_hidden``) with this Textual.
CAN_LAY_OUT_AHEAD: Final = Compositor is not None and hasattr(Widget, "_size_updated")


def lay_out_hidden(root: Widget, size: Size) -> None:
    """Size ``root`` (a hidden view) and its widgets as a layout pass of the screen would
    if it were shown at ``size``, without drawing anything.

    The screen lays out only what is displayed, so a view's first showing took three or
    four screen updates (its first layout; a second one once its table, sized, knew it
    needed a scrollbar; the scrollbar's own), 50–70 ms after the key at 50k pods. Laid
    out beforehand, showing it is one layout pass that changes no size: one update, as
    for a view shown before. A pass can reveal a scrollbar that narrows a table, hence
    a few rounds until no size or scrollbar moves."""
    placed: dict[Widget, Region] = {}
    for _ in range(4):
        compositor = Compositor()
        compositor.reflow(root, size)
        moved = placed != (placed := {w: g.region for w, g in compositor.layers})
        for widget, geometry in compositor.layers:
            region_size, virtual, container = (
                geometry.region.size,
                geometry.virtual_size,
                geometry.container_size,
            )
            if widget._size_updated(region_size, virtual, container, layout=False):
                widget.post_message(events.Resize(region_size, virtual, container))
                moved = True
        if not moved:
            return


class KeyFooter(Footer):
    """Textual's Footer, rebuilt only when the keys it shows change.

    The stock footer recomposes (tens of widgets, each styled) whenever the focus moves,
    ~45 ms at every view switch, though every view's table shows the same keys.
    """

    _shown: tuple | None = None

    def _keys(self, screen: Screen) -> tuple:
        return tuple(
            (b.key, b.description, b.action, b.group, enabled, tooltip)
            for _, b, enabled, tooltip in screen.active_bindings.values()
            if b.show or b.action == "command_palette"
        )

    def compose(self) -> ComposeResult:
        if self._bindings_ready:
            self._shown = self._keys(self.screen)
        yield from super().compose()

    def bindings_changed(self, screen: Screen) -> None:
        if self._shown is not None and screen is self.screen and self._keys(screen) == self._shown:
            return
        super().bindings_changed(screen)


class FilterInput(Input):
    """The filter line. It filters from its value watcher, in the same pass as the key
    that changed it, so the new rows are drawn in the frame that shows the new text
    (through ``Input.Changed`` they took a frame of their own, ~16 ms later)."""

    def __init__(self, on_change: Callable[[str], None], **kwargs) -> None:
        super().__init__(**kwargs)
        self._on_change = on_change

    def watch_value(self, value: str) -> None:
        self._on_change(value)


class MainScreen(WriteActions, CopyActions, Screen):
    BINDINGS: ClassVar = [
        *VIEW_BINDINGS,
        *POD_ACTION_BINDINGS,
        *CLEANUP_BINDINGS,
        *COPY_BINDINGS,
    ]

    DEFAULT_CSS = """
    MainScreen #filter-input { dock: bottom; height: 1; border: none; padding: 0 1; }
    MainScreen #filter-input.hidden { display: none; }
    MainScreen ContentSwitcher { height: 1fr; }
    """

    def __init__(self, data: DashboardData, target: Target) -> None:
        super().__init__(id="main")
        self.data = data
        self.target = target
        self.views: dict[int, View] = {
            1: FindingsView(data, id="findings"),
            2: PodsView(data, id="pods"),
            3: EnginesView(data, id="engines"),
            4: NodesView(data, id="nodes"),
            5: HotLoopsView(data, id="hot-loops"),
        }
        self.current = 1
        #: The operator switched views: the landing rule no longer applies.
        self.view_chosen = False
        #: ``w``: every column, scrolled sideways.
        self.wide = False
        #: Views laid out with their data at the shown view's size (``_lay_out_one``),
        #: and views the screen has shown (laid out there).
        self._ready: set[int] = set()
        self._shown: set[int] = set()
        #: Set by the first ``lay_out_hidden_views``: before it, the data is not all in
        #: and the work (the Nodes view's placement of every pod) would delay the first
        #: paint.
        self._lay_out_ahead = False
        self._laying_out: Timer | None = None

    def compose(self) -> ComposeResult:
        yield StatusHeader(self.target, self.data)
        yield ViewBar(Content(""), id="view-bar")
        with ContentSwitcher(initial="findings"):
            yield from self.views.values()
        yield FilterInput(
            self._filter_changed,
            placeholder="filter (enter keeps, esc clears)",
            id="filter-input",
            classes="hidden",
        )
        yield KeyFooter(show_command_palette=False)

    def on_mount(self) -> None:
        self.current_view.table.focus()
        self.refresh_visible()

    # ------------------------------------------------------------------ state

    @property
    def current_view(self) -> View:
        return self.views[self.current]

    @property
    def pods_view(self) -> PodsView:
        view = self.views[2]
        assert isinstance(view, PodsView)
        return view

    def pods_changed(self, changed: Collection[str], removed: Collection[str]) -> None:
        """The ingest's changed and removed pod keys, for the views that keep indexes."""
        self.pods_view.pods_changed(changed, removed)
        nodes = self.views[4]
        assert isinstance(nodes, NodesView)
        nodes.pods_changed(changed, removed)

    def mark_stale(self) -> None:
        for view in self.views.values():
            view.stale = True

    def refresh_visible(self) -> None:
        """Redraw what is on screen: header, view bar and (if its data changed) the view."""
        view = self.current_view
        if view.stale:
            view.stale = False
            view.reload()
        else:
            view.table.refresh_changed()
        self.query_one(StatusHeader).show()
        self._show_view_bar()

    def lay_out_hidden_views(self) -> None:
        """Lay out, in the background, every hidden view not shown yet with the data as
        it is now (the app calls this when an analysis covering the whole store is in),
        so that its first showing is drawn in one screen update."""
        self._ready &= self._shown
        self._lay_out_ahead = CAN_LAY_OUT_AHEAD
        self._lay_out_later()

    def on_resize(self, event: events.Resize) -> None:
        self._lay_out_later()  # the hidden views, at the new size

    def _lay_out_later(self) -> None:
        if self._lay_out_ahead and self._laying_out is None:
            self._laying_out = self.set_timer(LAY_OUT_HIDDEN_DELAY, self._lay_out_one)

    def _unready(self) -> list[int]:
        """Hidden views not yet laid out with data, or laid out at another size."""
        size = self.current_view.outer_size
        if not size:
            return []
        return [
            number
            for number, view in self.views.items()
            if number != self.current and (number not in self._ready or view.outer_size != size)
        ]

    def _lay_out_one(self) -> None:
        """Reload one hidden view and lay it out off screen (``lay_out_hidden``), off the
        keys' path: one view per timer, so a key waits for one at most."""
        self._laying_out = None
        unready = self._unready()
        if not unready:
            return
        view = self.views[unready[0]]
        if view.stale:
            view.stale = False
            view.reload()
        lay_out_hidden(view, self.current_view.outer_size)
        self._ready.add(unready[0])
        if len(unready) > 1:
            self._lay_out_later()

    def _show_view_bar(self) -> None:
        view = self.current_view
        shown, total = view.counts()
        parts = [f"{shown}/{total}" if shown != total else str(total), f"sort {view.sort}"]
        if view.filter_text:
            parts.append(f"filter {view.filter_text!r}")
        if scope := view.scope_text():
            parts.append(scope)
        if self.wide:
            parts.append("wide")
        titles = [(n, v.TITLE, v.SHORT) for n, v in self.views.items()]
        self.query_one(ViewBar).show(titles, self.current, " · ".join(parts))

    # ------------------------------------------------------------------ actions

    def action_show_view(self, number: int) -> None:
        self.view_chosen = True
        self.show_view(number)

    def show_view(self, number: int) -> None:
        """Show view ``number``, focused. Drawn in the key's own frame: one layout pass;
        the focus move restyles nothing (see ``LineTable.watch_has_focus``)."""
        self._close_filter(keep=True)
        self.current = number
        self._ready.add(number)  # the screen lays it out now
        self._shown.add(number)
        self.query_one(ContentSwitcher).current = VIEW_IDS[number]
        self.current_view.table.focus()
        self.refresh_visible()

    def action_cycle_view(self, step: int) -> None:
        self.action_show_view((self.current - 1 + step) % len(self.views) + 1)

    def action_sort(self) -> None:
        self.current_view.cycle_sort()
        self._show_view_bar()

    def action_filter(self) -> None:
        box = self.query_one("#filter-input", Input)
        box.value = self.current_view.filter_text
        box.remove_class("hidden")
        box.focus()

    def action_back(self) -> None:
        if not self.query_one("#filter-input", Input).has_class("hidden"):
            self._close_filter(keep=False)
            return
        view = self.current_view
        if view.clear_scope():
            self.refresh_visible()
        elif view.filter_text:
            view.set_filter("")
            self._show_view_bar()

    def action_toggle_wide(self) -> None:
        """Every table shows all its columns at their widest and scrolls sideways (←/→),
        or fits the terminal again; the views keep the mode as they are switched."""
        self.wide = not self.wide
        for table in self.query(LineTable):
            table.set_wide(self.wide)
        self._show_view_bar()

    def action_pick_namespace(self) -> None:
        from kubetui.ui.dialogs import NamespacePicker

        namespaces = sorted({p.metadata.namespace or "" for p in self.data.store.pods.values()})
        self.app.push_screen(NamespacePicker(namespaces, self.data.namespace), self.set_namespace)

    def set_namespace(self, namespace: str | None) -> None:
        if namespace == self.data.namespace:
            return
        self.data.namespace = namespace
        self.mark_stale()
        self.refresh_visible()

    # ------------------------------------------------------------------ write keys

    def selected(self) -> tuple[Pod | None, Engine | None]:
        """The selected row's pod (Pods, Findings) or engine (Engines)."""
        view = self.current_view
        key = view.table.selected_key
        pods = self.data.store.pods
        if isinstance(view, PodsView):
            return (pods.get(key) if key else None), None
        if isinstance(view, FindingsView):
            finding = view.finding(key)
            return (pods.get(finding.uid) if finding and finding.uid else None), None
        if isinstance(view, EnginesView):
            return None, view.engine(key)
        return None, None

    def copy_selection(self) -> Selection:
        """What ``y``/``Y`` copy: the write keys' pod or engine, the finding of a
        Findings or Hot loops row, the node of a Nodes row."""
        pod, engine = self.selected()
        view = self.current_view
        key = view.table.selected_key
        finding = view.finding(key) if isinstance(view, FindingsView | HotLoopsView) else None
        node = key if isinstance(view, NodesView) else None
        return Selection(pod, engine, finding, node)

    def action_cleanup(self) -> None:
        if not refused_read_only(self.app):
            self.app.push_screen(CleanupScreen(self.data))

    # ------------------------------------------------------------------ filter line

    def _filter_changed(self, value: str) -> None:
        if self.query_one("#filter-input", Input).has_class("hidden"):
            return  # ``action_filter`` filling in the view's own filter
        self.current_view.set_filter(value)
        self._show_view_bar()

    @on(Input.Submitted, "#filter-input")
    def _filter_submitted(self) -> None:
        self._close_filter(keep=True)

    def _close_filter(self, *, keep: bool) -> None:
        box = self.query_one("#filter-input", Input)
        if box.has_class("hidden"):
            return
        if not keep:
            self.current_view.set_filter("")
        box.add_class("hidden")
        self.current_view.table.focus()
        self._show_view_bar()

    # ------------------------------------------------------------------ rows

    def on_line_table_row_activated(self, event: LineTable.RowActivated) -> None:
        view = self.current_view
        if isinstance(view, PodsView):
            self.post_message(PodChosen(event.key))
        elif isinstance(view, FindingsView):
            finding = view.finding(event.key)
            if finding is not None and finding.uid in self.data.store.pods:
                self.post_message(PodChosen(finding.uid))
        elif isinstance(view, EnginesView):
            engine = view.engine(event.key)
            if engine is not None:
                uids = [p.metadata.uid for p in engine.pods if p.metadata.uid]
                self.pods_view.show_only(uids, f"engine {engine.id}")
                self.action_show_view(2)
