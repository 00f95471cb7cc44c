"""Exit codes and termination reasons, against the tables they come from."""

from __future__ import annotations

import pytest

from kubetui.model.exit_codes import (
    SIGNAL_NAMES,
    decode_exit_code,
    describe_termination,
    explain_reason,
    signal_name,
)

# signal(7), "Standard signals" table, the x86/ARM column (also `kill -l` on x86_64).
LINUX_SIGNALS = [
    (1, "SIGHUP"),
    (2, "SIGINT"),
    (3, "SIGQUIT"),
    (4, "SIGILL"),
    (5, "SIGTRAP"),
    (6, "SIGABRT"),
    (7, "SIGBUS"),
    (8, "SIGFPE"),
    (9, "SIGKILL"),
    (10, "SIGUSR1"),
    (11, "SIGSEGV"),
    (12, "SIGUSR2"),
    (13, "SIGPIPE"),
    (14, "SIGALRM"),
    (15, "SIGTERM"),
    (16, "SIGSTKFLT"),
    (17, "SIGCHLD"),
    (18, "SIGCONT"),
    (19, "SIGSTOP"),
    (20, "SIGTSTP"),
    (21, "SIGTTIN"),
    (22, "SIGTTOU"),
    (23, "SIGURG"),
    (24, "SIGXCPU"),
    (25, "SIGXFSZ"),
    (26, "SIGVTALRM"),
    (27, "SIGPROF"),
    (28, "SIGWINCH"),
    (29, "SIGIO"),
    (30, "SIGPWR"),
    (31, "SIGSYS"),
]


@pytest.mark.parametrize(("number", "name"), LINUX_SIGNALS)
def test_128_plus_n_is_death_by_linux_signal_n(number: int, name: str) -> None:
    meaning = decode_exit_code(128 + number)
    assert (meaning.code, meaning.signal, meaning.signal_name) == (128 + number, number, name)
    assert meaning.summary == f"killed by {name}"
    assert name in meaning.detail


def test_the_signal_table_is_exactly_signal7() -> None:
    assert dict(LINUX_SIGNALS) == SIGNAL_NAMES


# signal(7), "Real-time signals": 32..64 exist, glibc keeps 32 and 33 for itself, so
# SIGRTMIN is 34 and `kill -l` names the rest relative to it; 65+ do not exist.
REAL_TIME = [
    (32, None),
    (33, None),
    (34, "SIGRTMIN"),
    (35, "SIGRTMIN+1"),
    (50, "SIGRTMIN+16"),
    (63, "SIGRTMIN+29"),
    (64, "SIGRTMAX"),
    (65, None),
    (0, None),
]


@pytest.mark.parametrize(("number", "name"), REAL_TIME)
def test_real_time_signal_names(number: int, name: str | None) -> None:
    assert signal_name(number) == name


@pytest.mark.parametrize(
    ("code", "summary"),
    [(160, "killed by signal 32"), (162, "killed by SIGRTMIN"), (192, "killed by SIGRTMAX")],
)
def test_real_time_signal_exits(code: int, summary: str) -> None:
    meaning = decode_exit_code(code)
    assert (meaning.signal, meaning.summary) == (code - 128, summary)


# Generic codes: bash(1) "EXIT STATUS" (126, 127, 128+N, 2 for builtin misuse), and
# containerd internal/cri/server/helpers.go (errorStartExitCode = 128).
GENERIC = [
    (0, None, "success"),
    (1, None, "application error"),
    (2, None, "usage error / shell builtin misuse"),
    (126, None, "command not executable"),
    (127, None, "command not found"),
    (128, None, "start failure or invalid exit argument"),
    (130, 2, "killed by SIGINT"),
    (134, 6, "killed by SIGABRT"),
    (135, 7, "killed by SIGBUS"),
    (136, 8, "killed by SIGFPE"),
    (137, 9, "killed by SIGKILL"),
    (139, 11, "killed by SIGSEGV"),
    (143, 15, "killed by SIGTERM"),
    (3, None, "application-defined exit code"),
    (42, None, "application-defined exit code"),
    (52, None, "application-defined exit code"),
    (124, None, "application-defined exit code"),
    (193, None, "application-defined exit code"),
    (254, None, "application-defined exit code"),
    (255, None, "exit status out of range (exit -1?)"),
    (256, None, "not a Linux exit status (>255)"),
    (-1, None, "negative exit code"),
    (-1073741819, None, "negative exit code"),  # Windows 0xC0000005 as a signed int32
]


@pytest.mark.parametrize(("code", "signal", "summary"), GENERIC)
def test_generic_codes(code: int, signal: int | None, summary: str) -> None:
    meaning = decode_exit_code(code)
    assert (meaning.code, meaning.signal, meaning.summary) == (code, signal, summary)
    assert meaning.detail


def test_no_code_is_unknown() -> None:
    meaning = decode_exit_code(None, spark=True)
    assert (meaning.code, meaning.signal, meaning.summary) == (None, None, "exit code unknown")


def test_windows_codes_are_shown_in_hex() -> None:
    assert "0xC0000005" in decode_exit_code(-1073741819).detail
    assert "0x00000100" in decode_exit_code(256).detail


def test_sigkill_detail_never_claims_oom() -> None:
    detail = decode_exit_code(137).detail
    assert "OOMKilled" in detail and "liveness" in detail and "not an OOM kill" in detail


# Spark's codes, rewritten from apache/spark:
#   core/src/main/scala/org/apache/spark/util/SparkExitCode.scala @91d21110463a
#     (0 1 2 3 11 50 51 52 124 127), plus CLASS_NOT_FOUND = 101 (apache/spark#51892);
#   core/src/main/scala/org/apache/spark/executor/ExecutorExitCode.scala @ab42ff4a0d64
#     (53-57 and explainExitCode), plus BLOCK_MANAGER_REREGISTRATION_FAILED = 58
#     (apache/spark#48776);
#   resource-managers/kubernetes/.../k8s/ExecutorPodsLifecycleManager.scala @de717935f0d2
#     (UNKNOWN_EXIT_CODE = -1; describeExitCode "10 | 50 => (Uncaught exception)").
SPARK = [
    (-1, "unknown (Spark placeholder)"),
    (3, "path not found (Spark)"),
    (10, "uncaught exception (Spark)"),
    (11, "too many executor failures (Spark)"),
    (50, "uncaught exception (Spark)"),
    (51, "uncaught exception, logging failed (Spark)"),
    (52, "JVM OutOfMemoryError"),
    (53, "cannot create local dir (Spark)"),
    (54, "external block store init failed (Spark)"),
    (55, "external block store dir failed (Spark)"),
    (56, "heartbeat to driver failed (Spark)"),
    (57, "killed by TaskReaper (Spark)"),
    (58, "block manager re-registration failed (Spark)"),
    (101, "class not found (Spark)"),
    (124, "driver timeout (Spark)"),
]


@pytest.mark.parametrize(("code", "summary"), SPARK)
def test_spark_codes(code: int, summary: str) -> None:
    spark = decode_exit_code(code, spark=True)
    assert (spark.code, spark.signal, spark.summary) == (code, None, summary)
    # Without spark=True the same number keeps its generic meaning.
    assert decode_exit_code(code).summary != summary


# SparkExitCode's 0, 1, 2 and 127 agree with the generic table; it defines nothing at or
# above 128, so signals decode the same in both modes (describeExitCode's "137 (SIGKILL,
# possible container OOM)" is deliberately not followed).
@pytest.mark.parametrize("code", [0, 1, 2, 127, 128, 130, 137, 139, 143, 255, 256])
def test_spark_mode_leaves_shared_codes_and_signals_alone(code: int) -> None:
    assert decode_exit_code(code, spark=True) == decode_exit_code(code)


def test_spark_oom_is_a_jvm_heap_oom_not_a_kernel_kill() -> None:
    detail = decode_exit_code(52, spark=True).detail
    assert "OutOfMemoryError" in detail and "NOT a kernel OOM kill" in detail
    assert "OOMKilled" in detail  # points at what a kernel kill looks like instead


# Reason strings and their codes, from:
#   containerd internal/cri/server/helpers.go: Completed (0), Error (non-zero), OOMKilled
#     (any TaskOOM event, events.go), StartError with errorStartExitCode 128;
#   kubernetes pkg/kubelet/status/status_manager_test.go TestTerminatePod and
#     pkg/kubelet/kubelet_pods_test.go: ContainerStatusUnknown with ExitCode 137;
#   kubernetes test/e2e/node/pods.go @5ff739ee: "137 && (ContainerStatusUnknown || Error)
#     = force-killed after grace period"; "128 && (StartError || ContainerCannotRun)".
DESCRIBE = [
    ("OOMKilled", 137, False, "OOMKilled 137 SIGKILL"),
    ("OOMKilled", 137, True, "OOMKilled 137 SIGKILL"),
    ("Error", 137, False, "Error 137 SIGKILL (not reported as OOM)"),
    ("Error", 137, True, "Error 137 SIGKILL (not reported as OOM)"),
    (None, 137, False, "137 SIGKILL (no reason reported)"),
    ("", 137, False, "137 SIGKILL (no reason reported)"),
    (
        "ContainerStatusUnknown",
        137,
        True,
        "ContainerStatusUnknown 137 (container could not be located)",
    ),
    ("Error", 143, True, "Error 143 SIGTERM"),
    ("Error", 139, False, "Error 139 SIGSEGV"),
    ("Error", 134, False, "Error 134 SIGABRT"),
    ("Error", 160, False, "Error 160 signal 32"),
    ("Error", 52, True, "Error 52 JVM OutOfMemoryError"),
    ("Error", 52, False, "Error 52"),
    ("Error", 56, True, "Error 56 heartbeat to driver failed (Spark)"),
    ("Error", 1, True, "Error 1"),
    ("Error", 127, False, "Error 127 command not found"),
    ("Error", 255, False, "Error 255 exit status out of range (exit -1?)"),
    ("Completed", 0, False, "Completed 0"),
    ("Completed", 0, True, "Completed 0"),
    ("StartError", 128, False, "StartError 128"),
    ("ContainerCannotRun", 128, False, "ContainerCannotRun 128"),
    ("OOMKilled", 1, False, "OOMKilled 1"),  # a child was OOM-killed, main exited 1
    ("DeadlineExceeded", 143, False, "DeadlineExceeded 143 SIGTERM"),
    ("OOMKilled", None, False, "OOMKilled"),
    (None, None, False, "unknown"),
    (None, 0, False, "0"),
]


@pytest.mark.parametrize(("reason", "code", "spark", "line"), DESCRIBE)
def test_describe_termination(reason: str | None, code: int | None, spark: bool, line: str) -> None:
    assert describe_termination(reason, code, spark) == line


@pytest.mark.parametrize(
    "reason",
    [
        "OOMKilled",
        "Error",
        "Completed",
        "StartError",
        "ContainerCannotRun",
        "ContainerStatusUnknown",
        "DeadlineExceeded",
    ],
)
def test_known_reasons_are_explained(reason: str) -> None:
    assert explain_reason(reason)


@pytest.mark.parametrize("reason", [None, "", "SomethingNew"])
def test_unknown_reasons_are_not_invented(reason: str | None) -> None:
    assert explain_reason(reason) is None


def test_container_status_unknown_says_the_code_is_synthetic() -> None:
    assert "real exit code is unknown" in (explain_reason("ContainerStatusUnknown") or "")
