"""Operator actions as data: what will be done, to which objects, by which API call.

A plan is built from what the operator saw (records with uid and resourceVersion), shown
before anything runs, and executed step by step with preconditions (``execute.py``).
Nothing here does I/O: planners are pure functions over records and findings, so a
preview and the execution can never disagree about the objects.

Preconditions: every delete carries the pod's uid (a pod deleted and recreated under the
same name between preview and confirm is a different pod, and the server answers 409).
Force deletes also carry the resourceVersion: they are only safe for the state the
operator saw (stuck past its deadline, or bound to a node that is gone), so any change
since the preview stops them.

Kyuubi steps (``KYUUBI_KILL_BATCH``, ``KYUUBI_KILL_ENGINE``) carry a :class:`KyuubiCall`
instead of a Kubernetes request, and usually a ``fallback``: the driver pod delete (uid
precondition) that runs when Kyuubi is down, refuses, or leaves the driver running.
Their ``follow`` names the pods to watch until they are gone (``follow.py``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Final
from urllib.parse import urlencode

import msgspec

from kubetui.model.cleanup_policy import Selection
from kubetui.model.findings import Finding
from kubetui.model.records import Pod
from kubetui.model.redaction import without_userinfo

DELETE: Final = "delete"
FORCE_DELETE: Final = "force-delete"
ROLLOUT_RESTART: Final = "rollout-restart"
KYUUBI_KILL_BATCH: Final = "kyuubi-kill-batch"
KYUUBI_KILL_ENGINE: Final = "kyuubi-kill-engine"
KYUUBI_ACTIONS: Final = frozenset({KYUUBI_KILL_BATCH, KYUUBI_KILL_ENGINE})
#: Stands for the Kyuubi server's URL in a call shown without a client at hand.
KYUUBI_PLACEHOLDER: Final = "{kyuubi}"

#: Kind → API path segment, for the objects a step can act on.
_PATHS: Final = {
    "Pod": "/api/v1/namespaces/{ns}/pods/{name}",
    "Deployment": "/apis/apps/v1/namespaces/{ns}/deployments/{name}",
    "StatefulSet": "/apis/apps/v1/namespaces/{ns}/statefulsets/{name}",
    "DaemonSet": "/apis/apps/v1/namespaces/{ns}/daemonsets/{name}",
}
#: The annotation ``kubectl rollout restart`` patches (kubernetes/kubectl
#: pkg/polymorphichelpers/objectrestarter.go).
RESTARTED_AT: Final = "kubectl.kubernetes.io/restartedAt"


class PlanRefused(ValueError):
    """The action cannot be planned safely; the message says why, in one line."""


class Target(msgspec.Struct, frozen=True, kw_only=True):
    """The exact object a step acts on, as the operator saw it."""

    kind: str = "Pod"
    namespace: str
    name: str
    uid: str
    resource_version: str | None = None


class KyuubiCall(msgspec.Struct, frozen=True, kw_only=True):
    """One Kyuubi REST request as data; ``path`` is below ``/api/v1``."""

    method: str
    path: str
    query: tuple[tuple[str, str], ...] = ()

    def url_path(self) -> str:
        return "/api/v1" + self.path + (f"?{urlencode(self.query)}" if self.query else "")


class Follow(msgspec.Struct, frozen=True, kw_only=True):
    """The pods to watch after a kill, until each is gone or terminated.

    ``label_selector`` finds them (and executors started meanwhile) in one LIST;
    ``pods`` are the ones the operator saw, driver first, checked by uid.
    """

    namespace: str
    label_selector: str
    pods: tuple[Target, ...]
    driver_uid: str | None = None


class Step(msgspec.Struct, frozen=True, kw_only=True):
    action: str  # DELETE, FORCE_DELETE, ROLLOUT_RESTART or one of KYUUBI_ACTIONS
    target: Target
    #: Why this object was selected (the finding's or policy's one-liner).
    reason: str
    #: None: the pod's own terminationGracePeriodSeconds; 0 for force deletes.
    grace_seconds: int | None = None
    #: Finalizers that will keep the object after the delete (shown, never stripped).
    finalizers: tuple[str, ...] = ()
    #: Pods that go with this one by owner garbage collection (executors of a driver).
    dependents: tuple[str, ...] = ()
    #: Whether the resourceVersion is a precondition too (see the module docstring).
    check_resource_version: bool = False

    #: For ROLLOUT_RESTART: the annotation value, fixed when the plan is made.
    restarted_at: str | None = None

    #: For KYUUBI_ACTIONS: the request to Kyuubi (``target`` is the driver pod when one
    #: exists, else the batch or engine with its id as name and uid).
    kyuubi: KyuubiCall | None = None
    #: The Kubernetes step run instead when the Kyuubi call cannot do the job.
    fallback: Step | None = None
    #: When ``fallback`` runs, and which case the plan expects, in words.
    fallback_when: str | None = None
    #: The pods to watch after this step (kills).
    follow: Follow | None = None

    @property
    def is_kyuubi(self) -> bool:
        return self.kyuubi is not None

    @property
    def method(self) -> str:
        if self.kyuubi is not None:
            return self.kyuubi.method
        return "PATCH" if self.action == ROLLOUT_RESTART else "DELETE"

    @property
    def path(self) -> str:
        if self.kyuubi is not None:
            return self.kyuubi.url_path()
        return _PATHS[self.target.kind].format(ns=self.target.namespace, name=self.target.name)

    @property
    def content_type(self) -> str:
        if self.action == ROLLOUT_RESTART:
            return "application/strategic-merge-patch+json"
        return "application/json"

    def query(self, *, dry_run: bool) -> list[tuple[str, str]]:
        """Query parameters: PATCH takes dryRun in the query (it has no DeleteOptions)."""
        if self.action != ROLLOUT_RESTART:
            return []
        return [("fieldManager", "kubetui"), *([("dryRun", "All")] if dry_run else [])]

    def body(self, *, dry_run: bool) -> dict:
        if self.action == ROLLOUT_RESTART:
            annotations = {RESTARTED_AT: self.restarted_at}
            return {"spec": {"template": {"metadata": {"annotations": annotations}}}}
        return self.delete_options(dry_run=dry_run)

    def delete_options(self, *, dry_run: bool) -> dict:
        """The DeleteOptions body. dryRun travels in the body with the preconditions:
        a non-empty body makes the server ignore query parameters (kubernetes/apiserver
        ``pkg/endpoints/handlers/delete.go``)."""
        preconditions = {"uid": self.target.uid}
        if self.check_resource_version and self.target.resource_version:
            preconditions["resourceVersion"] = self.target.resource_version
        body: dict = {
            "kind": "DeleteOptions",
            "apiVersion": "v1",
            "preconditions": preconditions,
            "propagationPolicy": "Background",
        }
        if self.grace_seconds is not None:
            body["gracePeriodSeconds"] = self.grace_seconds
        if dry_run:
            body["dryRun"] = ["All"]
        return body

    def api_call(self, kyuubi_url: str | None = None) -> str:
        """The request, as the confirmation screen and the audit log show it.

        A Kyuubi call starts with ``kyuubi_url`` (else ``{kyuubi}``); its fallback is
        ``fallback.api_call()``.
        """
        if self.kyuubi is not None:
            url = without_userinfo(kyuubi_url or KYUUBI_PLACEHOLDER)
            base = url.rstrip("/").removesuffix("/api/v1")
            return f"{self.kyuubi.method} {base}{self.kyuubi.url_path()}"
        if self.action == ROLLOUT_RESTART:
            return (
                f"PATCH {self.path}?fieldManager=kubetui (strategic merge: "
                f"spec.template.metadata.annotations[{RESTARTED_AT}]={self.restarted_at})"
            )
        pre = f"uid={self.target.uid}"
        if self.check_resource_version and self.target.resource_version:
            pre += f", resourceVersion={self.target.resource_version}"
        grace = "" if self.grace_seconds is None else f", gracePeriodSeconds={self.grace_seconds}"
        return f"DELETE {self.path} (preconditions {pre}{grace}, propagationPolicy=Background)"


class Plan(msgspec.Struct, frozen=True, kw_only=True):
    title: str
    steps: tuple[Step, ...]
    #: Risks the operator must read before confirming (force deletes, finalizers, …).
    warnings: tuple[str, ...] = ()

    @property
    def needs_second_confirmation(self) -> bool:
        return any(s.action == FORCE_DELETE for s in self.steps)


def target_of(pod: Pod, *, with_rv: bool = False) -> Target | None:
    meta = pod.metadata
    if not (meta.namespace and meta.name and meta.uid):
        return None  # without a uid there is no safe precondition: never planned
    return Target(
        namespace=meta.namespace,
        name=meta.name,
        uid=meta.uid,
        resource_version=meta.resource_version if with_rv else None,
    )


def dependents_of(pod: Pod, pods: Iterable[Pod]) -> tuple[str, ...]:
    uid = pod.metadata.uid
    return tuple(
        sorted(
            p.metadata.name or "?"
            for p in pods
            if uid and any(ref.uid == uid for ref in p.metadata.owner_references)
        )
    )


def plan_delete_pod(pod: Pod, pods: Iterable[Pod]) -> Plan:
    """ctrl+d: one DELETE of exactly this pod, with its uid as precondition (a pod
    recreated under the same name since is not touched), its grace period, and the pods
    its deletion takes along by owner garbage collection listed."""
    target = target_of(pod)
    if target is None:
        raise PlanRefused("the pod has no namespace, name or uid: it cannot be deleted safely")
    step = Step(
        action=DELETE,
        target=target,
        reason="chosen by the operator",
        finalizers=pod.metadata.finalizers,
        dependents=dependents_of(pod, pods),
    )
    return Plan(title=f"Delete pod {target.namespace}/{target.name}", steps=(step,))


def plan_failed_pods(selections: Sequence[Selection], pods: Sequence[Pod]) -> Plan:
    """Delete the pods a cleanup policy selected (all Failed: the server uses grace 0)."""
    steps = []
    for selection in selections:
        target = target_of(selection.pod)
        if target is not None:
            steps.append(
                Step(
                    action=DELETE,
                    target=target,
                    reason=selection.reason,
                    finalizers=selection.pod.metadata.finalizers,
                    dependents=dependents_of(selection.pod, pods),
                )
            )
    return Plan(title=f"Delete {len(steps)} failed pod(s) selected by policy", steps=tuple(steps))


#: Finding kind → how its pods are cleaned up.
_CLEANUP_KINDS: Final = ("zombie_engine_pod", "stuck_terminating", "orphaned")


def plan_finding_cleanup(
    findings: Iterable[Finding], pods: Sequence[Pod], kinds: Iterable[str] = _CLEANUP_KINDS
) -> Plan:
    """Delete zombie engine pods; force-delete stuck Terminating and orphaned pods.

    Stuck Terminating pods already passed their deadline and orphaned pods sit on a node
    whose kubelet will never confirm the kill, so only grace 0 removes them (what
    kube-controller-manager's pod GC does for orphans); both carry the resourceVersion.
    One step per pod, in finding order; a pod named by several findings is deleted once,
    the strongest way.
    """
    wanted = set(kinds)
    by_uid = {p.metadata.uid: p for p in pods if p.metadata.uid}
    steps: dict[str, Step] = {}
    warnings: list[str] = []
    for finding in findings:
        if finding.kind not in wanted or finding.uid not in by_uid:
            continue
        pod = by_uid[finding.uid]
        force = finding.kind in ("stuck_terminating", "orphaned")
        target = target_of(pod, with_rv=force)
        if target is None or (finding.uid in steps and not force):
            continue
        steps[finding.uid] = Step(
            action=FORCE_DELETE if force else DELETE,
            target=target,
            reason=f"{finding.kind}: {finding.summary}",
            grace_seconds=0 if force else None,
            finalizers=pod.metadata.finalizers,
            dependents=dependents_of(pod, pods),
            check_resource_version=force,
        )
    for step in steps.values():
        if step.action != FORCE_DELETE:
            continue
        node = by_uid[step.target.uid].spec.node_name or "its node"
        warnings.append(
            f"{step.target.namespace}/{step.target.name}: force delete removes the API object "
            f"without waiting for the kubelet; its containers may still run on {node}"
        )
        if step.finalizers:
            warnings.append(
                f"{step.target.namespace}/{step.target.name}: finalizers "
                f"{', '.join(step.finalizers)} keep the object until their controller "
                "removes them (kubetui does not strip finalizers)"
            )
    ordered = tuple(steps.values())
    return Plan(
        title=f"Clean up {len(ordered)} pod(s): zombies, stuck Terminating, orphaned",
        steps=ordered,
        warnings=tuple(warnings),
    )


def merge_plans(title: str, plans: Iterable[Plan]) -> Plan:
    """One plan from several, each pod once (a force delete wins over a delete)."""
    steps: dict[str, Step] = {}
    warnings: list[str] = []
    for plan in plans:
        warnings.extend(w for w in plan.warnings if w not in warnings)
        for step in plan.steps:
            known = steps.get(step.target.uid)
            if known is None or (step.action == FORCE_DELETE and known.action != FORCE_DELETE):
                steps[step.target.uid] = step
    return Plan(title=title, steps=tuple(steps.values()), warnings=tuple(warnings))


def plan_restart(pod: Pod, now: datetime) -> Plan:
    """Recreate a pod the way its controller expects.

    Deployments (found through the pod's ReplicaSet: its name is the Deployment's plus
    ``-<pod-template-hash>``), StatefulSets and DaemonSets get ``kubectl rollout
    restart``'s annotation patch; pods of any other controller (a Job, a bare ReplicaSet,
    an executor owned by its Spark driver) are deleted so it creates a new one. A pod
    without an owner is refused: nothing would recreate it.
    """
    meta = pod.metadata
    target = target_of(pod)
    owner = next((r for r in meta.owner_references if r.controller), None)
    if target is None:
        raise PlanRefused("the pod has no uid: it cannot be deleted safely")
    if owner is None or not owner.kind or not owner.name:
        raise PlanRefused(
            f"{meta.namespace}/{meta.name} has no controller: deleting it would not bring it "
            "back (for a Kyuubi engine, relaunch it from the Engines view)"
        )
    workload = _workload_of(pod, owner.kind, owner.name)
    if workload is not None:
        kind, name = workload
        stamp = now.astimezone().isoformat(timespec="seconds")
        step = Step(
            action=ROLLOUT_RESTART,
            target=Target(kind=kind, namespace=target.namespace, name=name, uid=owner.uid or ""),
            reason=f"rollout restart of {kind} {name}, which owns {meta.name}",
            restarted_at=stamp,
        )
        return Plan(title=f"Rollout restart {kind} {target.namespace}/{name}", steps=(step,))
    step = Step(
        action=DELETE,
        target=target,
        reason=f"its controller ({owner.kind} {owner.name}) creates a replacement",
        finalizers=meta.finalizers,
    )
    return Plan(title=f"Delete pod {target.namespace}/{target.name} to recreate it", steps=(step,))


def _workload_of(pod: Pod, owner_kind: str, owner_name: str) -> tuple[str, str] | None:
    if owner_kind in ("StatefulSet", "DaemonSet"):
        return owner_kind, owner_name
    template_hash = (pod.metadata.labels or {}).get("pod-template-hash")
    if owner_kind == "ReplicaSet" and template_hash and owner_name.endswith(f"-{template_hash}"):
        return "Deployment", owner_name[: -len(template_hash) - 1]
    return None
