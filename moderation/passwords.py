"""Password hashing: argon2id with the RFC 9106 parameters, always off the event loop.

RFC 9106 §4 recommends, where 2 GiB per hash is too much, argon2id with t=3 passes over
64 MiB and 4 lanes (argon2-cffi's `RFC_9106_LOW_MEMORY` profile, its default). One
verification takes about a tenth of a second on a small two-core server: slow enough
to make guessing expensive, fast enough for logins. A semaphore bounds how many run at
once, so a burst of logins costs at most `concurrency` × 64 MiB of memory.
"""

from __future__ import annotations

import asyncio
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from argon2.profiles import RFC_9106_LOW_MEMORY

__all__ = ["PARAMETERS", "Passwords"]

PARAMETERS = RFC_9106_LOW_MEMORY


class Passwords:
    def __init__(self, concurrency: int = 2) -> None:
        self._hasher = PasswordHasher.from_parameters(PARAMETERS)
        self._slots = asyncio.Semaphore(concurrency)
        # Verified against when the username is unknown, so that both cases cost the same.
        self._dummy = self._hasher.hash(secrets.token_urlsafe(24))

    def hash_now(self, password: str) -> str:
        """Blocking: for the command line, or through `hash`."""
        return self._hasher.hash(password)

    async def hash(self, password: str) -> str:
        async with self._slots:
            return await asyncio.to_thread(self._hasher.hash, password)

    def _verify(self, stored: str | None, password: str) -> bool:
        try:
            return self._hasher.verify(stored or self._dummy, password) and stored is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    async def verify(self, stored: str | None, password: str) -> bool:
        """True when `password` matches `stored`; with no stored hash, the same work and False."""
        async with self._slots:
            return await asyncio.to_thread(self._verify, stored, password)

    def needs_rehash(self, stored: str) -> bool:
        """The hash was made with other parameters: re-hash it now that we know the password."""
        try:
            return self._hasher.check_needs_rehash(stored)
        except InvalidHashError:
            return True
