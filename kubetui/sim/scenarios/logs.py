"""Container log lines that tell each incident's story.

Spark lines use Spark's default log4j2 layout (``yy/MM/dd HH:mm:ss LEVEL Logger: msg``)
and start with the apache/spark image's ``entrypoint.sh`` trace (``set -x``); an
OOM-killed JVM's log simply stops, since the kernel's SIGKILL leaves no last words.
"""

from __future__ import annotations

from datetime import datetime, timedelta


def _stamp(at: datetime) -> str:
    return at.strftime("%y/%m/%d %H:%M:%S")


def _lines(start: datetime, entries: list[tuple[float, str]]) -> list[str]:
    """``entries`` are (seconds after start, "LEVEL Logger: message") pairs."""
    out = []
    for offset, text in entries:
        stamp = _stamp(start + timedelta(seconds=offset))
        out.extend(
            [f"{stamp} {text.splitlines()[0]}", *text.splitlines()[1:]]
            if "\n" in text
            else [f"{stamp} {text}"]
        )
    return out


def _entrypoint(role: str, pod_ip: str, extra: str) -> list[str]:
    head = [
        "++ id -u",
        "+ myuid=185",
        "++ id -g",
        "+ mygid=0",
        "+ set +e",
        "++ getent passwd 185",
        "+ uidentry=spark:x:185:185::/home/spark:/bin/sh",
        "+ set -e",
        "+ SPARK_CLASSPATH=':/opt/spark/jars/*'",
        "+ grep SPARK_JAVA_OPT_",
        "+ sort -t_ -k4 -n",
        "+ sed 's/[^=]*=\\(.*\\)/\\1/g'",
        "+ env",
        "+ readarray -t SPARK_EXECUTOR_JAVA_OPTS",
        "+ SPARK_CLASSPATH='/opt/spark/conf::/opt/spark/jars/*'",
        '+ case "$1" in',
        "+ shift 1",
    ]
    if role == "driver":
        return [
            *head,
            "+ exec /usr/bin/tini -s -- /opt/spark/bin/spark-submit --conf "
            f"spark.driver.bindAddress={pod_ip} --conf "
            f"spark.executorEnv.SPARK_DRIVER_POD_IP={pod_ip} --deploy-mode client "
            f"--properties-file /opt/spark/conf/spark.properties {extra}",
        ]
    return [
        *head,
        "+ exec /usr/bin/tini -s -- /opt/java/openjdk/bin/java -Xms8g -Xmx8g -cp "
        "'/opt/spark/conf::/opt/spark/jars/*:' "
        "org.apache.spark.scheduler.cluster.k8s.KubernetesExecutorBackend " + extra,
    ]


def driver_startup(
    started: datetime,
    *,
    app_id: str,
    app_name: str,
    user: str,
    pod_ip: str,
    main_class: str,
    spark_version: str,
) -> list[str]:
    """A healthy driver's first minute: SparkContext up, executors requested."""
    return _entrypoint("driver", pod_ip, f"--class {main_class} spark-internal") + _lines(
        started + timedelta(seconds=2),
        [
            (0, f"INFO SparkContext: Running Spark version {spark_version}"),
            (0, "INFO SparkContext: OS info Linux, 6.1.119-129.201.amzn2023.x86_64, amd64"),
            (0, "INFO SparkContext: Java version 17.0.13"),
            (1, f"INFO SparkContext: Submitted application: {app_name}"),
            (1, f"INFO SecurityManager: Changing view acls to: {user}"),
            (2, "INFO Utils: Successfully started service 'sparkDriver' on port 7078."),
            (3, "INFO Utils: Successfully started service 'SparkUI' on port 4040."),
            (
                4,
                "INFO SparkKubernetesClientFactory: Auto-configuring K8S client using current "
                "context from users K8S config file",
            ),
            (
                5,
                "INFO ExecutorPodsAllocator: Going to request 2 executors from Kubernetes for "
                "ResourceProfile Id: 0, target: 2, known: 0, sharedSlotFromPendingPods: "
                "2147483647.",
            ),
            (
                6,
                "INFO BasicExecutorFeatureStep: Decommissioning not enabled, skipping shutdown "
                "script",
            ),
            (
                9,
                f"INFO KubernetesClusterSchedulerBackend: SchedulerBackend is ready for "
                f"scheduling beginning after reached minRegisteredResourcesRatio: 0.8 "
                f"(application {app_id})",
            ),
        ],
    )


def driver_progress(at: datetime, stage: int, tasks: int) -> str:
    return _lines(
        at,
        [
            (
                0,
                f"INFO TaskSetManager: Finished task {tasks - 1}.0 in stage "
                f"{stage}.0 (TID {stage * 200 + tasks}) in 1841 ms on 10.244.2.31 "
                f"(executor 1) ({tasks}/{tasks})",
            )
        ],
    )[0]


def driver_oom_tail(at: datetime) -> list[str]:
    """The last lines of a driver the kernel OOM-killed while collecting a large result."""
    return _lines(
        at - timedelta(seconds=52),
        [
            (
                0,
                "INFO DAGScheduler: Submitting 200 missing tasks from ResultStage 12 "
                "(MapPartitionsRDD[57] at collect at SparkOperation.scala:82)",
            ),
            (
                9,
                "WARN TaskSetManager: Stage 12 contains a task of very large size (4187 KiB). "
                "The maximum recommended task size is 1000 KiB.",
            ),
            (
                21,
                "INFO MemoryStore: Block taskresult_2811 stored as bytes in memory "
                "(estimated size 1201.4 MiB, free 311.2 MiB)",
            ),
            (
                34,
                "WARN MemoryStore: Not enough space to cache taskresult_2830 in memory! "
                "(computed 612.0 MiB so far)",
            ),
            (
                47,
                "ERROR Utils: Uncaught exception in thread task-result-getter-2\n"
                "java.lang.OutOfMemoryError: Java heap space\n"
                "\tat java.base/java.util.Arrays.copyOf(Arrays.java:3537)\n"
                "\tat java.base/java.io.ByteArrayOutputStream.ensureCapacity"
                "(ByteArrayOutputStream.java:100)\n"
                "\tat org.apache.spark.util.io.ChunkedByteBufferOutputStream.write"
                "(ChunkedByteBufferOutputStream.scala:93)\n"
                "\tat org.apache.spark.scheduler.TaskResultGetter$$anon$3.run"
                "(TaskResultGetter.scala:63)",
            ),
            (
                48,
                "WARN TaskSetManager: Lost task 37.0 in stage 12.0 (TID 2830) "
                "(10.244.2.31 executor 2): TaskResultLost (result lost from block manager)",
            ),
            (
                51,
                "WARN HeartbeatReceiver: Removing executor 1 with no recent heartbeats: "
                "125346 ms exceeds timeout 120000 ms",
            ),
        ],
    )


def driver_success_tail(at: datetime, app_id: str) -> list[str]:
    return _lines(
        at - timedelta(seconds=3),
        [
            (0, "INFO SparkUI: Stopped Spark web UI at http://10.244.2.17:4040"),
            (1, "INFO KubernetesClusterSchedulerBackend: Shutting down all executors"),
            (
                1,
                "INFO KubernetesClusterSchedulerBackend$KubernetesDriverEndpoint: Asking each "
                "executor to shut down",
            ),
            (2, f"INFO SparkContext: Successfully stopped SparkContext ({app_id})"),
            (3, "INFO ShutdownHookManager: Shutdown hook called"),
        ],
    )


def executor_startup(
    started: datetime, *, exec_id: int, pod_name: str, pod_ip: str, app_id: str, driver_url: str
) -> list[str]:
    args = (
        f"--driver-url {driver_url} --executor-id {exec_id} --cores 2 --app-id {app_id} "
        f"--hostname {pod_ip} --resourceProfileId 0 --podName {pod_name}"
    )
    return _entrypoint("executor", pod_ip, args) + _lines(
        started + timedelta(seconds=2),
        [
            (
                0,
                f"INFO CoarseGrainedExecutorBackend: Started daemon with process name: "
                f"14@{pod_name}",
            ),
            (1, f"INFO CoarseGrainedExecutorBackend: Connecting to driver: {driver_url}"),
            (2, "INFO CoarseGrainedExecutorBackend: Successfully registered with driver"),
            (2, f"INFO Executor: Starting executor ID {exec_id} on host {pod_ip}"),
            (3, "INFO CoarseGrainedExecutorBackend: Got assigned task 0"),
        ],
    )


def executor_orphaned_tail(at: datetime, driver_addr: str) -> list[str]:
    """An executor exiting with status 1 after its driver vanished."""
    return _lines(
        at - timedelta(seconds=2),
        [
            (
                0,
                f"WARN TransportChannelHandler: Exception in connection from /{driver_addr}\n"
                "java.io.IOException: Connection reset by peer",
            ),
            (
                1,
                f"ERROR CoarseGrainedExecutorBackend: Executor self-exiting due to : Driver "
                f"{driver_addr} disassociated! Shutting down.",
            ),
            (2, "INFO ShutdownHookManager: Shutdown hook called"),
        ],
    )


def sidecar_crash(at: datetime, restarts: int) -> list[str]:
    """A log-shipper sidecar that exits 1 on every start (bad output credentials)."""
    t = at.strftime("%Y/%m/%d %H:%M:%S")
    return [
        "Fluent Bit v3.1.9",
        "* Copyright (C) 2015-2024 The Fluent Bit Authors",
        f"[{t}] [ info] [fluent bit] version=3.1.9, commit=431fa79ae2, pid=1",
        f"[{t}] [ info] [input:tail:tail.0] initializing",
        f"[{t}] [ info] [output:opensearch:opensearch.0] worker #0 started",
        f"[{t}] [error] [output:opensearch:opensearch.0] HTTP status=401 URI=/_bulk, "
        'response: {"error":"Unauthorized"}',
        f"[{t}] [error] [engine] failed to initialize output plugin opensearch.0 "
        f"(restart {restarts})",
        f"[{t}] [error] [engine] output initialization failed, exiting",
    ]


def history_server_sigterm(at: datetime) -> list[str]:
    """Spark history server killed by the kubelet after its liveness probe failed."""
    return _lines(
        at - timedelta(seconds=95),
        [
            (
                0,
                "INFO FsHistoryProvider: Parsing s3a://spark-logs/eventlog/"
                "spark-5d1c0c0e86e94bd1a2a0ee5be7b3b8d1.inprogress for listing data...",
            ),
            (
                40,
                "WARN FsHistoryProvider: Error while listing s3a://spark-logs/eventlog/: "
                "Timeout waiting for connection from pool",
            ),
            (94, "ERROR HistoryServer: RECEIVED SIGNAL TERM"),
            (95, "INFO ShutdownHookManager: Shutdown hook called"),
        ],
    )


def init_failure(at: datetime, what: str) -> list[str]:
    t = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    return [
        f"{t} fetching {what}",
        f"{t} curl: (22) The requested URL returned error: 403",
        f"{t} ERROR: could not download {what}",
    ]


def kyuubi_server(at: datetime, instance: str, version: str) -> list[str]:
    stamp = at.strftime("%Y-%m-%d %H:%M:%S.000")
    return [
        f"{stamp} INFO KyuubiServer: Starting Kyuubi Server version {version}",
        f"{stamp} INFO KyuubiRestFrontendService: Starting and exposing JSON API at: "
        f"http://{instance}",
        f"{stamp} INFO KubernetesApplicationOperation: Start Kubernetes Client POD Informer.",
        f"{stamp} INFO KyuubiServer: Service[KyuubiServer] is started.",
    ]
