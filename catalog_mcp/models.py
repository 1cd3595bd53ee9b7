"""Results of the MCP tools, sized for an agent's context window."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, Field

from catalog_mcp.untrusted import clean_data
from catalog_mcp.variant_models import (
    Availability,
    Option,
    Selection,
    Variant,
    availability,
    minor_unit,
    option_names,
    price_text,
    stock_counts,
)

SUMMARY_DESCRIPTION_CHARS = 240
SUMMARY_TAGS = 8
SUMMARY_ATTRIBUTES = 3
SUMMARY_ATTRIBUTE_CHARS = 40

Status = Literal["draft", "active", "archived"]


Detail = Literal["compact", "full"]


def _short(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"


# Runs of str.isalnum() characters: \w is exactly isalnum() plus '_'.
_WORD = re.compile(r"[^\W_]+")


def _words(text: str) -> str:
    """Return text's words, casefolded, each after one space: ' copper kettle'."""
    return " " + " ".join(_WORD.findall(text.casefold()))


_SUFFIXES = ("ing", "ers", "er", "ed", "es", "s")


def _stem(word: str) -> str:
    """Cut one common English ending, so 'running' and 'runs' both give 'run'."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    if len(word) >= 4 and word[-1] == word[-2] and word[-1] not in "aeiou":
        word = word[:-1]
    return word


def _has_word(words: str, wanted: str, stem: str) -> bool:
    """Say whether a word of _words() starts with stem, wanted's stem (a prefix of it)."""
    if stem.isalnum():
        return f" {stem}" in words
    return any(word == wanted or word.startswith(stem) for word in words.split())


def matched_fields(product: dict[str, Any], searched: list[str]) -> str | None:
    """Say in which field each searched word was found, e.g. 'title: kettle; tags: copper'."""
    attributes: dict[str, str] = product.get("attributes") or {}
    texts: dict[str, Callable[[], str]] = {
        "title": lambda: product.get("title", ""),
        "category": lambda: product.get("category", ""),
        "tags": lambda: " ".join(product.get("tags", [])),
        "attributes": lambda: " ".join(f"{k} {v}" for k, v in attributes.items()),
        "description": lambda: product.get("description", ""),
    }
    # A field is split into words only when an earlier field lacks a searched word.
    fields: dict[str, str] = {}
    found: dict[str, list[str]] = {}
    for wanted in dict.fromkeys(w.casefold() for w in searched):
        stem = _stem(wanted)
        for name, text in texts.items():
            words = fields.get(name)
            if words is None:
                words = fields[name] = _words(text())
            if _has_word(words, wanted, stem):
                found.setdefault(name, []).append(wanted)
                break
    return "; ".join(f"{name}: {', '.join(found[name])}" for name in texts if name in found) or None


# What a summary reads, so that only these are cleaned (not images, SEO keywords, variants).
_SUMMARY_FIELDS = (
    *("id", "slug", "title", "description", "category", "tags", "attributes", "status"),
    *("price", "price_max", "price_minor", "currency", "stock_quantity", "available"),
    *("options", "version"),
)


class ProductSummary(BaseModel):
    """A product in a list. compact (default): what a choice needs; full adds the rest."""

    id: int
    title: str
    price: str = Field(description="e.g. '19.99 USD'; lowest-highest of its variants.")
    available: bool = Field(description="Active and in stock.")
    availability: Availability
    options: str | None = Field(default=None, description="Option names (how many values).")
    stock: str | None = Field(default=None, description="When some variants are sold out.")
    category: str
    key: dict[str, str] | None = Field(
        default=None, description=f"Up to {SUMMARY_ATTRIBUTES} attributes (full: all)."
    )
    matched: str | None = Field(default=None, description="Field where each word is.")
    status: Status | None = Field(default=None, description="When not active (full: always).")
    slug: str | None = None
    price_minor: int | None = None
    currency: str | None = None
    stock_quantity: int | None = None
    tags: list[str] | None = None
    description: str | None = Field(
        default=None, description=f"First {SUMMARY_DESCRIPTION_CHARS} characters."
    )
    version: int | None = None

    @classmethod
    def from_api(
        cls, product: dict[str, Any], *, detail: Detail = "compact", searched: tuple[str, ...] = ()
    ) -> ProductSummary:
        """Summarise a product from the API."""
        data = {k: clean_data(product[k]) for k in _SUMMARY_FIELDS if k in product}
        attributes: dict[str, str] = data.get("attributes") or {}
        full = detail == "full"
        shown = attributes if full else dict(list(attributes.items())[:SUMMARY_ATTRIBUTES])
        summary = cls(
            id=data["id"],
            title=data["title"],
            price=price_text(data),
            available=data.get("available", False),
            availability=availability(data),
            options=option_names(data),
            stock=stock_counts(product),  # counts stocked variants: numbers only
            category=data["category"],
            key={k: _short(v, SUMMARY_ATTRIBUTE_CHARS) for k, v in shown.items()} or None,
            matched=matched_fields(data, list(searched)) if searched else None,
            status=data["status"] if full or data["status"] != "active" else None,
        )
        if full:
            summary.slug = data["slug"]
            summary.price_minor = data["price_minor"]
            summary.currency = data["currency"]
            summary.stock_quantity = data["stock_quantity"]
            summary.tags = data.get("tags", [])[:SUMMARY_TAGS]
            summary.description = _short(data.get("description", ""), SUMMARY_DESCRIPTION_CHARS)
            summary.version = data.get("version")
        return summary


class PriceBand(BaseModel):
    """Matches priced from min to max (minor units, inclusive) in one currency."""

    currency: str
    min: int
    max: int
    count: int


class Facets(BaseModel):
    """Counts of matches by category, tag, status, brand, option, attribute, price band (minor
    units, per currency); how many were counted: to choose the next filter."""

    category: dict[str, int] = Field(description="Top categories -> matches.")
    tag: dict[str, int] = Field(description="Top tags -> matches.")
    status: dict[str, int]
    brand: dict[str, int] | None = Field(default=None, description="Top brands -> matches.")
    option: dict[str, dict[str, int]] | None = Field(
        default=None, description="Option name -> value -> matches (casefolded)."
    )
    attribute: dict[str, dict[str, int]] | None = Field(
        default=None, description="Attribute key -> value -> matches."
    )
    price: list[PriceBand] = Field(description="Price bands of the commonest currencies.")
    counted: int = Field(description="Matches counted.")
    complete: bool = Field(description="False: too many matches; only `counted` were counted.")


def _facets(data: dict[str, Any]) -> Facets:
    """Return the API's facets, the brand, option and attribute parts left out when empty."""
    cleaned = clean_data(data)
    for part in ("brand", "option", "attribute"):
        cleaned[part] = cleaned.get(part) or None
    return Facets.model_validate(cleaned)


def _quoted(words: list[str]) -> str:
    return ", ".join(f"'{word}'" for word in words)


def read_as(interpretation: dict[str, Any] | None, found: bool, exact: bool | None) -> str | None:
    """Say in one line how a search read its query, or None when it took it word for word."""
    if not interpretation:
        return None
    parts: list[str] = []
    corrected = interpretation.get("corrected") or []
    if corrected:
        changes = ", ".join(f"{c['written']} -> {c['read_as']}" for c in corrected)
        parts.append(f"corrected {changes}")
    if interpretation.get("unknown"):
        parts.append(f"no product has {_quoted(interpretation['unknown'])}: left out")
    if found and interpretation.get("missing"):
        parts.append(
            f"no product has every word; best results lack {_quoted(interpretation['missing'])}"
        )
    reading = interpretation.get("reading") or {}
    if reading.get("filters"):
        read = [f"{f['label']} ({f['parameter']}={f['value']})" for f in reading["filters"]]
        if reading.get("relaxed"):
            parts.append(
                f"nothing matched the filters read ({', '.join(dict.fromkeys(read))}): "
                "searched the words as written"
            )
        else:
            parts.append(f"filters read from the words: {', '.join(dict.fromkeys(read))}")
    if exact is False:
        parts.append("total counts the best matches only")
    if not parts:
        return None
    searched = " ".join(interpretation.get("searched_for") or [])
    lead = f"searched for '{searched}'; " if searched else ""
    return lead + "; ".join(parts)


class ProductPage(BaseModel):
    """One page of products; total and next_cursor say whether more exist."""

    items: list[ProductSummary]
    total: int
    next_cursor: str | None = Field(
        default=None, description="Pass as cursor, same arguments, for the next page."
    )
    facets: Facets | None = None
    read_as: str | None = Field(
        default=None,
        description="How the query was read when not word for word; tell the user.",
    )
    note: str | None = Field(default=None, description="What the defaults left out.")

    @classmethod
    def from_api(cls, page: dict[str, Any], *, detail: Detail = "compact") -> ProductPage:
        """Summarise an API page."""
        interpretation = page.get("interpretation") or {}
        searched = [str(w) for w in interpretation.get("searched_for") or []]
        items = [
            ProductSummary.from_api(p, detail=detail, searched=tuple(searched))
            for p in page.get("items", [])
        ]
        facets = page.get("facets")
        total = int(page.get("total", len(items)))
        exact = page.get("total_is_exact", True)
        return cls(
            items=items,
            total=total if exact else max(total, len(items)),
            next_cursor=page.get("next_cursor"),
            facets=None if facets is None else _facets(facets),
            read_as=read_as(page.get("interpretation"), bool(items), exact),
            note=None if exact or interpretation else f"at least {total} match; counting stopped",
        )


class Product(BaseModel):
    """Every field of a product, with its options and variants."""

    id: int
    slug: str
    title: str
    description: str
    category: str
    tags: list[str]
    brand: str | None = None
    price: str = Field(description="e.g. '19.99 USD'; lowest-highest of its variants.")
    price_minor: int = Field(description="Lowest variant price, e.g. 1999.")
    currency: str
    stock_quantity: int = Field(description="Total over its variants.")
    status: Status
    available: bool = Field(description="Active and in stock.")
    availability: Availability
    attributes: dict[str, str]
    image_urls: list[str]
    seo_keywords: list[str]
    created_at: str
    updated_at: str
    version: int = Field(description="Pass as if_version when changing it.")
    options: list[Option] | None = Field(default=None, description="Absent: no options.")
    variants: list[Variant]
    selected_variant: Variant | None = Field(
        default=None, description="With selected: the matching or nearest in-stock variant."
    )
    selection: Selection | None = None
    note: str | None = None

    @classmethod
    def from_api(cls, product: dict[str, Any]) -> Product:
        """Clean a product from the API."""
        data = clean_data(product)
        currency, decimals = data["currency"], minor_unit(data["price"])
        data["price"] = price_text(data)
        data.setdefault("available", data["status"] == "active" and data["stock_quantity"] > 0)
        data["availability"] = availability(data)
        data["options"] = data.get("options") or None
        data["variants"] = [
            Variant.from_api(v, currency=currency, decimals=decimals)
            for v in data.get("variants") or []
        ]
        skipped = {"note", "selected_variant", "selection"}
        return cls(**{k: v for k, v in data.items() if k in cls.model_fields and k not in skipped})


class CategoryCount(BaseModel):
    """A category and its number of products."""

    category: str
    count: int


class Categories(BaseModel):
    """Categories with their product counts."""

    counted: str = Field(description="Which products the counts include.")
    items: list[CategoryCount]

    @classmethod
    def from_api(cls, body: dict[str, Any], *, counted: str = "all products") -> Categories:
        """Clean the API's category list."""
        items = [CategoryCount(**c) for c in clean_data(body.get("items", []))]
        return cls(counted=counted, items=items)


class Deleted(BaseModel):
    """The outcome of a deletion."""

    deleted: bool
    id: int


class ProviderAttempt(BaseModel):
    """A copy provider that failed or was skipped."""

    provider: str
    reason: str


TEMPLATE_NOTE = (
    "Written by the offline template from the product's own fields, not by a model: "
    "plain and factual; edit it before publishing."
)


class GeneratedCopy(BaseModel):
    """Generated description and SEO keywords (data to review, not orders), and who wrote them."""

    description: str
    keywords: list[str] = Field(description="5-10 SEO keyword phrases.")
    provider: str = Field(description="Who wrote it, e.g. gemini or offline.")
    template: bool = Field(description="True: the offline template wrote it, no model.")
    note: str | None = None
    failed: list[ProviderAttempt] | None = Field(default=None, description="Tried, failed.")
    skipped: list[ProviderAttempt] | None = Field(default=None, description="Not tried.")
    saved: bool = Field(description="True: stored on the product.")
    product_version: int | None = Field(
        default=None,
        description="Version the copy was written from (saved: the new one).",
    )
    save_with: str | None = Field(
        default=None, description="The call that stores this copy once reviewed."
    )

    @classmethod
    def from_api(cls, body: dict[str, Any], *, product_id: int | None = None) -> GeneratedCopy:
        """Clean the API's describe result."""
        data = clean_data(body)
        product = data.get("product") or {}
        version = data.get("product_version", product.get("version"))
        template = bool(data.get("template", data["provider"] == "offline"))
        saved = bool(data.get("saved"))
        save_with = None
        if product_id is not None and not saved:
            save_with = (
                f"update_product(id={product_id}, description=<the reviewed text>, "
                f"seo_keywords=<the reviewed keywords>, if_version={version})"
            )
        return cls(
            description=data["description"],
            keywords=data["keywords"],
            provider=data["provider"],
            template=template,
            note=TEMPLATE_NOTE if template else None,
            failed=data.get("failed") or None,
            skipped=data.get("skipped") or None,
            saved=saved,
            product_version=version,
            save_with=save_with,
        )
