"""Settings of the MCP server, read from the environment."""

from __future__ import annotations

from typing import Annotated, Any

import httpx
from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

LOCAL_HOSTS = ["127.0.0.1:*", "localhost:*", "[::1]:*"]
LOCAL_ORIGINS = ["http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*"]
LOG_LEVELS = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG")


class McpSettings(BaseSettings):
    """Configuration of catalog-mcp."""

    model_config = SettingsConfigDict(env_prefix="CATALOG_", extra="ignore")

    api_url: str | None = Field(
        default=None,
        description="URL of a running catalog API; unset runs the API embedded in this process.",
    )
    api_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("CATALOG_MCP_API_KEY", "CATALOG_API_KEY", "api_key"),
        description="The key this server sends as X-API-Key; its scopes decide which tools it "
        "offers. CATALOG_MCP_API_KEY, else CATALOG_API_KEY (which an embedded API also takes "
        "as its admin key).",
    )
    api_connect_timeout: float = Field(default=5.0, gt=0, description="Seconds to connect.")
    api_timeout: float = Field(
        default=30.0, gt=0, description="Seconds a whole API call may take, connect included."
    )
    describe_timeout: float = Field(
        default=120.0, gt=0, description="Seconds a describe call may take (providers are slow)."
    )
    mcp_token: SecretStr | None = Field(
        default=None, description="When set, streamable HTTP requests need 'Bearer <token>'."
    )
    mcp_accept_api_keys: bool = Field(
        default=False,
        description="Over HTTP, take a catalog API key as the bearer token (checked with GET "
        "/api/access) and call the API with it, so each agent acts under its own key's name and "
        "scopes; CATALOG_MCP_TOKEN, if set, still works and uses the server's own key.",
    )
    mcp_key_cache_seconds: float = Field(
        default=30,
        ge=0,
        description="How long an agent's key check is remembered (s); a revoked key may pass "
        "the door that long, but the API refuses its calls at once.",
    )
    mcp_failed_keys_per_minute: int = Field(
        default=5,
        ge=1,
        description="Wrong keys an address may send to --http a minute before it gets 429; "
        "keep it below the API's CATALOG_FAILED_KEYS_PER_MINUTE, which counts this server's "
        "address for all its agents.",
    )
    mcp_host: str = Field(default="127.0.0.1", description="Interface for --http.")
    mcp_port: int = Field(default=8001, ge=0, le=65535, description="Port for --http.")
    mcp_allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Extra Host values accepted over HTTP, comma-separated (host:port or host:*).",
    )
    mcp_allowed_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Extra Origins accepted over HTTP, comma-separated (https://host or ...:*).",
    )
    shutdown_grace_seconds: float = Field(
        default=10, ge=0, description="On SIGTERM, how long in-flight HTTP requests may finish (s)."
    )
    log_level: str = "INFO"

    @field_validator("mcp_allowed_hosts", "mcp_allowed_origins", mode="before")
    @classmethod
    def _split_commas(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("api_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if not value or not value.strip():
            return None
        try:
            url = httpx.URL(value.strip())
        except httpx.InvalidURL as error:
            raise ValueError(f"not a URL ({error}); write e.g. http://127.0.0.1:8000") from None
        if url.scheme not in {"http", "https"} or not url.host:
            raise ValueError("must start with http:// or https://, e.g. http://127.0.0.1:8000")
        return value.strip()

    @field_validator("log_level")
    @classmethod
    def _known_log_level(cls, value: str) -> str:
        if value.strip().upper() not in LOG_LEVELS:
            raise ValueError(f"choose one of {', '.join(LOG_LEVELS)}")
        return value.strip().upper()

    @property
    def embedded(self) -> bool:
        """Tell whether the catalog API runs inside this process."""
        return not self.api_url

    def allowed_hosts(self) -> list[str]:
        """Return every Host header value the HTTP transport accepts."""
        return [*LOCAL_HOSTS, *self.mcp_allowed_hosts]

    def allowed_origins(self) -> list[str]:
        """Return every Origin the HTTP transport accepts."""
        return [*LOCAL_ORIGINS, *self.mcp_allowed_origins]
