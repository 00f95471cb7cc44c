"""``release_free_heap``: trims where the C library can, changes nothing where it cannot."""

from __future__ import annotations

import ctypes

import pytest

from kubetui import heap


def test_trims_with_glibc() -> None:
    if not hasattr(ctypes.CDLL(None), "malloc_trim"):
        pytest.skip("no glibc malloc_trim here")
    assert heap.release_free_heap() is True


def test_without_malloc_trim_nothing_happens(monkeypatch: pytest.MonkeyPatch) -> None:
    class NoTrim:
        """A C library without ``malloc_trim`` (musl, macOS)."""

        def __init__(self, name: str | None) -> None:
            self.name = name

    monkeypatch.setattr(heap.ctypes, "CDLL", NoTrim)
    assert heap.release_free_heap() is False
