"""Spark's real submission client against the real control plane, run the way the Kyuubi
server runs it for a batch.

The client (spark-core + spark-kubernetes jars and ``bin/spark-submit``) comes from
``scripts/kyuubi/build.py`` (resolved once from Maven Central, cached by version). The
Kyuubi server itself is not run: its artifacts are not served by the Maven Central this
machine and CI reach (scripts/kyuubi/versions.env).

:func:`submit_batch` builds the command line apache/kyuubi v1.12.0 builds for a SPARK
batch on Kubernetes in cluster mode
(``kyuubi-server/src/main/scala/org/apache/kyuubi/engine/spark/SparkBatchProcessBuilder
.scala`` ``commands``): ``--class``, the batch's conf, the driver label
``kyuubi-unique-tag=<batch id>`` (``KyuubiApplicationManager.setupSparkK8sTag``), the
batch name as ``spark.app.name``, the driver pod name ``kyuubi-<n>-<batch id>-driver`` and
executor prefix ``kyuubi-<n>-<batch id>`` (``SparkProcessBuilder.appendPodNameConf`` with
``KubernetesUtils.generateDriverPodName``), where ``<n>`` is the ``spark.app.name`` of the
batch's own conf, else ``spark``: the batch name is not that conf, so a batch named
``nightly-etl`` gets the driver ``kyuubi-spark-<batch id>-driver`` and the label
``spark-app-name=nightly-etl``, and ``spark.kubernetes.submission.waitAppCompletion=false``
(``SparkProcessBuilder.engineWaitCompletionConf``; ``ProcBuilder.waitEngineCompletion``
is false in cluster mode with ``kyuubi.session.engine.startup.waitCompletion=false``), so
spark-submit creates the driver pod and exits. The submitter is a ServiceAccount with a
Role for what the client creates, its token from the TokenRequest API: no admin token.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from control_plane import ControlPlane, apply, cached_build_root

REPO = Path(__file__).resolve().parents[2]
BUILD = REPO / "scripts" / "kyuubi" / "build.py"
SUBMITTER = "spark-submitter"
#: What Spark 3.5's submission client does for a cluster-mode driver: creates the driver
#: pod, server-side applies (PATCH; an apply that creates needs ``create`` as well) its
#: ConfigMap and headless Service, and deletes them
#: all again when a step fails (apache/spark v3.5.6 resource-managers/kubernetes/core/src/
#: main/scala/org/apache/spark/deploy/k8s/submit/KubernetesClientApplication.scala,
#: ``Client.run``: ``pods().resource(..).create()``, ``resourceList(..).forceConflicts()
#: .serverSideApply()``, ``delete()`` in its catch blocks).
SUBMITTER_RULES = [
    {"apiGroups": [""], "resources": ["pods"], "verbs": ["create", "delete"]},
    {
        "apiGroups": [""],
        "resources": ["configmaps", "services"],
        "verbs": ["create", "patch", "delete"],
    },
]


class SparkUnavailable(RuntimeError):
    """The submission client could not be resolved; the message is build.py's one line."""


def resolve_spark_home() -> Path:
    """The SPARK_HOME of the pinned build script (resolved, or found cached)."""
    return cached_build_root(BUILD, 1800, SparkUnavailable) / "spark"


def grant_submitter(plane: ControlPlane, namespace: str) -> str:
    """A ServiceAccount allowed SUBMITTER_RULES in ``namespace``; a token for it."""
    rbac = f"/apis/rbac.authorization.k8s.io/v1/namespaces/{namespace}"
    apply(
        plane,
        f"/api/v1/namespaces/{namespace}/serviceaccounts",
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": SUBMITTER}},
    )
    apply(
        plane,
        f"{rbac}/roles",
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": {"name": SUBMITTER},
            "rules": SUBMITTER_RULES,
        },
    )
    apply(
        plane,
        f"{rbac}/rolebindings",
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": SUBMITTER},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": SUBMITTER},
            "subjects": [{"kind": "ServiceAccount", "name": SUBMITTER, "namespace": namespace}],
        },
    )
    answer = plane.request(
        "POST",
        f"/api/v1/namespaces/{namespace}/serviceaccounts/{SUBMITTER}/token",
        {
            "apiVersion": "authentication.k8s.io/v1",
            "kind": "TokenRequest",
            "spec": {"expirationSeconds": 3600},
        },
    )
    return answer["status"]["token"]


def resource_name_prefix(app_name: str, batch_id: str) -> str:
    """Kyuubi's ``KubernetesUtils.generateExecutorPodNamePrefix`` (its
    ``getResourceNamePrefix`` rules, ``kyuubi-`` in front) for a name that fits (the
    63-character fallback ``kyuubi-<id>`` is not needed here)."""
    prefix = f"{app_name}-{batch_id}".strip().lower()
    prefix = re.sub(r"[^a-z0-9\-]", "-", prefix)
    prefix = re.sub(r"-+", "-", prefix)
    prefix = re.sub(r"^-", "", prefix)
    prefix = re.sub(r"^[0-9]", "x", prefix)
    return prefix if prefix.startswith("kyuubi-") else f"kyuubi-{prefix}"


def driver_pod_name(app_name: str, batch_id: str) -> str:
    """Kyuubi's ``KubernetesUtils.generateDriverPodName``: the prefix and ``-driver``."""
    return f"{resource_name_prefix(app_name, batch_id)}-driver"


@dataclass
class Submission:
    argv: list[str]
    returncode: int
    log: Path
    seconds: float
    driver: str

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def submit_batch(
    plane: ControlPlane,
    spark_home: Path,
    *,
    namespace: str,
    token: str,
    batch_id: str,
    app_name: str,
    main_class: str,
    resource: str,
    conf: dict[str, str],
    log: Path,
    timeout: float = 300,
) -> Submission:
    """Run ``spark-submit`` as Kyuubi would for the batch; its output goes to ``log``
    (the token is handed over in a file beside it, never on the command line)."""
    token_file = log.with_suffix(".token")
    token_file.touch(mode=0o600)
    token_file.write_text(token)
    named = conf.get("spark.app.name", "spark")
    prefix = resource_name_prefix(named, batch_id)
    driver = driver_pod_name(named, batch_id)
    full = {
        **conf,
        "spark.master": f"k8s://{plane.url}",
        "spark.submit.deployMode": "cluster",
        "spark.kubernetes.namespace": namespace,
        "spark.kubernetes.authenticate.submission.oauthTokenFile": str(token_file),
        "spark.kubernetes.authenticate.submission.caCertFile": str(plane.tls.ca_cert),
        "spark.kubernetes.driver.label.kyuubi-unique-tag": batch_id,
        "spark.app.name": app_name,
        "spark.kubernetes.executor.podNamePrefix": prefix,
        "spark.kubernetes.driver.pod.name": driver,
        "spark.kubernetes.submission.waitAppCompletion": "false",
    }
    argv = [str(spark_home / "bin" / "spark-submit"), "--class", main_class]
    for key, value in full.items():
        argv += ["--conf", f"{key}={value}"]
    argv.append(resource)
    env = {
        **os.environ,
        # no kubeconfig of the developer's may add to the submission's settings
        "KUBECONFIG": str(log.with_suffix(".no-kubeconfig")),
        "SPARK_LOCAL_IP": "127.0.0.1",
        "SPARK_CONF_DIR": str(spark_home / "conf"),
    }
    started = time.monotonic()
    with log.open("wb") as handle:
        done = subprocess.run(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=handle,
            stderr=subprocess.STDOUT,
            env=env,
            timeout=timeout,
            start_new_session=True,
        )
    return Submission(argv, done.returncode, log, time.monotonic() - started, driver)
