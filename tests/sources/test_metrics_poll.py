"""metrics.k8s.io usage: read from the sim, absent quietly, stale on errors."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest

from kubetui.model.store import ClusterState, Usage
from kubetui.sim.runner import RunningSim, running_sim
from kubetui.sources.kube_client import KubeError, connect
from kubetui.sources.metrics import MetricsPoller, MetricsUpdate, metrics_api_available


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSim]:
    with running_sim("incidents", 1, frozen=True, tmp_dir=tmp_path_factory.mktemp("sim")) as s:
        yield s


def test_pod_and_node_usage_from_the_sim(sim: RunningSim) -> None:
    update = MetricsPoller(connect(str(sim.kubeconfig_path))).poll_once()
    assert update.available and update.sync.phase == "live"
    usage = sim.state.usage()
    operator = next(k for k in usage if k[0] == "kubero" and k[2] == "manager")
    # The sim serves cpu in nanocores and memory in Ki: read back exactly.
    cpu, memory = usage[operator]
    assert update.pods[f"kubero/{operator[1]}"]["manager"] == Usage(cpu, memory)
    assert len(update.pods) == update.sync.items > 20
    node = next(iter(update.nodes))
    assert update.nodes[node].cpu_millis is not None and update.nodes[node].memory_bytes > 0
    store = ClusterState()
    store.set_usage(update)
    assert store.pod_usage is update.pods and store.sync["metrics"].phase == "live"


def test_namespaces_scope_the_pod_usage(sim: RunningSim) -> None:
    update = MetricsPoller(connect(str(sim.kubeconfig_path)), ["kubero", "default"]).poll_once()
    assert {key.split("/")[0] for key in update.pods} == {"kubero", "default"}


class FakeKube:
    def __init__(self, answers: dict[str, bytes | Exception]) -> None:
        self.answers = answers
        self.paths: list[str] = []

    def get(self, path: str, query=(), **_: object) -> bytes:
        self.paths.append(path)
        answer = self.answers[path]
        if isinstance(answer, Exception):
            raise answer
        return answer


def groups(*pairs: tuple[str, list[str]]) -> bytes:
    doc = {
        "kind": "APIGroupList",
        "groups": [
            {"name": name, "versions": [{"groupVersion": f"{name}/{v}", "version": v} for v in vs]}
            for name, vs in pairs
        ],
    }
    return json.dumps(doc).encode()


# kubernetes/kubectl pkg/cmd/top/top.go SupportedMetricsAPIVersionAvailable (master,
# 2026): only metrics.k8s.io counts, and any of its listed versions may be v1beta1.
AVAILABLE_CASES = [
    ("served", [("apps", ["v1"]), ("metrics.k8s.io", ["v1beta1"])], True),
    ("not preferred but listed", [("metrics.k8s.io", ["v1", "v1beta1"])], True),
    ("other version only", [("metrics.k8s.io", ["v1"])], False),
    ("custom metrics only", [("custom.metrics.k8s.io", ["v1beta1"])], False),
    ("no groups", [], False),
]


@pytest.mark.parametrize(
    ("pairs", "expected"), [c[1:] for c in AVAILABLE_CASES], ids=[c[0] for c in AVAILABLE_CASES]
)
def test_metrics_api_available(pairs, expected) -> None:
    assert metrics_api_available(groups(*pairs)) is expected


def test_absent_api_is_quiet_and_polled_no_further() -> None:
    kube = FakeKube({"/apis": groups(("apps", ["v1"]))})
    poller = MetricsPoller(kube)  # type: ignore[arg-type]
    posts: list[MetricsUpdate] = []
    poller.start(posts.append)
    deadline = time.monotonic() + 5
    while poller._thread is not None and poller._thread.is_alive():
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert [(p.available, p.sync.phase) for p in posts] == [(False, "absent")]
    assert kube.paths == ["/apis"]


POD_METRICS = json.dumps(
    {
        "kind": "PodMetricsList",
        "apiVersion": "metrics.k8s.io/v1beta1",
        "metadata": {},
        "items": [
            {
                "metadata": {"name": "web-1", "namespace": "shop"},
                "timestamp": "2026-03-01T12:00:00Z",
                "window": "15.02s",
                "containers": [{"name": "app", "usage": {"cpu": "2155107n", "memory": "24680Ki"}}],
            }
        ],
    }
).encode()
NODE_METRICS = json.dumps(
    {"items": [{"metadata": {"name": "n1"}, "usage": {"cpu": "1500m", "memory": "2Gi"}}]}
).encode()
BASE = "/apis/metrics.k8s.io/v1beta1"


def test_errors_keep_the_last_usage_marked_stale_and_node_refusal_is_a_notice() -> None:
    kube = FakeKube(
        {
            "/apis": groups(("metrics.k8s.io", ["v1beta1"])),
            f"{BASE}/pods": POD_METRICS,
            f"{BASE}/nodes": KubeError("forbidden (403): nodes.metrics.k8s.io", 403),
        }
    )
    poller = MetricsPoller(kube)  # type: ignore[arg-type]
    first = poller.poll_once()
    # MilliValue rounds up: 2155107n → 3m; 24680Ki → bytes.
    assert first.pods == {"shop/web-1": {"app": Usage(3, 24680 * 1024)}}
    assert first.nodes == {}
    assert first.sync.message == "node usage: forbidden (403): nodes.metrics.k8s.io"
    kube.answers[f"{BASE}/pods"] = KubeError("API error 503 ServiceUnavailable: no endpoints", 503)
    second = poller.poll_once()
    assert (second.sync.phase, second.pods) == ("stale", first.pods)
    assert second.sync.message == "API error 503 ServiceUnavailable: no endpoints"
    kube.answers[f"{BASE}/pods"] = POD_METRICS
    kube.answers[f"{BASE}/nodes"] = NODE_METRICS
    third = poller.poll_once()
    assert third.sync.phase == "live" and third.nodes == {"n1": Usage(1500, 2 * 1024**3)}
    assert kube.paths.count("/apis") == 1
