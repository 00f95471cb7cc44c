"""Differential truth: kubetui's NAME/READY/STATUS/RESTARTS against the real server's
printing.

``kubectl get pods`` prints the Table kube-apiserver builds with its own ``printPod``
(kubernetes pkg/printers/internalversion/printers.go). Here 1,200 generated pods (every
combination pod_matrix makes) are written through the API, then read back as one Table
with ``includeObject=Object``: each row carries the server's cells *and* the exact object
they were printed from, so kubetui's ``pod_columns`` is computed on the same bytes, with
no race. The test reports N compared and N equal; every difference fails it.
"""

from __future__ import annotations

import email.utils
import json
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import pytest
from control_plane import FROZEN, ApiError, ControlPlane, ensure_namespace
from pod_matrix import PodCase, PodMatrix

from kubetui.model.decode import decode_json_item
from kubetui.model.pod_status import pod_columns
from kubetui.model.records import Pod

NAMESPACE = "column-diff"
PODS = 1200
HOLD = "kubetui-e2e/hold"
TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"


def _write(plane: ControlPlane, case: PodCase) -> str | None:
    """Create, write the status, delete when asked; the server's refusal, if any."""
    base = f"/api/v1/namespaces/{NAMESPACE}/pods"
    metadata = {"name": case.name, "labels": {FROZEN: "true"}, "finalizers": [HOLD]}
    try:
        plane.request(
            "POST",
            base,
            {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": case.spec},
        )
        plane.request(
            "PATCH",
            f"{base}/{case.name}/status",
            {"status": case.status},
            content_type="application/merge-patch+json",
        )
        if case.deleting:
            plane.request("DELETE", f"{base}/{case.name}")
    except ApiError as error:
        body = error.body if isinstance(error.body, dict) else {}
        return f"{error.status} {body.get('reason')}: {str(body.get('message'))[:160]}"
    return None


def _table(
    plane: ControlPlane, collection: str = f"/api/v1/namespaces/{NAMESPACE}/pods"
) -> Iterator[tuple[list, dict, datetime]]:
    """(cells, object, server time) of every row, page by page."""
    token = ""
    while True:
        query = "includeObject=Object&limit=400" + (f"&continue={token}" if token else "")
        request_path = f"{collection}?{query}"
        page, now = _get_with_date(plane, request_path)
        for row in page["rows"]:
            yield row["cells"], row["object"], now
        token = page["metadata"].get("continue") or ""
        if not token:
            return


def _get_with_date(plane: ControlPlane, path: str) -> tuple[dict, datetime]:
    import urllib.request

    from control_plane import USERS

    request = urllib.request.Request(plane.url + path)
    request.add_header("Authorization", f"Bearer {USERS['admin'][0]}")
    request.add_header("Accept", TABLE)
    with urllib.request.urlopen(request, context=plane._ssl(), timeout=60) as response:
        now = email.utils.parsedate_to_datetime(response.headers["Date"])
        return json.loads(response.read()), now


@pytest.fixture(scope="module")
def written(control_plane: ControlPlane) -> Iterator[dict[str, str]]:
    ensure_namespace(control_plane, NAMESPACE)
    matrix = PodMatrix(seed=20261206)
    cases = [matrix.case(i) for i in range(PODS)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        refusals = dict(
            zip(
                (c.name for c in cases),
                pool.map(lambda c: _write(control_plane, c), cases),
                strict=True,
            )
        )
    yield {name: why for name, why in refusals.items() if why}
    # Leave nothing held: drop the finalizers, then force the pods out (no kubelet here).
    base = f"/api/v1/namespaces/{NAMESPACE}/pods"
    for case in cases:
        try:
            control_plane.request(
                "PATCH",
                f"{base}/{case.name}",
                {"metadata": {"finalizers": None}},
                content_type="application/merge-patch+json",
            )
            control_plane.request("DELETE", f"{base}/{case.name}", {"gracePeriodSeconds": 0})
        except ApiError:
            pass


def _compare(
    rows: Iterator[tuple[list, dict, datetime]],
) -> tuple[int, int, list[tuple[str, list[str], list[str]]], Counter[str]]:
    """(compared, equal, differences, server STATUS counts) over Table rows."""
    compared, equal, differences = 0, 0, []
    statuses: Counter[str] = Counter()
    for cells, obj, now in rows:
        pod, notes = decode_json_item(json.dumps(obj).encode(), Pod)
        assert pod is not None, notes
        server = [str(c) for c in cells[:4]]
        compared += 1
        statuses[server[2]] += 1
        # The server's clock and the Date header agree to the second; a restart age
        # that crosses a unit boundary within that second may print one unit apart.
        ours = [
            [c.name, c.ready, c.status, c.restarts]
            for c in (pod_columns(pod, now + timedelta(seconds=s)) for s in (0, -1, 1))
        ]
        if server in ours:
            equal += 1
        else:
            differences.append((obj["metadata"]["name"], server, ours[0]))
    return compared, equal, differences, statuses


def test_columns_equal_the_real_servers_table(
    control_plane: ControlPlane, written: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    compared, equal, differences, statuses = _compare(_table(control_plane))
    with capsys.disabled():
        print(
            f"\nkubectl columns vs kube-apiserver Table: {compared} compared, {equal} equal, "
            f"{len(written)} of {PODS} generated pods refused by the server; "
            f"{len(statuses)} distinct STATUS values: {', '.join(sorted(statuses))}"
        )
        for name, why in sorted(written.items())[:5]:
            print(f"  refused {name}: {why}")
    assert compared == PODS - len(written)
    assert compared >= 1000
    assert not differences, "\n".join(
        f"{n}: server {s} kubetui {o}" for n, s, o in differences[:20]
    )


def test_columns_of_every_pod_in_the_e2e_cluster(
    control_plane: ControlPlane, capsys: pytest.CaptureFixture[str]
) -> None:
    """The incidents and whatever else the e2e tests made, kwok-driven pods included."""
    compared, equal, differences, _ = _compare(_table(control_plane, "/api/v1/pods"))
    with capsys.disabled():
        print(f"\nkubectl columns, whole e2e cluster: {compared} compared, {equal} equal")
    assert compared >= 10
    assert not differences, "\n".join(f"{n}: server {s} kubetui {o}" for n, s, o in differences)
