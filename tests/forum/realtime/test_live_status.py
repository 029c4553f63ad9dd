"""Live updates pause and the page is told (forum/live_status.py): the change is told once,
straight to this process's own connections, and a connection made meanwhile hears it too.
The real thing, with a real Redis stopped and started, is in tests/security/test_resilience.py.
"""

from __future__ import annotations

from typing import Any

from forum import sockets
from forum.live_status import PAUSED, PAUSED_MESSAGE, RESUMED, LiveStatus


class Queue:
    def __init__(self) -> None:
        self.up = True

    def ping(self) -> bool:
        if not self.up:
            raise ConnectionError("Connection refused")
        return True


def test_each_change_is_told_once_and_a_failing_tell_is_survived() -> None:
    told: list[tuple[str, dict[str, Any]]] = []
    queue = Queue()
    status = LiveStatus(queue.ping, lambda event, data: told.append((event, data)))
    assert status.check() is True and told == [] and not status.paused
    queue.up = False
    assert status.check() is False and status.check() is False
    assert told == [(PAUSED, {"message": PAUSED_MESSAGE})] and status.paused
    queue.up = True
    assert status.check() is True and status.check() is True
    assert [event for event, _ in told] == [PAUSED, RESUMED] and not status.paused

    def broken(_event: str, _data: dict[str, Any]) -> None:
        raise RuntimeError("no sockets")

    status = LiveStatus(queue.ping, broken)
    queue.up = False
    assert status.check() is False and status.paused  # the next check still runs


def _names(client: Any) -> list[str]:
    return [m["name"] for m in client.get_received()]


def test_open_pages_hear_of_the_pause_and_new_ones_on_connecting(app, make, sock,
                                                                 monkeypatch) -> None:
    queue = Queue()
    status = LiveStatus(queue.ping, sockets._tell_this_process)
    monkeypatch.setattr(sockets, "_live_status", status)
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/15")  # never dialled
    anonymous, member = sock(), sock(make.user())
    for client in (anonymous, member):
        assert client.is_connected() and PAUSED not in _names(client)
    queue.up = False
    status.check()
    status.check()
    for client in (anonymous, member):
        received = client.get_received()
        assert [m["name"] for m in received] == [PAUSED]
        assert received[0]["args"][0]["message"] == PAUSED_MESSAGE
    late = sock()
    assert _names(late) == [PAUSED]
    queue.up = True
    status.check()
    for client in (anonymous, member, late):
        assert _names(client) == [RESUMED]
    assert PAUSED not in _names(sock())  # all well again: nothing said on connecting
