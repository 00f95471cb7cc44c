"""Accept-header negotiation: plain JSON, Table, or PartialObjectMetadata(List).

kube-apiserver picks the first media range of ``Accept`` it can serve
(kubernetes/apiserver@v0.33.0 ``pkg/endpoints/handlers/negotiation``); the ``as``/``g``/
``v`` parameters ask it to convert the response (``handlers/response.go``
``targetEncodingForTransform``). The answer's Content-Type is plain ``application/json``
whatever was converted. The sim serves JSON only, so protobuf, CBOR and YAML ranges are
skipped like any other unsupported range.
"""

from __future__ import annotations

from dataclasses import dataclass

from kubetui.sim import wire_status

_META_VERSIONS = ("v1", "v1beta1")
_CONVERSIONS = ("Table", "PartialObjectMetadata", "PartialObjectMetadataList")


@dataclass(frozen=True, slots=True)
class Target:
    """What to send: ``kind`` None = the object itself, else a meta.k8s.io conversion."""

    kind: str | None = None
    version: str = "v1"

    @property
    def api_version(self) -> str:
        return f"meta.k8s.io/{self.version}"


PLAIN = Target()


def _parse_range(text: str) -> tuple[str, dict[str, str]]:
    parts = [p.strip() for p in text.split(";")]
    params: dict[str, str] = {}
    for p in parts[1:]:
        if "=" in p:
            k, _, v = p.partition("=")
            params[k.strip().lower()] = v.strip().strip('"')
    return parts[0].lower(), params


def negotiate(accept: str | None) -> Target:
    """The first range of ``accept`` the sim can serve; 406 NotAcceptable if none."""
    if not accept or not accept.strip():
        return PLAIN
    for item in accept.split(","):
        media, params = _parse_range(item)
        if media not in ("application/json", "application/*", "*/*"):
            continue
        as_kind = params.get("as")
        if as_kind is None:
            return PLAIN
        if (
            as_kind in _CONVERSIONS
            and params.get("g") == "meta.k8s.io"
            and params.get("v") in _META_VERSIONS
        ):
            return Target(as_kind, params["v"])
    raise wire_status.ApiError(
        406,
        "NotAcceptable",
        "only the following media types are accepted: application/json, application/yaml, "
        "application/vnd.kubernetes.protobuf, application/cbor",
    )
