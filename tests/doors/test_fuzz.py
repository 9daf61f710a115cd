"""Fuzzing the whole server side: random byte streams from several connections at once.

Every example builds a hub and line door (flood control and timeouts on, as deployed) and plays
random steps: bytes from one of four connections (names, commands, telnet sequences, escapes,
broken UTF-8, long runs and raw noise, cut at random points), connections dropping, time passing.
After every step the hub must be consistent with the connections; at the end two newcomers must
still be able to chat.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chatd.core.names import name_key

SLOTS = 4

TOKENS = st.sampled_from(
    [
        b"\n",
        b"\r\n",
        b"alice\n",
        b"Alice\r\n",
        b"bob\n",
        b"dave\n",
        b"<quit>\n",
        b"/quit bye\n",
        b"/nick carol\n",
        b"/nick alice\n",
        b"/msg bob hi\n",
        b"/me waves\n",
        b"/who\n",
        b"hello\n",
        b"half a li",
        b"\xff\xf4\xff\xfd\x06",  # telnet Ctrl-C
        b"\xff\xfb\x1f",  # IAC WILL NAWS
        b"\xff\xfa\x1f\x00",  # IAC SB NAWS ...
        b"\xff\xf0",  # IAC SE
        b"\xff",
        b"\x1b[31m",
        b"\xc3",
        b"\x00",
        b"x" * 300,  # over the 128-byte line limit
    ]
)
CHUNK = st.lists(st.one_of(TOKENS, st.binary(max_size=12)), min_size=1, max_size=10).map(b"".join)
SEND = st.tuples(st.just("send"), st.integers(0, SLOTS - 1), CHUNK, st.integers(1, 7))
STEP = st.one_of(
    SEND,
    SEND,
    SEND,
    st.tuples(st.just("drop"), st.integers(0, SLOTS - 1)),
    st.tuples(st.just("wait"), st.sampled_from([0.05, 0.5, 5.0, 61.0])),
)


class Server:
    """The chat under test plus at most one live wire per slot."""

    def __init__(self, chat) -> None:
        self.chat = chat
        self.slots = [None] * SLOTS

    def wire(self, slot):
        if self.slots[slot] is None:
            self.slots[slot] = self.chat.connect()
        return self.slots[slot]

    def settle(self) -> None:
        """Do what the reactor would: finish closing every connection the server closed."""
        for slot, wire in enumerate(self.slots):
            if wire is not None and wire.closing:
                wire.drop()
                self.slots[slot] = None

    def check(self) -> None:
        """The hub's list of users is exactly the named sessions of the live connections."""
        online = self.chat.hub.online()
        assert len({name_key(name) for name in online}) == len(online), online
        sessions = [wire.door.session for wire in self.slots if wire and wire.door.session]
        named = sorted((session.name for session in sessions if session.name), key=name_key)
        assert named == list(online)
        assert self.chat.hub.connection_count == sum(wire is not None for wire in self.slots)


@settings(
    max_examples=500,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(steps=st.lists(STEP, min_size=1, max_size=40))
def test_random_streams_from_many_connections_leave_a_consistent_working_server(
    make_chat, log_capture, steps
):
    """Whatever several connections send, cut or drop, no error is logged, the hub matches the
    connections after every step, and afterwards two newcomers chat both ways."""
    server = Server(make_chat(max_line_length=128))
    for step in steps:
        if step[0] == "send":
            _, slot, data, cut = step
            wire = server.wire(slot)
            for start in range(0, len(data), cut):
                wire.send(data[start : start + cut])
        elif step[0] == "drop" and server.slots[step[1]] is not None:
            server.slots[step[1]].drop()
            server.slots[step[1]] = None
        elif step[0] == "wait":
            server.chat.clock.pump([step[1]] * 10)
        server.settle()
        server.check()

    server.chat.clock.pump([1.0] * 30)  # let flood control catch up with everything held
    server.settle()
    server.check()
    first, second = server.chat.connect(), server.chat.connect()
    first.send(b"newcomer1\n")
    second.send(b"newcomer2\n")
    first.take(), second.take()
    first.send(b"hello two\n")
    second.send(b"hello one\n")
    assert "newcomer1: hello two" in second.lines()
    assert "newcomer2: hello one" in first.lines()
