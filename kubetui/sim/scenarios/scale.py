"""``scale:N``: N realistic pods (5–11 KB of JSON each, managedFields included) and a
steady stream of modifications.

Mostly Kyuubi/Spark drivers and executors (Spark 3.5 and 3.2 mixed), the rest Deployment
pods, over ~N/5000+1 namespaces and ~N/50 nodes; about 2 % are in failure states
(OOM-killed drivers, failed executors, crash loops, unschedulable pods).

Building 150k pods by calling the factory per pod would take minutes, so each kind of pod
is built once by the factory with sentinel values, serialised, and cut into a template at
every per-pod value (names, uids, IPs, node, container IDs, times); a pod is then a string
join plus one ``msgspec.json.decode``.
"""

from __future__ import annotations

import functools
import random
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import msgspec

from kubetui.sim import factory as f
from kubetui.sim.factory import Obj
from kubetui.sim.scenarios.base import Scenario
from kubetui.sim.scenarios.cluster import node_name
from kubetui.sim.state import SimState

DEFAULT_SCALE_PODS = 150_000
#: the template epoch: every time in a template is this plus a few seconds
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
_TIME = re.compile(r"2000-01-01T00:(\d\d):(\d\d)Z")
_S = {  # sentinels the factory passes through unchanged
    "ref": "zqzref",
    "app": "zqzapp",
    "ns": "zqzns",
    "node": "zqznode",
    "exec": "987654321",
    "hash": "zqzhash",
    "sfx": "zqzsfx",
    "host": "10.253.253.253",
    "ip": "10.254.254.254",
}
_FAILURE_RATE = 0.02
_APP_NAMES = (
    "nightly-etl",
    "sessionize",
    "dedupe",
    "score",
    "export",
    "features",
    "report",
    "backfill",
    "compaction",
    "ingest",
)
_SERVICES = ("api", "web", "worker", "gateway", "indexer", "cache", "auth", "billing")


#: the bulky parts of a pod, handed to the state pre-encoded (see ``_Template``)
_RAW_PATHS = (
    ("metadata", "managedFields"),
    ("spec", "volumes"),
    ("spec", "initContainers"),
    ("spec", "containers"),
    ("spec", "tolerations"),
    ("status", "conditions"),
    ("status", "initContainerStatuses"),
    ("status", "containerStatuses"),
)


class _Text:
    """JSON text with ``{key}`` fields (values and template-epoch times) for ``format_map``."""

    def __init__(self, text: str, replace: dict[str, str], offsets: set[int]) -> None:
        text = text.replace("{", "{{").replace("}", "}}")
        for value, key in sorted(replace.items(), key=lambda kv: -len(kv[0])):
            text = text.replace(value, "{" + key + "}")

        def timed(m: re.Match[str]) -> str:
            seconds = int(m.group(1)) * 60 + int(m.group(2))
            offsets.add(seconds)
            return "{t" + str(seconds) + "}"

        self.fmt = _TIME.sub(timed, text)

    def render(self, values: dict[str, str]) -> str:
        return self.fmt.format_map(values)


class _Template:
    """A pod cut at its per-instance values.

    The small skeleton (what the store indexes: names, labels, owners, node, phase, IPs)
    is decoded per pod; the bulky parts (managedFields, containers, volumes, statuses) are
    rendered straight to JSON and passed as ``msgspec.Raw``, which the store's msgspec
    encoder writes verbatim. That halves the cost of building 150k pods; ``raw=False``
    decodes everything (used if the store ever stops accepting Raw).
    """

    def __init__(self, obj: Obj, replace: dict[str, str]) -> None:
        obj = _copy(obj)
        offsets: set[int] = set()
        self.raws: list[tuple[str, str, _Text]] = []
        for outer, inner in _RAW_PATHS:
            part = obj.get(outer) or {}
            if inner in part:
                text = msgspec.json.encode(part[inner]).decode()
                self.raws.append((outer, inner, _Text(text, replace, offsets)))
                part[inner] = None
        self.skeleton = _Text(msgspec.json.encode(obj).decode(), replace, offsets)
        self.offsets = sorted(offsets)

    def render(self, values: dict[str, str], created: datetime, *, raw: bool = True) -> Obj:
        base = int(created.timestamp())
        for seconds in self.offsets:
            values[f"t{seconds}"] = _stamp(base + seconds)
        obj = msgspec.json.decode(self.skeleton.render(values))
        for outer, inner, text in self.raws:
            rendered = text.render(values)
            obj[outer][inner] = (
                msgspec.Raw(rendered.encode()) if raw else msgspec.json.decode(rendered)
            )
        return obj


def _cids(obj: Obj) -> dict[str, str]:
    """Container IDs in an object → placeholder names (cid0, cid1, …)."""
    found: dict[str, str] = {}

    def walk(value: object) -> None:
        if isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)
        elif isinstance(value, str) and value.startswith("containerd://"):
            found.setdefault(value, f"cid{len(found)}")

    walk(obj)
    return found


class ScaleScenario(Scenario):
    """N pods over many namespaces and nodes; ``events_per_second`` modifications a tick."""

    name = "scale"
    tick_interval = 1.0

    def __init__(self, pods: int, seed: int, *, events_per_second: float = 50.0) -> None:
        self.pods = pods
        self.seed = seed
        self.events_per_second = events_per_second
        self.kyuubi = None
        #: (namespace, name, role) of every pod the scenario created
        self.index: list[tuple[str, str, str]] = []
        self._kinds: dict[str, _Template] = {}
        self._tick_count = 0
        #: pods made unready last tick, made ready again next tick
        self._unready: list[tuple[str, str]] = []
        #: pass bulky parts as msgspec.Raw (None until checked against the store)
        self._raw: bool | None = None

    # ------------------------------------------------------------------ templates
    def _build_templates(self, rng: random.Random) -> None:
        base = _EPOCH
        s = _S
        driver_pod = functools.partial(
            f.spark_driver_pod,
            rng,
            namespace=s["ns"],
            app_name=s["app"],
            app_id="spark-" + "a" * 32,
            ref_id=s["ref"],
            user="etl-svc",
            created=base,
        )
        for version in ("3.5.3", "3.2.4"):
            driver = driver_pod(
                node=s["node"],
                host_ip=s["host"],
                pod_ip=s["ip"],
                spark_version=version,
                main_class="com.example.etl.Main",
                resource=f"s3a://jobs/{s['app']}/{s['app']}.jar",
            )
            executor = f.spark_executor_pod(
                rng,
                driver,
                int(s["exec"]),
                node=s["node"],
                created=base,
                host_ip=s["host"],
                pod_ip=s["ip"],
            )
            tag = version[:3]
            self._add_kind(f"driver-{tag}", driver, {"duid": driver["metadata"]["uid"]})
            self._add_kind(
                f"executor-{tag}",
                executor,
                {"duid": driver["metadata"]["uid"], "uid": executor["metadata"]["uid"]},
            )
            oom = _copy(driver)
            _terminate(oom, f.DRIVER_CONTAINER, "OOMKilled", 137, base)
            self._add_kind(f"driver-oom-{tag}", oom, {"duid": oom["metadata"]["uid"]})
            failed = _copy(executor)
            _terminate(failed, f.EXECUTOR_CONTAINER, "Error", 1, base)
            self._add_kind(
                f"executor-error-{tag}",
                failed,
                {"duid": driver["metadata"]["uid"], "uid": failed["metadata"]["uid"]},
            )
        pending = driver_pod(node=None)
        self._add_kind("driver-pending", pending, {"duid": pending["metadata"]["uid"]})
        template_hash = s["hash"]
        deploy = f.deployment(
            rng,
            name=s["app"],
            namespace=s["ns"],
            created=base,
            containers=[f.app_container("app", "ghcr.io/acme/app:1.42.0")],
            template_hash=template_hash,
        )
        rs = f.replicaset(rng, deploy, template_hash=template_hash, created=base)
        pod = f.deployment_pod(
            rng, rs, created=base, node=s["node"], host_ip=s["host"], pod_ip=s["ip"]
        )
        pod["metadata"]["name"] = f"{s['app']}-{template_hash}-{s['sfx']}"
        ids = {"rsuid": rs["metadata"]["uid"], "uid": pod["metadata"]["uid"]}
        self._add_kind("app", pod, ids)
        looping = _copy(pod)
        f.crash_loop(
            rng,
            looping,
            "app",
            restarts=14,
            last_reason="Error",
            last_exit_code=1,
            last_started=base + timedelta(seconds=5),
            last_finished=base + timedelta(seconds=9),
        )
        f.refresh_conditions(looping, base + timedelta(seconds=9))
        self._add_kind("app-crashloop", looping, ids)
        self._deploy_templates = (
            _Template(
                deploy,
                {
                    s["app"]: "app",
                    s["ns"]: "ns",
                    template_hash: "hash",
                    deploy["metadata"]["uid"]: "duid",
                },
            ),
            _Template(
                rs,
                {
                    s["app"]: "app",
                    s["ns"]: "ns",
                    template_hash: "hash",
                    rs["metadata"]["uid"]: "rsuid",
                    deploy["metadata"]["uid"]: "duid",
                },
            ),
        )

    def _add_kind(self, kind: str, obj: Obj, ids: dict[str, str]) -> None:
        replace = {v: k for k, v in ids.items()}
        replace.update(_cids(obj))
        replace.update({v: k for k, v in _S.items()})
        replace["spark-" + "a" * 32] = "appid"
        obj["metadata"].pop("resourceVersion", None)
        self._kinds[kind] = _Template(obj, replace)

    # ------------------------------------------------------------------ populate
    def populate(self, state: SimState) -> None:
        rng = random.Random(self.seed)
        self._build_templates(rng)
        now = state.clock.now()
        n_nodes = max(3, self.pods // 50)
        n_ns = max(2, self.pods // 5000 + 1)
        namespaces = [f"team-{i:03d}" for i in range(n_ns)]
        for ns in namespaces:
            state.create("namespaces", f.namespace(rng, ns, created=now - timedelta(days=200)))
        nodes = []
        for i in range(n_nodes):
            failing = rng.random() < 0.01
            node = f.node(
                rng,
                name=node_name(i + 1),
                created=now - timedelta(days=90),
                now=now,
                index=i + 1,
                memory_pressure=failing,
            )
            state.create("nodes", node)
            nodes.append(
                (node["metadata"]["name"], node["status"]["addresses"][0]["address"], i + 1)
            )
        deploy_share = 0.15
        target_app = int(self.pods * deploy_share)
        made = 0
        while made < target_app:
            ns = rng.choice(namespaces)
            replicas = min(rng.randint(3, 20), target_app - made)
            made += self._deployment(state, rng, ns, replicas, nodes, now)
        while made < self.pods:
            ns = rng.choice(namespaces)
            executors = min(rng.randint(2, 8), self.pods - made - 1)
            made += self._spark_app(state, rng, ns, max(executors, 0), nodes, now)

    def _values(self, rng: random.Random, ns: str, node: tuple[str, str, int]) -> dict[str, str]:
        name, host, index = node
        return {
            "ns": ns,
            "node": name,
            "host": host,
            "ip": f"10.244.{index % 256}.{rng.randint(2, 254)}",
            "uid": f.new_uid(rng),
            **{f"cid{i}": f.container_id(rng) for i in range(3)},
        }

    def _spark_app(
        self,
        state: SimState,
        rng: random.Random,
        ns: str,
        executors: int,
        nodes: list[tuple[str, str, int]],
        now: datetime,
    ) -> int:
        tag = "3.5" if rng.random() < 0.7 else "3.2"
        ref = f.new_uid(rng)
        app = f"{rng.choice(_APP_NAMES)}"
        created = now - timedelta(minutes=rng.randint(2, 600))
        values = self._values(rng, ns, rng.choice(nodes))
        values.update(ref=ref, app=app, appid=f.spark_app_id(rng), duid=values["uid"])
        roll = rng.random()
        if roll < _FAILURE_RATE / 4:
            kind = "driver-pending"
            executors = 0
        elif roll < _FAILURE_RATE:
            kind = f"driver-oom-{tag}"
        else:
            kind = f"driver-{tag}"
        driver = self._create_pod(state, self._kinds[kind], values, created)
        self.index.append((ns, driver["metadata"]["name"], "driver"))
        for exec_id in range(1, executors + 1):
            v = dict(values)
            v.update(self._values(rng, ns, rng.choice(nodes)))
            v["duid"] = values["duid"]
            v["exec"] = str(exec_id)
            failed = kind.startswith("driver-oom") or rng.random() < _FAILURE_RATE / 2
            ekind = f"executor-error-{tag}" if failed else f"executor-{tag}"
            pod = self._create_pod(state, self._kinds[ekind], v, created + timedelta(seconds=12))
            self.index.append((ns, pod["metadata"]["name"], "executor"))
        return 1 + executors

    def _deployment(
        self,
        state: SimState,
        rng: random.Random,
        ns: str,
        replicas: int,
        nodes: list[tuple[str, str, int]],
        now: datetime,
    ) -> int:
        app = f"{rng.choice(_SERVICES)}-{f.name_suffix(rng, 4)}"
        while state.get("deployments", ns, app) is not None:  # 4 chars collide at 150k pods
            app = f"{rng.choice(_SERVICES)}-{f.name_suffix(rng, 4)}"
        created = now - timedelta(days=rng.randint(1, 60))
        values = {
            "app": app,
            "ns": ns,
            "hash": f.name_suffix(rng, 10),
            "duid": f.new_uid(rng),
            "rsuid": f.new_uid(rng),
        }
        deploy_t, rs_t = self._deploy_templates
        deploy = deploy_t.render(dict(values), created)
        deploy["spec"]["replicas"] = deploy["status"]["replicas"] = replicas
        state.create("deployments", deploy)
        rs = rs_t.render(dict(values), created)
        # The template is of a one-replica ReplicaSet: it must want the pods it owns, or
        # the sim's ReplicaSet controller scales the extra ones away at the first write.
        rs["spec"]["replicas"] = replicas
        rs["status"].update(
            replicas=replicas,
            fullyLabeledReplicas=replicas,
            readyReplicas=replicas,
            availableReplicas=replicas,
        )
        annotations = rs["metadata"].setdefault("annotations", {})
        annotations["deployment.kubernetes.io/desired-replicas"] = str(replicas)
        annotations["deployment.kubernetes.io/max-replicas"] = str(replicas + 1)
        state.create("replicasets", rs)
        for _ in range(replicas):
            v = dict(values)
            v.update(self._values(rng, ns, rng.choice(nodes)))
            v["sfx"] = f.name_suffix(rng)
            kind = "app-crashloop" if rng.random() < _FAILURE_RATE else "app"
            pod = self._create_pod(state, self._kinds[kind], v, created + timedelta(seconds=3))
            self.index.append((ns, pod["metadata"]["name"], "app"))
        return replicas

    def _create_pod(
        self, state: SimState, template: _Template, values: dict[str, str], created: datetime
    ) -> Obj:
        """Store one pod; the first one checks that the store keeps Raw parts verbatim."""
        obj = template.render(values, created, raw=self._raw is not False)
        state.create("pods", obj)
        if self._raw is None:
            full = template.render(values, created, raw=False)
            meta = full["metadata"]
            stored = state.get("pods", meta["namespace"], meta["name"]) or {}
            stored["metadata"].pop("resourceVersion", None)
            self._raw = stored == full
            if not self._raw:
                state.replace("pods", full)
        return obj

    # ------------------------------------------------------------------ tick
    def tick(self, state: SimState, rng: random.Random) -> None:
        """About ``events_per_second × tick_interval`` pod writes: readiness blips (a
        container turns unready and recovers on the next tick) and annotation patches on
        random pods. The number of pods stays the same."""
        if not self.index:
            return
        self._tick_count += 1
        budget = int(self.events_per_second * self.tick_interval)
        if rng.random() < self.events_per_second * self.tick_interval - budget:
            budget += 1
        now = state.clock.now()
        recovering, self._unready = self._unready[:budget], self._unready[budget:]
        for ns, name in recovering:
            state.mutate("pods", ns, name, _set_ready(True, now, self._tick_count))
        for _ in range(budget - len(recovering)):
            ns, name, _role = self.index[rng.randrange(len(self.index))]
            if rng.random() < 0.7:
                state.mutate("pods", ns, name, _set_ready(False, now, self._tick_count))
                self._unready.append((ns, name))
            else:
                state.mutate("pods", ns, name, _annotate(self._tick_count))


@functools.lru_cache(maxsize=65536)
def _stamp(epoch_seconds: int) -> str:
    return f.ts(datetime.fromtimestamp(epoch_seconds, UTC))


def _copy(obj: Obj) -> Obj:
    return msgspec.json.decode(msgspec.json.encode(obj))


def _terminate(obj: Obj, container: str, reason: str, code: int, base: datetime) -> None:
    f.set_exited(
        obj, container, reason, code, base + timedelta(seconds=4), base + timedelta(seconds=50)
    )


def _set_ready(ready: bool, now: datetime, n: int) -> Callable[[Obj], None]:
    """The kubelet reports a readiness change; a pod that is not running gets an
    annotation patch instead, so every write changes something."""

    def apply(pod: Obj) -> None:
        status = pod.get("status") or {}
        if status.get("phase") != "Running":
            _annotate(n)(pod)
            return
        for cs in status.get("containerStatuses", []):
            cs["ready"] = ready
        f.refresh_conditions(pod, now)
        f.touch_manager(pod, "kubelet", now, subresource="status")

    return apply


def _annotate(n: int) -> Callable[[Obj], None]:
    """A label-free metadata patch, as deployment tooling does."""

    def apply(pod: Obj) -> None:
        pod["metadata"].setdefault("annotations", {})["sim.kubetui.io/touched"] = str(n)

    return apply
