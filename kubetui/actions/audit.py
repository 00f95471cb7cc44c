"""The audit log: one JSON line per executed action, for the post-incident review.

Each line says when, against which cluster (context, server, kubeconfig user name), what
(the plan: title, every step's API call and target uid) and how it ended (one outcome per
object). Credentials never reach it: nothing from the kubeconfig but names is recorded,
and the records are built field by field from the plan, never from request headers.
Kyuubi steps are recorded with the server's URL (any ``user:password@`` part removed)
and their fallback's API call.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import msgspec

from kubetui.actions.execute import Outcome
from kubetui.actions.plans import Plan, without_userinfo
from kubetui.paths import audit_log
from kubetui.sources.kube_client import KubeClient
from kubetui.sources.kyuubi import KyuubiClient


class AuditStep(msgspec.Struct, frozen=True):
    action: str
    namespace: str
    name: str
    uid: str
    api_call: str
    reason: str
    #: Kyuubi steps: the Kubernetes call used when Kyuubi could not do it.
    fallback_call: str | None = None


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
    #: The Kyuubi server the plan's Kyuubi steps went to, without credentials.
    kyuubi: str | None = None


def record_action(
    kube: KubeClient,
    verb: str,
    plan: Plan,
    outcomes: list[Outcome],
    path: Path | None = None,
    *,
    kyuubi: KyuubiClient | None = None,
) -> Path:
    """Append one line for an executed plan; returns the log's path."""
    target = path or audit_log()
    kyuubi_url = without_userinfo(kyuubi.config.url) if kyuubi is not None else None
    clean = without_userinfo  # every text: a URL written with credentials loses them
    uses_kyuubi = any(s.kyuubi is not None for s in plan.steps)
    record = AuditRecord(
        time=datetime.now(UTC).isoformat(timespec="seconds"),
        context=kube.context,
        server=clean(kube.server),
        user=kube.user,
        verb=verb,
        plan=clean(plan.title),
        steps=[
            AuditStep(
                s.action,
                s.target.namespace,
                s.target.name,
                s.target.uid,
                s.api_call(kyuubi_url),
                clean(s.reason),
                s.fallback.api_call() if s.fallback is not None else None,
            )
            for s in plan.steps
        ],
        warnings=[clean(w) for w in plan.warnings],
        outcomes=[msgspec.structs.replace(o, detail=clean(o.detail)) for o in outcomes],
        kyuubi=kyuubi_url if uses_kyuubi else None,
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
