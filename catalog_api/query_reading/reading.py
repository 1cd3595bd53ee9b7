"""What a query was read as: filters (each a query parameter and value) and the words left."""

from __future__ import annotations

from dataclasses import dataclass, field

# The parameters a reading may set, as GET /api/products/search names them; option.<name>
# too. sort and order come as a pair from one sort hint.
PARAMETERS = (
    "category",
    "brand",
    "min_price",
    "max_price",
    "currency",
    "in_stock",
    "sort",
    "order",
)


@dataclass(frozen=True)
class ReadFilter:
    """One filter read from the query: the search parameter it sets and the words it came from."""

    parameter: str
    value: str
    written: str  # the query's words it was read from; "" when assumed (a default currency)
    label: str


@dataclass(frozen=True)
class Reading:
    """The filters read and the words left for ranked search."""

    words: str
    filters: tuple[ReadFilter, ...] = ()
    source: str = "offline"
    # Explicit parameters the caller gave: never read from the words (they stay words).
    explicit: frozenset[str] = field(default_factory=frozenset)

    def value(self, parameter: str) -> str | None:
        """Return the value read for a parameter, None when none was."""
        for item in self.filters:
            if item.parameter == parameter:
                return item.value
        return None

    def options(self) -> list[tuple[str, str]]:
        """Return the option (name, value) pairs read."""
        prefix = "option."
        return [
            (item.parameter[len(prefix) :], item.value)
            for item in self.filters
            if item.parameter.startswith(prefix)
        ]
