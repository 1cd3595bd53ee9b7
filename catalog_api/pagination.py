"""Opaque keyset cursors."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
from datetime import UTC, datetime
from typing import Annotated, Any, Generic, TypeVar

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from catalog_api.errors import InvalidInputError
from catalog_api.models import MAX_PRODUCT_ID
from catalog_api.repositories import KeysetPosition

logger = logging.getLogger(__name__)

INVALID_CURSOR = "The cursor is not valid for this query; start again without a cursor."

ValueT = TypeVar("ValueT")


def _in_utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError as error:  # 9999-12-31T23:59:59-14:00 is past the last UTC instant
        raise ValueError("the instant is outside the years 1 to 9999 in UTC") from error


def _no_nul(value: str) -> str:
    if "\x00" in value:  # PostgreSQL text cannot hold NUL
        raise ValueError("NUL character")
    return value


class _Instant(BaseModel):
    """A timestamp sort value, as {"dt": ISO 8601 with offset}."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    dt: Annotated[AwareDatetime, AfterValidator(_in_utc)]


class _Payload(BaseModel, Generic[ValueT]):
    """What a cursor holds: the last row's sort value and id, and a tag of its query."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    v: ValueT
    id: Annotated[int, Field(ge=0, le=MAX_PRODUCT_ID)]
    q: str


# One strict schema per sort value type. The JSON is parsed by pydantic-core, which refuses
# NaN, Infinity, lone surrogates and deep nesting before any value reaches a database driver.
_PAYLOADS: dict[type, type[_Payload[Any]]] = {
    float: _Payload[Annotated[float, Field(allow_inf_nan=False)]],
    int: _Payload[Annotated[int, Field(ge=-(2**63), lt=2**63)]],
    str: _Payload[Annotated[str, AfterValidator(_no_nul)]],
    datetime: _Payload[_Instant],
}


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
    """Decode a cursor made by encode_cursor for the same query and sort value type.

    Anything else, however it is malformed, is an InvalidInputError (422).
    """
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        payload = _PAYLOADS[value_type].model_validate_json(raw)
    except ValueError as error:  # binascii.Error and pydantic's ValidationError are ValueErrors
        reason = error.errors()[0]["msg"] if isinstance(error, ValidationError) else error
        logger.debug("refused a cursor: %s", reason)
        raise InvalidInputError(INVALID_CURSOR, field="cursor") from error
    if payload.q != query:
        raise InvalidInputError(INVALID_CURSOR, field="cursor")
    value = payload.v.dt if isinstance(payload.v, _Instant) else payload.v
    return KeysetPosition(value=value, id=payload.id)
