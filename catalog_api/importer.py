"""Bulk import of products from JSON Lines or CSV files."""

from __future__ import annotations

import csv
import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, TextIO

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from catalog_api.currencies import MINOR_UNITS
from catalog_api.errors import DomainError
from catalog_api.schemas import ProductCreate
from catalog_api.services import ProductService
from catalog_api.text import slugify

logger = logging.getLogger(__name__)

LIST_FIELDS = ("tags", "image_urls", "seo_keywords")
LIST_SEPARATOR = "|"


@dataclass
class ImportReport:
    """What an import did: rows imported and rows rejected with line and reason."""

    imported: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)


class RowError(ValueError):
    """A row that cannot become a product."""


def describe_validation_error(error: ValidationError) -> str:
    """Summarise a pydantic error as 'field: message; ...'."""
    parts = []
    for item in error.errors():
        name = ".".join(str(p) for p in item["loc"]) or "row"
        parts.append(f"{name}: {item['msg']}")
    return "; ".join(parts)


def _price_to_minor(row: dict[str, Any]) -> None:
    if "price" not in row:
        return
    price = row.pop("price")
    if "price_minor" in row:
        raise RowError("give either price or price_minor, not both")
    currency = str(row.get("currency", "")).upper()
    exponent = MINOR_UNITS.get(currency)
    if exponent is None:
        raise RowError("price needs a valid currency to convert to minor units")
    try:
        minor = Decimal(str(price)).scaleb(exponent)
    except InvalidOperation as error:
        raise RowError(f"price: not a number: {price!r}") from error
    if minor != minor.to_integral_value():
        raise RowError(f"price: {price} has more decimals than {currency} allows")
    row["price_minor"] = int(minor)


def parse_jsonl(stream: TextIO) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (line number, object) for each non-empty line; raise RowError per bad line."""
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as error:
            yield number, {"__error__": f"invalid JSON: {error.msg} at column {error.colno}"}
            continue
        if not isinstance(value, dict):
            yield number, {"__error__": "each line must be a JSON object"}
            continue
        yield number, value


def _csv_value(name: str, value: str) -> Any:
    if name in LIST_FIELDS:
        return [part.strip() for part in value.split(LIST_SEPARATOR) if part.strip()]
    if name == "attributes":
        if value.lstrip().startswith("{"):
            return json.loads(value)
        pairs = [p.split("=", 1) for p in value.split(LIST_SEPARATOR) if p.strip()]
        if any(len(p) != 2 for p in pairs):
            raise RowError("attributes: use key=value|key=value or a JSON object")
        return {k.strip(): v.strip() for k, v in pairs}
    return value


def parse_csv(stream: TextIO) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (line number, row) for each CSV record; lists use '|' as separator."""
    reader = csv.DictReader(stream)
    line = 1
    for record in reader:
        start, line = line + 1, reader.line_num
        if None in record:
            yield start, {"__error__": "the row has more values than the header has columns"}
            continue
        try:
            row = {k: _csv_value(k, v) for k, v in record.items() if v is not None and v != ""}
        except (RowError, json.JSONDecodeError) as error:
            yield start, {"__error__": str(error)}
            continue
        yield start, row


def parser_for(path: Path) -> Callable[[TextIO], Iterator[tuple[int, dict[str, Any]]]]:
    """Choose the parser by file extension."""
    suffix = path.suffix.lower()
    if suffix in {".jsonl", ".ndjson", ".json"}:
        return parse_jsonl
    if suffix == ".csv":
        return parse_csv
    raise ValueError(f"unknown file type {suffix!r}: use .jsonl, .ndjson or .csv")


def validate_row(row: dict[str, Any]) -> ProductCreate:
    """Turn a parsed row into a product or raise RowError with the reason."""
    if "__error__" in row:
        raise RowError(row["__error__"])
    _price_to_minor(row)
    try:
        return ProductCreate.model_validate(row)
    except ValidationError as error:
        raise RowError(describe_validation_error(error)) from error


class Importer:
    """Validate rows and insert the valid ones in batches, one transaction per batch."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], batch_size: int = 1000) -> None:
        self.sessions = sessions
        self.batch_size = batch_size

    async def run(
        self,
        rows: Iterator[tuple[int, dict[str, Any]]],
        *,
        progress: Callable[[int], object] | None = None,
    ) -> ImportReport:
        """Import all rows; progress gets the number of rows handled after each batch."""
        report = ImportReport()
        batch: list[tuple[int, ProductCreate]] = []
        for number, row in rows:
            try:
                batch.append((number, validate_row(row)))
            except RowError as error:
                report.rejected.append((number, str(error)))
                if progress:
                    progress(1)
            if len(batch) >= self.batch_size:
                await self._flush(batch, report, progress)
                batch = []
        if batch:
            await self._flush(batch, report, progress)
        report.rejected.sort()
        return report

    async def _flush(
        self,
        batch: list[tuple[int, ProductCreate]],
        report: ImportReport,
        progress: Callable[[int], object] | None,
    ) -> None:
        try:
            async with self.sessions() as session:
                rejected = await ProductService(session).import_rows([p for _, p in batch])
        except IntegrityError:
            logger.info("a concurrent writer took a slug; importing this batch row by row")
            rejected = await self._one_by_one(batch)
        for index, reason in rejected:
            report.rejected.append((batch[index][0], reason))
        report.imported += len(batch) - len(rejected)
        if progress:
            progress(len(batch))

    async def _one_by_one(self, batch: list[tuple[int, ProductCreate]]) -> list[tuple[int, str]]:
        rejected = []
        for index, (_, product) in enumerate(batch):
            if product.slug is None:
                product = product.model_copy(update={"slug": slugify(product.title) or "product"})
            try:
                async with self.sessions() as session:
                    await ProductService(session).create(product)
            except DomainError as error:
                rejected.append((index, error.detail))
        return rejected
