"""Settings read from the environment (prefix ``CATALOG_``)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, Literal

from platformdirs import user_data_path
from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

MAX_PAGE_SIZE_LIMIT = 1000
LLM_PROVIDERS = ("gemini", "openai", "anthropic", "google", "bedrock", "offline")
LOG_LEVELS = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG")
# A URL without a driver gets the async driver this package ships: postgres:// and
# postgresql:// are what hosting providers hand out, and SQLAlchemy has no async default.
ASYNC_SCHEMES = {
    "sqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
}


def default_database_url() -> str:
    """Return the embedded default: a SQLite file in the per-user data directory."""
    path: Path = user_data_path("catalog-mcp", appauthor=False) / "catalog.db"
    return f"sqlite+aiosqlite:///{path}"


def usable_cpus() -> int:
    """Return how many CPUs this process may run on."""
    if hasattr(os, "sched_getaffinity"):  # Linux; elsewhere every CPU counts
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def _backend(url: str) -> str:
    """Return the database kind of a URL: sqlite, postgresql, ..."""
    return url.partition("://")[0].partition("+")[0].lower()


class Settings(BaseSettings):
    """Configuration of the catalog API."""

    model_config = SettingsConfigDict(env_prefix="CATALOG_", extra="ignore", populate_by_name=True)

    database_url: str = Field(
        default_factory=default_database_url,
        description="SQLAlchemy async URL: sqlite+aiosqlite:///path or postgresql+asyncpg://...",
    )
    database_replica_url: str | None = Field(
        default=None,
        description="A read replica of database_url (same kind of database): reads that need "
        "not see the caller's own writes (GET by id or slug, lists, search, facets, "
        "categories, currencies) go there; writes and their responses use database_url.",
    )
    api_key: SecretStr | None = Field(
        default=None,
        description="An admin key (every scope), named CATALOG_API_KEY in history; when set, "
        "or once a key is created with `catalog-api keys create`, writes need a key.",
    )
    reads_need_key: bool = Field(
        default=False, description="Reads need a key too (any scope); default: reads are open."
    )
    redis_url: str | None = Field(
        default=None,
        description="redis://host:port/db: rate limits shared by every API process using it; "
        "default: each process counts its own.",
    )
    failed_keys_per_minute: float = Field(
        default=10,
        ge=0,
        description="Wrong keys a minute from one address before it must wait (429); 0 disables.",
    )
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    max_body_bytes: int = Field(
        default=1_048_576, ge=1024, description="Largest request body accepted (413 above)."
    )
    default_page_size: int = Field(default=20, ge=1, le=MAX_PAGE_SIZE_LIMIT)
    max_page_size: int = Field(default=100, ge=1, le=MAX_PAGE_SIZE_LIMIT)
    auto_migrate: bool | None = Field(
        default=None,
        description="Upgrade the schema on start; default: yes on SQLite, no elsewhere.",
    )
    sqlite_busy_timeout_ms: int = Field(default=10_000, ge=0)
    sqlite_synchronous: Literal["OFF", "NORMAL", "FULL", "EXTRA"] = Field(
        default="FULL",
        description="FULL survives power loss; NORMAL survives only process crashes.",
    )
    db_pool_size: int = Field(default=10, ge=1)
    db_read_pool_size: int = Field(
        default=10,
        ge=1,
        description="PostgreSQL connections per process for reads of one product by id or "
        "slug (asyncpg, prepared statements), besides db_pool_size; each read holds one "
        "for a single round trip.",
    )
    db_pool_timeout: float = Field(
        default=3.0,
        gt=0,
        description="Seconds a request waits for a pooled database connection; then it is "
        "refused with 503 and Retry-After.",
    )
    postgres_lock_timeout_ms: int = Field(
        default=10_000,
        ge=0,
        description="How long a PostgreSQL statement waits for a row or table lock before it "
        "gives up (a 503 with Retry-After); 0 waits forever.",
    )
    query_concurrency: int | None = Field(
        default=None,
        ge=1,
        description="Statements of searches and product lists run at once per process "
        "(default: the number of CPUs the process may use); keep it below db_pool_size so "
        "that reads by id, categories and writes always find a connection.",
    )
    query_queue_seconds: float = Field(
        default=1.0,
        ge=0,
        description="How long a statement of a search or list waits for one of those slots "
        "before the request is refused with 503 and Retry-After.",
    )
    query_timeout_seconds: float = Field(
        default=5.0,
        gt=0,
        description="Longest one statement of a search or list may run; it is then stopped "
        "and the request answered 503 with Retry-After.",
    )
    facet_limit: int = Field(
        default=10_000,
        ge=1,
        le=1_000_000,
        description="Most products of one match set that facets=true counts; beyond it the "
        "counts cover the first this many matches found and say complete=false.",
    )
    count_limit: int = Field(
        default=10_000,
        ge=1,
        le=100_000_000,
        description="Most matches a list counts for its total; beyond it total is this bound "
        "and total_is_exact false. The count's cost grows with it.",
    )
    log_level: str = "INFO"

    llm_chain: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["offline"],
        description="Copy providers in order, comma-separated, e.g. gemini,anthropic,offline; "
        "offline is always appended as the last link.",
    )
    llm_timeout: float = Field(default=20.0, gt=0, description="Hard deadline of one attempt (s).")
    llm_breaker_failures: int = Field(default=3, ge=1, description="Failures that open a breaker.")
    llm_breaker_cooldown: float = Field(
        default=60.0, ge=0, description="Seconds a breaker stays open."
    )
    interpret_model: bool = Field(
        default=False,
        description="Search with interpret=true asks the model providers of CATALOG_LLM_CHAIN "
        "(offline aside) to read the query, within interpret_model_timeout; the offline "
        "reader's answer is used when they fail, time out or reply with something invalid.",
    )
    interpret_model_timeout: float = Field(
        default=1.5, gt=0, description="Deadline of a model reading of one query (s)."
    )
    describe_rate_per_minute: float = Field(
        default=30, ge=0, description="Describe requests a minute per client; 0 disables."
    )
    write_rate_per_minute: float = Field(
        default=600, ge=0, description="Writes a minute per client (429 above); 0 disables."
    )
    write_burst: int | None = Field(
        default=None, ge=1, description="Writes a client may send at once; default: a minute's."
    )
    idempotency_ttl_seconds: float = Field(
        default=86_400, gt=0, description="How long an Idempotency-Key is remembered (s)."
    )
    agent_writes_as_draft: bool = Field(
        default=False,
        description="Products created with a named API key that is not admin start as drafts, "
        "for review (GET /api/products?status=draft&actor=NAME); CATALOG_API_KEY and the CLI "
        "are not affected.",
    )
    history_retention_days: float | None = Field(
        default=None,
        gt=0,
        description="Forget recorded changes older than this many days (checked hourly while "
        "the API runs; `catalog-api history purge` does it at once); default: keep all.",
    )
    semantic: bool | None = Field(
        default=None,
        description="Semantic search (mode=semantic|hybrid, similar products; the semantic "
        "extra): true or false; default on once `catalog-api embed` has stored vectors.",
    )
    semantic_graph_dir: Path | None = Field(
        default=None,
        description="Where the vector graph (used from 20,000 products) is saved so a restart "
        "loads it instead of rebuilding it; default: beside a SQLite database file, not saved "
        "for PostgreSQL.",
    )
    shutdown_grace_seconds: float = Field(
        default=10, ge=0, description="On SIGTERM, how long in-flight requests may finish (s)."
    )
    gemini_api_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("GEMINI_API_KEY", "CATALOG_GEMINI_API_KEY"),
        description="Gemini key; GOOGLE_API_KEY is used when this is unset.",
    )
    gemini_model: str = "gemini-2.5-flash"
    gemini_base_url: str | None = None
    openai_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("OPENAI_API_KEY", "CATALOG_OPENAI_API_KEY")
    )
    openai_model: str = "gpt-4o-mini"
    openai_base_url: str | None = None
    anthropic_api_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("ANTHROPIC_API_KEY", "CATALOG_ANTHROPIC_API_KEY"),
    )
    anthropic_model: str = "claude-haiku-4-5"
    anthropic_base_url: str | None = None
    google_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("GOOGLE_API_KEY", "CATALOG_GOOGLE_API_KEY")
    )
    google_model: str = "gemini-2.5-flash"
    google_base_url: str | None = None
    bedrock_region: str = "us-east-1"
    bedrock_model: str = "anthropic.claude-sonnet-4-20250514-v1:0"
    bedrock_endpoint_url: str | None = None
    bedrock_guardrail_id: str | None = None
    bedrock_guardrail_version: str = "DRAFT"
    aws_access_key_id: str | None = Field(
        default=None,
        validation_alias=AliasChoices("AWS_ACCESS_KEY_ID", "CATALOG_AWS_ACCESS_KEY_ID"),
    )
    aws_secret_access_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("AWS_SECRET_ACCESS_KEY", "CATALOG_AWS_SECRET_ACCESS_KEY"),
    )
    aws_session_token: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("AWS_SESSION_TOKEN", "CATALOG_AWS_SESSION_TOKEN"),
    )

    @model_validator(mode="after")
    def _gemini_falls_back_to_google_key(self) -> Settings:
        if self.gemini_api_key is None:
            self.gemini_api_key = self.google_api_key
        return self

    @field_validator("llm_chain", mode="before")
    @classmethod
    def _parse_chain(cls, value: Any) -> Any:
        names = value.split(",") if isinstance(value, str) else value
        if not isinstance(names, list):
            return value
        chain = [str(name).strip().lower() for name in names if str(name).strip()]
        unknown = [name for name in chain if name not in LLM_PROVIDERS]
        if unknown:
            raise ValueError(f"unknown providers {unknown}; choose from {', '.join(LLM_PROVIDERS)}")
        chain = list(dict.fromkeys(chain))
        if "offline" in chain:
            chain.remove("offline")
        return [*chain, "offline"]

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        scheme, separator, rest = value.strip().partition("://")
        async_scheme = ASYNC_SCHEMES.get(scheme.lower())
        return f"{async_scheme}://{rest}" if separator and async_scheme else value

    @field_validator("database_replica_url")
    @classmethod
    def _replica_async_driver(cls, value: str | None) -> str | None:
        return cls._async_driver(value) if value and value.strip() else None

    @model_validator(mode="after")
    def _replica_of_same_kind(self) -> Settings:
        replica = self.database_replica_url
        if replica is not None and _backend(replica) != _backend(self.database_url):
            raise ValueError(
                "database_replica_url must name the same kind of database as database_url "
                f"({_backend(self.database_url)}), not {_backend(replica)}"
            )
        return self

    @field_validator("log_level")
    @classmethod
    def _known_log_level(cls, value: str) -> str:
        if value.strip().upper() not in LOG_LEVELS:
            raise ValueError(f"choose one of {', '.join(LOG_LEVELS)}")
        return value.strip().upper()

    @property
    def query_slots(self) -> int:
        """Return how many searches and lists one process serves at once."""
        # Their statements are CPU-bound (in SQLite's threads or PostgreSQL's backends): more
        # at once than there are CPUs only lengthens every request, the cheap ones included.
        return self.query_concurrency or usable_cpus()

    @property
    def is_sqlite(self) -> bool:
        """Tell whether the database is SQLite."""
        return self.database_url.startswith("sqlite")

    @property
    def should_auto_migrate(self) -> bool:
        """Tell whether the app upgrades the schema itself on start."""
        return self.is_sqlite if self.auto_migrate is None else self.auto_migrate
