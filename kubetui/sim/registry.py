"""What kube-apiserver does to an object a client writes, before it is stored.

A create or update through the API is not stored as sent: the decoder applies the
defaults of the kind, mutating admission adds what the cluster's plugins add, the
registry strategy resets what clients may not set, validation refuses what the kind does
not allow, and the field manager records who wrote which fields. The factory builds
objects that already look stored; this module gives objects written through the sim's
API the same treatment, for the kinds and fields the sim serves.

Sources (kubernetes/kubernetes v1.37 as served by the e2e control plane, whose answers
``tests/e2e/test_sim_conformance.py`` compares against these):

- ``pkg/apis/core/v1/defaults.go`` ``SetDefaults_Pod``/``_PodSpec``/``_Container``/
  ``_Probe``/``_Namespace``/``_ContainerPort``, ``pkg/apis/apps/v1/defaults.go``
  ``SetDefaults_Deployment``/``_DaemonSet``, ``pkg/registry/apps/daemonset/strategy.go``
  (the template generation annotation);
- admission: ``plugin/pkg/admission/serviceaccount/admission.go`` (the projected
  ``kube-api-access-*`` volume and its mounts), ``defaulttolerationseconds``,
  ``priority`` (priority 0, ``PreemptLowerPriority`` without a class);
- ``pkg/registry/core/pod/strategy.go`` ``PrepareForCreate`` (status reset to Pending
  with its ``qosClass``, ``generation`` 1, the ``SchedulingGated`` condition) and
  ``PrepareForUpdate`` (generation + 1 on a spec change);
- ``pkg/apis/core/validation/validation.go`` ``ValidatePodCreate`` (name, containers,
  images, restart policy) and ``ValidatePodUpdate`` (a pod's spec is immutable but for
  images, ``activeDeadlineSeconds``, tolerations and scheduling-gate removal);
- apimachinery ``pkg/util/managedfields/internal`` (``managedFields``: one ``Update``
  entry per manager and subresource, the manager named by ``fieldManager`` or the
  User-Agent's first segment, entries sorted by operation, time, manager, apiVersion,
  subresource);
- k8s.io/api ``core/v1/types.go`` json tags: a written pod status is what decoding into
  PodStatus and encoding again leaves (omitempty fields dropped when empty, condition
  times and container states always written).

Not modelled: server-side apply, the exact field sets of ``fieldsV1`` (derived here from
what the request changed), a pod-level request defaulted from the containers' aggregate
(only the copy of the pod-level limit), quantity canonicalisation, most validation.
"""

from __future__ import annotations

import copy
import random
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from kubetui.sim import wire_status
from kubetui.sim.factory.managed import field_set, owned_metadata
from kubetui.sim.factory.pods import _DEFAULT_TOLERATIONS, _kube_api_access_volume, _qos_class
from kubetui.sim.resources import ResourceDef
from kubetui.sim.state import rfc3339

Obj = dict[str, Any]

SA_MOUNT_PATH = "/var/run/secrets/kubernetes.io/serviceaccount"
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"

_LABEL_RE = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1123_SUBDOMAIN = re.compile(rf"^{_LABEL_RE}(\.{_LABEL_RE})*$")
_DNS1123_LABEL = re.compile(rf"^{_LABEL_RE}$")
_SUBDOMAIN_TEXT = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
    "'-' or '.', and must start and end with an alphanumeric character (e.g. "
    "'example.com', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
_LABEL_TEXT = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or "
    "'-', and must start and end with an alphanumeric character (e.g. 'my-name',  or "
    "'123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)

#: core/v1 PodSpec field order (k8s.io/api core/v1/types.go), as Go marshals it
_POD_SPEC_ORDER = (
    "volumes",
    "initContainers",
    "containers",
    "ephemeralContainers",
    "restartPolicy",
    "terminationGracePeriodSeconds",
    "activeDeadlineSeconds",
    "dnsPolicy",
    "nodeSelector",
    "serviceAccountName",
    "serviceAccount",
    "automountServiceAccountToken",
    "nodeName",
    "hostNetwork",
    "hostPID",
    "hostIPC",
    "shareProcessNamespace",
    "securityContext",
    "imagePullSecrets",
    "hostname",
    "subdomain",
    "affinity",
    "schedulerName",
    "tolerations",
    "hostAliases",
    "priorityClassName",
    "priority",
    "dnsConfig",
    "readinessGates",
    "runtimeClassName",
    "enableServiceLinks",
    "preemptionPolicy",
    "overhead",
    "topologySpreadConstraints",
    "setHostnameAsFQDN",
    "os",
    "hostUsers",
    "schedulingGates",
    "resourceClaims",
    "resources",
)
#: core/v1 Container field order
_CONTAINER_ORDER = (
    "name",
    "image",
    "command",
    "args",
    "workingDir",
    "ports",
    "envFrom",
    "env",
    "resources",
    "resizePolicy",
    "restartPolicy",
    "restartPolicyRules",
    "volumeMounts",
    "volumeDevices",
    "livenessProbe",
    "readinessProbe",
    "startupProbe",
    "lifecycle",
    "terminationMessagePath",
    "terminationMessagePolicy",
    "imagePullPolicy",
    "securityContext",
    "stdin",
    "stdinOnce",
    "tty",
)
_PROBES = ("livenessProbe", "readinessProbe", "startupProbe")


def field_manager(query_value: str | None, user_agent: str | None) -> str:
    """handlers/rest.go: ``fieldManager`` if given, else ``prefixFromUserAgent``: the
    User-Agent up to its first ``/``, printable characters only, at most 128."""
    if query_value:
        return query_value
    prefix = (user_agent or "").split("/")[0]
    return "".join(ch for ch in prefix if ch.isprintable())[:128]


def _ordered(obj: Obj, order: tuple[str, ...]) -> Obj:
    out = {k: obj[k] for k in order if k in obj}
    out.update((k, v) for k, v in obj.items() if k not in out)
    return out


# ---------------------------------------------------------------- defaulting


def _default_probe(probe: Obj) -> None:
    probe.setdefault("timeoutSeconds", 1)
    probe.setdefault("periodSeconds", 10)
    probe.setdefault("successThreshold", 1)
    probe.setdefault("failureThreshold", 3)
    http = probe.get("httpGet")
    if isinstance(http, dict):
        http.setdefault("path", "/")
        http.setdefault("scheme", "HTTP")


def _pull_policy(image: str) -> str:
    """SetDefaults_Container: ``Always`` for ``:latest`` or no tag, else IfNotPresent."""
    if "@" in image:
        return "IfNotPresent"
    last = image.rsplit("/", 1)[-1]
    tag = last.rsplit(":", 1)[1] if ":" in last else ""
    return "Always" if tag in ("", "latest") else "IfNotPresent"


def _default_container(container: Obj, host_network: bool) -> Obj:
    resources = container.get("resources")
    if not isinstance(resources, dict):
        resources = {}
    limits = resources.get("limits") or {}
    if limits:
        # SetDefaults_Pod: a request left out takes the container's limit
        requests = dict(resources.get("requests") or {})
        for name, value in limits.items():
            requests.setdefault(name, value)
        resources = {**resources, "requests": requests}
    container["resources"] = resources
    for port in container.get("ports") or []:
        if isinstance(port, dict):
            port.setdefault("protocol", "TCP")
            if host_network and "containerPort" in port:
                port.setdefault("hostPort", port["containerPort"])
    for probe in _PROBES:
        if isinstance(container.get(probe), dict):
            _default_probe(container[probe])
    container.setdefault("terminationMessagePath", "/dev/termination-log")
    container.setdefault("terminationMessagePolicy", "File")
    if isinstance(container.get("image"), str):
        container.setdefault("imagePullPolicy", _pull_policy(container["image"]))
    return _ordered(container, _CONTAINER_ORDER)


def default_pod_spec(spec: Obj) -> Obj:
    """SetDefaults_PodSpec and the container defaults; a new, ordered dict."""
    spec = copy.deepcopy(spec)
    host_network = bool(spec.get("hostNetwork"))
    for key in ("initContainers", "containers", "ephemeralContainers"):
        items = spec.get(key)
        if isinstance(items, list):
            spec[key] = [
                _default_container(c, host_network) if isinstance(c, dict) else c for c in items
            ]
    limits = (spec.get("resources") or {}).get("limits") or {}
    if limits:
        # defaultPodRequests: a pod-level limit without a request, and no container
        # asking for that resource, makes the limit the request
        requests = dict(spec["resources"].get("requests") or {})
        for name, value in limits.items():
            asked = any(
                name in ((c.get("resources") or {}).get("requests") or {})
                for c in spec.get("containers") or []
                if isinstance(c, dict)
            )
            if not asked:
                requests.setdefault(name, value)
        if requests:
            spec["resources"] = {**spec["resources"], "requests": requests}
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("securityContext", {})
    spec.setdefault("schedulerName", "default-scheduler")
    return _ordered(spec, _POD_SPEC_ORDER)


def default_pod(spec: Obj) -> Obj:
    """A pod's spec defaults: the PodSpec ones plus SetDefaults_Pod's
    ``enableServiceLinks`` (a template's spec does not get it)."""
    spec = default_pod_spec(spec)
    spec.setdefault("enableServiceLinks", True)
    return _ordered(spec, _POD_SPEC_ORDER)


def _admit_pod(spec: Obj, suffix: Callable[[], str]) -> Obj:
    """ServiceAccount, DefaultTolerationSeconds and Priority admission."""
    spec = copy.deepcopy(spec)
    account = spec.get("serviceAccountName") or spec.get("serviceAccount") or "default"
    spec["serviceAccountName"] = account
    spec["serviceAccount"] = account
    every = [
        c
        for key in ("initContainers", "containers", "ephemeralContainers")
        for c in spec.get(key) or []
        if isinstance(c, dict)
    ]
    mounted = any(
        m.get("mountPath") == SA_MOUNT_PATH for c in every for m in c.get("volumeMounts") or []
    )
    if spec.get("automountServiceAccountToken") is not False and not mounted:
        # the projected token volume as the factory builds it, named with the sim's suffix
        volume = {
            **_kube_api_access_volume(random.Random(0)),
            "name": f"kube-api-access-{suffix()}",
        }
        spec["volumes"] = [*(spec.get("volumes") or []), volume]
        mount = {"name": volume["name"], "readOnly": True, "mountPath": SA_MOUNT_PATH}
        for container in every:
            container["volumeMounts"] = [*(container.get("volumeMounts") or []), dict(mount)]
            _reorder_in_place(container, _CONTAINER_ORDER)
    tolerations = list(spec.get("tolerations") or [])
    for default in _DEFAULT_TOLERATIONS:
        if not any(
            t.get("key") == default["key"] and t.get("effect") in (None, "", "NoExecute")
            for t in tolerations
            if isinstance(t, dict)
        ):
            tolerations.append(dict(default))
    spec["tolerations"] = tolerations
    if not spec.get("priorityClassName"):
        spec.setdefault("priority", 0)
        spec.setdefault("preemptionPolicy", "PreemptLowerPriority")
    return _ordered(spec, _POD_SPEC_ORDER)


def _reorder_in_place(obj: Obj, order: tuple[str, ...]) -> None:
    ordered = _ordered(obj, order)
    obj.clear()
    obj.update(ordered)


def _default_deployment(obj: Obj) -> None:
    spec = obj.setdefault("spec", {})
    if isinstance(spec, dict):
        spec.setdefault("replicas", 1)
        strategy = spec.setdefault("strategy", {})
        strategy.setdefault("type", "RollingUpdate")
        if strategy["type"] == "RollingUpdate":
            rolling = strategy.setdefault("rollingUpdate", {})
            rolling.setdefault("maxUnavailable", "25%")
            rolling.setdefault("maxSurge", "25%")
        spec.setdefault("revisionHistoryLimit", 10)
        spec.setdefault("progressDeadlineSeconds", 600)
        template = spec.get("template")
        if isinstance(template, dict) and isinstance(template.get("spec"), dict):
            template["spec"] = default_pod_spec(template["spec"])
        order = (
            "replicas",
            "selector",
            "template",
            "strategy",
            "minReadySeconds",
            "revisionHistoryLimit",
            "paused",
            "progressDeadlineSeconds",
        )
        obj["spec"] = _ordered(spec, order)


TEMPLATE_GENERATION = "deprecated.daemonset.template.generation"


def _default_daemonset(obj: Obj) -> None:
    """apps/v1 SetDefaults_DaemonSet: RollingUpdate (maxUnavailable 1, maxSurge 0),
    revisionHistoryLimit 10, the template's pod spec defaults."""
    spec = obj.setdefault("spec", {})
    if isinstance(spec, dict):
        strategy = spec.setdefault("updateStrategy", {})
        strategy.setdefault("type", "RollingUpdate")
        if strategy["type"] == "RollingUpdate":
            rolling = strategy.setdefault("rollingUpdate", {})
            rolling.setdefault("maxUnavailable", 1)
            rolling.setdefault("maxSurge", 0)
        spec.setdefault("revisionHistoryLimit", 10)
        template = spec.get("template")
        if isinstance(template, dict) and isinstance(template.get("spec"), dict):
            template["spec"] = default_pod_spec(template["spec"])
        order = ("selector", "template", "updateStrategy", "minReadySeconds")
        obj["spec"] = _ordered(spec, (*order, "templateGeneration", "revisionHistoryLimit"))


def _template_generation(old: Obj | None, new: Obj) -> None:
    """daemonset/strategy.go: the template generation annotation, 1 at creation, + 1
    whenever an update changes the pod template."""
    meta = new.setdefault("metadata", {})
    annotations = dict(meta.get("annotations") or {})
    if old is None:
        annotations[TEMPLATE_GENERATION] = "1"
    else:
        before = (old.get("metadata") or {}).get("annotations") or {}
        current = int(before.get(TEMPLATE_GENERATION) or 0)
        changed = (new.get("spec") or {}).get("template") != (old.get("spec") or {}).get("template")
        annotations[TEMPLATE_GENERATION] = str(current + 1 if changed else current)
    meta["annotations"] = annotations


# ---------------------------------------------------------------- the Go round trip


def _time(value: Any) -> Any:
    """A metav1.Time field without omitempty: the value, or null."""
    return value or None


def _drop_empty(obj: Obj, keys: tuple[str, ...]) -> Obj:
    """``omitempty``: empty strings, lists, maps and null pointers are not written."""
    return {k: v for k, v in obj.items() if not (k in keys and v in ("", [], {}, None))}


def _go_condition(cond: Obj) -> Obj:
    """core/v1 PodCondition: type, observedGeneration, status, the two times (null when
    unset: no omitempty), reason, message."""
    out: Obj = {"type": cond.get("type", "")}
    if cond.get("observedGeneration"):
        out["observedGeneration"] = cond["observedGeneration"]
    out["status"] = cond.get("status", "")
    out["lastProbeTime"] = _time(cond.get("lastProbeTime"))
    out["lastTransitionTime"] = _time(cond.get("lastTransitionTime"))
    for key in ("reason", "message"):
        if cond.get(key):
            out[key] = cond[key]
    out.update((k, v) for k, v in cond.items() if k not in out and k not in ("reason", "message"))
    return out


def _go_state(state: Any) -> Obj:
    """core/v1 ContainerState: three omitempty pointers; ``{}`` when none is set."""
    if not isinstance(state, dict):
        return {}
    out: Obj = {}
    waiting = state.get("waiting")
    if isinstance(waiting, dict):
        out["waiting"] = _drop_empty(waiting, ("reason", "message"))
    running = state.get("running")
    if isinstance(running, dict):
        out["running"] = {"startedAt": _time(running.get("startedAt"))}
    done = state.get("terminated")
    if isinstance(done, dict):
        terminated: Obj = {"exitCode": done.get("exitCode", 0)}
        for key in ("signal", "reason", "message"):
            if done.get(key):
                terminated[key] = done[key]
        terminated["startedAt"] = _time(done.get("startedAt"))
        terminated["finishedAt"] = _time(done.get("finishedAt"))
        if done.get("containerID"):
            terminated["containerID"] = done["containerID"]
        out["terminated"] = terminated
    return out


_STATUS_TAIL = (
    "containerID",
    "started",
    "allocatedResources",
    "resources",
    "volumeMounts",
    "user",
    "allocatedResourcesStatus",
    "stopSignal",
)


def _go_container_status(status: Obj) -> Obj:
    """core/v1 ContainerStatus: name, state and lastState (structs, always written),
    ready, restartCount, image, imageID (no omitempty), then the omitempty rest."""
    out: Obj = {
        "name": status.get("name", ""),
        "state": _go_state(status.get("state")),
        "lastState": _go_state(status.get("lastState")),
        "ready": bool(status.get("ready")),
        "restartCount": status.get("restartCount", 0),
        "image": status.get("image", ""),
        "imageID": status.get("imageID", ""),
    }
    for key in _STATUS_TAIL:
        if key in status and status[key] not in ("", [], {}, None):
            out[key] = status[key]
    out.update((k, v) for k, v in status.items() if k not in out and k not in _STATUS_TAIL)
    return out


_POD_STATUS_ORDER = (
    "observedGeneration",
    "phase",
    "conditions",
    "message",
    "reason",
    "nominatedNodeName",
    "hostIP",
    "hostIPs",
    "podIP",
    "podIPs",
    "startTime",
    "initContainerStatuses",
    "containerStatuses",
    "qosClass",
    "ephemeralContainerStatuses",
    "resize",
    "resourceClaimStatuses",
)


def go_pod_status(status: Obj) -> Obj:
    """A pod status as kube-apiserver stores it after decoding into core/v1 PodStatus
    and encoding again: every field omitempty, conditions and container statuses with
    their non-omitempty fields written (null times, ``lastState: {}``)."""
    out = dict(status)
    if isinstance(out.get("conditions"), list):
        out["conditions"] = [_go_condition(c) for c in out["conditions"] if isinstance(c, dict)]
    for key in ("initContainerStatuses", "containerStatuses", "ephemeralContainerStatuses"):
        if isinstance(out.get(key), list):
            out[key] = [_go_container_status(c) for c in out[key] if isinstance(c, dict)]
    out = _drop_empty(out, _POD_STATUS_ORDER)
    return _ordered(out, _POD_STATUS_ORDER)


# ---------------------------------------------------------------- validation


def _cause(reason: str, field: str, message: str) -> dict[str, str]:
    return {"reason": reason, "message": message, "field": field}


def validate_pod_create(obj: Obj) -> None:
    """The part of ValidatePodCreate the sim checks; 422 listing every failure."""
    meta = obj.get("metadata") or {}
    name = meta.get("name") or ""
    causes = []
    if not name and not meta.get("generateName"):
        causes.append(
            _cause(
                "FieldValueRequired",
                "metadata.name",
                "Required value: name or generateName is required",
            )
        )
    elif name and (len(name) > 253 or not _DNS1123_SUBDOMAIN.match(name)):
        causes.append(
            _cause(
                "FieldValueInvalid", "metadata.name", f'Invalid value: "{name}": {_SUBDOMAIN_TEXT}'
            )
        )
    spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
    containers = spec.get("containers") or []
    seen: set[str] = set()
    for key in ("initContainers", "containers"):
        for index, container in enumerate(spec.get(key) or []):
            where = f"spec.{key}[{index}]"
            cname = (container.get("name") or "") if isinstance(container, dict) else ""
            if not cname:
                causes.append(_cause("FieldValueRequired", f"{where}.name", "Required value"))
            elif not _DNS1123_LABEL.match(cname) or len(cname) > 63:
                causes.append(
                    _cause(
                        "FieldValueInvalid",
                        f"{where}.name",
                        f'Invalid value: "{cname}": {_LABEL_TEXT}',
                    )
                )
            elif cname in seen:
                causes.append(
                    _cause("FieldValueDuplicate", f"{where}.name", f'Duplicate value: "{cname}"')
                )
            seen.add(cname)
            if not (isinstance(container, dict) and container.get("image")):
                causes.append(_cause("FieldValueRequired", f"{where}.image", "Required value"))
    if not containers:
        causes.append(_cause("FieldValueRequired", "spec.containers", "Required value"))
    policy = spec.get("restartPolicy")
    if policy is not None and policy not in ("Always", "OnFailure", "Never"):
        causes.append(
            _cause(
                "FieldValueNotSupported",
                "spec.restartPolicy",
                f'Unsupported value: "{policy}": supported values: "Always", "OnFailure", "Never"',
            )
        )
    if causes:
        raise _invalid("Pod", name, causes)


def _invalid(kind: str, name: str, causes: list[dict[str, str]]) -> wire_status.ApiError:
    return wire_status.invalid("", kind, name, causes)


_MUTABLE_CONTAINER_FIELDS = ("image",)


def _comparable_spec(spec: Obj) -> Obj:
    """The spec with the fields ValidatePodSpecUpdate lets change blanked out."""
    spec = copy.deepcopy(spec)
    for key in ("initContainers", "containers"):
        for container in spec.get(key) or []:
            if isinstance(container, dict):
                for field in _MUTABLE_CONTAINER_FIELDS:
                    container.pop(field, None)
    for field in ("activeDeadlineSeconds", "tolerations", "schedulingGates"):
        spec.pop(field, None)
    return spec


def validate_pod_update(old: Obj, new: Obj) -> None:
    """ValidatePodUpdate's immutable spec: one ``spec`` Forbidden cause when anything
    but the mutable fields differs (after both specs are defaulted)."""
    if _comparable_spec(old.get("spec") or {}) != _comparable_spec(new.get("spec") or {}):
        message = (
            "Forbidden: pod updates may not change fields other than "
            "`spec.containers[*].image`,`spec.initContainers[*].image`,"
            "`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing "
            "tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if "
            "it was previously negative)"
        )
        name = (new.get("metadata") or {}).get("name") or ""
        raise _invalid("Pod", name, [_cause("FieldValueForbidden", "spec", message)])


# ---------------------------------------------------------------- managed fields


def _entry_key(entry: Obj) -> tuple[str, str, str]:
    return (entry.get("manager", ""), entry.get("operation", ""), entry.get("subresource", ""))


def _merge_sets(a: Obj, b: Obj) -> Obj:
    out = dict(a)
    for key, value in b.items():
        out[key] = _merge_sets(out.get(key) or {}, value) if isinstance(value, dict) else value
    return out


def _changed(old: Any, new: Any) -> Any:
    """A partial object holding what differs from ``old`` in ``new`` (None if nothing):
    maps are compared key by key, anything else as a whole value."""
    if isinstance(old, dict) and isinstance(new, dict):
        out = {}
        for key, value in new.items():
            part = _changed(old.get(key), value)
            if part is not None:
                out[key] = part
        return out or None
    return None if old == new else new


def _sort_managed(entries: list[Obj]) -> list[Obj]:
    """managedfields.sortEncodedManagedFields."""
    return sorted(
        entries,
        key=lambda e: (
            e.get("operation", ""),
            e.get("time") or "",
            e.get("manager", ""),
            e.get("apiVersion", ""),
            e.get("subresource", ""),
        ),
    )


def record_write(
    rdef: ResourceDef,
    obj: Obj,
    old: Obj | None,
    *,
    manager: str,
    now: datetime,
    subresource: str | None = None,
) -> None:
    """Give ``manager`` the fields this write set (create) or changed (update), as one
    ``Update`` entry per manager and subresource, stamped ``now``."""
    meta = obj.setdefault("metadata", {})
    entries = [dict(e) for e in (meta.get("managedFields") or []) if isinstance(e, dict)]
    if old is None:
        written: Obj = {k: v for k, v in obj.items() if k not in ("metadata", "status")}
        owned = owned_metadata(meta)
        if owned:
            written["metadata"] = owned
    else:
        before = {k: v for k, v in old.items() if k != "metadata"}
        after = {k: v for k, v in obj.items() if k != "metadata"}
        written = _changed(before, after) or {}
        meta_change = _changed(owned_metadata(old.get("metadata") or {}), owned_metadata(meta))
        if meta_change:
            written["metadata"] = meta_change
    if subresource == "status":
        written = {"status": written["status"]} if "status" in written else {}
    fields = {f"f:{k}": field_set(v, k) for k, v in sorted(written.items())}
    if not fields and old is not None:
        return
    key = (manager, "Update", subresource or "")
    mine = next((e for e in entries if _entry_key(e) == key), None)
    if mine is None:
        mine = {
            "manager": manager,
            "operation": "Update",
            "apiVersion": rdef.api_version,
            "time": "",
            "fieldsType": "FieldsV1",
            "fieldsV1": {},
        }
        if subresource:
            mine["subresource"] = subresource
        entries.append(mine)
    mine["time"] = rfc3339(now)
    mine["fieldsV1"] = _merge_sets(mine.get("fieldsV1") or {}, fields)
    order = ("manager", "operation", "apiVersion", "time", "fieldsType", "fieldsV1", "subresource")
    meta["managedFields"] = [_ordered(e, order) for e in _sort_managed(entries)]


# ---------------------------------------------------------------- entry points


def prepare_create(
    rdef: ResourceDef,
    obj: Obj,
    *,
    manager: str,
    now: datetime,
    suffix: Callable[[], str],
) -> Obj:
    """The object a create stores (or a dry-run create returns): defaulted, admitted,
    reset, validated, with the writer's managedFields entry. ApiError 422 if invalid."""
    obj = copy.deepcopy(obj)
    meta = obj.setdefault("metadata", {})
    for key, value in rdef.empty_body.items():
        if key not in obj and key not in ("spec",):
            obj[key] = copy.deepcopy(value)
    if rdef.plural == "pods":
        validate_pod_create(obj)
        spec = default_pod(obj.get("spec") or {})
        obj["spec"] = spec
        record_write(rdef, obj, None, manager=manager, now=now)
        obj["spec"] = _admit_pod(spec, suffix)
        status: Obj = {"phase": "Pending"}
        if obj["spec"].get("schedulingGates"):
            status["conditions"] = [
                {
                    "type": "PodScheduled",
                    "status": "False",
                    "lastProbeTime": None,
                    "lastTransitionTime": rfc3339(now),
                    "reason": "SchedulingGated",
                    "message": "Scheduling is blocked due to non-empty scheduling gates",
                }
            ]
        status["qosClass"] = _qos_class(obj["spec"])
        obj["status"] = status
        meta["generation"] = 1
        return obj
    if rdef.plural == "namespaces":
        name = meta.get("name") or ""
        meta["labels"] = {**(meta.get("labels") or {}), NAMESPACE_NAME_LABEL: name}
        spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
        spec.setdefault("finalizers", ["kubernetes"])
        obj["spec"] = spec
        obj["status"] = {"phase": "Active"}
    elif rdef.plural == "deployments":
        _default_deployment(obj)
        obj["status"] = {}
    elif rdef.plural == "daemonsets":
        _default_daemonset(obj)
        _template_generation(None, obj)
        obj["status"] = copy.deepcopy(rdef.empty_body["status"])
    record_write(rdef, obj, None, manager=manager, now=now)
    return obj


def prepare_update(
    rdef: ResourceDef,
    old: Obj,
    new: Obj,
    *,
    manager: str,
    now: datetime,
    subresource: str | None,
) -> Obj:
    """The object an update or patch stores: defaults re-applied, the immutable parts
    checked, the writer's managedFields entry updated. ApiError 422 if invalid.

    kube-apiserver decodes the stored object with the kind's defaults too, so the old
    and new specs are compared defaulted; a spec the write leaves alone is stored as it
    was (a scenario's object keeps its bytes), a changed one is stored defaulted."""
    new = copy.deepcopy(new)
    old_meta = old.get("metadata") or {}
    if subresource is None and rdef.plural in _SPEC_DEFAULTS:
        before, after = _defaulted(rdef, old), _defaulted(rdef, new)
        if rdef.plural == "pods":
            validate_pod_update(before, after)
        if after.get("spec") == before.get("spec"):
            if "spec" in old:
                new["spec"] = copy.deepcopy(old["spec"])
        else:
            new["spec"] = after["spec"]
            if "generation" in old_meta:
                # PrepareForUpdate of a strategy with a generation: + 1 on a spec change
                # (a dry run answers with it too)
                new["metadata"]["generation"] = int(old_meta["generation"]) + 1
        if rdef.plural == "daemonsets":
            _template_generation(before, new)
    if rdef.plural == "pods" and isinstance(new.get("status"), dict):
        new["status"] = go_pod_status(new["status"])
    if "managedFields" not in (new.get("metadata") or {}) and old_meta.get("managedFields"):
        new["metadata"]["managedFields"] = copy.deepcopy(old_meta["managedFields"])
    record_write(rdef, new, old, manager=manager, now=now, subresource=subresource)
    return new


def _default_pod_object(obj: Obj) -> None:
    if isinstance(obj.get("spec"), dict):
        obj["spec"] = default_pod(obj["spec"])


#: the kinds whose spec the sim defaults, by plural
_SPEC_DEFAULTS: dict[str, Callable[[Obj], None]] = {
    "pods": _default_pod_object,
    "deployments": _default_deployment,
    "daemonsets": _default_daemonset,
}


def _defaulted(rdef: ResourceDef, obj: Obj) -> Obj:
    """A copy of ``obj`` with its kind's spec defaults applied."""
    out = copy.deepcopy(obj)
    _SPEC_DEFAULTS[rdef.plural](out)
    return out


def unchanged(old: Obj, new: Obj) -> bool:
    """A write that changes nothing is not written (GuaranteedUpdate's no-op check)."""
    strip = ("resourceVersion", "managedFields", "generation")

    def core(obj: Obj) -> Obj:
        meta = {k: v for k, v in (obj.get("metadata") or {}).items() if k not in strip}
        return {
            **{k: v for k, v in obj.items() if k not in ("kind", "apiVersion")},
            "metadata": meta,
        }

    return core(old) == core(new)
