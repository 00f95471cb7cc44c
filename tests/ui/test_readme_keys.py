"""README's keys table is every binding of the dashboard with an id, as the code has it:
keys, id (what ``keys:`` in the config remaps), where it works and what it does. The
bindings are collected from every class in kubetui.ui, so a new or changed key without
its README row fails here."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from pathlib import Path

from textual.binding import Binding

import kubetui.ui

README = Path(__file__).resolve().parents[2] / "README.md"
#: Where each class's keys work, in the words (and the order) of the README's table.
WHERE = {
    "KubetuiApp": "everywhere",
    "MainScreen": "views",
    "LineTable": "every table",
    "NodesView": "Nodes view",
    "PodDetailScreen": "pod detail",
    "CommandLine": "`:` line",
    "NamespacePicker": "namespace picker",
    "HelpScreen": "help",
    "ConfirmScreen": "confirmation",
    "ForceConfirmScreen": "force confirmation",
    "ActionRunScreen": "action run",
    "CleanupScreen": "cleanup screen",
}


def table_rows() -> list[str]:
    """The table's rows, from the bindings of every kubetui.ui class."""
    found: dict[str, tuple[Binding, list[str]]] = {}
    for info in pkgutil.walk_packages(kubetui.ui.__path__, "kubetui.ui."):
        module = importlib.import_module(info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ != module.__name__:
                continue
            for binding in cls.__dict__.get("BINDINGS", ()):
                if isinstance(binding, Binding) and binding.id:
                    found.setdefault(binding.id, (binding, []))[1].append(cls.__name__)
    order = list(WHERE)
    rows = sorted(found.items(), key=lambda item: min(order.index(c) for c in item[1][1]))
    return [
        f"| {' '.join(f'`{k}`' for k in b.key.split(','))} | {id_} | "
        f"{', '.join(WHERE[c] for c in sorted(classes, key=order.index))} | {b.description} |"
        for id_, (b, classes) in rows
    ]


def test_readme_lists_every_key_as_the_code_binds_it() -> None:
    text = README.read_text()
    shown = [line for line in text.splitlines() if re.match(r"\| `[^`]+`.* \| [a-z-]+ \| ", line)]
    assert shown == table_rows()
