"""Operators in the hub: who is one, and every operator command with each of its refusals:
/kick, /ban (by name, address and CIDR, with and without a duration), /unban, /bans, /mute,
/unmute, /announce, and /whois for everyone, with the address for operators only."""

from __future__ import annotations

import pytest

from chatd.core.errors import Banned
from chatd.core.events import (
    Announcement,
    BanLifted,
    BanList,
    BanSet,
    Kicked,
    Left,
    MuteLifted,
    MuteSet,
    Refused,
    Said,
    Welcome,
    WhoIs,
    YouAreMuted,
    YouAreUnmuted,
)

PASSWORD = "correct-horse"
OPERATOR_COMMANDS = ["kick", "ban", "unban", "bans", "mute", "unmute", "announce"]


@pytest.fixture
def staff(make_room):
    """A room whose operator list names ``alice`` and ``dave``; ``alice`` is online, registered
    and logged in (from 10.0.0.1)."""
    room = make_room(operators=["alice", "dave"])
    alice, _ = room.join("alice", address="10.0.0.1")
    alice.receive(f"/register {PASSWORD}")
    room.settle()
    return room


def op(room):
    return room.hub.find_user("alice"), room.clients[0]


@pytest.mark.parametrize("command", OPERATOR_COMMANDS)
def test_operator_commands_are_refused_to_others(staff, command):
    """Every operator command, with or without arguments, is refused to a user who is not one,
    naming the command."""
    bob, client = staff.join("bob")
    for line in (f"/{command}", f"/{command} alice 30m reason"):
        bob.receive(line)
        assert client.take() == [
            Refused(f"permission denied: /{command} is for operators", "permission_denied")
        ]


@pytest.mark.parametrize("command", OPERATOR_COMMANDS)
def test_a_listed_name_without_its_password_has_no_powers(staff, command):
    """A name on the operator list that is not registered (so not logged in) is no operator."""
    dave, client = staff.join("dave")
    dave.receive(f"/{command} bob")
    assert client.take()[0].code == "permission_denied"


def test_help_shows_operators_their_commands(staff):
    """An operator's /help ends with the operator commands, from the same table."""
    from chatd.core.commands import COMMANDS

    alice, client = op(staff)
    alice.receive("/help")
    (help_event,) = client.take()
    at = help_event.lines.index("Operator commands:")
    assert help_event.lines[at + 1 :] == tuple(c.help_line() for c in COMMANDS if c.operator)


def test_operators_change_on_reload(staff):
    """set_operators (a reload) takes powers away and gives them at once."""
    alice, client = op(staff)
    staff.hub.set_operators(["carol"])
    alice.receive("/bans")
    assert client.take()[0].code == "permission_denied"
    staff.hub.set_operators(["ALICE"])
    alice.receive("/bans")
    assert client.take() == [BanList(())]


def test_an_operator_who_renames_loses_the_powers(staff):
    """Operator powers belong to the account: another name has none."""
    alice, client = op(staff)
    alice.receive("/nick alicia")
    client.take()
    alice.receive("/bans")
    assert client.take()[0].code == "permission_denied"


# /kick


def test_kick_disconnects_and_tells_the_room(staff):
    """The kicked user gets the error with the reason and is closed; those sharing a room hear
    who kicked whom and why, instead of a plain leave."""
    alice, alice_client = op(staff)
    _bob, bob_client = staff.join("bob")
    _carol, carol_client = staff.join("carol")
    alice.receive("/kick bob flooding")
    assert bob_client.take() == [Refused("you were kicked by alice (flooding)", "kicked")]
    assert bob_client.closed
    assert carol_client.take() == [Kicked("bob", "alice", "flooding")]
    assert alice_client.take() == [Kicked("bob", "alice", "flooding")]
    assert staff.hub.online() == ("alice", "carol")


def test_kick_without_reason(staff):
    """Without a reason the lines carry none."""
    alice, alice_client = op(staff)
    _, bob_client = staff.join("bob")
    alice.receive("/kick BOB")
    assert bob_client.take() == [Refused("you were kicked by alice", "kicked")]
    assert alice_client.take() == [Kicked("bob", "alice", None)]


def test_kick_from_another_room_is_confirmed(staff):
    """An operator who shares no room with the user still hears the kick."""
    alice, alice_client = op(staff)
    bob, _ = staff.join("bob")
    bob.receive("/join #dev")
    bob.receive("/part #lobby")
    staff.settle()
    alice.receive("/kick bob")
    assert alice_client.take() == [Kicked("bob", "alice", None)]


@pytest.mark.parametrize(
    "line, refusal",
    [
        ("/kick", Refused("usage: /kick NAME [REASON]", "usage")),
        ("/kick nobody", Refused("no such user: nobody", "no_such_user")),
        ("/kick alice", Refused("you cannot kick yourself", "not_yourself")),
    ],
)
def test_kick_refusals(staff, line, refusal):
    """/kick needs a name, of someone online, who is not the operator."""
    alice, client = op(staff)
    alice.receive(line)
    assert client.take() == [refusal]


# /ban


def test_ban_by_name_bans_the_name_and_its_address(staff):
    """Banning a name disconnects its user, whose address and name are then both refused."""
    alice, alice_client = op(staff)
    _bob, bob_client = staff.join("bob", address="192.0.2.7")
    _, carol_client = staff.join("carol")
    alice.receive("/ban bob spamming links")
    assert alice_client.take() == [BanSet("bob", None, "192.0.2.7"), Left("bob", "banned")]
    assert bob_client.take() == [
        Refused("you are banned from this server (spamming links)", "banned")
    ]
    assert bob_client.closed
    assert carol_client.take() == [Left("bob", "banned")]
    with pytest.raises(Banned) as refused:
        staff.connect(address="192.0.2.7")
    assert str(refused.value) == "you are banned from this server (spamming links)"
    session, client = staff.connect(address="198.51.100.1")
    session.receive("BOB")
    assert client.take()[-1] == Refused("BOB is banned", "banned")
    session.receive("bobby")
    assert client.take()[0] == Welcome("bobby")


def test_a_banned_name_is_refused_in_look_alike_forms(staff):
    """A look-alike of a banned name is banned too."""
    alice, _ = op(staff)
    alice.receive("/ban mallory")
    session, client = staff.connect()
    client.take()
    session.receive("rnallory")
    assert client.take() == [Refused("rnallory is banned", "banned")]


def test_ban_of_an_offline_name(staff):
    """A name nobody uses can be banned ahead; no address comes with it."""
    alice, client = op(staff)
    alice.receive("/ban mallory 7d")
    assert client.take() == [BanSet("mallory", staff.clock.now + 7 * 86400, None)]


def test_ban_by_address(staff):
    """An address ban closes that address's connections, named or not, and refuses new ones
    before the prompt; other addresses are not touched."""
    alice, client = op(staff)
    _, bob_client = staff.join("bob", address="192.0.2.7")
    _, unnamed = staff.connect(address="192.0.2.7")
    _, carol_client = staff.join("carol", address="192.0.2.8")
    alice.receive("/ban 192.0.2.7")
    assert client.take()[0] == BanSet("192.0.2.7", None, None)
    assert bob_client.closed and unnamed.closed and not carol_client.closed
    with pytest.raises(Banned):
        staff.connect(address="192.0.2.7")
    staff.connect(address="192.0.2.9")


def test_ban_by_cidr_and_ipv6(staff):
    """A CIDR block covers every address in it, IPv4 and IPv6 alike."""
    alice, _ = op(staff)
    alice.receive("/ban 192.0.2.0/24")
    alice.receive("/ban 2001:db8::/32 abuse")
    for address in ("192.0.2.1", "192.0.2.254", "2001:db8:1::5"):
        with pytest.raises(Banned):
            staff.connect(address=address)
    staff.connect(address="192.0.3.1")
    staff.connect(address="2001:db9::1")


def test_ban_with_a_duration_runs_out(staff):
    """A ban for 30m refuses until 30 minutes have passed, then is gone from /bans."""
    alice, client = op(staff)
    alice.receive("/ban 192.0.2.7 30m too loud")
    assert client.take() == [BanSet("192.0.2.7", staff.clock.now + 1800, None)]
    staff.clock.advance(1799)
    with pytest.raises(Banned) as refused:
        staff.connect(address="192.0.2.7")
    assert str(refused.value) == "you are banned from this server (too loud)"
    staff.clock.advance(1)
    staff.connect(address="192.0.2.7")
    alice.receive("/bans")
    assert client.take() == [BanList(())]
    assert staff.store.load_bans() == []


@pytest.mark.parametrize("duration, seconds", [("30m", 1800), ("12h", 43200), ("7d", 604800)])
def test_ban_durations(staff, duration, seconds):
    """Durations are minutes, hours or days."""
    alice, client = op(staff)
    alice.receive(f"/ban 192.0.2.7 {duration}")
    assert client.take() == [BanSet("192.0.2.7", staff.clock.now + seconds, None)]


def test_a_word_that_is_no_duration_starts_the_reason(staff):
    """``/ban bob 5x spam``: 5x is no duration, so the ban is for good, for "5x spam"."""
    alice, client = op(staff)
    alice.receive("/ban mallory 5x spam")
    assert client.take() == [BanSet("mallory", None, None)]
    (ban,) = staff.store.load_bans()
    assert ban.reason == "5x spam"


@pytest.mark.parametrize(
    "line, refusal",
    [
        ("/ban", Refused("usage: /ban NAME|ADDRESS|CIDR [DURATION] [REASON]", "usage")),
        ("/ban alice", Refused("you cannot ban yourself", "not_yourself")),
        ("/ban 10.0.0.0/8", Refused("you cannot ban your own address", "not_yourself")),
        ("/ban bad:name", Refused(
            "a username may contain only letters, digits, '_', '-' and '.'", "name_invalid")),
    ],
)  # fmt: skip
def test_ban_refusals(staff, line, refusal):
    """/ban needs a target: a valid name or an address, and never the operator's own."""
    alice, client = op(staff)
    alice.receive(line)
    assert client.take() == [refusal]


def test_unban(staff):
    """/unban lifts a ban by name, address or block as it was given; a name ban's address
    goes with it."""
    alice, client = op(staff)
    staff.join("bob", address="192.0.2.7")
    alice.receive("/ban bob")
    alice.receive("/ban 198.51.100.0/24")
    client.take()
    alice.receive("/unban BOB")
    alice.receive("/unban 198.51.100.0/24")
    assert client.take() == [BanLifted("bob"), BanLifted("198.51.100.0/24")]
    staff.connect(address="192.0.2.7")
    staff.connect(address="198.51.100.3")
    assert staff.store.load_bans() == []


def test_unban_what_is_not_banned(staff):
    """Lifting a ban that is not there says so."""
    alice, client = op(staff)
    alice.receive("/unban bob")
    assert client.take() == [Refused("bob is not banned", "not_banned")]
    alice.receive("/unban")
    assert client.take() == [Refused("usage: /unban NAME|ADDRESS|CIDR", "usage")]


def test_bans_lists_who_when_and_until(staff):
    """/bans lists the bans in force, oldest first, with who set each, when, and its end."""
    alice, client = op(staff)
    start = staff.clock.now
    alice.receive("/ban mallory 1d spam")
    staff.clock.advance(60)
    alice.receive("/ban 192.0.2.0/24")
    client.take()
    alice.receive("/bans")
    (listing,) = client.take()
    assert [(b.shown, b.set_by, b.set_at, b.expires, b.reason) for b in listing.bans] == [
        ("mallory", "alice", start, start + 86400, "spam"),
        ("192.0.2.0/24", "alice", start + 60, None, None),
    ]


def test_bans_survive_a_restart(staff, make_room):
    """A hub made again over the same store keeps enforcing the bans; expired ones are gone."""
    alice, _ = op(staff)
    alice.receive("/ban 192.0.2.7")
    alice.receive("/ban mallory 30m")
    again = make_room(store=staff.store)
    with pytest.raises(Banned):
        again.connect(address="192.0.2.7")
    session, client = again.connect()
    session.receive("mallory")
    assert client.take()[-1] == Refused("mallory is banned", "banned")
    again.clock.advance(1800)
    session, client = again.connect()
    client.take()
    session.receive("mallory")
    assert client.take()[0] == Welcome("mallory")
    with pytest.raises(Banned):
        again.connect(address="192.0.2.7")


# /mute


def test_mute_silences_everything_the_user_says(staff):
    """A muted user's room lines, actions, topics and private messages are all refused, and
    the user was told who muted them."""
    alice, alice_client = op(staff)
    bob, bob_client = staff.join("bob")
    alice.receive("/mute bob")
    assert alice_client.take() == [MuteSet("bob", None)]
    assert bob_client.take() == [YouAreMuted("alice", None)]
    for line in ("hello", "/me waves", "/msg alice hi", "/topic mine", "/to #lobby hi"):
        bob.receive(line)
        assert bob_client.take() == [Refused("you are muted", "muted")], line
    assert alice_client.take() == []
    bob.receive("/who")
    assert len(bob_client.take()) == 1


def test_unmute(staff):
    """/unmute lets the user talk again, and tells them."""
    alice, alice_client = op(staff)
    bob, bob_client = staff.join("bob")
    alice.receive("/mute bob")
    alice.receive("/unmute bob")
    assert alice_client.take() == [MuteSet("bob", None), MuteLifted("bob")]
    assert bob_client.take() == [YouAreMuted("alice", None), YouAreUnmuted()]
    bob.receive("hello")
    assert alice_client.take() == [Said("bob", "hello", staff.clock.now)]


def test_a_mute_with_a_duration_runs_out_and_says_so(staff):
    """A mute for 30m ends by itself; the user hears when, both times."""
    alice, _ = op(staff)
    bob, bob_client = staff.join("bob")
    alice.receive("/mute bob 30m")
    end = staff.clock.now + 1800
    assert bob_client.take() == [YouAreMuted("alice", end)]
    staff.clock.advance(1000)
    bob.receive("hi")
    assert bob_client.take() == [Refused("you are muted until 2023-11-14 22:43 UTC", "muted")]
    staff.clock.advance(800)
    assert bob_client.take() == [YouAreUnmuted()]
    assert staff.store.load_mutes() == []


def test_mutes_with_a_duration_survive_a_restart(staff, make_room):
    """A mute with an end is kept by the store; one until /unmute is not."""
    alice, _ = op(staff)
    staff.join("bob")
    staff.join("carol")
    alice.receive("/mute bob 1h")
    alice.receive("/mute carol")
    again = make_room(store=staff.store)
    bob, client = again.join("bob")
    bob.receive("hello")
    assert client.take()[0].code == "muted"
    carol, client = again.join("carol")
    carol.receive("hello")
    assert client.take() == []


@pytest.mark.parametrize(
    "line, refusal",
    [
        ("/mute", Refused("usage: /mute NAME [DURATION]", "usage")),
        ("/mute bob forever", Refused("usage: /mute NAME [DURATION]", "usage")),
        ("/mute alice", Refused("you cannot mute yourself", "not_yourself")),
        ("/unmute bob", Refused("bob is not muted", "not_muted")),
        ("/unmute", Refused("usage: /unmute NAME", "usage")),
    ],
)
def test_mute_refusals(staff, line, refusal):
    """/mute needs a name and, if anything, a duration; /unmute a muted name."""
    alice, client = op(staff)
    alice.receive(line)
    assert client.take() == [refusal]


# /announce


def test_announce_reaches_every_user_once(staff):
    """Every user, whatever their rooms, gets the announcement once; the operator too."""
    alice, alice_client = op(staff)
    bob, bob_client = staff.join("bob")
    bob.receive("/join #dev")
    bob.receive("/part #lobby")
    carol, carol_client = staff.join("carol")
    carol.receive("/join #dev")
    staff.settle()
    alice.receive("/announce restart at 18:00")
    for client in (alice_client, bob_client, carol_client):
        assert client.take() == [Announcement("restart at 18:00")]
    alice.receive("/announce")
    assert alice_client.take() == [Refused("usage: /announce TEXT", "usage")]


# /whois


def test_whois_for_everyone_without_the_address(staff):
    """Anyone gets since when, idle for how long, rooms and door; never the address."""
    _alice, _ = op(staff)
    bob, bob_client = staff.join("bob", address="192.0.2.7")
    since = staff.clock.now
    staff.clock.advance(90)
    bob.receive("/join #dev")
    staff.clock.advance(30)
    bob_client.take()
    bob.receive("/whois ALICE")
    assert bob_client.take() == [
        WhoIs("alice", since, 120.0, ("#lobby",), "nc", registered=True, operator=True)
    ]
    bob.receive("/whois bob")
    assert bob_client.take() == [WhoIs("bob", since, 0.0, ("#dev", "#lobby"), "nc")]


def test_whois_shows_operators_the_address(staff):
    """An operator also gets the address."""
    alice, client = op(staff)
    staff.join("bob", address="192.0.2.7")
    alice.receive("/whois bob")
    (whois,) = client.take()
    assert whois.address == "192.0.2.7"


def test_whois_refusals(staff):
    """/whois needs the name of someone online."""
    bob, client = staff.join("bob")
    bob.receive("/whois")
    bob.receive("/whois nobody")
    assert client.take() == [
        Refused("usage: /whois NAME", "usage"),
        Refused("no such user: nobody", "no_such_user"),
    ]
