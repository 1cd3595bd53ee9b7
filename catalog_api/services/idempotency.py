"""Idempotency keys: who sent a key, for which request, and for how long it holds."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from catalog_api.schemas import ProductOut

IDEMPOTENCY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"


@dataclass(frozen=True, kw_only=True)
class IdempotencyKey:
    """A client's key for one logical request, bound to that request's content."""

    scope: str
    key: str
    fingerprint: str
    ttl: timedelta


@dataclass(frozen=True, kw_only=True)
class Created:
    """The product a create made, or the one a replayed key made first."""

    product: ProductOut
    replayed: bool = False


def caller_scope(api_key: str | None) -> str:
    """Return the namespace of a caller's keys: a digest of its API key, or 'anonymous'."""
    if api_key is None:
        return "anonymous"
    return hashlib.sha256(api_key.encode()).hexdigest()


def request_fingerprint(operation: str, payload: Any) -> str:
    """Return a digest of what the request asks for, so a reused key with new content is seen."""
    canonical = json.dumps([operation, payload], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()
