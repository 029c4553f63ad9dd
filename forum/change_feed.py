"""Telling every server process that data changed: one Redis channel (scale mode).

After a commit that wrote, a process publishes its own id on ``<SOCKETIO_CHANNEL>:changes``;
every other process that hears it moves its :class:`forum.change_clock.ChangeClock`, so
answers it kept (forum/change_clock.py) are asked again. The feed is started by the first
request that would keep an answer, so command-line processes only publish.

A process keeps nothing while it is not hearing the feed: before its subscription is
confirmed, and from the moment the connection fails until it is subscribed again (then
the clock moves, since writes may have been missed meanwhile). The socket read times out
every second, so a silent Redis is noticed within a second or two.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from typing import Any

import redis
from flask import Flask

from forum.change_clock import ChangeClock, FreshAnswers, change_clock
from forum.render_cache import clear_every_cache, clear_with_every_cache

log = logging.getLogger(__name__)

FEED_EXTENSION = "change_feed"
EXTENSION = FEED_EXTENSION
POLL_SECONDS = 1.0
MAX_RETRY_SECONDS = 30.0
# Quiet for longer than this (not even a pong): the link is taken as dead.
SILENT_SECONDS = 3.5


class ChangeFeed:
    def __init__(self, redis_url: str, channel: str, clock: ChangeClock) -> None:
        self.channel = channel
        self._clock = clock
        self._url = redis_url
        self._me = uuid.uuid4().hex.encode()
        self._publisher = redis.Redis.from_url(redis_url, socket_timeout=0.5,
                                               socket_connect_timeout=0.5)
        self._started = False
        self._start_lock = threading.Lock()
        self._stop = threading.Event()
        self.hearing = False
        self._heard_before = False
        # Names the listening connection in Redis's CLIENT LIST (no spaces allowed).
        self.listener_name = "changes-" + "".join(c if c.isalnum() else "-" for c in channel)
        clock.published = self.publish

    def is_hearing(self) -> bool:
        """Whether other processes' writes reach this one; starts listening on first ask."""
        if not self._started:
            self.start()
        return self.hearing

    def start(self) -> None:
        with self._start_lock:
            if self._started:
                return
            self._started = True
        # Under gevent this is a greenlet (the standard library is monkey-patched).
        threading.Thread(target=self._listen, name="change-feed", daemon=True).start()

    def stop(self) -> None:
        self._stop.set()

    def publish(self) -> None:
        """Tell the other processes (never raises: the data is committed whatever happens)."""
        if self._started and not self.hearing:
            return  # Redis is failing for us: each write would wait for its time-out
        try:
            self._publisher.publish(self.channel, self._me)
        except redis.RedisError as exc:
            log.warning("could not publish a change notice (%s)", type(exc).__name__)

    def _listen(self) -> None:
        retry = 0.5
        while not self._stop.is_set():
            client = redis.Redis.from_url(self._url, socket_timeout=POLL_SECONDS * 3,
                                          socket_connect_timeout=2.0,
                                          client_name=self.listener_name)
            pubsub = client.pubsub()
            try:
                pubsub.subscribe(self.channel)
                self._hear(pubsub)
            except (redis.RedisError, OSError) as exc:
                if self.hearing:
                    retry = 0.5
                    log.warning("change notices stopped (%s): not keeping answers",
                                type(exc).__name__)
            finally:
                self.hearing = False
                self._clock.advance()  # notices may have been missed while deaf
                try:
                    pubsub.close()
                    client.close()
                except (redis.RedisError, OSError):
                    pass
            if self._stop.wait(retry):
                return
            retry = min(MAX_RETRY_SECONDS, retry * 2)

    def _hear(self, pubsub: Any) -> None:
        last_heard = time.monotonic()
        while not self._stop.is_set():
            message = pubsub.get_message(timeout=POLL_SECONDS)
            if message is None:
                if time.monotonic() - last_heard > SILENT_SECONDS:
                    raise redis.ConnectionError("no answer to our pings")
                pubsub.ping()  # answered with a pong message while the link is alive
                continue
            last_heard = time.monotonic()
            kind = message.get("type")
            if kind == "subscribe":
                self._clock.advance()  # anything before this was not heard
                if self._heard_before:
                    # A purge (a member closing their account) may have gone by while
                    # this process was deaf: nothing kept from before stays in memory.
                    clear_every_cache()
                self._heard_before = True
                self.hearing = True
                log.info("hearing change notices on %s", self.channel)
            elif kind == "message" and message.get("data") != self._me:
                self._clock.advance()


def fresh_answers(app: Flask, name: str, max_entries: int = 4096) -> FreshAnswers:
    """The app's kept answers of one kind (``name``), made on first use: kept for
    ``FRESH_ANSWER_SECONDS``, and, in scale mode, only while the feed is heard."""
    key = f"fresh_answers:{name}"
    found: FreshAnswers | None = app.extensions.get(key)
    if found is None:
        feed: ChangeFeed | None = app.extensions.get(EXTENSION)
        found = app.extensions[key] = FreshAnswers(
            change_clock(app), float(app.config.get("FRESH_ANSWER_SECONDS", 0) or 0),
            max_entries, feed.is_hearing if feed is not None else lambda: True)
        clear_with_every_cache(found)  # emptied when a member closes their account
    return found
