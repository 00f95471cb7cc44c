#!/usr/bin/env python3
"""Build (or reuse) the real control plane the e2e tests and benches run against.

kube-apiserver, kube-controller-manager and kube-scheduler are built from
k8s.io/kubernetes, etcd from go.etcd.io/etcd/server/v3 and kwok from sigs.k8s.io/kwok,
each at the version pinned in versions.env beside this file, into
``~/.cache/kubetui/control-plane/<versions>/bin`` (``KUBETUI_CONTROL_PLANE_DIR`` sets
the directory above ``bin``). A finished build leaves a stamp, so a second run costs
nothing; a missing Go, a refusal by the module proxy or a compile error is one line on
stderr and exit 1 (the full go output stays in ``<dir>/build.log``).

Why a wrapper module: ``go install k8s.io/kubernetes/cmd/...@vX`` is refused because
k8s.io/kubernetes' go.mod replaces each staging module (k8s.io/api, client-go, ...) with
``./staging/src/...``, which a module download does not carry. The wrapper requires
k8s.io/kubernetes and replaces every staging module named in that go.mod with its
published v0.N.P, the layout kubernetes' own hack/lib/version.sh stamps with -X.

Only the standard library, so it runs before the project's venv exists (.ci/run).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
import cached_build  # noqa: E402
from cached_build import BuildError  # noqa: E402

VERSIONS_FILE = HERE / "versions.env"
K8S_BINARIES = ("kube-apiserver", "kube-controller-manager", "kube-scheduler")
ALL_BINARIES = (*K8S_BINARIES, "etcd", "kwok")


def read_versions(path: Path = VERSIONS_FILE) -> dict[str, str]:
    return cached_build.read_versions(
        path, ("K8S_VERSION", "ETCD_VERSION", "KWOK_VERSION"), r"v\d+\.\d+\.\d+", "vX.Y.Z"
    )


def default_root(versions: dict[str, str]) -> Path:
    """The cache directory for exactly these versions ($KUBETUI_CONTROL_PLANE_DIR overrides)."""
    return cached_build.cache_root(
        "KUBETUI_CONTROL_PLANE_DIR",
        "control-plane",
        "k8s-{K8S_VERSION}_etcd-{ETCD_VERSION}_kwok-{KWOK_VERSION}".format(**versions),
    )


class Builder(cached_build.Progress):
    """Runs go with its output in one log; says what it does and how long it took."""

    def __init__(self, root: Path, versions: dict[str, str]) -> None:
        super().__init__("control-plane")
        self.root = root
        self.versions = versions
        self.bin = root / "bin"
        self.log_path = root / "build.log"
        self.env = dict(os.environ, CGO_ENABLED="0", GOFLAGS="-mod=mod")

    def go(self, args: list[str], cwd: Path) -> None:
        """A go command whose output all goes to the log."""
        self._run_go(args, cwd, capture=False)

    def go_build(self, cwd: Path, output: str, packages: list[str], ldflags: str = "-s -w") -> None:
        """``go build -trimpath`` of ``packages`` into ``output`` (a file, or a directory
        when it ends in /), stripped (``-s -w``) unless ``ldflags`` says more."""
        self.go(["build", "-trimpath", "-ldflags", ldflags, "-o", output, *packages], cwd)

    def go_json(self, args: list[str], cwd: Path) -> dict:
        """A go command whose stdout is one JSON object (its stderr goes to the log)."""
        return json.loads(self._run_go(args, cwd, capture=True))

    def _run_go(self, args: list[str], cwd: Path, capture: bool) -> str:
        """``go <args>`` in ``cwd`` with its command line and stderr appended to the log,
        and its stdout too unless ``capture`` (then it is returned); BuildError naming the
        log's telling line when go fails."""
        with self.log_path.open("a") as log:
            log.write(f"\n$ (cd {cwd}) go {' '.join(args)}\n")
            log.flush()
            done = subprocess.run(
                ["go", *args],
                cwd=cwd,
                env=self.env,
                stdout=subprocess.PIPE if capture else log,
                stderr=log if capture else subprocess.STDOUT,
                text=True,
            )
        if done.returncode != 0:
            raise BuildError(
                f"go {args[0]} failed: {self.last_error()} (full output: {self.log_path})"
            )
        return done.stdout or ""

    def last_error(self) -> str:
        return cached_build.last_error(self.log_path)

    def module(self, name: str, go_mod: str) -> Path:
        """A fresh wrapper module directory holding ``go_mod``."""
        directory = self.root / "src" / name
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "go.mod").write_text(go_mod)
        (directory / "go.sum").touch()
        return directory

    # -- the three builds -------------------------------------------------------------

    def kubernetes(self) -> None:
        version = self.versions["K8S_VERSION"]
        staging = self.staging_modules(version)
        minor = version.lstrip("v").split(".")[1]
        published = "v0." + version.lstrip("v").split(".", 1)[1]
        replaces = "\n".join(f"\t{name} => {name} {published}" for name in staging)
        directory = self.module(
            "kubernetes",
            f"module kubetui.test/controlplane\n\ngo 1.26.0\n\n"
            f"require k8s.io/kubernetes {version}\n\nreplace (\n{replaces}\n)\n",
        )
        packages = [f"k8s.io/kubernetes/cmd/{name}" for name in K8S_BINARIES]
        self.go(["get", *(f"{p}@{version}" for p in packages)], directory)
        stamp = {"gitVersion": version, "gitMajor": "1", "gitMinor": minor, "gitTreeState": "clean"}
        flags = ["-s", "-w"] + [
            f"-X {package}.{key}={value}"
            for package in ("k8s.io/component-base/version", "k8s.io/client-go/pkg/version")
            for key, value in stamp.items()
        ]
        self.go_build(directory, str(self.bin) + "/", packages, " ".join(flags))

    def staging_modules(self, version: str) -> list[str]:
        """The modules k8s.io/kubernetes' own go.mod replaces with ./staging at ``version``."""
        scratch = self.module("probe", "module kubetui.test/probe\n\ngo 1.26.0\n")
        listing = self.go_json(
            ["mod", "download", "-json", f"k8s.io/kubernetes@{version}"], scratch
        )
        go_mod = Path(listing["GoMod"]).read_text()
        names = re.findall(r"^\s*(k8s\.io/[\w.-]+)\s+=>\s+\./staging/", go_mod, re.M)
        if not names:
            raise BuildError(f"k8s.io/kubernetes {version}: its go.mod replaces no staging module")
        return names

    def etcd(self) -> None:
        version = self.versions["ETCD_VERSION"]
        directory = self.module(
            "etcd",
            "module kubetui.test/etcd\n\ngo 1.26.0\n\n"
            f"require go.etcd.io/etcd/server/v3 {version}\n",
        )
        self.go(["get", f"go.etcd.io/etcd/server/v3@{version}"], directory)
        self.go_build(directory, str(self.bin / "etcd"), ["go.etcd.io/etcd/server/v3"])

    def kwok(self) -> None:
        version = self.versions["KWOK_VERSION"]
        directory = self.module(
            "kwok", f"module kubetui.test/kwok\n\ngo 1.26.0\n\nrequire sigs.k8s.io/kwok {version}\n"
        )
        self.go(["get", f"sigs.k8s.io/kwok/cmd/kwok@{version}"], directory)
        self.go_build(directory, str(self.bin / "kwok"), ["sigs.k8s.io/kwok/cmd/kwok"])
        # From v0.8 kwok runs no stage unless given one: keep the module's own stage files.
        source = Path(self.go_json(["list", "-m", "-json", "sigs.k8s.io/kwok"], directory)["Dir"])
        source = source / "kustomize" / "stage"
        target = self.root / "kwok-stages"
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(source, target)
        for path in target.rglob("*"):
            path.chmod(0o644 if path.is_file() else 0o755)


def build(root: Path, versions: dict[str, str], force: bool = False) -> Path:
    """Build whatever is missing; returns the bin directory."""
    stamp_path = root / "stamp.json"
    wanted = {"versions": versions, "binaries": list(ALL_BINARIES)}
    builder = Builder(root, versions)
    cached = cached_build.stamped(stamp_path, wanted)
    if not force and cached and all((builder.bin / n).is_file() for n in ALL_BINARIES):
        builder.say(f"cached in {builder.bin}")
        return builder.bin
    if shutil.which("go") is None:
        raise BuildError("go is not on PATH: the control plane is built from source with Go")
    root.mkdir(parents=True, exist_ok=True)
    builder.bin.mkdir(exist_ok=True)
    builder.log_path.write_text("")
    started = time.monotonic()
    steps = {
        "etcd " + versions["ETCD_VERSION"]: (builder.etcd, ("etcd",)),
        "kwok " + versions["KWOK_VERSION"]: (builder.kwok, ("kwok",)),
        "kubernetes " + versions["K8S_VERSION"]: (builder.kubernetes, K8S_BINARIES),
    }
    for what, (step, outputs) in steps.items():
        if force or not all((builder.bin / name).is_file() for name in outputs):
            builder.timed(what, step)
    if not (root / "kwok-stages").is_dir():
        builder.timed("kwok stages", builder.kwok)
    stamp_path.write_text(json.dumps(wanted))
    builder.say(f"built in {time.monotonic() - started:.0f} s: {builder.bin}")
    return builder.bin


def main(argv: list[str] | None = None) -> int:
    return cached_build.run(
        "control-plane",
        __doc__,
        read_versions,
        default_root,
        build,
        "rebuild even when cached",
        argv,
    )


if __name__ == "__main__":
    sys.exit(main())
