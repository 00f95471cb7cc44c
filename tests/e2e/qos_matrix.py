"""Seeded random pod specs for the QoS differential: containers, init containers and
sidecars with every mix of cpu/memory requests and limits (limits alone, requests alone,
equal, smaller, zero, extended resources only) and, for some pods, pod-level resources.

Every spec is one the real kube-apiserver accepts: requests never exceed limits, pod-level
values exceed what the containers ask, and quantities are written in canonical form (the
server would rewrite ``1024Mi`` as ``1Gi``; the comparison is of QoS, not of quantity
printing). The server decides the class at creation (``status.qosClass``); the test
compares the sim's answer to it.
"""

from __future__ import annotations

import random
from typing import Any

CPU = ("100m", "250m", "500m", "1", "2")
MEMORY = ("64Mi", "128Mi", "256Mi", "512Mi", "1Gi")
SHAPES = (
    "none",
    "requests",
    "limits",
    "equal",
    "smaller",
    "zero-request",
    "ephemeral-only",
    "cpu-only-equal",
)


class QosMatrix:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def _pair(self, values: tuple[str, ...]) -> tuple[str, str]:
        """(request, limit) with request ≤ limit."""
        low = self.rng.randrange(len(values))
        high = self.rng.randrange(low, len(values))
        return values[low], values[high]

    def resources(self) -> dict[str, Any]:
        shape = self.rng.choice(SHAPES)
        kinds = [k for k in ("cpu", "memory") if self.rng.random() < 0.7] or ["cpu"]
        table = {"cpu": CPU, "memory": MEMORY}
        if shape == "none":
            return {}
        if shape == "ephemeral-only":
            return {"requests": {"ephemeral-storage": "1Gi"}}
        if shape == "zero-request":
            return {"requests": {k: "0" for k in kinds}}
        if shape == "cpu-only-equal":
            value = self.rng.choice(CPU)
            return {"limits": {"cpu": value}, "requests": {"cpu": value}}
        requests, limits = {}, {}
        for kind in kinds:
            low, high = self._pair(table[kind])
            if shape == "requests":
                requests[kind] = low
            elif shape == "limits":
                limits[kind] = high
            elif shape == "equal":
                requests[kind] = limits[kind] = high
            else:
                requests[kind], limits[kind] = low, high
        out: dict[str, Any] = {}
        if limits:
            out["limits"] = limits
        if requests:
            out["requests"] = requests
        return out

    def spec(self, guaranteed_bias: bool) -> dict[str, Any]:
        """One pod spec; with ``guaranteed_bias`` every container sets equal cpu and
        memory requests and limits (often Guaranteed, unless an init container differs)."""
        rng = self.rng

        def container(name: str) -> dict[str, Any]:
            if guaranteed_bias:
                cpu, memory = rng.choice(CPU), rng.choice(MEMORY)
                both = {"cpu": cpu, "memory": memory}
                res: dict[str, Any] = {"limits": dict(both), "requests": dict(both)}
                if rng.random() < 0.3:
                    res = {"limits": dict(both)}  # requests default to the limits
            else:
                res = self.resources()
            out: dict[str, Any] = {"name": name, "image": "busybox:1.36"}
            if res:
                out["resources"] = res
            return out

        spec: dict[str, Any] = {
            "containers": [container(f"c{i}") for i in range(rng.choice((1, 1, 2, 3)))],
            "nodeName": "conformance-ghost",
        }
        inits = []
        for i in range(rng.choice((0, 0, 0, 1, 2))):
            init = container(f"init{i}")
            if rng.random() < 0.4:
                init["restartPolicy"] = "Always"
            inits.append(init)
        if inits:
            spec["initContainers"] = inits
        if rng.random() < 0.12:
            # pod-level requests are always written: a pod-level limit alone is defaulted
            # from the containers' aggregate requests, a sum this suite does not judge
            level: dict[str, Any] = {"limits": {"cpu": "8", "memory": "16Gi"}}
            if rng.random() < 0.5:
                level["requests"] = {"cpu": "8", "memory": "16Gi"}
            else:
                level["requests"] = {"cpu": "4", "memory": "8Gi"}
            spec["resources"] = level
        return spec
