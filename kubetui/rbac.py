"""``kubetui rbac``: the ClusterRoles kubetui needs, as YAML for ``kubectl apply -f -``.

They ship inside the package (``kubetui/deploy/rbac/``, package data in pyproject.toml),
so an operator who installed kubetui with pip has them without a source checkout, and
the roles always match the kubetui that reads and writes with them. Each file says why
every rule is there; tests/e2e/test_rbac_roles_live.py proves them against a real
kube-apiserver.
"""

from __future__ import annotations

from importlib import resources

#: Role name → file in kubetui/deploy/rbac/.
ROLES = {
    "read-only": "read-only.yaml",
    "actions": "actions.yaml",
    "hot-loops-secrets": "hot-loops-secrets.yaml",
}
#: Printed only when named: applied, it lets every holder of kubetui-read-only read
#: every Secret, which ``kubetui rbac | kubectl apply -f -`` must never do unasked.
OPT_IN = frozenset({"hot-loops-secrets"})


def rbac_yaml(role: str | None = None) -> str:
    """One role's file, or every role but the opt-in ones as one multi-document YAML
    stream."""
    folder = resources.files("kubetui").joinpath("deploy", "rbac")
    names = [ROLES[role]] if role else [f for r, f in ROLES.items() if r not in OPT_IN]
    return "---\n".join(folder.joinpath(name).read_text(encoding="utf-8") for name in names)
