"""Idempotency keys: who sent a key, for which request, and for how long it holds."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from catalog_api.errors import ConflictError, InvalidInputError
from catalog_api.models import IdempotencyRecord, Product
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


class CreatedProductDeletedError(ConflictError):
    """The product an Idempotency-Key created was deleted; replaying its 201 would mislead."""

    code = "idempotent-product-deleted"
    title = "The product created under this Idempotency-Key was deleted"

    def __init__(self, product_id: int) -> None:
        super().__init__(
            f"This Idempotency-Key already created product {product_id}, which has since been "
            "deleted; the key will not create it again. Send a new Idempotency-Key to create "
            "a new product.",
            product_id=product_id,
        )


def stored_create(record: IdempotencyRecord, idempotency: IdempotencyKey) -> ProductOut:
    """Return the product a key's first request created, if this request is the same one."""
    if record.fingerprint != idempotency.fingerprint:
        raise InvalidInputError(
            "This Idempotency-Key was already used for a different request; send a new "
            "key for a new product, or resend the first request unchanged.",
            field=IDEMPOTENCY_HEADER,
        )
    return ProductOut.model_validate_json(record.body)


def replayed(created: ProductOut, current: Product | None) -> Created:
    """Replay a stored create, unless the product it made (current, by its id) is gone."""
    # created_at tells the product apart from another that got its id before ids were
    # made unique on SQLite (migration 0004).
    if current is None or current.created_at != created.created_at:
        raise CreatedProductDeletedError(created.id)
    return Created(product=created, replayed=True)


def caller_scope(api_key: str | None) -> str:
    """Return the namespace of a caller's keys: a digest of its API key, or 'anonymous'."""
    if api_key is None:
        return "anonymous"
    return hashlib.sha256(api_key.encode()).hexdigest()


def request_fingerprint(operation: str, payload: Any) -> str:
    """Return a digest of what the request asks for, so a reused key with new content is seen."""
    canonical = json.dumps([operation, payload], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()
