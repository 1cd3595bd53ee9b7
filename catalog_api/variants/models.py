"""Variant tables: one row per sellable version of a product, and its option values for filters.

Option values are stored twice, for two readers. `product_variants.option_values` holds the
variant's values as given (``{"size": "M", "colour": "Blue"}``) for output.
`variant_option_values` holds one row per (variant, option) with the name and value
casefolded, keyed by (name, value, variant_id): a later filter such as
``option.size=10&option.colour=blue`` (a product matches when ONE variant has all the values)
is then one index range per option value, joined on variant_id, each probe an index lookup,
whatever the number of options; product_id rides along so the match reaches products without
touching product_variants. A JSON column or one combined key per variant could not be indexed
for a subset of the options at 3-5M variants.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog_api.models import Base, UTCDateTime, utcnow

if TYPE_CHECKING:
    from catalog_api.models import Product

SKU_MAX_LENGTH = 120
# Printable ASCII but space and / ? # % \, so that a SKU reads the same in a URL path.
SKU_PATTERN = r'^[!"$&-.0-9:->@-\[\]-~]+$'
OPTION_NAME_MAX = 50
OPTION_VALUE_MAX = 100
JSONDocument = JSON().with_variant(JSONB(), "postgresql")


class ProductVariant(Base):
    """One sellable version of a product: its SKU, option values, price and stock."""

    __tablename__ = "product_variants"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # ON DELETE CASCADE, and SQLite runs with foreign_keys=ON: a future migration that
    # rebuilds products on SQLite (as 0004 did) must keep the variants aside first.
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    sku: Mapped[str] = mapped_column(String(SKU_MAX_LENGTH))
    position: Mapped[int] = mapped_column(Integer)
    option_values: Mapped[dict[str, str]] = mapped_column(JSONDocument, default=dict)
    price_minor: Mapped[int] = mapped_column(BigInteger)
    compare_at_price_minor: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    stock_quantity: Mapped[int] = mapped_column(Integer, default=0)
    barcode: Mapped[str | None] = mapped_column(String(14), nullable=True)
    weight_grams: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    product: Mapped[Product] = relationship(back_populates="variants", lazy="raise")

    __mapper_args__: dict[str, Any] = {"version_id_col": version}  # noqa: RUF012
    __table_args__ = (
        # A unique index rather than a constraint: migration 0007 builds it after copying
        # every product in, and SQLite can add an index but not a constraint to a table.
        Index("ix_product_variants_sku", "sku", unique=True),
        Index("ix_product_variants_product_id_position", "product_id", "position"),
        # sort=price walks variants in price order (variants/price_walk.py, migration 0013).
        Index("ix_product_variants_price_minor_product_id", "price_minor", "product_id"),
        # Never reuse a deleted variant's id, and so its ETag (as products, migration 0004).
        {"sqlite_autoincrement": True},
    )

    @property
    def etag(self) -> str:
        """Return the strong entity tag of this version of the variant."""
        return f'"v{self.id}.{self.version}"'


class VariantOptionValue(Base):
    """One option value of one variant, casefolded, for indexed option filters."""

    __tablename__ = "variant_option_values"

    # Casefolding can triple a character's length ('ΐ'), so room for that.
    name: Mapped[str] = mapped_column(String(3 * OPTION_NAME_MAX), primary_key=True)
    value: Mapped[str] = mapped_column(String(3 * OPTION_VALUE_MAX), primary_key=True)
    variant_id: Mapped[int] = mapped_column(
        ForeignKey("product_variants.id", ondelete="CASCADE"), primary_key=True
    )
    product_id: Mapped[int] = mapped_column(Integer)

    __table_args__ = (
        # Rewriting a product's rows, and a filter that starts from products.
        Index("ix_variant_option_values_product_id_name_value", "product_id", "name", "value"),
        Index("ix_variant_option_values_variant_id", "variant_id"),
        # On SQLite the key is the table: a filter's range scan reads no second b-tree.
        {"sqlite_with_rowid": False},
    )
