"""Many product ids in one bound parameter: a thousand bound values cost more than the rows."""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlalchemy import ColumnElement, Integer, any_, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY

from catalog_api.models import Product


def product_id_among(dialect: str, ids: Sequence[int], name: str) -> ColumnElement[bool]:
    """Return `products.id` in ids, the ids bound as one PostgreSQL array or SQLite JSON list."""
    if dialect == "postgresql":
        return Product.id == any_(bindparam(name, list(ids), type_=ARRAY(Integer)))
    listed = func.json_each(bindparam(name, json.dumps(list(ids)))).table_valued("value")
    return Product.id.in_(select(listed.c.value))
