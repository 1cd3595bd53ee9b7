"""AI product copy for stored and prospective products."""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from catalog_api.currencies import format_price
from catalog_api.db import begin_write
from catalog_api.errors import ConcurrentUpdateError, ProductNotFoundError, ServiceUnavailableError
from catalog_api.history.context import mark_action
from catalog_api.llm.base import ProductFacts
from catalog_api.llm.chain import AllProvidersFailedError, CopyChain, CopyResult
from catalog_api.llm.offline import OfflineProvider
from catalog_api.models import Product, utcnow
from catalog_api.repositories import ProductRepository
from catalog_api.schemas import DescribeRequest, DescribeResult, ProductOut, ProviderAttempt

logger = logging.getLogger(__name__)


def facts_of(product: Product) -> ProductFacts:
    """Return what a provider may know about a stored product."""
    return ProductFacts(
        title=product.title,
        category=product.category,
        description=product.description,
        tags=tuple(product.tags),
        attributes=tuple(product.attributes.items()),
        price=format_price(product.price_minor, product.currency),
        currency=product.currency,
    )


class DescribeService:
    """Generate copy with the provider chain; optionally save it on the product."""

    def __init__(self, session: AsyncSession, chain: CopyChain) -> None:
        self.session = session
        self.chain = chain
        self.products = ProductRepository(session)

    async def describe_product(self, product_id: int, *, save: bool) -> DescribeResult:
        """Write copy for a stored product; with save, store it and bump the version."""
        product = await self.products.get(product_id)
        if product is None:
            raise ProductNotFoundError(f"No product has id {product_id}.")
        read_version, facts = product.version, facts_of(product)
        # No transaction stays open while a provider thinks (that could take seconds).
        await self.session.rollback()
        result = await self._generate(facts)
        if not save:
            return self._result(result, saved=False, version=read_version)
        await begin_write(self.session)
        product = await self.products.get(product_id)
        if product is None:
            raise ProductNotFoundError(f"Product {product_id} was deleted meanwhile.")
        if product.version != read_version:
            raise ConcurrentUpdateError(
                "The product changed while its copy was being written; describe it again."
            )
        mark_action(self.session.sync_session, "describe")
        product.description = result.copy.description
        product.seo_keywords = result.copy.keywords
        product.updated_at = utcnow()
        await self.products.flush(slug=product.slug)
        await self.session.commit()
        logger.info("saved %s copy on product %s", result.provider, product_id)
        saved = ProductOut.model_validate(product)
        return self._result(result, saved=True, version=saved.version, product=saved)

    async def preview(self, request: DescribeRequest) -> DescribeResult:
        """Write copy for a product that is not stored."""
        facts = ProductFacts(
            title=request.title,
            category=request.category,
            description=request.description,
            tags=tuple(request.tags),
            attributes=tuple(request.attributes.items()),
        )
        return self._result(await self._generate(facts), saved=False)

    async def _generate(self, facts: ProductFacts) -> CopyResult:
        try:
            return await self.chain.generate(facts)
        except AllProvidersFailedError as error:
            raise ServiceUnavailableError(
                f"No copy provider answered: {error}",
                failed=[{"provider": a.provider, "reason": a.reason} for a in error.failed],
            ) from error

    @staticmethod
    def _result(
        result: CopyResult,
        *,
        saved: bool,
        version: int | None = None,
        product: ProductOut | None = None,
    ) -> DescribeResult:
        return DescribeResult(
            description=result.copy.description,
            keywords=result.copy.keywords,
            provider=result.provider,
            failed=[ProviderAttempt(provider=a.provider, reason=a.reason) for a in result.failed],
            skipped=[ProviderAttempt(provider=a.provider, reason=a.reason) for a in result.skipped],
            template=result.provider == OfflineProvider.name,
            saved=saved,
            product_version=version,
            product=product,
        )
