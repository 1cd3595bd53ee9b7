"""How search reads a query: corrections, partial matches, fields, units, stop words, paging."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest

from catalog_api.cli import main
from catalog_api.config import Settings
from catalog_api.search.analyzer import STOP_WORDS
from tests.conftest import app_with, asgi_client, create
from tests.test_mcp_tools import call, connect, kettle


async def _add(
    client: httpx.AsyncClient,
    title: str,
    *,
    description: str = "",
    tags: tuple[str, ...] = (),
    category: str = "misc",
    price_minor: int = 1000,
) -> int:
    """Create a product with only the given words and return its id."""
    product = await create(
        client,
        title=title,
        description=description,
        tags=list(tags),
        category=category,
        price_minor=price_minor,
        attributes={},
    )
    product_id: int = product["id"]
    return product_id


async def _search(client: httpx.AsyncClient, q: str, **params: Any) -> dict[str, Any]:
    response = await client.get("/api/products/search", params={"q": q, **params})
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


def _titles(page: dict[str, Any]) -> list[str]:
    return [product["title"] for product in page["items"]]


async def _bathroom_and_kitchen(client: httpx.AsyncClient) -> None:
    await _add(client, "Close-Coupled Toilet", category="bathroom", description="Two-piece bowl.")
    await _add(client, "Toilet Seat", category="bathroom", description="Soft close hinges.")
    await _add(client, "French Door Refrigerator", category="kitchen", description="Ice maker.")
    await _add(client, "Chest Freezer", category="kitchen", description="Seven cubic feet.")
    await _add(client, "Bath Towel", category="bathroom", description="Cotton.")


async def test_a_misspelt_word_is_read_as_the_catalog_word(client: httpx.AsyncClient) -> None:
    await _bathroom_and_kitchen(client)
    toilets = await _search(client, "toliet")
    assert set(_titles(toilets)) == {"Close-Coupled Toilet", "Toilet Seat"}
    assert toilets["total"] == 2
    reading = toilets["interpretation"]
    assert reading["corrected"] == [{"written": "toliet", "read_as": "toilet"}]
    assert reading["searched_for"] == ["toilet"]
    assert (reading["unknown"], reading["missing"]) == ([], [])
    fridge = await _search(client, "refridgerator")
    assert _titles(fridge) == ["French Door Refrigerator"]
    assert fridge["interpretation"]["corrected"] == [
        {"written": "refridgerator", "read_as": "refrigerator"}
    ]
    seat = await _search(client, "toliet seat")
    assert _titles(seat)[0] == "Toilet Seat"
    assert seat["interpretation"]["missing"] == []


@pytest.mark.xfail(
    strict=True,
    reason="read_as is spelled from the first results' titles only: a word found in a "
    "description is reported as its index stem ('refridgerator' read as 'refriger')",
)
async def test_a_correction_found_outside_titles_is_still_a_word(
    client: httpx.AsyncClient,
) -> None:
    await _add(client, "Cold Box", description="A compact refrigerator for dorms.")
    page = await _search(client, "refridgerator")
    assert _titles(page) == ["Cold Box"]
    assert page["interpretation"]["corrected"] == [
        {"written": "refridgerator", "read_as": "refrigerator"}
    ]


@pytest.mark.xfail(
    strict=False,  # timing: the vocabulary is reread only 20 load-durations after the last read
    reason="a word written just now is not yet in the speller: 'toliet' right after a toilet "
    "is added answers nothing and calls the word unknown (a second later it is corrected)",
)
async def test_a_misspelling_of_a_word_written_just_now_is_corrected(
    client: httpx.AsyncClient,
) -> None:
    await _add(client, "Hot Air Balloon", category="toys")
    await _search(client, "balloon")  # the vocabulary is loaded before the write below
    await _add(client, "Toilet Seat", category="bathroom")
    page = await _search(client, "toliet")
    assert _titles(page) == ["Toilet Seat"]
    assert page["interpretation"]["unknown"] == []


async def test_a_word_found_nowhere_is_left_out_and_the_rest_still_find(
    client: httpx.AsyncClient,
) -> None:
    await _bathroom_and_kitchen(client)
    page = await _search(client, "toilet qzxvwk")
    assert set(_titles(page)) == {"Close-Coupled Toilet", "Toilet Seat"}
    reading = page["interpretation"]
    assert reading["unknown"] == ["qzxvwk"]
    assert reading["searched_for"] == ["toilet"]
    assert reading["corrected"] == []
    nothing = await _search(client, "qzxvwk blorptang")
    assert (nothing["total"], nothing["items"], nothing["next_cursor"]) == (0, [], None)
    assert nothing["interpretation"]["unknown"] == ["qzxvwk", "blorptang"]


async def test_products_with_every_word_rank_above_those_with_some(
    client: httpx.AsyncClient,
) -> None:
    one_word = await _add(client, "Stainless Frying Pan", category="kitchen")
    all_words = await _add(client, "Electric Kettle Stainless", category="kitchen")
    await _add(client, "Electric Drill", category="tools")
    some_words = await _add(client, "Electric Kettle", category="kitchen")
    await _add(client, "Garden Chair", category="garden")
    page = await _search(client, "stainless electric kettle")
    ids = [product["id"] for product in page["items"]]
    assert ids[:2] == [all_words, some_words]
    assert ids.index(some_words) < ids.index(one_word)
    assert page["total"] == 4
    assert page["interpretation"]["missing"] == []


async def test_a_title_with_every_word_beats_descriptions_that_mention_them(
    client: httpx.AsyncClient,
) -> None:
    titled = await _add(client, "Cordless Leaf Blower", category="garden")
    for times in range(1, 5):
        await _add(
            client,
            f"Garden Tool {times}",
            category="garden",
            description="A cordless leaf blower. " * times,
        )
    page = await _search(client, "cordless leaf blower")
    assert page["items"][0]["id"] == titled
    assert page["total"] == 5


@pytest.mark.xfail(
    strict=True,
    reason="a description repeating the query five times outranks the product whose title is "
    "the query: the title's weight (3 against 1) saturates under BM25's k1",
)
async def test_a_title_with_every_word_beats_a_description_stuffed_with_them(
    client: httpx.AsyncClient,
) -> None:
    titled = await _add(client, "Cordless Leaf Blower", category="garden")
    await _add(client, "Garden Tool", category="garden", description="cordless leaf blower, " * 5)
    page = await _search(client, "cordless leaf blower")
    assert page["items"][0]["id"] == titled


async def test_when_no_product_has_every_word_missing_names_what_the_best_lacks(
    client: httpx.AsyncClient,
) -> None:
    for name in ("Desk Lamp", "Floor Lamp", "Table Lamp"):
        await _add(client, name, category="lighting")
    await _add(client, "Waterproof Jacket", category="clothing")
    await _add(client, "Wool Socks", category="clothing")
    page = await _search(client, "waterproof lamp")
    assert page["total"] == 4
    best = page["items"][0]["title"]
    reading = page["interpretation"]
    assert reading["searched_for"] == ["waterproof", "lamp"]
    assert reading["unknown"] == []
    # The best result lacks one of the words, and missing names exactly that one.
    assert reading["missing"] == (["waterproof"] if "Lamp" in best else ["lamp"])


@pytest.mark.xfail(
    strict=True,
    reason="the rarer modifier outranks the head noun: 'waterproof lamp' puts the jacket "
    "above every lamp, where the issue's example answer is 'no waterproof lamps; showing lamps'",
)
async def test_a_missing_modifier_still_shows_the_things_asked_for(
    client: httpx.AsyncClient,
) -> None:
    for name in ("Desk Lamp", "Floor Lamp", "Table Lamp"):
        await _add(client, name, category="lighting")
    await _add(client, "Waterproof Jacket", category="clothing")
    page = await _search(client, "waterproof lamp")
    assert "Lamp" in page["items"][0]["title"]
    assert page["interpretation"]["missing"] == ["waterproof"]


async def test_title_ranks_above_tags_above_description(client: httpx.AsyncClient) -> None:
    in_description = await _add(client, "Camping Glow", description="Hang it like a lantern.")
    in_tags = await _add(client, "Camping Light", tags=("lantern",), description="Hang it up.")
    in_title = await _add(client, "Camping Lantern", description="Hang it up.")
    await _add(client, "Camping Stove", description="Boils water.")
    page = await _search(client, "lantern")
    assert [product["id"] for product in page["items"]] == [in_title, in_tags, in_description]


@pytest.mark.parametrize("query", ["1/2 in. pvc pipe", '1/2" PVC', "0.5 inch pvc", "1/2-in pvc"])
async def test_sizes_match_in_their_common_spellings(client: httpx.AsyncClient, query: str) -> None:
    wanted = await _add(client, "Charlotte Pipe 1/2 in. x 10 ft. PVC Pipe", category="plumbing")
    await _add(client, "Charlotte Pipe 3/4 in. x 10 ft. PVC Pipe", category="plumbing")
    await _add(client, "1/2 in. Copper Elbow", category="plumbing")
    await _add(client, "Garden Hose 50 ft.", category="garden")
    page = await _search(client, query)
    assert page["items"][0]["id"] == wanted
    assert page["interpretation"]["missing"] == []
    assert page["interpretation"]["unknown"] == []


async def test_dimensions_written_together_find_the_spelled_out_size(
    client: httpx.AsyncClient,
) -> None:
    stud = await _add(client, "2 in. x 4 in. x 8 ft. Stud", category="lumber")
    await _add(client, "4 in. x 4 in. x 8 ft. Post", category="lumber")
    await _add(client, "Wood Screws", category="hardware")
    page = await _search(client, "2x4")
    assert page["items"][0]["id"] == stud
    assert page["interpretation"]["missing"] == []


async def test_words_run_together_or_split_find_each_other(client: httpx.AsyncClient) -> None:
    split = await _add(client, "Deck Over Paint", category="paint")
    joined = await _add(client, "Deckover Coating", category="paint")
    await _add(client, "Interior Wall Paint", category="paint")
    await _add(client, "Exterior Wood Stain", category="paint")
    for query in ("deckover", "deck over"):
        page = await _search(client, query)
        assert {product["id"] for product in page["items"][:2]} == {split, joined}, query
        assert page["total"] == 2, query


async def test_common_words_are_ignored_and_named(client: httpx.AsyncClient) -> None:
    wanted = await _add(client, "Ceiling Fan with Light Kit", category="home")
    await _add(client, "Ceiling Fan", category="home")
    await _add(client, "Desk Light", category="home")
    page = await _search(client, "ceiling fan with light")
    assert page["items"][0]["id"] == wanted
    reading = page["interpretation"]
    assert reading["ignored"] == ["with"]
    assert reading["searched_for"] == ["ceiling", "fan", "light"]
    assert reading["missing"] == []


@pytest.mark.parametrize("query", ["the", "with the", "a", "of and or"])
async def test_a_query_of_common_words_only_answers(client: httpx.AsyncClient, query: str) -> None:
    assert set(query.split()) <= STOP_WORDS
    await _add(client, "The Art of the Deal", category="books")
    await _add(client, "Coffee Mug", category="kitchen", description="A mug with a handle.")
    response = await client.get("/api/products/search", params={"q": query})
    assert response.status_code == 200, response.text
    page = response.json()
    assert page["total"] == len(page["items"])


async def _pages(client: httpx.AsyncClient, q: str, limit: int, **params: Any) -> list[int]:
    """Follow next_cursor from the first page to the last; return the ids in order."""
    seen: list[int] = []
    cursor = None
    for _ in range(50):
        extra = {"cursor": cursor} if cursor else {}
        page = await _search(client, q, limit=limit, **params, **extra)
        seen.extend(product["id"] for product in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return seen
    raise AssertionError(f"paging did not end: {seen}")


async def _garden_catalog(client: httpx.AsyncClient) -> dict[str, int]:
    specs = [
        ("Brass Hose Nozzle", "hose nozzle brass", 2500),
        ("Brass Hose Nozzle", "hose nozzle brass", 1500),  # the same text: a tie on score
        ("Pistol Hose Nozzle", "brass fittings", 900),
        ("Garden Hose 50 ft.", "rubber", 4000),
        ("Garden Hose 25 ft.", "rubber", 3000),
        ("Brass Tap Connector", "", 700),
        ("Nozzle Cleaning Kit", "", 300),
        ("Brass Bell", "", 1200),
        ("Hose Reel", "holds a hose", 5000),
    ]
    ids: dict[str, int] = {}
    for number, (title, description, price) in enumerate(specs):
        ids[f"{title} #{number}"] = await _add(
            client, title, description=description, price_minor=price, category="garden"
        )
    return ids


async def test_relevance_pages_visit_every_result_once_in_the_one_page_order(
    client: httpx.AsyncClient,
) -> None:
    await _garden_catalog(client)
    whole = await _search(client, "brass hose nozzle", limit=100)
    assert whole["total"] == 9
    assert whole["next_cursor"] is None
    in_one = [product["id"] for product in whole["items"]]
    assert await _pages(client, "brass hose nozzle", 2) == in_one
    assert await _pages(client, "brass hose nozzle", 1) == in_one
    ascending = await _pages(client, "brass hose nozzle", 2, order="asc")
    assert ascending == in_one[::-1]


async def test_price_pages_list_the_products_with_the_most_words(
    client: httpx.AsyncClient,
) -> None:
    ids = await _garden_catalog(client)
    every_word = [
        ids["Pistol Hose Nozzle #2"],
        ids["Brass Hose Nozzle #1"],
        ids["Brass Hose Nozzle #0"],
    ]
    paged = await _pages(client, "brass hose nozzle", 2, sort="price")
    assert paged == every_word
    first = await _search(client, "brass hose nozzle", sort="price", limit=100)
    assert first["total"] == 3
    assert [product["price_minor"] for product in first["items"]] == [900, 1500, 2500]
    assert (
        await _pages(client, "brass hose nozzle", 2, sort="price", order="desc")
        == (every_word[::-1])
    )


async def test_search_facets_count_the_ranked_results(client: httpx.AsyncClient) -> None:
    await _add(client, "Reading Lamp", category="lighting", tags=("desk",), price_minor=2000)
    await _add(client, "Floor Lamp", category="lighting", tags=("floor",), price_minor=6000)
    await _add(client, "Lamp Oil", category="fuel", price_minor=500)
    await _add(client, "Reading Glasses", category="optics", tags=("desk",), price_minor=1500)
    await _add(client, "Garden Chair", category="garden", price_minor=4000)
    page = await _search(client, "reading lamp", facets="true")
    facets = page["facets"]
    assert page["total"] == 4
    assert facets["category"] == {"lighting": 2, "fuel": 1, "optics": 1}
    assert facets["tag"] == {"desk": 2, "floor": 1}
    assert facets["status"] == {"active": 4}
    assert facets["counted"] == page["total"]
    assert facets["complete"] is page["total_is_exact"] is True
    assert sum(band["count"] for band in facets["price"]) == 4
    narrowed = await _search(client, "reading lamp", facets="true", category="lighting")
    assert narrowed["facets"]["category"] == {"lighting": 2}
    assert narrowed["total"] == 2
    assert (await _search(client, "reading lamp"))["facets"] is None


async def test_writes_are_seen_by_the_next_search(client: httpx.AsyncClient) -> None:
    await _add(client, "Hot Air Balloon", category="toys")
    await _search(client, "balloon")  # the vocabulary is loaded before the writes below
    product_id = await _add(client, "Zeppelin Kite", category="toys")
    assert [p["id"] for p in (await _search(client, "zeppelin"))["items"]] == [product_id]
    response = await client.patch(f"/api/products/{product_id}", json={"title": "Blimp Kite"})
    assert response.status_code == 200, response.text
    assert (await _search(client, "zeppelin"))["total"] == 0
    assert [p["id"] for p in (await _search(client, "blimp"))["items"]] == [product_id]
    assert (await client.delete(f"/api/products/{product_id}")).status_code == 204
    assert (await _search(client, "blimp"))["total"] == 0
    assert (await _search(client, "kite"))["total"] == 0
    assert (await _search(client, "balloon"))["total"] == 1


def test_imported_products_are_searchable(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CATALOG_DATABASE_URL", database_url)
    path = tmp_path / "products.csv"
    path.write_text(
        "title,category,price,currency,description\n"
        "Close-Coupled Toilet,bathroom,199.00,USD,Two-piece bowl\n"
        "Charlotte Pipe 1/2 in. x 10 ft. PVC Pipe,plumbing,4.50,USD,Schedule 40\n"
        "Deck Over Paint,paint,39.00,USD,Covers old boards\n",
        encoding="utf-8",
    )
    assert main(["import", str(path)]) == 0

    async def searched(q: str) -> dict[str, Any]:
        async with (
            app_with(Settings(database_url=database_url)) as app,
            asgi_client(app) as client,
        ):
            return await _search(client, q)

    toilet = asyncio.run(searched("toliet"))
    assert _titles(toilet) == ["Close-Coupled Toilet"]
    pipe = asyncio.run(searched('1/2" pvc'))
    assert _titles(pipe) == ["Charlotte Pipe 1/2 in. x 10 ft. PVC Pipe"]
    deck = asyncio.run(searched("deckover"))
    assert _titles(deck) == ["Deck Over Paint"]


async def test_mcp_search_says_how_it_read_the_query(settings: Settings) -> None:
    seat = kettle(title="Toilet Seat", category="bath", description="Soft close.", tags=[])
    async with connect(settings) as mcp:
        await call(mcp, "create_product", **seat)
        await call(mcp, "create_product", **kettle())
        misspelt = await call(mcp, "search_products", query="toliet seat")
        assert [p["title"] for p in misspelt["items"]] == ["Toilet Seat"]
        assert "toliet -> toilet" in misspelt["read_as"]
        plain = await call(mcp, "search_products", query="copper kettle")
        assert [p["title"] for p in plain["items"]] == ["Copper Kettle"]
        assert plain.get("read_as") is None
        partial = await call(mcp, "search_products", query="copper seat qzxvwk")
        assert "'qzxvwk'" in partial["read_as"]
        assert "lack" in partial["read_as"]
