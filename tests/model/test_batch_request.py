"""Rebuilding a Kyuubi BatchRequest from a driver pod and its spark.properties."""

from __future__ import annotations

import pytest

from kubetui.model.batch_request import (
    PROXY_USER_KEY,
    BatchRequest,
    DriverCommand,
    decode_driver_pod,
    parse_driver_args,
    parse_properties,
    rebuild_batch_request,
)

# ---------------------------------------------------------------------- .properties
# Cases rewritten from the examples in the javadoc of java.util.Properties.load(Reader)
# (openjdk/jdk src/java.base/share/classes/java/util/Properties.java @ d0a448c6) and from
# a spark.properties written by Properties.store (Spark 3.3 on EKS, quoted in a public
# walkthrough of spark-submit's driver ConfigMap).
PROPERTIES_CASES = [
    ("Truth = Beauty", {"Truth": "Beauty"}),
    ("  Truth:Beauty", {"Truth": "Beauty"}),
    ("Truth                    :Beauty", {"Truth": "Beauty"}),
    (
        "fruits                           apple, banana, pear, \\\n"
        "                                 cantaloupe, watermelon, \\\n"
        "                                 kiwi, mango",
        {"fruits": "apple, banana, pear, cantaloupe, watermelon, kiwi, mango"},
    ),
    ("cheeses", {"cheeses": ""}),
    ("\\:\\= = \\u0041\\tB", {":=": "A\tB"}),
    ("key\\ with\\ spaces=v", {"key with spaces": "v"}),
    ("# comment\n! also a comment\n\n  \t\na=1", {"a": "1"}),
    ("a=1 \\\\\nb=2", {"a": "1 \\", "b": "2"}),  # even backslashes: no continuation
    ("a=x\\\n  # not a comment\n", {"a": "x# not a comment"}),
    ("a=1\r\nb=2\rc=3", {"a": "1", "b": "2", "c": "3"}),
    ("a=1\na=2", {"a": "2"}),
    ("a==b", {"a": "=b"}),
    ("a b c", {"a": "b c"}),
    ("a\\qb=\\z", {"aqb": "z"}),
    ("e=\\ud83d\\ude00", {"e": "\U0001f600"}),
    ("tail=x\\", {"tail": "x"}),
    (
        "#Java properties built from Kubernetes config map with name: "
        "spark-drv-acab0389d5a14140-conf-map\n#Tue Aug 08 23:51:02 KST 2023\n"
        "spark.master=k8s\\://https\\://87C2A505.yl4.ap-northeast-2.eks.amazonaws.com\n"
        "spark.submit.pyFiles=\n"
        "spark.kubernetes.container.image=895885662937.dkr.ecr.us-west-2.amazonaws.com/"
        "spark/emr-6.10.0\\:latest\n",
        {
            "spark.master": "k8s://https://87C2A505.yl4.ap-northeast-2.eks.amazonaws.com",
            "spark.submit.pyFiles": "",
            "spark.kubernetes.container.image": "895885662937.dkr.ecr.us-west-2.amazonaws.com/"
            "spark/emr-6.10.0:latest",
        },
    ),
]


@pytest.mark.parametrize(("text", "expected"), PROPERTIES_CASES)
def test_parse_properties(text: str, expected: dict[str, str]) -> None:
    assert parse_properties(text) == expected


def test_malformed_unicode_escape_is_an_error() -> None:
    with pytest.raises(ValueError, match="Malformed"):
        parse_properties("a=\\u12G4")


# ---------------------------------------------------------------------- driver args
# Cases rewritten from apache/spark resource-managers/kubernetes/core/src/test/scala/org/
# apache/spark/deploy/k8s/features/DriverCommandFeatureStepSuite.scala @ 1ab12be9
# ("java resource", "python resource", "R resource", the SPARK-25355 proxy-user tests).
CONF = "/opt/spark/conf/spark.properties"
MAIN = "org.apache.spark.examples.SparkPi"
ARGS_CASES = [
    (
        ["driver", "--properties-file", CONF, "--class", MAIN, "local:/main.jar", "5", "7"],
        DriverCommand(
            properties_file=CONF, main_class=MAIN, resource="local:/main.jar", app_args=("5", "7")
        ),
    ),
    (
        ["driver", "--properties-file", CONF, "--class", MAIN, "local:/main.py", "5", "7", "9"],
        DriverCommand(
            properties_file=CONF,
            main_class=MAIN,
            resource="local:/main.py",
            app_args=("5", "7", "9"),
        ),
    ),
    (
        ["driver", "--properties-file", CONF, "--class", MAIN, "local:/main.R", "5", "7", "9"],
        DriverCommand(
            properties_file=CONF,
            main_class=MAIN,
            resource="local:/main.R",
            app_args=("5", "7", "9"),
        ),
    ),
    (
        [
            "driver",
            "--proxy-user",
            "test.user",
            "--properties-file",
            CONF,
            "--class",
            MAIN,
            "local:/main.jar",
            "5",
            "7",
        ],
        DriverCommand(
            proxy_user="test.user",
            properties_file=CONF,
            main_class=MAIN,
            resource="local:/main.jar",
            app_args=("5", "7"),
        ),
    ),
    (
        ["driver", "--properties-file", CONF, "spark-internal"],
        DriverCommand(properties_file=CONF, resource="spark-internal"),
    ),
    (["executor"], "the driver args are not spark-submit's (`driver …`), they are: executor"),
    (["driver", "--verbose", "x.jar"], "unexpected driver argument --verbose before the"),
    (["driver", "--class"], "--class has no value in the driver args"),
]


@pytest.mark.parametrize(("args", "expected"), ARGS_CASES)
def test_parse_driver_args(args: list[str], expected: DriverCommand | str) -> None:
    got = parse_driver_args(args)
    if isinstance(expected, str):
        assert isinstance(got, str) and got.startswith(expected)
    else:
        assert got == expected


# ---------------------------------------------------------------------- the rebuild
BATCH_ID = "3ebebe3e-1790-40da-9891-0052cebcc1ba"
CM = "spark-drv-8b9fd589dcfc5820-conf-map"


def driver(args: list[str], *, env: dict[str, str] | None = None, mount: bool = True) -> dict:
    container = {
        "name": "spark-kubernetes-driver",
        "args": args,
        "env": [{"name": k, "value": v} for k, v in (env or {}).items()],
        "volumeMounts": [{"name": "spark-conf-volume-driver", "mountPath": "/opt/spark/conf"}]
        if mount
        else [],
    }
    return {
        "metadata": {
            "name": "kyuubi-daily-report-driver",
            "namespace": "etl",
            "uid": "u1",
            "labels": {"kyuubi-unique-tag": BATCH_ID, "spark-role": "driver"},
        },
        "spec": {
            "containers": [container],
            "volumes": [
                {"name": "spark-local-dir-1", "emptyDir": {}},
                {"name": "spark-conf-volume-driver", "configMap": {"name": CM}},
            ],
        },
    }


#: What Kyuubi's SparkBatchProcessBuilder and spark-submit leave in spark.properties for a
#: request {name: daily-report, conf: {spark.executor.instances: 4,
#: spark.kubernetes.namespace: etl, kyuubi.batch.priority: 20}} submitted as bob.
KYUUBI_PROPERTIES = f"""#Java properties built from Kubernetes config map with name: {CM}
#Tue Mar 03 10:00:00 UTC 2026
spark.app.id=spark-e3d8c4a199e44163936889b3ebda2ed7
spark.app.name=daily-report
spark.app.submitTime=1772532000000
spark.driver.blockManager.port=7079
spark.driver.host=daily-report-4fb69989dcfc505e-driver-svc.etl.svc
spark.driver.port=7078
spark.executor.instances=4
spark.executorEnv.SPARK_USER_NAME=bob
spark.jars=s3a\\://jobs/daily/daily.jar
spark.kubernetes.driver.label.kyuubi-unique-tag={BATCH_ID}
spark.kubernetes.driver.pod.name=kyuubi-daily-report-{BATCH_ID}-driver
spark.kubernetes.driverEnv.SPARK_USER_NAME=bob
spark.kubernetes.executor.podNamePrefix=kyuubi-daily-report-{BATCH_ID}
spark.kubernetes.memoryOverheadFactor=0.1
spark.kubernetes.namespace=etl
spark.kubernetes.resource.type=java
spark.kubernetes.submission.waitAppCompletion=false
spark.kubernetes.submitInDriver=true
spark.kyuubi.batch.id={BATCH_ID}
spark.kyuubi.batch.priority=20
spark.kyuubi.client.ipAddress=10.0.0.5
spark.kyuubi.engine.engineLog.path=/opt/kyuubi/work/bob/kyuubi-spark-batch-submit.log.0
spark.kyuubi.server.ipAddress=10.244.1.7
spark.kyuubi.session.connection.url=10.244.1.7\\:10099
spark.kyuubi.session.real.user=admin
spark.master=k8s\\://https\\://10.96.0.1\\:443
spark.submit.deployMode=cluster
spark.submit.pyFiles=
"""
JAVA_ARGS = [
    "driver",
    "--proxy-user",
    "bob",
    "--properties-file",
    CONF,
    "--class",
    "com.example.Daily",
    "s3a://jobs/daily/daily.jar",
    "--date",
    "2026-03-03",
]


def test_rebuild_a_kyuubi_batch() -> None:
    pod = decode_driver_pod(driver(JAVA_ARGS))
    rebuilt = rebuild_batch_request(pod, {"spark.properties": KYUUBI_PROPERTIES})
    assert rebuilt.missing == ()
    assert rebuilt.user == "bob" and rebuilt.old_batch_id == BATCH_ID and rebuilt.config_map == CM
    assert rebuilt.request == BatchRequest(
        batch_type="SPARK",
        resource="s3a://jobs/daily/daily.jar",
        class_name="com.example.Daily",
        name="daily-report",
        conf={
            "kyuubi.batch.priority": "20",
            PROXY_USER_KEY: "bob",
            "spark.executor.instances": "4",
            "spark.kubernetes.namespace": "etl",
        },
        args=("--date", "2026-03-03"),
    )
    dropped = {d.split(":")[0] for d in rebuilt.dropped}
    assert {"spark.kyuubi.batch.id", "spark.app.id", "spark.driver.host"} <= dropped
    assert "spark.kubernetes.driver.pod.name" in dropped and "spark.jars" in dropped
    body = rebuilt.request.to_json()
    assert body["batchType"] == "SPARK" and body["className"] == "com.example.Daily"
    assert "kyuubi.batch.id" not in body["conf"]


def test_rebuild_pyspark() -> None:
    args = ["driver", "--properties-file", CONF, "--class", "org.apache.spark.deploy.PythonRunner"]
    pod = decode_driver_pod(
        driver([*args, "s3a://jobs/etl.py", "a"], env={"SPARK_USER_NAME": "al"})
    )
    props = "spark.app.name=py\nspark.kubernetes.resource.type=python\nspark.submit.pyFiles=\n"
    rebuilt = rebuild_batch_request(pod, {"spark.properties": props})
    assert rebuilt.request == BatchRequest(
        batch_type="PYSPARK",
        resource="s3a://jobs/etl.py",
        name="py",
        conf={PROXY_USER_KEY: "al"},
        args=("a",),
    )
    assert "className" not in rebuilt.request.to_json()


def test_spark_internal_resource_comes_from_spark_jars() -> None:
    args = ["driver", "--proxy-user", "bob", "--properties-file", CONF, "--class", "M"]
    pod = decode_driver_pod(driver([*args, "spark-internal"]))
    props = "spark.jars=s3a\\://up/spark-upload-1/app.jar\n"
    rebuilt = rebuild_batch_request(pod, {"spark.properties": props})
    assert rebuilt.request is not None
    assert rebuilt.request.resource == "s3a://up/spark-upload-1/app.jar"
    assert "spark.jars" not in rebuilt.request.conf


MISSING_CASES = [
    (
        driver(JAVA_ARGS),
        None,
        (f"ConfigMap {CM} is gone (it held spark.properties, the Spark conf)",),
    ),
    (driver(JAVA_ARGS), {"other": "x"}, (f"ConfigMap {CM} has no spark.properties",)),
    (
        driver(JAVA_ARGS, mount=False),
        None,
        ("the driver mounts no ConfigMap at /opt/spark/conf (spark.properties)",),
    ),
    (
        driver(["driver", "--properties-file", CONF, "x.jar"]),
        {"spark.properties": ""},
        ("no --class in the driver args",),
    ),
    (
        driver(["driver", "--properties-file", CONF, "--class", "M", "x.jar"]),
        {"spark.properties": ""},
        (
            "no user: no --proxy-user in the driver args and no SPARK_USER_NAME "
            "(spark.kubernetes.driverEnv or the container's env)",
        ),
    ),
    (
        driver(
            ["driver", "--proxy-user", "u", "--class", "org.apache.spark.deploy.RRunner", "a.R"]
        ),
        {"spark.properties": ""},
        ("an R application: Kyuubi batches are SPARK or PYSPARK only",),
    ),
    (
        driver(["driver", "--proxy-user", "u", "--class", "M", "spark-internal"]),
        {"spark.properties": "spark.jars=a.jar,b.jar"},
        (
            "the driver args name spark-internal (a local jar) and spark.jars does not say "
            "which one (2 entries)",
        ),
    ),
]


@pytest.mark.parametrize(("pod", "data", "missing"), MISSING_CASES)
def test_missing_is_said_exactly(pod: dict, data: dict | None, missing: tuple[str, ...]) -> None:
    rebuilt = rebuild_batch_request(decode_driver_pod(pod), data)
    assert rebuilt.request is None
    assert rebuilt.missing == missing


def test_non_default_ports_are_kept() -> None:
    pod = decode_driver_pod(driver(JAVA_ARGS))
    props = "spark.driver.port=7100\nspark.driver.blockManager.port=7079\n"
    rebuilt = rebuild_batch_request(pod, {"spark.properties": props})
    assert rebuilt.request is not None
    assert rebuilt.request.conf == {"spark.driver.port": "7100", PROXY_USER_KEY: "bob"}
