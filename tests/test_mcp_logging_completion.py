"""Log notifications (logging/setLevel) and completion/complete through an in-memory client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.shared.exceptions import MCPDeprecationWarning
from mcp_types import (
    LATEST_PROTOCOL_VERSION,
    LoggingLevel,
    LoggingMessageNotificationParams,
    PromptReference,
    ResourceTemplateReference,
)
from sqlalchemy import insert

from catalog_api.config import Settings
from catalog_api.db import create_engine
from catalog_api.models import Product, ProductStatus, utcnow
from catalog_mcp.config import McpSettings
from catalog_mcp.server import build_server
from tests.fakes.openai_api import fake_openai
from tests.processes import clean_env, command

PREVIEW = {"title": "Moon Lamp", "category": "home"}


class LogInbox:
    """Collects the log notifications a client receives."""

    def __init__(self) -> None:
        self.received: list[LoggingMessageNotificationParams] = []

    async def __call__(self, params: LoggingMessageNotificationParams) -> None:
        """Keep one notification."""
        self.received.append(params)

    def data(self) -> list[dict[str, Any]]:
        """Return the data of each notification, in order."""
        return [dict(p.data) for p in self.received]


@asynccontextmanager
async def connect(
    settings: Settings, inbox: LogInbox | None = None, **options: Any
) -> AsyncIterator[Client]:
    """A handshake-era client (2025-11-25) on the embedded API, unless options say otherwise."""
    server = build_server(McpSettings(), api_settings=settings)
    options.setdefault("mode", "legacy")
    async with Client(server, logging_callback=inbox, **options) as client:
        yield client


async def set_level(client: Client, level: LoggingLevel) -> None:
    """Send logging/setLevel (the SDK marks it deprecated for the 2026 protocol)."""
    with pytest.warns(MCPDeprecationWarning):
        await client.set_logging_level(level)


@pytest.fixture
def failing_openai_settings(settings: Settings) -> AsyncIterator[Settings]:
    """Chain anthropic (no key: skipped), openai (answers 500: failed), then offline."""
    with fake_openai("500") as openai:
        yield Settings(
            database_url=settings.database_url,
            auto_migrate=False,
            llm_chain="anthropic,openai",  # type: ignore[arg-type]
            openai_api_key="openai-test-key",  # type: ignore[arg-type]
            openai_base_url=openai.base_url,
        )


async def describe(client: Client) -> dict[str, Any]:
    """Preview copy for a product and return the structured result."""
    result = await client.call_tool("describe_product", PREVIEW)
    assert not result.is_error, result
    assert result.structured_content is not None
    return result.structured_content


async def test_the_server_advertises_logging_and_completions(settings: Settings) -> None:
    async with connect(settings) as client:
        capabilities = client.server_capabilities
        assert capabilities.logging is not None
        assert capabilities.completions is not None
        with pytest.warns(MCPDeprecationWarning):
            assert (await client.set_logging_level("info")).model_dump(exclude_none=True) == {}


async def test_describe_warns_the_client_of_each_provider_it_passed_over(
    failing_openai_settings: Settings,
) -> None:
    inbox = LogInbox()
    async with connect(failing_openai_settings, inbox) as client:
        copy = await describe(client)
    assert copy["provider"] == "offline"
    assert [p.level for p in inbox.received] == ["warning", "warning"]
    assert {p.logger for p in inbox.received} == {"catalog"}
    logged = {(d["provider"], d["outcome"], d["answered_by"]) for d in inbox.data()}
    assert logged == {("openai", "failed", "offline"), ("anthropic", "skipped", "offline")}
    failed = next(d for d in inbox.data() if d["outcome"] == "failed")
    assert failed["reason"] == copy["failed"][0]["reason"]
    assert "openai failed" in failed["message"]


async def test_set_level_decides_which_warnings_reach_the_client(
    failing_openai_settings: Settings,
) -> None:
    inbox = LogInbox()
    async with connect(failing_openai_settings, inbox) as client:
        await set_level(client, "error")
        await describe(client)
        assert inbox.received == []
        await set_level(client, "warning")
        await describe(client)
        assert len(inbox.received) == 2
        await set_level(client, "debug")
        await describe(client)
        assert len(inbox.received) == 4


async def test_a_2026_client_gets_the_warnings_only_when_it_opts_in(
    failing_openai_settings: Settings,
) -> None:
    silent, opted_in = LogInbox(), LogInbox()
    async with connect(failing_openai_settings, silent, mode=LATEST_PROTOCOL_VERSION) as client:
        await describe(client)
    async with connect(
        failing_openai_settings, opted_in, mode=LATEST_PROTOCOL_VERSION, log_level="warning"
    ) as client:
        await describe(client)
    assert silent.received == []
    assert len(opted_in.received) == 2


async def test_describe_with_only_the_offline_writer_logs_nothing(settings: Settings) -> None:
    inbox = LogInbox()
    async with connect(settings, inbox) as client:
        await set_level(client, "debug")
        assert (await describe(client))["provider"] == "offline"
    assert inbox.received == []


async def add_products(settings: Settings, categories: list[str]) -> None:
    """Write one active product per entry straight to the database (fast for many)."""
    engine = create_engine(settings)
    now = utcnow()
    rows = [
        {
            "slug": f"item-{n}", "title": f"Item {n}", "description": "", "category": category,
            "tags": [], "price_minor": 100, "currency": "USD", "stock_quantity": 1,
            "status": ProductStatus.ACTIVE, "attributes": {}, "image_urls": [],
            "seo_keywords": [], "created_at": now, "updated_at": now, "version": 1,
        }
        for n, category in enumerate(categories)
    ]  # fmt: skip
    async with engine.begin() as connection:
        await connection.execute(insert(Product), rows)
    await engine.dispose()


async def complete(client: Client, prompt: str, argument: str, typed: str) -> list[str]:
    """Ask for completions of one prompt argument."""
    result = await client.complete(PromptReference(name=prompt), {"name": argument, "value": typed})
    return result.completion.values


async def test_prompt_category_arguments_complete_from_the_catalog(settings: Settings) -> None:
    await add_products(settings, ["kitchen", "kitchen", "kids", "garden"])
    async with connect(settings) as client:
        assert await complete(client, "find_products", "category", "ki") == ["kitchen", "kids"]
        assert await complete(client, "write_listing", "category", "KIT") == ["kitchen"]
        assert await complete(client, "find_products", "category", "") == [
            "kitchen", "garden", "kids",
        ]  # fmt: skip
        assert await complete(client, "find_products", "category", "toys") == []
        assert await complete(client, "find_products", "need", "ki") == []
        assert await complete(client, "no_such_prompt", "category", "ki") == []
        prompts = {p.name: p for p in (await client.list_prompts()).prompts}
        for name in ("find_products", "write_listing"):
            assert "category" in {a.name for a in prompts[name].arguments or []}
        listing = await client.get_prompt("write_listing", {"facts": "lamp", "category": "home"})
        assert "category 'home'" in str(listing.messages[0].content)
        finding = await client.get_prompt("find_products", {"need": "a pan", "category": "kids"})
        assert "category 'kids'" in str(finding.messages[0].content)


async def test_a_completion_holds_at_most_100_values_and_says_how_many_match(
    settings: Settings,
) -> None:
    await add_products(settings, [f"c{n:03d}" for n in range(130)])
    async with connect(settings) as client:
        result = await client.complete(
            PromptReference(name="find_products"), {"name": "category", "value": "c"}
        )
    assert len(result.completion.values) == 100
    assert result.completion.total == 130
    assert result.completion.has_more is True


async def test_an_unknown_template_completes_to_nothing(settings: Settings) -> None:
    async with connect(settings) as client:
        result = await client.complete(
            ResourceTemplateReference(uri="catalog://nothing/{x}"), {"name": "x", "value": "a"}
        )
    assert result.completion.values == []


async def test_the_product_template_completes_slugs_by_prefix(settings: Settings) -> None:
    await add_products(settings, ["kitchen"] * 3)
    template = ResourceTemplateReference(uri="catalog://products/{slug}")
    async with connect(settings) as client:
        typed = await client.complete(template, {"name": "slug", "value": "ITEM-"})
        assert typed.completion.values == ["item-0", "item-1", "item-2"]
        assert typed.completion.has_more is False
        one = await client.complete(template, {"name": "slug", "value": "item-1"})
        assert one.completion.values == ["item-1"]
        for nothing in ("kettle", "%", "_tem-1", "x" * 300):
            result = await client.complete(template, {"name": "slug", "value": nothing})
            assert result.completion.values == [], nothing


async def test_slug_completion_stops_at_100_and_says_there_are_more(settings: Settings) -> None:
    await add_products(settings, ["kitchen"] * 150)
    template = ResourceTemplateReference(uri="catalog://products/{slug}")
    async with connect(settings) as client:
        result = await client.complete(template, {"name": "slug", "value": "item"})
    assert len(result.completion.values) == 100
    assert result.completion.values == sorted(result.completion.values)
    assert result.completion.has_more is True


async def test_the_slugs_endpoint_escapes_like_wildcards_and_caps_the_limit(
    settings: Settings, client: httpx.AsyncClient
) -> None:
    await add_products(settings, ["kitchen"] * 12)
    body = (await client.get("/api/products/slugs", params={"prefix": "item-1"})).json()
    assert body == {"items": ["item-1", "item-10", "item-11"], "has_more": False}
    page = (await client.get("/api/products/slugs", params={"limit": 5})).json()
    assert page == {"items": ["item-0", "item-1", "item-10", "item-11", "item-2"], "has_more": True}
    for wildcard in ("%", "_", "item_1", "\\"):
        found = (await client.get("/api/products/slugs", params={"prefix": wildcard})).json()
        assert found["items"] == [], wildcard
    assert (await client.get("/api/products/slugs", params={"limit": 101})).status_code == 422


async def test_the_warnings_reach_a_client_of_the_real_stdio_process(tmp_path: Path) -> None:
    inbox = LogInbox()
    env = clean_env(
        tmp_path,
        CATALOG_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'c.db'}",
        CATALOG_LLM_CHAIN="anthropic",
    )
    argv = command("catalog-mcp")
    params = StdioServerParameters(command=argv[0], args=argv[1:], env=env)
    with (tmp_path / "mcp.log").open("w") as errlog:
        async with Client(
            stdio_client(params, errlog=errlog), mode="legacy", logging_callback=inbox
        ) as client:
            await set_level(client, "warning")
            await describe(client)
            await set_level(client, "error")
            await describe(client)
    assert [(d["provider"], d["outcome"]) for d in inbox.data()] == [("anthropic", "skipped")]
