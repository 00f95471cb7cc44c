"""metav1.Status bodies and the error type the sim raises to produce them.

Every non-2xx answer of kube-apiserver (except plain-text 404s for unknown paths and the
priority-and-fairness 429) is a ``Status`` object; clients parse ``reason``/``code`` out of
it, so the shapes and messages here follow kubernetes/apimachinery
``pkg/api/errors/errors.go`` and kubernetes/apiserver@v0.33.0
``pkg/endpoints/handlers/responsewriters/status.go`` (key order as the Go struct:
kind, apiVersion, metadata, status, message, reason, details, code).
"""

from __future__ import annotations

from typing import Any


def status_body(
    *,
    status: str = "Failure",
    message: str | None = None,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
    code: int | None = None,
    list_meta: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A Status dict with Go's omitempty rules applied (``metadata`` always present).

    ``details`` is written when given, even empty: ``NewGenericServerResponse`` (the
    415s and the JSON-patch 422s) sends ``"details": {}``."""
    body: dict[str, Any] = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": dict(list_meta or {}),
        "status": status,
    }
    if message:
        body["message"] = message
    if reason:
        body["reason"] = reason
    if details is not None:
        body["details"] = {k: v for k, v in details.items() if v not in (None, "", [], 0)}
    if code:
        body["code"] = code
    return body


class ApiError(Exception):
    """An API failure carrying the HTTP code and the Status the server writes for it."""

    def __init__(
        self,
        code: int,
        reason: str,
        message: str,
        details: dict[str, Any] | None = None,
        *,
        list_meta: dict[str, Any] | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details
        self.list_meta = list_meta
        self.retry_after = retry_after

    def body(self) -> dict[str, Any]:
        return status_body(
            message=self.message,
            reason=self.reason,
            details=self.details,
            code=self.code,
            list_meta=self.list_meta,
        )


def _details(name: str | None, group: str, kind: str, **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name, "group": group, "kind": kind}
    out.update(extra)
    return out


def qualified(group: str, resource: str) -> str:
    """schema.GroupResource.String(): ``pods`` or ``deployments.apps``."""
    return f"{resource}.{group}" if group else resource


def not_found(group: str, resource: str, name: str) -> ApiError:
    return ApiError(
        404,
        "NotFound",
        f'{qualified(group, resource)} "{name}" not found',
        _details(name, group, resource),
    )


def already_exists(group: str, resource: str, name: str) -> ApiError:
    return ApiError(
        409,
        "AlreadyExists",
        f'{qualified(group, resource)} "{name}" already exists',
        _details(name, group, resource),
    )


def conflict(group: str, resource_or_kind: str, name: str, why: str) -> ApiError:
    """errors.NewConflict; delete preconditions pass the Kind here (rest/delete.go)."""
    return ApiError(
        409,
        "Conflict",
        f'Operation cannot be fulfilled on {qualified(group, resource_or_kind)} "{name}": {why}',
        _details(name, group, resource_or_kind),
    )


def bad_request(message: str) -> ApiError:
    return ApiError(400, "BadRequest", message)


def invalid(group: str, kind: str, name: str, causes: list[dict[str, str]]) -> ApiError:
    """errors.NewInvalid: ``Kind "name" is invalid: field: message[, …]``."""
    parts = [f"{c['field']}: {c['message']}" if c.get("field") else c["message"] for c in causes]
    text = parts[0] if len(parts) == 1 else "[" + ", ".join(parts) + "]"
    return ApiError(
        422,
        "Invalid",
        f'{qualified(group, kind)} "{name}" is invalid: {text}',
        _details(name, group, kind, causes=causes),
    )


def expired(message: str, *, list_meta: dict[str, Any] | None = None) -> ApiError:
    return ApiError(410, "Expired", message, list_meta=list_meta)


def unauthorized() -> ApiError:
    return ApiError(401, "Unauthorized", "Unauthorized")


def forbidden(
    group: str,
    resource: str,
    subresource: str | None,
    name: str | None,
    user: str,
    verb: str,
    namespace: str | None,
) -> ApiError:
    """filters/authorization.go → responsewriters.Forbidden: the RBAC denial text of
    ``forbiddenMessage``; the qualified resource leaves the subresource out."""
    scope = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
    full = f"{resource}/{subresource}" if subresource else resource
    what = f'{qualified(group, resource)} "{name}"' if name else qualified(group, resource)
    message = (
        f'{what} is forbidden: User "{user}" cannot {verb} resource "{full}" '
        f'in API group "{group}" {scope}'
    )
    return ApiError(403, "Forbidden", message, _details(name, group, resource))


def method_not_allowed(method: str) -> ApiError:
    return ApiError(
        405, "MethodNotAllowed", "the server does not allow this method on the requested resource"
    )


def not_acceptable(accept: str) -> ApiError:
    return ApiError(
        406,
        "NotAcceptable",
        f"only the following media types are accepted: application/json (got {accept})",
    )


def unsupported_media_type(content_type: str, builtin: bool = True) -> ApiError:
    """415 of the patch handler (``NewGenericServerResponse``, so ``details`` is ``{}``):
    a Content-Type that is no patch type at all gets apimachinery's plain text; a
    strategic merge patch on a custom resource names the types the resource takes."""
    if builtin:
        message = "415: Unsupported Media Type"
    else:
        message = (
            "the body of the request was in an unknown format - accepted media types include: "
            "application/json-patch+json, application/merge-patch+json, "
            f"application/apply-patch+yaml ({content_type})"
        )
    return ApiError(415, "UnsupportedMediaType", message, {})


def internal(message: str) -> ApiError:
    """``ErrorToAPIStatus`` of an error that is no APIStatus: 500 with no reason (the
    watch handler's unparseable resourceVersion)."""
    return ApiError(500, "", message)


def too_large_rv(requested: int, current: int) -> ApiError:
    """cacher ``waitUntilFreshAndBlock`` timing out (storage.NewTooLargeResourceVersionError)."""
    return ApiError(
        504,
        "Timeout",
        f"Timeout: Too large resource version: {requested}, current: {current}",
        {
            "causes": [
                {"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}
            ],
            "retryAfterSeconds": 1,
        },
        retry_after=1,
    )


def forbidden_field(field: str, detail: str) -> tuple[str, str, str]:
    """A ``field.Forbidden`` error: (field, cause reason, error body)."""
    return (field, "FieldValueForbidden", f"Forbidden: {detail}")


def unsupported_field(field: str, value: str, supported: list[str]) -> tuple[str, str, str]:
    """A ``field.NotSupported`` error: (field, cause reason, error body)."""
    allowed = ", ".join(f'"{v}"' for v in supported)
    return (
        field,
        "FieldValueNotSupported",
        f'Unsupported value: "{value}": supported values: {allowed}',
    )


def list_options_invalid(errors: list[tuple[str, str, str]]) -> ApiError:
    """422 of ``ValidateListOptions`` (apimachinery internalversion/validation@v0.33.0),
    raised by apiserver handlers/get.go as ``NewInvalid(meta.k8s.io/ListOptions, "")``."""
    texts = [f"{f}: {body}" for f, _, body in errors]
    text = texts[0] if len(texts) == 1 else "[" + ", ".join(texts) + "]"
    causes = [{"reason": r, "message": body, "field": f} for f, r, body in errors]
    return ApiError(
        422,
        "Invalid",
        f'ListOptions.meta.k8s.io "" is invalid: {text}',
        {"group": "meta.k8s.io", "kind": "ListOptions", "causes": causes},
    )
