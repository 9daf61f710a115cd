"""The web protocol's JSON for every hub event, and its frames: the second public contract."""

from __future__ import annotations

import json
import typing

import pytest

from chatd.core import events
from chatd.core.store import Ban
from chatd.doors.web import wire
from chatd.doors.web.frames import text_frame

AT = 1_700_000_000.25
TIME = "2023-11-14T22:13:20.250Z"
SAID = events.Said("bob", "hi", AT, "#dev", 7)

CASES = [
    (events.Motd("be nice"), {"type": "motd", "text": "be nice"}),
    (events.AskName(), {"type": "ask_name"}),
    (events.Welcome("ann"), {"type": "welcome", "name": "ann"}),
    (events.Online(("ann", "bob")), {"type": "online", "names": ["ann", "bob"]}),
    (SAID, {"type": "said", "room": "#dev", "name": "bob", "text": "hi", "seq": 7,
            "time": TIME}),
    (events.Acted("bob", "waves", AT, "#lobby", 3),
     {"type": "acted", "room": "#lobby", "name": "bob", "text": "waves", "seq": 3,
      "time": TIME}),
    (events.Replayed(SAID, dated=True),
     {"type": "said", "room": "#dev", "name": "bob", "text": "hi", "seq": 7, "time": TIME,
      "replayed": True}),
    (events.Joined("ann"), {"type": "joined", "name": "ann", "room": "#lobby"}),
    (events.RoomJoined("ann", "#dev"), {"type": "room_joined", "name": "ann", "room": "#dev"}),
    (events.Parted("ann", "#dev"),
     {"type": "parted", "name": "ann", "room": "#dev", "reason": None}),
    (events.TopicSet("ann", "#dev", "t"),
     {"type": "topic_set", "name": "ann", "room": "#dev", "text": "t"}),
    (events.LinesLost("#dev", 41), {"type": "lines_lost", "room": "#dev", "through": 41}),
    (events.NowTalking("#dev", ("ann",)),
     {"type": "now_talking", "room": "#dev", "names": ["ann"]}),
    (events.TopicIs("#dev", None), {"type": "topic", "room": "#dev", "text": None}),
    (events.YouLeft("#dev"), {"type": "you_left", "room": "#dev"}),
    (events.RoomList((("#dev", 2),)),
     {"type": "rooms", "rooms": [{"room": "#dev", "members": 2}]}),
    (events.InRoom("#dev", ("ann", "bob")),
     {"type": "members", "room": "#dev", "names": ["ann", "bob"]}),
    (events.History("#dev", (events.Replayed(SAID),)),
     {"type": "history", "room": "#dev", "lines": [
         {"type": "said", "room": "#dev", "name": "bob", "text": "hi", "seq": 7, "time": TIME,
          "replayed": True}]}),
    (events.ReceiptsSet(True), {"type": "receipts", "on": True}),
    (events.Receipt("#dev", 7, AT), {"type": "receipt", "room": "#dev", "seq": 7, "time": TIME}),
    (events.Left("ann", "bye"), {"type": "left", "name": "ann", "reason": "bye"}),
    (events.Renamed("ann", "anna"), {"type": "renamed", "old": "ann", "new": "anna"}),
    (events.NameChanged("anna"), {"type": "name_changed", "name": "anna"}),
    (events.Whispered("bob", "psst"), {"type": "private", "from": "bob", "text": "psst"}),
    (events.WhisperSent("bob", "psst"), {"type": "private_sent", "to": "bob", "text": "psst"}),
    (events.Help(("a", "b")), {"type": "help", "lines": ["a", "b"]}),
    (events.Goodbye("ann"), {"type": "goodbye", "name": "ann"}),
    (events.ShuttingDown(), {"type": "shutting_down"}),
    (events.Refused("no such user: x", "no_such_user"),
     {"type": "error", "code": "no_such_user", "text": "no such user: x"}),
    (events.AskPassword("ann"), {"type": "ask_password", "name": "ann"}),
    (events.Registered("ann"), {"type": "registered", "name": "ann"}),
    (events.PasswordChanged("ann"), {"type": "password_changed", "name": "ann"}),
    (events.Unregistered("ann"), {"type": "unregistered", "name": "ann"}),
    (events.Kicked("bob", "ann", "spam"),
     {"type": "kicked", "name": "bob", "by": "ann", "reason": "spam"}),
    (events.Announcement("tea"), {"type": "announcement", "text": "tea"}),
    (events.BanSet("bob", AT, "192.0.2.7/32"),
     {"type": "ban_set", "target": "bob", "expires": TIME, "address": "192.0.2.7/32"}),
    (events.BanLifted("bob"), {"type": "ban_lifted", "target": "bob"}),
    (events.BanList((Ban("bob", "bob", "ann", AT, None, "spam"),)),
     {"type": "bans", "bans": [{"target": "bob", "set_by": "ann", "set_at": TIME,
                                "expires": None, "reason": "spam", "address": None}]}),
    (events.MuteSet("bob", None), {"type": "mute_set", "name": "bob", "expires": None}),
    (events.MuteLifted("bob"), {"type": "mute_lifted", "name": "bob"}),
    (events.YouAreMuted("ann", AT), {"type": "you_are_muted", "by": "ann", "expires": TIME}),
    (events.YouAreUnmuted(), {"type": "you_are_unmuted"}),
    (events.WhoIs("bob", AT, 61.4, ("#lobby",), "web"),
     {"type": "whois", "name": "bob", "since": TIME, "idle": 61, "rooms": ["#lobby"],
      "door": "web", "registered": False, "operator": False}),
]  # fmt: skip


def test_only_an_operators_whois_carries_the_address():
    """The address is a field of whois only when the hub put it there (for an operator)."""
    seen = wire.as_json(events.WhoIs("bob", AT, 0, (), "nc", address="192.0.2.7"))
    assert seen["address"] == "192.0.2.7"


@pytest.mark.parametrize("event, expected", CASES, ids=lambda case: type(case).__name__)
def test_each_event_as_json(event, expected):
    """Each event is one object with a type; room events name the room; lines carry seq and
    an ISO 8601 UTC time."""
    assert wire.as_json(event) == expected
    frame = wire.encode(event)
    assert json.loads(frame[2:] if frame[1] < 126 else frame[4:]) == expected


def test_every_hub_event_has_a_json_form():
    """No event the hub can send is left without a form on this wire."""
    covered = {type(event) for event, _ in CASES}
    assert covered == set(typing.get_args(events.Event))


def test_json_is_utf8_and_never_ascii_escaped():
    """Text stays readable UTF-8 in the frame, as browsers' JSON.stringify writes it."""
    frame = wire.encode(events.Whispered("zoë", "日本"))
    assert "日本".encode() in frame and b"\\u" not in frame


@pytest.mark.parametrize("size", [0, 125, 126, 65535, 65536])
def test_text_frames_at_each_length_encoding(size):
    """Frames use the 7-bit, 16-bit and 64-bit length forms at their boundaries."""
    payload = b"x" * size
    frame = text_frame(payload)
    assert frame[0] == 0x81 and frame.endswith(payload)
    header = len(frame) - size
    assert header == (2 if size < 126 else 4 if size < 65536 else 10)
