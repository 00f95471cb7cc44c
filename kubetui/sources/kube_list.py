"""Paged LIST of one resource, straight into records.

One LIST, paged with ``limit``/``continue`` (never ``resourceVersion=0``, which the server
answers from its watch cache, ignoring ``limit``, in one huge body: kubernetes/apiserver
``pkg/storage/cacher/cacher.go``). Each page's bytes are decoded once, into records, and
dropped. An expired continue token (410 while paging) restarts the list once without
paging, as client-go's pager does (``tools/pager/pager.go``): a consistent snapshot beats
a fast inconsistent one.

Pages are fetched one after the other. Asking for the next page in a second thread while
one decodes was tried twice and dropped (bench/README.md, "sync_bench"): that thread
reads the body one 16 KB TLS record at a time and waits for the GIL after each while the
decode and compaction hold it, so little overlaps, and the switching cost CPU (50k pods
on the sim: +0.2-0.4 s CPU, slower under load) and a second body's memory.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from kubetui.model.decode import Page
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


def list_all(
    kube: KubeClient,
    path: str,
    decode: Callable[[bytes], Page],
    *,
    page_size: int = DEFAULT_PAGE_SIZE,
    label_selector: str | None = None,
    field_selector: str | None = None,
    on_page: Callable[[int, int | None], None] | None = None,
) -> Listed:
    """LIST ``path`` (e.g. ``/api/v1/pods``) page by page into records.

    ``on_page(pages_done, remaining_item_count)`` reports progress after each page.
    """
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
    while True:
        params = [*query, *([("limit", str(page_size))] if paged else [])]
        if token:
            params.append(("continue", token))
        try:
            body = kube.get(path, params)
        except KubeError as exc:
            if exc.status == 410 and token:
                # The token was compacted away: start over, unpaged (client-go's pager).
                items, errors, token, paged = [], [], None, False
                continue
            raise
        page = decode(body)
        pages += 1
        items.extend(page.items)
        errors.extend(page.errors)
        if on_page is not None:
            on_page(pages, page.meta.remaining_item_count)
        token = page.meta.continue_
        if not token:
            return Listed(items, page.meta.resource_version, pages, errors)
