"""Seeded random pods for the kubectl-columns differential: every combination of
waiting/running/terminated, last states, reasons, signals, init containers and sidecars,
deletion, node-lost reasons, readiness gates and scheduling gates that the real
kube-apiserver accepts.

Each case is a spec (written at create) and a status (written through the ``status``
subresource, as a kubelet would), plus whether the pod is then deleted while a finalizer
holds it (so it carries a deletionTimestamp). What the server refuses is counted by the
test, not second-guessed here.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

WAITING_REASONS = (
    "ContainerCreating",
    "PodInitializing",
    "CrashLoopBackOff",
    "ImagePullBackOff",
    "ErrImagePull",
    "CreateContainerConfigError",
    "RunContainerError",
    "",
)
TERMINATED_REASONS = ("Completed", "Error", "OOMKilled", "ContainerCannotRun", "StartError", "")
EXIT_CODES = (0, 1, 2, 137, 143, 255)
SIGNALS = (0, 0, 0, 9, 15)
POD_REASONS = (None, None, None, "Evicted", "NodeLost", "UnexpectedAdmissionError", "Shutdown")
PHASES = ("Pending", "Running", "Running", "Succeeded", "Failed", "Unknown")
GATE = "example.com/feature-ready"


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class PodCase:
    name: str
    spec: dict[str, Any]
    status: dict[str, Any]
    deleting: bool


class PodMatrix:
    """Random pods from one seed; ``now`` anchors every timestamp."""

    def __init__(self, seed: int, now: datetime | None = None) -> None:
        self.rng = random.Random(seed)
        self.now = now or datetime.now(UTC)

    def ago(self) -> datetime:
        # seconds to days: each branch of kubectl's HumanDuration
        scale = self.rng.choice((30, 400, 4000, 40000, 400000))
        return self.now - timedelta(seconds=self.rng.randint(1, scale))

    def state(self, *, allow_none: bool = True) -> dict[str, Any]:
        kind = self.rng.choice(
            ("waiting", "running", "terminated", "none" if allow_none else "running")
        )
        if kind == "none":
            return {}
        if kind == "waiting":
            reason = self.rng.choice(WAITING_REASONS)
            return {"waiting": {"reason": reason} if reason else {}}
        if kind == "running":
            return {"running": {"startedAt": _iso(self.ago())}}
        return {"terminated": self.terminated()}

    def terminated(self) -> dict[str, Any]:
        started = self.ago()
        finished = min(self.now, started + timedelta(seconds=self.rng.randint(0, 3600)))
        body: dict[str, Any] = {
            "exitCode": self.rng.choice(EXIT_CODES),
            "startedAt": _iso(started),
            "finishedAt": _iso(finished),
        }
        reason = self.rng.choice(TERMINATED_REASONS)
        if reason:
            body["reason"] = reason
        signal = self.rng.choice(SIGNALS)
        if signal:
            body["signal"] = signal
        return body

    def container_status(self, name: str, *, init: bool = False) -> dict[str, Any]:
        status: dict[str, Any] = {
            "name": name,
            "image": "busybox:1.36",
            "imageID": "",
            "ready": self.rng.random() < 0.5,
            "restartCount": self.rng.choice((0, 0, 1, 3, 17)),
            "state": self.state(),
            "lastState": {"terminated": self.terminated()} if self.rng.random() < 0.4 else {},
        }
        if self.rng.random() < 0.7:
            status["started"] = self.rng.random() < 0.6
        if status["restartCount"] == 0 and not init and self.rng.random() < 0.5:
            status["lastState"] = {}
        return status

    def case(self, index: int) -> PodCase:
        rng = self.rng
        containers = [f"c{i}" for i in range(rng.choice((1, 1, 2, 3)))]
        inits = [f"init{i}" for i in range(rng.choice((0, 0, 1, 2)))]
        sidecars = {name for name in inits if rng.random() < 0.4}
        gated = rng.random() < 0.05
        spec: dict[str, Any] = {
            "containers": [{"name": c, "image": "busybox:1.36"} for c in containers],
            "restartPolicy": rng.choice(("Always", "OnFailure", "Never")),
            "terminationGracePeriodSeconds": 30,
        }
        if inits:
            spec["initContainers"] = [
                {
                    "name": c,
                    "image": "busybox:1.36",
                    **({"restartPolicy": "Always"} if c in sidecars else {}),
                }
                for c in inits
            ]
        if rng.random() < 0.15:
            spec["readinessGates"] = [{"conditionType": GATE}]
        if gated:
            spec["schedulingGates"] = [{"name": "example.com/wait"}]
        else:
            spec["nodeName"] = "diff-node"

        conditions: list[dict[str, Any]] = []
        for kind in ("Initialized", "Ready", "ContainersReady"):
            if rng.random() < 0.8:
                conditions.append({"type": kind, "status": rng.choice(("True", "False"))})
        if gated:
            conditions.append(
                {"type": "PodScheduled", "status": "False", "reason": "SchedulingGated"}
            )
        if "readinessGates" in spec and rng.random() < 0.7:
            conditions.append({"type": GATE, "status": rng.choice(("True", "False"))})
        status: dict[str, Any] = {"phase": rng.choice(PHASES), "conditions": conditions}
        reason = rng.choice(POD_REASONS)
        if reason:
            status["reason"] = reason
        if inits and rng.random() < 0.85:
            status["initContainerStatuses"] = [
                self.container_status(c, init=True) for c in inits if rng.random() < 0.9
            ]
        if rng.random() < 0.9:
            chosen = [c for c in containers if rng.random() < 0.9]
            status["containerStatuses"] = [self.container_status(c) for c in chosen]
        if rng.random() < 0.3:
            status["podIP"] = f"10.244.{index // 250}.{index % 250 + 1}"
            status["podIPs"] = [{"ip": status["podIP"]}]
        return PodCase(name=f"m{index:05d}", spec=spec, status=status, deleting=rng.random() < 0.12)
