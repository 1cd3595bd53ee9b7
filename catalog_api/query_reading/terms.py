"""The catalog's own filter values (brands, categories, option values, currencies), cached."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import time
import weakref
from dataclasses import dataclass, field

from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from catalog_api.models import Product
from catalog_api.variants.models import VariantOptionValue

logger = logging.getLogger(__name__)

# The commonest values kept of each kind, so memory and the reader's work stay bounded on a
# catalog with millions of products (each kind is one grouped scan of an index or column).
MOST_VALUES = 5_000
# As the search vocabulary: reread after writes (when the last read took a twentieth of the
# time since), and every RELOAD_SECONDS whatever happened (other processes write too).
RELOAD_SECONDS = 300.0
FIRST_LOAD_WAIT_SECONDS = 2.0
INLINE_LOAD_PRODUCTS = 2_000


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


@dataclass
class _Entry:
    terms: CatalogTerms | None = None
    loaded_at: float = 0.0
    load_seconds: float = 0.0
    generation: int = -1
    task: asyncio.Task[None] | None = None


class TermsCache:
    """One CatalogTerms per database, reread in the background when writes made it stale."""

    def __init__(self) -> None:
        self._entries: weakref.WeakKeyDictionary[AsyncEngine, _Entry] = weakref.WeakKeyDictionary()
        self._generation = 0

    def changed(self) -> None:
        """Note that products were written, so the terms should be read again."""
        self._generation += 1

    @property
    def generation(self) -> int:
        """Return a number that grows with every write noted."""
        return self._generation

    async def close(self, engine: AsyncEngine) -> None:
        """Stop a load still running for the database and forget its terms."""
        entry = self._entries.pop(engine, None)
        if entry is not None and entry.task is not None:
            entry.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await entry.task

    async def get(self, engine: AsyncEngine) -> CatalogTerms:
        """Return the database's terms, loading them first or refreshing them behind the scenes."""
        entry = self._entries.setdefault(engine, _Entry())
        if entry.task is None and self._stale(entry):
            # A fresh context: the load must not run under a request's deadline and query slot.
            entry.task = asyncio.create_task(
                self._load(engine, entry), context=contextvars.Context()
            )
        if entry.task is not None:
            small = entry.terms is not None and entry.terms.products <= INLINE_LOAD_PRODUCTS
            if entry.terms is None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(entry.task), FIRST_LOAD_WAIT_SECONDS)
            elif small:
                await asyncio.shield(entry.task)
        return entry.terms or CatalogTerms()

    def _stale(self, entry: _Entry) -> bool:
        if entry.terms is None:
            return True
        age = time.monotonic() - entry.loaded_at
        if age > RELOAD_SECONDS:
            return True
        cheap = entry.terms.products <= INLINE_LOAD_PRODUCTS
        return entry.generation != self._generation and (cheap or age > 20 * entry.load_seconds)

    async def _load(self, engine: AsyncEngine, entry: _Entry) -> None:
        generation = self._generation
        started = time.monotonic()
        try:
            async with engine.connect() as connection:
                terms = await load_terms(connection)
        except Exception:
            logger.exception("could not read the catalog's filter values")
            entry.loaded_at = time.monotonic()  # retried after the reload interval
        else:
            entry.terms = terms
            entry.loaded_at = time.monotonic()
            entry.load_seconds = entry.loaded_at - started
            entry.generation = generation
            logger.debug("catalog filter values read in %.2f s", entry.load_seconds)
        finally:
            entry.task = None


TERMS = TermsCache()


def _written(*_: object) -> None:
    TERMS.changed()


for _model in (Product, VariantOptionValue):
    for _event in ("after_insert", "after_update", "after_delete"):
        event.listen(_model, _event, _written)
