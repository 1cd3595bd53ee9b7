"""Settings read from the environment (prefix ``CATALOG_``)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from platformdirs import user_data_path
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

MAX_PAGE_SIZE_LIMIT = 1000


def default_database_url() -> str:
    """Return the embedded default: a SQLite file in the per-user data directory."""
    path: Path = user_data_path("catalog-mcp", appauthor=False) / "catalog.db"
    return f"sqlite+aiosqlite:///{path}"


class Settings(BaseSettings):
    """Configuration of the catalog API."""

    model_config = SettingsConfigDict(env_prefix="CATALOG_", extra="ignore")

    database_url: str = Field(
        default_factory=default_database_url,
        description="SQLAlchemy async URL: sqlite+aiosqlite:///path or postgresql+asyncpg://...",
    )
    api_key: SecretStr | None = Field(
        default=None, description="When set, every write needs this value in header X-API-Key."
    )
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
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
    log_level: str = "INFO"

    @property
    def is_sqlite(self) -> bool:
        """Tell whether the database is SQLite."""
        return self.database_url.startswith("sqlite")

    @property
    def should_auto_migrate(self) -> bool:
        """Tell whether the app upgrades the schema itself on start."""
        return self.is_sqlite if self.auto_migrate is None else self.auto_migrate
