"""Asking the API server whether this user may do something, before doing it.

A SelfSubjectAccessReview (``POST /apis/authorization.k8s.io/v1/selfsubjectaccessreviews``)
is answered by the server's own authorizer chain, so its answer is the one the request
itself would get (kubernetes/kubernetes
``pkg/registry/authorization/selfsubjectaccessreview/rest.go`` @ v1.37.2). Every
authenticated user may create one (the ``system:basic-user`` ClusterRole bound to
``system:authenticated``, ``plugin/pkg/auth/authorizer/rbac/bootstrappolicy/policy.go``),
so asking needs no rule in kubetui's roles and leaves no 403 in the audit log, where
trying a refused LIST does.
"""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

from kubetui.sources.kube_client import KubeClient, KubeError


class _Status(msgspec.Struct):
    allowed: bool = False


class _Review(msgspec.Struct):
    status: _Status | None = None


_REVIEW = msgspec.json.Decoder(_Review)


def permitted(
    kube: KubeClient, verbs: Iterable[str], resource: str, group: str, namespace: str | None
) -> bool | None:
    """Whether every one of ``verbs`` on ``resource`` (in ``group``; in ``namespace``, or
    cluster-wide for ``None``) is allowed: False at the first one refused.

    ``None`` when the server could not be asked (no such API on an old or stripped-down
    server, a 403 on the review itself, an unreadable answer, a transport failure): the
    caller then does what it did before reviews, tries and reports what happens.
    """
    for verb in verbs:
        attributes = {"verb": verb, "group": group, "resource": resource}
        # "" is all namespaces for a namespaced resource, and the only scope of a
        # cluster-scoped one (k8s.io/api@v0.37.2 authorization/v1/types.go ResourceAttributes).
        attributes["namespace"] = namespace or ""
        try:
            status, body = kube.review_access(attributes)
            review = _REVIEW.decode(body) if status in (200, 201) else None
        except (KubeError, msgspec.DecodeError):
            return None
        if review is None or review.status is None:
            return None
        if not review.status.allowed:
            return False
    return True
