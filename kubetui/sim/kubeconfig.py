"""The kubeconfig that points kubectl, the Python client and kubetui at the sim.

One cluster (the CA inlined as certificate-authority-data), one bearer-token user per
sim user (``admin`` first), one context per user; the admin context is current.
"""

from __future__ import annotations

import base64
from pathlib import Path

import yaml

CLUSTER = "kubetui-sim"


def context_name(user: str) -> str:
    return CLUSTER if user == "admin" else f"{CLUSTER}-{user}"


def write_kubeconfig(
    path: Path,
    server: str,
    tokens: dict[str, str],
    ca_pem: bytes | None,
    namespace: str = "default",
) -> Path:
    """Write the file (0600: it holds tokens). ``tokens`` maps user → token."""
    cluster: dict[str, object] = {"server": server}
    if ca_pem is not None:
        cluster["certificate-authority-data"] = base64.b64encode(ca_pem).decode()
    users = sorted(tokens, key=lambda u: (u != "admin", u))
    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "preferences": {},
        "clusters": [{"name": CLUSTER, "cluster": cluster}],
        "users": [{"name": u, "user": {"token": tokens[u]}} for u in users],
        "contexts": [
            {
                "name": context_name(u),
                "context": {"cluster": CLUSTER, "user": u, "namespace": namespace},
            }
            for u in users
        ],
        "current-context": context_name("admin"),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path
