"""The pure parts of bench/peers.py: the screen criteria, the request classifier and
tallies, the process tree and /proc parsers, the table rendering."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _load_peers() -> ModuleType:
    spec = importlib.util.spec_from_file_location("peers_bench", ROOT / "bench" / "peers.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


peers = _load_peers()


@pytest.mark.parametrize(
    ("criterion", "screen", "count"),
    [
        (
            peers.KUBETUI,
            "  1 Findings  2 Pods  3 Engines  4 Nodes / OOM order  5 Hot loops   10000 · sort name",
            10_000,
        ),
        (peers.KUBETUI, "  1 Findings  2 Pods  3 Engines   50,000 · sort restarts", 50_000),
        # the Findings view's bar carries its own count: not the pod list
        (peers.KUBETUI, "  1 Findings  2 Pods  3 Engines   259 · sort severity\n", 259),
        (peers.K9S, "┌──── pods(all)[10,000] ────┐", 10_000),
        (peers.KDASH, "│ Pods (ns: all) [9000] ⏎:containers · /:filter", 9_000),
        (peers.KUBETUI_RS, "┌ Pod [1/10000] ───", 10_000),
        (peers.KUBETUI_RS, "┌ Pod [0/0] ───", 0),
    ],
)
def test_criteria_read_the_count_on_screen(criterion, screen, count) -> None:
    assert criterion.count(screen) == count
    assert criterion.complete(screen, count)
    assert not criterion.complete(screen, count + 1)


@pytest.mark.parametrize("criterion", [peers.KUBETUI, peers.K9S, peers.KDASH, peers.KUBETUI_RS])
def test_criteria_see_nothing_on_an_unrelated_screen(criterion) -> None:
    screen = "Loading ...\n pods listing 0/?\n pods(team-000)[12] contexts(all)[1] Pod list"
    assert criterion.count(screen) is None
    assert not criterion.complete(screen, 0)


@pytest.mark.parametrize(
    ("method", "path", "query", "expected"),
    [
        ("GET", "/api/v1/pods", "limit=1000", peers.Request("LIST", "pods", "cluster")),
        (
            "GET",
            "/api/v1/pods",
            "limit=1000&continue=abc",
            peers.Request("LIST", "pods", "cluster", page=True),
        ),
        (
            "GET",
            "/api/v1/pods",
            "watch=true&resourceVersion=5",
            peers.Request("WATCH", "pods", "cluster"),
        ),
        ("GET", "/api/v1/watch/nodes", "", peers.Request("WATCH", "nodes", "cluster")),
        (
            "GET",
            "/api/v1/namespaces/team-000/pods",
            "",
            peers.Request("LIST", "pods", "ns/team-000"),
        ),
        (
            "GET",
            "/api/v1/namespaces/team-000/pods/web-1",
            "",
            peers.Request("GET", "pods", "ns/team-000"),
        ),
        ("GET", "/api/v1/namespaces", "", peers.Request("LIST", "namespaces", "cluster")),
        ("GET", "/api/v1/namespaces/team-000", "", peers.Request("GET", "namespaces", "cluster")),
        (
            "GET",
            "/apis/metrics.k8s.io/v1beta1/pods",
            "",
            peers.Request("LIST", "metrics.k8s.io/pods", "cluster"),
        ),
        (
            "POST",
            peers.SSAR_PATH,
            "",
            peers.Request("POST", "authorization.k8s.io/selfsubjectaccessreviews", "cluster"),
        ),
        ("GET", "/apis/apps/v1", "", peers.Request("DISCOVERY", "/apis/apps/v1", "cluster")),
        ("GET", "/version", "", peers.Request("DISCOVERY", "/version", "cluster")),
        ("GET", "/api", "", peers.Request("DISCOVERY", "/api", "cluster")),
    ],
)
def test_classify(method, path, query, expected) -> None:
    assert peers.classify(method, path, query) == expected


def test_tally_counts_a_paged_list_once_and_metrics_apart() -> None:
    log = [
        ("GET", "/api/v1/pods", "limit=1000"),
        ("GET", "/api/v1/pods", "limit=1000&continue=x"),
        ("GET", "/api/v1/pods", "limit=1000&continue=y"),
        ("GET", "/api/v1/pods", "watch=1"),
        ("GET", "/apis/metrics.k8s.io/v1beta1/pods", ""),
        ("GET", "/api/v1", ""),
        ("POST", peers.SSAR_PATH, ""),
    ]
    requests = [peers.classify(*entry) for entry in log]
    assert peers.tally(requests) == {
        "LIST": 1,
        "LIST page": 2,
        "WATCH": 1,
        "metrics": 1,
        "other": 2,
    }
    assert peers.per_kind(requests) == {
        "metrics.k8s.io/pods cluster": {"LIST": 1},
        "pods cluster": {"LIST": 1, "WATCH": 1},
    }


def test_tree_finds_every_descendant_and_nothing_else() -> None:
    parents = {10: 1, 11: 10, 12: 11, 13: 10, 20: 1, 21: 20}
    assert sorted(peers.tree(10, parents)) == [10, 11, 12, 13]
    assert peers.tree(99, parents) == [99]


def test_proc_parsers() -> None:
    status = "Name:\tk9s\nVmHWM:\t  345600 kB\nVmRSS:\t  200000 kB\nThreads:\t12\n"
    assert peers.status_kb(status, "VmRSS") == 200_000
    assert peers.status_kb(status, "VmHWM") == 345_600
    assert peers.status_kb("Name:\tzombie\n", "VmRSS") == 0
    # a command name with a space and a parenthesis must not shift the fields
    stat = "4242 (tokio rt) x) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 9 0 1"
    assert peers.stat_ticks(stat) == 325


def test_ratio_median_rotate_and_render() -> None:
    assert peers.ratio(10.0, 2.0) == "5.0×"
    assert peers.ratio(None, 2.0) == "–"
    assert peers.ratio(1.0, 0.0) == "–"
    assert peers.median([3.0, None, 1.0, 2.0]) == 2.0
    assert peers.median([None]) is None
    tools = [peers.Tool(name, "v", lambda kc: []) for name in "abc"]
    assert [t.name for t in peers.rotate(tools, 4)] == ["b", "c", "a"]
    assert peers.rotate([], 1) == []
    text = peers.render(["tool", "s"], [["kubetui", "1.00"], ["k9s", "20.00"]], markdown=False)
    assert text.splitlines() == ["tool         s", "kubetui   1.00", "k9s      20.00"]
    markdown = peers.render(["tool", "s"], [["k9s", "20.00"]], markdown=True)
    assert markdown.splitlines() == ["| tool | s |", "|---|---:|", "| k9s | 20.00 |"]
