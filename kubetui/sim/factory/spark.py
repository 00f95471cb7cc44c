"""Spark driver and executor pods as Kyuubi (cluster mode) and Spark create them.

apache/spark ``resource-managers/kubernetes/core/src/main/scala/org/apache/spark/deploy/k8s/``
``Constants.scala``, ``features/BasicDriverFeatureStep.scala``,
``features/BasicExecutorFeatureStep.scala``, ``features/LocalDirsFeatureStep.scala``:
labels ``spark-app-selector``/``spark-role`` (executors also ``spark-exec-id``/
``spark-exec-resourceprofile-id``; since 3.3 both get ``spark-app-name`` and
``spark-version``, SPARK-36566/SPARK-37339), containers
``spark-kubernetes-driver``/``-executor``, ports ``driver-rpc-port`` 7078, ``blockmanager``
7079, ``spark-ui`` 4040, ``restartPolicy: Never``, memory request = limit = heap +
max(0.1·heap, 384 MiB), executors owned by the driver pod (``controller: true``).
Kyuubi (apache/kyuubi @ cfbbeec4) adds ``kyuubi-unique-tag`` to the driver only
(``KyuubiApplicationManager.setupSparkK8sTag``) and ``SPARK_USER_NAME`` to both
(``SparkProcessBuilder``), and names the pods (``kyuubi_pod_names``).

The Spark sources were read at the commits the code index holds (Constants.scala @48abf9f5,
BasicDriverFeatureStep.scala @00012ecc, BasicExecutorFeatureStep.scala @9fb83468); the
3.3 labels are from SPARK-36566 and SPARK-37339 (apache/spark#34609). Not verified in
source here: ``SPARK_EXECUTOR_POD_NAME``/``SPARK_RESOURCE_PROFILE_ID`` (newer executors)
and the exact JavaModuleOptions list.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from kubetui.sim.factory.ids import Obj, hex_string, new_uid, ts
from kubetui.sim.factory.pods import (
    container,
    env_field,
    env_value,
    owner_ref,
    pod,
    resources,
)

SPARK_VERSION = "3.5.3"
KYUUBI_TAG_LABEL = "kyuubi-unique-tag"
DRIVER_CONTAINER = "spark-kubernetes-driver"
EXECUTOR_CONTAINER = "spark-kubernetes-executor"
#: Spark's submission client and the driver's executor allocator are fabric8 clients; the
#: apiserver names the field manager after the User-Agent up to the first "/".
SPARK_MANAGER = "fabric8-kubernetes-client"

#: ``JavaModuleOptions.defaultModuleOptions`` (Spark 3.3+, SPARK-36796), which Spark adds
#: to every executor's ``extraJavaOptions``; they arrive as ``SPARK_JAVA_OPT_<n>``.
_JAVA_MODULE_OPTS = (
    "-XX:+IgnoreUnrecognizedVMOptions",
    *(
        f"--add-opens=java.base/{pkg}=ALL-UNNAMED"
        for pkg in (
            "java.lang",
            "java.lang.invoke",
            "java.lang.reflect",
            "java.io",
            "java.net",
            "java.nio",
            "java.util",
            "java.util.concurrent",
            "java.util.concurrent.atomic",
            "jdk.internal.ref",
            "sun.nio.ch",
            "sun.nio.cs",
            "sun.security.action",
            "sun.util.calendar",
        )
    ),
    "-Djdk.reflect.useDirectMethodHandle=false",
)
#: Executor start-up confs Spark passes as system properties (``SparkConf.isExecutorStartupConf``).
_PORT_OPTS = (
    "-Dspark.driver.port=7078",
    "-Dspark.driver.blockManager.port=7079",
    "-Dspark.ui.port=4040",
)


def spark_image(version: str) -> str:
    """The apache/spark image of a release (``v``-prefixed tags before the official 3.3+)."""
    if _version_tuple(version) < (3, 3):
        return f"docker.io/apache/spark:v{version}"
    return f"docker.io/apache/spark:{version}-scala2.12-java17-ubuntu"


def _version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split(".")[:2])


def executor_java_opts(version: str) -> tuple[str, ...]:
    """``SPARK_JAVA_OPT_<n>`` values of an executor of Spark ``version``."""
    v = _version_tuple(version)
    opts: tuple[str, ...] = ()
    if v >= (3, 4):
        opts += ("-Djava.net.preferIPv6Addresses=false",)
    if v >= (3, 3):
        opts += _JAVA_MODULE_OPTS
    return opts + _PORT_OPTS


def _resource_name_prefix(name: str) -> str:
    """Kyuubi ``KubernetesUtils.getResourceNamePrefix`` (lower-case, DNS-safe)."""
    prefix = name.strip().lower()
    prefix = re.sub(r"[^a-z0-9\-]", "-", prefix)
    prefix = re.sub(r"-+", "-", prefix)
    prefix = re.sub(r"^-", "", prefix)
    return re.sub(r"^[0-9]", "x", prefix)


def _max_driver_pod_name_length(namespace: str) -> int:
    # DRIVER_POD_NAME_MAX_LENGTH (253) - namespace - POD_UID_MAX_LENGTH (36) - 2 separators:
    # the kubelet's log directory is <namespace>_<pod>_<uid>.
    return 253 - len(namespace) - 36 - 2


def kyuubi_pod_names(app_name: str, ref_id: str, namespace: str) -> tuple[str, str]:
    """(driver pod name, executor pod name prefix) as Kyuubi sets them in cluster mode.

    apache/kyuubi @ cfbbeec4 ``kyuubi-server/src/main/scala/org/apache/kyuubi/util/
    KubernetesUtils.scala`` ``generateDriverPodName`` / ``generateExecutorPodNamePrefix``:
    ``kyuubi-<sanitized app name>-<refId>`` unless the app name already holds the refId,
    falling back to ``kyuubi-<refId>`` when too long for the kubelet's log directory.
    The executor prefix reserves room for ``-exec-<Int.MaxValue>``.
    """
    base = (
        _resource_name_prefix(app_name)
        if ref_id in app_name
        else _resource_name_prefix(f"{app_name}-{ref_id}")
    )
    resolved = base if base.startswith("kyuubi-") else f"kyuubi-{base}"
    limit = _max_driver_pod_name_length(namespace)
    driver = f"{resolved}-driver"
    if len(driver) > limit:
        driver = f"kyuubi-{ref_id}-driver"
    exec_reserved = len("-exec-") + len(str(2**31 - 1))
    prefix = resolved if len(resolved) <= limit - exec_reserved else f"kyuubi-{ref_id}"
    return driver, prefix


def spark_app_name_label(app_name: str) -> str:
    """``spark-app-name`` value: Spark's ``KubernetesConf.getAppNameLabel`` sanitising."""
    label = re.sub(r"[^a-z0-9\-]", "-", app_name.strip().lower())
    label = re.sub(r"-+", "-", label)[:63]
    return label.strip("-")


def kyuubi_engine_app_name(user: str, ref_id: str, subdomain: str = "default") -> str:
    """Default ``spark.app.name`` of a USER-level SPARK_SQL engine (``EngineRef``)."""
    return f"kyuubi_USER_SPARK_SQL_{user}_{subdomain}_{ref_id}"


def _hostname(pod_name: str) -> str:
    """BasicExecutorFeatureStep: the last 63 characters, made hostname-safe."""
    host = pod_name[-63:]
    host = re.sub(r"^[^\w]+", "", host)
    return re.sub(r"[^\w-]+", "_", host)


def _spark_dirs(role: str, local_dir: str, config_map: str) -> tuple[list[Obj], list[Obj]]:
    """Volumes and the container's mounts of a driver (``role="driver"``) or executor
    (``"exec"``): the local dir as an emptyDir, ``spark.properties`` from the ConfigMap."""
    conf = f"spark-conf-volume-{role}"
    volumes = [
        {"name": "spark-local-dir-1", "emptyDir": {}},
        {
            "name": conf,
            "configMap": {
                "name": config_map,
                "items": [{"key": "spark.properties", "path": "spark.properties", "mode": 420}],
                "defaultMode": 420,
            },
        },
    ]
    mounts = [
        {"name": "spark-local-dir-1", "mountPath": local_dir},
        {"name": conf, "mountPath": "/opt/spark/conf"},
    ]
    return volumes, mounts


def spark_memory_mib(heap_mib: int, overhead_factor: float = 0.1) -> int:
    """Container memory = heap + max(factor·heap, 384 MiB) (BasicDriverFeatureStep)."""
    return heap_mib + max(int(overhead_factor * heap_mib), 384)


def spark_driver_pod(
    rng: random.Random,
    *,
    namespace: str,
    app_name: str,
    app_id: str,
    ref_id: str,
    user: str,
    node: str | None,
    created: datetime,
    main_class: str = "org.apache.kyuubi.engine.spark.SparkSQLEngine",
    resource: str = "local:///opt/kyuubi/externals/engines/spark/"
    "kyuubi-spark-sql-engine_2.12-1.10.1.jar",
    app_args: list[str] | None = None,
    heap_mib: int = 4096,
    cores: int = 1,
    guaranteed: bool = False,
    spark_version: str = SPARK_VERSION,
    service_account: str = "spark",
    host_ip: str = "10.0.0.10",
    pod_ip: str | None = None,
    init_containers: list[Obj] | None = None,
    with_kyuubi_tag: bool = True,
    proxy_user: str | None = None,
) -> Obj:
    """A Kyuubi-launched Spark driver pod (cluster mode), Running on ``node``.

    ``ref_id`` is the ``kyuubi-unique-tag`` value (batch id, or the engine's refId) and is
    also part of the pod name. ``guaranteed`` sets a CPU limit equal to the request
    (``spark.kubernetes.driver.limit.cores``), which makes the pod Guaranteed.
    ``proxy_user`` adds spark-submit's ``--proxy-user`` (Kyuubi with doAs, the default).
    """
    name, _ = kyuubi_pod_names(app_name, ref_id, namespace)
    memory = spark_memory_mib(heap_mib)
    local_dir = f"/var/data/spark-{new_uid(rng)}"
    volumes, mounts = _spark_dirs("driver", local_dir, f"spark-drv-{hex_string(rng, 16)}-conf-map")
    labels = {"spark-app-selector": app_id, "spark-role": "driver"}
    labels.update(_app_labels(spark_version, spark_app_name_label(app_name)))
    if with_kyuubi_tag:
        labels[KYUUBI_TAG_LABEL] = ref_id
    env = [
        env_value("SPARK_USER", user),
        env_value("SPARK_APPLICATION_ID", app_id),
        env_value("SPARK_USER_NAME", user),
        env_field("SPARK_DRIVER_BIND_ADDRESS", "status.podIP"),
        env_value("SPARK_LOCAL_DIRS", local_dir),
        env_value("SPARK_CONF_DIR", "/opt/spark/conf"),
    ]
    args = driver_args(main_class, resource, app_args or [], proxy_user=proxy_user)
    driver = container(
        DRIVER_CONTAINER,
        spark_image(spark_version),
        args=args,
        ports=[
            {"name": "driver-rpc-port", "containerPort": 7078},
            {"name": "blockmanager", "containerPort": 7079},
            {"name": "spark-ui", "containerPort": 4040},
        ],
        env=env,
        resources=resources(
            str(cores),
            memory,
            memory_limit_mib=memory,
            cpu_limit=str(cores) if guaranteed else None,
        ),
        volume_mounts=mounts,
    )
    if guaranteed:
        for c in init_containers or []:
            c["resources"] = resources("100m", 128, cpu_limit="100m", memory_limit_mib=128)
    return pod(
        rng,
        name=name,
        namespace=namespace,
        created=created,
        containers=[driver],
        init_containers=init_containers,
        node=node,
        manager=SPARK_MANAGER,
        labels=labels,
        volumes=volumes,
        restart_policy="Never",
        service_account=service_account,
        host_ip=host_ip,
        pod_ip=pod_ip,
        start_delay=4.0,
    )


def spark_executor_pod(
    rng: random.Random,
    driver: Obj,
    exec_id: int,
    *,
    node: str | None,
    created: datetime,
    heap_mib: int = 8192,
    cores: int = 2,
    host_ip: str = "10.0.0.10",
    pod_ip: str | None = None,
    sidecars: list[Obj] | None = None,
) -> Obj:
    """Executor ``exec_id`` of ``driver``: same app labels, ownerReference to the driver.

    The name is ``<prefix>-exec-<id>``; Kyuubi derives driver name and executor prefix
    from the same base, so the prefix is the driver's name without ``-driver``.
    """
    dmeta = driver["metadata"]
    labels = dmeta["labels"]
    namespace = dmeta["namespace"]
    app_id = labels["spark-app-selector"]
    image = driver["spec"]["containers"][0]["image"]
    version = image.rsplit(":", 1)[1].removeprefix("v").split("-")[0]
    user = next(
        e["value"] for e in driver["spec"]["containers"][0]["env"] if e["name"] == "SPARK_USER"
    )
    prefix = dmeta["name"].removesuffix("-driver")
    name = f"{prefix}-exec-{exec_id}"
    memory = spark_memory_mib(heap_mib)
    local_dir = f"/var/data/spark-{new_uid(rng)}"
    volumes, mounts = _spark_dirs("exec", local_dir, f"spark-exec-{hex_string(rng, 16)}-conf-map")
    svc = driver_service_name(driver)
    env = [
        env_value("SPARK_USER", user),
        env_value("SPARK_DRIVER_URL", f"spark://CoarseGrainedScheduler@{svc}.{namespace}.svc:7078"),
        env_value("SPARK_EXECUTOR_CORES", str(cores)),
        env_value("SPARK_EXECUTOR_MEMORY", f"{heap_mib // 1024}g"),
        env_value("SPARK_APPLICATION_ID", app_id),
        env_value("SPARK_CONF_DIR", "/opt/spark/conf"),
        env_value("SPARK_EXECUTOR_ID", str(exec_id)),
        env_value("SPARK_RESOURCE_PROFILE_ID", "0"),
        env_value("SPARK_USER_NAME", user),
        env_field("SPARK_EXECUTOR_POD_IP", "status.podIP"),
        env_field("SPARK_EXECUTOR_POD_NAME", "metadata.name"),
        *(env_value(f"SPARK_JAVA_OPT_{i}", o) for i, o in enumerate(executor_java_opts(version))),
        env_value("SPARK_LOCAL_DIRS", local_dir),
    ]
    executor = container(
        EXECUTOR_CONTAINER,
        driver["spec"]["containers"][0]["image"],
        args=["executor"],
        ports=[{"name": "blockmanager", "containerPort": 7079}],
        env=env,
        resources=resources(str(cores), memory, memory_limit_mib=memory),
        volume_mounts=mounts,
    )
    exec_labels = {
        "spark-app-selector": app_id,
        "spark-exec-id": str(exec_id),
        "spark-exec-resourceprofile-id": "0",
        "spark-role": "executor",
    }
    exec_labels.update(_app_labels(version, labels.get("spark-app-name", "")))
    return pod(
        rng,
        name=name,
        namespace=namespace,
        created=created,
        containers=[executor],
        init_containers=sidecars,
        node=node,
        manager=SPARK_MANAGER,
        labels=exec_labels,
        owner_references=[owner_ref(driver, "Pod", "v1", block=False)],
        volumes=volumes,
        restart_policy="Never",
        hostname=_hostname(name),
        host_ip=host_ip,
        pod_ip=pod_ip,
        start_delay=5.0,
    )


def _app_labels(version: str, app_name_label: str) -> dict[str, str]:
    """Labels Spark 3.3 added to driver and executors: ``spark-app-name`` (SPARK-36566)
    and ``spark-version`` (SPARK-37339, apache/spark#34609)."""
    if _version_tuple(version) < (3, 3):
        return {}
    return {"spark-app-name": app_name_label, "spark-version": version}


def driver_service_name(driver: Obj) -> str:
    """The driver's headless Service (``DriverServiceFeatureStep``: ``<prefix>-driver-svc``,
    with a unique id so it stays a DNS label)."""
    meta = driver["metadata"]
    app = meta["labels"].get("spark-app-name") or meta["name"].removeprefix("kyuubi-")
    prefix = spark_app_name_label(app)[:30].rstrip("-")
    return f"{prefix}-{meta['uid'].replace('-', '')[:16]}-driver-svc"


# ---------------------------------------------------------------------- submission


SPARK_PROPERTIES = "/opt/spark/conf/spark.properties"
PYTHON_RUNNER = "org.apache.spark.deploy.PythonRunner"


def driver_args(
    main_class: str, resource: str, app_args: Sequence[str], *, proxy_user: str | None = None
) -> list[str]:
    """The driver container's args: apache/spark ``features/DriverCommandFeatureStep.scala``
    ``baseDriverContainer`` (``--proxy-user`` since SPARK-25355)."""
    proxy = ["--proxy-user", proxy_user] if proxy_user else []
    return [
        "driver",
        *proxy,
        "--properties-file",
        SPARK_PROPERTIES,
        "--class",
        main_class,
        resource,
        *app_args,
    ]


def convert_config_key(key: str) -> str:
    """Kyuubi ``SparkProcessBuilder.convertConfigKey`` (apache/kyuubi @ cfbbeec4)."""
    if key.startswith("spark."):
        return key
    if key.startswith("hadoop."):
        return f"spark.hadoop.{key}"
    return f"spark.{key}"


def kyuubi_batch_properties(
    driver: Obj,
    *,
    conf: Mapping[str, str],
    name: str | None,
    user: str,
    batch_id: str,
    resource: str,
    python: bool,
    submitted: datetime,
    master: str = "k8s://https://10.96.0.1:443",
) -> dict[str, str]:
    """``spark.properties`` of a batch Kyuubi submitted in cluster mode.

    Kyuubi (apache/kyuubi @ cfbbeec4 ``engine/spark/SparkBatchProcessBuilder.scala``): the
    batch conf through ``convertConfigKey``, ``spark.app.name``, the ``kyuubi-unique-tag``
    driver label, ``appendPodNameConf``, ``engineLogPathConf``,
    ``engineWaitCompletionConf``, ``setSparkUserName``; its server conf gives
    ``spark.master`` and the deploy mode. spark-submit (apache/spark
    ``features/BasicDriverFeatureStep.scala``, ``DriverServiceFeatureStep.scala``,
    ``DriverCommandFeatureStep.scala`` ``getAdditionalPodSystemProperties``; SparkSubmit
    adds the resource to ``spark.jars`` and ``spark.app.submitTime``).
    """
    meta = driver["metadata"]
    namespace = meta["namespace"]
    app_id = meta["labels"]["spark-app-selector"]
    props = {convert_config_key(k): v for k, v in conf.items()}
    props.update(
        {
            "spark.master": master,
            "spark.submit.deployMode": "cluster",
            f"spark.kubernetes.driver.label.{KYUUBI_TAG_LABEL}": batch_id,
            "spark.kyuubi.engine.engineLog.path": (
                f"/opt/kyuubi/work/{user}/kyuubi-spark-batch-submit.log.0"
            ),
            "spark.kubernetes.submission.waitAppCompletion": "false",
            "spark.kubernetes.driverEnv.SPARK_USER_NAME": user,
            "spark.executorEnv.SPARK_USER_NAME": user,
        }
    )
    if name:
        props["spark.app.name"] = name
    props.setdefault("spark.kubernetes.namespace", namespace)
    props.setdefault("spark.kubernetes.driver.pod.name", meta["name"])
    props.setdefault(
        "spark.kubernetes.executor.podNamePrefix", meta["name"].removesuffix("-driver")
    )
    props.setdefault("spark.driver.port", "7078")
    props.setdefault("spark.driver.blockManager.port", "7079")
    if not python:
        jars = [j for j in props.get("spark.jars", "").split(",") if j]
        props["spark.jars"] = ",".join([*jars, resource])
    props.setdefault("spark.submit.pyFiles", "")
    props.update(
        {
            "spark.app.id": app_id,
            "spark.app.submitTime": str(int(submitted.timestamp() * 1000)),
            "spark.kubernetes.submitInDriver": "true",
            "spark.kubernetes.memoryOverheadFactor": "0.4" if python else "0.1",
            "spark.kubernetes.resource.type": "python" if python else "java",
            "spark.driver.host": f"{driver_service_name(driver)}.{namespace}.svc",
        }
    )
    return props


def _save_convert(text: str, *, escape_space: bool) -> str:
    """``Properties.saveConvert`` as ``store(Writer)`` calls it (no \\uXXXX escapes)."""
    out = []
    for i, ch in enumerate(text):
        if ch == " ":
            out.append("\\ " if i == 0 or escape_space else " ")
        elif ch in "\t\n\r\f":
            out.append({"\t": "\\t", "\n": "\\n", "\r": "\\r", "\f": "\\f"}[ch])
        elif ch in "=:#!\\":
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


def java_properties(props: Mapping[str, str], comment: str, at: datetime) -> str:
    """``java.util.Properties.store(Writer, comment)`` (openjdk/jdk ``java/util/
    Properties.java``): ``#comment``, ``#<Date.toString()>``, then ``key=value`` lines
    in key order (JDK 18+ sorts them), keys and values escaped by ``saveConvert``."""
    stamp = at.astimezone(UTC).strftime("%a %b %d %H:%M:%S UTC %Y")
    lines = [f"#{comment}", f"#{stamp}"]
    lines += [
        f"{_save_convert(k, escape_space=True)}={_save_convert(v, escape_space=False)}"
        for k, v in sorted(props.items())
    ]
    return "\n".join(lines) + "\n"


def driver_conf_map_name(driver: Obj) -> str:
    """The ConfigMap the driver mounts at ``/opt/spark/conf``."""
    return next(
        v["configMap"]["name"]
        for v in driver["spec"]["volumes"]
        if v["name"] == "spark-conf-volume-driver"
    )


def driver_conf_map(driver: Obj, properties: Mapping[str, str], created: datetime) -> Obj:
    """``spark-drv-<id>-conf-map`` holding ``spark.properties``, owned by the driver pod
    (apache/spark ``submit/KubernetesClientUtils.scala`` ``buildSparkConfDirFilesMap``;
    ``Client.run`` adds the driver as owner, so the ConfigMap goes with the pod)."""
    name = driver_conf_map_name(driver)
    text = java_properties(
        properties, f"Java properties built from Kubernetes config map with name: {name}", created
    )
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": name,
            "namespace": driver["metadata"]["namespace"],
            "creationTimestamp": ts(created),
            "ownerReferences": [owner_ref(driver, "Pod", "v1", block=False)],
        },
        "data": {"spark.properties": text},
    }
