"""Pilot tests: each view and key on the frozen incidents cluster, asserting screen text."""

from __future__ import annotations

import re

import pytest
from textual.widgets import Log

from kubetui.model.findings import ObjectRate
from kubetui.sim.runner import RunningSim
from kubetui.ui.detail import PodDetailScreen
from kubetui.ui.dialogs import HelpScreen, NamespacePicker
from kubetui.ui.keymap import APP_BINDINGS, VIEW_BINDINGS
from kubetui.ui.line_table import LineTable
from kubetui.ui.messages import PodChosen
from tests.ui.conftest import make_app, screen_text, settle

BIG = (200, 50)


def _pod_uid(sim: RunningSim, prefix: str) -> str:
    pod = next(p for p in sim.state.list("pods") if p["metadata"]["name"].startswith(prefix))
    return pod["metadata"]["uid"]


def _lines_with(text: str, needle: str) -> list[str]:
    return [line for line in text.splitlines() if needle in line]


async def test_findings_is_the_landing_page_grouped_by_kind(incidents: RunningSim) -> None:
    app = make_app(incidents)
    async with app.run_test(size=BIG) as pilot:
        await settle(pilot)
        text = screen_text(app)
        assert "1 Findings" in text and "sort severity" in text
        assert "OOM killed (3) · oom_killed · critical" in text
        assert "Crash loops (3)" in text and "Zombie engine pods (15)" in text
        driver = _lines_with(text, "kyuubi-daily-report")[0]
        assert driver.startswith("!!") and "OOMKilled (exit 137)" in driver
        # Header: where, sync state per source, counts by kind with text markers.
        assert "kubetui-sim @ demo incidents seed 1" in text
        assert "nodes live · pods live" in text
        assert re.search(r"\d+ findings !! oom 3 !! crash 3 z zombie 15", text)


async def test_pods_view_columns(incidents: RunningSim) -> None:
    app = make_app(incidents)
    async with app.run_test(size=BIG) as pilot:
        await settle(pilot)
        await pilot.press("2")
        text = screen_text(app)
        header = _lines_with(text, "LAST TERMINATION")[0]
        for title in ("NAMESPACE", "NAME", "STATUS", "READY", "RESTARTS", "QoS", "OOM ADJ", "AGE"):
            assert title in header
        oom = _lines_with(text, "kyuubi-hourly-ses")[0]
        assert oom.startswith("!!")
        assert "OOMKilled 137 SIGKILL 128m ago" in oom
        assert "Burstable" in oom and " 862 " in oom
        crash = _lines_with(text, "spark-history-server")[0]
        assert "CrashLoopBackOff" in crash and "7 (2m ago)" in crash
        assert "Error 143 SIGTERM" in crash
        guaranteed = _lines_with(text, "kyuubi-warehouse")[0]
        assert "Guaranteed" in guaranteed and "-997" in guaranteed


async def test_tab_and_number_keys_switch_views_and_remember_state(
    incidents: RunningSim,
) -> None:
    app = make_app(incidents)
    async with app.run_test(size=BIG) as pilot:
        await settle(pilot)
        await pilot.press("2", "slash", *"daily", "enter")
        assert "filter 'daily'" in screen_text(app)
        pods = screen_text(app)
        assert all("daily-report" in line for line in _lines_with(pods, "spark-bob "))
        await pilot.press("tab")
        assert "ENGINE" in screen_text(app) and "KYUUBI " in screen_text(app)
        await pilot.press("shift+tab", "shift+tab")
        assert "sort severity" in screen_text(app)
        await pilot.press("2")
        text = screen_text(app)
        assert "filter 'daily'" in text and "3/53" in text
        assert not _lines_with(text, "kube-proxy")
        await pilot.press("escape")
        assert "53 · sort name" in screen_text(app)


async def test_filter_as_you_type_and_escape_clears(incidents: RunningSim) -> None:
    app = make_app(incidents)
    async with app.run_test(size=BIG) as pilot:
        await settle(pilot)
        await pilot.press("2", "slash", *"oomkill")
        text = screen_text(app)
        rows = [line for line in text.splitlines() if "kyuubi-" in line and "Burstable" in line]
        assert rows and all("OOMKilled" in row for row in rows)
        await pilot.press("escape")
        assert "53 · sort name" in screen_text(app)


async def test_sort_cycles_and_keeps_the_selected_pod(incidents: RunningSim) -> None:
    app = make_app(incidents)
    async with app.run_test(size=BIG) as pilot:
        await settle(pilot)
        await pilot.press("2", "down", "down", "down")
        table = app.screen.query_one("#pods-table", LineTable)
        selected = table.selected_key
        await pilot.press("s")
        assert "sort status" in screen_text(app)
        assert table.selected_key == selected
        await pilot.press("s")
        text = screen_text(app)
        assert "sort restarts" in text
        first = next(line for line in text.splitlines() if "kubero-ui" in line or "Running" in line)
        assert "kubero-ui" in first  # 12 restarts, the most


async def test_enter_opens_the_pod_detail(incidents: RunningSim) -> None:
    app = make_app(incidents)
    async with app.run_test(size=BIG) as pilot:
        await settle(pilot)
        await pilot.press("2", "slash", *"daily-report", "enter")
        table = app.screen.query_one("#pods-table", LineTable)
        table.select_key(_pod_uid(incidents, "kyuubi-daily-report"))
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, PodDetailScreen)
        text = screen_text(app)
        assert "spark-kubernetes-driver  (container)" in text
        assert "terminated  OOMKilled  exit 137 SIGKILL" in text
        assert "oom_score_adj" in text and "formula" in text and "1000 - 1000*" in text
        assert "spark-role=driver" in text
        await pilot.press("escape")
        assert not isinstance(app.screen, PodDetailScreen)


async def _open_detail(app, pilot, uid: str) -> None:
    app.main.post_message(PodChosen(uid))
    await pilot.pause()
    assert isinstance(app.screen, PodDetailScreen)


async def test_detail_events_as_kubectl_describe_lists_them(incidents: RunningSim) -> None:
    app = make_app(incidents)
    async with app.run_test(size=BIG) as pilot:
        await settle(pilot)
        await _open_detail(app, pilot, _pod_uid(incidents, "kyuubi-clickstream-agg-0cd3aee8"))
        await pilot.press("e")
        for _ in range(200):
            if "REASON" in screen_text(app):
                break
            await pilot.pause(0.02)
        text = screen_text(app)
        assert "TYPE     REASON" in text
        started = _lines_with(text, "Started container spark-kubernetes-driver")[0]
        assert started.split()[:2] == ["Normal", "Started"] and "kubelet" in started


async def test_detail_logs_follow_the_spark_container(incidents: RunningSim) -> None:
    app = make_app(incidents)
    async with app.run_test(size=BIG) as pilot:
        await settle(pilot)
        await _open_detail(app, pilot, _pod_uid(incidents, "kyuubi-hourly-sessionize"))
        await pilot.press("l")
        log = app.screen.query_one(Log)
        for _ in range(200):
            if log.line_count:
                break
            await pilot.pause(0.02)
        assert "container spark-kubernetes-driver (following" in screen_text(app)
        assert log.line_count > 0
        await pilot.press("escape")


async def test_engines_view_and_enter_shows_its_pods(incidents: RunningSim) -> None:
    app = make_app(incidents)
    async with app.run_test(size=BIG) as pilot:
        await settle(pilot)
        await pilot.press("3")
        text = screen_text(app)
        killed = [line for line in text.splitlines() if line.startswith("≠")]
        assert len(killed) == 3
        assert all("KILLED" in line and "FAILED" in line and "OOMKilled" in line for line in killed)
        table = app.screen.query_one("#engines-table", LineTable)
        key = next(k for k in table.keys if k.startswith("spark-bob/f6bad673"))
        table.select_key(key)
        await pilot.press("enter")
        text = screen_text(app)
        assert "engine f6bad673" in text and "3/53" in text
        assert len(_lines_with(text, "kyuubi-daily-report")) == 3
        await pilot.press("escape")
        assert "53 · sort name" in screen_text(app)


async def test_nodes_view_shows_oom_order_and_formula(incidents: RunningSim) -> None:
    app = make_app(incidents)
    async with app.run_test(size=BIG) as pilot:
        await settle(pilot)
        await pilot.press("4")
        text = screen_text(app)
        assert "ip-10-0-0-13.ec2.internal" in text
        assert "MemoryPressure" in _lines_with(text, "ip-10-0-0-13")[0]
        table = app.screen.query_one("#nodes-table", LineTable)
        table.select_key("ip-10-0-0-13.ec2.internal")
        await pilot.press("enter")
        await pilot.pause()
        text = screen_text(app)
        ranks = [line for line in text.splitlines() if re.search(r"\s1 \S+/\S+", line)]
        assert ranks, text
        assert "oom_score_adj" in text and "rank basis" in text


@pytest.mark.parametrize("big_batch", [512, 10])
async def test_nodes_view_counts_follow_watch_events(
    fresh_incidents: RunningSim, monkeypatch: pytest.MonkeyPatch, big_batch: int
) -> None:
    """The pods-per-node count moves with the watch (kept from changed keys, not a walk);
    with a small threshold the initial LIST takes the lazy path (placed when first drawn)."""
    from kubetui.ui.views import nodes

    monkeypatch.setattr(nodes, "_BIG_BATCH", big_batch)
    sim = fresh_incidents
    node = "ip-10-0-0-13.ec2.internal"
    live = [
        p
        for p in sim.state.list("pods")
        if p["spec"].get("nodeName") == node and p["status"]["phase"] in ("Running", "Pending")
    ]
    app = make_app(sim)
    async with app.run_test(size=BIG) as pilot:
        await settle(pilot)
        await pilot.press("4")
        table = app.screen.query_one("#nodes-table", LineTable)

        def count() -> int:
            row = next(line for line in screen_text(app).splitlines() if node in line)
            return int(row.split(node)[1].split()[1])  # MEMORY, PODS, CONDITIONS

        before = count()
        assert before == len(live)
        victim = live[0]["metadata"]
        sim.state.remove("pods", victim["namespace"], victim["name"])
        for _ in range(200):
            await pilot.pause(0.02)
            if count() == before - 1:
                break
        assert count() == before - 1
        table.select_key(node)
        await pilot.press("enter")
        await pilot.pause()
        assert victim["name"] not in screen_text(app)


async def test_hot_loops_empty_state_then_a_hot_object(incidents: RunningSim) -> None:
    app = make_app(incidents)
    async with app.run_test(size=BIG) as pilot:
        await settle(pilot)
        await pilot.press("5")
        assert "No churn data" in screen_text(app)
        rates = [
            ObjectRate(
                kind="Secret", namespace="shop", name=f"s{i}", uid=f"u{i}", updates_per_minute=0.5
            )
            for i in range(5)
        ]
        rates.append(
            ObjectRate(
                kind="Secret",
                namespace="shop-production",
                name="registry-login",
                uid="hot",
                updates_per_minute=9.0,
                managers=("kubero-operator",),
            )
        )
        app.data.store.set_rates(rates)
        await settle(pilot)
        line = _lines_with(screen_text(app), "registry-login")[0]
        assert "Secret" in line and "9.0" in line and "kubero-operator" in line


async def test_namespace_picker_scopes_every_view(incidents: RunningSim) -> None:
    app = make_app(incidents)
    async with app.run_test(size=BIG) as pilot:
        await settle(pilot)
        await pilot.press("n")
        assert isinstance(app.screen, NamespacePicker)
        picker = app.screen
        index = picker.namespaces.index("spark-bob") + 1
        picker.query_one("#namespace-options").highlighted = index
        await pilot.press("enter")
        text = screen_text(app)
        assert "all namespaces ▸ spark-bob" in text
        assert not _lines_with(text, "etl/")
        await pilot.press("2")
        rows = [line for line in screen_text(app).splitlines() if "kyuubi-" in line]
        assert rows and all("spark-bob" in line for line in rows)


async def test_help_lists_live_bindings_with_ids(incidents: RunningSim) -> None:
    app = make_app(incidents)
    async with app.run_test(size=BIG) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = screen_text(app)
        for ident in ("view-pods", "filter", "sort", "namespace", "command-palette", "quit"):
            assert re.search(rf"\b{ident}\b", text), ident
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_palette_lists_views_and_runs_them(incidents: RunningSim) -> None:
    app = make_app(incidents)
    async with app.run_test(size=BIG) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"engines")
        await pilot.pause(0.3)
        assert "3  ·  view-engines" in screen_text(app)
        await pilot.press("enter")
        await pilot.pause()
        assert "KYUUBI " in screen_text(app)


async def test_q_quits(incidents: RunningSim) -> None:
    app = make_app(incidents)
    async with app.run_test(size=BIG) as pilot:
        await settle(pilot)
        await pilot.press("q")
        await pilot.pause()
        assert app.return_code == 0 and not app.is_running


def test_every_binding_has_a_kebab_case_id() -> None:
    bindings = [*APP_BINDINGS, *VIEW_BINDINGS, *LineTable.BINDINGS, *PodDetailScreen.BINDINGS]
    ids = [b.id for b in bindings]
    assert all(i and re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", i) for i in ids), ids
    assert len(ids) == len(set(ids))
