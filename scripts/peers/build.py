#!/usr/bin/env python3
"""Build (or reuse) the peers bench/peers.py measures kubetui beside.

k9s and Popeye with ``go build`` in a wrapper module requiring them, kdash and the Rust
kubetui with ``cargo install --locked``, each at the version pinned in versions.env
beside this file, each into its own ``~/.cache/kubetui/peers/<name>-<version>/bin``
(``KUBETUI_PEERS_DIR`` sets the directory above those). A finished build leaves a
stamp, so a second run costs nothing. A peer that cannot be built (no Go or cargo, a
refusal by the registry, a compile error) is skipped with one line on stderr naming the
cause and its build log; the others are still built, and the exit code is 1 if any was
skipped.

The version flags are the ones the upstream Makefiles stamp: k9s' Makefile (v0.50.16)
and Popeye's (v0.22.1) set ``-X <module>/cmd.version=...``. Cargo builds run with
``CARGO_BUILD_JOBS`` from the environment (1 if unset) so that a 2-core machine stays
usable meanwhile.

Only the standard library, like the other cached builds (scripts/cached_build.py).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
import cached_build  # noqa: E402
from cached_build import BuildError  # noqa: E402

VERSIONS_FILE = HERE / "versions.env"


@dataclass(frozen=True)
class Peer:
    """One peer: how it is built and what binary it leaves."""

    name: str
    version_key: str
    binary: str
    #: ``go`` (``source`` is the module path) or ``cargo`` (``source`` is the crate)
    tool: str
    source: str


PEERS = (
    Peer("k9s", "K9S_VERSION", "k9s", "go", "github.com/derailed/k9s"),
    Peer("popeye", "POPEYE_VERSION", "popeye", "go", "github.com/derailed/popeye"),
    Peer("kdash", "KDASH_VERSION", "kdash", "cargo", "kdash"),
    Peer("kubetui-rs", "KUBETUI_RS_VERSION", "kubetui", "cargo", "kubetui"),
)


def read_versions(path: Path = VERSIONS_FILE) -> dict[str, str]:
    return cached_build.read_versions(
        path, tuple(p.version_key for p in PEERS), r"v?\d+\.\d+\.\d+", "[v]X.Y.Z"
    )


def default_root() -> Path:
    """The directory holding one ``<name>-<version>`` per peer ($KUBETUI_PEERS_DIR overrides)."""
    return cached_build.cache_root("KUBETUI_PEERS_DIR", "peers", "")


def peer_dir(root: Path, peer: Peer, versions: dict[str, str]) -> Path:
    return root / f"{peer.name}-{versions[peer.version_key]}"


def binary_path(root: Path, peer: Peer, versions: dict[str, str]) -> Path:
    return peer_dir(root, peer, versions) / "bin" / peer.binary


def command(peer: Peer, version: str, directory: Path) -> tuple[list[str], dict[str, str], Path]:
    """The build command line, its environment and the directory it runs in.

    A Go peer is built in a wrapper module that requires it (written here), not with
    ``go install module@version``: that form also reads the module's version list for
    deprecation notices, which the module proxy refuses for Popeye (403 on
    ``github.com/derailed/popeye/@v/list``) though it serves v0.22.1 itself. The build
    list is the same (the peer's own go.mod, its replace directives ignored either way).
    """
    if peer.tool == "go":
        wrapper = directory / "src"
        wrapper.mkdir(parents=True, exist_ok=True)
        (wrapper / "go.mod").write_text(
            f"module kubetui.bench/peers/{peer.name}\n\ngo 1.26.0\n\n"
            f"require {peer.source} {version}\n"
        )
        (wrapper / "go.sum").touch()
        flags = f"-s -w -X {peer.source}/cmd.version={version}"
        env = dict(os.environ, CGO_ENABLED="0", GOFLAGS="-mod=mod")
        output = str(directory / "bin" / peer.binary)
        return (
            ["go", "build", "-trimpath", "-ldflags", flags, "-o", output, peer.source],
            env,
            wrapper,
        )
    env = dict(os.environ)
    env.setdefault("CARGO_BUILD_JOBS", "1")
    args = ["cargo", "install", "--locked", "--root", str(directory)]
    return [*args, "--version", version, peer.source], env, directory


def stamp(peer: Peer, versions: dict[str, str]) -> dict[str, str]:
    """What a finished build records beside its binary."""
    return {"name": peer.name, "version": versions[peer.version_key], "source": peer.source}


def cached(root: Path, peer: Peer, versions: dict[str, str]) -> Path | None:
    """The peer's binary if a finished build of exactly this version is there."""
    binary = binary_path(root, peer, versions)
    stamp_path = peer_dir(root, peer, versions) / "stamp.json"
    fresh = binary.is_file() and cached_build.stamped(stamp_path, stamp(peer, versions))
    return binary if fresh else None


def build_one(root: Path, peer: Peer, versions: dict[str, str], force: bool) -> Path:
    """The peer's binary, built unless cached; BuildError for a peer that cannot be built."""
    version = versions[peer.version_key]
    directory = peer_dir(root, peer, versions)
    binary = binary_path(root, peer, versions)
    if not force and (found := cached(root, peer, versions)) is not None:
        return found
    if shutil.which(peer.tool) is None:
        raise BuildError(f"{peer.tool} is not on PATH")
    directory.mkdir(parents=True, exist_ok=True)
    log_path = directory / "build.log"
    args, env, cwd = command(peer, version, directory)
    say(f"{peer.name} {version}: building ({' '.join(args[:2])}, log: {log_path}) ...")
    started = time.monotonic()
    with log_path.open("w") as log:
        log.write(f"$ {' '.join(args)}\n")
        log.flush()
        done = subprocess.run(args, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
    if done.returncode != 0 or not binary.is_file():
        raise BuildError(
            f"{' '.join(args[:2])} failed: {cached_build.last_error(log_path)} (log: {log_path})"
        )
    (directory / "stamp.json").write_text(json.dumps(stamp(peer, versions)))
    say(f"{peer.name} {version}: built in {time.monotonic() - started:.0f} s: {binary}")
    return binary


say = cached_build.Progress("peers").say


def build(root: Path, versions: dict[str, str], force: bool = False) -> dict[str, Path | None]:
    """Every peer's binary, or None for one that could not be built (said on stderr)."""
    built: dict[str, Path | None] = {}
    for peer in PEERS:
        try:
            built[peer.name] = build_one(root, peer, versions, force)
        except BuildError as error:
            print(
                f"peers: {peer.name} {versions[peer.version_key]} skipped: {error}",
                file=sys.stderr,
                flush=True,
            )
            built[peer.name] = None
    return built


def main(argv: list[str] | None = None) -> int:
    skipped: list[str] = []

    def build_all(root: Path, versions: dict[str, str], force: bool) -> None:
        built = build(root, versions, force=force)
        skipped.extend(name for name, path in built.items() if path is None)
        for name, path in built.items():
            if path is not None:
                say(f"{name}: {path}")

    code = cached_build.run(
        "peers",
        __doc__,
        read_versions,
        lambda _versions: default_root(),
        build_all,
        "rebuild even when cached",
        argv,
    )
    return code or (1 if skipped else 0)


if __name__ == "__main__":
    sys.exit(main())
