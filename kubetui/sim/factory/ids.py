"""Deterministic identifiers and timestamps in the API's wire formats.

Everything random is drawn from the caller's ``random.Random`` so that a seed reproduces
the same objects byte for byte.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

Obj = dict[str, Any]

K8S_VERSION = "v1.32.2"

#: ``k8s.io/apimachinery/pkg/util/rand`` alphabet used for generateName suffixes.
_ALNUM = "bcdfghjklmnpqrstvwxz2456789"


def new_uid(rng: random.Random) -> str:
    """A version-4 UUID drawn from ``rng`` (metadata.uid, batch ids, session handles).

    Same bits as ``uuid.UUID(int=n, version=4)``, formatted without building a UUID.
    """
    n = rng.getrandbits(128)
    n = (n & ~(0xC000 << 48)) | (0x8000 << 48)
    n = (n & ~(0xF000 << 64)) | (4 << 76)
    h = f"{n:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def name_suffix(rng: random.Random, n: int = 5) -> str:
    """A generateName-style suffix (``utilrand.String``)."""
    return "".join(rng.choice(_ALNUM) for _ in range(n))


def hex_string(rng: random.Random, n: int) -> str:
    return f"{rng.getrandbits(4 * n):0{n}x}"


def container_id(rng: random.Random) -> str:
    return "containerd://" + hex_string(rng, 64)


def spark_app_id(rng: random.Random) -> str:
    """``KubernetesConf.getKubernetesAppId``: ``spark-`` + a dashless UUID."""
    return "spark-" + new_uid(rng).replace("-", "")


def ts(at: datetime) -> str:
    """RFC 3339 with second precision, as metav1.Time marshals."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def micro_ts(at: datetime) -> str:
    """metav1.MicroTime (events.k8s.io ``eventTime``)."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def mib(n: int) -> str:
    return f"{n}Mi"


def parse_ts(value: str) -> datetime:
    """Inverse of ``ts``."""
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def mib_of(quantity: str) -> int:
    """MiB in a ``<n>Mi``/``<n>Gi`` quantity (what the factory emits)."""
    if quantity.endswith("Gi"):
        return int(quantity[:-2]) * 1024
    if quantity.endswith("Mi"):
        return int(quantity[:-2])
    return int(quantity) // (1024 * 1024)
