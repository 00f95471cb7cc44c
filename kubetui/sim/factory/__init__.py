"""Realistic Kubernetes objects for the simulator, shaped as kube-apiserver returns them.

Every builder is a pure function of its arguments and a ``random.Random``: the same seed
gives identical objects. Objects are plain dicts in the API's JSON form (camelCase, Go
struct field order, map keys sorted as Go's encoder sorts them), with what a real cluster
adds and a dashboard must survive: defaulted fields, the admission-added
``kube-api-access`` volume and tolerations, ``managedFields`` (creator + kubelet status
writer), conditions in the kubelet's order, containerd IDs and a ``qosClass``. Shapes
are a v1.32 cluster's (defaults from kubernetes/kubernetes ``pkg/apis/core/v1/defaults.go``
plus admission; ``PodReadyToStartContainers`` and ``containerStatuses[].volumeMounts``
present, no status ``resources``).

Built-in kinds carry no ``kind``/``apiVersion`` (LIST items do not; the server adds them to
watch events); the custom resource carries both, as the apiserver stores CRs.

Modules: ``ids`` (identifiers, timestamps), ``managed`` (managedFields), ``pods`` (pods and
container states), ``spark`` (Kyuubi/Spark drivers and executors), ``workloads``
(Deployments, ReplicaSets, StatefulSets, Jobs and their pods), ``cluster`` (nodes,
namespaces, ConfigMaps, Secrets, KuberoPipeline), ``events``.
"""

from kubetui.sim.factory.cluster import (
    configmap,
    kubero_pipeline,
    namespace,
    node,
    secret,
    set_node_memory_pressure,
)
from kubetui.sim.factory.events import event, pod_ref_text, scheduler_event
from kubetui.sim.factory.ids import (
    K8S_VERSION,
    Obj,
    container_id,
    hex_string,
    mib_of,
    name_suffix,
    new_uid,
    parse_ts,
    spark_app_id,
    ts,
)
from kubetui.sim.factory.managed import managed_entry, touch_manager
from kubetui.sim.factory.pods import (
    container,
    crash_loop,
    current_container_id,
    env_field,
    env_value,
    mark_deleting,
    owner_ref,
    pod,
    refresh_conditions,
    resources,
    running,
    set_container_state,
    set_exited,
    set_not_started,
    set_phase,
    terminated,
    waiting,
)
from kubetui.sim.factory.spark import (
    DRIVER_CONTAINER,
    EXECUTOR_CONTAINER,
    KYUUBI_TAG_LABEL,
    SPARK_MANAGER,
    SPARK_VERSION,
    driver_service_name,
    executor_java_opts,
    kyuubi_engine_app_name,
    kyuubi_pod_names,
    spark_app_name_label,
    spark_driver_pod,
    spark_executor_pod,
    spark_image,
    spark_memory_mib,
)
from kubetui.sim.factory.workloads import (
    CONTROLLER_MANAGER,
    app_container,
    controller_pod,
    deployment,
    deployment_pod,
    job,
    replicaset,
    statefulset,
    statefulset_pod,
)

__all__ = [
    "CONTROLLER_MANAGER",
    "DRIVER_CONTAINER",
    "EXECUTOR_CONTAINER",
    "K8S_VERSION",
    "KYUUBI_TAG_LABEL",
    "SPARK_MANAGER",
    "SPARK_VERSION",
    "Obj",
    "app_container",
    "configmap",
    "container",
    "container_id",
    "controller_pod",
    "crash_loop",
    "current_container_id",
    "deployment",
    "deployment_pod",
    "driver_service_name",
    "env_field",
    "env_value",
    "event",
    "executor_java_opts",
    "hex_string",
    "job",
    "kubero_pipeline",
    "kyuubi_engine_app_name",
    "kyuubi_pod_names",
    "managed_entry",
    "mark_deleting",
    "mib_of",
    "name_suffix",
    "namespace",
    "new_uid",
    "node",
    "owner_ref",
    "parse_ts",
    "pod",
    "pod_ref_text",
    "refresh_conditions",
    "replicaset",
    "resources",
    "running",
    "scheduler_event",
    "secret",
    "set_container_state",
    "set_exited",
    "set_node_memory_pressure",
    "set_not_started",
    "set_phase",
    "spark_app_id",
    "spark_app_name_label",
    "spark_driver_pod",
    "spark_executor_pod",
    "spark_image",
    "spark_memory_mib",
    "statefulset",
    "statefulset_pod",
    "terminated",
    "touch_manager",
    "ts",
    "waiting",
]
