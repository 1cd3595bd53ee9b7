"""The product_embeddings table: one vector per product, with what it was computed from."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from catalog_api.models import Base, UTCDateTime, utcnow


class ProductEmbedding(Base):
    """A product's vector: float16 bytes of the model's unit vector of its embedded text."""

    __tablename__ = "product_embeddings"

    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), primary_key=True
    )
    model: Mapped[str] = mapped_column(String(64))
    # blake2b of the embedded text: a change that leaves the text alone embeds nothing.
    text_hash: Mapped[str] = mapped_column(String(32))
    # The product's version read with the text: a later version is checked again.
    product_version: Mapped[int] = mapped_column(Integer)
    vector: Mapped[bytes] = mapped_column(LargeBinary)
    embedded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_product_embeddings_embedded_at", "embedded_at"),)
