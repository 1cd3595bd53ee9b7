"""Price bounds written in a query: 'under $50', 'between 20 and 40 euros', '$20-$40'."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from catalog_api.query_reading.words import ReaderWords, Token


@dataclass(frozen=True)
class Amount:
    """A number of the query, with the currency written next to it (None when none was)."""

    value: Decimal
    currency: str | None
    start: int
    end: int  # token index after it, currency included


@dataclass(frozen=True)
class PriceBound:
    """Bounds read from consecutive tokens [start, end), in the written currency if any."""

    start: int
    end: int
    low: Decimal | None
    high: Decimal | None
    low_strict: bool
    high_strict: bool
    currency: str | None


def _number(text: str) -> Decimal | None:
    """Parse '1,000', '19.99' or '19,99' (a comma before exactly three digits groups them)."""
    parts = text.split(",")
    if len(parts) > 1 and all(len(part) == 3 for part in parts[1:]):
        text = "".join(parts)
    else:
        text = text.replace(",", ".")
    if text.count(".") > 1:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


class PriceReader:
    """Find price bounds among a query's tokens."""

    def __init__(self, tokens: Sequence[Token], words: ReaderWords) -> None:
        self.tokens = tokens
        self.words = words
        texts = {token.text for token in tokens}
        # 'pounds' is a weight too: money only when the query also says '£' or 'gbp'.
        self.pounds_are_money = bool(texts & {"£", "gbp", "quid", "sterling"})

    def _text(self, index: int) -> str:
        return self.tokens[index].text if index < len(self.tokens) else ""

    def _currency_word(self, index: int) -> str | None:
        text = self._text(index)
        if text in self.words.currencies:
            return self.words.currencies[text]
        if self.pounds_are_money and text in self.words.ambiguous_currencies:
            return self.words.ambiguous_currencies[text]
        return None

    def amount(self, index: int) -> Amount | None:
        """Read '$50', '50 dollars', 'usd 50', '50€' starting at index, or None."""
        start, currency = index, None
        if index < len(self.tokens) and self.tokens[index].kind == "symbol":
            currency, index = self.words.symbols[self._text(index)], index + 1
        elif (
            len(self._text(index)) == 3
            and self._currency_word(index)
            and index + 1 < len(self.tokens)
            and self.tokens[index + 1].kind == "number"
        ):
            currency, index = self._currency_word(index), index + 1
        if index >= len(self.tokens) or self.tokens[index].kind != "number":
            return None
        value = _number(self._text(index))
        if value is None:
            return None
        index += 1
        after = self.tokens[index] if index < len(self.tokens) else None
        if after is not None and after.kind == "symbol":
            currency, index = currency or self.words.symbols[after.text], index + 1
        elif after is not None and self._currency_word(index):
            written = self._currency_word(index)
            if currency is not None and written != currency:
                return None
            currency, index = written, index + 1
        elif currency is None and self._measure_follows(index):
            return None  # '50 inch', '4 stars', '20 pounds': not money
        return Amount(value, currency, start, index)

    def _measure_follows(self, index: int) -> bool:
        """Tell whether the token at index makes the number before it a measure."""
        text = self._text(index)
        if text in self.words.ambiguous_currencies:
            return True
        if text not in self.words.not_money:
            return False
        if text == "in":
            # 'under 100 in size 10': 'in' joins; '50 in' or '50 in tv' is inches.
            following = self.tokens[index + 1] if index + 1 < len(self.tokens) else None
            return following is None or following.text not in self.words.connectors | {"stock"}
        return True

    def _phrase_at(self, index: int, phrases: Sequence[tuple[str, ...]]) -> int:
        """Return the length of the longest phrase starting at index, 0 when none does."""
        for words in phrases:
            if tuple(self._text(index + n) for n in range(len(words))) == words:
                return len(words)
        return 0

    def bound_at(self, index: int) -> PriceBound | None:
        """Read a price bound starting at index, or None."""
        text = self._text(index)
        if text in self.words.range_starts:
            found = self._range(index + 1, need_currency=text == "from")
            if found is not None:
                return PriceBound(
                    index, found.end, found.low, found.high, False, False, found.currency
                )
        for phrases, upper in ((self.words.upper, True), (self.words.lower, False)):
            length = self._phrase_at(index, phrases)
            if not length:
                continue
            amount = self.amount(index + length)
            if amount is None:
                return None
            strict = tuple(self._text(index + n) for n in range(length)) in self.words.strict
            if upper:
                return PriceBound(
                    index, amount.end, None, amount.value, False, strict, amount.currency
                )
            return PriceBound(index, amount.end, amount.value, None, strict, False, amount.currency)
        return self._range(index, need_currency=True)

    def _range(self, index: int, *, need_currency: bool) -> PriceBound | None:
        """Read 'A and B', 'A to B' or 'A-B'; without a written currency only if not needed."""
        first = self.amount(index)
        if first is None or self._text(first.end) not in self.words.range_joins:
            return None
        second = self.amount(first.end + 1)
        if second is None or second.value < first.value:
            return None
        if first.currency and second.currency and first.currency != second.currency:
            return None
        currency = first.currency or second.currency
        if currency is None and need_currency:
            return None
        return PriceBound(index, second.end, first.value, second.value, False, False, currency)
