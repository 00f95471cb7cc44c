"""Whole-suite reporting: how many hostile objects the property tests tried (issue 13)."""

from __future__ import annotations

import sys


def pytest_terminal_summary(terminalreporter) -> None:
    hostile = sys.modules.get("tests.hostile_objects")
    if hostile is None or not hostile.TRIED:
        return
    terminalreporter.section("hostile objects tried (tests/hostile_objects.py)")
    for what, count in sorted(hostile.TRIED.items()):
        terminalreporter.write_line(f"{count:>8}  {what}")
    terminalreporter.write_line(f"{sum(hostile.TRIED.values()):>8}  in total")
