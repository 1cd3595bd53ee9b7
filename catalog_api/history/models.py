"""The product_changes table: one row per change to one product, kept after a delete."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from catalog_api.models import Base, UTCDateTime, utcnow

ACTOR_MAX = 80
# Key names, cli:<command>, CATALOG_API_KEY and anonymous.
ACTOR_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]*$"
JSONDocument = JSON().with_variant(JSONB(), "postgresql")


class ChangeAction(enum.StrEnum):
    """What kind of change a row records."""

    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    STOCK = "stock"
    DESCRIBE = "describe"
    REVERT = "revert"
    IMPORT = "import"


class ProductChange(Base):
    """One change to one product: who, when, in which request, and each field's old and new value.

    product_id has no foreign key, so a deleted product's history stays. On PostgreSQL xid is
    the writing transaction's id (pg_current_xact_id()), the feed's order and its guard against
    ids that commit out of order; SQLite serialises writers, so there it is 0 and ids suffice.
    """

    __tablename__ = "product_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    product_id: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(ACTOR_MAX))
    request_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    xid: Mapped[int] = mapped_column(BigInteger, default=0)
    # {field: [old, new]}; variant fields as "variants.<sku>.<field>", a whole variant added
    # or removed as "variants.<sku>" (old or new null).
    changes: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    # The change this one reverted, when it is a revert.
    reverts: Mapped[int | None] = mapped_column(Integer, nullable=True)

    __table_args__ = (
        Index("ix_product_changes_product_id_id", "product_id", "id"),
        Index("ix_product_changes_xid_id", "xid", "id"),
        Index("ix_product_changes_actor_action", "actor", "action"),
        Index("ix_product_changes_at", "at"),
        {"sqlite_autoincrement": True},
    )
