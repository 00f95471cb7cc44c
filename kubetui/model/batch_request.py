"""Rebuild a Kyuubi BatchRequest from what a Spark driver pod proves.

Kyuubi has no resubmit endpoint and its REST API never returns a batch's request (apache/kyuubi
@ cfbbeec4: ``kyuubi-rest-client/.../api/v1/dto/Batch.java`` has no resource, class name,
conf or args), but a driver launched in Kubernetes cluster mode carries it:

* The driver container's args, as apache/spark ``resource-managers/kubernetes/core/src/
  main/scala/org/apache/spark/deploy/k8s/features/DriverCommandFeatureStep.scala``
  (``baseDriverContainer``, SPARK-25355 ``--proxy-user``) writes them:
  ``driver [--proxy-user U] --properties-file /opt/spark/conf/spark.properties --class C
  <resource> <app args…>``; the image's ``entrypoint.sh`` (``resource-managers/kubernetes/
  docker/src/main/dockerfiles/spark/entrypoint.sh``) turns them into ``spark-submit
  --conf spark.driver.bindAddress=… --deploy-mode client "$@"``. A local Java resource is
  replaced by ``spark-internal`` (``KubernetesUtils.renameMainAppResource``; SparkSubmit
  puts the jar in ``spark.jars``). PySpark runs ``--class org.apache.spark.deploy.PythonRunner``
  (SparkSubmit ``prepareSubmitEnvironment``, ``isKubernetesCluster`` branch).
* ``spark.properties`` in the driver's conf ConfigMap (``spark-drv-<id>-conf-map``, mounted
  at ``/opt/spark/conf``), written by ``java.util.Properties.store``
  (``submit/KubernetesClientUtils.scala`` ``buildStringFromPropertiesMap``): the request's
  conf plus what Kyuubi and spark-submit add, which must not be resubmitted (``_GENERATED``).
* Kyuubi (apache/kyuubi @ cfbbeec4) ``engine/spark/SparkBatchProcessBuilder.scala`` passes
  the request conf through ``SparkProcessBuilder.convertConfigKey`` (``kyuubi.x`` →
  ``spark.kyuubi.x``, ``hadoop.x`` → ``spark.hadoop.x``), adds ``spark.app.name`` (the
  batch name), the ``kyuubi-unique-tag`` driver label (``KyuubiApplicationManager``),
  ``appendPodNameConf``, ``engineLogPathConf``, ``engineWaitCompletionConf`` and, with doAs,
  ``--proxy-user`` plus ``spark.{kubernetes.driverEnv,executorEnv}.SPARK_USER_NAME``
  (``setupKerberos``/``setSparkUserName``); the server adds the reserved keys
  (``config/KyuubiReservedKeys.scala``) and ``kyuubi.batch.id``.

Everything here is pure: the caller fetches the pod and the ConfigMap.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

import msgspec

DRIVER_CONTAINER: Final = "spark-kubernetes-driver"
SPARK_CONF_DIR: Final = "/opt/spark/conf"
PROPERTIES_KEY: Final = "spark.properties"
KYUUBI_TAG_LABEL: Final = "kyuubi-unique-tag"
PYTHON_RUNNER: Final = "org.apache.spark.deploy.PythonRunner"
R_RUNNER: Final = "org.apache.spark.deploy.RRunner"
NO_RESOURCE: Final = "spark-internal"
#: The proxy user key every Kyuubi version honours (``kyuubi.session.proxy.user`` is 1.9+).
PROXY_USER_KEY: Final = "hive.server2.proxy.user"

#: Keys Kyuubi or spark-submit write for one particular submission, with why they go.
_GENERATED: Final = {
    "spark.app.name": "the batch name (BatchRequest.name)",
    "spark.app.id": "spark-submit's id of the old application",
    "spark.app.submitTime": "set by spark-submit",
    "spark.app.startTime": "set by spark-submit",
    "spark.master": "set by Kyuubi's server conf",
    "spark.submit.deployMode": "set by Kyuubi's server conf",
    "spark.driver.host": "the old driver's Service",
    "spark.driver.bindAddress": "the old driver pod's IP",
    "spark.kubernetes.driver.pod.name": "the old driver pod's name",
    "spark.kubernetes.submitInDriver": "set by spark-submit",
    "spark.kubernetes.resource.type": "set by spark-submit",
    "spark.kubernetes.submission.waitAppCompletion": "set by Kyuubi",
    "spark.kubernetes.driverEnv.SPARK_USER_NAME": f"set by Kyuubi from the user ({PROXY_USER_KEY})",
    "spark.executorEnv.SPARK_USER_NAME": f"set by Kyuubi from the user ({PROXY_USER_KEY})",
    f"spark.kubernetes.driver.label.{KYUUBI_TAG_LABEL}": "the old batch id: Kyuubi tags anew",
    "spark.kyuubi.batch.id": "the old batch id: Kyuubi assigns a new one",
    "spark.kyuubi.engine.engineLog.path": "set by Kyuubi",
    "spark.kyuubi.session.proxy.user": f"replaced by {PROXY_USER_KEY}",
    "spark.hive.server2.proxy.user": f"replaced by {PROXY_USER_KEY}",
}
#: ``KyuubiReservedKeys.reservedKeys`` (apache/kyuubi @ cfbbeec4): set by the server.
_RESERVED: Final = frozenset(
    f"spark.kyuubi.{k}"
    for k in (
        "client.ipAddress",
        "client.version",
        "server.ipAddress",
        "session.user",
        "session.sign.publickey",
        "session.user.sign",
        "session.real.user",
        "session.connection.url",
        "batch.resource.uploaded",
        "statement.id",
        "engine.id",
        "engine.name",
        "engine.url",
        "engine.submit.time",
        "engine.credentials",
        "engine.appMgrInfo",
        "session.handle",
        "session.alive.probe",
        "session.engine.launch.handle.guid",
        "session.engine.launch.handle.secret",
        "session.engine.launch.support.result",
        "operation.set.current.catalog",
        "operation.get.current.catalog",
        "operation.set.current.database",
        "operation.get.current.database",
        "operation.handle",
    )
)
#: spark-submit's defaults (``Config.scala``/``Constants.scala``): dropped at that value only.
_DEFAULTS: Final = {
    "spark.driver.port": "7078",
    "spark.driver.blockManager.port": "7079",
    "spark.kubernetes.memoryOverheadFactor": "0.1",
}
#: File lists SparkSubmit adds the application resource to.
_RESOURCE_LISTS: Final = ("spark.jars", "spark.files", "spark.submit.pyFiles")


# ---------------------------------------------------------------------- the driver pod


class _Rec(msgspec.Struct, rename="camel", frozen=True):
    """The few pod fields the rebuild reads (``records.Pod`` skips them for speed)."""


class EnvVar(_Rec):
    name: str | None = None
    value: str | None = None


class ConfigMapSource(_Rec):
    name: str | None = None


class Volume(_Rec):
    name: str | None = None
    config_map: ConfigMapSource | None = None


class VolumeMount(_Rec):
    name: str | None = None
    mount_path: str | None = None


class DriverContainer(_Rec):
    name: str | None = None
    args: tuple[str, ...] = ()
    env: tuple[EnvVar, ...] = ()
    volume_mounts: tuple[VolumeMount, ...] = ()


class DriverSpec(_Rec):
    containers: tuple[DriverContainer, ...] = ()
    volumes: tuple[Volume, ...] = ()


class DriverMeta(_Rec):
    name: str | None = None
    namespace: str | None = None
    uid: str | None = None
    labels: dict[str, str] | None = None


class DriverPod(_Rec):
    metadata: DriverMeta = DriverMeta()
    spec: DriverSpec = DriverSpec()


def decode_driver_pod(body: bytes | Mapping) -> DriverPod:
    """A pod from API JSON bytes or a dict (``msgspec.ValidationError`` on bad shapes)."""
    if isinstance(body, bytes | bytearray):
        return msgspec.json.decode(body, type=DriverPod)
    return msgspec.convert(body, DriverPod)


def driver_container(pod: DriverPod) -> DriverContainer | None:
    """The Spark container (by its fixed name, else the only container)."""
    named = [c for c in pod.spec.containers if c.name == DRIVER_CONTAINER]
    if named:
        return named[0]
    return pod.spec.containers[0] if len(pod.spec.containers) == 1 else None


def conf_config_map(pod: DriverPod) -> str | None:
    """The ConfigMap mounted at ``/opt/spark/conf`` in the driver container."""
    container = driver_container(pod)
    if container is None:
        return None
    mounted = {m.name for m in container.volume_mounts if m.mount_path == SPARK_CONF_DIR}
    return next(
        (v.config_map.name for v in pod.spec.volumes if v.name in mounted and v.config_map),
        None,
    )


# ---------------------------------------------------------------------- driver args


class DriverCommand(msgspec.Struct, frozen=True, kw_only=True):
    """The driver container's args, split as ``DriverCommandFeatureStep`` joined them."""

    proxy_user: str | None = None
    properties_file: str | None = None
    main_class: str | None = None
    resource: str | None = None
    app_args: tuple[str, ...] = ()


_OPTIONS: Final = {
    "--proxy-user": "proxy_user",
    "--properties-file": "properties_file",
    "--class": "main_class",
}


def parse_driver_args(args: tuple[str, ...] | list[str]) -> DriverCommand | str:
    """Split ``driver [--proxy-user U] --properties-file F --class C res args…``; a string
    says why the args are not spark-submit's."""
    if not args or args[0] != "driver":
        shown = " ".join(args[:3]) if args else "none"
        return f"the driver args are not spark-submit's (`driver …`), they are: {shown}"
    found: dict[str, str] = {}
    i = 1
    while i < len(args) and args[i].startswith("--"):
        field = _OPTIONS.get(args[i])
        if field is None:
            return f"unexpected driver argument {args[i]} before the application resource"
        if i + 1 >= len(args):
            return f"{args[i]} has no value in the driver args"
        found[field] = args[i + 1]
        i += 2
    resource = args[i] if i < len(args) else None
    return DriverCommand(**found, resource=resource, app_args=tuple(args[i + 1 :]))


# ---------------------------------------------------------------------- .properties


_WS: Final = " \t\f"
_ESCAPES: Final = {"t": "\t", "n": "\n", "r": "\r", "f": "\f"}


def parse_properties(text: str) -> dict[str, str]:
    """``java.util.Properties.load`` (openjdk/jdk ``src/java.base/share/classes/java/util/
    Properties.java`` @ d0a448c6, ``LineReader``/``load0``/``loadConvert``).

    Natural lines end at ``\\n``, ``\\r`` or ``\\r\\n``; leading white space (space, tab,
    form feed) is skipped; a line whose first character then is ``#`` or ``!`` is a
    comment; an odd number of trailing backslashes joins the next line (its leading white
    space skipped). The key ends at the first unescaped ``=``, ``:`` or white space; white
    space and one ``=``/``:`` after it are skipped. ``\\t \\n \\r \\f \\uXXXX`` are
    escapes, any other escaped character is itself. The last duplicate wins.
    ``ValueError`` on a malformed ``\\uXXXX``, as Java's IllegalArgumentException.
    """
    props: dict[str, str] = {}
    for line in _logical_lines(text):
        key, value = _split(line)
        props[_unescape(key)] = _unescape(value)
    return props


def _continues(line: str) -> bool:
    return (len(line) - len(line.rstrip("\\"))) % 2 == 1


def _logical_lines(text: str) -> list[str]:
    natural = re.split(r"\r\n|\r|\n", text)
    out: list[str] = []
    i = 0
    while i < len(natural):
        line = natural[i].lstrip(_WS)
        i += 1
        if not line or line[0] in "#!":
            continue
        while _continues(line):
            line = line[:-1]
            if i >= len(natural):
                break
            line += natural[i].lstrip(_WS)
            i += 1
        out.append(line)
    return out


def _split(line: str) -> tuple[str, str]:
    key_end = value_start = len(line)
    has_sep = escaped = False
    for idx, ch in enumerate(line):
        if not escaped and ch in "=:":
            key_end, value_start, has_sep = idx, idx + 1, True
            break
        if not escaped and ch in _WS:
            key_end, value_start = idx, idx + 1
            break
        escaped = ch == "\\" and not escaped
    j = value_start
    while j < len(line):
        ch = line[j]
        if ch not in _WS:
            if has_sep or ch not in "=:":
                break
            has_sep = True
        j += 1
    return line[:key_end], line[j:]


def _unescape(text: str) -> str:
    if "\\" not in text:
        return text
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        i += 1
        if ch != "\\" or i >= len(text):
            out.append(ch)
            continue
        ch = text[i]
        i += 1
        if ch == "u":
            digits = text[i : i + 4]
            if len(digits) < 4 or any(c not in "0123456789abcdefABCDEF" for c in digits):
                raise ValueError("Malformed \\uxxxx encoding.")
            out.append(chr(int(digits, 16)))
            i += 4
        else:
            out.append(_ESCAPES.get(ch, ch))
    # \uXXXX pairs are UTF-16 surrogates: join them into one character
    return "".join(out).encode("utf-16", "surrogatepass").decode("utf-16", "surrogatepass")


# ---------------------------------------------------------------------- the rebuild


class BatchRequest(msgspec.Struct, frozen=True, kw_only=True, rename="camel", omit_defaults=True):
    """``dto/BatchRequest.java`` (apache/kyuubi @ cfbbeec4, kyuubi-rest-client)."""

    batch_type: str
    resource: str
    class_name: str | None = None
    name: str | None = None
    conf: dict[str, str] = {}
    args: tuple[str, ...] = ()

    def to_json(self) -> dict:
        """The POST /batches body."""
        return msgspec.to_builtins(self)


class Rebuilt(msgspec.Struct, frozen=True, kw_only=True):
    """A rebuilt request, or exactly what is missing to rebuild one."""

    request: BatchRequest | None
    #: The user the batch ran as (also ``conf[PROXY_USER_KEY]`` of the request).
    user: str | None = None
    #: ``kyuubi-unique-tag`` of the driver: the old batch id.
    old_batch_id: str | None = None
    config_map: str | None = None
    #: Why no request could be made, one phrase each (empty when ``request`` is set).
    missing: tuple[str, ...] = ()
    #: Conf keys left out of the request, ``"key: why"``.
    dropped: tuple[str, ...] = ()


def rebuild_batch_request(pod: DriverPod, config_map_data: Mapping[str, str] | None) -> Rebuilt:
    """The BatchRequest that launches this driver again, or what is missing.

    ``config_map_data`` is the ``data`` of the ConfigMap ``conf_config_map(pod)`` names,
    or None when it is gone (404).
    """
    meta = pod.metadata
    where = f"{meta.namespace or '-'}/{meta.name or '?'}"  # unknown is never "None"
    old_id = (meta.labels or {}).get(KYUUBI_TAG_LABEL)
    cm_name = conf_config_map(pod)
    missing: list[str] = []
    command: DriverCommand | None = None
    container = driver_container(pod)
    if container is None:
        missing.append(f"pod {where} has no {DRIVER_CONTAINER} container")
    else:
        parsed = parse_driver_args(container.args)
        if isinstance(parsed, str):
            missing.append(parsed)
        else:
            command = parsed
            if command.main_class is None:
                missing.append("no --class in the driver args")
            elif command.main_class == R_RUNNER:
                missing.append("an R application: Kyuubi batches are SPARK or PYSPARK only")
            if command.resource is None:
                missing.append("no application resource in the driver args")
    props: dict[str, str] = {}
    if cm_name is None:
        missing.append(f"the driver mounts no ConfigMap at {SPARK_CONF_DIR} (spark.properties)")
    elif config_map_data is None:
        missing.append(f"ConfigMap {cm_name} is gone (it held spark.properties, the Spark conf)")
    elif PROPERTIES_KEY not in config_map_data:
        missing.append(f"ConfigMap {cm_name} has no {PROPERTIES_KEY}")
    else:
        try:
            props = parse_properties(config_map_data[PROPERTIES_KEY])
        except ValueError as exc:
            missing.append(f"{PROPERTIES_KEY} in ConfigMap {cm_name} is malformed: {exc}")
    user = _user(command, props, container)
    if user is None and not missing:
        missing.append(
            "no user: no --proxy-user in the driver args and no SPARK_USER_NAME "
            "(spark.kubernetes.driverEnv or the container's env)"
        )
    resource = command.resource if command is not None else None
    if resource == NO_RESOURCE and not missing:
        jars = _split_list(props.get("spark.jars", ""))
        if len(jars) != 1:
            missing.append(
                "the driver args name spark-internal (a local jar) and spark.jars does not "
                f"say which one ({len(jars)} entries)"
            )
        else:
            resource = jars[0]
    if missing or command is None or resource is None or user is None:
        return Rebuilt(
            request=None, old_batch_id=old_id, config_map=cm_name, user=user, missing=tuple(missing)
        )
    conf, dropped = _request_conf(props, resource, old_id)
    conf[PROXY_USER_KEY] = user
    python = command.main_class == PYTHON_RUNNER or resource.endswith(".py")
    request = BatchRequest(
        batch_type="PYSPARK" if python else "SPARK",
        resource=resource,
        class_name=None if python else command.main_class,
        name=props.get("spark.app.name"),
        conf=dict(sorted(conf.items())),
        args=command.app_args,
    )
    return Rebuilt(
        request=request, user=user, old_batch_id=old_id, config_map=cm_name, dropped=dropped
    )


def _user(
    command: DriverCommand | None, props: Mapping[str, str], container: DriverContainer | None
) -> str | None:
    """``--proxy-user`` (doAs), else the SPARK_USER_NAME Kyuubi sets for the pods."""
    if command is not None and command.proxy_user:
        return command.proxy_user
    if user := props.get("spark.kubernetes.driverEnv.SPARK_USER_NAME"):
        return user
    env = container.env if container is not None else ()
    return next((e.value for e in env if e.name == "SPARK_USER_NAME" and e.value), None)


def _split_list(value: str) -> list[str]:
    return [v for v in (p.strip() for p in value.split(",")) if v]


def _request_conf(
    props: Mapping[str, str], resource: str, old_id: str | None
) -> tuple[dict[str, str], tuple[str, ...]]:
    """The request's conf from spark.properties: generated keys dropped, ``spark.kyuubi.x``
    back to ``kyuubi.x`` (the server reads those; the engine gets them either way)."""
    conf: dict[str, str] = {}
    dropped: list[str] = []
    for key, value in props.items():
        why = _GENERATED.get(key)
        if why is None and key in _RESERVED:
            why = "set by the Kyuubi server"
        if why is None and _DEFAULTS.get(key) == value:
            why = "spark-submit's default"
        if (
            why is None
            and key == "spark.kubernetes.executor.podNamePrefix"
            and old_id
            and old_id in value
        ):
            why = "derived from the old batch id by Kyuubi"
        if why is None and key in _RESOURCE_LISTS:
            rest = [v for v in _split_list(value) if v != resource]
            if not rest:
                why = "only the application resource, which spark-submit adds"
            else:
                value = ",".join(rest)
        if why is not None:
            dropped.append(f"{key}: {why}")
            continue
        conf[key.removeprefix("spark.") if key.startswith("spark.kyuubi.") else key] = value
    return conf, tuple(sorted(dropped))
