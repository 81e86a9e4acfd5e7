"""Password guessing, held off: tries counted before the hash, and few hashes at once.

:class:`LoginThrottle` counts a try *before* its password is hashed (:meth:`reserve`),
per user name and per client address, under a lock: a burst of parallel guesses sees
the count go up one by one, and once it reaches the limit every further try is refused
without hashing — even the right password — until the lock-out has passed. A right
password (:meth:`settle` with ``ok=True``) clears the user's and the address's count.

:class:`HashGate` lets only a few password hashes run at once (scrypt keeps a core busy
for tens of milliseconds) and only a few more wait; beyond that a login is answered at
once with "busy, try again" (HTTP 503), so a burst of logins cannot starve ingest, which
runs on the same two cores.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncIterator
from dataclasses import dataclass

MAX_TRACKED = 10_000
"""Names and addresses remembered at most (random names must not grow memory)."""


@dataclass(frozen=True)
class Attempt:
    """One counted try (given back to :meth:`LoginThrottle.settle`)."""

    username: str
    address: str


class _Counter:
    """Failures per key within a window; a key at the limit is locked until it ends."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self._counts: OrderedDict[str, tuple[int, float]] = OrderedDict()

    def _current(self, key: str, now: float) -> int:
        count, last = self._counts.get(key, (0, 0.0))
        if count and now - last >= self.window:
            self._counts.pop(key, None)
            return 0
        return count

    def locked(self, key: str, now: float) -> bool:
        return self._current(key, now) >= self.limit

    def add(self, key: str, now: float) -> None:
        count = self._current(key, now)
        self._counts[key] = (count + 1, now)
        self._counts.move_to_end(key)
        while len(self._counts) > MAX_TRACKED:
            self._counts.popitem(last=False)

    def clear(self, key: str) -> None:
        self._counts.pop(key, None)

    def take_back(self, key: str) -> None:
        count, last = self._counts.get(key, (0, 0.0))
        if count > 1:
            self._counts[key] = (count - 1, last)
        else:
            self._counts.pop(key, None)


class LoginThrottle:
    """Locks a user name, and a client address, after too many wrong passwords."""

    def __init__(
        self, max_failures: int, lockout_seconds: float, max_failures_per_address: int
    ) -> None:
        self._users = _Counter(max_failures, lockout_seconds)
        self._addresses = _Counter(max_failures_per_address, lockout_seconds)
        self._lock = threading.Lock()

    def reserve(self, username: str, address: str, now: float | None = None) -> Attempt | None:
        """Count one try before its hash; None: locked, refuse it without hashing."""
        moment = time.monotonic() if now is None else now
        with self._lock:
            if self._users.locked(username, moment) or self._addresses.locked(address, moment):
                return None
            self._users.add(username, moment)
            self._addresses.add(address, moment)
        return Attempt(username, address)

    def settle(self, attempt: Attempt, ok: bool) -> None:
        """The hash said yes (clears both counts) or no (the try stays counted)."""
        if ok:
            with self._lock:
                self._users.clear(attempt.username)
                self._addresses.clear(attempt.address)

    def release(self, attempt: Attempt) -> None:
        """The try never reached the hash (the gate was full): do not count it."""
        with self._lock:
            self._users.take_back(attempt.username)
            self._addresses.take_back(attempt.address)

    def locked(self, username: str, address: str, now: float | None = None) -> bool:
        moment = time.monotonic() if now is None else now
        with self._lock:
            return self._users.locked(username, moment) or self._addresses.locked(address, moment)


class GateBusy(Exception):
    """Too many password checks are running and waiting: answer "busy" now."""


class HashGate:
    """At most ``concurrent`` password hashes at once, ``waiting`` more in line."""

    def __init__(self, concurrent: int, waiting: int) -> None:
        self._semaphore = asyncio.Semaphore(concurrent)
        self._capacity = concurrent + waiting
        self._inside = 0

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold a hashing slot; :class:`GateBusy` at once if the line is full."""
        if self._inside >= self._capacity:
            raise GateBusy
        self._inside += 1
        try:
            async with self._semaphore:
                yield
        finally:
            self._inside -= 1
