"""Per-container termination reports built from pod dicts shaped like the API's.

Status shapes follow kubernetes ``pkg/kubelet/kubelet_pods.go`` / ``status_manager.go``
(``ContainerStatusUnknown`` 137 without timestamps), containerd (``StartError`` 128 with
an epoch ``startedAt``) and Spark's pods (apache/spark ``deploy/k8s/Constants.scala``
labels and container names; the Spark container appended last).
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import pytest

from kubetui.model.decode import lenient_convert
from kubetui.model.records import Pod
from kubetui.model.terminations import (
    container_terminations,
    is_spark_pod,
    last_termination,
    termination_line,
)


def pod(
    spec: dict[str, Any] | None = None, status: dict[str, Any] | None = None, **meta: Any
) -> Pod:
    return msgspec.convert(
        {"metadata": {"name": "p", **meta}, "spec": spec or {}, "status": status or {}}, Pod
    )


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


OOM_DRIVER = pod(
    labels={"spark-role": "driver", "spark-app-selector": "spark-1"},
    spec={"containers": [{"name": "spark-kubernetes-driver"}], "restartPolicy": "Never"},
    status={
        "phase": "Failed",
        "containerStatuses": [
            {
                "name": "spark-kubernetes-driver",
                "ready": False,
                "restartCount": 0,
                "state": {
                    "terminated": {
                        "exitCode": 137,
                        "reason": "OOMKilled",
                        "startedAt": "2026-03-01T10:00:00Z",
                        "finishedAt": "2026-03-01T10:42:30Z",
                        "containerID": "containerd://abc",
                    }
                },
                "lastState": {},
            }
        ],
    },
)


def test_oomkilled_driver_current_state() -> None:
    [report] = container_terminations(OOM_DRIVER)
    assert (report.name, report.init, report.sidecar, report.spark) == (
        "spark-kubernetes-driver",
        False,
        False,
        True,
    )
    assert (report.state, report.reason, report.exit_code) == ("terminated", "OOMKilled", 137)
    assert report.exit_meaning is not None and report.exit_meaning.signal_name == "SIGKILL"
    assert report.signal is None  # the kubelet never sets it
    assert report.lived == timedelta(minutes=42, seconds=30)
    assert (report.ready, report.restart_count) == (False, 0)
    assert report.last_exit_meaning is None and report.last_reason is None
    assert termination_line(report) == "OOMKilled 137 SIGKILL"
    assert last_termination(OOM_DRIVER) == report


CRASH_LOOPING_EXECUTOR = pod(
    labels={"spark-role": "executor", "spark-exec-id": "3"},
    spec={"containers": [{"name": "spark-kubernetes-executor"}]},
    status={
        "phase": "Running",
        "containerStatuses": [
            {
                "name": "spark-kubernetes-executor",
                "ready": False,
                "restartCount": 5,
                "state": {
                    "waiting": {
                        "reason": "CrashLoopBackOff",
                        "message": "back-off 2m40s restarting failed container",
                    }
                },
                "lastState": {
                    "terminated": {
                        "exitCode": 143,
                        "reason": "Error",
                        "startedAt": "2026-03-01T10:00:00Z",
                        "finishedAt": "2026-03-01T10:00:07Z",
                    }
                },
            }
        ],
    },
)


def test_crash_looping_executor_keeps_its_last_termination() -> None:
    [report] = container_terminations(CRASH_LOOPING_EXECUTOR)
    assert (report.state, report.reason) == ("waiting", "CrashLoopBackOff")
    assert report.message == "back-off 2m40s restarting failed container"
    assert report.exit_code is None and report.exit_meaning is None and report.lived is None
    assert (report.last_reason, report.last_exit_code) == ("Error", 143)
    assert report.last_exit_meaning is not None
    assert report.last_exit_meaning.signal_name == "SIGTERM"
    assert report.last_lived == timedelta(seconds=7)
    assert report.last_finished_at == at("2026-03-01T10:00:07Z")
    assert report.restart_count == 5 and report.spark
    assert termination_line(report) == "Error 143 SIGTERM"
    assert last_termination(CRASH_LOOPING_EXECUTOR) == report


def test_spark_codes_decode_only_in_the_spark_container() -> None:
    terminated_52 = {"terminated": {"exitCode": 52, "reason": "Error"}}
    p = pod(
        labels={"spark-role": "executor"},
        spec={"containers": [{"name": "istio-proxy"}, {"name": "spark-kubernetes-executor"}]},
        status={
            "containerStatuses": [
                {"name": "istio-proxy", "state": terminated_52},
                {"name": "spark-kubernetes-executor", "state": terminated_52},
            ]
        },
    )
    proxy, spark = container_terminations(p)
    assert not proxy.spark and termination_line(proxy) == "Error 52"
    assert spark.spark and termination_line(spark) == "Error 52 JVM OutOfMemoryError"


def test_a_templated_spark_container_is_the_last_one() -> None:
    # With a pod template the Spark container may keep another name; Spark appends it
    # after the template's other containers.
    p = pod(
        labels={"spark-role": "driver"},
        spec={"containers": [{"name": "log-shipper"}, {"name": "main"}]},
        status={
            "containerStatuses": [
                {"name": "main", "state": {"terminated": {"exitCode": 56, "reason": "Error"}}}
            ]
        },
    )
    shipper, main = container_terminations(p)
    assert (shipper.spark, main.spark) == (False, True)
    assert shipper.state == "unknown"
    assert termination_line(main) == "Error 56 heartbeat to driver failed (Spark)"


@pytest.mark.parametrize(
    ("labels", "spec", "statuses", "expected"),
    [
        ({"spark-role": "driver"}, {}, [], True),
        ({"spark-role": ""}, {}, [], True),
        (None, {"containers": [{"name": "spark-kubernetes-executor"}]}, [], True),
        (None, {}, [{"name": "spark-kubernetes-driver"}], True),
        ({"app": "web"}, {"containers": [{"name": "web"}]}, [{"name": "web"}], False),
        (None, {}, [], False),
    ],
)
def test_is_spark_pod(
    labels: dict[str, str] | None, spec: dict[str, Any], statuses: list[Any], expected: bool
) -> None:
    p = pod(spec=spec, status={"containerStatuses": statuses}, labels=labels)
    assert is_spark_pod(p) is expected


INIT_FAILED = pod(
    spec={
        "initContainers": [{"name": "fetch-jars"}, {"name": "wait-db"}],
        "containers": [{"name": "app"}],
        "restartPolicy": "Never",
    },
    status={
        "phase": "Failed",
        "initContainerStatuses": [
            {
                "name": "fetch-jars",
                "restartCount": 0,
                "ready": False,
                "state": {
                    "terminated": {
                        "exitCode": 128,
                        "reason": "StartError",
                        "message": 'exec: "curl": executable file not found in $PATH',
                        "startedAt": "1970-01-01T00:00:00Z",
                        "finishedAt": "2026-03-01T09:00:01Z",
                    }
                },
            },
            {"name": "wait-db", "state": {"waiting": {"reason": "PodInitializing"}}},
        ],
        "containerStatuses": [
            {"name": "app", "ready": False, "state": {"waiting": {"reason": "PodInitializing"}}}
        ],
    },
)


def test_init_container_failure() -> None:
    fetch, wait, app = container_terminations(INIT_FAILED)
    assert [r.name for r in (fetch, wait, app)] == ["fetch-jars", "wait-db", "app"]
    assert (fetch.init, wait.init, app.init) == (True, True, False)
    assert (fetch.state, fetch.reason, fetch.exit_code) == ("terminated", "StartError", 128)
    assert fetch.message is not None and "executable file not found" in fetch.message
    # containerd's never-started epoch is no start time, and no 56-year lifetime.
    assert fetch.started_at is None and fetch.lived is None
    assert fetch.finished_at == at("2026-03-01T09:00:01Z")
    assert (wait.state, app.state) == ("waiting", "waiting")
    assert termination_line(fetch) == "StartError 128"
    assert last_termination(INIT_FAILED) == fetch


SIDECAR = pod(
    spec={
        "initContainers": [
            {"name": "init-config"},
            {"name": "log-agent", "restartPolicy": "Always"},
        ],
        "containers": [{"name": "app"}],
    },
    status={
        "initContainerStatuses": [
            {
                "name": "init-config",
                "state": {
                    "terminated": {
                        "exitCode": 0,
                        "reason": "Completed",
                        "startedAt": "2026-03-01T09:00:00Z",
                        "finishedAt": "2026-03-01T09:00:02Z",
                    }
                },
            },
            {
                "name": "log-agent",
                "ready": True,
                "restartCount": 1,
                "started": True,
                "state": {"running": {"startedAt": "2026-03-01T09:05:00Z"}},
                "lastState": {
                    "terminated": {
                        "exitCode": 137,
                        "reason": "Error",
                        "startedAt": "2026-03-01T09:00:03Z",
                        "finishedAt": "2026-03-01T09:04:59Z",
                    }
                },
            },
        ],
        "containerStatuses": [
            {
                "name": "app",
                "ready": True,
                "state": {"running": {"startedAt": "2026-03-01T09:00:04Z"}},
            }
        ],
    },
)


def test_sidecar_is_a_restartable_init_container() -> None:
    init_config, agent, app = container_terminations(SIDECAR)
    assert (init_config.sidecar, agent.sidecar, app.sidecar) == (False, True, False)
    assert (agent.state, agent.ready, agent.restart_count) == ("running", True, 1)
    assert agent.started_at == at("2026-03-01T09:05:00Z")
    assert agent.finished_at is None and agent.lived is None
    assert termination_line(agent) == "Error 137 SIGKILL (not reported as OOM)"
    assert termination_line(app) == ""
    assert init_config.lived == timedelta(seconds=2)
    # The sidecar's kill at 09:04:59 is newer than init-config's completion at 09:00:02.
    assert last_termination(SIDECAR) == agent


def test_missing_status_is_unknown() -> None:
    p = pod(
        spec={"containers": [{"name": "a"}, {"name": "b"}]},
        status={"containerStatuses": [{"name": "b", "state": {"running": {}}, "ready": True}]},
    )
    a, b = container_terminations(p)
    assert (a.name, a.state, a.ready, a.restart_count, a.exit_meaning) == (
        "a",
        "unknown",
        None,
        None,
        None,
    )
    assert (b.state, b.started_at, b.ready) == ("running", None, True)
    assert last_termination(p) is None


def test_statuses_without_a_spec_container_are_still_reported() -> None:
    # A status-only record (e.g. a trimmed dump): the termination is still the truth.
    p = pod(
        status={
            "containerStatuses": [
                {"name": "spark-kubernetes-driver", "state": {"terminated": {"exitCode": 52}}}
            ]
        }
    )
    [report] = container_terminations(p)
    assert (report.name, report.state, report.spark) == (
        "spark-kubernetes-driver",
        "terminated",
        True,
    )
    assert termination_line(report) == "52 JVM OutOfMemoryError"


def test_first_status_of_a_name_wins() -> None:
    p = pod(
        spec={"containers": [{"name": "a"}]},
        status={
            "containerStatuses": [
                {"name": "a", "state": {"running": {}}},
                {"name": "a", "state": {"terminated": {"exitCode": 1}}},
            ]
        },
    )
    assert [r.state for r in container_terminations(p)] == ["running"]


UNLOCATED = "The container could not be located when the pod was terminated"


def test_container_status_unknown_without_timestamps() -> None:
    # kubelet TerminatePod: ContainerStatusUnknown, 137, no startedAt/finishedAt.
    p = pod(
        spec={"containers": [{"name": "a"}, {"name": "b"}]},
        status={
            "containerStatuses": [
                {
                    "name": "a",
                    "state": {
                        "terminated": {
                            "exitCode": 137,
                            "reason": "ContainerStatusUnknown",
                            "message": UNLOCATED,
                        }
                    },
                },
                {
                    "name": "b",
                    "state": {
                        "terminated": {
                            "exitCode": 1,
                            "reason": "Error",
                            "finishedAt": "2026-03-01T08:00:00Z",
                        }
                    },
                },
            ]
        },
    )
    a, b = container_terminations(p)
    assert (a.started_at, a.finished_at, a.lived) == (None, None, None)
    assert termination_line(a) == "ContainerStatusUnknown 137 (container could not be located)"
    # A termination with a time beats one without.
    assert last_termination(p) == b


def test_most_recent_termination_across_current_and_last_states() -> None:
    p = pod(
        spec={"containers": [{"name": "old"}, {"name": "new"}]},
        status={
            "containerStatuses": [
                {
                    "name": "old",
                    "state": {"terminated": {"exitCode": 0, "finishedAt": "2026-03-01T08:00:00Z"}},
                },
                {
                    "name": "new",
                    "state": {"running": {"startedAt": "2026-03-01T09:00:01Z"}},
                    "lastState": {
                        "terminated": {"exitCode": 139, "finishedAt": "2026-03-01T09:00:00Z"}
                    },
                },
            ]
        },
    )
    report = last_termination(p)
    assert report is not None and report.name == "new"
    assert termination_line(report) == "139 SIGSEGV"


GARBAGE = [
    {},
    {"metadata": None, "spec": None, "status": None},
    {"spec": {"containers": [{}]}, "status": {"containerStatuses": [{}]}},
    {"spec": {"containers": [{"name": None}]}, "status": {"containerStatuses": [{"name": None}]}},
    {"status": {"containerStatuses": [{"name": "x", "state": None, "lastState": None}]}},
    {"status": {"containerStatuses": [{"name": "x", "state": {}, "lastState": {}}]}},
    {
        "status": {
            "containerStatuses": [
                {"name": "x", "state": {"terminated": {}}, "lastState": {"terminated": None}}
            ]
        }
    },
    {
        "status": {
            "containerStatuses": [
                {
                    "name": "x",
                    "state": {
                        "terminated": {
                            "exitCode": None,
                            "reason": None,
                            "startedAt": None,
                            "finishedAt": None,
                        }
                    },
                }
            ]
        }
    },
]


@pytest.mark.parametrize("doc", GARBAGE)
def test_garbage_never_raises(doc: dict[str, Any]) -> None:
    # Through the lenient decoder, as dump files reach the model.
    p, _ = lenient_convert(copy.deepcopy(doc), Pod)
    assert p is not None
    for report in container_terminations(p):
        termination_line(report)
    last_termination(p)
    is_spark_pod(p)


def test_wrongly_typed_fields_read_as_unknown() -> None:
    doc = {
        "metadata": {"labels": {"spark-role": "driver"}},
        "status": {
            "containerStatuses": [
                {
                    "name": "spark-kubernetes-driver",
                    "restartCount": "many",
                    "state": {"terminated": {"exitCode": "137", "reason": "OOMKilled"}},
                }
            ]
        },
    }
    p, notes = lenient_convert(doc, Pod)
    assert p is not None and notes
    [report] = container_terminations(p)
    assert (report.state, report.exit_code, report.restart_count) == ("terminated", None, None)
    assert termination_line(report) == "OOMKilled"


def test_empty_terminated_state_is_a_termination_with_unknown_code() -> None:
    p = msgspec.convert(
        {"status": {"containerStatuses": [{"name": "x", "state": {"terminated": {}}}]}}, Pod
    )
    [report] = container_terminations(p)
    assert report.state == "terminated" and report.exit_code is None
    assert report.exit_meaning is not None and report.exit_meaning.summary == "exit code unknown"
    assert termination_line(report) == "unknown"
    assert last_termination(p) == report


def test_several_states_read_in_kubectl_order() -> None:
    p = msgspec.convert(
        {
            "status": {
                "containerStatuses": [
                    {
                        "name": "x",
                        "state": {
                            "waiting": {"reason": "ContainerCreating"},
                            "terminated": {"exitCode": 1},
                            "running": {},
                        },
                    }
                ]
            }
        },
        Pod,
    )
    [report] = container_terminations(p)
    assert (report.state, report.reason, report.exit_code) == ("waiting", "ContainerCreating", None)


def test_naive_and_backwards_timestamps() -> None:
    # YAML loaders may hand over zone-less datetimes; clock skew can put finish before start.
    p = msgspec.convert(
        {
            "spec": {"containers": [{"name": "a"}, {"name": "b"}]},
            "status": {
                "containerStatuses": [
                    {
                        "name": "a",
                        "state": {
                            "terminated": {
                                "exitCode": 1,
                                "startedAt": datetime(2026, 3, 1, 9, 0, 0),
                                "finishedAt": datetime(2026, 3, 1, 9, 0, 30),
                            }
                        },
                    },
                    {
                        "name": "b",
                        "state": {
                            "terminated": {
                                "exitCode": 1,
                                "startedAt": "2026-03-01T09:00:10Z",
                                "finishedAt": "2026-03-01T09:00:05Z",
                            }
                        },
                    },
                ]
            },
        },
        Pod,
    )
    a, b = container_terminations(p)
    assert a.finished_at == datetime(2026, 3, 1, 9, 0, 30, tzinfo=UTC)
    assert a.lived == timedelta(seconds=30)
    assert b.lived is None
    assert last_termination(p) == a  # comparing naive and aware times did not raise
