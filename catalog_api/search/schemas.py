"""How the query was read, as returned with search results."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Correction(BaseModel):
    """A word of the query read as another word of the catalog."""

    model_config = ConfigDict(populate_by_name=True)

    written: str = Field(description="The word as written.", examples=["toliet"])
    read_as: str = Field(description="The catalog word(s) searched instead.", examples=["toilet"])


class ReadFilterOut(BaseModel):
    """A filter read from the query's words (interpret=true)."""

    parameter: str = Field(
        description="The search parameter it sets, as you would pass it: max_price (minor "
        "units), min_price, currency, category, brand, option.<name>, in_stock, sort, order.",
        examples=["max_price"],
    )
    value: str = Field(description="Its value, as the parameter takes it.", examples=["9999"])
    written: str = Field(
        description="The query's words it was read from; empty when assumed (the catalog's "
        "main currency for a price written without one).",
        examples=["under 100 dollars"],
    )
    label: str = Field(description="A short text to show.", examples=["under 100 dollars"])


class QueryReading(BaseModel):
    """Filters read from the query and the words left to search (interpret=true)."""

    words: str = Field(
        description="The words searched once the filters were read; empty: no words were "
        "left and the filtered products are listed (newest first unless a sort was read).",
        examples=["waterproof boots"],
    )
    filters: list[ReadFilterOut] = Field(
        description="The filters read and applied. To undo one, search again with "
        "interpret=false, q=words and the parameters of the filters you keep."
    )
    source: str = Field(
        description="offline (the built-in reader) or model:<provider> (CATALOG_INTERPRET_MODEL).",
        examples=["offline"],
    )
    relaxed: bool = Field(
        default=False,
        description="True when no product matched the filters read: they were dropped and the "
        "query searched as written, with the explicit parameters only (tell the user: no "
        "'in stock' boots; showing boots).",
    )


class QueryInterpretation(BaseModel):
    """How the query was read, so a caller can tell the user what was searched."""

    searched_for: list[str] = Field(
        description="The words searched for, after corrections.", examples=[["toilet", "seat"]]
    )
    corrected: list[Correction] = Field(
        default_factory=list, description="Misspelt or run-together words and what was searched."
    )
    unknown: list[str] = Field(
        default_factory=list,
        description="Words no product contains, even corrected; left out of the search.",
    )
    ignored: list[str] = Field(
        default_factory=list, description="Common words left out (a, the, with...)."
    )
    missing: list[str] = Field(
        default_factory=list,
        description=(
            "Words the best result lacks: no product has all the words, so results match "
            "some of them. Empty when the first result has every word."
        ),
    )
    reading: QueryReading | None = Field(
        default=None,
        description="With interpret=true: the filters read from the query and the words left; "
        "explicit parameters win over what was read. null without interpret.",
    )
