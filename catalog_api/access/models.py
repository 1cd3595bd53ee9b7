"""The api_keys table: one row per named key, its scopes and the digest of its token."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from catalog_api.models import Base, UTCDateTime, utcnow

KEY_NAME_MAX = 64


class ApiKey(Base):
    """A named key; revoked keys stay, so their name keeps meaning what it did."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(KEY_NAME_MAX))
    scopes: Mapped[str] = mapped_column(String(100))
    token_digest: Mapped[str] = mapped_column(String(64))
    shown: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (
        Index("ix_api_keys_token_digest", "token_digest", unique=True),
        # One active key per name; a revoked key's name can be given to its replacement.
        Index(
            "ix_api_keys_name_active",
            "name",
            unique=True,
            sqlite_where=text("revoked_at IS NULL"),
            postgresql_where=text("revoked_at IS NULL"),
        ),
    )
