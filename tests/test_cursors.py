"""Forged cursors: anything that does not decode to a valid position is a 422, never a 500."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx

from catalog_api.config import Settings
from catalog_api.pagination import INVALID_CURSOR
from tests.conftest import create
from tests.test_mcp_tools import connect, fail

LIST = "/api/products"
SEARCH = "/api/products/search"
# The sort a cursor is for, as (path, params): created_at, title, price, relevance, and a
# search sorted by a column.
SORTS: dict[str, tuple[str, dict[str, Any]]] = {
    "created_at": (LIST, {}),
    "title": (LIST, {"sort": "title"}),
    "price": (LIST, {"sort": "price"}),
    "relevance": (SEARCH, {"q": "lamp"}),
    "search_created_at": (SEARCH, {"q": "lamp", "sort": "created_at"}),
}

# Sort values that must be refused, by sort; the issue's three forged cursors come first.
HOSTILE_VALUES: dict[str, list[Any]] = {
    "created_at": [
        {"dt": "9999-12-31T23:59:59-14:00"},
        {"dt": "0001-01-01T00:00:00+14:00"},
        {"dt": "\ud800"},
        {"dt": "2026-01-01T00:00:00\udc00+00:00"},
        {"dt": "2026-01-01T00:00:00"},
        {"dt": "2026-13-01T00:00:00+00:00"},
        {"dt": 1_700_000_000},
        {"dt": None},
        {"dt": "2026-01-01T00:00:00+00:00", "extra": 1},
        {"\ud800": "2026-01-01T00:00:00+00:00"},
        {},
        "2026-01-01T00:00:00+00:00",
        None,
        [],
    ],
    "title": [
        "\ud800",
        "\udfff",
        "Lamp \udbff tail",
        "\ud800\ud800",
        "NUL\x00inside",
        5,
        None,
        True,
        ["Lamp"],
        {"dt": "2026-01-01T00:00:00+00:00"},
    ],
    "price": [
        2**63,
        -(2**63) - 1,
        10**400,
        1.5,
        float("nan"),
        float("inf"),
        "100",
        True,
        None,
    ],
    "relevance": [
        float("nan"),
        float("inf"),
        float("-inf"),
        10**400,
        "0.5",
        True,
        None,
        [0.5],
    ],
}
HOSTILE_VALUES["search_created_at"] = HOSTILE_VALUES["created_at"][:4]

HOSTILE_IDS: list[Any] = [-1, 2**31, 2**63, 2**64, 10**400, 1.0, "1", True, None, "\ud800", []]

# Sort values at the edges of what is valid: each must page normally.
EDGE_VALUES: dict[str, list[Any]] = {
    "created_at": [
        {"dt": "0001-01-01T00:00:00+00:00"},
        {"dt": "9999-12-31T23:59:59.999999+00:00"},
        {"dt": "9999-12-31T23:59:59+14:00"},
        {"dt": "0001-01-01T00:00:00-14:00"},
    ],
    "title": ["", "\U0001f600 grinning", "\u00e9t\u00e9", "\ud83d\ude00 escaped pair"],
    "price": [2**63 - 1, -(2**63), 0],
    "relevance": [0, -1e308, 1e308],
}


def encode(payload: Any) -> str:
    """Encode a payload as the API does (json.dumps escapes lone surrogates as \\udXXX)."""
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


def raw_cursor(data: bytes) -> str:
    """Encode arbitrary bytes as a cursor."""
    return base64.urlsafe_b64encode(data).decode()


async def _seed_and_read_tags(client: httpx.AsyncClient) -> dict[str, dict[str, Any]]:
    """Create three lamps and return a real cursor payload of each sort."""
    for i in range(3):
        await create(client, title=f"Lamp {i}", description="A desk lamp.", price_minor=100 + i)
    payloads = {}
    for name, (path, params) in SORTS.items():
        page = (await client.get(path, params={**params, "limit": 1})).json()
        cursor = page["next_cursor"]
        payloads[name] = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    return payloads


async def _status(client: httpx.AsyncClient, sort: str, cursor: str) -> tuple[int, Any]:
    path, params = SORTS[sort]
    response = await client.get(path, params={**params, "limit": 1, "cursor": cursor})
    return response.status_code, response.json()


def _is_cursor_problem(status: int, body: Any) -> bool:
    return (
        status == 422
        and body["detail"] == INVALID_CURSOR
        and [e["field"] for e in body["errors"]] == ["cursor"]
    )


async def test_the_three_forged_cursors_of_the_issue_are_422(client: httpx.AsyncClient) -> None:
    payloads = await _seed_and_read_tags(client)
    forged = [
        ("created_at", {**payloads["created_at"], "v": {"dt": "9999-12-31T23:59:59-14:00"}}),
        ("created_at", {**payloads["created_at"], "v": {"dt": "0001-01-01T00:00:00+14:00"}}),
        ("title", {**payloads["title"], "v": "\ud800"}),
    ]
    for sort, payload in forged:
        status, body = await _status(client, sort, encode(payload))
        assert _is_cursor_problem(status, body), (payload, status, body)


async def test_every_hostile_sort_value_is_422(client: httpx.AsyncClient) -> None:
    payloads = await _seed_and_read_tags(client)
    wrong = []
    for sort, values in HOSTILE_VALUES.items():
        for value in values:
            status, body = await _status(client, sort, encode({**payloads[sort], "v": value}))
            if not _is_cursor_problem(status, body):
                wrong.append((sort, value, status))
    assert wrong == []


async def test_every_hostile_id_query_tag_and_shape_is_422(client: httpx.AsyncClient) -> None:
    payloads = await _seed_and_read_tags(client)
    title = payloads["title"]
    cursors = [encode({**title, "id": product_id}) for product_id in HOSTILE_IDS]
    cursors += [encode({**title, "q": tag}) for tag in ("\ud800", 5, None, "other")]
    cursors += [
        encode({"v": title["v"], "id": title["id"]}),
        encode({**title, "extra": 1}),
        encode([title["v"], title["id"], title["q"]]),
        encode("just a string"),
        encode(None),
        raw_cursor(b"not json at all"),
        raw_cursor(b"\xff\xfe\x00"),
        raw_cursor(b'{"v": "\xed\xa0\x80", "id": 1, "q": "' + title["q"].encode() + b'"}'),
        raw_cursor(b"[" * 600 + b"]" * 600),  # deeper than the parser allows
        raw_cursor(b'{"v": NaN, "id": 1, "q": "x"}'),
        "!!!!",
        "\u00e9\u00e9\u00e9\u00e9",
        "a",
    ]
    wrong = []
    for cursor in cursors:
        status, body = await _status(client, "title", cursor)
        if not _is_cursor_problem(status, body):
            wrong.append((cursor[:60], status))
    assert wrong == []


async def test_sort_values_at_the_edges_still_page(client: httpx.AsyncClient) -> None:
    payloads = await _seed_and_read_tags(client)
    wrong = []
    for sort, values in EDGE_VALUES.items():
        for value in values:
            for product_id in (0, 2**31 - 1):
                payload = {**payloads[sort], "v": value, "id": product_id}
                status, body = await _status(client, sort, encode(payload))
                if status != 200 or len(body["items"]) > 1:
                    wrong.append((sort, value, product_id, status))
    assert wrong == []


async def test_a_real_cursor_still_walks_every_sort(client: httpx.AsyncClient) -> None:
    await _seed_and_read_tags(client)
    for path, params in SORTS.values():
        seen, cursor = [], None
        for _ in range(5):
            page = (
                await client.get(path, params={**params, "limit": 1, "cursor": cursor or ""})
            ).json()
            seen += [p["id"] for p in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert sorted(seen) == [1, 2, 3], (path, params)


async def test_forged_cursors_through_mcp_are_http_422(settings: Settings) -> None:
    async with connect(settings) as mcp:
        for title in ("Kettle A", "Kettle B"):
            await mcp.call_tool(
                "create_product",
                {"title": title, "category": "kitchen", "price_minor": 100, "currency": "USD"},
            )
        first = await mcp.call_tool("list_products", {"limit": 1, "status": "any"})
        assert first.structured_content is not None
        cursor = first.structured_content["next_cursor"]
        payload = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        for value in ({"dt": "9999-12-31T23:59:59-14:00"}, {"dt": "0001-01-01T00:00:00+14:00"}):
            forged = encode({**payload, "v": value})
            message = await fail(mcp, "list_products", limit=1, cursor=forged, status="any")
            assert "Invalid input: " in message
            assert "- cursor" in message


async def test_cursors_that_are_not_text_are_422(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    for raw_query in ("cursor=%ED%A0%80", "cursor=%FF%FE", "cursor=%00", "cursor=%C3%A9"):
        response = await client.get(f"/api/products?{raw_query}")
        assert response.status_code == 422, raw_query
        assert response.headers["content-type"] == "application/problem+json"
    async with connect(settings) as mcp:
        refused = await fail(mcp, "list_products", cursor="\ud800")
        assert "cursor" in refused
        assert "HTTP 500" not in refused
