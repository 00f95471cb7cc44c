"""A real Kubernetes control plane on loopback: etcd, kube-apiserver (TLS, token users,
Node+RBAC, ServiceAccount admission, an audit log), kube-controller-manager,
kube-scheduler and kwok (fake nodes; pod status driven by kwok's own Stage files).

The binaries come from ``scripts/control-plane/build.py`` (built once, cached by
version). Every process runs in its own session and is killed with its group on
:meth:`ControlPlane.stop`; each writes ``<root>/logs/<name>.log``, the path a failing
test points at.

The kube-apiserver flags are those of controller-runtime's envtest
(kubernetes-sigs/controller-runtime pkg/internal/testing/controlplane/apiserver.go,
v0.22) plus bearer tokens (``--token-auth-file``), ``--authorization-mode=Node,RBAC``
and the ServiceAccount admission plugin left on, so pods get what a real cluster gives
them.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from kubetui.sim.tls import generate

REPO = Path(__file__).resolve().parents[2]
BUILD = REPO / "scripts" / "control-plane" / "build.py"

#: The label that keeps kwok's stages off a pod whose status a test writes itself.
FROZEN = "kubetui-e2e/frozen"
#: kwok manages the nodes with this annotation (real Node objects, no kubelet).
KWOK_NODE = "kwok.x-k8s.io/node"

#: token users: name → (token, groups). The admin is a cluster admin through
#: system:masters; viewer and limited are bound by :func:`grant_test_roles`.
USERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "admin": ("admin-token-0123456789", ("system:masters",)),
    "viewer": ("viewer-token-0123456789", ()),
    "limited": ("limited-token-0123456789", ()),
}
#: Namespaces where the viewer may read pods (and nothing cluster-wide).
VIEWER_NAMESPACES = ("spark-alice", "etl")

#: the kwok stages used: upstream's node and pod lifecycle, each told to leave frozen pods
#: alone (and the chaos stage that fails a container on the pod's annotations).
KWOK_STAGES = (
    "node/fast/node-initialize.yaml",
    "node/heartbeat/node-heartbeat.yaml",
    "pod/general/pod-create.yaml",
    "pod/general/pod-init-container-running.yaml",
    "pod/general/pod-init-container-completed.yaml",
    "pod/general/pod-ready.yaml",
    "pod/general/pod-complete.yaml",
    "pod/general/pod-delete.yaml",
    "pod/chaos/pod-container-running-failed.yaml",
)


class ControlPlaneError(RuntimeError):
    """The control plane could not be built or started; the message says where to look."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cached_build_root(script: Path, timeout: float, error: type[Exception]) -> Path:
    """The cache directory of one of the pinned build scripts (scripts/*/build.py) after
    running it (a cached one returns at once); ``error`` with the script's one-line reason
    when it fails."""
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=timeout
    )
    if done.returncode != 0:
        raise error((done.stderr or done.stdout).strip().splitlines()[-1])
    root = subprocess.run(
        [sys.executable, str(script), "--print-root"], capture_output=True, text=True, check=True
    ).stdout.strip()
    return Path(root)


def build_binaries() -> tuple[Path, Path]:
    """The bin directory and kwok's stage directory, built (or found cached) by the
    pinned build script; ControlPlaneError with its one-line reason when it fails."""
    root = cached_build_root(BUILD, 3600, ControlPlaneError)
    return root / "bin", root / "kwok-stages"


@dataclass
class Process:
    name: str
    argv: list[str]
    log: Path
    popen: subprocess.Popen | None = None

    def start(self) -> None:
        handle = self.log.open("ab")
        handle.write(f"\n=== start {time.strftime('%H:%M:%S')}: {' '.join(self.argv)}\n".encode())
        handle.flush()
        self.popen = subprocess.Popen(
            self.argv,
            stdin=subprocess.DEVNULL,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        handle.close()

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.popen is None or self.popen.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, sig)
        try:
            self.popen.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout=15)

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None


@dataclass
class ControlPlane:
    """One running control plane; see the module docstring."""

    root: Path
    bin: Path
    stages: Path
    port: int = field(default_factory=free_port)
    etcd_port: int = field(default_factory=free_port)
    etcd_peer_port: int = field(default_factory=free_port)
    processes: dict[str, Process] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def etcd_url(self) -> str:
        return f"http://127.0.0.1:{self.etcd_port}"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def audit_log(self) -> Path:
        return self.logs / "audit.jsonl"

    def kubeconfig(self, user: str = "admin") -> Path:
        return self.root / f"kubeconfig-{user}"

    # -- start and stop ---------------------------------------------------------------

    def start(self) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        self.tls = generate(self.root / "pki")
        self._write_service_account_keys()
        self._write_files()
        self._process("etcd", self._etcd_argv()).start()
        self._wait(lambda: self._http_ok(f"{self.etcd_url}/health"), "etcd", 60)
        self.start_apiserver()
        for name, argv in (
            ("kube-controller-manager", self._controller_manager_argv()),
            ("kube-scheduler", self._scheduler_argv()),
            ("kwok", self._kwok_argv()),
        ):
            self._process(name, argv).start()

    def start_apiserver(self) -> None:
        process = self.processes.get("kube-apiserver") or self._process(
            "kube-apiserver", self._apiserver_argv()
        )
        process.start()
        self._wait(lambda: self._readyz(), "kube-apiserver", 120)

    def stop(self) -> None:
        for process in reversed(list(self.processes.values())):
            process.kill()

    def _process(self, name: str, argv: list[str]) -> Process:
        process = Process(name, argv, self.logs / f"{name}.log")
        self.processes[name] = process
        return process

    def _wait(self, ready: Any, name: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if ready():
                return
            if not self.processes[name].alive():
                break
            time.sleep(0.2)
        raise ControlPlaneError(
            f"{name} did not become ready in {timeout:.0f} s; see {self.processes[name].log}"
        )

    # -- files and flags --------------------------------------------------------------

    def write_tokens(self, extra: dict[str, tuple[str, tuple[str, ...]]] | None = None) -> None:
        """The token file: USERS plus ``extra`` (token → (user, groups)); kube-apiserver
        reads it when it starts (restart_apiserver)."""
        rows = [(token, name, groups) for name, (token, groups) in USERS.items()]
        rows += [(token, name, groups) for token, (name, groups) in (extra or {}).items()]
        (self.root / "tokens.csv").write_text(
            "".join(
                f'{token},{name},uid-{name},"{",".join(groups)}"\n' for token, name, groups in rows
            )
        )

    def restart_apiserver(self) -> None:
        self.processes["kube-apiserver"].kill(signal.SIGTERM)
        self.start_apiserver()

    def _write_files(self) -> None:
        self.write_tokens()
        (self.root / "audit-policy.yaml").write_text(
            yaml.safe_dump(
                {
                    "apiVersion": "audit.k8s.io/v1",
                    "kind": "Policy",
                    "omitStages": ["RequestReceived"],
                    "rules": [{"level": "Metadata"}],
                }
            )
        )
        ca = base64.b64encode(self.tls.ca_pem()).decode()
        for name, (token, _groups) in USERS.items():
            self.kubeconfig(name).write_text(
                yaml.safe_dump(
                    {
                        "apiVersion": "v1",
                        "kind": "Config",
                        "clusters": [
                            {
                                "name": "e2e",
                                "cluster": {"server": self.url, "certificate-authority-data": ca},
                            }
                        ],
                        "users": [{"name": name, "user": {"token": token}}],
                        "contexts": [
                            {"name": f"e2e-{name}", "context": {"cluster": "e2e", "user": name}}
                        ],
                        "current-context": f"e2e-{name}",
                    }
                )
            )
            self.kubeconfig(name).chmod(0o600)
        stage_dir = self.root / "stages"
        stage_dir.mkdir(exist_ok=True)
        self.stage_files = []
        for relative in KWOK_STAGES:
            stage = yaml.safe_load((self.stages / relative).read_text())
            if stage["spec"]["resourceRef"]["kind"] == "Pod":
                stage["spec"]["selector"].setdefault("matchExpressions", []).append(
                    {"key": f'.metadata.labels["{FROZEN}"]', "operator": "DoesNotExist"}
                )
            target = stage_dir / Path(relative).name
            target.write_text(yaml.safe_dump(stage))
            self.stage_files.append(target)

    def _write_service_account_keys(self) -> None:
        """The key pair that signs ServiceAccount tokens: kube-apiserver reads the public
        half from a PEM of public keys, the controller-manager signs with the private."""
        key = ec.generate_private_key(ec.SECP256R1())
        self.sa_key = self.root / "pki" / "sa.key"
        self.sa_pub = self.root / "pki" / "sa.pub"
        self.sa_key.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.TraditionalOpenSSL,
                serialization.NoEncryption(),
            )
        )
        self.sa_pub.write_bytes(
            key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )

    def _etcd_argv(self) -> list[str]:
        peer = f"http://127.0.0.1:{self.etcd_peer_port}"
        return [
            str(self.bin / "etcd"),
            f"--data-dir={self.root / 'etcd'}",
            f"--listen-client-urls={self.etcd_url}",
            f"--advertise-client-urls={self.etcd_url}",
            f"--listen-peer-urls={peer}",
            f"--initial-advertise-peer-urls={peer}",
            f"--initial-cluster=default={peer}",
            "--unsafe-no-fsync",
            "--log-level=warn",
        ]

    def _apiserver_argv(self) -> list[str]:
        return [
            str(self.bin / "kube-apiserver"),
            f"--etcd-servers={self.etcd_url}",
            "--bind-address=127.0.0.1",
            "--advertise-address=127.0.0.1",
            # loopback may not be the kubernetes Service endpoint; nothing here needs one
            "--endpoint-reconciler-type=none",
            f"--secure-port={self.port}",
            f"--cert-dir={self.root / 'certs'}",
            f"--tls-cert-file={self.tls.server_cert}",
            f"--tls-private-key-file={self.tls.server_key}",
            f"--client-ca-file={self.tls.ca_cert}",
            f"--token-auth-file={self.root / 'tokens.csv'}",
            "--authorization-mode=Node,RBAC",
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            f"--service-account-key-file={self.sa_pub}",
            f"--service-account-signing-key-file={self.sa_key}",
            "--service-cluster-ip-range=10.96.0.0/16",
            "--allow-privileged=true",
            f"--audit-policy-file={self.root / 'audit-policy.yaml'}",
            f"--audit-log-path={self.audit_log}",
            "--audit-log-format=json",
            "--audit-log-mode=blocking",
            "--v=1",
        ]

    def _controller_manager_argv(self) -> list[str]:
        return [
            str(self.bin / "kube-controller-manager"),
            f"--kubeconfig={self.kubeconfig('admin')}",
            "--bind-address=127.0.0.1",
            "--secure-port=0",
            "--leader-elect=false",
            # podgc would delete the incident pod bound to a deleted node (its job); the
            # incident is that such a pod is there, so it is kept for the tests to see.
            "--controllers=*,-podgc",
            f"--service-account-private-key-file={self.sa_key}",
            f"--root-ca-file={self.tls.ca_cert}",
            "--v=1",
        ]

    def _scheduler_argv(self) -> list[str]:
        return [
            str(self.bin / "kube-scheduler"),
            f"--kubeconfig={self.kubeconfig('admin')}",
            f"--authentication-kubeconfig={self.kubeconfig('admin')}",
            f"--authorization-kubeconfig={self.kubeconfig('admin')}",
            "--bind-address=127.0.0.1",
            "--secure-port=0",
            "--leader-elect=false",
            "--v=1",
        ]

    def _kwok_argv(self) -> list[str]:
        return [
            str(self.bin / "kwok"),
            f"--kubeconfig={self.kubeconfig('admin')}",
            f"--manage-nodes-with-annotation-selector={KWOK_NODE}=fake",
            "--cidr=10.244.0.0/16",
            "--node-ip=10.0.0.1",
            *(f"--config={path}" for path in self.stage_files),
        ]

    # -- requests ---------------------------------------------------------------------

    def _ssl(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.tls.ca_cert))

    def _http_ok(self, url: str) -> bool:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.status == 200
        except (OSError, urllib.error.URLError):
            return False

    def _readyz(self) -> bool:
        try:
            self.request("GET", "/readyz", timeout=2)
        except (OSError, ApiError):
            return False
        return True

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        user: str = "admin",
        content_type: str = "application/json",
        timeout: float = 30,
        headers: dict[str, str] | None = None,
    ) -> Any:
        """One API request as ``user``; the decoded JSON answer (text if not JSON).
        ApiError carries the status and the Status body of a refusal."""
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method)
        request.add_header("Authorization", f"Bearer {USERS[user][0]}")
        request.add_header("Content-Type", content_type)
        request.add_header("Accept", "application/json")
        for key, value in (headers or {}).items():
            request.add_header(key, value)
        try:
            with urllib.request.urlopen(request, context=self._ssl(), timeout=timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as error:
            raw = error.read()
            raise ApiError(error.code, _decoded(raw)) from None
        return _decoded(raw)

    def etcd_compact(self) -> int:
        """Compact etcd at its current revision (through etcd's gRPC gateway, as
        ``etcdctl compact`` would); the revision compacted at."""
        header = self._etcd_post("/v3/kv/range", {"key": base64.b64encode(b"/").decode()})
        revision = int(header["header"]["revision"])
        self._etcd_post("/v3/kv/compaction", {"revision": str(revision), "physical": True})
        return revision

    def _etcd_post(self, path: str, body: dict) -> dict:
        request = urllib.request.Request(
            self.etcd_url + path, data=json.dumps(body).encode(), method="POST"
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def audit_events(self) -> list[dict]:
        if not self.audit_log.exists():
            return []
        return [json.loads(line) for line in self.audit_log.read_text().splitlines() if line]


class ApiError(Exception):
    def __init__(self, status: int, body: Any) -> None:
        super().__init__(f"{status}: {body}")
        self.status = status
        self.body = body


def _decoded(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode(errors="replace")


@contextlib.contextmanager
def running_control_plane(root: Path) -> Iterator[ControlPlane]:
    """Build (or reuse) the binaries, start everything, yield, kill it all."""
    bin_dir, stages = build_binaries()
    plane = ControlPlane(root=root, bin=bin_dir, stages=stages)
    try:
        plane.start()
        grant_test_roles(plane)
        yield plane
    finally:
        plane.stop()


def grant_test_roles(plane: ControlPlane) -> None:
    """RBAC for the token users: the viewer reads pods (and their logs and events) in
    VIEWER_NAMESPACES only; ``limited`` may list pods in spark-alice and nothing else."""
    for namespace in {*VIEWER_NAMESPACES, "spark-alice"}:
        ensure_namespace(plane, namespace)
    rules = [
        {
            "apiGroups": [""],
            "resources": ["pods", "pods/log", "events"],
            "verbs": ["get", "list", "watch"],
        }
    ]
    for namespace in VIEWER_NAMESPACES:
        apply(
            plane,
            f"/apis/rbac.authorization.k8s.io/v1/namespaces/{namespace}/roles",
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "Role",
                "metadata": {"name": "pod-reader", "namespace": namespace},
                "rules": rules,
            },
        )
        apply(
            plane,
            f"/apis/rbac.authorization.k8s.io/v1/namespaces/{namespace}/rolebindings",
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "RoleBinding",
                "metadata": {"name": "viewer-pod-reader", "namespace": namespace},
                "roleRef": {
                    "apiGroup": "rbac.authorization.k8s.io",
                    "kind": "Role",
                    "name": "pod-reader",
                },
                "subjects": [
                    {"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "viewer"}
                ],
            },
        )
    apply(
        plane,
        "/apis/rbac.authorization.k8s.io/v1/namespaces/spark-alice/rolebindings",
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": "limited-pod-reader", "namespace": "spark-alice"},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "Role",
                "name": "pod-reader",
            },
            "subjects": [
                {"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "limited"}
            ],
        },
    )


def apply(plane: ControlPlane, collection: str, obj: dict) -> dict:
    """Create ``obj`` in ``collection``; an existing one of that name is left as it is."""
    try:
        return plane.request("POST", collection, obj)
    except ApiError as error:
        if error.status != 409:
            raise
        return plane.request("GET", f"{collection}/{obj['metadata']['name']}")


def ensure_namespace(plane: ControlPlane, name: str, timeout: float = 60) -> None:
    """The namespace, with its ``default`` ServiceAccount (the ServiceAccount admission
    plugin refuses pods until the controller has made it)."""
    apply(
        plane,
        "/api/v1/namespaces",
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}},
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            plane.request("GET", f"/api/v1/namespaces/{name}/serviceaccounts/default")
            return
        except ApiError as error:
            if error.status != 404:
                raise
        time.sleep(0.2)
    raise ControlPlaneError(
        f"namespace {name}: no default ServiceAccount after {timeout:.0f} s; see "
        f"{plane.processes['kube-controller-manager'].log}"
    )
