"""Key tokens: random, shown once, stored only as a SHA-256 digest.

A token carries 192 random bits, so a fast digest cannot be reversed by guessing; a slow
password hash (bcrypt, argon2) would add its cost to every authenticated request for no gain.
"""

from __future__ import annotations

import hashlib
import secrets

TOKEN_PREFIX = "cat_"  # noqa: S105 - a marker, not a secret
# Characters of a token kept in plain text so a list of keys can show which is which.
SHOWN_CHARACTERS = 8


def new_token() -> str:
    """Return a new random key token."""
    return TOKEN_PREFIX + secrets.token_urlsafe(24)


def token_digest(token: str) -> str:
    """Return the stored form of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


def shown_part(token: str) -> str:
    """Return the start of a token, enough to recognise it."""
    return token[: len(TOKEN_PREFIX) + SHOWN_CHARACTERS]
