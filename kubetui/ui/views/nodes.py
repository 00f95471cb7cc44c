"""4 Nodes / OOM order: which container the kernel would kill first on each node.

Left, the nodes; right, the selected node's running containers in OOM-kill order
(``oom_order.oom_kill_order``, ranked by memory in use when metrics.k8s.io is served),
and under it the kubelet's ``oom_score_adj`` rule, formula and inputs for the selected
container (``qos.container_oom_score_adj``).
Enter or → moves into the OOM list, esc or ← back to the nodes.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import ClassVar, NamedTuple

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Static

from kubetui.model.oom_order import (
    OomCandidate,
    UsageKey,
    node_memory_capacity,
    oom_kill_order,
)
from kubetui.model.pod_status import is_pod_phase_terminal
from kubetui.model.qos import container_oom_score_adj
from kubetui.model.records import Container, Node, Pod
from kubetui.ui.line_table import Column, LineTable, Row
from kubetui.ui.messages import PodChosen
from kubetui.ui.rows import memory_text, qualified
from kubetui.ui.views.base import View

#: Changed keys above which the placement is redone lazily (a LIST, not a watch batch).
_BIG_BATCH = 512

NODE_COLUMNS = (
    Column("", 2, whole=True),
    # EC2 names differ in the middle (ip-10-0-0-11.ec2.internal): cut at the end.
    Column("NODE", 16, flex=2, max_width=63),
    Column("MEMORY", 6, right=True, whole=True, priority=2),
    Column("PODS", 4, right=True, whole=True, priority=3),
    Column("CONDITIONS", 8, flex=1, max_width=50, priority=1),
)
#: Narrowing, the columns go in this order: LIMIT, REQUEST, QoS, CONTAINER, USED, SCORE;
#: the rank, the pod and its oom_score_adj stay.
OOM_COLUMNS = (
    Column("#", 3, right=True, whole=True),
    Column("NAMESPACE/POD", 16, flex=2, max_width=80, middle=True, grow_to=32, grow_at=4),
    Column("CONTAINER", 10, flex=1, max_width=40, priority=4),
    Column("QoS", 10, whole=True, max_width=12, priority=5),
    Column("ADJ", 5, right=True, whole=True, priority=1),
    Column("USED", 7, right=True, whole=True, priority=3),
    Column("SCORE", 5, right=True, whole=True, priority=2),
    Column("REQUEST", 7, right=True, whole=True, priority=6),
    Column("LIMIT", 7, right=True, whole=True, priority=7),
)
_PRESSURES = ("MemoryPressure", "DiskPressure", "PIDPressure")


class _Victim(NamedTuple):
    rank: int
    candidate: OomCandidate
    pod: Pod
    container: Container


def node_conditions(node: Node) -> tuple[str, str | None]:
    """("Ready MemoryPressure", style): what the node's conditions say, worst first."""
    status = {c.type: c.status for c in node.status.conditions}
    words = [p for p in _PRESSURES if status.get(p) == "True"]
    ready = status.get("Ready")
    words.insert(0, "Ready" if ready == "True" else "NotReady" if ready else "Ready?")
    if node.spec.unschedulable:
        words.append("Cordoned")
    style = "critical" if ready != "True" else "warning" if len(words) > 1 else None
    return " ".join(words), style


def _candidate_key(c: OomCandidate) -> str:
    return f"{c.namespace}/{c.pod}/{c.container}/{int(c.is_init)}"


class NodesView(View):
    NUMBER: ClassVar[int] = 4
    TITLE: ClassVar[str] = "Nodes / OOM order"
    SHORT: ClassVar[str] = "Nodes"
    SORTS: ClassVar[tuple[str, ...]] = ("name", "pods", "memory")

    BINDINGS: ClassVar = [
        Binding("right", "focus_oom", "OOM list", show=False, id="nodes-oom-list"),
        Binding("left", "focus_nodes", "Nodes", show=False, id="nodes-node-list"),
    ]

    DEFAULT_CSS = """
    NodesView #nodes-table { width: 45%; min-width: 30; }
    NodesView #oom-side { width: 1fr; }
    NodesView #oom-table { height: 1fr; }
    NodesView #oom-formula {
        height: auto; max-height: 9; padding: 0 1; background: $panel; color: $foreground;
    }
    """

    def __init__(self, data, *, id: str | None = None) -> None:
        super().__init__(data, id=id)
        #: node name → store key → the live (non-terminal) pods bound to it, and the node
        #: each placed pod is on: kept from the ingest's changed keys, never by a walk
        #: over every pod (~40 ms at 50k) at each repaint.
        self._pods_on: dict[str, dict[str, Pod]] = {}
        self._node_of: dict[str, str] = {}
        #: Placement to be redone from the store at the next reload (after a big batch).
        self._stale = False
        self._victims: dict[str, _Victim] = {}
        self._node_name: str | None = None
        self._victims_generation = 0

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield LineTable(
                NODE_COLUMNS,
                self._node_row,
                lambda key: (id(self.data.store.nodes.get(key)), len(self._pods_on.get(key, ()))),
                empty_text="Waiting for nodes…",
                id="nodes-table",
            )
            with Vertical(id="oom-side"):
                yield LineTable(
                    OOM_COLUMNS,
                    self._victim_row,
                    lambda key: self._victims_generation,
                    empty_text="No running container on this node.",
                    id="oom-table",
                )
                yield Static(Content(""), id="oom-formula")

    @property
    def oom_table(self) -> LineTable:
        return self.query_one("#oom-table", LineTable)

    # ------------------------------------------------------------------ rows

    def _node_row(self, name: str) -> Row:
        node = self.data.store.nodes.get(name)
        if node is None:
            return Row(("", name, "", "", "(gone)"))
        conditions, style = node_conditions(node)
        cells = (
            {"critical": "!!", "warning": " !"}.get(style or "", ""),
            name,
            memory_text(node_memory_capacity(node)),
            str(len(self._pods_on.get(name, ()))),
            conditions,
        )
        return Row(cells, (style, None, None, None, style))

    def _victim_row(self, key: str) -> Row:
        victim = self._victims[key]
        c = victim.candidate
        name = c.container or "?"
        if c.is_init:
            name += " (init)"
        adj = c.oom_score_adj
        style = "critical" if adj is not None and adj >= 1000 else None
        cells = (
            str(victim.rank),
            qualified(c.namespace, c.pod),
            name,
            c.qos or "?",
            "?" if adj is None else str(adj),
            memory_text(c.usage_bytes),
            "?" if c.oom_score is None else str(c.oom_score),
            memory_text(c.request_bytes),
            memory_text(c.limit_bytes),
        )
        return Row(cells, (None, None, None, None, style))

    # ------------------------------------------------------------------ data

    def pods_changed(self, changed: Collection[str], removed: Collection[str]) -> None:
        """Move the changed pods between nodes (the ingest's keys, as PodsView gets them).

        A big batch (a LIST) only marks the placement stale: it is redone from the store
        when this view is next drawn, not on the UI thread before the first paint."""
        if self._stale or len(changed) + len(removed) > _BIG_BATCH:
            self._stale = True
            return
        self._place(changed, removed)

    def _place(self, changed: Collection[str], removed: Collection[str]) -> None:
        pods = self.data.store.pods
        for key in (*removed, *changed):
            node = self._node_of.pop(key, None)
            if node is not None:
                on = self._pods_on[node]
                del on[key]
                if not on:
                    del self._pods_on[node]
        for key in changed:
            pod = pods.get(key)
            node = pod.spec.node_name if pod is not None else None
            if node and not is_pod_phase_terminal(pod.status.phase):
                self._pods_on.setdefault(node, {})[key] = pod
                self._node_of[key] = node

    def reload(self) -> None:
        store = self.data.store
        if self._stale:
            self._pods_on, self._node_of, self._stale = {}, {}, False
            self._place(store.pods.keys(), ())
        pods_on = self._pods_on
        needle = self.filter_text.strip().lower()
        names = [n for n in store.nodes if needle in n.lower()]
        if self.sort == "pods":
            names.sort(key=lambda n: (-len(pods_on.get(n, ())), n))
        elif self.sort == "memory":
            names.sort(key=lambda n: (-(node_memory_capacity(store.nodes[n]) or 0), n))
        else:
            names.sort()
        table = self.table
        table.empty_text = (
            "No node matches the filter."
            if store.nodes
            else "Waiting for nodes…"
            if store.nodes_known or "nodes" not in store.sync
            else "Nodes cannot be listed (forbidden): OOM order unknown."
        )
        table.set_keys(names)
        self._show_node(table.selected_key)

    def _show_node(self, name: str | None) -> None:
        self._node_name = name
        node = self.data.store.nodes.get(name) if name else None
        victims: dict[str, _Victim] = {}
        if node is not None:
            pods = list(self._pods_on.get(name or "", {}).values())
            by_name = {(p.metadata.namespace, p.metadata.name): p for p in pods}
            for rank, c in enumerate(oom_kill_order(pods, node, self._usage(pods)), start=1):
                pod = by_name[c.namespace, c.pod]
                spec = pod.spec.init_containers if c.is_init else pod.spec.containers
                container = next(x for x in spec if x.name == c.container)
                victims[_candidate_key(c)] = _Victim(rank, c, pod, container)
        self._victims = victims
        self._victims_generation += 1
        self.oom_table.set_keys(list(victims))
        self._show_formula(self.oom_table.selected_key)

    def _usage(self, pods: list[Pod]) -> dict[UsageKey, int]:
        """Container memory in use (metrics.k8s.io), keyed as ``oom_kill_order`` wants."""
        usage: dict[UsageKey, int] = {}
        by_pod = self.data.store.pod_usage
        for pod in pods:
            meta = pod.metadata
            for container, used in by_pod.get(f"{meta.namespace}/{meta.name}", {}).items():
                if used.memory_bytes is not None:
                    usage[meta.namespace, meta.name, container] = used.memory_bytes
        return usage

    def _show_formula(self, key: str | None) -> None:
        formula = self.query_one("#oom-formula", Static)
        victim = self._victims.get(key) if key else None
        node = self.data.store.nodes.get(self._node_name or "")
        if victim is None or node is None:
            formula.update(Content("Select a container to see its oom_score_adj."))
            return
        adj = container_oom_score_adj(victim.pod, victim.container, node_memory_capacity(node))
        inputs = ", ".join(f"{k}={v}" for k, v in adj.inputs.items() if v is not None)
        lines = [
            Content.assemble(
                ("oom_score_adj ", "bold"),
                str(adj.value if adj.value is not None else "unknown"),
                f"  ({adj.rule})",
            ),
            Content(f"formula: {adj.formula or 'a constant of pkg/kubelet/qos/policy.go'}"),
            Content(f"inputs: {inputs or '-'}"),
            Content(f"rank basis: {victim.candidate.basis}"),
        ]
        c = victim.candidate
        if c.oom_score is not None:
            lines.append(
                Content(
                    f"estimated score {c.oom_score} = {c.usage_bytes}*1000/"
                    f"{node_memory_capacity(node)} + {c.oom_score_adj}"
                    f" (/proc oom_score ≈ {c.proc_oom_score})"
                )
            )
        formula.update(Content("\n").join(lines))

    def on_line_table_cursor_moved(self, event: LineTable.CursorMoved) -> None:
        event.stop()
        if event.table.id == "nodes-table":
            self._show_node(event.key)
        else:
            self._show_formula(event.key)

    def on_line_table_row_activated(self, event: LineTable.RowActivated) -> None:
        event.stop()
        if event.table.id == "nodes-table":
            self.action_focus_oom()
        elif (victim := self._victims.get(event.key)) and victim.pod.metadata.uid:
            self.post_message(PodChosen(victim.pod.metadata.uid))

    def action_focus_oom(self) -> None:
        self.oom_table.focus()

    def action_focus_nodes(self) -> None:
        self.table.focus()

    def clear_scope(self) -> bool:
        if self.oom_table.has_focus:
            self.table.focus()
            return True
        return False
