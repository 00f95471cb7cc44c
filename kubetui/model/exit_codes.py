"""What a container's exit code and termination reason mean, told without guessing.

An on-call operator sees ``137`` and thinks "OOM"; often it was a liveness probe or a
pod deletion. Two facts keep the story honest:

* The exit code says *how* the process ended (its own ``exit(N)``, or death by signal
  ``N - 128``); only the termination *reason* says *who* ended it. The container runtime
  sets ``OOMKilled`` when it saw an OOM event in the container's cgroup, else ``Error``
  (non-zero) or ``Completed`` (zero); so ``Error 137`` is a SIGKILL that was **not** an
  OOM kill, and ``ContainerStatusUnknown 137`` is a code the kubelet wrote itself for a
  container it could no longer find.
* Spark processes exit with their own codes (52 = a JVM ``OutOfMemoryError``, a heap
  OOM inside a container that stayed under its memory limit, never a kernel OOM kill).

Sources (read for this module):

* Signals: signal(7), Linux x86_64/i386/arm numbering (SIGHUP 1 … SIGSYS 31, real-time
  signals 32–64 with glibc's SIGRTMIN at 34); 128+N is the shells' and the container
  runtimes' convention for "killed by signal N".
* Reasons: containerd ``internal/cri/server/helpers.go`` (``Completed``, ``Error``,
  ``OOMKilled``, ``StartError`` with exit code 128), ``container_status.go``
  @04d0bebd (Completed/Error chosen by exit code when no other reason is set) and
  ``events.go`` (``OOMKilled`` set on any TaskOOM event of the container); kubernetes
  ``pkg/kubelet/status/status_manager.go`` @fde2d3c4 and ``pkg/kubelet/kubelet_pods.go``
  @df5f0243 (``ContainerStatusUnknown``, exit code 137, "The container could not be
  located when the pod was terminated"); ``test/e2e/node/pods.go`` @5ff739ee (137 with
  ``Error`` or ``ContainerStatusUnknown`` = force-killed after the grace period; 128 with
  ``StartError``/``ContainerCannotRun`` = the runtime could not start the process).
* Spark: apache/spark ``core/src/main/scala/org/apache/spark/util/SparkExitCode.scala``
  @91d21110463aebce5ead7f117ec83c81c17de133, plus ``CLASS_NOT_FOUND = 101`` added by
  apache/spark#51892 (SPARK-53165, Spark 4.1.0);
  ``core/src/main/scala/org/apache/spark/executor/ExecutorExitCode.scala``
  @ab42ff4a0d645cffe9905bfee5b9c592d30e9ff4 (53–57, ``explainExitCode``), plus
  ``BLOCK_MANAGER_REREGISTRATION_FAILED = 58`` added by apache/spark#48776 (SPARK-50247,
  Spark 4.0.0); ``resource-managers/kubernetes/core/src/main/scala/org/apache/spark/
  scheduler/cluster/k8s/ExecutorPodsLifecycleManager.scala``
  @de717935f0d21fba0324ee7f4f725356cc66287d (``UNKNOWN_EXIT_CODE = -1``,
  ``describeExitCode``: also lists 10 as "Uncaught exception").

Precedence: with ``spark=True`` the Spark table is consulted first. Spark's codes agree
with the generic meaning for 0, 1, 2 and 127 and define nothing at or above 128, so they
only take over where the generic table has nothing specific to say: 3–124 ("application
defined") and -1 ("negative"). Signals decode the same way in both modes; in particular
Spark's own ``describeExitCode`` calls 137 "possible container OOM", which this module
deliberately does not.
"""

from __future__ import annotations

from typing import NamedTuple


class ExitCodeMeaning(NamedTuple):
    """One exit code, decoded: the signal behind it if any, a short and a long story."""

    code: int | None
    signal: int | None
    signal_name: str | None
    #: A few words for a table cell, e.g. "killed by SIGKILL".
    summary: str
    #: Sentences for the detail pane: what it means and what usually causes it.
    detail: str


#: Linux signal numbers (x86_64, also i386 and arm/arm64), from signal(7).
SIGNAL_NAMES: dict[int, str] = {
    1: "SIGHUP",
    2: "SIGINT",
    3: "SIGQUIT",
    4: "SIGILL",
    5: "SIGTRAP",
    6: "SIGABRT",
    7: "SIGBUS",
    8: "SIGFPE",
    9: "SIGKILL",
    10: "SIGUSR1",
    11: "SIGSEGV",
    12: "SIGUSR2",
    13: "SIGPIPE",
    14: "SIGALRM",
    15: "SIGTERM",
    16: "SIGSTKFLT",
    17: "SIGCHLD",
    18: "SIGCONT",
    19: "SIGSTOP",
    20: "SIGTSTP",
    21: "SIGTTIN",
    22: "SIGTTOU",
    23: "SIGURG",
    24: "SIGXCPU",
    25: "SIGXFSZ",
    26: "SIGVTALRM",
    27: "SIGPROF",
    28: "SIGWINCH",
    29: "SIGIO",
    30: "SIGPWR",
    31: "SIGSYS",
}

#: The kernel's real-time signals; glibc reserves 32 and 33, so SIGRTMIN is 34.
_SIGRTMIN, _SIGRTMAX = 34, 64
_SIGNAL_BASE = 128

_SIGNAL_CAUSES: dict[int, str] = {
    1: "hangup; daemons often treat it as 'reload'",
    2: "interrupt, as from Ctrl-C",
    3: "quit with core dump (a JVM prints a thread dump instead of dying)",
    4: "illegal instruction: usually a binary built for another CPU (missing AVX, "
    "wrong architecture)",
    5: "trace/breakpoint trap",
    6: "abort(): a failed assertion, glibc heap corruption, or a JVM fatal error "
    "(look for an hs_err_pid file)",
    7: "bus error: often a memory-mapped file that was truncated, or /dev/shm full",
    8: "arithmetic error such as an integer division by zero",
    10: "user-defined signal 1",
    11: "invalid memory access: a crash in native code (JNI, native libraries)",
    12: "user-defined signal 2",
    13: "write to a pipe or socket with no reader",
    14: "timer alarm",
    16: "coprocessor stack fault",
    24: "CPU-time limit (RLIMIT_CPU) exceeded; CFS CPU throttling never sends it",
    25: "file-size limit (RLIMIT_FSIZE) exceeded",
    26: "virtual timer alarm",
    27: "profiling timer alarm",
    29: "asynchronous I/O is possible",
    30: "power failure",
    31: "bad system call: typically a syscall blocked by the seccomp profile",
}

_SIGNAL_CONVENTION = (
    "By the convention of shells and container runtimes, an exit status of 128+N means "
    "the main process died from signal N; a program can also exit with that number "
    "itself, e.g. a wrapper script passing on its child's status."
)

_SIGKILL_DETAIL = (
    "Killed by SIGKILL (signal 9), which cannot be caught or handled. The kernel OOM "
    "killer sends it (the runtime then reports the reason OOMKilled), and so does the "
    "kubelet when a container outlives its termination grace period after SIGTERM "
    "(pod deletion, eviction, failed liveness or startup probe, a preStop hook that "
    "runs too long), as does anyone running kill -9. The exit code alone cannot tell "
    "these apart: read the termination reason, and treat 137 without OOMKilled as "
    "not an OOM kill."
)

_SIGTERM_DETAIL = (
    "Killed by SIGTERM (signal 15), the polite stop request. The kubelet sends it when "
    "the pod is deleted or evicted, a liveness or startup probe fails, or the node shuts "
    "down; a Spark executor removed by its driver ends this way too. A JVM runs its "
    "shutdown hooks and then exits 143. A process that handles SIGTERM itself usually "
    "exits 0 or its own code instead."
)

SUCCESS = "success"
APPLICATION_ERROR = "application error"
APPLICATION_DEFINED = "application-defined exit code"

_GENERIC: dict[int, tuple[str, str]] = {
    0: (SUCCESS, "The process exited normally with status 0."),
    1: (
        APPLICATION_ERROR,
        "The process exited with status 1, the catch-all failure code: an unhandled "
        "error in the application, or a JVM that could not start (bad options, missing "
        "main class). The container's log says more.",
    ),
    2: (
        "usage error / shell builtin misuse",
        "Status 2: by convention a command-line usage error; in bash, the misuse of a "
        "shell builtin or a syntax error in the entrypoint script.",
    ),
    126: (
        "command not executable",
        "Status 126: the command was found but could not be executed: no execute "
        "permission, not a binary for this architecture, or a directory.",
    ),
    127: (
        "command not found",
        "Status 127: the shell could not find the command: a wrong entrypoint or "
        "command, a missing binary in the image, or a PATH problem.",
    ),
    128: (
        "start failure or invalid exit argument",
        "Status 128 is not a signal (signal 0 does not exist). containerd and Docker "
        "record 128 when the runtime could not start the process at all (reason "
        "StartError or ContainerCannotRun; see the message). A shell exits 128 when "
        "given an invalid exit argument.",
    ),
    255: (
        "exit status out of range (exit -1?)",
        "Status 255: an exit(-1) or any out-of-range value wraps to 255 because exit "
        "statuses are 8 bits (System.exit(-1) in a JVM, too); some tools use it for "
        "'unknown'.",
    ),
}

#: Spark's own exit codes, from the files named in the module docstring.
_SPARK: dict[int, tuple[str, str]] = {
    -1: (
        "unknown (Spark placeholder)",
        "Spark's UNKNOWN_EXIT_CODE (-1): the Kubernetes backend uses it when an executor "
        "pod vanished or no container had terminated, so the real code is unknown.",
    ),
    3: (
        "path not found (Spark)",
        "SparkExitCode.ERROR_PATH_NOT_FOUND (3): a path the application needed does not exist.",
    ),
    10: (
        "uncaught exception (Spark)",
        "Exit code 10: the YARN ApplicationMaster's code for an uncaught exception; "
        "Spark's Kubernetes backend describes it as 'Uncaught exception' too.",
    ),
    11: (
        "too many executor failures (Spark)",
        "SparkExitCode.EXCEED_MAX_EXECUTOR_FAILURES (11): the driver stopped the "
        "application because more executors failed than spark.executor.maxNumFailures "
        "allows. The executors' own exit codes tell why they failed.",
    ),
    50: (
        "uncaught exception (Spark)",
        "SparkExitCode.UNCAUGHT_EXCEPTION (50): Spark's default uncaught-exception "
        "handler was reached. The stack trace is in the container's log.",
    ),
    51: (
        "uncaught exception, logging failed (Spark)",
        "SparkExitCode.UNCAUGHT_EXCEPTION_TWICE (51): the uncaught-exception handler hit "
        "another exception while logging the first one.",
    ),
    52: (
        "JVM OutOfMemoryError",
        "SparkExitCode.OOM (52): the JVM threw OutOfMemoryError (Java heap, metaspace, "
        "direct buffers, or 'unable to create native thread') and Spark's handler "
        "exited. This is NOT a kernel OOM kill: the container stayed under its memory "
        "limit and the JVM gave up on its own heap. Raise spark.driver.memory or "
        "spark.executor.memory, or process less data per task. A kernel or cgroup OOM "
        "kill shows as reason OOMKilled with code 137 instead.",
    ),
    53: (
        "cannot create local dir (Spark)",
        "ExecutorExitCode.DISK_STORE_FAILED_TO_CREATE_DIR (53): the DiskStore failed to "
        "create a local temporary directory after many attempts (bad spark.local.dir, a "
        "full or read-only volume).",
    ),
    54: (
        "external block store init failed (Spark)",
        "ExecutorExitCode.EXTERNAL_BLOCK_STORE_FAILED_TO_INITIALIZE (54): the external "
        "block store failed to initialize after many attempts.",
    ),
    55: (
        "external block store dir failed (Spark)",
        "ExecutorExitCode.EXTERNAL_BLOCK_STORE_FAILED_TO_CREATE_DIR (55): the external "
        "block store failed to create a local temporary directory.",
    ),
    56: (
        "heartbeat to driver failed (Spark)",
        "ExecutorExitCode.HEARTBEAT_FAILURE (56): the executor could not send heartbeats "
        "to the driver more than spark.executor.heartbeat.maxFailures times (driver "
        "gone, network trouble, or long GC pauses).",
    ),
    57: (
        "killed by TaskReaper (Spark)",
        "ExecutorExitCode.KILLED_BY_TASK_REAPER (57): a cancelled task did not stop "
        "within spark.task.reaper.killTimeout, so the TaskReaper killed the executor.",
    ),
    58: (
        "block manager re-registration failed (Spark)",
        "ExecutorExitCode.BLOCK_MANAGER_REREGISTRATION_FAILED (58): the executor could "
        "not re-register its BlockManager with the driver (Spark 4.0+; earlier versions "
        "exited -1).",
    ),
    101: (
        "class not found (Spark)",
        "SparkExitCode.CLASS_NOT_FOUND (101): spark-submit could not load the main class "
        "(ClassNotFoundException or NoClassDefFoundError): a wrong class name or a "
        "missing jar.",
    ),
    124: (
        "driver timeout (Spark)",
        "SparkExitCode.DRIVER_TIMEOUT (124): the driver ran longer than spark.driver."
        "timeout and stopped itself.",
    ),
}


def decode_exit_code(code: int | None, *, spark: bool = False) -> ExitCodeMeaning:
    """Decode a container exit code; ``spark=True`` adds Spark's own codes.

    Total: every int (and ``None``) gets a meaning, never an exception.
    """
    if code is None:
        return ExitCodeMeaning(
            None, None, None, "exit code unknown", "The status carries no exit code."
        )
    if spark and code in _SPARK:
        summary, detail = _SPARK[code]
        return ExitCodeMeaning(code, None, None, summary, detail)
    if code in _GENERIC:
        summary, detail = _GENERIC[code]
        return ExitCodeMeaning(code, None, None, summary, detail)
    if _SIGNAL_BASE < code <= _SIGNAL_BASE + _SIGRTMAX:
        return _signal_meaning(code)
    if code < 0:
        return ExitCodeMeaning(
            code,
            None,
            None,
            "negative exit code",
            f"Exit code {code} ({_hex32(code)}) is not a Linux exit status (0–255): "
            "a Windows NTSTATUS value, or a placeholder written by a tool.",
        )
    if code > 255:
        return ExitCodeMeaning(
            code,
            None,
            None,
            "not a Linux exit status (>255)",
            f"Exit code {code} ({_hex32(code)}) is outside the 0–255 range of a Linux "
            "exit status: a Windows exit code, or a value written by a tool.",
        )
    return ExitCodeMeaning(
        code,
        None,
        None,
        APPLICATION_DEFINED,
        f"Status {code} has no standard meaning: the application chose it (its "
        "documentation or log explains it)."
        + (" Above 128+64 it cannot be a signal." if code > _SIGNAL_BASE else ""),
    )


def signal_name(number: int) -> str | None:
    """The Linux name of a signal number, ``None`` for 32, 33 and out-of-range numbers."""
    if number in SIGNAL_NAMES:
        return SIGNAL_NAMES[number]
    if number == _SIGRTMIN:
        return "SIGRTMIN"
    if number == _SIGRTMAX:
        return "SIGRTMAX"
    if _SIGRTMIN < number < _SIGRTMAX:
        return f"SIGRTMIN+{number - _SIGRTMIN}"
    return None


def _signal_meaning(code: int) -> ExitCodeMeaning:
    number = code - _SIGNAL_BASE
    name = signal_name(number)
    shown = name or f"signal {number}"
    if number == 9:
        detail = _SIGKILL_DETAIL
    elif number == 15:
        detail = _SIGTERM_DETAIL
    else:
        cause = _SIGNAL_CAUSES.get(number)
        if cause is None and number not in SIGNAL_NAMES:
            cause = "a real-time signal, sent only on purpose by some process"
        elif cause is None:
            cause = "a job-control or notification signal that does not kill by default"
        detail = f"Killed by {shown} (signal {number}): {cause}. {_SIGNAL_CONVENTION}"
    return ExitCodeMeaning(code, number, name, f"killed by {shown}", detail)


def _hex32(code: int) -> str:
    return f"0x{code & 0xFFFFFFFF:08X}"


# ---------------------------------------------------------------- reasons

OOM_KILLED = "OOMKilled"
ERROR = "Error"
COMPLETED = "Completed"
START_ERROR = "StartError"
CONTAINER_CANNOT_RUN = "ContainerCannotRun"
CONTAINER_STATUS_UNKNOWN = "ContainerStatusUnknown"
DEADLINE_EXCEEDED = "DeadlineExceeded"

_REASONS: dict[str, str] = {
    OOM_KILLED: (
        "The container runtime saw an OOM event in the container's cgroup: the kernel "
        "killed a process because the container hit its memory limit, or the node ran "
        "out of memory. Usually with exit code 137 (SIGKILL); another code means a "
        "child process was killed and the main process then exited by itself."
    ),
    ERROR: (
        "The container exited with a non-zero code and the runtime saw no OOM event "
        "(containerd and CRI-O report 'Error' for every such exit)."
    ),
    COMPLETED: "The container exited with code 0.",
    START_ERROR: (
        "containerd could not start the process (a missing binary, bad command, mount "
        "or permission error; see the message). Exit code 128 is containerd's "
        "placeholder, and the start time is the Unix epoch because it never ran."
    ),
    CONTAINER_CANNOT_RUN: (
        "Docker (dockershim, cri-dockerd) could not start the process; the same case "
        "as containerd's StartError."
    ),
    CONTAINER_STATUS_UNKNOWN: (
        "The kubelet could no longer find the container in the runtime (node reboot, "
        "container garbage-collected, pod deleted while it ran) and wrote exit code 137 "
        "itself, without timestamps: the real exit code is unknown."
    ),
    DEADLINE_EXCEEDED: (
        "The pod ran longer than spec.activeDeadlineSeconds, so the kubelet stopped its containers."
    ),
}


def explain_reason(reason: str | None) -> str | None:
    """Sentences on a termination reason for the detail pane; ``None`` if unknown."""
    return _REASONS.get(reason) if reason else None


#: Codes whose summary adds nothing to the number in a one-line description.
_SELF_EVIDENT = frozenset({SUCCESS, APPLICATION_ERROR, APPLICATION_DEFINED})


def describe_termination(reason: str | None, exit_code: int | None, spark: bool) -> str:
    """One line for a table cell: ``"OOMKilled 137 SIGKILL"``, ``"Error 52 JVM OutOfMemoryError"``.

    A SIGKILL not reported as ``OOMKilled`` is labelled so, and the kubelet's synthetic
    ``ContainerStatusUnknown`` 137 is not presented as a signal at all.
    """
    reason = reason or None
    if exit_code is None:
        return reason or "unknown"
    head = f"{reason} {exit_code}" if reason else str(exit_code)
    if reason == CONTAINER_STATUS_UNKNOWN:
        return f"{head} (container could not be located)"
    if reason in (START_ERROR, CONTAINER_CANNOT_RUN):
        return head  # the reason says it all; 128 is the runtime's placeholder
    meaning = decode_exit_code(exit_code, spark=spark)
    if meaning.signal is not None:
        label = meaning.signal_name or f"signal {meaning.signal}"
    elif meaning.summary in _SELF_EVIDENT:
        label = None
    else:
        label = meaning.summary
    line = f"{head} {label}" if label else head
    if meaning.signal == 9 and reason != OOM_KILLED:
        line += " (not reported as OOM)" if reason else " (no reason reported)"
    return line
