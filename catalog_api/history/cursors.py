"""Opaque positions in the change history, and reading the feed's `since`."""

from __future__ import annotations

import base64
import binascii
import re
from datetime import UTC, datetime

from catalog_api.errors import InvalidInputError
from catalog_api.history.repository import Position
from catalog_api.pagination import INVALID_CURSOR

_POSITION = re.compile(r"h1\.(\d{1,19})\.(\d{1,10})")
INVALID_SINCE = (
    "since is neither a next_cursor of this feed nor an ISO 8601 time with its offset "
    "(e.g. 2026-12-06T17:00:00Z)."
)


def encode_position(xid: int, change_id: int) -> str:
    """Encode the position after a change."""
    return base64.urlsafe_b64encode(f"h1.{xid}.{change_id}".encode()).decode().rstrip("=")


def decode_position(cursor: str, field: str = "cursor") -> Position:
    """Decode a position made by encode_position; anything else is a 422 naming field."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raw = ""
    match = _POSITION.fullmatch(raw)
    if match is None or int(match[1]) >= 2**63 or int(match[2]) >= 2**31:
        message = INVALID_CURSOR if field == "cursor" else INVALID_SINCE
        raise InvalidInputError(message, field=field)
    return int(match[1]), int(match[2])


def read_since(since: str) -> Position | datetime:
    """Read `since`: a cursor from an earlier page, or an ISO 8601 time with its offset."""
    try:
        moment = datetime.fromisoformat(since)
    except ValueError:
        return decode_position(since, "since")
    if moment.tzinfo is None:
        raise InvalidInputError(INVALID_SINCE, field="since")
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:59:59-14:00 is past the last UTC instant
        raise InvalidInputError(INVALID_SINCE, field="since") from None
