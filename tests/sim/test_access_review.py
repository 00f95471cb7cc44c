"""SelfSubjectAccessReviews at the sim, answered from its deny rules as kube-apiserver
answers them from RBAC (kubernetes/kubernetes
``pkg/registry/authorization/selfsubjectaccessreview/rest.go`` @ v1.37.2): 201 with
``status.allowed``, nothing stored; and kubetui's client asking them, ``--read-only``
included (an access review changes nothing), while every other write stays refused."""

from __future__ import annotations

import pytest

from kubetui.sim.runner import RunningSim
from kubetui.sources.access_review import permitted
from kubetui.sources.kube_client import ACCESS_REVIEW_PATH, KubeError, connect
from tests.sim.conftest import Api


def review(verb: str, resource: str, namespace: str = "") -> dict:
    attributes = {"verb": verb, "group": "", "resource": resource, "namespace": namespace}
    return {
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SelfSubjectAccessReview",
        "spec": {"resourceAttributes": attributes},
    }


def test_the_review_answers_from_the_deny_rules(sim: RunningSim) -> None:
    viewer = Api(sim, token=sim.tokens["viewer"])
    refused = viewer.request("POST", ACCESS_REVIEW_PATH, review("delete", "pods", "default"))
    assert refused.status == 201
    assert refused.json()["status"] == {"allowed": False}
    assert refused.json()["spec"] == review("delete", "pods", "default")["spec"]
    allowed = viewer.request("POST", ACCESS_REVIEW_PATH, review("list", "pods"))
    assert allowed.json()["status"] == {"allowed": True}
    admin = Api(sim).request("POST", ACCESS_REVIEW_PATH, review("delete", "pods", "default"))
    assert admin.json()["status"] == {"allowed": True}


def test_a_review_is_created_only_and_must_say_what_it_asks(sim: RunningSim) -> None:
    api = Api(sim)
    assert api.get(ACCESS_REVIEW_PATH).status == 405
    empty = api.request("POST", ACCESS_REVIEW_PATH, {"kind": "SelfSubjectAccessReview", "spec": {}})
    assert empty.status == 422
    assert "exactly one of nonResourceAttributes or resourceAttributes" in empty.json()["message"]
    groups = api.get("/apis/authorization.k8s.io/v1").json()["resources"]
    assert [(r["name"], r["verbs"], r["namespaced"]) for r in groups] == [
        ("selfsubjectaccessreviews", ["create"], False)
    ]


def test_the_read_only_client_asks_and_still_refuses_every_write(sim: RunningSim) -> None:
    kube = connect(str(sim.kubeconfig_path), context="kubetui-sim-viewer")
    kube.read_only = True
    before = len(sim.request_log)
    assert permitted(kube, ("list", "watch"), "pods", "", "default") is True
    assert permitted(kube, ("get", "delete"), "pods", "", "default") is False
    with pytest.raises(KubeError, match="read-only: refusing POST"):
        kube.send("POST", ACCESS_REVIEW_PATH, review("list", "pods"))
    # One review per verb (list, watch; get, then delete refused), and nothing else sent.
    assert [(r.method, r.path) for r in sim.request_log[before:]] == [
        ("POST", ACCESS_REVIEW_PATH)
    ] * 4


class Answers:
    """A client whose access reviews all get one answer."""

    def __init__(self, answer: tuple[int, bytes] | KubeError) -> None:
        self.answer = answer

    def review_access(self, _attributes: dict[str, str]) -> tuple[int, bytes]:
        if isinstance(self.answer, KubeError):
            raise self.answer
        return self.answer


@pytest.mark.parametrize(
    "answer",
    [(404, b"404 page not found\n"), (403, b"{}"), (201, b"<html>"), KubeError("timed out")],
    ids=["no-authorization-api", "review-forbidden", "unreadable", "transport"],
)
def test_a_server_that_cannot_answer_is_no_answer(answer: tuple[int, bytes] | KubeError) -> None:
    """None, so the caller tries the request as it did before reviews."""
    assert permitted(Answers(answer), ("list",), "secrets", "", None) is None  # type: ignore[arg-type]
