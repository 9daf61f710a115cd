"""The web door through Twisted's real HTTP channel and WebSocket upgrade, in memory: the JSON
protocol, every request, and what it answers to a line door user."""

from __future__ import annotations

import pytest

STAMP = "2023-11-14T22:13:20.000Z"  # the fixed clock of these tests, as the protocol writes it


def test_first_frame_says_the_protocol_then_asks_for_a_name(chat):
    """A new WebSocket hears the protocol version first, then the request for a name."""
    web = chat.connect_web()
    hello, ask = web.take()
    assert hello["type"] == "hello" and hello["protocol"] == 1
    assert hello["server"].startswith("chatd ")
    assert ask == {"type": "ask_name"}


def test_choosing_a_name_welcomes_and_announces(chat):
    """A name request makes a user: welcome and online for them, joined for the others."""
    bob = chat.join("bob")
    web = chat.connect_web()
    web.take()
    web.send({"type": "name", "name": "alice"})
    assert web.take() == [
        {"type": "welcome", "name": "alice"},
        {"type": "online", "names": ["alice", "bob"]},
    ]
    assert bob.lines() == ["* alice has joined the chat"]


@pytest.mark.parametrize(
    "name, code",
    [("bob", "name_taken"), ("BOB", "name_taken"), ("server", "name_reserved"),
     ("a:b", "name_invalid"), ("_x", "name_invalid")],
)  # fmt: skip
def test_a_refused_name_gets_the_hubs_reason_and_code(chat, name, code):
    """The same name rules as every door: the reason for people, the code for programs."""
    chat.join("bob")
    web = chat.connect_web()
    web.take()
    web.send({"type": "name", "name": name})
    (error,) = web.take()
    assert error["type"] == "error" and error["code"] == code
    assert error["text"]
    web.send({"type": "name", "name": "carol"})
    assert web.take()[0] == {"type": "welcome", "name": "carol"}


def test_web_and_line_users_chat_both_ways(chat):
    """A line user sees a web user's line as text; the web user gets the line user's as data."""
    web = chat.join_web("alice")
    line = chat.join("bob")
    web.take()
    web.send({"type": "say", "text": "hi bob"})
    assert line.lines() == ["alice: hi bob"]
    line.send(b"hi alice\n")
    assert web.take() == [
        {"type": "said", "room": "#lobby", "name": "bob", "text": "hi alice", "seq": 2,
         "time": STAMP},
    ]  # fmt: skip
    web.send({"type": "act", "text": "waves"})
    assert line.lines() == ["* alice waves"]


def test_rooms_by_request(chat):
    """join, say in a room, part: each answered as data, the others told as in any door."""
    web = chat.join_web("alice")
    line = chat.join("bob")
    line.send(b"/join #dev\n")
    chat.settle()
    web.send({"type": "join", "room": "#dev"})
    assert web.take() == [{"type": "now_talking", "room": "#dev", "names": ["alice", "bob"]}]
    assert line.lines() == ["* alice has joined #dev"]
    web.send({"type": "say", "room": "#lobby", "text": "to the lobby"})
    assert line.lines() == ["#lobby alice: to the lobby"]
    web.send({"type": "part", "room": "#dev", "reason": " bye "})
    assert web.take() == [
        {"type": "you_left", "room": "#dev"},
        {"type": "now_talking", "room": "#lobby", "names": ["alice", "bob"]},
    ]
    assert line.lines() == ["* alice has left #dev (bye)"]


def test_every_room_event_names_its_room(chat):
    """Events of a room the web user is not talking in come as data with their room."""
    web = chat.join_web("alice")
    line = chat.join("bob")
    web.send({"type": "join", "room": "#dev"})
    chat.settle()
    line.send(b"in the lobby\n", b"/join #dev\n", b"/topic dev things\n")
    said, joined, topic = web.take()
    assert said["room"] == "#lobby" and said["text"] == "in the lobby"
    assert joined == {"type": "room_joined", "name": "bob", "room": "#dev"}
    assert topic == {"type": "topic_set", "name": "bob", "room": "#dev", "text": "dev things"}


def test_joining_a_room_replays_its_lines_with_seq_and_time(chat):
    """The replay a joiner gets carries each line's seq and time, marked as replayed."""
    line = chat.join("bob")
    line.send(b"/join #dev\n", b"one\n", b"/me two\n")
    web = chat.join_web("alice")
    web.send({"type": "join", "room": "#dev"})
    _, first, second = web.take()
    assert first == {"type": "said", "room": "#dev", "name": "bob", "text": "one", "seq": 1,
                     "time": STAMP, "replayed": True}  # fmt: skip
    assert second["type"] == "acted" and second["seq"] == 2 and second["replayed"]


def test_topic_of_a_named_room_is_asked_and_set(chat):
    """topic with a room and text sets it; without text it answers the topic (null: none)."""
    web = chat.join_web("alice")
    web.send({"type": "join", "room": "#dev"})
    web.take()
    web.send({"type": "topic", "room": "#lobby"})
    assert web.take() == [{"type": "topic", "room": "#lobby", "text": None}]
    web.send({"type": "topic", "room": "#lobby", "text": "welcome"})
    assert web.take() == [
        {"type": "topic_set", "name": "alice", "room": "#lobby", "text": "welcome"}
    ]


def test_private_messages_both_ways(chat):
    """msg reaches a line user; their /msg comes back as a private event with its sender."""
    web = chat.join_web("alice")
    line = chat.join("bob")
    web.take()
    web.send({"type": "msg", "to": "bob", "text": "psst"})
    assert web.take() == [{"type": "private_sent", "to": "bob", "text": "psst"}]
    assert line.lines() == ["[private] alice: psst"]
    line.send(b"/msg alice back\n")
    assert web.take() == [{"type": "private", "from": "bob", "text": "back"}]


def test_history_before_and_after_a_seq(chat):
    """history pages back from a seq, or forward after one, with the lines as data."""
    web = chat.join_web("alice")
    line = chat.join("bob")
    for number in range(1, 8):
        line.send(f"line {number}\n".encode())
    web.take()
    web.send({"type": "history", "room": "#lobby", "before": 6, "limit": 2})
    (older,) = web.take()
    assert older["type"] == "history" and older["room"] == "#lobby"
    assert [each["seq"] for each in older["lines"]] == [4, 5]
    assert all(each["replayed"] and each["time"] == STAMP for each in older["lines"])
    web.send({"type": "history", "after": 5})
    (newer,) = web.take()
    assert [each["text"] for each in newer["lines"]] == ["line 6", "line 7"]


def test_receipts_are_data_too(chat):
    """receipts on: each line said is answered with its room, seq and time once stored."""
    web = chat.join_web("alice")
    web.send({"type": "receipts", "on": True}, {"type": "say", "text": "kept?"})
    assert web.take() == [
        {"type": "receipts", "on": True},
        {"type": "receipt", "room": "#lobby", "seq": 1, "time": STAMP},
    ]


def test_who_rooms_and_rename(chat):
    """who (everyone or a room), rooms, and nick, each answered as data."""
    web = chat.join_web("alice")
    line = chat.join("bob")
    web.take()
    web.send({"type": "who"}, {"type": "who", "room": "#lobby"}, {"type": "rooms"})
    assert web.take() == [
        {"type": "online", "names": ["alice", "bob"]},
        {"type": "members", "room": "#lobby", "names": ["alice", "bob"]},
        {"type": "rooms", "rooms": [{"room": "#lobby", "members": 2}]},
    ]
    web.send({"type": "nick", "name": "alicia"})
    assert web.take() == [{"type": "name_changed", "name": "alicia"}]
    assert line.lines() == ["* alice is now known as alicia"]
    line.send(b"/nick robert\n")
    assert web.take() == [{"type": "renamed", "old": "bob", "new": "robert"}]


def test_a_raw_command_line_works_as_on_telnet(chat):
    """command runs a line as the line door would: slash commands, // and plain chat."""
    web = chat.join_web("alice")
    line = chat.join("bob")
    web.take()
    web.send({"type": "command", "line": "/join #dev"})
    assert web.take()[0]["type"] == "now_talking"
    web.send({"type": "command", "line": "/to #lobby //slash"}, {"type": "command", "line": "/x"})
    assert line.lines() == ["alice: //slash"]  # bob talks in the lobby, so no prefix
    (error,) = web.take()
    assert error["code"] == "unknown_command"
    web.send({"type": "command", "line": "/help"})
    (help_,) = web.take()
    assert help_["type"] == "help" and help_["lines"][0] == "Commands:"


def test_quit_says_goodbye_and_closes_with_a_close_frame(chat):
    """quit: goodbye, the others hear why, and the WebSocket closes normally (1000)."""
    web = chat.join_web("alice")
    line = chat.join("bob")
    web.take()
    web.send({"type": "quit", "reason": "lunch"})
    assert web.take() == [{"type": "goodbye", "name": "alice"}]
    assert web.close_code == 1000 and web.closing
    assert line.lines() == ["* alice has left the chat (lunch)"]


def test_a_lost_connection_is_a_user_leaving(chat):
    """When the socket goes, the hub hears of it: the others see the user leave."""
    web = chat.join_web("alice")
    line = chat.join("bob")
    web.drop()
    assert line.lines() == ["* alice has left the chat"]
    assert chat.web.open_count == 0


def test_shutdown_tells_web_users_and_closes(chat):
    """A server shutdown reaches web users as an event, then a close frame."""
    web = chat.join_web("alice")
    chat.hub.shutdown()
    assert web.take() == [{"type": "shutting_down"}]
    assert web.close_code == 1000


def test_a_broadcast_is_encoded_once_for_every_web_reader(chat, monkeypatch):
    """Readers in the line's room and in other rooms all get the one frame made for it."""
    readers = [chat.join_web(name) for name in ("r1", "r2", "r3")]
    readers[2].send({"type": "join", "room": "#dev"})  # hears #lobby as another room
    speaker = chat.join_web("speaker")
    chat.settle()
    fanout = chat.web.fanout
    encoded = []
    encode = fanout._encode
    monkeypatch.setattr(fanout, "_encode", lambda event: encoded.append(event) or encode(event))
    speaker.send({"type": "say", "text": "once"})
    received = [reader.take() for reader in readers]
    assert len(encoded) == 1
    assert [[message["text"] for message in each] for each in received] == [["once"]] * 3


def test_a_registered_name_asks_for_its_password_and_login_gives_it_at_once(chat):
    """name asks for a registered name's password (password answers it); login gives both."""
    owner = chat.join_web("alice")
    owner.send({"type": "command", "line": "/register correct-horse"})
    assert owner.take() == [{"type": "registered", "name": "alice"}]
    owner.send({"type": "quit"})
    web = chat.connect_web()
    web.take()
    web.send({"type": "name", "name": "alice"})
    assert web.take() == [{"type": "ask_password", "name": "alice"}]
    web.send({"type": "password", "password": "correct-horse"})
    assert web.take()[0] == {"type": "welcome", "name": "alice"}
    web.send({"type": "quit"})
    bot = chat.connect_web()
    bot.take()
    bot.send({"type": "login", "name": "alice", "password": "correct-horse"})
    assert bot.take()[0] == {"type": "welcome", "name": "alice"}


def test_a_wrong_password_is_refused_with_its_code_then_the_name_is_asked_again(chat):
    """A wrong password: error wrong_password, then ask_name, as on the line door."""
    owner = chat.join_web("alice")
    owner.send({"type": "command", "line": "/register correct-horse"}, {"type": "quit"})
    web = chat.connect_web()
    web.take()
    web.send({"type": "login", "name": "alice", "password": "wrong-horse"})
    error, ask = web.take()
    assert (error["type"], error["code"]) == ("error", "wrong_password")
    assert ask == {"type": "ask_name"}
    web.send({"type": "login", "name": "alice", "password": 7})
    assert web.take()[0]["code"] == "bad_field"
    web.send({"type": "password", "password": "x"})
    assert web.take()[0]["code"] == "no_password_asked"
