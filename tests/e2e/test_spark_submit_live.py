"""A Kyuubi-style Spark batch submitted by Spark's real submission client to the real
control plane (tests/e2e/spark_client.py): the driver pod Spark builds lands on the kwok
node, kwok runs it, the kernel's OOM kill is then written by kwok's chaos stage (exit 137,
phase Failed), and ``kubetui triage`` tells the engine by Kyuubi's batch tag: KILLED by
the OOM killer where Kyuubi's pod-phase rule says FAILED.

The Kyuubi server is not in this test (its artifacts are not served here, see
scripts/kyuubi/versions.env): what Kyuubi would say is kubetui's reproduction of its rule
(kubetui/model/kyuubi_state.py), not an observation of a Kyuubi server.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import incidents
import pytest
from control_plane import ApiError, ControlPlane, ensure_namespace
from kubetui_cli import triage
from spark_client import (
    SUBMITTER,
    Submission,
    grant_submitter,
    submit_batch,
)

NAMESPACE = "kyuubi-batches"
APP_NAME = "nightly-etl"
#: The resource of a batch whose container never runs (kwok plays the kubelet): the
#: examples jar of the apache/spark image, named as a batch would name it.
RESOURCE = "local:///opt/spark/examples/jars/spark-examples_2.12-3.5.6.jar"
MAIN_CLASS = "org.apache.spark.examples.SparkPi"
#: Spark's client log line naming what it created (apache/spark v3.5.6
#: resource-managers/kubernetes/core/.../submit/KubernetesClientApplication.scala).
DEPLOYED = re.compile(
    r"Deployed Spark application (?P<name>\S+) with application ID (?P<app>\S+) and "
    r"submission ID (?P<submission>\S+) into Kubernetes"
)


@pytest.fixture(scope="module")
def namespace(control_plane: ControlPlane) -> Iterator[str]:
    """The batch namespace, deleted afterwards (its OOM-killed driver stays out of the
    other tests' views)."""
    ensure_namespace(control_plane, NAMESPACE)
    yield NAMESPACE
    try:
        control_plane.request("DELETE", f"/api/v1/namespaces/{NAMESPACE}")
    except ApiError as error:
        if error.status != 404:
            raise


def _failed(submission: Submission) -> str:
    return f"spark-submit exited {submission.returncode}; see {submission.log}"


def test_spark_batch_driver_oom_killed_on_kwok(
    control_plane: ControlPlane, spark_home: Path, namespace: str, tmp_path: Path
) -> None:
    batch_id = str(uuid.uuid4())
    token = grant_submitter(control_plane, namespace)
    submission = submit_batch(
        control_plane,
        spark_home,
        namespace=namespace,
        token=token,
        batch_id=batch_id,
        app_name=APP_NAME,
        main_class=MAIN_CLASS,
        resource=RESOURCE,
        conf={
            "spark.kubernetes.container.image": "apache/spark:3.5.6",
            # the one node that runs pods here is kwok's
            "spark.kubernetes.node.selector.kubernetes.io/hostname": incidents.NODE,
            "spark.driver.memory": "2g",
        },
        log=tmp_path / "spark-submit.log",
    )
    print(f"spark-submit took {submission.seconds:.1f} s")
    assert submission.returncode == 0, _failed(submission)
    deployed = DEPLOYED.search(submission.output())
    assert deployed, _failed(submission)
    # Spark took the driver pod name Kyuubi gives it (the batch name is not in it).
    assert deployed["submission"] == f"{namespace}:kyuubi-spark-{batch_id}-driver"
    # The submitter's narrow Role was enough: what it did, each allowed (audit log).
    submitter = f"system:serviceaccount:{namespace}:{SUBMITTER}"
    done = [
        (e["verb"], e["objectRef"]["resource"], e["responseStatus"]["code"])
        for e in control_plane.audit_events()
        if e.get("user", {}).get("username") == submitter
    ]
    assert sorted(done) == [
        ("create", "pods", 201),
        ("patch", "configmaps", 201),
        ("patch", "services", 201),
    ]

    # The pod Spark built, run by kwok.
    driver = incidents.wait_for(control_plane, namespace, submission.driver, incidents.running)
    labels = driver["metadata"]["labels"]
    assert labels["kyuubi-unique-tag"] == batch_id
    assert labels["spark-app-selector"] == deployed["app"]
    assert labels["spark-role"] == "driver"
    assert labels["spark-app-name"] == APP_NAME
    assert driver["spec"]["nodeName"] == incidents.NODE
    assert [c["name"] for c in driver["spec"]["containers"]] == [incidents.DRIVER_CONTAINER]
    assert driver["spec"]["serviceAccountName"] == "default"

    # The kernel OOM-kills the driver: kwok's chaos stage, armed on the running pod.
    chaos = incidents.CHAOS
    control_plane.request(
        "PATCH",
        f"/api/v1/namespaces/{namespace}/pods/{submission.driver}",
        {
            "metadata": {
                "labels": {chaos: "true"},
                "annotations": {
                    f"{chaos}/reason": "OOMKilled",
                    f"{chaos}/exit-code": "137",
                    f"{chaos}/container-name": incidents.DRIVER_CONTAINER,
                },
            }
        },
        content_type="application/merge-patch+json",
    )
    killed = incidents.wait_for(control_plane, namespace, submission.driver, incidents.oom_killed)
    (status,) = killed["status"]["containerStatuses"]
    assert status["state"]["terminated"]["exitCode"] == 137

    result = triage(control_plane.kubeconfig(), tmp_path, "-n", namespace, "--format", "json")
    assert result.returncode == 1, result.stderr  # findings present
    report = json.loads(result.stdout)
    (engine,) = report["engines"]
    assert engine["kyuubi_tag"] == batch_id
    assert engine["app_id"] == deployed["app"]
    assert engine["pods"] == [submission.driver]
    assert engine["name"] == APP_NAME
    # The pods prove the OOM killer; Kyuubi's POD state source reads phase Failed: FAILED
    # (kyuubi-server .../engine/KubernetesApplicationOperation.scala v1.12.0,
    # podStateToApplicationState).
    assert (engine["state"], engine["reason"], engine["kyuubi_would_say"]) == (
        "KILLED",
        "OOMKilled",
        "FAILED",
    )
    found = {(f["kind"], f["name"]) for f in report["findings"]}
    assert ("oom_killed", submission.driver) in found
