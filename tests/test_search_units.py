"""Search pieces without a database: the analyzer's spellings and the keyset paging of results."""

from __future__ import annotations

from typing import Any

import pytest

from catalog_api.repositories import KeysetPosition
from catalog_api.search.analyzer import display, fold, stem, terms, tokens
from catalog_api.search.paging import page_after, ranked_for_sort, sort_value
from catalog_api.search.query import SPELL_CLOSE, Concept, _named
from catalog_api.search.ranking import Scored, _head, _type_end
from catalog_api.search.repository import Candidate
from catalog_api.search.vocabulary import Vocabulary, build_speller

HALF_INCH_PVC = ["1f2", "inch", "pvc"]


@pytest.mark.parametrize(
    "text", ["1/2 in. pvc", '1/2" PVC', "0.5 inch pvc", "1/2-in pvc", "1/2in PVC", "1/2 inch PVC"]
)
def test_half_inch_has_one_spelling(text: str) -> None:
    assert terms(text) == HALF_INCH_PVC


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Charlotte Pipe 1/2 in. x 10 ft. PVC Pipe", ["charlott", "pipe", "1f2", "inch", "x"]),
        ("2x4", ["2", "x", "4"]),
        ("2 X 4", ["2", "x", "4"]),
        ("2\u00d74", ["2", "x", "4"]),
        ("2 in. x 4 in. x 8 ft. Stud", ["2", "inch", "x", "4", "inch", "x", "8", "ft", "stud"]),
        ('2" x 4"', ["2", "inch", "x", "4", "inch"]),
        ("1-1/2 in.", ["1", "1f2", "inch"]),
        ("1 1/2 in", ["1", "1f2", "inch"]),
        ("1.5 in", ["1", "1f2", "inch"]),
        ('3/4"', ["3f4", "inch"]),
        ("0.75 inch", ["3f4", "inch"]),
        ("2/4 in", ["1f2", "inch"]),
        ("10 ft.", ["10", "ft"]),
        ("10-ft", ["10", "ft"]),
        ("10 feet", ["10", "ft"]),
        ("10'", ["10", "ft"]),
        ("12v", ["12", "volt"]),
        ("12-Volt", ["12", "volt"]),
        ("5-gallon", ["5", "gal"]),
        ("3.0 in", ["3", "inch"]),
        ("3.14 lbs", ["3p14", "lb"]),
        ("36in", ["36", "inch"]),
    ],
)
def test_numbers_and_units(text: str, expected: list[str]) -> None:
    assert terms(text)[: len(expected)] == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Toilets", ["toilet"]),
        ("RUNNING shoes", ["run", "shoe"]),
        ("Café Table", ["cafe", "tabl"]),
        ("naïve", ["naiv"]),
        ("Close-Coupled", ["close", "coupl"]),
        ("deckover", ["deckov"]),
        ("ceiling fan with light", ["ceil", "fan", "with", "light"]),
        ("r13 4shelves", ["r", "13", "4", "shelv"]),
        ("100% cotton_tee", ["100", "cotton", "tee"]),
    ],
)
def test_words_are_folded_and_stemmed(text: str, expected: list[str]) -> None:
    assert terms(text) == expected


def test_query_and_document_spellings_meet() -> None:
    assert terms("refrigerators") == terms("Refrigerator")
    assert fold("ÉCLAIR") == "eclair"
    assert display("1f2") == "1/2"
    assert display("3p14") == "3.14"
    assert display("toilet") == "toilet"


@pytest.mark.parametrize(("written", "plain"), [("5,000 BTU", "5000 btu"), ("1,500 W", "1500 w")])
def test_thousands_separators_are_not_decimal_commas(written: str, plain: str) -> None:
    assert terms(written) == terms(plain)


@pytest.mark.parametrize(("written", "plain"), [('½"', '1/2"'), ("1½ in.", "1-1/2 in.")])
def test_unicode_fractions_read_as_slashed_fractions(written: str, plain: str) -> None:
    assert terms(written) == terms(plain)


def test_a_decimal_without_its_leading_zero_takes_its_unit() -> None:
    assert terms(".75 in") == terms("0.75 in")


def _scored(product_id: int, score: float, price: int = 0, coverage: float = 1.0) -> Scored:
    return Scored(Candidate(product_id, "", "", "", price), score, coverage, frozenset())


def _walk(ranked: list[Scored], sort: str, *, descending: bool, limit: int) -> list[int]:
    """Page through ranked by keyset, the way cursors do; return the ids in order."""
    seen: list[int] = []
    after: KeysetPosition | None = None
    for _ in range(len(ranked) + 2):
        page = page_after(ranked, sort, descending, after, limit)
        seen.extend(item.candidate.id for item in page)
        if len(page) < limit:
            return seen
        last = page[-1]
        after = KeysetPosition(value=sort_value(last, sort), id=last.candidate.id)
    raise AssertionError(f"paging did not end: {seen}")


# Best first, ties by id, as rank() orders them; several ties on score.
RANKED = [
    _scored(4, 3.0, price=700),
    _scored(2, 2.5, price=100),
    _scored(5, 2.5, price=900),
    _scored(9, 2.5, price=100),
    _scored(1, 1.0, price=300, coverage=0.5),
    _scored(3, 1.0, price=50, coverage=0.5),
    _scored(7, 0.2, price=10, coverage=0.25),
]


@pytest.mark.parametrize("limit", [1, 2, 3, 7, 50])
def test_relevance_pages_cover_every_result_once_in_order(limit: int) -> None:
    best_first = [item.candidate.id for item in RANKED]
    assert _walk(RANKED, "relevance", descending=True, limit=limit) == best_first
    worst_first = ranked_for_sort(RANKED, "relevance", descending=False)
    assert _walk(worst_first, "relevance", descending=False, limit=limit) == best_first[::-1]


def test_a_page_starts_after_a_position_that_is_gone() -> None:
    # The product at the cursor was deleted (or no longer matches): the next one follows.
    after = KeysetPosition(value=2.5, id=3)
    assert [item.candidate.id for item in page_after(RANKED, "relevance", True, after, 2)] == [5, 9]
    assert page_after(RANKED, "relevance", True, KeysetPosition(value=0.1, id=1), 5) == []
    assert page_after(RANKED, "relevance", True, None, 0) == []


@pytest.mark.parametrize(("descending", "limit"), [(False, 1), (False, 2), (True, 2), (True, 3)])
def test_price_pages_keep_the_best_covered_results_in_price_order(
    descending: bool, limit: int
) -> None:
    by_price = ranked_for_sort(RANKED, "price", descending=descending)
    # Only the results matching the most of the query; equal prices by id.
    expected = [2, 9, 4, 5] if not descending else [5, 4, 9, 2]
    assert [item.candidate.id for item in by_price] == expected
    assert _walk(by_price, "price", descending=descending, limit=limit) == expected


def test_sorting_nothing_gives_nothing() -> None:
    empty: list[Any] = []
    assert ranked_for_sort(empty, "price", descending=False) == []
    assert page_after(empty, "relevance", True, KeysetPosition(value=1.0, id=1), 5) == []


def _vocabulary(frequencies: dict[str, int]) -> Vocabulary:
    return Vocabulary(
        document_count=1000,
        frequencies=frequencies,
        speller=build_speller(frequencies),
        loaded=True,
    )


def test_a_much_commoner_word_wins_over_the_rarer_one_a_typo_starts_with() -> None:
    # 'cabinte' starts with 'cabin', one edit closer, but 'cabinet' is far commoner.
    vocabulary = _vocabulary({"cabin": 9, "cabinet": 1527})
    assert vocabulary.suggest(stem("cabinte"), "cabinte") == "cabinet"
    # About as common: the word the typo starts with still wins.
    vocabulary = _vocabulary({"cabin": 9, "cabinet": 30})
    assert vocabulary.suggest(stem("cabinte"), "cabinte") == "cabin"


def test_suggestions_come_closest_first_with_how_far_each_is() -> None:
    vocabulary = _vocabulary({"brake": 6, "bracket": 2, "shelf": 4})
    (near, first), (far, second) = vocabulary.suggestions(stem("brakets"), "brakets")
    assert (first, second) == ("brake", "bracket")
    assert 0 < far - near <= SPELL_CLOSE  # so 'bracket' is read too
    assert vocabulary.suggest(stem("brakets"), "brakets") == "brake"
    assert vocabulary.suggestions("xq") == []


@pytest.mark.parametrize(
    ("title", "kind"),
    [
        ("hampton bay 52 inch ceil fan with light", "fan"),
        ("spax 8 x 2 inch wood screw 100 pack", "screw"),
        ("moen 1 handl shower faucet trim kit in chrome valv not includ", "kit"),
        ("delta tub and shower faucet trim kit onli", "kit"),
        ("everbilt 3 inch satin nickel door hing case of 12", "hing"),
    ],
)
def test_a_title_names_its_product_type_before_sizes_and_packaging(title: str, kind: str) -> None:
    assert _type_end(f" {title} ").endswith(f" {kind} ")


def _concept(word: str) -> Concept:
    return Concept((word,), 1.0, word, 10, (word,))


def test_the_query_asks_for_the_thing_named_before_with_or_for() -> None:
    concepts = [_concept("shower"), _concept("faucet"), _concept("valv")]
    head = _head(concepts, _named(tokens("shower faucet with valve")))
    assert head is not None
    assert head.written == "faucet"
    head = _head(concepts, _named(tokens("shower faucet valve")))
    assert head is not None
    assert head.written == "valv"
    # A query starting with the word names nothing before it.
    assert _named(tokens("for outdoor lights")) == frozenset()
