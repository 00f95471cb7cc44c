"""``kubetui rbac``: the shipped ClusterRoles as YAML ``kubectl apply -f -`` takes; what
they grant is proved against a real kube-apiserver in tests/e2e/test_rbac_roles_live.py."""

from __future__ import annotations

import subprocess
import sys

import yaml


def rbac(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kubetui", "rbac", *args], capture_output=True, text=True, timeout=60
    )


def test_prints_every_role_as_one_stream() -> None:
    result = rbac()
    assert result.returncode == 0, result.stderr
    roles = list(yaml.safe_load_all(result.stdout))
    assert [(r["kind"], r["metadata"]["name"]) for r in roles] == [
        ("ClusterRole", "kubetui-read-only"),
        ("ClusterRole", "kubetui-read-only-builtin"),
        ("ClusterRole", "kubetui-actions"),
    ]
    # The read-only role is the aggregation of the labelled ones (the builtin rules and
    # an operator's own for their custom resources).
    selector = roles[0]["aggregationRule"]["clusterRoleSelectors"][0]["matchLabels"]
    assert roles[1]["metadata"]["labels"] == selector
    # Read-only grants no write verb; actions grants no eviction (kubetui never evicts).
    read_verbs = {v for r in roles[1]["rules"] for v in r["verbs"]}
    assert read_verbs == {"get", "list", "watch"}
    assert all("pods/eviction" not in r["resources"] for r in roles[2]["rules"])
    # No default role grants Secrets: reading their metadata needs the verb that reads
    # their data.
    assert all("secrets" not in r["resources"] for role in roles for r in role.get("rules") or ())


def test_the_secrets_role_is_printed_only_by_name() -> None:
    result = rbac("hot-loops-secrets")
    assert result.returncode == 0, result.stderr
    (role,) = yaml.safe_load_all(result.stdout)
    assert role["metadata"] == {
        "name": "kubetui-hot-loops-secrets",
        "labels": {"kubetui.dev/aggregate-to-read-only": "true"},
    }
    assert role["rules"] == [
        {"apiGroups": [""], "resources": ["secrets"], "verbs": ["list", "watch"]}
    ]
    assert "kubetui-hot-loops-secrets" not in rbac().stdout


def test_one_role_and_an_unknown_one() -> None:
    (actions,) = yaml.safe_load_all(rbac("actions").stdout)
    assert actions["metadata"]["name"] == "kubetui-actions"
    result = rbac("admin")
    assert result.returncode == 2 and result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert "invalid choice: 'admin'" in line and "'hot-loops-secrets'" in line
