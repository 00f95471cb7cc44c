"""kubetui's ingest against the real kube-apiserver: a paged LIST with continue, a WATCH
with bookmarks that follows creates/updates/deletes, and kube-apiserver SIGKILLed and
restarted on the same port mid-watch, with etcd compacted meanwhile, so the resumed
watch is refused as too old (410) and exactly one relist follows. After each step the
store equals a fresh LIST of the server: no missing, phantom or stale pod.

What kubetui sent is read from the server's own audit log (its requests carry
User-Agent kubetui/…).
"""

from __future__ import annotations

import base64
import json
import signal
import time
import urllib.request
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from control_plane import FROZEN, ControlPlane, ensure_namespace

from kubetui.model.decode import decode_pod_page
from kubetui.model.records import Pod
from kubetui.sources.kube_client import USER_AGENT, connect
from tests.sources.ingest_support import Fed

NAMESPACE = "ingest"
PATH = f"/api/v1/namespaces/{NAMESPACE}/pods"


def make_pod(plane: ControlPlane, name: str) -> None:
    plane.request(
        "POST",
        PATH,
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name, "labels": {FROZEN: "true", "app": "ingest"}},
            "spec": {
                "nodeName": "ingest-node",
                "containers": [{"name": "main", "image": "busybox:1.36"}],
            },
        },
    )


def server_pods(plane: ControlPlane) -> dict[str, Pod]:
    raw = json.dumps(plane.request("GET", PATH)).encode()
    return {p.metadata.uid or "": p for p in decode_pod_page(raw).items}


def kubetui_requests(plane: ControlPlane, verb: str, since: int = 0) -> list[dict[str, list[str]]]:
    """Query parameters of kubetui's ``verb`` requests on the namespace's pods, in order."""
    out = []
    for event in plane.audit_events()[since:]:
        if (
            event.get("userAgent") == USER_AGENT
            and event.get("verb") == verb
            and event.get("stage") in ("ResponseComplete", "ResponseStarted")
            and urlsplit(event["requestURI"]).path == PATH
            and (verb != "watch" or event["stage"] == "ResponseStarted")
        ):
            out.append(parse_qs(urlsplit(event["requestURI"]).query))
    return out


def synced(fed: Fed, plane: ControlPlane, what: str, timeout: float = 30) -> None:
    def equal() -> bool:
        return {
            k: v for k, v in fed.store.pods.items() if v.metadata.namespace == NAMESPACE
        } == server_pods(plane)

    try:
        fed.wait_for(equal, what, timeout=timeout)
    except AssertionError as error:
        ours = {p.metadata.name for p in fed.store.pods.values()}
        theirs = {p.metadata.name for p in server_pods(plane).values()}
        raise AssertionError(
            f"{error}\nmissing {sorted(theirs - ours)} phantom {sorted(ours - theirs)}"
        ) from None


@pytest.fixture(scope="module")
def namespace(control_plane: ControlPlane) -> Iterator[str]:
    ensure_namespace(control_plane, NAMESPACE)
    for i in range(23):
        make_pod(control_plane, f"p{i:02d}")
    yield NAMESPACE


def _etcd_put(plane: ControlPlane, key: bytes) -> None:
    """A write outside the API's keys, so etcd's revision moves while kube-apiserver is down."""
    body = {"key": base64.b64encode(key).decode(), "value": base64.b64encode(b"x").decode()}
    request = urllib.request.Request(
        plane.etcd_url + "/v3/kv/put", data=json.dumps(body).encode(), method="POST"
    )
    urllib.request.urlopen(request, timeout=10).read()


def test_paged_list_watch_and_a_restart_with_compaction(
    control_plane: ControlPlane, namespace: str
) -> None:
    plane = control_plane
    audit_start = len(plane.audit_events())
    kube = connect(str(plane.kubeconfig("admin")))
    with Fed(kube, namespaces=[namespace], page_size=5) as fed:
        synced(fed, plane, "the first paged LIST")
        lists = kubetui_requests(plane, "list", audit_start)
        assert len(lists) == 5  # 23 pods, 5 a page
        assert all(q["limit"] == ["5"] for q in lists)
        assert sum("continue" in q for q in lists) == 4
        assert all("resourceVersion" not in q for q in lists)  # "0" would make it unpaged

        fed.wait_for(lambda: kubetui_requests(plane, "watch", audit_start), "the WATCH")
        watch = kubetui_requests(plane, "watch", audit_start)[0]
        assert watch["allowWatchBookmarks"] == ["true"] and watch["resourceVersion"][0]

        # The watch follows changes.
        make_pod(plane, "new-1")
        plane.request(
            "PATCH",
            f"{PATH}/p03",
            {"metadata": {"labels": {"touched": "yes"}}},
            content_type="application/merge-patch+json",
        )
        plane.request("DELETE", f"{PATH}/p04", {"gracePeriodSeconds": 0})
        synced(fed, plane, "a create, a label change and a delete through the WATCH")
        assert any(p.metadata.labels.get("touched") == "yes" for p in fed.store.pods.values())

        # kube-apiserver dies mid-watch; etcd moves on and is compacted; it comes back.
        relists_before = sum(
            "continue" not in q for q in kubetui_requests(plane, "list", audit_start)
        )
        audit_restart = len(plane.audit_events())
        plane.processes["kube-apiserver"].kill(signal.SIGKILL)
        fed.wait_for(
            lambda: (
                fed.last(f"pods/{NAMESPACE}") is not None
                and fed.last(f"pods/{NAMESPACE}").phase in ("reconnecting", "stale")
            ),
            "the pods source to say it is reconnecting",
            timeout=60,
        )
        _etcd_put(plane, b"/kubetui-e2e/tick")
        compacted_at = plane.etcd_compact()
        plane.start_apiserver()
        make_pod(plane, "after-restart")
        plane.request("DELETE", f"{PATH}/p05", {"gracePeriodSeconds": 0})
        synced(fed, plane, "the store after the restart", timeout=90)
        fed.wait_for(
            lambda: fed.last(f"pods/{NAMESPACE}").phase == "live", "live again", timeout=60
        )

        after = [q for q in kubetui_requests(plane, "list", audit_restart) if "continue" not in q]
        assert len(after) == 1, f"relists after the restart: {after}"
        assert relists_before == 1
        watches = kubetui_requests(plane, "watch", audit_restart)
        # the first watch after the restart resumed from before the compaction: refused
        assert int(watches[0]["resourceVersion"][0]) < compacted_at
        time.sleep(2)  # nothing is listed again while the cluster is quiet
        assert (
            len([q for q in kubetui_requests(plane, "list", audit_restart) if "continue" not in q])
            == 1
        )
