"""A client's Host header never picks where Location points, and writes are never redirected."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.processes import clean_env, command, free_port, running, sqlite_url

EVIL = {"Host": "evil.example"}
WRITES = ["POST", "PUT", "PATCH", "DELETE"]
PRODUCT = {"title": "Desk lamp", "category": "lighting", "price_minor": 2500, "currency": "USD"}
MCP_HEADERS = {
    "Accept": "application/json, text/event-stream",
    "Content-Type": "application/json",
    "MCP-Protocol-Version": "2025-11-25",
}


@pytest.fixture(scope="module")
def api_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Run catalog-api serve on a fresh SQLite file."""
    workdir = tmp_path_factory.mktemp("api")
    port = free_port()
    env = clean_env(workdir, CATALOG_DATABASE_URL=sqlite_url(workdir / "catalog.db"))
    argv = [*command("catalog-api"), "serve", "--port", str(port)]
    base = f"http://127.0.0.1:{port}"
    with running(argv, env, f"{base}/api/healthz", workdir / "api.log"):
        yield base


@pytest.fixture(scope="module")
def mcp_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Run catalog-mcp --http without a token (Host checks on, as by default)."""
    workdir = tmp_path_factory.mktemp("mcp")
    port = free_port()
    env = clean_env(workdir, CATALOG_API_URL=f"http://127.0.0.1:{free_port()}")
    argv = [*command("catalog-mcp"), "--http", "--port", str(port)]
    base = f"http://127.0.0.1:{port}"
    with running(argv, env, f"{base}/healthz", workdir / "mcp.log"):
        yield base


def _send(method: str, url: str, **kwargs: object) -> httpx.Response:
    with httpx.Client(follow_redirects=False, timeout=10) as client:
        return client.request(method, url, **kwargs)  # type: ignore[arg-type]


def test_created_location_is_relative_whatever_the_host(api_url: str) -> None:
    response = _send("POST", f"{api_url}/api/products", json=PRODUCT, headers=EVIL)
    assert response.status_code == 201, response.text
    assert response.headers["Location"] == f"/api/products/{response.json()['id']}"
    followed = httpx.get(httpx.URL(api_url).join(response.headers["Location"]))
    assert followed.json()["id"] == response.json()["id"]


def test_a_host_with_a_path_does_not_leak_into_location(api_url: str) -> None:
    headers = {"Host": "evil.example/steal"}
    response = _send(
        "POST", f"{api_url}/api/products", json=PRODUCT | {"title": "Lamp 2"}, headers=headers
    )
    assert response.status_code == 201, response.text
    assert response.headers["Location"].startswith("/api/products/")


@pytest.mark.parametrize("method", WRITES)
def test_api_writes_with_a_trailing_slash_are_not_redirected(api_url: str, method: str) -> None:
    path = "/api/products/" if method == "POST" else "/api/products/1/"
    response = _send(method, f"{api_url}{path}", json=PRODUCT, headers=EVIL)
    assert response.status_code == 404, response.text
    assert "Location" not in response.headers
    assert path.rstrip("/") in response.json()["detail"]


def test_api_get_with_a_trailing_slash_redirects_relatively(api_url: str) -> None:
    response = _send("GET", f"{api_url}/api/products/search/?q=lamp&limit=5", headers=EVIL)
    assert response.status_code == 307
    assert response.headers["Location"] == "/api/products/search?q=lamp&limit=5"


def test_a_double_slash_path_never_redirects_off_site(api_url: str) -> None:
    response = _send("GET", f"{api_url}//evil.example/", headers=EVIL)
    assert not response.headers.get("Location", "").startswith("//")


def test_mcp_post_with_a_trailing_slash_is_not_redirected(mcp_url: str) -> None:
    call = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    response = _send("POST", f"{mcp_url}/mcp/", json=call, headers={**MCP_HEADERS, **EVIL})
    assert response.status_code == 404, response.text
    assert "Location" not in response.headers


def test_mcp_get_with_a_trailing_slash_redirects_relatively(mcp_url: str) -> None:
    response = _send("GET", f"{mcp_url}/healthz/", headers=EVIL)
    assert response.status_code == 307
    assert response.headers["Location"] == "/healthz"


def test_a_path_without_a_neighbour_is_a_plain_404(api_url: str, mcp_url: str) -> None:
    assert _send("POST", f"{api_url}/api/nothing-here/", json={}).status_code == 404
    assert _send("POST", f"{mcp_url}/nothing-here/", json={}).status_code == 404
