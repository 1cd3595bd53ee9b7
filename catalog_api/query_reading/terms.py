"""The catalog's own filter values (brands, categories, option values, currencies), cached."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from catalog_api.models import Product
from catalog_api.reloading import ReloadingCache
from catalog_api.variants.models import VariantOptionValue

logger = logging.getLogger(__name__)

# The commonest values kept of each kind, so memory and the reader's work stay bounded on a
# catalog with millions of products (each kind is one grouped scan of an index or column).
MOST_VALUES = 5_000


@dataclass(frozen=True)
class CatalogTerms:
    """Filter values that exist in the catalog, casefolded, with how many products hold them."""

    products: int = 0
    brands: dict[str, tuple[str, int]] = field(default_factory=dict)  # folded -> (as stored, n)
    categories: dict[str, int] = field(default_factory=dict)
    # option name -> value -> products with a variant holding it
    options: dict[str, dict[str, int]] = field(default_factory=dict)
    currencies: tuple[tuple[str, int], ...] = ()  # commonest first
    loaded: bool = False

    @property
    def sole_currency(self) -> str | None:
        """Return the one currency every product is priced in, None when there are more or none."""
        return self.currencies[0][0] if len(self.currencies) == 1 else None

    @property
    def main_currency(self) -> str | None:
        """Return the currency most products are priced in, None for an empty catalog."""
        return self.currencies[0][0] if self.currencies else None


async def load_terms(connection: AsyncConnection) -> CatalogTerms:
    """Read the commonest brands, categories, option values and currencies of the catalog."""
    count = func.count()
    brand_rows = await connection.execute(
        select(func.lower(Product.brand), func.min(Product.brand), count)
        .where(Product.brand.is_not(None))
        .group_by(func.lower(Product.brand))
        .order_by(count.desc())
        .limit(MOST_VALUES)
    )
    category_rows = await connection.execute(
        select(Product.category, count)
        .group_by(Product.category)
        .order_by(count.desc())
        .limit(MOST_VALUES)
    )
    holders = func.count(VariantOptionValue.product_id.distinct())
    option_rows = await connection.execute(
        select(VariantOptionValue.name, VariantOptionValue.value, holders)
        .group_by(VariantOptionValue.name, VariantOptionValue.value)
        .order_by(holders.desc())
        .limit(MOST_VALUES)
    )
    currency_rows = await connection.execute(
        select(Product.currency, count).group_by(Product.currency).order_by(count.desc())
    )
    options: dict[str, dict[str, int]] = {}
    for name, value, n in option_rows:
        options.setdefault(str(name), {})[str(value)] = int(n)
    currencies = tuple((str(code), int(n)) for code, n in currency_rows)
    return CatalogTerms(
        products=sum(n for _, n in currencies),
        brands={str(folded): (str(shown), int(n)) for folded, shown, n in brand_rows},
        categories={str(name).casefold(): int(n) for name, n in category_rows},
        options=options,
        currencies=currencies,
        loaded=True,
    )


def _terms_read(terms: CatalogTerms, seconds: float) -> None:
    logger.debug("catalog filter values read in %.2f s", seconds)


TERMS = ReloadingCache(
    "catalog's filter values", load_terms, CatalogTerms, lambda terms: terms.products, _terms_read
)


def _written(*_: object) -> None:
    TERMS.changed()


for _model in (Product, VariantOptionValue):
    for _event in ("after_insert", "after_update", "after_delete"):
        event.listen(_model, _event, _written)
