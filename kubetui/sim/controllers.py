"""Just enough of kube-controller-manager for ``kubectl rollout restart`` to work.

A Deployment owns one ReplicaSet per pod-template hash (the newest scaled to
``spec.replicas``, older ones to 0); a ReplicaSet keeps ``replicas`` live pods; a
StatefulSet keeps ordinal pods ``<name>-<i>`` at its current revision, replacing one stale
pod at a time from the highest ordinal. New pods start Running and Ready on a node (the
sim has no scheduler or kubelet startup). Model: kubernetes/kubernetes
``pkg/controller/deployment/sync.go`` (hash-named ReplicaSets, ``pod-template-hash``
label), ``replicaset/replica_set.go``, ``statefulset/stateful_set_control.go`` (ordinals,
``controller-revision-hash``). Work is driven by a state watcher, so a 150k-pod sim pays
only for changes that touch controlled objects.
"""

from __future__ import annotations

import hashlib
import random
from typing import Any

import msgspec

from kubetui.sim.state import SimState, WatchClosed, Watcher, rfc3339

Obj = dict[str, Any]
_SAFE = "bcdfghjklmnpqrstvwxz2456789"  # apimachinery rand.SafeEncodeString alphabet
_KINDS = {"ReplicaSet": "replicasets", "StatefulSet": "statefulsets", "Deployment": "deployments"}


def template_hash(template: Obj) -> str:
    digest = hashlib.sha256(msgspec.json.encode(template, order="sorted")).digest()
    return "".join(_SAFE[b % len(_SAFE)] for b in digest[:10])


def _owner_ref(kind: str, api_version: str, owner: Obj) -> Obj:
    meta = owner["metadata"]
    return {
        "apiVersion": api_version,
        "kind": kind,
        "name": meta["name"],
        "uid": meta["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def _is_active(pod: Obj) -> bool:
    """``IsPodActive`` (kubernetes pkg/controller/controller_utils.go): replica counts
    skip Succeeded, Failed and deleting pods, so an Evicted pod is left alone."""
    phase = (pod.get("status") or {}).get("phase")
    return phase not in ("Succeeded", "Failed") and not pod["metadata"].get("deletionTimestamp")


def _split(key: str) -> tuple[str | None, str]:
    namespace, _, name = key.rpartition("/")
    return namespace or None, name


class Controllers:
    """Deployment, ReplicaSet and StatefulSet controllers over one SimState."""

    def __init__(self, state: SimState, seed: int = 0) -> None:
        self.state = state
        self.rng = random.Random(seed)
        since = state.resource_version
        self._watchers: dict[str, Watcher] = {
            r: state.watch(r, None, since)
            for r in ("deployments", "replicasets", "statefulsets", "pods")
        }
        #: template hashes at start: until a template changes, what the scenario built
        #: (its ReplicaSets, its pods' revision labels) counts as current; controllers act
        #: only on changes made after start
        self._baseline: dict[str, str] = {}
        for resource in ("deployments", "statefulsets"):
            for entry in state.entries(resource):
                template = (entry.obj().get("spec") or {}).get("template") or {}
                self._baseline[f"{resource}/{entry.key}"] = template_hash(template)
        #: owners to reconcile; empty at start so a frozen scenario stays as populated
        self._dirty: set[tuple[str, str]] = set()

    def close(self) -> None:
        for watcher in self._watchers.values():
            self.state.unwatch(watcher)

    def run_once(self) -> None:
        """Take queued changes, then reconcile every owner they touched."""
        for resource, watcher in self._watchers.items():
            while True:
                try:
                    change = watcher.next(timeout=0)
                except WatchClosed:
                    break
                if change is None:
                    break
                if resource != "pods":
                    self._dirty.add((resource, change.entry.key))
                owner_entry = change.prev if change.type == "DELETED" else change.entry
                obj = msgspec.json.decode(owner_entry.data) if owner_entry.owners else None
                namespace = change.entry.key.rpartition("/")[0]
                for ref in (obj or {}).get("metadata", {}).get("ownerReferences") or []:
                    plural = _KINDS.get(ref.get("kind", ""))
                    if plural:
                        self._dirty.add((plural, f"{namespace}/{ref.get('name')}"))
        while self._dirty:
            resource, key = self._dirty.pop()
            namespace, name = _split(key)
            obj = self.state.get(resource, namespace, name)
            if obj is None or obj["metadata"].get("deletionTimestamp"):
                continue
            {
                "deployments": self._deployment,
                "replicasets": self._replicaset,
                "statefulsets": self._statefulset,
            }[resource](obj)

    # ------------------------------------------------------------ helpers
    def _owned(self, owner: Obj, resource: str) -> list[Obj]:
        uid = owner["metadata"]["uid"]
        out = []
        for res, key in self.state.dependents(uid):
            if res == resource:
                obj = self.state.get(res, *_split(key))
                if obj is not None:
                    out.append(obj)
        return out

    def _set_status(self, resource: str, obj: Obj, status: Obj) -> None:
        current = obj.get("status") or {}
        if all(current.get(k) == v for k, v in status.items()):
            return
        meta = obj["metadata"]

        def apply(o: Obj) -> None:
            o.setdefault("status", {}).update(status)

        self.state.mutate(resource, meta.get("namespace"), meta["name"], apply)

    def _new_pod(
        self, owner: Obj, kind: str, api_version: str, name: str, template: Obj, labels: Obj
    ) -> None:
        meta = owner["metadata"]
        now = rfc3339(self.state.clock.now())
        tmpl_meta = template.get("metadata") or {}
        spec = {
            "restartPolicy": "Always",
            "terminationGracePeriodSeconds": 30,
            "dnsPolicy": "ClusterFirst",
            "schedulerName": "default-scheduler",
            **(template.get("spec") or {}),
        }
        nodes = [e.key for e in self.state.entries("nodes")]
        if nodes and not spec.get("nodeName"):
            spec["nodeName"] = nodes[self.rng.randrange(len(nodes))]
        ip = f"10.244.{self.rng.randrange(256)}.{self.rng.randrange(1, 255)}"
        containers = spec.get("containers") or []
        conditions = [
            {"type": t, "status": "True", "lastProbeTime": None, "lastTransitionTime": now}
            for t in (
                "PodReadyToStartContainers",
                "Initialized",
                "Ready",
                "ContainersReady",
                "PodScheduled",
            )
        ]
        pod = {
            "metadata": {
                "name": name,
                "namespace": meta.get("namespace"),
                "labels": {**(tmpl_meta.get("labels") or {}), **labels},
                **(
                    {"annotations": tmpl_meta["annotations"]}
                    if tmpl_meta.get("annotations")
                    else {}
                ),
                "ownerReferences": [_owner_ref(kind, api_version, owner)],
            },
            "spec": spec,
            "status": {
                "phase": "Running",
                "conditions": conditions,
                "hostIP": "10.0.0.1",
                "podIP": ip,
                "podIPs": [{"ip": ip}],
                "startTime": now,
                "containerStatuses": [
                    {
                        "name": c.get("name", ""),
                        "state": {"running": {"startedAt": now}},
                        "lastState": {},
                        "ready": True,
                        "restartCount": 0,
                        "image": c.get("image", ""),
                        "imageID": "",
                        "containerID": f"containerd://{self.rng.getrandbits(256):064x}",
                        "started": True,
                    }
                    for c in containers
                ],
                "qosClass": "BestEffort",
            },
        }
        self.state.create("pods", pod)

    def _delete_pod(self, pod: Obj) -> None:
        meta = pod["metadata"]
        try:
            self.state.delete(
                "pods", meta["namespace"], meta["name"], preconditions={"uid": meta["uid"]}
            )
        except Exception:
            return

    # ------------------------------------------------------------ controllers
    def _deployment(self, dep: Obj) -> None:
        meta, spec = dep["metadata"], dep.get("spec") or {}
        template = spec.get("template") or {}
        pod_hash = template_hash(template)
        if self._baseline.get(f"deployments/{meta['namespace']}/{meta['name']}") == pod_hash:
            return
        rs_name = f"{meta['name']}-{pod_hash}"
        owned = self._owned(dep, "replicasets")
        replicas = int(spec.get("replicas", 1))
        if not any(rs["metadata"]["name"] == rs_name for rs in owned):
            labels = {
                **((template.get("metadata") or {}).get("labels") or {}),
                "pod-template-hash": pod_hash,
            }
            selector = spec.get("selector") or {"matchLabels": {}}
            rs_template = {
                **template,
                "metadata": {**(template.get("metadata") or {}), "labels": labels},
            }
            self.state.create(
                "replicasets",
                {
                    "metadata": {
                        "name": rs_name,
                        "namespace": meta["namespace"],
                        "labels": labels,
                        "ownerReferences": [_owner_ref("Deployment", "apps/v1", dep)],
                    },
                    "spec": {
                        "replicas": replicas,
                        "selector": {
                            **selector,
                            "matchLabels": {
                                **(selector.get("matchLabels") or {}),
                                "pod-template-hash": pod_hash,
                            },
                        },
                        "template": rs_template,
                    },
                },
            )
        for rs in owned:
            want = replicas if rs["metadata"]["name"] == rs_name else 0
            if int((rs.get("spec") or {}).get("replicas", 1)) != want:
                self.state.mutate(
                    "replicasets",
                    meta["namespace"],
                    rs["metadata"]["name"],
                    lambda o, w=want: o["spec"].__setitem__("replicas", w),
                )
        pods = [p for rs in owned for p in self._owned(rs, "pods") if _is_active(p)]
        current = [
            p for p in pods if p["metadata"].get("labels", {}).get("pod-template-hash") == pod_hash
        ]
        self._set_status(
            "deployments",
            dep,
            {
                "replicas": len(pods),
                "updatedReplicas": len(current),
                "readyReplicas": len(pods),
                "availableReplicas": len(pods),
                "observedGeneration": meta.get("generation", 1),
            },
        )

    def _replicaset(self, rs: Obj) -> None:
        spec = rs.get("spec") or {}
        desired = int(spec.get("replicas", 1))
        pods = [p for p in self._owned(rs, "pods") if _is_active(p)]
        for _ in range(desired - len(pods)):
            name = f"{rs['metadata']['name']}-" + "".join(self.rng.choice(_SAFE) for _ in range(5))
            self._new_pod(rs, "ReplicaSet", "apps/v1", name, spec.get("template") or {}, {})
        surplus = sorted(
            pods, key=lambda p: p["metadata"].get("creationTimestamp", ""), reverse=True
        )
        for pod in surplus[: max(0, len(pods) - desired)]:
            self._delete_pod(pod)
        live = min(desired, len(pods)) if pods else 0
        self._set_status(
            "replicasets", rs, {"replicas": live, "readyReplicas": live, "availableReplicas": live}
        )

    def _statefulset(self, sts: Obj) -> None:
        meta, spec = sts["metadata"], sts.get("spec") or {}
        template = spec.get("template") or {}
        revision = f"{meta['name']}-{template_hash(template)}"
        desired = int(spec.get("replicas", 1))
        pods = {p["metadata"]["name"]: p for p in self._owned(sts, "pods")}
        for i in range(desired):
            name = f"{meta['name']}-{i}"
            if name not in pods:
                labels = {
                    "controller-revision-hash": revision,
                    "statefulset.kubernetes.io/pod-name": name,
                }
                self._new_pod(sts, "StatefulSet", "apps/v1", name, template, labels)
        for name, pod in pods.items():
            ordinal = name.rsplit("-", 1)[-1]
            if (
                ordinal.isdigit()
                and int(ordinal) >= desired
                and not pod["metadata"].get("deletionTimestamp")
            ):
                self._delete_pod(pod)
        baseline = self._baseline.get(f"statefulsets/{meta['namespace']}/{meta['name']}")
        stale = [
            p
            for n, p in sorted(pods.items(), reverse=True)
            if baseline != template_hash(template)
            and p["metadata"].get("labels", {}).get("controller-revision-hash") != revision
        ]
        if stale and not any(p["metadata"].get("deletionTimestamp") for p in pods.values()):
            self._delete_pod(stale[0])
        ready = sum(1 for p in pods.values() if not p["metadata"].get("deletionTimestamp"))
        self._set_status(
            "statefulsets",
            sts,
            {
                "replicas": ready,
                "readyReplicas": ready,
                "currentRevision": revision,
                "updateRevision": revision,
            },
        )
