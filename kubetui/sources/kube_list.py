"""Paged LIST of one resource, straight into records.

One LIST, paged with ``limit``/``continue`` (never ``resourceVersion=0``, which the server
answers from its watch cache, ignoring ``limit``, in one huge body: kubernetes/apiserver
``pkg/storage/cacher/cacher.go``). Each page's bytes are decoded once, into records, and
dropped. An expired continue token (410 while paging) restarts the list once without
paging, as client-go's pager does (``tools/pager/pager.go``): a consistent snapshot beats
a fast inconsistent one.

With ``prefetch``, the next page is requested while this one decodes: its continue token
is read from the body's head (the API server writes ``metadata`` before ``items``), a
worker thread waits for the server meanwhile (the socket read releases the GIL), and
the decoded page's own token must match it, else the prefetched page is dropped and the
right one fetched. The pages, and so the items, are those of the plain loop.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import msgspec

from kubetui.model.decode import Page
from kubetui.model.records import ListMeta
from kubetui.sources.kube_client import KubeClient, KubeError

#: Items per LIST page. kubectl uses 500; see bench/ for the size's effect on sync time.
DEFAULT_PAGE_SIZE = 500


@dataclass(slots=True)
class Listed:
    """All items of one LIST, the resourceVersion to watch from, and skipped items."""

    items: list
    resource_version: str | None
    pages: int
    errors: list[str]


class _Head(msgspec.Struct):
    metadata: ListMeta | None = None


_HEAD = msgspec.json.Decoder(_Head)
_ITEMS = b'"items":'


def next_token(body: bytes) -> str | None:
    """The continue token of a LIST body, read from the part before ``"items":`` (the
    whole body would be parsed to find it otherwise: ~10 ms a 1000-pod page); None when
    that part does not hold it (no more pages, another key order, not JSON)."""
    head = body.find(_ITEMS)
    if head < 0:
        return None
    try:
        meta = _HEAD.decode(body[:head] + b'"items":null}').metadata
    except msgspec.DecodeError:
        return None
    return meta.continue_ if meta is not None else None


def list_all(
    kube: KubeClient,
    path: str,
    decode: Callable[[bytes], Page],
    *,
    page_size: int = DEFAULT_PAGE_SIZE,
    label_selector: str | None = None,
    field_selector: str | None = None,
    on_page: Callable[[int, int | None], None] | None = None,
    prefetch: bool = False,
) -> Listed:
    """LIST ``path`` (e.g. ``/api/v1/pods``) page by page into records.

    ``on_page(pages_done, remaining_item_count)`` reports progress after each page.
    ``prefetch``: request each next page while the current one decodes (module docstring).
    """
    if not prefetch:
        return _list(kube, path, decode, page_size, label_selector, field_selector, on_page, None)
    with ThreadPoolExecutor(1, thread_name_prefix="kubetui-list") as worker:
        return _list(kube, path, decode, page_size, label_selector, field_selector, on_page, worker)


def _list(
    kube: KubeClient,
    path: str,
    decode: Callable[[bytes], Page],
    page_size: int,
    label_selector: str | None,
    field_selector: str | None,
    on_page: Callable[[int, int | None], None] | None,
    worker: ThreadPoolExecutor | None,
) -> Listed:
    query = [
        (key, value)
        for key, value in (("labelSelector", label_selector), ("fieldSelector", field_selector))
        if value
    ]
    items: list = []
    errors: list[str] = []
    pages = 0
    token: str | None = None
    paged = page_size > 0
    #: (continue token, the request for that page) sent ahead, if any.
    ahead: tuple[str, Future[bytes]] | None = None

    def params_for(token: str | None) -> list[tuple[str, str]]:
        params = [*query, *([("limit", str(page_size))] if paged else [])]
        return [*params, ("continue", token)] if token else params

    while True:
        try:
            if ahead is not None and ahead[0] == token:
                body = ahead[1].result()
            else:
                if ahead is not None:
                    # Not the page wanted (a server that changed its token between the
                    # head and the body?): let that request end, then ask for this one.
                    ahead[1].exception()
                body = kube.get(path, params_for(token))
        except KubeError as exc:
            if exc.status == 410 and token:
                # The token was compacted away: start over, unpaged (client-go's pager).
                items, errors, token, paged, ahead = [], [], None, False, None
                continue
            raise
        ahead = None
        if worker is not None and paged and (following := next_token(body)):
            ahead = (following, worker.submit(kube.get, path, params_for(following)))
        page = decode(body)
        pages += 1
        items.extend(page.items)
        errors.extend(page.errors)
        if on_page is not None:
            on_page(pages, page.meta.remaining_item_count)
        token = page.meta.continue_
        if not token:
            return Listed(items, page.meta.resource_version, pages, errors)
