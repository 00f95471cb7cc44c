"""Where a command reads from: a dump file, the current cluster, or the demo; the one
place that turns the connection flags into a client."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from kubetui.cli_args import UsageError

if TYPE_CHECKING:  # the kubernetes package costs ~0.3 s; --from-file never needs it
    from kubetui.sources.kube_client import KubeClient


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


def connect_from_args(args: argparse.Namespace) -> KubeClient:
    """The kubeconfig's cluster as ``--kubeconfig``/``--context`` choose it (kubectl's
    rules); with no kubeconfig at all, the error names the demo as the way to try kubetui."""
    from kubetui.sources.kube_client import KubeError, connect

    try:
        return connect(args.kubeconfig, args.context)
    except KubeError as exc:
        if str(exc).startswith("no kubeconfig found"):
            raise KubeError(f"{exc}; 'kubetui demo' shows kubetui on a built-in cluster") from None
        raise


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
        kube = connect_from_args(args)
        kube.read_only = read_only
        yield kube
