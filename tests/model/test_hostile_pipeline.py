"""Hostile and malformed objects through the headless pipeline, property-based (issue 13).

Thousands of generated pods, nodes, events, container logs, churn metadata and Kyuubi
records (tests/hostile_objects.py) go, as JSON bytes, through every decoder kubetui has
for them (LIST page, single item, watch line, dump file as JSON and YAML, the events and
log clients, the Kyuubi poller), then the store, the analysis, the triage report and its
text and JSON renderings, and ``kubetui triage --from-file`` itself. Properties:

* no crash: nothing raises but the documented one-line errors (``InputError`` for input
  that is not JSON/YAML or not Kubernetes objects, ``KubeError``/``KyuubiError`` for a
  reply that cannot be read), and those lines are inert;
* nothing executable comes out: no ESC, CSI/OSC/DCS, BEL, C1 control or bidi control in
  any record, the text report, the JSON report (raw bytes and decoded strings) or stderr;
* nothing invented: every value a record holds is the inert form of the same field of
  its source (a null, missing or wrong-typed field stays unknown), and the report shows
  only exit codes, restart counts, names and nodes its records hold.

Every example is derandomized (the same examples on every run and in CI).
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import msgspec
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from kubernetes import client

from kubetui.cli import main
from kubetui.headless.text_report import render_text
from kubetui.headless.triage import _kyuubi_lines
from kubetui.model.churn_rates import ChurnTracker
from kubetui.model.decode import (
    InputError,
    clean_record,
    decode_json_item,
    decode_page,
    load_objects,
)
from kubetui.model.engines import APP_ID_LABEL, KYUUBI_TAG_LABEL, group_engines
from kubetui.model.inert_text import inert
from kubetui.model.kyuubi_join import disagreement_findings, join_engines
from kubetui.model.records import Node, Pod
from kubetui.model.store import ChangeBatch, ClusterState, SyncState
from kubetui.model.triage import TriageReport
from kubetui.sources.churn import decode_metadata_event, decode_metadata_page
from kubetui.sources.kube_client import KubeClient, KubeError
from kubetui.sources.kyuubi import KyuubiConfig, KyuubiPoller, _decode_answer
from kubetui.sources.pod_events import event_age, event_source, fetch_pod_events
from kubetui.sources.pod_logs import MAX_LINE_CHARS, LogStream
from kubetui.sources.watch_decode import decode_event
from tests.hostile_objects import (
    NOW,
    TRIED,
    Cluster,
    HostileServer,
    assert_inert,
    assert_not_invented,
    assert_text_inert,
    clusters,
    encode,
    expected_log_lines,
    hostile_text,
    list_page,
    log_bytes,
    reproducible,
)

#: Examples per property; each example holds several objects (the totals are printed at
#: the end of the run, see tests/conftest.py).
PODS_EXAMPLES = 600
CHURN_EXAMPLES = 1000
EVENTS_EXAMPLES = 600
LOGS_EXAMPLES = 1000
KYUUBI_EXAMPLES = 300
CLI_EXAMPLES = 200


def _dicts(docs: list) -> list[dict]:
    return [d for d in docs if isinstance(d, dict)]


# ---------------------------------------------------------------- decoding


def decode_every_way(docs: list, record_type: type, encoding: str) -> list:
    """Decode each document alone, as a watch line and in a LIST page; every way gives
    the same records, inert and holding nothing their document did not."""
    singles = []
    for index, doc in enumerate(docs):
        raw = encode(doc, encoding)
        record, notes = decode_json_item(raw, record_type)
        line = b'{"type":"MODIFIED","object":' + raw + b"}"
        event = decode_event(line, record_type)
        if record is None:
            assert notes, "an object dropped without a reason"
            assert event is None or event.record is None
            continue
        clean_record(record)  # the item decoder leaves cleaning to its callers
        what = f"{record_type.__name__} {index}"
        assert_inert(record, what)
        assert_not_invented(record, doc, what)
        meta = doc.get("metadata") if isinstance(doc, dict) else None
        if isinstance(meta, dict) and isinstance(meta.get("name"), str):
            # One bad field never costs the name: it is the decoded one, made inert.
            assert record.metadata.name == inert(meta["name"])
        assert event is not None and event.record == record, "watch line differs"
        singles.append(record)
    page = decode_page(list_page(f"{record_type.__name__}List", docs, encoding), record_type)
    assert page.items == singles, "the LIST page differs from its items decoded one by one"
    assert len(page.items) + len(page.errors) == len(docs)
    return singles


def check_report(report: TriageReport, pods: list[Pod]) -> None:
    """The report shows only what its records hold."""
    by_key = {(p.metadata.namespace, p.metadata.name, p.metadata.uid): p for p in pods}
    uids = {p.metadata.uid for p in pods}
    names = {(p.metadata.namespace, p.metadata.name) for p in pods}
    for row in report.pods:
        pod = by_key[row.namespace, row.name, row.uid]
        assert row.node == pod.spec.node_name
        statuses = (*pod.status.container_statuses, *pod.status.init_container_statuses)
        now_codes = {
            s.state.terminated.exit_code for s in statuses if s.state and s.state.terminated
        }
        last_codes = {
            s.last_state.terminated.exit_code
            for s in statuses
            if s.last_state and s.last_state.terminated
        }
        restarts = {s.restart_count for s in statuses}
        for c in row.containers:
            assert c.exit_code is None or c.exit_code in now_codes, f"invented exit {c.exit_code}"
            assert c.last_exit_code is None or c.last_exit_code in last_codes
            assert c.restarts is None or c.restarts in restarts
            assert (c.exit_code is None) <= (c.exit_meaning is None), "meaning of no exit code"
    for finding in report.findings:
        assert finding.uid is None or finding.uid in uids
        assert (finding.namespace, finding.name) in names, finding
        pod = by_key.get((finding.namespace, finding.name, finding.uid))
        if pod is None:
            continue  # a hot loop or an engine's finding, named by its own parts
        statuses = (*pod.status.container_statuses, *pod.status.init_container_statuses)
        held = {
            "restarts": {s.restart_count for s in statuses},
            "exit_code": {
                t.exit_code
                for s in statuses
                for state in (s.state, s.last_state)
                if state is not None and (t := state.terminated) is not None
            },
        }
        for key, values in held.items():
            shown = finding.evidence.get(key)
            assert shown is None or shown in values, f"{finding.kind}: invented {key} {shown}"
    labels = {
        v
        for p in pods
        for k, v in (p.metadata.labels or {}).items()
        if k in (APP_ID_LABEL, KYUUBI_TAG_LABEL)
    }
    for engine in report.engines:
        assert engine.id == "" or engine.id in labels, engine.id
        assert engine.app_id is None or engine.app_id in labels


def check_outputs(report: TriageReport) -> None:
    """Inert, and no Python ``None`` in place of an unknown (generated text has none)."""
    text = render_text(report, NOW)
    assert_text_inert(text, "triage text")
    assert "None" not in text, text
    data = msgspec.json.format(msgspec.json.encode(report), indent=2)
    assert_text_inert(data.decode(), "triage JSON bytes")
    assert b"None" not in data
    assert_inert(json.loads(data), "triage JSON strings")


def pipeline(cluster: Cluster) -> tuple[ClusterState, list[Pod]]:
    pods = decode_every_way(cluster.pods, Pod, cluster.encoding)
    nodes = decode_every_way(cluster.nodes, Node, cluster.encoding)
    store = ClusterState()
    live = SyncState(source="pods", phase="live")
    store.apply(ChangeBatch(kind="Pod", snapshot=list(pods), sync=live))
    store.apply(ChangeBatch(kind="Node", snapshot=list(nodes), sync=live))
    return store, list(store.pods.values())


@reproducible(PODS_EXAMPLES)
@given(cluster=clusters(parts=frozenset({"pods", "nodes"})))
def _pods_and_nodes(cluster: Cluster) -> None:
    TRIED["pods+nodes: decode (item, watch, page, dump) → store → triage → text/JSON"] += len(
        cluster.pods
    ) + len(cluster.nodes)
    store, pods = pipeline(cluster)
    report = store.report(NOW)
    check_report(report, pods)
    check_outputs(report)

    # The same objects in a dump file (a v1 List of mixed kinds, and as YAML).
    strangers = [{"kind": k, "metadata": {"name": "x"}} for k in ("ConfigMap", "\x1b]0;t\x07")]
    dump = {"apiVersion": "v1", "kind": "List", "items": cluster.pods + cluster.nodes + strangers}
    data = encode(dump, cluster.encoding)
    loaded = load_objects(data)
    # In a List of mixed kinds only what says it is a Pod is one.
    pod_docs = [d for d in _dicts(cluster.pods) if d.get("kind") == "Pod"]
    decoded = [decode_json_item(encode(d, cluster.encoding), Pod)[0] for d in pod_docs]
    assert loaded.pods == [clean_record(p) for p in decoded if p is not None]
    for line in (*loaded.errors, *loaded.ignored_kinds):
        assert_text_inert(line, "dump notice")
    if len(data) < 200_000:  # PyYAML's emitter is slow on megabytes
        # Escaped, not raw: PyYAML writes a raw NEL (U+0085) that YAML reads as a line
        # break, so a raw dump would not say what the JSON says.
        loaded_yaml = load_objects(yaml.safe_dump(dump, allow_unicode=False).encode())
        assert loaded_yaml.pods == loaded.pods and loaded_yaml.nodes == loaded.nodes


def test_pods_and_nodes_through_decode_store_triage_and_renderers() -> None:
    before = TRIED.copy()
    _pods_and_nodes()
    assert sum((TRIED - before).values()) > PODS_EXAMPLES  # the property did run


# ---------------------------------------------------------------- churn metadata


@reproducible(CHURN_EXAMPLES)
@given(cluster=clusters(parts=frozenset({"churn"})))
def _churn_metadata(cluster: Cluster) -> None:
    TRIED["churn metadata: page and watch lines → tracker → rates"] += len(cluster.churn)
    try:
        page = decode_metadata_page(list_page("List", cluster.churn, cluster.encoding))
    except InputError as exc:
        assert "\n" not in str(exc)
        assert_text_inert(str(exc), "metadata page error")
    else:
        assert_inert(page.items, "metadata page")
    tracker = ChurnTracker(settle_seconds=0)
    for doc in cluster.churn:
        for kind in ("ADDED", "MODIFIED", "MODIFIED"):
            line = b'{"type":"' + kind.encode() + b'","object":' + encode(doc, "utf-8") + b"}"
            event = decode_metadata_event(line)
            if event is not None and event.record is not None:
                assert_inert(event.record, "metadata event")
                assert_not_invented(event.record, doc.get("metadata"), "metadata event")
                tracker.observe("ConfigMap", kind, event.record)
    assert_inert(tracker.rates(min_updates=1), "churn rates")


def test_churn_metadata_through_decoders_and_tracker() -> None:
    _churn_metadata()
    assert TRIED["churn metadata: page and watch lines → tracker → rates"] > 0


# ---------------------------------------------------------------- the HTTP clients


@pytest.fixture(scope="module")
def server():
    with HostileServer() as running:
        yield running


def kube_client(url: str) -> KubeClient:
    configuration = client.Configuration()
    configuration.host = url
    configuration.retries = False
    return KubeClient(
        api=client.ApiClient(configuration),
        context="hostile",
        server=url,
        namespace=None,
        user=None,
    )


def test_events_through_the_client_and_describe_columns(server: HostileServer) -> None:
    kube = kube_client(server.url)

    @reproducible(EVENTS_EXAMPLES)
    @given(cluster=clusters(parts=frozenset({"events"})))
    def events(cluster: Cluster) -> None:
        TRIED["events: GET …/events → PodEvent → describe columns"] += len(cluster.events)
        server.serve(cluster)
        try:
            # The detail screen asks with the pod's names as decoded: inert.
            got = fetch_pod_events(kube, "default", inert("p\x1b[2J"), "uid-0")
        except KubeError as exc:  # a field of the wrong type: the documented one line
            assert "\n" not in str(exc)
            assert_text_inert(str(exc), "events error")
            return
        assert len(got) == len(cluster.events)
        sources = list(cluster.events)
        for event in got:
            assert_inert(event, "event")
            assert any(_fits(event, doc) for doc in sources), (
                f"event holds what no served event had: {event}"
            )
            assert_text_inert(event_age(event, NOW) + event_source(event), "event columns")
            if event.series is not None:
                assert event.series.count is not None or "x0" not in event_age(event, NOW)

    events()
    assert TRIED["events: GET …/events → PodEvent → describe columns"] > EVENTS_EXAMPLES
    assert server.writes() == []


def _fits(record: msgspec.Struct, doc: dict) -> bool:
    try:
        assert_not_invented(record, doc)
    except AssertionError:
        return False
    return True


def test_container_logs_through_the_log_stream(server: HostileServer) -> None:
    kube = kube_client(server.url)

    @reproducible(LOGS_EXAMPLES)
    @given(data=log_bytes(), chunks=st.lists(st.sampled_from([1, 2, 3, 7, 64, 4096]), min_size=1))
    def logs(data: bytes, chunks: list[int]) -> None:
        TRIED["container logs: GET …/log (split anywhere) → lines"] += 1
        # Bounded writes: a 1 MiB body is never sent a byte at a time.
        server.serve_logs(data, tuple(max(c, len(data) // 500 + 1) for c in chunks))
        stream = LogStream(kube, inert("ns\x1b[2J"), "pod", "app", follow=True)
        lines = [line for chunk in stream.chunks() for line in chunk]
        for line in lines:
            assert "\n" not in line and len(line) <= MAX_LINE_CHARS + 1
            assert_text_inert(line, "log line")
        expected = expected_log_lines(data)
        if expected is not None:
            assert lines == expected

    logs()
    assert TRIED["container logs: GET …/log (split anywhere) → lines"] == LOGS_EXAMPLES
    assert server.writes() == []


def test_kyuubi_poll_join_and_report(server: HostileServer) -> None:
    config = KyuubiConfig(url=server.url, user="admin", timeout=5.0)

    @reproducible(KYUUBI_EXAMPLES)
    @given(cluster=clusters(max_pods=3, parts=frozenset({"pods", "kyuubi"})))
    def kyuubi(cluster: Cluster) -> None:
        docs = cluster.kyuubi
        batches = docs.batches.get("batches") if isinstance(docs.batches, dict) else None
        TRIED["kyuubi: batches, engines, sessions → poll → join → findings, text"] += sum(
            len(x) for x in (batches, docs.engines, docs.sessions) if isinstance(x, list)
        )
        server.serve(cluster)
        update = KyuubiPoller(config).poll_once()
        assert_inert(update, "kyuubi update")
        if update.data is None:
            assert update.sync.phase == "error" and update.sync.message
            assert "\n" not in update.sync.message
        else:
            data = update.data
            for records, source in (
                (data.batches, batches),
                (data.engines, docs.engines),
                (data.sessions, docs.sessions),
            ):
                if not isinstance(source, list):  # null (or no "batches"): none
                    assert records == ()
                for record in records:
                    assert any(_fits(record, doc) for doc in _dicts(source)), record
        # A write's answer (kill, deregister, submit) is shown or logged: inert too, keys
        # included, whether JSON or not.
        for body in (encode(docs.batches, cluster.encoding), encode(docs.engines), cluster.logs):
            assert_inert(_decode_answer(body), "kyuubi write answer")
        pods = decode_page(list_page("PodList", cluster.pods, cluster.encoding), Pod).items
        engines = group_engines(pods)
        store = ClusterState()
        store.set_kyuubi(update)
        joined = join_engines(engines, update.data) if update.data is not None else engines
        findings = disagreement_findings(joined)
        assert_inert(joined, "joined engines")
        assert_inert(findings, "disagreements")
        text = "\n".join(_kyuubi_lines(update, findings))
        assert_text_inert(text, "triage text's Kyuubi section")
        assert "None" not in text, text

    kyuubi()
    assert server.writes() == []


# ---------------------------------------------------------------- the command


def test_triage_command_on_hostile_dumps(tmp_path: Path) -> None:
    path = tmp_path / "dump"

    @reproducible(CLI_EXAMPLES)
    @given(
        cluster=clusters(parts=frozenset({"pods", "nodes", "logs"})),
        kinds=st.lists(hostile_text(3), max_size=2),
        form=st.sampled_from(["json", "yaml", "garbage"]),
        output=st.sampled_from(["text", "json"]),
    )
    def triage(cluster: Cluster, kinds: list[str], form: str, output: str) -> None:
        TRIED["kubetui triage --from-file (JSON, YAML, garbage)"] += cluster.objects() + len(kinds)
        items = cluster.pods + cluster.nodes + [{"kind": k, "metadata": {}} for k in kinds]
        dump = {"apiVersion": "v1", "kind": "List", "items": items}
        if form == "json":
            path.write_bytes(encode(dump, cluster.encoding))
        elif form == "yaml":
            path.write_text(yaml.safe_dump(dump, allow_unicode=True))
        else:
            path.write_bytes(cluster.logs)
        out, err = io.TextIOWrapper(io.BytesIO(), "utf-8"), io.StringIO()
        args = ["triage", "--from-file", str(path), "--format", output, "--now", NOW.isoformat()]
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(args)
        out.flush()
        stdout = out.buffer.getvalue().decode()
        stderr = err.getvalue()
        assert code in (0, 1, 2)
        assert_text_inert(stdout, "triage stdout")
        assert_text_inert(stderr, "triage stderr")
        if code == 2:  # the error, after any notices on the objects
            assert stdout == "" and stderr.endswith("\n"), stderr
        elif output == "json":
            assert_inert(json.loads(stdout), "triage JSON")
        for line in stderr.split("\n")[:-1]:
            assert line.startswith("kubetui"), f"a notice spans lines: {stderr[:300]!r}"

    triage()
    assert TRIED["kubetui triage --from-file (JSON, YAML, garbage)"] > 0
