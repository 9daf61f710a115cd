"""The adapter over txredisapi, on a string transport: how replies are parsed and scripts run."""

from __future__ import annotations

from typing import Any

from twisted.internet.address import IPv4Address
from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport

from chatd.cluster import scripts
from chatd.cluster.link import RedisLink


def connected(link: RedisLink) -> tuple[Any, StringTransport]:
    """``link``'s protocol on a string transport, as its factory reports it connected."""
    protocol = link._factory.buildProtocol(IPv4Address("TCP", "127.0.0.1", 6379))
    transport = StringTransport()
    protocol.makeConnection(transport)
    link.connected(protocol)
    if link._on_message is None:  # a commands link loads the scripts first
        protocol.dataReceived(b"".join(bulk(script.sha.encode()) for script in scripts.ALL))
    transport.clear()
    return protocol, transport


def bulk(data: bytes) -> bytes:
    return b"$%d\r\n%s\r\n" % (len(data), data)


def test_every_message_of_one_read_is_heard_in_that_read():
    """A read carrying a hundred pub/sub messages delivers all of them before it returns (the
    pure-Python parser took a reactor turn per bulk string, and a busy node fell behind)."""
    heard: list[tuple[bytes, bytes]] = []
    link = RedisLink(Clock(), None, name="pub/sub", on_message=lambda *m: heard.append(m))
    protocol, _ = connected(link)
    lines = [b"#r\n%d\n{}" % number for number in range(100)]
    protocol.dataReceived(
        b"".join(b"*3\r\n" + bulk(b"message") + bulk(b"chatd:lines") + bulk(line) for line in lines)
    )
    assert heard == [(b"chatd:lines", line) for line in lines]


def test_replies_stay_bytes_and_numbers_stay_as_sent():
    """A bulk reply such as ``007`` stays bytes (a name, not the integer 7)."""
    link = RedisLink(Clock(), None, name="commands")
    protocol, transport = connected(link)
    replies: list[Any] = []
    link.call("HGET", "chatd:names", "007").addCallback(replies.append)
    assert transport.value() == b"*3\r\n$4\r\nHGET\r\n$11\r\nchatd:names\r\n$3\r\n007\r\n"
    protocol.dataReceived(bulk(b"007"))
    assert replies == [b"007"]


def test_a_script_redis_does_not_know_is_sent_whole():
    """EVALSHA answered NOSCRIPT (Redis restarted and lost its scripts) is sent again as EVAL,
    and its answer is the script's."""
    link = RedisLink(Clock(), None, name="commands")
    protocol, transport = connected(link)
    replies: list[Any] = []
    link.run(scripts.RELEASE, ("chatd:names",), ("alice", "n1")).addCallback(replies.append)
    assert transport.value().startswith(b"*6\r\n$7\r\nEVALSHA\r\n")
    transport.clear()
    protocol.dataReceived(b"-NOSCRIPT No matching script. Please use EVAL.\r\n")
    assert transport.value().startswith(
        b"*6\r\n$4\r\nEVAL\r\n" + bulk(scripts.RELEASE.source.encode())
    )
    protocol.dataReceived(b":1\r\n")
    assert replies == [1]


def test_a_command_on_a_link_that_is_down_fails_at_once():
    """Nothing waits for a reconnection: the caller is told at once that nothing was sent."""
    link = RedisLink(Clock(), None, name="commands")
    failures: list[Any] = []
    link.call("PING").addErrback(failures.append)
    assert [failure.getErrorMessage() for failure in failures] == [
        "redis (commands) is not connected"
    ]
