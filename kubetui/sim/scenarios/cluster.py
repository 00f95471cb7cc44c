"""A scenario's handle on the simulated cluster: nodes, pod placement, writes, events.

Scenarios build objects with ``kubetui.sim.factory`` and store them through this class,
which knows each node's host IP and pod CIDR (so pod IPs match the node they run on)
and writes through the SimState API only (create / mutate / remove / delete).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from kubetui.sim import factory as f
from kubetui.sim.factory import Obj
from kubetui.sim.state import SimState

#: events older than this are expired by the apiserver (event TTL 1 h)
RECENT_EVENTS = timedelta(minutes=55)


@dataclass
class NodeInfo:
    """What placement needs to know about a node (the node object lives in the state)."""

    name: str
    index: int
    host_ip: str
    #: the scheduler may place new pods here (stored, no NoSchedule taint)
    schedulable: bool = True
    used_ips: set[int] = field(default_factory=set)


def node_name(index: int) -> str:
    """An EC2-style node name whose address matches ``factory.node``'s InternalIP."""
    return f"ip-10-0-{index // 250}-{index % 250 + 10}.ec2.internal"


class Cluster:
    """Writes objects into a SimState and keeps placement bookkeeping."""

    def __init__(self, state: SimState, rng: random.Random) -> None:
        self.state = state
        self.rng = rng
        self.nodes: dict[str, NodeInfo] = {}

    @property
    def now(self) -> datetime:
        return self.state.clock.now()

    # ------------------------------------------------------------------ nodes
    def add_node(
        self,
        index: int,
        *,
        created: datetime,
        cpu: int = 16,
        memory_gib: int = 64,
        instance_type: str = "m5.4xlarge",
        zone: str = "us-east-1a",
        memory_pressure: bool = False,
        store: bool = True,
    ) -> NodeInfo:
        """Register a node; ``store=False`` keeps it only as a placement target (a node that
        has since been deleted from the API)."""
        name = node_name(index)
        obj = f.node(
            self.rng,
            name=name,
            created=created,
            now=self.now,
            index=index,
            cpu=cpu,
            memory_gib=memory_gib,
            instance_type=instance_type,
            zone=zone,
            memory_pressure=memory_pressure,
        )
        if store:
            self.state.create("nodes", obj)
        host_ip = obj["status"]["addresses"][0]["address"]
        info = NodeInfo(name, index, host_ip, schedulable=store and not memory_pressure)
        self.nodes[name] = info
        return info

    def pod_ip(self, node: str) -> str:
        """A free address in the node's /24 pod CIDR (10.244.<index>.0/24)."""
        info = self.nodes[node]
        free = [i for i in range(2, 255) if i not in info.used_ips]
        last = self.rng.choice(free) if free else self.rng.randint(2, 254)
        info.used_ips.add(last)
        return f"10.244.{info.index % 256}.{last}"

    def release_ip(self, node: str | None, ip: str | None) -> None:
        if node in self.nodes and ip:
            self.nodes[node].used_ips.discard(int(ip.rsplit(".", 1)[1]))

    def pick_node(self) -> str:
        """A node the scheduler could use now."""
        return self.rng.choice(sorted(n for n, i in self.nodes.items() if i.schedulable))

    def host_ip(self, node: str | None) -> str:
        return self.nodes[node].host_ip if node in self.nodes else "10.0.0.10"

    # ------------------------------------------------------------------ writes
    def create(self, resource: str, obj: Obj) -> Obj:
        return self.state.create(resource, obj)

    def mutate(
        self, resource: str, namespace: str | None, name: str, fn: Callable[[Obj], None]
    ) -> Obj | None:
        return self.state.mutate(resource, namespace, name, fn)

    def remove_pod(self, namespace: str, name: str) -> None:
        """Delete a pod at once (its owner's dependents are garbage-collected)."""
        pod = self.state.get("pods", namespace, name)
        if pod is not None:
            self.release_ip(pod["spec"].get("nodeName"), pod["status"].get("podIP"))
        self.state.remove("pods", namespace, name)

    def event(self, obj: Obj, *, reason: str, message: str, **kwargs: object) -> Obj:
        """Record a core/v1 Event about ``obj`` (at sim now unless ``at`` is given)."""
        at = kwargs.pop("at", None) or self.now
        return self.state.create(
            "events",
            f.event(self.rng, obj, reason=reason, message=message, at=at, **kwargs),  # type: ignore[arg-type]
        )

    def scheduled(self, pod: Obj, at: datetime | None = None) -> None:
        """The scheduler's ``Scheduled`` event for a bound pod."""
        node = pod["spec"]["nodeName"]
        meta = pod["metadata"]
        self.state.create(
            "events",
            f.scheduler_event(
                self.rng,
                pod,
                reason="Scheduled",
                message=f"Successfully assigned {meta['namespace']}/{meta['name']} to {node}",
                at=at or self.now,
            ),
        )

    def started_events(self, pod: Obj, at: datetime | None = None) -> None:
        """Scheduled, then Pulled/Created/Started per container, as on a healthy start.

        Skipped for starts older than the events' one-hour TTL (they would be gone).
        """
        at = at or self.now
        if at < self.now - RECENT_EVENTS:
            return
        self.scheduled(pod, at)
        node = pod["spec"]["nodeName"]
        for c in pod["spec"].get("initContainers", []) + pod["spec"]["containers"]:
            for reason, message in (
                ("Pulled", f'Container image "{c["image"]}" already present on machine'),
                ("Created", f"Created container: {c['name']}"),
                ("Started", f"Started container {c['name']}"),
            ):
                self.event(
                    pod,
                    reason=reason,
                    message=message,
                    host=node,
                    container_name=c["name"],
                    at=at,
                )
