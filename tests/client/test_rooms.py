"""The room model: which rooms we are in, the current one, topics and members, from notices."""

from __future__ import annotations

from chatd.client.lines import classify
from chatd.client.rooms import RoomState

WELCOME = "* Welcome {}! If you ever want to quit, type <quit> to exit."


def fed(*lines: str, start: bool = True) -> RoomState:
    rooms = RoomState()
    rooms.apply(classify(WELCOME.format("alice")))
    if start:
        rooms.start()
    for line in lines:
        rooms.apply(classify(line, "alice"))
    return rooms


def test_a_v1_server_gives_no_rooms():
    """Without start() (no rooms on the server), v1 lines leave no room and no current room."""
    rooms = fed("* Online (2): alice, bob", "bob: hi", "* bob has left the chat", start=False)
    assert (rooms.current, rooms.names(), rooms.active) == (None, [], False)


def test_joining_switches_and_lists_the_members():
    """``Now talking in`` adds the room, makes it current and says who is there."""
    rooms = fed("* Now talking in #dev (2 here: alice, Bob)", "* Topic of #dev: ship it")
    assert rooms.current == "#dev"
    assert rooms.names() == ["#dev", "#lobby"]
    dev = rooms.get("#DEV")
    assert dev is not None and dev.member_names() == ["alice", "Bob"]
    assert dev.topic == "ship it"


def test_members_follow_joins_parts_leaves_and_renames():
    """Room joins and parts, leaving the chat and renames change the member lists."""
    rooms = fed(
        "* Now talking in #dev (2 here: alice, bob)",
        "* carol has joined #dev",
        "* bob has left #dev (bored)",
        "#lobby * dan has joined the chat",
        "* carol is now known as cara",
        "* You are now known as ally",
    )
    dev, lobby = rooms.get("#dev"), rooms.get("#lobby")
    assert dev is not None and dev.member_names() == ["ally", "cara"]
    assert lobby is not None and lobby.member_names() == ["dan"]
    rooms.apply(classify("* dan has left the chat"))
    assert lobby.member_names() == []


def test_topics_follow_the_room_they_name():
    """A topic set in another room changes that room's topic, and no topic is None."""
    rooms = fed(
        "* Now talking in #dev (1 here: alice)",
        "#lobby * bob set the topic of #lobby: welcome all",
        "* #dev has no topic",
    )
    lobby, dev = rooms.get("#lobby"), rooms.get("#dev")
    assert lobby is not None and lobby.topic == "welcome all"
    assert dev is not None and dev.topic is None


def test_leaving_the_current_room_waits_for_the_next():
    """``You left`` drops the room; the following ``Now talking in`` names the current one."""
    rooms = fed("* Now talking in #dev (1 here: alice)", "* You left #dev")
    assert rooms.names() == ["#lobby"]
    assert rooms.current == "" and rooms.active
    rooms.apply(classify("* Now talking in #lobby (1 here: alice)"))
    assert rooms.current == "#lobby"


def test_room_names_heard_of_are_kept_for_completion():
    """The /rooms list and marked lines add to the names heard of, ours included."""
    rooms = fed("* Rooms (2): #dev (3), #ops (1)", "#news bob: hi")
    assert rooms.heard() == ["#dev", "#lobby", "#news", "#ops"]
    assert rooms.names() == ["#lobby"]


def test_everyone_in_our_rooms():
    """The members of all our rooms, for completing names that only a room notice mentioned."""
    rooms = fed("* Now talking in #dev (2 here: alice, bob)", "* carol has joined #dev")
    assert sorted(rooms.everyone()) == ["alice", "bob", "carol"]
