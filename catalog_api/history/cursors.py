"""Opaque positions in the change history, and reading the feed's `since`."""

from __future__ import annotations

import base64
import binascii
import re
from datetime import UTC, datetime

from catalog_api.errors import InvalidInputError
from catalog_api.history.repository import Position

_POSITION = re.compile(r"h1\.(\d{1,19})\.(\d{1,10})")


def encode_position(xid: int, change_id: int) -> str:
    """Encode the position after a change."""
    return base64.urlsafe_b64encode(f"h1.{xid}.{change_id}".encode()).decode().rstrip("=")


def decode_position(cursor: str, field: str) -> Position:
    """Decode a position made by encode_position; anything else is a 422 naming field."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raw = ""
    match = _POSITION.fullmatch(raw)
    if match is None or int(match[1]) >= 2**63 or int(match[2]) >= 2**31:
        raise InvalidInputError(
            "Not a cursor of the change history; start again without one.", field=field
        )
    return int(match[1]), int(match[2])


def read_since(since: str) -> Position | datetime:
    """Read `since`: a cursor from an earlier page, or an ISO 8601 time with its offset."""
    try:
        moment = datetime.fromisoformat(since)
    except ValueError:
        return decode_position(since, "since")
    if moment.tzinfo is None:
        raise InvalidInputError(
            "A time in `since` needs its UTC offset, e.g. 2026-12-06T17:00:00Z.", field="since"
        )
    return moment.astimezone(UTC)
