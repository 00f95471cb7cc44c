"""Where kubetui keeps its files, per the XDG base directory spec.

Config (settings, user themes) under ``$XDG_CONFIG_HOME/kubetui`` (``~/.config``), state
(the audit log, the log file) under ``$XDG_STATE_HOME/kubetui`` (``~/.local/state``).
Nothing is created at import; writers create their directory when they first write.
"""

from __future__ import annotations

import os
from pathlib import Path


def _base(variable: str, default: str) -> Path:
    value = os.environ.get(variable, "")
    # The spec says relative values are invalid and must be ignored.
    return Path(value) if value and os.path.isabs(value) else Path.home() / default


def config_dir() -> Path:
    return _base("XDG_CONFIG_HOME", ".config") / "kubetui"


def state_dir() -> Path:
    return _base("XDG_STATE_HOME", ".local/state") / "kubetui"


def user_themes_dir() -> Path:
    return config_dir() / "themes"


def audit_log() -> Path:
    return state_dir() / "audit.jsonl"


def log_file() -> Path:
    """What went wrong in the background, with tracebacks (``kubetui/logfile.py``)."""
    return state_dir() / "kubetui.log"


#: What ``kubetui locate`` can print.
LOCATIONS = {
    "config": config_dir,
    "themes": user_themes_dir,
    "state": state_dir,
    "audit": audit_log,
    "log": log_file,
}
