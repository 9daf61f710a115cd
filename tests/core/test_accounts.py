"""Accounts in the hub: /register, logging in at the prompt and with /nick, /password,
/unregister, the login throttle, held lines, and persistence through the store."""

from __future__ import annotations

import pytest
from twisted.internet.defer import fail

from chatd.core import Hub
from chatd.core.events import (
    AskName,
    AskPassword,
    Left,
    NameChanged,
    Online,
    PasswordChanged,
    Refused,
    Registered,
    Renamed,
    Said,
    Unregistered,
    Welcome,
)
from chatd.core.store import MemoryStore

PASSWORD = "correct-horse"


def registered(room, name: str = "alice", password: str = PASSWORD):
    """A user called ``name`` who has registered it with ``password``."""
    session, client = room.join(name)
    session.receive(f"/register {password}")
    assert client.take() == [Registered(name)]
    return session, client


def log_in(room, name: str, password: str = PASSWORD, **connect):
    """A new connection that logs into ``name``; returns it with what it was told."""
    session, client = room.connect(**connect)
    client.take()
    session.receive(name)
    asked = client.take()
    session.receive(password)
    return session, client, asked


def test_register_makes_an_account(room):
    """/register answers that the name is registered, and the store keeps a hash, not the
    password."""
    session, _ = registered(room)
    (account,) = room.store.load_accounts()
    assert (account.key, account.name) == ("alice", "alice")
    assert PASSWORD not in account.password_hash
    assert account.password_hash.startswith("$scrypt$")
    assert session.account == "alice"


@pytest.mark.parametrize(
    "password, reason, code",
    [
        ("short", "a password must be at least 8 characters", "password_too_short"),
        ("1234567", "a password must be at least 8 characters", "password_too_short"),
        ("two words here", "a password cannot contain spaces", "password_invalid"),
    ],
)
def test_register_refuses_a_weak_password(room, password, reason, code):
    """A password shorter than 8 characters, or with a space, is refused and nothing is kept."""
    session, client = room.join("alice")
    session.receive(f"/register {password}")
    assert client.take() == [Refused(reason, code)]
    assert room.store.load_accounts() == []


def test_register_twice_is_refused(room):
    """Registering a name that is already registered gets ``NAME is already registered``."""
    session, client = registered(room)
    session.receive("/register another-password")
    assert client.take() == [Refused("alice is already registered", "already_registered")]


def test_register_needs_a_password(room):
    """/register without a password shows its usage."""
    session, client = room.join("alice")
    session.receive("/register")
    assert client.take() == [Refused("usage: /register PASSWORD", "usage")]


def test_a_hub_without_passwords_has_no_accounts(room):
    """A hub given no password checker refuses /register with a reason."""
    room.hub = Hub(clock=room.clock)
    session, client = room.join("alice")
    session.receive("/register long-enough")
    assert client.take() == [Refused("this server has no accounts", "accounts_unavailable")]


def test_registered_name_asks_for_its_password(room):
    """Choosing a registered name asks for its password; the right one gives the welcome."""
    alice, _ = registered(room)
    alice.quit()
    session, client, asked = log_in(room, "alice")
    assert asked == [AskPassword("alice")]
    assert client.take() == [Welcome("alice"), Online(("alice",))]
    assert session.account == "alice"


def test_wrong_password_asks_for_a_name_again(room):
    """A wrong password gets ``wrong password for NAME`` and the username prompt again."""
    alice, _ = registered(room)
    alice.quit()
    session, client, _ = log_in(room, "alice", "not-the-password")
    assert client.take() == [Refused("wrong password for alice", "wrong_password"), AskName()]
    assert session.name is None
    session.receive("alicia")
    assert client.take() == [Welcome("alicia"), Online(("alicia",))]


@pytest.mark.parametrize("typed", ["ALICE", "ａｌｉｃｅ", "AIice"])
def test_a_registered_name_is_protected_in_every_form(room, typed):
    """Another case, the NFKC form or a look-alike of a registered name asks for its password,
    and the user logs in under the name as registered."""
    alice, _ = registered(room)
    alice.quit()
    _session, client, asked = log_in(room, typed)
    assert asked == [AskPassword("alice")]
    assert client.take()[0] == Welcome("alice")


def test_a_registered_name_online_is_taken(room):
    """A registered name in use is taken: nobody is asked for its password."""
    registered(room)
    session, client = room.connect()
    client.take()
    session.receive("alice")
    assert client.take() == [
        Refused("the username alice is taken, please choose another", "name_taken")
    ]


def test_quit_at_the_password_prompt(room):
    """<quit> and /quit still leave while the password is asked for."""
    alice, _ = registered(room)
    alice.quit()
    for word in ("<quit>", "/quit"):
        session, client = room.connect()
        session.receive("alice")
        session.receive(word)
        assert client.closed


def test_nick_to_a_registered_name_asks_for_its_password(room):
    """/nick to a registered name asks for the password; the right one renames."""
    alice, _ = registered(room)
    alice.receive("/nick alicia")
    room.settle()
    bob, bob_client = room.join("bob")
    bob.receive("/nick alice")
    assert bob_client.take() == [AskPassword("alice")]
    bob.receive(PASSWORD)
    assert bob_client.take() == [NameChanged("alice")]
    assert bob.account == "alice"


def test_nick_with_a_wrong_password_keeps_the_name(room):
    """A wrong password after /nick keeps the old name, with no username prompt."""
    alice, _ = registered(room)
    alice.quit()
    bob, client = room.join("bob")
    bob.receive("/nick alice")
    client.take()
    bob.receive("wrong-password")
    assert client.take() == [Refused("wrong password for alice", "wrong_password")]
    assert bob.name == "bob"


def test_nick_away_logs_out(room):
    """Renaming to another name leaves the account; coming back asks for the password."""
    alice, client = registered(room)
    alice.receive("/nick alicia")
    assert alice.account is None
    client.take()
    alice.receive("/nick alice")
    assert client.take() == [AskPassword("alice")]


def test_nick_to_another_form_of_ones_own_name_needs_no_password(room):
    """A user logged in may change the case of their name without the password."""
    alice, client = registered(room)
    alice.receive("/nick ALICE")
    assert client.take() == [NameChanged("ALICE")]
    assert alice.account == "alice"


def test_password_change(room):
    """/password OLD NEW changes it: the old one no longer logs in, the new one does."""
    alice, client = registered(room)
    alice.receive(f"/password {PASSWORD} battery-staple")
    assert client.take() == [PasswordChanged("alice")]
    alice.quit()
    _, old, _ = log_in(room, "alice", PASSWORD)
    assert old.take()[0] == Refused("wrong password for alice", "wrong_password")
    _, new, _ = log_in(room, "alice", "battery-staple")
    assert new.take()[0] == Welcome("alice")


@pytest.mark.parametrize(
    "line, refusal",
    [
        ("/password wrong-password battery-staple",
         Refused("wrong password for alice", "wrong_password")),
        (f"/password {PASSWORD} short",
         Refused("a password must be at least 8 characters", "password_too_short")),
        (f"/password {PASSWORD}", Refused("usage: /password OLD NEW", "usage")),
    ],
)  # fmt: skip
def test_password_change_refusals(room, line, refusal):
    """A wrong old password, a weak new one, or a missing one changes nothing."""
    alice, client = registered(room)
    before = room.store.load_accounts()
    alice.receive(line)
    assert client.take() == [refusal]
    assert room.store.load_accounts() == before


@pytest.mark.parametrize("line", ["/password old-password new-password", "/unregister whatever1"])
def test_unregistered_names_have_no_password(room, line):
    """/password and /unregister on a name that is not registered say so."""
    bob, client = room.join("bob")
    bob.receive(line)
    assert client.take() == [Refused("bob is not registered", "not_registered")]


def test_unregister(room):
    """/unregister with the password deletes the account; the name is then free to anyone."""
    alice, client = registered(room)
    alice.receive("/unregister wrong-password")
    assert client.take() == [Refused("wrong password for alice", "wrong_password")]
    alice.receive(f"/unregister {PASSWORD}")
    assert client.take() == [Unregistered("alice")]
    assert room.store.load_accounts() == []
    alice.quit()
    session, other = room.connect()
    other.take()
    session.receive("alice")
    assert other.take()[0] == Welcome("alice")


def test_accounts_survive_a_restart(make_room):
    """A hub made again over the same store knows the accounts."""
    first = make_room()
    registered(first)
    again = make_room(store=first.store)
    _, client, asked = log_in(again, "alice")
    assert asked == [AskPassword("alice")]
    assert client.take()[0] == Welcome("alice")


def test_lines_typed_while_a_password_is_checked_wait(room):
    """What is typed after the password waits for the answer, then follows it, in order."""
    alice, _ = registered(room)
    alice.quit()
    _bob, bob_client = room.join("bob")
    room.runner.auto = False
    session, client = room.connect()
    client.take()
    for line in ("alice", PASSWORD, "hello", "/who"):
        session.receive(line)
    assert client.take() == [AskPassword("alice")]
    assert bob_client.take() == []
    room.runner.finish()
    assert client.take() == [
        Welcome("alice"),
        Online(("alice", "bob")),
        Online(("alice", "bob")),
    ]
    assert bob_client.take()[1] == Said("alice", "hello", room.clock.now)


def test_a_connection_lost_during_the_check_hears_nothing(room):
    """A connection that goes away while its password is checked gets no event after."""
    alice, _ = registered(room)
    alice.quit()
    room.runner.auto = False
    session, _client = room.connect()
    session.receive("alice")
    session.receive(PASSWORD)
    session.lost()
    room.runner.finish()
    assert room.hub.online() == ()


def test_give_password_unasked_is_refused(room):
    """A door that gives a password nobody asked for gets a refusal with its own code."""
    from chatd.core.errors import AccountRefused

    session, _ = room.join("bob")
    with pytest.raises(AccountRefused) as refused:
        room.hub.give_password(session, PASSWORD)
    assert refused.value.code == "no_password_asked"


def test_join_with_the_password_at_once(room):
    """A door may pass the password with the name: no AskPassword, straight to the welcome."""
    alice, _ = registered(room)
    alice.quit()
    session, client = room.connect()
    client.take()
    room.hub.join(session, "alice", PASSWORD)
    assert client.take()[0] == Welcome("alice")


def test_the_others_see_a_registered_user_as_anyone(room):
    """Logging in looks like any join to the others, and leaving like any leave."""
    alice, _ = registered(room)
    alice.quit()
    _bob, bob_client = room.join("bob")
    session, _, _ = log_in(room, "alice")
    session.quit()
    events = bob_client.take()
    assert events[-1] == Left("alice")
    assert not any(isinstance(event, Renamed) for event in events)


def test_the_password_is_never_logged(room, log_capture):
    """No log event, formatted or raw, holds a password: registering, logging in right and
    wrong, changing it."""
    secret, other = "s3cret-Pa55word", "0ther-Pa55word"
    alice, _ = room.join("alice")
    alice.receive(f"/register {secret}")
    alice.receive(f"/password {secret} {other}")
    alice.receive(f"/password {secret} {other}")
    alice.quit()
    log_in(room, "alice", secret)
    log_in(room, "alice", other)
    text = "\n".join(log_capture.formatted()) + repr(log_capture.events)
    assert "failed login to alice" in text
    assert secret not in text and other not in text


def test_memory_store_keeps_accounts():
    """The memory store gives back what it was given, and forgets what was deleted."""
    from chatd.core.store import Account

    store = MemoryStore()
    store.put_account(Account("a", "A", "$h", 1.0))
    store.put_account(Account("b", "B", "$h", 2.0))
    store.delete_account("a")
    assert store.load_accounts() == [Account("b", "B", "$h", 2.0)]


TOO_MANY = Refused("too many failed logins, try again later", "too_many_failed_logins")


def test_five_failures_lock_an_account_for_a_minute(room):
    """Five wrong passwords for one account, from any addresses, lock it: even the right one is
    refused, without being checked, until a minute has passed."""
    alice, _ = registered(room)
    alice.quit()
    for attempt in range(5):
        _, client, _ = log_in(room, "alice", "wrong-password", origin=f"192.0.2.{attempt}")
        assert client.take()[0].code == "wrong_password"
    _, client, _ = log_in(room, "alice", PASSWORD, origin="198.51.100.1")
    assert client.take() == [TOO_MANY, AskName()]
    room.clock.advance(59)
    _, client, _ = log_in(room, "alice", PASSWORD, origin="198.51.100.1")
    assert client.take() == [TOO_MANY, AskName()]
    room.clock.advance(1)
    _, client, _ = log_in(room, "alice", PASSWORD, origin="198.51.100.1")
    assert client.take()[0] == Welcome("alice")


def test_five_failures_lock_an_address(room):
    """Five wrong passwords from one address, for any accounts, lock that address out of every
    account for a minute; other addresses may still log in."""
    for name in ("alice", "bob", "carol"):
        session, _ = registered(room, name)
        session.quit()
    for attempt in range(5):
        name = ("alice", "bob")[attempt % 2]
        log_in(room, name, "wrong-password", origin="203.0.113.9")
    _, client, _ = log_in(room, "carol", PASSWORD, origin="203.0.113.9")
    assert client.take() == [TOO_MANY, AskName()]
    _carol, client, _ = log_in(room, "carol", PASSWORD, origin="203.0.113.10")
    assert client.take()[0] == Welcome("carol")


def test_failures_spread_out_do_not_lock(room):
    """Four failures a minute, every minute, never lock anyone out."""
    alice, _ = registered(room)
    alice.quit()
    for _ in range(3):
        for _ in range(4):
            log_in(room, "alice", "wrong-password")
        room.clock.advance(60)
    _, client, _ = log_in(room, "alice", PASSWORD)
    assert client.take()[0] == Welcome("alice")


def test_the_throttle_guards_password_and_unregister_too(room):
    """/password and /unregister count failures and are refused once the account is locked."""
    alice, client = registered(room)
    for _ in range(5):
        alice.receive("/unregister wrong-password")
    client.take()
    alice.receive(f"/password {PASSWORD} battery-staple")
    assert client.take() == [TOO_MANY]


def test_the_throttle_forgets_what_is_over():
    """Keys whose window and lock are over are swept away, so the table does not grow."""
    from chatd.core.accounts import LoginThrottle

    throttle = LoginThrottle()
    for number in range(LoginThrottle.SWEEP_AT):
        throttle.failed([f"address {number}"], 0.0)
    throttle.failed(["address new"], 61.0)
    assert len(throttle) == 1


def test_too_many_lines_while_a_password_is_checked(room):
    """Past MAX_HELD_LINES lines waiting for a password check, each further one is refused."""
    from chatd.core.session import MAX_HELD_LINES

    alice, _ = registered(room)
    alice.quit()
    room.runner.auto = False
    session, client = room.connect()
    session.receive("alice")
    session.receive(PASSWORD)
    client.take()
    for number in range(MAX_HELD_LINES + 1):
        session.receive(f"line {number}")
    assert client.take() == [
        Refused("please wait: a password is being checked", "checking_password")
    ]
    room.runner.finish()
    assert client.take()[0] == Welcome("alice")


def test_a_hash_that_cannot_be_made_refuses_the_registration(room, log_capture):
    """If hashing fails (say, out of memory), /register says so and keeps nothing."""

    def broken(work, *args):
        return fail(MemoryError("no memory for scrypt"))

    alice, client = room.join("alice")
    room.runner.run = broken
    alice.receive(f"/register {PASSWORD}")
    assert client.take() == [Refused("cannot register now, try again later", "unavailable")]
    assert room.store.load_accounts() == []
    (error,) = log_capture.errors()
    assert "cannot hash a password: no memory for scrypt" in log_capture.formatted()[-1]
    log_capture.events.remove(error)
