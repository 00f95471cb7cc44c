"""The domain core must stay importable without a terminal or a cluster client.

A subprocess imports every module of ``kubetui.model`` and reports which forbidden
packages ended up in ``sys.modules``; a fresh interpreter is the only honest check, since
this test process itself has textual and kubernetes loaded.
"""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys

import kubetui.model

FORBIDDEN = ("textual", "rich", "kubernetes", "urllib3", "requests")

PROBE = """
import importlib, json, sys
for name in sys.argv[1:]:
    importlib.import_module(name)
print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))
"""


def test_model_imports_no_ui_or_client_packages() -> None:
    modules = [
        f"kubetui.model.{info.name}" for info in pkgutil.iter_modules(kubetui.model.__path__)
    ]
    assert len(modules) >= 3, modules
    out = subprocess.run(
        [sys.executable, "-c", PROBE, "kubetui.model", *modules],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    loaded = set(json.loads(out))
    assert not loaded & set(FORBIDDEN), sorted(loaded & set(FORBIDDEN))


def test_probe_detects_a_forbidden_import() -> None:
    """The probe itself works: importing textual is seen."""
    out = subprocess.run(
        [sys.executable, "-c", PROBE, "textual"], check=True, capture_output=True, text=True
    ).stdout
    assert "textual" in json.loads(out)
