"""Create, list and revoke keys, and tell who a request's key belongs to."""

from __future__ import annotations

import hmac
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pydantic import SecretStr
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from catalog_api.access.models import KEY_NAME_MAX, ApiKey
from catalog_api.access.repository import ApiKeyRepository
from catalog_api.access.scopes import ALL_SCOPES, Scope, format_scopes, granted, parse_scopes
from catalog_api.access.tokens import new_token, shown_part, token_digest
from catalog_api.errors import (
    AuthenticationError,
    DuplicateApiKeyError,
    InvalidInputError,
    UnknownApiKeyError,
)

# The name history and rate limits give the key set in CATALOG_API_KEY.
SETTINGS_KEY_NAME = "CATALOG_API_KEY"
_NAME = re.compile(rf"[A-Za-z0-9][A-Za-z0-9._-]{{0,{KEY_NAME_MAX - 1}}}")


@dataclass(frozen=True)
class Caller:
    """Who sent a request: a key's name (None without a key) and what it may do."""

    name: str | None
    scopes: frozenset[Scope]
    token: str | None = None


@dataclass(frozen=True)
class CreatedKey:
    """A new key and its token, which is shown this once and never stored."""

    key: ApiKey
    token: str


class KeyService:
    """Keys for the command line: create, list, revoke."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.keys = ApiKeyRepository(session)

    async def create(self, name: str, scopes: Iterable[Scope]) -> CreatedKey:
        """Create a key; its token is returned once."""
        chosen = frozenset(scopes)
        if not _NAME.fullmatch(name) or name == SETTINGS_KEY_NAME:
            raise InvalidInputError(
                f"A key name is 1 to {KEY_NAME_MAX} letters, digits, '.', '_' or '-', starting "
                f"with a letter or digit, and not {SETTINGS_KEY_NAME}.",
                field="name",
                value=name,
            )
        if not chosen:
            raise InvalidInputError("A key needs at least one scope.", field="scope")
        token = new_token()
        key = ApiKey(
            name=name,
            scopes=format_scopes(chosen),
            token_digest=token_digest(token),
            shown=shown_part(token),
        )
        try:
            await self.keys.add(key)
            await self.session.commit()
        except IntegrityError as error:
            await self.session.rollback()
            raise DuplicateApiKeyError(
                f"An active key is already named '{name}'; revoke it first or choose another name.",
                name=name,
            ) from error
        return CreatedKey(key, token)

    async def list(self) -> Sequence[ApiKey]:
        """Return every key, revoked ones included."""
        return await self.keys.all()

    async def revoke(self, name: str) -> None:
        """Revoke the active key with this name; it stops working at once."""
        if not await self.keys.revoke(name):
            raise UnknownApiKeyError(f"No active key is named '{name}'.", name=name)
        await self.session.commit()


async def identify(
    session: AsyncSession,
    token: str | None,
    *,
    settings_key: SecretStr | None,
    reads_need_key: bool,
) -> Caller:
    """Return who holds this token; AuthenticationError when the catalog knows no such key.

    A catalog with no key at all (none set, none created) takes writes from every caller, as
    before keys existed, and does not check a token sent to it; reads are open unless
    reads_need_key.
    """
    if token is not None:
        if settings_key is not None and hmac.compare_digest(
            token.encode(), settings_key.get_secret_value().encode()
        ):
            return Caller(SETTINGS_KEY_NAME, ALL_SCOPES, token)
        key = await ApiKeyRepository(session).active_by_digest(token_digest(token))
        if key is not None:
            return Caller(key.name, granted(parse_scopes(key.scopes)), token)
    keyed = settings_key is not None or await ApiKeyRepository(session).any_active()
    if token is not None and keyed:
        raise AuthenticationError(
            "The API key sent is not one of this catalog's keys (or it was revoked)."
        )
    anonymous = set() if reads_need_key else {Scope.READ}
    if not keyed:
        anonymous |= {Scope.WRITE, Scope.DESCRIBE}
    return Caller(None, frozenset(anonymous))
