"""Where a headless command reads from: a dump file, the current cluster, or the demo."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from kubetui.cli import UsageError

if TYPE_CHECKING:  # the kubernetes package costs ~0.3 s; --from-file never needs it
    from kubetui.sources.kube_client import KubeClient


def namespaces_of(args: argparse.Namespace) -> list[str] | None:
    """``-n a -n b,c`` → ``[a, b, c]``; ``None`` for all namespaces."""
    if not args.namespace:
        return None
    return [ns for value in args.namespace for ns in value.split(",") if ns]


def check_sources(args: argparse.Namespace, command: str) -> None:
    """One source at a time: --from-file, --demo, or the kubeconfig flags."""
    cluster_flags = args.kubeconfig or args.context or args.namespace or args.all_namespaces
    if args.from_file and (args.demo or cluster_flags):
        raise UsageError(
            f"kubetui {command}: --from-file reads a dump; it cannot be combined with "
            "--demo, --kubeconfig, --context, -n or -A"
        )
    if args.demo and (args.kubeconfig or args.context):
        raise UsageError(
            f"kubetui {command}: --demo runs its own cluster; drop --kubeconfig/--context"
        )


@contextmanager
def open_cluster(args: argparse.Namespace, *, read_only: bool = False) -> Iterator[KubeClient]:
    """A client for the kubeconfig's cluster, or for the demo cluster started here
    (it runs until the block ends, so actions can still reach it)."""
    from kubetui.sources.kube_client import connect

    if args.demo:
        from kubetui.sim.runner import running_sim

        with running_sim(args.scenario, args.seed, frozen=False) as sim:
            kube = connect(str(sim.kubeconfig_path))
            kube.read_only = read_only
            yield kube
    else:
        kube = connect(args.kubeconfig, args.context)
        kube.read_only = read_only
        yield kube
