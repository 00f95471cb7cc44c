"""``list_all(prefetch=True)``: the same pages and items as the plain loop, the next page
asked for while one decodes, and the plain loop's answers to odd servers."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest

from kubetui.model.decode import decode_pod_page
from kubetui.sources.kube_client import KubeError
from kubetui.sources.kube_list import list_all, next_token


def body(names: list[str], token: str | None, *, items_first: bool = False) -> bytes:
    meta: dict[str, Any] = {"resourceVersion": "7"}
    if token:
        meta["continue"] = token
    items = [{"metadata": {"name": n}} for n in names]
    doc = {"items": items, "metadata": meta} if items_first else {"metadata": meta, "items": items}
    return json.dumps({"kind": "PodList", "apiVersion": "v1", **doc}).encode()


class Pages:
    """A fake client: the page for each continue token (``""``: the first)."""

    def __init__(self, pages: dict[str, Any]) -> None:
        self.pages = pages
        self.asked: list[str] = []
        self.lock = threading.Lock()

    def get(self, path: str, query: list[tuple[str, str]] = (), **kw: Any) -> bytes:
        token = dict(query).get("continue", "")
        with self.lock:
            self.asked.append(token if "limit" in dict(query) else "unpaged")
        answer = self.pages[token if "limit" in dict(query) else "unpaged"]
        if isinstance(answer, BaseException):
            raise answer
        return answer


def names(kube: Pages, prefetch: bool) -> list[str]:
    listed = list_all(kube, "/api/v1/pods", decode_pod_page, page_size=2, prefetch=prefetch)  # type: ignore[arg-type]
    return [p.metadata.name for p in listed.items]


THREE_PAGES = {"": body(["a", "b"], "t1"), "t1": body(["c", "d"], "t2"), "t2": body(["e"], None)}


@pytest.mark.parametrize("prefetch", [False, True])
def test_same_items_and_requests(prefetch: bool) -> None:
    kube = Pages(THREE_PAGES)
    assert names(kube, prefetch) == ["a", "b", "c", "d", "e"]
    assert kube.asked == ["", "t1", "t2"]


def test_token_read_from_the_head_only() -> None:
    assert next_token(THREE_PAGES[""]) == "t1"
    assert next_token(THREE_PAGES["t2"]) is None
    assert next_token(body(["a"], "t1", items_first=True)) is None  # found after the decode
    assert next_token(b"<html>502</html>") is None


def test_items_before_metadata_still_pages() -> None:
    pages = {"": body(["a", "b"], "t1", items_first=True), "t1": body(["c"], None)}
    kube = Pages(pages)
    assert names(kube, True) == ["a", "b", "c"]
    assert kube.asked == ["", "t1"]


def test_head_and_body_disagree_the_body_wins() -> None:
    """A head token that is not the page's own: the page asked ahead is dropped."""
    head = body(["a", "b"], "head")
    # A second metadata after the items: a decoder keeps the later key.
    lying = head[:-1] + b', "metadata": {"resourceVersion": "7", "continue": "real"}}'
    kube = Pages({"": lying, "head": body(["x"], None), "real": body(["c"], None)})
    assert names(kube, True) == ["a", "b", "c"]
    assert kube.asked == ["", "head", "real"]


def test_an_expired_token_on_the_page_asked_ahead_starts_over_unpaged() -> None:
    gone = KubeError("API error 410 Expired: continue too old", 410, "Expired")
    kube = Pages({"": body(["a", "b"], "t1"), "t1": gone, "unpaged": body(["a", "c"], None)})
    assert names(kube, True) == ["a", "c"]
    assert kube.asked == ["", "t1", "unpaged"]
