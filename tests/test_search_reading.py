"""How search reads a query: corrections, partial matches, fields, units and stop words."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from catalog_api.search import engine
from catalog_api.search.analyzer import STOP_WORDS
from tests.conftest import create


async def add_product(
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


async def search_page(client: httpx.AsyncClient, q: str, **params: Any) -> dict[str, Any]:
    """Search and return the page, asserting a 200."""
    response = await client.get("/api/products/search", params={"q": q, **params})
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


def titles(page: dict[str, Any]) -> list[str]:
    """Return the titles of a page's products, in order."""
    return [product["title"] for product in page["items"]]


async def _bathroom_and_kitchen(client: httpx.AsyncClient) -> None:
    await add_product(
        client, "Close-Coupled Toilet", category="bathroom", description="Two-piece bowl."
    )
    await add_product(client, "Toilet Seat", category="bathroom", description="Soft close hinges.")
    await add_product(
        client, "French Door Refrigerator", category="kitchen", description="Ice maker."
    )
    await add_product(client, "Chest Freezer", category="kitchen", description="Seven cubic feet.")
    await add_product(client, "Bath Towel", category="bathroom", description="Cotton.")


async def test_a_misspelt_word_is_read_as_the_catalog_word(client: httpx.AsyncClient) -> None:
    await _bathroom_and_kitchen(client)
    toilets = await search_page(client, "toliet")
    assert set(titles(toilets)) == {"Close-Coupled Toilet", "Toilet Seat"}
    assert toilets["total"] == 2
    reading = toilets["interpretation"]
    assert reading["corrected"] == [{"written": "toliet", "read_as": "toilet"}]
    assert reading["searched_for"] == ["toilet"]
    assert (reading["unknown"], reading["missing"]) == ([], [])
    fridge = await search_page(client, "refridgerator")
    assert titles(fridge) == ["French Door Refrigerator"]
    assert fridge["interpretation"]["corrected"] == [
        {"written": "refridgerator", "read_as": "refrigerator"}
    ]
    seat = await search_page(client, "toliet seat")
    assert titles(seat)[0] == "Toilet Seat"
    assert seat["interpretation"]["missing"] == []


async def test_a_correction_found_outside_titles_is_still_a_word(
    client: httpx.AsyncClient,
) -> None:
    await add_product(client, "Cold Box", description="A compact refrigerator for dorms.")
    page = await search_page(client, "refridgerator")
    assert titles(page) == ["Cold Box"]
    assert page["interpretation"]["corrected"] == [
        {"written": "refridgerator", "read_as": "refrigerator"}
    ]


async def test_a_misspelling_of_a_word_written_just_now_is_corrected(
    client: httpx.AsyncClient,
) -> None:
    await add_product(client, "Hot Air Balloon", category="toys")
    await search_page(client, "balloon")  # the vocabulary is loaded before the write below
    await add_product(client, "Toilet Seat", category="bathroom")
    page = await search_page(client, "toliet")
    assert titles(page) == ["Toilet Seat"]
    assert page["interpretation"]["unknown"] == []


async def test_a_misspelling_with_close_readings_takes_the_one_the_other_words_agree_with(
    client: httpx.AsyncClient,
) -> None:
    for part in ("Pad", "Rotor", "Line", "Caliper", "Drum", "Fluid"):
        await add_product(client, f"Brake {part}", category="auto")
    for title in ("Wall Shelf", "Corner Shelf", "Shelf Liner"):
        await add_product(client, title, category="storage")
    bracket = await add_product(client, "Shelf Bracket", category="storage")
    await add_product(client, "Wall Bracket", category="storage")
    # 'brakets' reads as the commoner 'brake', the word it starts with; 'bracket' is close
    # behind and the only reading that goes with 'shelf'.
    page = await search_page(client, "shelf brakets")
    assert page["items"][0]["id"] == bracket
    # The reading shown is the one the first result holds.
    assert page["interpretation"]["corrected"] == [{"written": "brakets", "read_as": "bracket"}]
    # Alone, the word is read as the suggestion chosen first.
    alone_page = await search_page(client, "brakets")
    assert alone_page["interpretation"]["corrected"] == [{"written": "brakets", "read_as": "brake"}]
    alone = titles(alone_page)
    assert all(title.startswith("Brake ") for title in alone[:6])


async def test_a_word_found_nowhere_is_left_out_and_the_rest_still_find(
    client: httpx.AsyncClient,
) -> None:
    await _bathroom_and_kitchen(client)
    page = await search_page(client, "toilet qzxvwk")
    assert set(titles(page)) == {"Close-Coupled Toilet", "Toilet Seat"}
    reading = page["interpretation"]
    assert reading["unknown"] == ["qzxvwk"]
    assert reading["searched_for"] == ["toilet"]
    assert reading["corrected"] == []
    nothing = await search_page(client, "qzxvwk blorptang")
    assert (nothing["total"], nothing["items"], nothing["next_cursor"]) == (0, [], None)
    assert nothing["interpretation"]["unknown"] == ["qzxvwk", "blorptang"]


async def test_products_with_every_word_rank_above_those_with_some(
    client: httpx.AsyncClient,
) -> None:
    one_word = await add_product(client, "Stainless Frying Pan", category="kitchen")
    all_words = await add_product(client, "Electric Kettle Stainless", category="kitchen")
    await add_product(client, "Electric Drill", category="tools")
    some_words = await add_product(client, "Electric Kettle", category="kitchen")
    await add_product(client, "Garden Chair", category="garden")
    page = await search_page(client, "stainless electric kettle")
    ids = [product["id"] for product in page["items"]]
    assert ids[:2] == [all_words, some_words]
    assert ids.index(some_words) < ids.index(one_word)
    assert page["total"] == 4
    assert page["interpretation"]["missing"] == []


async def test_a_title_with_every_word_beats_descriptions_that_mention_them(
    client: httpx.AsyncClient,
) -> None:
    titled = await add_product(client, "Cordless Leaf Blower", category="garden")
    for times in range(1, 5):
        await add_product(
            client,
            f"Garden Tool {times}",
            category="garden",
            description="A cordless leaf blower. " * times,
        )
    page = await search_page(client, "cordless leaf blower")
    assert page["items"][0]["id"] == titled
    assert page["total"] == 5


async def test_a_title_with_every_word_beats_a_description_stuffed_with_them(
    client: httpx.AsyncClient,
) -> None:
    titled = await add_product(client, "Cordless Leaf Blower", category="garden")
    await add_product(
        client, "Garden Tool", category="garden", description="cordless leaf blower, " * 5
    )
    page = await search_page(client, "cordless leaf blower")
    assert page["items"][0]["id"] == titled


async def test_when_no_product_has_every_word_missing_names_what_the_best_lacks(
    client: httpx.AsyncClient,
) -> None:
    for name in ("Desk Lamp", "Floor Lamp", "Table Lamp"):
        await add_product(client, name, category="lighting")
    await add_product(client, "Waterproof Jacket", category="clothing")
    await add_product(client, "Wool Socks", category="clothing")
    page = await search_page(client, "waterproof lamp")
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
        await add_product(client, name, category="lighting")
    await add_product(client, "Waterproof Jacket", category="clothing")
    page = await search_page(client, "waterproof lamp")
    assert "Lamp" in page["items"][0]["title"]
    assert page["interpretation"]["missing"] == ["waterproof"]


async def test_title_ranks_above_tags_above_description(client: httpx.AsyncClient) -> None:
    in_description = await add_product(
        client, "Camping Glow", description="Hang it like a lantern."
    )
    in_tags = await add_product(
        client, "Camping Light", tags=("lantern",), description="Hang it up."
    )
    in_title = await add_product(client, "Camping Lantern", description="Hang it up.")
    await add_product(client, "Camping Stove", description="Boils water.")
    page = await search_page(client, "lantern")
    assert [product["id"] for product in page["items"]] == [in_title, in_tags, in_description]


@pytest.mark.parametrize("query", ["1/2 in. pvc pipe", '1/2" PVC', "0.5 inch pvc", "1/2-in pvc"])
async def test_sizes_match_in_their_common_spellings(client: httpx.AsyncClient, query: str) -> None:
    wanted = await add_product(
        client, "Charlotte Pipe 1/2 in. x 10 ft. PVC Pipe", category="plumbing"
    )
    await add_product(client, "Charlotte Pipe 3/4 in. x 10 ft. PVC Pipe", category="plumbing")
    await add_product(client, "1/2 in. Copper Elbow", category="plumbing")
    await add_product(client, "Garden Hose 50 ft.", category="garden")
    page = await search_page(client, query)
    assert page["items"][0]["id"] == wanted
    assert page["interpretation"]["missing"] == []
    assert page["interpretation"]["unknown"] == []


async def test_dimensions_written_together_find_the_spelled_out_size(
    client: httpx.AsyncClient,
) -> None:
    stud = await add_product(client, "2 in. x 4 in. x 8 ft. Stud", category="lumber")
    await add_product(client, "4 in. x 4 in. x 8 ft. Post", category="lumber")
    await add_product(client, "Wood Screws", category="hardware")
    page = await search_page(client, "2x4")
    assert page["items"][0]["id"] == stud
    assert page["interpretation"]["missing"] == []


async def test_dimensions_rank_in_the_order_written(client: httpx.AsyncClient) -> None:
    await add_product(client, "4 in. x 2 in. x 8 ft. Board", category="lumber")
    stud = await add_product(client, "2 in. x 4 in. x 8 ft. Stud", category="lumber")
    page = await search_page(client, "2x4")
    assert page["items"][0]["id"] == stud


async def test_words_run_together_or_split_find_each_other(client: httpx.AsyncClient) -> None:
    split = await add_product(client, "Deck Over Paint", category="paint")
    joined = await add_product(client, "Deckover Coating", category="paint")
    await add_product(client, "Interior Wall Paint", category="paint")
    await add_product(client, "Exterior Wood Stain", category="paint")
    for query in ("deckover", "deck over"):
        page = await search_page(client, query)
        assert {product["id"] for product in page["items"][:2]} == {split, joined}, query
        assert page["total"] == 2, query


async def test_common_words_are_ignored_and_named(client: httpx.AsyncClient) -> None:
    wanted = await add_product(client, "Ceiling Fan with Light Kit", category="home")
    await add_product(client, "Ceiling Fan", category="home")
    await add_product(client, "Desk Light", category="home")
    page = await search_page(client, "ceiling fan with light")
    assert page["items"][0]["id"] == wanted
    reading = page["interpretation"]
    assert reading["ignored"] == ["with"]
    assert reading["searched_for"] == ["ceiling", "fan", "light"]
    assert reading["missing"] == []


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("the", {"The Art of the Deal"}),
        ("with the", {"The Art of the Deal", "Coffee Mug"}),
        ("a", {"Coffee Mug"}),
        ("of and or", {"The Art of the Deal"}),
    ],
)
async def test_a_query_of_common_words_only_searches_them(
    client: httpx.AsyncClient, query: str, found: set[str]
) -> None:
    assert set(query.split()) <= STOP_WORDS
    await add_product(client, "The Art of the Deal", category="books")
    await add_product(client, "Coffee Mug", category="kitchen", description="A mug with a handle.")
    page = await search_page(client, query)
    assert set(titles(page)) == found
    assert page["interpretation"]["ignored"] == []


async def test_a_rare_word_is_also_read_as_a_much_commoner_neighbour(
    client: httpx.AsyncClient,
) -> None:
    board = await add_product(client, "Rigid Foam Board", category="insulation")
    ten_tools = [
        "Drill",
        "Saw",
        "Sander",
        "Grinder",
        "Router",
        "Planer",
        "Vacuum",
        "Jointer",
        "Nailer",
        "Stapler",
    ]
    for tool in ten_tools:
        await add_product(client, f"Ridgid {tool}", category="tools")
    page = await search_page(client, "rigid")
    found = titles(page)
    assert found[0] == "Rigid Foam Board"
    assert "Ridgid Drill" in found
    assert page["items"][0]["id"] == board
    assert page["interpretation"]["corrected"] == []
    # The common word is not read as the rare one.
    assert "Rigid Foam Board" not in titles(await search_page(client, "ridgid"))


async def test_a_title_long_only_in_numbers_and_units_is_not_ranked_down(
    client: httpx.AsyncClient,
) -> None:
    await add_product(client, "Pine Board Shelf Kit", category="lumber")
    sized = await add_product(client, "1 in. x 12 in. x 8 ft. Pine Board", category="lumber")
    page = await search_page(client, "pine board")
    assert page["items"][0]["id"] == sized


async def test_query_words_next_to_each_other_in_the_title_rank_first(
    client: httpx.AsyncClient,
) -> None:
    await add_product(client, "Saw Blade for Tile", category="tools")
    adjacent = await add_product(client, "Tile Saw Stand", category="tools")
    page = await search_page(client, "tile saw")
    assert page["items"][0]["id"] == adjacent


async def test_a_title_whose_product_type_is_the_query_word_ranks_first(
    client: httpx.AsyncClient,
) -> None:
    await add_product(client, "Ceiling Fan Light Kit", category="lighting")
    fan = await add_product(client, "White Hugger Ceiling Fan", category="lighting")
    page = await search_page(client, "ceiling fan")
    assert page["items"][0]["id"] == fan


async def test_a_short_known_word_also_finds_its_two_halves_written_apart(
    client: httpx.AsyncClient,
) -> None:
    joined = await add_product(client, "Jigsaw Puzzle Table", category="toys")
    apart = await add_product(client, "Bosch Jig Saw", category="tools")
    await add_product(client, "Bosch Drill", category="tools")
    page = await search_page(client, "jigsaw")
    assert {product["id"] for product in page["items"]} == {joined, apart}


async def test_words_the_best_titles_share_lift_partial_matches_that_have_them(
    client: httpx.AsyncClient,
) -> None:
    await add_product(client, "Hunter Hugger Ceiling Fan", category="lighting")
    await add_product(client, "Hampton Bay Hugger Ceiling Fan", category="lighting")
    await add_product(client, "Westinghouse Hugger Ceiling Fan", category="lighting")
    ceiling = await add_product(client, "Flush Mount Ceiling Fan", category="lighting")
    stand = await add_product(client, "Pedestal Stand Fan", category="appliances")
    for title in ("Garden Hose", "Claw Hammer", "Wood Screws", "Paint Roller", "Door Hinge"):
        await add_product(client, title, category="misc")
    ids = [product["id"] for product in (await search_page(client, "hugger fan"))["items"]]
    # Both hold only 'fan'; the shorter title would rank first, but the best results are
    # ceiling fans.
    assert ids.index(ceiling) < ids.index(stand)


async def test_a_common_word_is_searched_even_when_its_split_reading_is_rarer(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # At 1M products 'office' (in 10% of them) was dropped for the rarer 'off ice' reading,
    # which no product holds as a phrase: the search found nothing.
    monkeypatch.setattr(engine, "ANY_WORD_BUDGET", 4)
    chairs = {await add_product(client, f"Office Chair {n}", category="office") for n in range(5)}
    await add_product(client, "Ice Tray", category="kitchen")
    await add_product(client, "Off Switch", category="electrical")
    page = await search_page(client, "office")
    assert {product["id"] for product in page["items"]} == chairs
    assert page["interpretation"]["searched_for"] == ["office"]
