"""Rate limits: attempts per client address in a sliding window.

One interface, two stores. :class:`MemoryLimiter` counts inside one process
(the default: one ``cxgap serve``). :class:`RedisLimiter` keeps the counts in
Redis, so every worker and every server behind a load balancer shares them;
with several workers an in-process counter would multiply the limit by the
number of processes.

The limiter never sees what was tried (a password, a survey token): only
which limit and which client. Clients are kept as a keyed hash of their
address, for at most one window, and an IPv6 address is counted by its /64
network, since one host usually holds a whole /64.

A window keeps the times of the newest ``attempts`` attempts; a client is
refused while ``attempts`` of them fall within the last ``window`` seconds,
until the oldest of them leaves the window.
"""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import logging
import math
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from cxgap.errors import ConfigError, CxgapError
from cxgap.settings import Settings, env_var, mask_url

__all__ = [
    "Limit",
    "MemoryLimiter",
    "RateLimitedError",
    "RateLimiter",
    "RedisLimiter",
    "client_key",
    "open_limiter",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limit:
    """At most ``attempts`` counted attempts per client in ``window`` seconds."""

    name: str
    attempts: int
    window: float


class RateLimitedError(CxgapError):
    """A client tried too often; it may try again after ``retry_after`` seconds."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = max(1, math.ceil(retry_after))


class RateLimiter(Protocol):
    """What the web app asks of a limiter."""

    def retry_after(self, limit: Limit, client: str) -> float | None:
        """Seconds until ``client`` may try again; ``None`` when it may now."""
        ...

    def hit(self, limit: Limit, client: str) -> float | None:
        """Count one attempt of ``client``; return :meth:`retry_after` after it."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


def client_key(limit: Limit, client: str, *, secret: str | None = None) -> str:
    """The key under which ``client``'s attempts against ``limit`` are kept:
    a keyed hash of the address (IPv6: of its /64 network), never the address.

    Examples
    --------
    >>> lim = Limit("login", 10, 300.0)
    >>> client_key(lim, "2001:db8::1") == client_key(lim, "2001:db8::2:3")
    True
    >>> client_key(lim, "192.0.2.1") == client_key(lim, "192.0.2.2")
    False
    >>> "192.0.2.1" in client_key(lim, "192.0.2.1")
    False
    """
    try:
        address = ipaddress.ip_address(client)
    except ValueError:
        who = client
    else:
        if isinstance(address, ipaddress.IPv6Address):
            mapped = address.ipv4_mapped
            who = str(mapped or ipaddress.IPv6Network(f"{address}/64", strict=False))
        else:
            who = str(address)
    digest = hashlib.blake2b(f"{limit.name}\0{who}".encode(), key=_key(secret), digest_size=16)
    return f"{limit.name}:{digest.hexdigest()}"


@functools.lru_cache(maxsize=8)
def _key(secret: str | None) -> bytes:
    return hashlib.sha256(b"cxgap-rate-limit\0" + (secret or "").encode()).digest()


class MemoryLimiter:
    """Attempts counted in this process (thread-safe).

    ``clock`` gives the time in seconds (monotonic by default; tests pass a
    fake one). Clients whose attempts have all left their window are dropped
    now and then, so memory holds only the clients of the current windows.
    """

    def __init__(self, *, secret: str | None = None, clock: Callable[[], float] | None = None):
        self._secret = secret
        self._clock = clock or time.monotonic
        self._lock = threading.Lock()
        self._seen: dict[str, tuple[float, deque[float]]] = {}
        self._hits = 0

    def _wait(self, key: str, limit: Limit, now: float) -> float | None:
        entry = self._seen.get(key)
        if entry is None:
            return None
        q = entry[1]
        while q and now - q[0] >= limit.window:
            q.popleft()
        if not q:
            del self._seen[key]
            return None
        if len(q) >= limit.attempts:
            return q[0] + limit.window - now
        return None

    def retry_after(self, limit: Limit, client: str) -> float | None:
        key = client_key(limit, client, secret=self._secret)
        with self._lock:
            return self._wait(key, limit, self._clock())

    def hit(self, limit: Limit, client: str) -> float | None:
        key = client_key(limit, client, secret=self._secret)
        with self._lock:
            now = self._clock()
            entry = self._seen.get(key)
            if entry is None:
                entry = self._seen[key] = (limit.window, deque(maxlen=limit.attempts))
            entry[1].append(now)
            self._hits += 1
            if self._hits % 1024 == 0:
                self._prune(now)
            return self._wait(key, limit, now)

    def _prune(self, now: float) -> None:
        stale = [k for k, (window, q) in self._seen.items() if not q or now - q[-1] >= window]
        for k in stale:
            del self._seen[k]

    def close(self) -> None:
        with self._lock:
            self._seen.clear()


# One atomic step on the server: drop attempts that left the window, count
# this one (ARGV[3] == "1"), keep only the newest `attempts`, and answer the
# milliseconds to wait (-1: none). Time is the Redis server's, so servers
# with skewed clocks still agree.
_SCRIPT = """
local key = KEYS[1]
local attempts = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
if ARGV[3] == '1' then
  redis.call('ZADD', key, now, ARGV[4])
  redis.call('ZREMRANGEBYRANK', key, 0, -(attempts + 1))
  redis.call('PEXPIRE', key, window)
end
if redis.call('ZCARD', key) >= attempts then
  local first = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  return math.max(1, tonumber(first[2]) + window - now)
end
return -1
"""


class RedisLimiter:
    """Attempts counted in Redis, shared by every process that uses the same
    server (and ``prefix``).

    If Redis stops answering while the app runs, attempts are let through
    (and a warning is logged, naming no client): the survey stays open, and
    the 256-bit survey tokens and argon2 password hashes still make guessing
    slow. :meth:`ping` at start-up refuses a Redis that does not answer.
    """

    def __init__(self, url: str, *, secret: str | None = None, prefix: str = "cxgap:rl:"):
        try:
            import redis
        except ModuleNotFoundError as exc:
            raise ConfigError(
                f"{env_var('redis_url')} is set but the redis package is not installed: "
                "pip install 'cxgap[redis]'"
            ) from exc
        self.url = url
        self._secret = secret
        self._prefix = prefix
        self._errors: tuple[type[Exception], ...] = (redis.RedisError, OSError)
        self._client: Any = redis.Redis.from_url(
            url, socket_timeout=2.0, socket_connect_timeout=2.0
        )
        self._script = self._client.register_script(_SCRIPT)
        self._warned = 0.0

    def ping(self) -> None:
        """Raise :class:`ConfigError` unless the server answers."""
        try:
            self._client.ping()
        except self._errors as exc:
            raise ConfigError(
                f"Redis at {mask_url(self.url)} does not answer: {exc} "
                f"(start it, or unset {env_var('redis_url')} to count in each process)"
            ) from None

    def _run(self, limit: Limit, client: str, add: bool) -> float | None:
        key = self._prefix + client_key(limit, client, secret=self._secret)
        args = [limit.attempts, max(1, int(limit.window * 1000)), "1" if add else "0"]
        if add:
            args.append(secrets.token_hex(8))
        try:
            ms = int(self._script(keys=[key], args=args))
        except self._errors as exc:
            now = time.monotonic()
            if now - self._warned > 60:
                self._warned = now
                log.warning("rate limit not applied: Redis at %s: %s", mask_url(self.url), exc)
            return None
        return None if ms < 0 else ms / 1000

    def retry_after(self, limit: Limit, client: str) -> float | None:
        return self._run(limit, client, add=False)

    def hit(self, limit: Limit, client: str) -> float | None:
        return self._run(limit, client, add=True)

    def close(self) -> None:
        self._client.close()


def open_limiter(settings: Settings) -> MemoryLimiter | RedisLimiter:
    """The limiter ``settings`` ask for: Redis when ``redis_url`` is set."""
    if settings.redis_url:
        return RedisLimiter(settings.redis_url, secret=settings.secret_key)
    return MemoryLimiter(secret=settings.secret_key)
