"""Who is connected to a thread room now, and how fast each connection may talk.

Called by :mod:`forum.sockets` only. Nothing here touches the database or the forum's
state: presence is a count of connections, never names.

Embedded mode keeps presence in memory (one process sees every connection). Scale mode
keeps one Redis sorted set per room, each member a socket id scored by its expiry time:
every process adds and removes its own sockets and refreshes them from a background task,
so a process that dies without saying goodbye drops out of the count after ``ttl``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from typing import Protocol

PRESENCE_TTL = 120  # seconds a connection counts without being refreshed


class Presence(Protocol):
    def add(self, room: str, sid: str) -> int: ...
    def remove(self, room: str, sid: str) -> int: ...
    def refresh(self, entries: Iterable[tuple[str, str]]) -> None: ...


class MemoryPresence:
    """One process, every connection: a set of socket ids per room."""

    def __init__(self) -> None:
        self._rooms: dict[str, set[str]] = {}
        self._lock = threading.Lock()

    def add(self, room: str, sid: str) -> int:
        with self._lock:
            members = self._rooms.setdefault(room, set())
            members.add(sid)
            return len(members)

    def remove(self, room: str, sid: str) -> int:
        with self._lock:
            members = self._rooms.get(room, set())
            members.discard(sid)
            if not members:
                self._rooms.pop(room, None)
            return len(members)

    def refresh(self, entries: Iterable[tuple[str, str]]) -> None:
        return None


class RedisPresence:
    """Several processes: a sorted set per room in Redis, scored by expiry time."""

    def __init__(self, url: str, prefix: str, ttl: int = PRESENCE_TTL) -> None:
        import redis

        self._redis = redis.Redis.from_url(url)
        self._prefix = prefix
        self.ttl = ttl

    def _key(self, room: str) -> str:
        return f"{self._prefix}:presence:{room}"

    def add(self, room: str, sid: str) -> int:
        now = time.time()
        key = self._key(room)
        pipe = self._redis.pipeline()
        pipe.zadd(key, {sid: now + self.ttl})
        pipe.zremrangebyscore(key, "-inf", now)
        pipe.zcard(key)
        pipe.expire(key, self.ttl)
        return int(pipe.execute()[2])

    def remove(self, room: str, sid: str) -> int:
        now = time.time()
        key = self._key(room)
        pipe = self._redis.pipeline()
        pipe.zrem(key, sid)
        pipe.zremrangebyscore(key, "-inf", now)
        pipe.zcard(key)
        return int(pipe.execute()[2])

    def refresh(self, entries: Iterable[tuple[str, str]]) -> None:
        expiry = time.time() + self.ttl
        pipe = self._redis.pipeline()
        for room, sid in entries:
            # xx: never resurrect a socket that has already been removed.
            pipe.zadd(self._key(room), {sid: expiry}, xx=True)
            pipe.expire(self._key(room), self.ttl)
        pipe.execute()


class TokenBucket:
    """A per-connection allowance of events: ``capacity`` at once, ``rate`` a second after.

    A client that empties it is flooding and gets disconnected by the caller.
    """

    def __init__(self, capacity: float = 20, rate: float = 2.0) -> None:
        self.capacity = capacity
        self.rate = rate
        self.tokens = capacity
        self.stamp = time.monotonic()
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            now = time.monotonic()
            self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now
            if self.tokens < 1:
                return False
            self.tokens -= 1
            return True
