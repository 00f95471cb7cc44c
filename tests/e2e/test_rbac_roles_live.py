"""kubetui's shipped ClusterRoles (``kubetui rbac``, kubetui/deploy/rbac/) against the real
kube-apiserver, judged by its own audit log.

Two ServiceAccounts: ``reader`` bound only to kubetui-read-only, ``operator`` to
kubetui-read-only and kubetui-actions. The reader uses every view, a pod's detail (its
containers, logs, previous logs, events), the hot-loop watch, ``kubetui triage --watch``
and namespace completion: the server answers none of its requests with 403; the
hot-loop watch asked (access reviews) and skipped Secrets, said "not permitted". Then
the opt-in kubetui-hot-loops-secrets is applied (aggregated into kubetui-read-only) and
the reader's ``triage --watch`` watches Secrets and finds the hot-loop writer's Secret.
The operator runs every kind of write kubetui sends (delete, force delete, a rollout
restart of a Deployment, a StatefulSet and a DaemonSet, an engine kill): none refused.
Then each role's rules are checked against what its own account used: every granted
(group, resource, verb) was used, or is listed in :data:`JUSTIFIED` with the reason this
cluster cannot show its use.

The e2e cluster's custom resource (widgets.example.com, the hot-loop writer's) is added
to the read-only role the way the role file tells an operator to: a ClusterRole of
their own labelled for aggregation.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

import incidents
import kubetui_cli
import pytest
import yaml
from control_plane import ControlPlane, apply, ensure_namespace
from incidents import HOT_NAMESPACE, NODE, create, engine, node, pod, running, wait_for

from kubetui.actions.execute import execute
from kubetui.actions.kill import plan_kill
from kubetui.actions.plans import FORCE_DELETE, Plan, Step, plan_delete_pod, plan_restart
from kubetui.model.churn_rates import ChurnTracker
from kubetui.model.engines import group_engines
from kubetui.model.records import ObjectMeta, OwnerReference, Pod
from kubetui.rbac import rbac_yaml
from kubetui.sources.kube_client import connect
from kubetui.sources.snapshot import take_snapshot
from kubetui.ui.cli import dashboard_app
from tests.ui.conftest import settle
from tests.waiting import until

NAMESPACE = "kubetui-rbac"
RBAC = "/apis/rbac.authorization.k8s.io/v1"
AGGREGATE = "kubetui.dev/aggregate-to-read-only"
#: Per role: granted but not used here, and why.
JUSTIFIED = {
    "read-only": {
        ("metrics.k8s.io", "pods", "list"): "the e2e control plane serves no metrics API",
        ("metrics.k8s.io", "nodes", "list"): "the e2e control plane serves no metrics API",
    },
    "actions": {
        ("", "configmaps", "get"): "relaunching a Kyuubi batch reads it; needs a Kyuubi server",
    },
}


def _user(name: str) -> str:
    return f"system:serviceaccount:{NAMESPACE}:{name}"


_until = partial(until, timeout=60, interval=0.25)


def _kubeconfig(plane: ControlPlane, tmp: Path, account: str) -> Path:
    """A kubeconfig for the ServiceAccount, with a token from the TokenRequest API."""
    answer = plane.request(
        "POST",
        f"/api/v1/namespaces/{NAMESPACE}/serviceaccounts/{account}/token",
        {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": {}},
    )
    config = yaml.safe_load(plane.kubeconfig("admin").read_text())
    config["users"] = [{"name": account, "user": {"token": answer["status"]["token"]}}]
    config["contexts"][0]["context"]["user"] = account
    path = tmp / f"kubeconfig-{account}"
    path.write_text(yaml.safe_dump(config))
    path.chmod(0o600)
    return path


def _bind(plane: ControlPlane, account: str, role: str) -> None:
    apply(
        plane,
        f"{RBAC}/clusterrolebindings",
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": {"name": f"{account}-{role}"},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": role,
            },
            "subjects": [{"kind": "ServiceAccount", "name": account, "namespace": NAMESPACE}],
        },
    )


@pytest.fixture(scope="module")
def accounts(
    control_plane: ControlPlane, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Path]]:
    """reader (read-only) and operator (read-only + actions): name → kubeconfig."""
    plane = control_plane
    shipped = list(yaml.safe_load_all(rbac_yaml()))
    for role in shipped:
        apply(plane, f"{RBAC}/clusterroles", role)
    apply(
        plane,
        f"{RBAC}/clusterroles",
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": "kubetui-read-only-widgets", "labels": {AGGREGATE: "true"}},
            "rules": [
                {"apiGroups": ["example.com"], "resources": ["widgets"], "verbs": ["list", "watch"]}
            ],
        },
    )
    ensure_namespace(plane, NAMESPACE)
    for account in ("reader", "operator"):
        apply(
            plane,
            f"/api/v1/namespaces/{NAMESPACE}/serviceaccounts",
            {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": account}},
        )
    _bind(plane, "reader", "kubetui-read-only")
    _bind(plane, "operator", "kubetui-read-only")
    _bind(plane, "operator", "kubetui-actions")
    builtin = next(r for r in shipped if r["metadata"]["name"] == "kubetui-read-only-builtin")
    _until_aggregated(plane, len(builtin["rules"]) + 1)
    tmp = tmp_path_factory.mktemp("rbac")
    yield {account: _kubeconfig(plane, tmp, account) for account in ("reader", "operator")}
    plane.request("DELETE", f"/api/v1/namespaces/{NAMESPACE}")


def _until_aggregated(plane: ControlPlane, rules: int) -> None:
    def aggregated() -> bool:
        found = plane.request("GET", f"{RBAC}/clusterroles/kubetui-read-only").get("rules")
        return len(found or []) == rules

    _until(aggregated, "the aggregation controller to fill in kubetui-read-only")


def _events(plane: ControlPlane, account: str, since: int, kubeconfig: Path) -> list[dict]:
    """The account's audit events after ``since``: once a marker request it sends last
    is in the log (kube-apiserver writes the log in batches, after the answers)."""
    marker = f"audit-marker={time.monotonic_ns()}"
    connect(str(kubeconfig)).get(
        f"/api/v1/namespaces/{NAMESPACE}/pods", [("labelSelector", marker)]
    )
    _until(
        lambda: any(marker.replace("=", "%3D") in e["requestURI"] for e in plane.audit_events()),
        "the audit log to catch up",
    )
    return [
        e
        for e in plane.audit_events()[since:]
        if e.get("user", {}).get("username") == _user(account)
        and e.get("stage") in ("ResponseComplete", "ResponseStarted")
    ]


def _refused(events: list[dict]) -> list[str]:
    return [
        f"{e['verb']} {e['requestURI']}"
        for e in events
        if e.get("responseStatus", {}).get("code") == 403
    ]


def _used(events: list[dict]) -> set[tuple[str, str, str]]:
    """(API group, resource[/subresource], verb) of every authorized request."""
    used = set()
    for e in events:
        ref = e.get("objectRef") or {}
        if not ref.get("resource") or e.get("responseStatus", {}).get("code") == 403:
            continue
        resource = ref["resource"] + (f"/{ref['subresource']}" if ref.get("subresource") else "")
        used.add((ref.get("apiGroup", ""), resource, e["verb"]))
    return used


def _granted(role: str) -> set[tuple[str, str, str]]:
    """(API group, resource, verb) of every rule the shipped ``role`` grants."""
    return {
        (group, resource, verb)
        for document in yaml.safe_load_all(rbac_yaml(role))
        for rule in document.get("rules") or ()
        for group in rule["apiGroups"]
        for resource in rule["resources"]
        for verb in rule["verbs"]
    }


async def _use_every_view(kubeconfig: Path, built: incidents.Incidents) -> str | None:
    """Every view, then the first pod's detail: containers, logs, the previous
    container's logs, events; with the hot-loop watch on. Its last state's message,
    which the dashboard shows."""
    app = dashboard_app(
        connect(str(kubeconfig)),
        None,
        server_label="e2e",
        clock=lambda: built.judge_at,
        hot_loops=True,
    )
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        for view in "12345":
            await pilot.press(view)
        await pilot.press("2")
        await pilot.press("home", "enter")
        for key in ("c", "l", "p", "e"):
            await pilot.press(key)
            await pilot.pause(0.5)
        await pilot.press("escape")
        # The hot-loop watch lists every kind; its state reaches the dashboard every 5 s.
        deadline = time.monotonic() + 30
        while (churn := app.data.store.sync.get("churn")) is None or churn.phase != "live":
            assert time.monotonic() < deadline, churn
            await pilot.pause(0.25)
        return churn.message


@pytest.fixture(scope="module")
def reader_events(
    control_plane: ControlPlane,
    built: incidents.Incidents,
    accounts: dict[str, Path],
    tmp_path_factory: pytest.TempPathFactory,
) -> dict:
    """The reader's audit events after it used every view, detail, logs, triage --watch
    and namespace completion; with triage's and completion's output."""
    tmp = tmp_path_factory.mktemp("reader")
    since = len(control_plane.audit_events())
    reader = accounts["reader"]
    dashboard = asyncio.run(_use_every_view(reader, built))
    triage = kubetui_cli.triage(reader, tmp, "--watch", "2", "--format", "json", timeout=180)
    completion = kubetui_cli.kubetui(
        tmp, "__complete", "--kubeconfig", str(reader), "-n", "", timeout=60
    )
    namespaces = completion.stdout.split()
    events = _events(control_plane, "reader", since, reader)
    return {"events": events, "triage": triage, "namespaces": namespaces, "dashboard": dashboard}


def test_read_only_role_is_enough_for_every_view_detail_log_and_triage(
    reader_events: dict,
) -> None:
    triage = reader_events["triage"]
    assert triage.returncode == 1, triage.stderr  # the incidents are found
    # Secrets skipped, said so; else a 2 s watch only says the rates are still measured.
    assert [line for line in triage.stderr.splitlines() if "measuring rates" not in line] == [
        "kubetui: hot-loop watch: not permitted (skipped): secrets"
    ]
    assert reader_events["dashboard"] == "not permitted (skipped): secrets"
    assert json.loads(triage.stdout)["nodes_known"] is True
    assert NAMESPACE in reader_events["namespaces"]
    events = reader_events["events"]
    used = _used(events)
    reviews = sum(
        (e.get("objectRef") or {}).get("resource") == "selfsubjectaccessreviews" for e in events
    )
    print(
        f"\nread-only: {len(events)} requests ({reviews} access reviews), "
        f"{len(used)} (group, resource, verb) used"
    )
    assert _refused(events) == []
    # Not vacuous: logs, events, the metadata watch of built-in and custom kinds happened,
    # asked for first; Secrets were not tried.
    assert {
        ("", "pods/log", "get"),
        ("", "events", "list"),
        ("", "nodes", "watch"),
        ("batch", "jobs", "watch"),
        ("example.com", "widgets", "watch"),
        ("", "namespaces", "list"),
        ("authorization.k8s.io", "selfsubjectaccessreviews", "create"),
    } <= used
    assert not {r for r in used if r[1] == "secrets"}


@pytest.fixture(scope="module")
def opt_in_events(
    control_plane: ControlPlane,
    built: incidents.Incidents,
    accounts: dict[str, Path],
    reader_events: dict,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[dict]:
    """After the reader's own run (``reader_events``): kubetui-hot-loops-secrets applied,
    the reader's ``triage --watch`` of the hot-loop writer's namespace, as long as the
    churn e2e test's (tests/e2e/test_churn_live.py), once its objects have settled; its
    audit events and output. The role is deleted afterwards."""
    plane = control_plane
    (role,) = yaml.safe_load_all(rbac_yaml("hot-loops-secrets"))
    apply(plane, f"{RBAC}/clusterroles", role)
    builtin = yaml.safe_load_all(rbac_yaml("read-only"))
    _until_aggregated(plane, sum(len(r.get("rules") or ()) for r in builtin) + 2)
    settled = built.started + timedelta(seconds=ChurnTracker.settle_seconds + 5)
    time.sleep(max(0.0, (settled - datetime.now(UTC)).total_seconds()))
    since = len(plane.audit_events())
    reader = accounts["reader"]
    triage = kubetui_cli.triage(
        reader,
        tmp_path_factory.mktemp("opt-in"),
        "-n",
        HOT_NAMESPACE,
        "--watch",
        "40",
        "--format",
        "json",
        timeout=180,
    )
    yield {"events": _events(plane, "reader", since, reader), "triage": triage}
    plane.request("DELETE", f"{RBAC}/clusterroles/{role['metadata']['name']}")


def test_the_opt_in_role_lets_the_watch_find_a_secret_hot_loop(opt_in_events: dict) -> None:
    triage = opt_in_events["triage"]
    assert triage.returncode == 1, triage.stderr
    assert "not permitted" not in triage.stderr
    hot = [f for f in json.loads(triage.stdout)["findings"] if f["kind"] == "hot_loop"]
    assert ("Secret", "secret-hot") in {(f["evidence"]["object_kind"], f["name"]) for f in hot}
    events = opt_in_events["events"]
    print(f"\nread-only + hot-loops-secrets: {len(events)} requests")
    assert _refused(events) == []
    assert {("", "secrets", "list"), ("", "secrets", "watch")} <= _used(events)


@pytest.fixture(scope="module")
def operator_events(control_plane: ControlPlane, accounts: dict[str, Path]) -> list[dict]:
    """The operator's audit events after every kind of write kubetui sends, each of
    which must have succeeded."""
    plane = control_plane
    apply(plane, "/api/v1/nodes", node(NODE))
    since = len(plane.audit_events())
    for name in ("to-delete", "to-force"):
        create(plane, pod(NAMESPACE, name))
        wait_for(plane, NAMESPACE, name, running)
    workloads = {}
    labels = {"app": "rbac"}
    template = {
        "metadata": {"labels": labels},
        # No node matches: the workloads exist to be patched, with no pod to disturb the
        # other e2e tests' counts.
        "spec": {
            "nodeSelector": {"kubetui.dev/rbac-test": "no-such-node"},
            "containers": [{"name": "c", "image": "busybox:1.36"}],
        },
    }
    for kind, resource, extra in (
        ("StatefulSet", "statefulsets", {"serviceName": "rbac", "replicas": 0}),
        ("DaemonSet", "daemonsets", {}),
        ("Deployment", "deployments", {"replicas": 0}),
    ):
        workloads[kind] = apply(
            plane,
            f"/apis/apps/v1/namespaces/{NAMESPACE}/{resource}",
            {
                "apiVersion": "apps/v1",
                "kind": kind,
                "metadata": {"name": f"rbac-{resource}", "namespace": NAMESPACE},
                "spec": {"selector": {"matchLabels": labels}, "template": template, **extra},
            },
        )

    _tag, _app, driver, _executors = engine(plane, NAMESPACE, "rbac", executors=1, frozen=False)
    wait_for(plane, NAMESPACE, driver["metadata"]["name"], running)
    operator = connect(str(accounts["operator"]))
    pods = take_snapshot(operator, [NAMESPACE]).pods
    (spark,) = group_engines(pods)
    by_name = {p.metadata.name: p for p in pods}
    plans = [plan_delete_pod(by_name["to-delete"], pods)]
    forced = plan_delete_pod(by_name["to-force"], pods)
    plans.append(
        Plan(
            title="force",
            steps=tuple(
                Step(action=FORCE_DELETE, target=s.target, reason="test") for s in forced.steps
            ),
        )
    )
    for kind, obj in workloads.items():
        # The pod record a restart is planned from: owned by the workload (a
        # Deployment's pods are owned by its ReplicaSet, named with the template hash).
        owner_kind, owner_name = kind, obj["metadata"]["name"]
        hash_label = {}
        if kind == "Deployment":
            owner_kind, owner_name, hash_label = (
                "ReplicaSet",
                f"{owner_name}-abc12",
                {"pod-template-hash": "abc12"},
            )
        owned = Pod(
            metadata=ObjectMeta(
                namespace=NAMESPACE,
                name=f"{owner_name}-0",
                uid="uid-of-a-pod",
                labels=hash_label,
                owner_references=[
                    OwnerReference(
                        kind=owner_kind,
                        name=owner_name,
                        uid=obj["metadata"]["uid"] if kind != "Deployment" else "",
                        controller=True,
                    )
                ],
            )
        )
        plans.append(plan_restart(owned, datetime.now(UTC)))
    # An engine kill without Kyuubi: its driver pod is deleted and the pods followed.
    plans.append(plan_kill(spark, pods, None, kyuubi_available=False))
    for plan in plans:
        for outcome in execute(operator, plan, follow_timeout=30):
            assert outcome.ok, (plan.title, outcome.status, outcome.detail)

    return _events(plane, "operator", since, accounts["operator"])


def test_actions_role_is_enough_for_every_write(operator_events: list[dict]) -> None:
    assert _refused(operator_events) == []
    assert {
        ("", "pods", "delete"),
        ("apps", "deployments", "patch"),
        ("apps", "statefulsets", "patch"),
        ("apps", "daemonsets", "patch"),
    } <= _used(operator_events)


def test_nothing_more_is_granted(
    reader_events: dict, opt_in_events: dict, operator_events: list[dict]
) -> None:
    """Each role grants only what its account used, or what is justified: read-only
    against the reader alone, actions against what the operator used beyond it, the
    opt-in Secrets role against the reader's run with it."""
    reader = _used(reader_events["events"])
    operator = _used(operator_events)
    unused = {
        "read-only": _granted("read-only") - reader,
        "actions": _granted("actions") - operator,
        "hot-loops-secrets": _granted("hot-loops-secrets") - _used(opt_in_events["events"]),
    }
    for role, rules in unused.items():
        print(f"{role}: {len(_granted(role))} granted, unused but justified: {sorted(rules)}")
    assert unused == {role: set(JUSTIFIED.get(role, ())) for role in unused}
