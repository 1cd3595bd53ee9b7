"""Opaque keyset cursors."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
from datetime import datetime
from typing import Any

from catalog_api.errors import InvalidInputError
from catalog_api.repositories import KeysetPosition

INVALID_CURSOR = "The cursor is not valid for this query; start again without a cursor."


def fingerprint(params: dict[str, Any]) -> str:
    """Return a short digest of the query a cursor belongs to."""
    canonical = json.dumps(params, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.blake2b(canonical.encode(), digest_size=6).hexdigest()


def encode_cursor(value: Any, product_id: int, query: str) -> str:
    """Encode the position after a row as an opaque string."""
    if isinstance(value, datetime):
        value = {"dt": value.isoformat()}
    payload = json.dumps({"v": value, "id": product_id, "q": query}, separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, query: str, value_type: type) -> KeysetPosition:
    """Decode a cursor made by encode_cursor for the same query and sort value type."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        value, product_id, cursor_query = data["v"], data["id"], data["q"]
        if value_type is datetime:
            value = datetime.fromisoformat(value["dt"])
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeEncodeError) as error:
        raise InvalidInputError(INVALID_CURSOR, field="cursor") from error
    if cursor_query != query or not _valid_value(product_id, int) or product_id < 0:
        raise InvalidInputError(INVALID_CURSOR, field="cursor")
    if not _valid_value(value, value_type):
        raise InvalidInputError(INVALID_CURSOR, field="cursor")
    return KeysetPosition(value=float(value) if value_type is float else value, id=product_id)


def _valid_value(value: Any, value_type: type) -> bool:
    if isinstance(value, bool):
        return False
    if value_type is float:
        return isinstance(value, int | float) and math.isfinite(value)
    if value_type is int:
        return isinstance(value, int) and -(2**63) <= value < 2**63
    if value_type is datetime:
        return isinstance(value, datetime) and value.tzinfo is not None
    if value_type is str:
        return isinstance(value, str) and "\x00" not in value
    return isinstance(value, value_type)
