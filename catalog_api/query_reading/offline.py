"""The offline reader: deterministic, no network; when unsure, words stay words."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from catalog_api.currencies import MINOR_UNITS
from catalog_api.query_reading.prices import PriceBound, PriceReader
from catalog_api.query_reading.reading import ReadFilter, Reading
from catalog_api.query_reading.terms import CatalogTerms
from catalog_api.query_reading.words import Token, phrase, query_tokens, reader_words
from catalog_api.schemas import MAX_PRICE_MINOR
from catalog_api.search.analyzer import stem
from catalog_api.search.analyzer import terms as index_terms

# A catalog value written alone (no 'brand', 'size' or 'category' beside it) becomes a filter
# only when the products holding it are at least this share of the products whose text holds
# the word: the filter then keeps most of what the word would have found ('Helio' is a
# brand; 'home' in 'home office desk' is more than the home category, so it stays a word).
SHARE = 0.5
_NAMERS = {"brand": ({"by", "brand"}, {"brand"}), "category": ({"category"}, {"category"})}


@dataclass(frozen=True)
class Context:
    """What the reader reads against: the catalog's values and the caller's explicit filters."""

    terms: CatalogTerms
    frequency: Callable[[str], int]  # products whose indexed text holds an index term
    vocabulary_loaded: bool
    currency: str | None = None  # the caller's explicit currency
    explicit: frozenset[str] = frozenset()


@dataclass(frozen=True)
class _Entry:
    kind: str  # brand, category or option
    stems: tuple[str, ...]
    value: str  # as filtered: the stored brand, the category, the option value
    name: str  # the option's name, else ""
    products: int


@dataclass
class _Found:
    start: int
    end: int
    item: ReadFilter
    kind: str = ""
    key: str = ""  # one value per key (a brand, a category, an option name)


_lexicons: dict[int, tuple[CatalogTerms, dict[str, list[_Entry]]]] = {}


def _stems(words: str) -> tuple[str, ...]:
    return tuple(stem(word) for word in phrase(words))


def _lexicon(terms: CatalogTerms) -> dict[str, list[_Entry]]:
    """Index the catalog's values by their first stem, longest first (built once per terms)."""
    cached = _lexicons.get(id(terms))
    if cached is not None and cached[0] is terms:
        return cached[1]
    entries = [_Entry("brand", _stems(b), shown, "", n) for b, (shown, n) in terms.brands.items()]
    entries += [_Entry("category", _stems(c), c, "", n) for c, n in terms.categories.items()]
    entries += [
        _Entry("option", _stems(value), value, name, n)
        for name, values in terms.options.items()
        for value, n in values.items()
    ]
    index: dict[str, list[_Entry]] = {}
    for entry in entries:
        if entry.stems:
            index.setdefault(entry.stems[0], []).append(entry)
    for found in index.values():
        found.sort(key=lambda e: -len(e.stems))
    _lexicons.clear()  # one catalog's at a time: a new load replaces the old one
    _lexicons[id(terms)] = (terms, index)
    return index


class _Reader:
    def __init__(self, query: str, context: Context) -> None:
        self.text, self.tokens = query_tokens(query)
        self.stems = [stem(t.text) if t.kind == "word" else t.text for t in self.tokens]
        self.used = [False] * len(self.tokens)
        self.context = context
        self.words = reader_words()
        self.found: list[_Found] = []

    def free(self, start: int, end: int) -> bool:
        return start >= 0 and end <= len(self.tokens) and not any(self.used[start:end])

    def written(self, start: int, end: int) -> str:
        return self.text[self.tokens[start].start : self.tokens[end - 1].end]

    def texts(self, start: int, length: int) -> tuple[str, ...]:
        return tuple(t.text for t in self.tokens[start : start + length])

    def take(self, found: _Found) -> None:
        for index in range(found.start, found.end):
            self.used[index] = True
        self.found.append(found)

    def read(self) -> Reading:
        self._phrases()
        self._prices()
        self._catalog_values()
        self._price_sort_currency()
        self.found.sort(key=lambda f: f.start)
        return Reading(
            words=self._words_left(),
            filters=tuple(f.item for f in self.found),
            explicit=self.context.explicit,
        )

    def _phrases(self) -> None:
        """Read stock and sort phrases ('in stock', 'cheapest first')."""
        explicit = self.context.explicit
        table: list[tuple[tuple[str, ...], list[tuple[str, str, str]]]] = []
        if "in_stock" not in explicit:
            table += [(p, [("in_stock", "true", "in stock")]) for p in self.words.in_stock]
            table += [(p, [("in_stock", "false", "out of stock")]) for p in self.words.out_of_stock]
        if "sort" not in explicit:
            for words, (sort, order) in self.words.sorts.items():
                label = {"price": "price", "created_at": "newest"}[sort]
                label = f"{label} {'low to high' if order == 'asc' else 'high to low'}"
                label = "newest first" if sort == "created_at" else label
                table.append((words, [("sort", sort, label), ("order", order, label)]))
        table.sort(key=lambda row: -len(row[0]))
        for start in range(len(self.tokens)):
            for words, items in table:
                end = start + len(words)
                if self.free(start, end) and self.texts(start, len(words)) == words:
                    if any(f.item.parameter == items[0][0] for f in self.found):
                        break  # read once; a second, maybe contrary, one stays words
                    written = self.written(start, end)
                    for parameter, value, label in items:
                        if parameter not in explicit:  # an explicit order stays
                            item = ReadFilter(parameter, value, written, label)
                            self.take(_Found(start, end, item))
                    break

    def _price_sort_currency(self) -> None:
        """Sort by price within the main currency when none is given ('cheapest' compares)."""
        read = {f.item.parameter: f for f in self.found}
        sort = read.get("sort")
        main = self.context.terms.main_currency
        if sort is None or sort.item.value != "price" or main is None:
            return
        if "currency" in read or "currency" in self.context.explicit:
            return
        if self.context.terms.sole_currency is not None:
            return  # every product passes: a filter would only cost
        item = ReadFilter("currency", main, "", f"prices in {main}")
        self.found.append(_Found(sort.start, sort.start, item))

    def _prices(self) -> None:
        """Read price bounds; the currency is the written one, else the caller's or the main one."""
        prices = PriceReader(self.tokens, self.words)
        index = 0
        while index < len(self.tokens):
            bound = prices.bound_at(index) if not self.used[index] else None
            if bound is None or not self.free(bound.start, bound.end) or not self._price(bound):
                index += 1
                continue
            index = bound.end

    def _price(self, bound: PriceBound) -> bool:
        context, explicit = self.context, self.context.explicit
        if bound.currency and context.currency and bound.currency != context.currency:
            return False  # '40 euros' with currency=USD: amounts that cannot be compared
        currency = bound.currency or context.currency or context.terms.main_currency
        if currency is None or currency not in MINOR_UNITS:
            return False
        read = {f.item.parameter for f in self.found}
        wanted = [
            ("min_price", bound.low, bound.low_strict, 1),
            ("max_price", bound.high, bound.high_strict, -1),
        ]
        wanted = [w for w in wanted if w[1] is not None]
        if any(name in explicit or name in read for name, *_ in wanted):
            return False
        written = self.written(bound.start, bound.end)
        label = written if bound.currency else f"{written} {currency}"
        items = []
        for name, amount, strict, step in wanted:
            assert amount is not None
            scaled = amount * (Decimal(10) ** MINOR_UNITS[currency])
            minor = int(scaled.quantize(Decimal(1), rounding=ROUND_HALF_UP)) + (
                step if strict else 0
            )
            if not 0 <= minor <= MAX_PRICE_MINOR:
                return False
            items.append(ReadFilter(name, str(minor), written, label))
        sole = context.terms.sole_currency == currency  # every product passes: no filter
        if "currency" not in explicit and "currency" not in read and not sole:
            shown = written if bound.currency else ""
            items.append(ReadFilter("currency", currency, shown, f"prices in {currency}"))
        for item in items:
            self.take(_Found(bound.start, bound.end, item))
        return True

    def _catalog_values(self) -> None:
        """Read brands, categories and option values the catalog holds."""
        lexicon = _lexicon(self.context.terms)
        candidates: list[_Found] = []
        for start, first in enumerate(self.stems):
            for entry in lexicon.get(first, ()):
                end = start + len(entry.stems)
                if self.free(start, end) and tuple(self.stems[start:end]) == entry.stems:
                    found = self._catalog_value(entry, start, end)
                    if found is not None:
                        candidates.append(found)
                        break
        # Two brands, two categories or two sizes: which one is meant is not clear; all stay words.
        keys: dict[str, set[str]] = {}
        for found in candidates:
            keys.setdefault(found.key, set()).add(found.item.value)
        taken: set[int] = set()
        for found in sorted(candidates, key=lambda f: f.start - f.end):
            span = set(range(found.start, found.end))
            if len(keys[found.key]) == 1 and not span & taken and self.free(found.start, found.end):
                taken |= span
                self.take(found)

    def _catalog_value(self, entry: _Entry, start: int, end: int) -> _Found | None:
        explicit = self.context.explicit
        parameter = f"option.{entry.name}" if entry.kind == "option" else entry.kind
        if parameter in explicit:
            return None
        before, after = self._namer(entry, start, end)
        written = self.written(start, end)
        if entry.kind == "option":
            label = f"{entry.name} {entry.value}"
        else:
            label = f"{entry.kind} {entry.value}"
        item = ReadFilter(parameter, entry.value, "", label)
        if before or after:
            first, last = start - before, end + after
            if not self.free(first, last):
                return None
            item = ReadFilter(parameter, entry.value, self.written(first, last), label)
            return _Found(first, last, item, entry.kind, parameter)
        if not self._alone_is_clear(entry, written):
            return None
        item = ReadFilter(parameter, entry.value, written, label)
        return _Found(start, end, item, entry.kind, parameter)

    def _namer(self, entry: _Entry, start: int, end: int) -> tuple[int, int]:
        """Return how many tokens before and after name the value's kind ('size 10', 'by X')."""
        if entry.kind != "option":
            before_words, after_words = _NAMERS[entry.kind]
            before = 1 if start > 0 and self.tokens[start - 1].text in before_words else 0
            after = 1 if end < len(self.tokens) and self.tokens[end].text in after_words else 0
            return before, after
        for name in {entry.name, self.words.aliases.get(entry.name, entry.name)}:
            words = phrase(name)
            if start >= len(words) and self.texts(start - len(words), len(words)) == words:
                return len(words), 0
            if self.texts(end, len(words)) == words:
                return 0, len(words)
        return 0, 0

    def _alone_is_clear(self, entry: _Entry, written: str) -> bool:
        """Tell whether a value written without its kind's name can be read as a filter."""
        if not self.context.vocabulary_loaded:
            return False
        if entry.kind == "option":
            # '10', 'm' or 'xl' alone could be anything; other option names may hold it too.
            if all(not word.isalpha() or len(word) < 3 for word in phrase(entry.value)):
                return False
            holders = [n for n, v in self.context.terms.options.items() if entry.value in v]
            if len(holders) > 1:
                return False
        # A word no product's text holds finds nothing as a word: the filter is all it can mean.
        frequency = min((self.context.frequency(term) for term in index_terms(written)), default=0)
        return entry.products >= SHARE * frequency

    def _words_left(self) -> str:
        """Return the query as written without the words read, nor connectors left beside them."""
        if not any(self.used):
            return " ".join(self.text.split())
        keep = [not used for used in self.used]
        for index, token in enumerate(self.tokens):
            if keep[index] and token.text in self.words.connectors:
                after = index + 1 < len(self.used) and self.used[index + 1]
                last_after_read = index > 0 and self.used[index - 1] and index + 1 == len(keep)
                keep[index] = not (after or last_after_read)
        if not any(
            k and t.kind in {"word", "number"} for k, t in zip(keep, self.tokens, strict=True)
        ):
            # Nothing to search with: the words of brands, categories and options are searched
            # too (their filters stay), so the search has words to rank by.
            for found in self.found:
                if found.kind in {"brand", "category", "option"}:
                    for index in range(found.start, found.end):
                        keep[index] = self.tokens[index].kind in {"word", "number"}
        return _cut(self.text, self.tokens, keep)


def _cut(text: str, tokens: Sequence[Token], keep: Sequence[bool]) -> str:
    """Return text without the tokens not kept (and what stands between two of them)."""
    parts: list[str] = []
    position = 0
    previous_dropped = False
    for token, kept in zip(tokens, keep, strict=True):
        between = text[position : token.start]
        if kept:
            parts.append(between + text[token.start : token.end])
        elif not previous_dropped:
            parts.append(between)
        # Between two dropped tokens ('$20-$40', 'under 100') nothing is kept.
        previous_dropped = not kept
        position = token.end
    parts.append(text[position:])
    return " ".join("".join(parts).split())


def read_offline(query: str, context: Context) -> Reading:
    """Read filters out of a query; the words not read are left for ranked search."""
    return _Reader(query, context).read()
