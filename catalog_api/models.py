"""SQLAlchemy models of the catalog."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Dialect,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy import Enum as SAEnum
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

if TYPE_CHECKING:
    from catalog_api.variants.models import ProductVariant

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Return the current time in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend (SQLite stores naive text)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Store UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Load UTC."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# products.id is a 32-bit INTEGER on PostgreSQL: no id can be larger.
MAX_PRODUCT_ID = 2**31 - 1

JSONDocument = JSON().with_variant(JSONB(), "postgresql")
JSON_COLUMNS = frozenset({"tags", "attributes", "image_urls", "seo_keywords", "options"})


def _analysed(part: str, context: Any) -> str:
    """Return one search column of the row being inserted (imported late: search needs models)."""
    from catalog_api.search.documents import search_part

    return search_part(part, context.get_current_parameters())


class ProductStatus(enum.StrEnum):
    """Lifecycle of a product."""

    DRAFT = "draft"
    ACTIVE = "active"
    ARCHIVED = "archived"


class Base(DeclarativeBase):
    """Declarative base with a constraint naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Product(Base):
    """A product of the catalog."""

    __tablename__ = "products"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(100))
    tags: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    brand: Mapped[str | None] = mapped_column(String(100), nullable=True, default=None)
    # [{"name": "size", "values": ["S", "M"]}, ...] in display order; empty for a simple product.
    options: Mapped[list[dict[str, Any]]] = mapped_column(JSONDocument, default=list)
    # Derived from the variants in the same transaction as any change to them (lowest price,
    # total stock), so every list, sort, filter and search index over products keeps working.
    price_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    stock_quantity: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[ProductStatus] = mapped_column(
        SAEnum(
            ProductStatus,
            name="product_status",
            native_enum=False,
            length=16,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=ProductStatus.DRAFT,
    )
    attributes: Mapped[dict[str, str]] = mapped_column(JSONDocument, default=dict)
    image_urls: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    seo_keywords: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    # Analysed terms the search index reads: catalog_api/search/documents.py fills them on
    # every ORM insert and update; these defaults cover inserts written with SQL expressions.
    search_title: Mapped[str] = mapped_column(Text, default=lambda c: _analysed("title", c))
    search_labels: Mapped[str] = mapped_column(Text, default=lambda c: _analysed("labels", c))
    search_body: Mapped[str] = mapped_column(Text, default=lambda c: _analysed("body", c))

    variants: Mapped[list[ProductVariant]] = relationship(
        back_populates="product",
        lazy="selectin",
        order_by="ProductVariant.position",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    __mapper_args__: dict[str, Any] = {"version_id_col": version}  # noqa: RUF012
    __table_args__ = (
        Index("ix_products_category", "category"),
        Index("ix_products_status", "status"),
        Index("ix_products_created_at_id", "created_at", "id"),
        Index("ix_products_price_minor_id", "price_minor", "id"),
        Index("ix_products_currency_price_minor_id", "currency", "price_minor", "id"),
        Index("ix_products_title_id", "title", "id"),
        # Never reuse a deleted product's id (and so its ETag); migration 0004.
        {"sqlite_autoincrement": True},
    )


class IdempotencyRecord(Base):
    """The first response to a create sent with an Idempotency-Key."""

    __tablename__ = "idempotency_keys"

    scope: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_idempotency_keys_expires_at", "expires_at"),)


# The variant tables join the metadata and the mapper registry wherever products are used.
from catalog_api.semantic import models as _semantic_models  # noqa: E402, F401
from catalog_api.variants import models as _variant_models  # noqa: E402, F401
