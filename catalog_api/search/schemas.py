"""How the query was read, as returned with search results."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Correction(BaseModel):
    """A word of the query read as another word of the catalog."""

    model_config = ConfigDict(populate_by_name=True)

    written: str = Field(description="The word as written.", examples=["toliet"])
    read_as: str = Field(description="The catalog word(s) searched instead.", examples=["toilet"])


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
