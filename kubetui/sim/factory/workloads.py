"""Deployments, ReplicaSets, StatefulSets, Jobs and the pods their controllers create."""

from __future__ import annotations

import json
import random
from collections.abc import Mapping
from datetime import datetime, timedelta

from kubetui.sim.factory.ids import Obj, name_suffix, new_uid, ts
from kubetui.sim.factory.managed import field_set, managed_entry, owned_metadata
from kubetui.sim.factory.pods import container, env_field, env_value, owner_ref, pod, resources

CONTROLLER_MANAGER = "kube-controller-manager"


def _http_probes(port: str | int, path: str = "/healthz") -> Obj:
    probe = {
        "httpGet": {"path": path, "port": port, "scheme": "HTTP"},
        "timeoutSeconds": 1,
        "periodSeconds": 10,
        "successThreshold": 1,
        "failureThreshold": 3,
    }
    return {
        "livenessProbe": {**probe, "initialDelaySeconds": 30},
        "readinessProbe": {**probe, "initialDelaySeconds": 5},
    }


def app_container(
    name: str,
    image: str,
    *,
    port: int = 8080,
    cpu: str | None = "250m",
    memory_mib: int | None = 512,
    qos: str = "Burstable",
    env: list[Obj] | None = None,
    probe_path: str | None = "/healthz",
    args: list[str] | None = None,
) -> Obj:
    """A typical service container: one port, probes, resources shaped for ``qos``."""
    if qos == "Guaranteed":
        res = resources(cpu, memory_mib, cpu_limit=cpu, memory_limit_mib=memory_mib)
    elif qos == "BestEffort":
        res = {}
    else:
        res = resources(cpu, memory_mib, memory_limit_mib=(memory_mib or 0) * 2 or None)
    return container(
        name,
        image,
        args=args,
        ports=[{"name": "http", "containerPort": port}],
        env=env
        or [env_value("LOG_LEVEL", "info"), env_field("POD_NAMESPACE", "metadata.namespace")],
        resources=res,
        probes=_http_probes("http", probe_path) if probe_path else None,
    )


def _template_labels(app: str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    labels = {"app.kubernetes.io/name": app, "app.kubernetes.io/instance": app}
    labels.update(extra or {})
    return dict(sorted(labels.items()))


def deployment(
    rng: random.Random,
    *,
    name: str,
    namespace: str,
    created: datetime,
    containers: list[Obj],
    replicas: int = 1,
    ready: int | None = None,
    template_hash: str,
    manager: str = "helm",
    init_containers: list[Obj] | None = None,
) -> Obj:
    """An apps/v1 Deployment (generation 1, status written by the controller manager).

    ``template_hash`` names its current ReplicaSet (pass the same one to ``replicaset``).
    """
    labels = _template_labels(name)
    template = _pod_template(labels, containers, init_containers)
    spec: Obj = {
        "replicas": replicas,
        "selector": {"matchLabels": labels},
        "template": template,
        "strategy": {
            "type": "RollingUpdate",
            "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"},
        },
        "revisionHistoryLimit": 10,
        "progressDeadlineSeconds": 600,
    }
    ready = replicas if ready is None else ready
    status = {
        "observedGeneration": 1,
        "replicas": replicas,
        "updatedReplicas": replicas,
        "readyReplicas": ready,
        "availableReplicas": ready,
        "conditions": [
            {
                "type": "Available",
                "status": "True" if ready >= replicas else "False",
                "lastUpdateTime": ts(created),
                "lastTransitionTime": ts(created),
                "reason": "MinimumReplicasAvailable"
                if ready >= replicas
                else "MinimumReplicasUnavailable",
                "message": "Deployment has minimum availability."
                if ready >= replicas
                else "Deployment does not have minimum availability.",
            },
            {
                "type": "Progressing",
                "status": "True",
                "lastUpdateTime": ts(created),
                "lastTransitionTime": ts(created),
                "reason": "NewReplicaSetAvailable",
                "message": f'ReplicaSet "{name}-{template_hash}" has successfully progressed.',
            },
        ],
    }
    if ready == 0:
        status.pop("readyReplicas")
        status.pop("availableReplicas")
        status["unavailableReplicas"] = replicas
    return _workload(
        rng,
        name=name,
        namespace=namespace,
        created=created,
        labels=labels,
        spec=spec,
        status=status,
        manager=manager,
        annotations={"deployment.kubernetes.io/revision": "1"},
    )


def _pod_template(
    labels: Mapping[str, str], containers: list[Obj], init_containers: list[Obj] | None = None
) -> Obj:
    spec: Obj = {}
    if init_containers:
        spec["initContainers"] = init_containers
    spec.update(
        {
            "containers": containers,
            "restartPolicy": "Always",
            "terminationGracePeriodSeconds": 30,
            "dnsPolicy": "ClusterFirst",
            "securityContext": {},
            "schedulerName": "default-scheduler",
        }
    )
    return {"metadata": {"labels": dict(labels)}, "spec": spec}


def _workload(
    rng: random.Random,
    *,
    name: str,
    namespace: str,
    created: datetime,
    labels: Mapping[str, str],
    spec: Obj,
    status: Obj,
    manager: str,
    annotations: Mapping[str, str] | None = None,
    owner_references: list[Obj] | None = None,
    api_version: str = "apps/v1",
) -> Obj:
    meta: Obj = {
        "name": name,
        "namespace": namespace,
        "uid": new_uid(rng),
        "generation": 1,
        "creationTimestamp": ts(created),
        "labels": dict(sorted(labels.items())),
    }
    if annotations:
        meta["annotations"] = dict(sorted(annotations.items()))
    if owner_references:
        meta["ownerReferences"] = owner_references
    owned = {
        "metadata": owned_metadata({k: v for k, v in meta.items() if k != "annotations"}),
        "spec": spec,
    }
    meta["managedFields"] = [
        managed_entry(manager, created, owned, api_version=api_version),
        managed_entry(
            CONTROLLER_MANAGER,
            created + timedelta(seconds=20),
            {"status": status},
            api_version=api_version,
            subresource="status",
        ),
    ]
    if annotations:
        meta["managedFields"][1]["fieldsV1"]["f:metadata"] = field_set(
            {"annotations": dict(annotations)}, "metadata"
        )
    return {"metadata": meta, "spec": spec, "status": status}


def replicaset(
    rng: random.Random,
    deploy: Obj,
    *,
    template_hash: str,
    created: datetime,
    ready: int | None = None,
) -> Obj:
    """The Deployment's current ReplicaSet (name ``<deployment>-<pod-template-hash>``)."""
    dspec = deploy["spec"]
    labels = {**dspec["selector"]["matchLabels"], "pod-template-hash": template_hash}
    template = json.loads(json.dumps(dspec["template"]))
    template["metadata"]["labels"] = dict(sorted(labels.items()))
    replicas = dspec["replicas"]
    ready = replicas if ready is None else ready
    spec = {
        "replicas": replicas,
        "selector": {"matchLabels": dict(sorted(labels.items()))},
        "template": template,
    }
    status = {
        "replicas": replicas,
        "fullyLabeledReplicas": replicas,
        "readyReplicas": ready,
        "availableReplicas": ready,
        "observedGeneration": 1,
    }
    name = f"{deploy['metadata']['name']}-{template_hash}"
    return _workload(
        rng,
        name=name,
        namespace=deploy["metadata"]["namespace"],
        created=created,
        labels=labels,
        spec=spec,
        status=status,
        manager=CONTROLLER_MANAGER,
        annotations={
            "deployment.kubernetes.io/desired-replicas": str(replicas),
            "deployment.kubernetes.io/max-replicas": str(replicas + 1),
            "deployment.kubernetes.io/revision": "1",
        },
        owner_references=[owner_ref(deploy, "Deployment", "apps/v1")],
    )


def statefulset(
    rng: random.Random,
    *,
    name: str,
    namespace: str,
    created: datetime,
    containers: list[Obj],
    replicas: int = 1,
    revision: str | None = None,
    manager: str = "helm",
) -> Obj:
    labels = _template_labels(name)
    revision = revision or f"{name}-{name_suffix(rng, 10)}"
    spec = {
        "replicas": replicas,
        "selector": {"matchLabels": labels},
        "template": _pod_template(labels, containers),
        "serviceName": f"{name}-headless",
        "podManagementPolicy": "OrderedReady",
        "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}},
        "revisionHistoryLimit": 10,
        "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain", "whenScaled": "Retain"},
    }
    status = {
        "observedGeneration": 1,
        "replicas": replicas,
        "readyReplicas": replicas,
        "currentReplicas": replicas,
        "updatedReplicas": replicas,
        "currentRevision": revision,
        "updateRevision": revision,
        "collisionCount": 0,
        "availableReplicas": replicas,
    }
    return _workload(
        rng,
        name=name,
        namespace=namespace,
        created=created,
        labels=labels,
        spec=spec,
        status=status,
        manager=manager,
    )


def job(
    rng: random.Random,
    *,
    name: str,
    namespace: str,
    created: datetime,
    containers: list[Obj],
    succeeded: bool | None,
    finished: datetime | None = None,
    owner: Obj | None = None,
    backoff_limit: int = 2,
) -> Obj:
    """A batch/v1 Job; ``succeeded=None`` while running, False after BackoffLimitExceeded."""
    uid = new_uid(rng)
    labels = {
        "batch.kubernetes.io/controller-uid": uid,
        "batch.kubernetes.io/job-name": name,
        "controller-uid": uid,
        "job-name": name,
    }
    template = _pod_template(labels, containers)
    template["spec"]["restartPolicy"] = "Never"
    spec = {
        "parallelism": 1,
        "completions": 1,
        "backoffLimit": backoff_limit,
        "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}},
        "manualSelector": False,
        "template": template,
        "completionMode": "NonIndexed",
        "suspend": False,
        "podReplacementPolicy": "TerminatingOrFailed",
    }
    status: Obj = {"startTime": ts(created + timedelta(seconds=1))}
    if succeeded is True:
        done = finished or created + timedelta(minutes=3)
        status.update(
            {
                "completionTime": ts(done),
                "succeeded": 1,
                "terminating": 0,
                "ready": 0,
                "uncountedTerminatedPods": {},
                "conditions": _job_conditions(
                    ("SuccessCriteriaMet", "Complete"),
                    "CompletionsReached",
                    "Reached expected number of succeeded pods",
                    done,
                ),
            }
        )
    elif succeeded is False:
        done = finished or created + timedelta(minutes=5)
        status.update(
            {
                "failed": backoff_limit + 1,
                "terminating": 0,
                "ready": 0,
                "uncountedTerminatedPods": {},
                "conditions": _job_conditions(
                    ("FailureTarget", "Failed"),
                    "BackoffLimitExceeded",
                    "Job has reached the specified backoff limit",
                    done,
                ),
            }
        )
    else:
        status.update({"active": 1, "terminating": 0, "ready": 1, "uncountedTerminatedPods": {}})
    obj = _workload(
        rng,
        name=name,
        namespace=namespace,
        created=created,
        labels=labels,
        spec=spec,
        status=status,
        manager=CONTROLLER_MANAGER if owner else "kubectl-create",
        owner_references=[owner_ref(owner, "CronJob", "batch/v1")] if owner else None,
        api_version="batch/v1",
    )
    obj["metadata"]["uid"] = uid
    obj["metadata"]["finalizers"] = (
        [] if succeeded is not None else ["batch.kubernetes.io/job-tracking"]
    )
    if not obj["metadata"]["finalizers"]:
        del obj["metadata"]["finalizers"]
    return obj


def _job_conditions(types: tuple[str, str], reason: str, message: str, at: datetime) -> list[Obj]:
    """The Job controller's interim (``*Target``/``SuccessCriteriaMet``) and final
    condition, which it sets together with the same reason and message."""
    return [
        {
            "type": ctype,
            "status": "True",
            "lastProbeTime": ts(at),
            "lastTransitionTime": ts(at),
            "reason": reason,
            "message": message,
        }
        for ctype in types
    ]


def controller_pod(
    rng: random.Random,
    owner: Obj,
    *,
    created: datetime,
    node: str,
    host_ip: str,
    name: str | None = None,
    extra_labels: Mapping[str, str] | None = None,
    kind: str | None = None,
    priority_class: str | None = None,
    priority: int = 0,
    pod_ip: str | None = None,
) -> Obj:
    """A pod created by a ReplicaSet, StatefulSet or Job from its template, Running."""
    ometa = owner["metadata"]
    template = json.loads(json.dumps(owner["spec"]["template"]))
    labels = {**template["metadata"].get("labels", {}), **(extra_labels or {})}
    tspec = template["spec"]
    owner_kind = kind or _owner_kind(owner)
    api = "batch/v1" if owner_kind == "Job" else "apps/v1"
    generate = f"{ometa['name']}-"
    pod_name = name or generate + name_suffix(rng)
    return pod(
        rng,
        name=pod_name,
        generate_name=None if owner_kind == "StatefulSet" else generate,
        namespace=ometa["namespace"],
        created=created,
        containers=tspec["containers"],
        init_containers=tspec.get("initContainers"),
        node=node,
        manager=CONTROLLER_MANAGER,
        labels=labels,
        owner_references=[owner_ref(owner, owner_kind, api)],
        restart_policy=tspec.get("restartPolicy", "Always"),
        hostname=pod_name if owner_kind == "StatefulSet" else None,
        subdomain=owner["spec"].get("serviceName"),
        host_ip=host_ip,
        priority_class=priority_class,
        priority=priority,
        pod_ip=pod_ip,
    )


def _owner_kind(owner: Obj) -> str:
    spec = owner["spec"]
    if "serviceName" in spec:
        return "StatefulSet"
    if "backoffLimit" in spec:
        return "Job"
    return "ReplicaSet"


def deployment_pod(
    rng: random.Random,
    rs: Obj,
    *,
    created: datetime,
    node: str,
    host_ip: str,
    pod_ip: str | None = None,
) -> Obj:
    """A ReplicaSet's pod: ``<rs name>-<5 chars>``, labels incl. ``pod-template-hash``."""
    return controller_pod(rng, rs, created=created, node=node, host_ip=host_ip, pod_ip=pod_ip)


def statefulset_pod(
    rng: random.Random,
    sts: Obj,
    ordinal: int,
    *,
    created: datetime,
    node: str,
    host_ip: str,
    pod_ip: str | None = None,
) -> Obj:
    """StatefulSet pod ``<name>-<ordinal>`` with the controller's identity labels."""
    name = f"{sts['metadata']['name']}-{ordinal}"
    extra = {
        "apps.kubernetes.io/pod-index": str(ordinal),
        "controller-revision-hash": sts["status"]["currentRevision"],
        "statefulset.kubernetes.io/pod-name": name,
    }
    return controller_pod(
        rng,
        sts,
        created=created,
        node=node,
        host_ip=host_ip,
        name=name,
        extra_labels=extra,
        pod_ip=pod_ip,
    )
