"""The object factories: Spark/Kyuubi conventions, apiserver defaults, sizes, determinism."""

from __future__ import annotations

import json
import random
import re
from datetime import UTC, datetime, timedelta

import msgspec
import pytest

from kubetui.model.pod_status import pod_columns
from kubetui.model.records import Pod
from kubetui.sim import factory as f

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
REF = "0b6d8a4e-5d1c-4f1e-9a55-2c3f4e5d6a7b"


def _driver(rng: random.Random, **kwargs: object) -> dict:
    args: dict = {
        "namespace": "spark-alice",
        "app_name": f.kyuubi_engine_app_name("alice", REF),
        "app_id": "spark-" + "1" * 32,
        "ref_id": REF,
        "user": "alice",
        "node": "ip-10-0-0-12.ec2.internal",
        "created": T0,
    }
    args.update(kwargs)
    return f.spark_driver_pod(rng, **args)


def _size(obj: dict) -> int:
    return len(json.dumps(obj, separators=(",", ":")))


# apache/kyuubi @ cfbbeec4 kyuubi-server/src/test/scala/org/apache/kyuubi/util/
# KubernetesPodNameSuite.scala: names that would overflow the kubelet's log directory
# budget (<namespace>_<pod>_<uid> ≤ 253) fall back to kyuubi-<refId>[-driver]; the rest
# are kyuubi-<sanitized app name>[-<refId>] (KubernetesUtils.getResourceNamePrefix).
@pytest.mark.parametrize(
    ("app_name", "ref_id", "namespace", "driver", "prefix"),
    [
        (
            "a" * 160,
            "kyuubi-test-engine",
            "n" * 63,
            "kyuubi-kyuubi-test-engine-driver",
            "kyuubi-kyuubi-test-engine",
        ),
        ("nightly-etl", "abc", "etl", "kyuubi-nightly-etl-abc-driver", "kyuubi-nightly-etl-abc"),
        (
            "kyuubi_USER_SPARK_SQL_alice_default_abc",
            "abc",
            "default",
            "kyuubi-user-spark-sql-alice-default-abc-driver",
            "kyuubi-user-spark-sql-alice-default-abc",
        ),
        ("My App!!", "r1", "default", "kyuubi-my-app-r1-driver", "kyuubi-my-app-r1"),
        ("1st job", "r2", "default", "kyuubi-xst-job-r2-driver", "kyuubi-xst-job-r2"),
    ],
)
def test_kyuubi_pod_names(app_name, ref_id, namespace, driver, prefix):
    assert f.kyuubi_pod_names(app_name, ref_id, namespace) == (driver, prefix)
    assert len(f"{namespace}_{driver}_{'u' * 36}") <= 253


def test_driver_pod_carries_spark_and_kyuubi_conventions():
    pod = _driver(random.Random(1))
    meta, spec = pod["metadata"], pod["spec"]
    assert meta["name"] == f"kyuubi-user-spark-sql-alice-default-{REF}-driver"
    assert meta["labels"] == {
        "kyuubi-unique-tag": REF,
        "spark-app-name": f"kyuubi-user-spark-sql-alice-default-{REF}"[:63],
        "spark-app-selector": "spark-" + "1" * 32,
        "spark-role": "driver",
        "spark-version": f.SPARK_VERSION,
    }
    assert list(meta["labels"]) == sorted(meta["labels"])
    (c,) = spec["containers"]
    assert c["name"] == "spark-kubernetes-driver"
    assert [(p["name"], p["containerPort"]) for p in c["ports"]] == [
        ("driver-rpc-port", 7078),
        ("blockmanager", 7079),
        ("spark-ui", 4040),
    ]
    env = {e["name"]: e.get("value") for e in c["env"]}
    assert env["SPARK_APPLICATION_ID"] == "spark-" + "1" * 32
    assert env["SPARK_USER_NAME"] == "alice"
    assert "SPARK_DRIVER_BIND_ADDRESS" in env
    # 4096 MiB heap + max(10 %, 384 MiB) overhead, request = limit
    assert c["resources"] == {
        "limits": {"memory": "4505Mi"},
        "requests": {"cpu": "1", "memory": "4505Mi"},
    }
    assert spec["restartPolicy"] == "Never"
    assert pod["status"]["qosClass"] == "Burstable"


def test_executor_is_owned_by_its_driver_and_has_no_kyuubi_tag():
    rng = random.Random(2)
    driver = _driver(rng)
    executor = f.spark_executor_pod(
        rng, driver, 3, node="ip-10-0-0-14.ec2.internal", created=T0 + timedelta(seconds=12)
    )
    meta = executor["metadata"]
    assert meta["name"] == driver["metadata"]["name"].removesuffix("-driver") + "-exec-3"
    assert "kyuubi-unique-tag" not in meta["labels"]
    assert meta["labels"]["spark-role"] == "executor"
    assert meta["labels"]["spark-exec-id"] == "3"
    assert (
        meta["labels"]["spark-app-selector"] == driver["metadata"]["labels"]["spark-app-selector"]
    )
    assert meta["ownerReferences"] == [
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "name": driver["metadata"]["name"],
            "uid": driver["metadata"]["uid"],
            "controller": True,
        }
    ]
    assert executor["spec"]["hostname"] == meta["name"][-63:]
    env = [e["name"] for e in executor["spec"]["containers"][0]["env"]]
    opts = [n for n in env if n.startswith("SPARK_JAVA_OPT_")]
    assert opts == [f"SPARK_JAVA_OPT_{i}" for i in range(len(f.executor_java_opts("3.5.3")))]


def test_apiserver_defaults_and_kubelet_status():
    pod = _driver(random.Random(3))
    spec, status = pod["spec"], pod["status"]
    assert spec["tolerations"] == [
        {
            "key": "node.kubernetes.io/not-ready",
            "operator": "Exists",
            "effect": "NoExecute",
            "tolerationSeconds": 300,
        },
        {
            "key": "node.kubernetes.io/unreachable",
            "operator": "Exists",
            "effect": "NoExecute",
            "tolerationSeconds": 300,
        },
    ]
    sa = [v for v in spec["volumes"] if v["name"].startswith("kube-api-access-")]
    assert len(sa) == 1 and sa[0]["projected"]["defaultMode"] == 420
    assert {
        "name": sa[0]["name"],
        "readOnly": True,
        "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
    } in spec["containers"][0]["volumeMounts"]
    assert spec["preemptionPolicy"] == "PreemptLowerPriority" and spec["priority"] == 0
    assert [c["type"] for c in status["conditions"]] == [
        "PodReadyToStartContainers",
        "Initialized",
        "Ready",
        "ContainersReady",
        "PodScheduled",
    ]
    (cs,) = status["containerStatuses"]
    assert re.fullmatch(r"containerd://[0-9a-f]{64}", cs["containerID"])
    assert list(cs)[:9] == [
        "name",
        "state",
        "lastState",
        "ready",
        "restartCount",
        "image",
        "imageID",
        "containerID",
        "started",
    ]
    managers = [(m["manager"], m.get("subresource")) for m in pod["metadata"]["managedFields"]]
    assert managers == [("fabric8-kubernetes-client", None), ("kubelet", "status")]
    # admission additions are not the creator's fields
    creator = json.dumps(pod["metadata"]["managedFields"][0]["fieldsV1"])
    assert "kube-api-access" not in creator and "f:tolerations" not in creator
    assert '"k:{\\"containerPort\\":7078,\\"protocol\\":\\"TCP\\"}"' in creator


def test_sizes_are_realistic_and_records_decode():
    rng = random.Random(4)
    driver = _driver(rng)
    executor = f.spark_executor_pod(rng, driver, 1, node="n", created=T0)
    old = _driver(rng, spark_version="3.2.4", app_name="nightly-etl")
    old_exec = f.spark_executor_pod(rng, old, 1, node="n", created=T0)
    assert 6_000 <= _size(driver) <= 9_000
    assert 9_000 <= _size(executor) <= 12_500  # 20 SPARK_JAVA_OPT_n on Spark 3.3+
    assert 7_000 <= _size(old_exec) < _size(executor)
    # Spark < 3.3 sets neither spark-app-name nor spark-version
    assert set(old_exec["metadata"]["labels"]) == {
        "spark-app-selector",
        "spark-exec-id",
        "spark-exec-resourceprofile-id",
        "spark-role",
    }
    assert set(old["metadata"]["labels"]) == {
        "spark-app-selector",
        "spark-role",
        "kyuubi-unique-tag",
    }
    for obj in (driver, executor, old, old_exec):
        record = msgspec.convert(obj, Pod)
        assert record.status.phase == "Running"
        assert _size({"m": obj["metadata"]["managedFields"]}) > 2_000


def test_same_seed_same_objects_other_seed_differs():
    assert _driver(random.Random(9)) == _driver(random.Random(9))
    assert (
        _driver(random.Random(9))["metadata"]["uid"]
        != _driver(random.Random(10))["metadata"]["uid"]
    )


def test_guaranteed_driver_and_best_effort_pod():
    assert _driver(random.Random(5), guaranteed=True)["status"]["qosClass"] == "Guaranteed"
    shell = f.container("sh", "busybox:1.36")
    pod = f.pod(
        random.Random(5),
        name="debug",
        namespace="default",
        created=T0,
        containers=[shell],
        node="n",
        manager="kubectl-run",
    )
    assert pod["status"]["qosClass"] == "BestEffort"


def test_oom_kill_helpers_give_kubectl_oomkilled_and_failed_phase():
    rng = random.Random(6)
    pod = _driver(rng)
    cid = f.current_container_id(pod, f.DRIVER_CONTAINER)
    at = T0 + timedelta(minutes=30)
    f.set_container_state(pod, f.DRIVER_CONTAINER, f.terminated("OOMKilled", 137, T0, at, cid))
    f.set_phase(pod, "Failed", at)
    conditions = {c["type"]: c for c in pod["status"]["conditions"]}
    assert conditions["Ready"]["status"] == "False"
    assert conditions["Ready"]["reason"] == "PodFailed"
    assert conditions["PodReadyToStartContainers"]["status"] == "False"
    terminated = pod["status"]["containerStatuses"][0]["state"]["terminated"]
    assert terminated["exitCode"] == 137 and "signal" not in terminated
    row = pod_columns(msgspec.convert(pod, Pod), at)
    assert (row.status, row.ready) == ("OOMKilled", "0/1")


def test_crash_loop_and_deletion_helpers():
    rng = random.Random(7)
    pod = _driver(rng)
    f.crash_loop(
        rng,
        pod,
        f.DRIVER_CONTAINER,
        restarts=4,
        last_reason="Error",
        last_exit_code=143,
        last_started=T0,
        last_finished=T0 + timedelta(minutes=1),
    )
    cs = pod["status"]["containerStatuses"][0]
    assert cs["state"]["waiting"]["reason"] == "CrashLoopBackOff"
    assert cs["lastState"]["terminated"]["exitCode"] == 143
    assert cs["restartCount"] == 4 and cs["ready"] is False
    restarted = f.container_id(rng)
    f.set_container_state(pod, f.DRIVER_CONTAINER, f.running(T0 + timedelta(minutes=6)), restarts=5)
    cs = pod["status"]["containerStatuses"][0]
    cs["containerID"] = restarted
    assert (cs["ready"], cs["started"], cs["restartCount"]) == (True, True, 5)
    assert cs["lastState"]["terminated"]["exitCode"] == 143  # kept from the crash
    f.mark_deleting(pod, T0, grace_seconds=0, finalizers=["acme.io/hold"])
    meta = pod["metadata"]
    assert meta["deletionTimestamp"] == "2025-03-01T12:00:00Z"
    assert meta["finalizers"] == ["acme.io/hold"]
    assert list(meta).index("deletionTimestamp") == list(meta).index("creationTimestamp") + 1


def test_events_are_named_after_the_object_and_unix_nanos():
    rng = random.Random(8)
    pod = _driver(rng)
    ev = f.event(
        rng,
        pod,
        reason="BackOff",
        message="m",
        at=T0,
        event_type="Warning",
        host="n1",
        container_name=f.DRIVER_CONTAINER,
    )
    name, _, nanos = ev["metadata"]["name"].rpartition(".")
    assert name == pod["metadata"]["name"]
    assert int(nanos, 16) // 1_000_000_000 == int(T0.timestamp())
    assert ev["involvedObject"]["fieldPath"] == "spec.containers{spark-kubernetes-driver}"
    assert (ev["source"], ev["reportingComponent"], ev["reportingInstance"]) == (
        {"component": "kubelet", "host": "n1"},
        "kubelet",
        "n1",
    )
    node = f.node(rng, name="n1", created=T0, now=T0, index=1)
    assert (
        f.event(rng, node, kind="Node", reason="OOMKilling", message="m", at=T0)["metadata"][
            "namespace"
        ]
        == "default"
    )
    sched = f.scheduler_event(rng, pod, reason="FailedScheduling", message="m", at=T0)
    assert sched["firstTimestamp"] is None and sched["eventTime"].endswith("Z")
    assert sched["reportingComponent"] == "default-scheduler" and sched["source"] == {}


def test_node_conditions_and_memory_pressure_taint():
    node = f.node(random.Random(1), name="n", created=T0, now=T0, index=3, memory_pressure=True)
    assert [c["type"] for c in node["status"]["conditions"]] == [
        "MemoryPressure",
        "DiskPressure",
        "PIDPressure",
        "Ready",
    ]
    assert node["status"]["conditions"][0]["reason"] == "KubeletHasInsufficientMemory"
    assert node["spec"]["taints"][0]["key"] == "node.kubernetes.io/memory-pressure"
    f.set_node_memory_pressure(node, False, T0)
    assert "taints" not in node["spec"]
