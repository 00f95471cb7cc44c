"""The audit log: one JSON line per executed action, for the post-incident review.

Each line says when, against which cluster (context, server, kubeconfig user name), what
(the plan: title, every step's API call and target uid) and how it ended (one outcome per
object). Credentials never reach it: nothing from the kubeconfig but names is recorded,
and the records are built field by field from the plan, never from request headers.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import msgspec

from kubetui.actions.execute import Outcome
from kubetui.actions.plans import Plan
from kubetui.paths import audit_log
from kubetui.sources.kube_client import KubeClient


class AuditStep(msgspec.Struct, frozen=True):
    action: str
    namespace: str
    name: str
    uid: str
    api_call: str
    reason: str


class AuditRecord(msgspec.Struct, frozen=True):
    time: str
    context: str | None
    server: str
    user: str | None
    verb: str
    plan: str
    steps: list[AuditStep]
    warnings: list[str]
    outcomes: list[Outcome]


def record_action(
    kube: KubeClient,
    verb: str,
    plan: Plan,
    outcomes: list[Outcome],
    path: Path | None = None,
) -> Path:
    """Append one line for an executed plan; returns the log's path."""
    target = path or audit_log()
    record = AuditRecord(
        time=datetime.now(UTC).isoformat(timespec="seconds"),
        context=kube.context,
        server=kube.server,
        user=kube.user,
        verb=verb,
        plan=plan.title,
        steps=[
            AuditStep(
                s.action, s.target.namespace, s.target.name, s.target.uid, s.api_call(), s.reason
            )
            for s in plan.steps
        ],
        warnings=list(plan.warnings),
        outcomes=outcomes,
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    line = msgspec.json.encode(record) + b"\n"
    # O_APPEND: concurrent kubetui processes never interleave within a line.
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)
    return target
