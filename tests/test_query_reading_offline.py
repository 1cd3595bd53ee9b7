"""The offline reader on a small catalog of known values: each kind of constraint, and doubt."""

from __future__ import annotations

from dataclasses import replace

import pytest

from catalog_api.query_reading import CatalogTerms, Context, read_offline

TERMS = CatalogTerms(
    products=100,
    brands={"northpeak": ("Northpeak", 10), "apple": ("Apple", 2), "trailco": ("Trailco", 1)},
    categories={"kitchen": 20, "home": 10, "toys": 15, "pets": 12},
    options={
        "size": {"10": 5, "11": 4, "m": 3, "xl": 2},
        "color": {"navy": 3, "white": 1},
        "storage": {"256 gb": 1},
    },
    currencies=(("USD", 80), ("EUR", 15), ("JPY", 5)),
    loaded=True,
)
# Products whose text holds each word: 'apple' is in many more titles than the Apple brand
# holds, 'home' in more than its category, 'white' in more than the white variants.
FREQUENCIES = {
    "northpeak": 12,
    "appl": 30,
    "kitchen": 25,
    "home": 40,
    "toy": 16,
    "pet": 12,
    "navi": 4,
    "white": 30,
    "256gb": 1,
    "256": 1,
    "gb": 3,
}


def _read(query: str, **context: object) -> tuple[str, dict[str, str]]:
    values = {
        "terms": TERMS,
        "frequency": lambda t: FREQUENCIES.get(t, 0),
        "vocabulary_loaded": True,
    }
    reading = read_offline(query, Context(**(values | context)))  # type: ignore[arg-type]
    return reading.words, {f.parameter: f.value for f in reading.filters}


@pytest.mark.parametrize(
    ("query", "words", "filters"),
    [
        ("boots under $50", "boots", {"max_price": "4999", "currency": "USD"}),
        ("boots under 50", "boots", {"max_price": "4999", "currency": "USD"}),
        ("boots up to 50 dollars", "boots", {"max_price": "5000", "currency": "USD"}),
        ("mug less than 40 euros", "mug", {"max_price": "3999", "currency": "EUR"}),
        (
            "mug between 20 and 40",
            "mug",
            {"min_price": "2000", "max_price": "4000", "currency": "USD"},
        ),
        ("mug $20-$40", "mug", {"min_price": "2000", "max_price": "4000", "currency": "USD"}),
        (
            "mug 20 to 40 euros",
            "mug",
            {"min_price": "2000", "max_price": "4000", "currency": "EUR"},
        ),
        ("tv over 100", "tv", {"min_price": "10001", "currency": "USD"}),
        ("tv at least €1,000", "tv", {"min_price": "100000", "currency": "EUR"}),
        ("bowl under 3000 yen", "bowl", {"max_price": "2999", "currency": "JPY"}),
        ("lamp under £30", "lamp", {"max_price": "2999", "currency": "GBP"}),
    ],
)
def test_price_bounds(query: str, words: str, filters: dict[str, str]) -> None:
    assert _read(query) == (words, filters)


@pytest.mark.parametrize(
    ("query", "words", "filters"),
    [
        ("boots size 10", "boots", {"option.size": "10"}),
        ("boots in size 11", "boots", {"option.size": "11"}),
        ("shirt size XL", "shirt", {"option.size": "xl"}),
        ("shirt colour navy", "shirt", {"option.color": "navy"}),
        ("navy shirt", "shirt", {"option.color": "navy"}),
        ("tablet 256 gb storage", "tablet", {"option.storage": "256 gb"}),
        ("kitchen knife", "knife", {"category": "kitchen"}),
        ("toy car", "car", {"category": "toys"}),
        ("boots by northpeak", "boots", {"brand": "Northpeak"}),
        ("northpeak boots", "boots", {"brand": "Northpeak"}),
        ("trailco boots", "boots", {"brand": "Trailco"}),  # in no product's text
        ("boots in stock", "boots", {"in_stock": "true"}),
        ("boots out of stock", "boots", {"in_stock": "false"}),
        ("cheapest boots", "boots", {"sort": "price", "order": "asc", "currency": "USD"}),
        ("newest boots", "boots", {"sort": "created_at", "order": "desc"}),
        ("t-shirt size m", "t-shirt", {"option.size": "m"}),
        ("kitchen", "kitchen", {"category": "kitchen"}),
        ("under 20 dollars", "", {"max_price": "1999", "currency": "USD"}),
    ],
)
def test_catalog_values_stock_and_sorts(query: str, words: str, filters: dict[str, str]) -> None:
    assert _read(query) == (words, filters)


@pytest.mark.parametrize(
    "query",
    [
        "50 inch tv",  # a size, not a price
        "dog food under 20 pounds",  # a weight, or pounds sterling
        "apple juicer",  # the Apple brand holds few of the products with 'apple'
        "home office desk",  # two categories named: which one?
        "white noise machine",  # most products with 'white' have no white variant
        "boots size 13",  # no such size
        "boots size 10 size 11",  # two sizes
        "boots 10",  # a number alone is no size
        "board game for 2 to 4 players",  # a range without currency or 'between'
        "€50 kettle",  # a price without a bound
        "under armour shirt",
        "100-piece puzzle",
        "fridge over 25 cu. ft.",  # cubic feet
    ],
)
def test_doubtful_words_stay_words(query: str) -> None:
    words, filters = _read(query)
    assert filters == {}
    assert words == query


def test_explicit_parameters_are_not_read_and_their_words_stay() -> None:
    words, filters = _read(
        "kitchen knife under 40 euros size 10",
        explicit=frozenset({"category", "max_price", "option.size"}),
    )
    assert filters == {}
    assert words == "kitchen knife under 40 euros size 10"


def test_an_explicit_currency_is_used_and_a_different_written_one_is_not_read() -> None:
    given = {"currency": "EUR", "explicit": frozenset({"currency"})}
    assert _read("mug under 40", **given) == ("mug", {"max_price": "3999"})
    words, filters = _read("mug under 40 dollars", **given)
    assert filters == {}
    assert words == "mug under 40 dollars"


def test_without_the_search_vocabulary_only_named_values_are_read() -> None:
    assert _read("navy shirt", vocabulary_loaded=False) == ("navy shirt", {})
    assert _read("shirt colour navy", vocabulary_loaded=False)[1] == {"option.color": "navy"}


def test_written_words_are_kept_for_each_filter() -> None:
    reading = read_offline(
        "waterproof boots under 100 dollars in size 10",
        Context(TERMS, lambda t: FREQUENCIES.get(t, 0), True),
    )
    assert [(f.parameter, f.written) for f in reading.filters] == [
        ("max_price", "under 100 dollars"),
        ("currency", "under 100 dollars"),
        ("option.size", "size 10"),
    ]


def test_an_explicit_order_stays_with_a_sort_hint() -> None:
    words, filters = _read("cheapest boots", explicit=frozenset({"order"}))
    assert (words, filters) == ("boots", {"sort": "price", "currency": "USD"})


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("1/2 in. copper pipe under $20", "1/2 in. copper pipe"),
        ("Waterproof Boots, under 100 dollars", "Waterproof Boots,"),
        ('36" vanity  in stock', '36" vanity'),
        ("t-shirt size m", "t-shirt"),
    ],
)
def test_the_words_left_are_the_query_as_written_without_what_was_read(
    query: str, words: str
) -> None:
    assert _read(query)[0] == words


def test_a_catalog_in_one_currency_gets_no_currency_filter() -> None:
    one = replace(TERMS, currencies=(("USD", 100),))
    assert _read("boots under $50", terms=one) == ("boots", {"max_price": "4999"})
    assert _read("cheapest boots", terms=one) == ("boots", {"sort": "price", "order": "asc"})
    assert _read("boots under 50 euros", terms=one)[1] == {"max_price": "4999", "currency": "EUR"}
