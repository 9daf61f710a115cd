"""What operators do to keep a public chat usable: bans, mutes, kicks and announcements, and
``/whois``, which shows operators (and nobody else) where a user connects from.

Bans and mutes are few; they live in memory, loaded from the store at start-up and written
through it as they change, so a ban survives a restart.  A ban is of a name (and the address its
user had, if online) or of an address or network; it lasts for good or until it expires, and an
expired one is dropped the next time it is looked at.  A mute with an end is kept by the store
too; one until lifted by hand is kept by no store: alone it ends with the process, and in a
cluster every node holds it, told by the peers, until it is lifted or no node is left holding
it (a node that joins asks the others for theirs).  The muted user is told of every change, by
their own node.  An operator's kick of a user of another node is carried out by that node.
"""

from __future__ import annotations

import ipaddress
import re
import time
from typing import TYPE_CHECKING

from twisted.logger import Logger

from chatd.core import events
from chatd.core.clock import Timer
from chatd.core.errors import ModerationRefused, Muted, NoSuchUser
from chatd.core.lookalike import lookalike_key
from chatd.core.names import check_name, name_key
from chatd.core.peers import RECONNECTING, RECONNECTING_NAME, MuteChanged, is_remote
from chatd.core.store import Ban, Mute, Store

if TYPE_CHECKING:
    from chatd.core.hub import Hub
    from chatd.core.session import Session

_DURATION = re.compile(r"([1-9][0-9]{0,5})([mhd])")
_UNIT_SECONDS = {"m": 60, "h": 3600, "d": 86400}

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_duration(text: str) -> float | None:
    """Seconds in ``30m``, ``12h`` or ``7d``; None if ``text`` is no duration."""
    match = _DURATION.fullmatch(text)
    if match is None:
        return None
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def parse_network(text: str) -> Network | None:
    """The network an address (``203.0.113.7``) or CIDR block (``203.0.113.0/24``) names."""
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None


def _shown(network: Network) -> str:
    """A single address without its prefix length, a block with it."""
    if network.prefixlen == network.max_prefixlen:
        return str(network.network_address)
    return str(network)


def _in(address: str | None, network: Network) -> bool:
    if address is None:
        return False
    try:
        return ipaddress.ip_address(address) in network
    except ValueError:  # not an address: an IPv6 /64 counted as one origin, say
        found = parse_network(address)
        if found is None or found.version != network.version:
            return False
        return found.subnet_of(network)  # type: ignore[arg-type]  # one version, checked above


class Moderation:
    """The bans and mutes in force, and the operators' commands that change them."""

    log = Logger()

    def __init__(self, hub: Hub, store: Store) -> None:
        self.hub = hub
        self._store = store
        now = hub.clock.seconds()
        self._bans: dict[str, Ban] = {}
        for ban in store.load_bans():
            if ban.expires is not None and ban.expires <= now:
                store.delete_ban(ban.target)
            else:
                self._bans[ban.target] = ban
        self._mutes: dict[str, Mute] = {}
        self._mute_ends: dict[str, Timer] = {}
        #: The mutes until lifted that were lifted, by key: another node that missed the lifting
        #: (cut off from the cluster then) must not bring one back.
        self._lifted: dict[str, Mute] = {}
        for mute in store.load_mutes():
            if mute.expires is not None and mute.expires <= now:
                store.delete_mute(mute.key)
            else:
                self._mute(mute)

    # What the hub asks

    def address_ban(self, address: str | None) -> Ban | None:
        """The ban in force on ``address``, if any."""
        if address is None or not self._bans:
            return None
        for ban in self._current():
            banned = ban.address if ban.of_name else ban.target
            network = parse_network(banned) if banned is not None else None
            if network is not None and _in(address, network):
                return ban
        return None

    def name_ban(self, key: str) -> Ban | None:
        """The ban in force on the name with key ``key`` (or a name that looks like it)."""
        if not self._bans:
            return None
        lookalike = lookalike_key(key)
        for ban in self._current():
            if ban.of_name and (ban.target == key or lookalike_key(ban.target) == lookalike):
                return ban
        return None

    def check_speech(self, session: Session) -> None:
        """Raise :class:`Muted` if ``session``'s user is muted."""
        if self._mutes and session.key in self._mutes:
            expires = self._mutes[session.key].expires
            raise Muted("you are muted" + (f" until {_utc(expires)}" if expires else ""))

    # Operators' commands

    def ban(self, op: Session, target: str, duration: float | None, reason: str | None) -> None:
        """``/ban TARGET [DURATION] [REASON]``."""
        by = self.hub.user(op)
        now = self.hub.clock.seconds()
        expires = now + duration if duration is not None else None
        network = parse_network(target)
        if network is not None:
            if _in(op.address, network):
                raise ModerationRefused("you cannot ban your own address", "not_yourself")
            ban = Ban(str(network), _shown(network), by, now, expires, reason)
        else:
            key = check_name(target)
            if key == op.key:
                raise ModerationRefused("you cannot ban yourself", "not_yourself")
            user = self.hub.find_user(key)
            address = user.address if user is not None else None
            if address == op.address:
                address = None  # never the operator's own address, shared with the user
            account = self.hub.accounts.book.find(key)
            shown = user.username() if user is not None else account.name if account else target
            banned_address = str(parse_network(address)) if address is not None else None
            ban = Ban(key, shown, by, now, expires, reason, banned_address)
        self._bans[ban.target] = ban
        self._store.put_ban(ban)
        self.log.info(
            "{op} banned {target}{address} {until}{reason}",
            op=by,
            target=ban.shown,
            address=f" ({ban.address})" if ban.address else "",
            until="until " + _utc(expires) if expires is not None else "for good",
            reason=f" ({reason})" if reason else "",
        )
        op.tell(events.BanSet(ban.shown, expires, _shown_address(ban)))
        self._enforce(ban)

    def unban(self, op: Session, target: str) -> None:
        """``/unban TARGET``: by the name, address or block as banned."""
        network = parse_network(target)
        key = str(network) if network is not None else name_key(target)
        ban = self._bans.pop(key, None)
        if ban is None or (ban.expires is not None and ban.expires <= self.hub.clock.seconds()):
            if ban is not None:
                self._store.delete_ban(ban.target)
            raise ModerationRefused(f"{target} is not banned", "not_banned")
        self._store.delete_ban(ban.target)
        self.log.info("{op} lifted the ban of {target}", op=self.hub.user(op), target=ban.shown)
        op.tell(events.BanLifted(ban.shown))

    def list_bans(self, op: Session) -> None:
        """``/bans``."""
        op.tell(events.BanList(tuple(sorted(self._current(), key=lambda ban: ban.set_at))))

    def kick(self, op: Session, name: str, reason: str | None) -> None:
        """``/kick NAME [REASON]``."""
        by = self.hub.user(op)
        user = self.hub.find_user(name_key(name))
        if user is None:
            raise NoSuchUser(name)
        if user is op:
            raise ModerationRefused("you cannot kick yourself", "not_yourself")
        notice = events.Kicked(user.username(), by, reason)
        if is_remote(user):
            self.hub.remote.kick(op, user, notice)
            return
        if not set(op.rooms) & set(user.rooms):
            op.tell(notice)  # the others hear it through the rooms they share with the user
        self.expel(user, notice)

    def expel(self, user: Session, notice: events.Kicked) -> None:
        """Disconnect ``user``, of this node, as the kick ``notice`` says (an operator's here, or
        one of another node's); those who share a room with them, on every node, hear it."""
        self.log.info("{op} kicked {name}", op=notice.by, name=notice.name)
        why = f"you were kicked by {notice.by}" + (f" ({notice.reason})" if notice.reason else "")
        self.hub.remove(
            user, events.Refused(why, "kicked"), how=f"kicked by {notice.by}", notice=notice
        )

    def mute(self, op: Session, name: str, duration: float | None) -> None:
        """``/mute NAME [DURATION]``."""
        by = self.hub.user(op)
        key = check_name(name)
        if key == op.key:
            raise ModerationRefused("you cannot mute yourself", "not_yourself")
        self._check_peers()
        user = self.hub.find_user(key)
        if user is not None:
            key, name = user.key or key, user.username()
        now = self.hub.clock.seconds()
        mute = Mute(key, name, by, now, now + duration if duration is not None else None)
        self._unmute(key)
        self._mute(mute)
        if mute.expires is not None:
            self._store.put_mute(mute)
        elif self.hub.remote.peers is not None:
            self.hub.remote.peers.tell(MuteChanged(mute, held=True))
        self.log.info("{op} muted {name}", op=by, name=name)
        op.tell(events.MuteSet(name, mute.expires))
        if user is not None and user is not op:
            user.tell(events.YouAreMuted(by, mute.expires))

    def unmute(self, op: Session, name: str) -> None:
        """``/unmute NAME``."""
        mute = self._mutes.get(name_key(name))
        if mute is None:
            raise ModerationRefused(f"{name} is not muted", "not_muted")
        self._check_peers()
        self._lift(mute)
        if mute.expires is None and self.hub.remote.peers is not None:
            self._lifted[mute.key] = mute
            self.hub.remote.peers.tell(MuteChanged(mute, held=False))
        self.log.info("{op} unmuted {name}", op=self.hub.user(op), name=mute.name)
        op.tell(events.MuteLifted(mute.name))

    def whois(self, session: Session, name: str) -> None:
        """``/whois NAME``: open to everyone; only operators see the address."""
        self.hub.user(session)
        user = self.hub.find_user(name_key(name))
        if user is None:
            raise NoSuchUser(name)
        now = self.hub.clock.seconds()
        session.tell(
            events.WhoIs(
                user.username(),
                user.connected_at,
                max(0.0, now - user.last_heard),
                tuple(sorted((room.name for room in user.rooms), key=str.casefold)),
                user.door,
                registered=user.account is not None,
                operator=user.is_operator,
                address=user.address if session.is_operator else None,
            )
        )

    # Changes another node made (already kept, so not written again)

    def learned_ban(self, ban: Ban) -> None:
        """``ban`` was set on another node: it holds here too, on whoever it covers here."""
        self._bans[ban.target] = ban
        self._enforce(ban)

    def forgot_ban(self, target: str) -> None:
        self._bans.pop(target, None)

    def learned_mute(self, mute: Mute) -> None:
        """``mute`` was set on another node; its user, if here, is told."""
        self._drop_mute(mute.key)
        self._mute(mute)
        user = self.hub.find_user(mute.key)
        if user is not None and user.key == mute.key:
            user.tell(events.YouAreMuted(mute.set_by, mute.expires))

    def forgot_mute(self, key: str) -> None:
        """The mute of ``key`` was lifted on another node, or ran out there."""
        if self._drop_mute(key) is not None:
            user = self.hub.find_user(key)
            if user is not None and user.key == key:
                user.tell(events.YouAreUnmuted())

    def mute_changed(self, mute: Mute, held: bool) -> None:
        """``mute``, one until lifted, was set (``held``) or lifted on another node, or another
        node holds it and says so (it joined, or was asked).  Only a newer mute replaces the one
        held here; one lifted here stays lifted, and its node is told so."""
        current = self._mutes.get(mute.key)
        if not held:
            self._lifted[mute.key] = mute
            if current == mute:
                self.forgot_mute(mute.key)
        elif self._lifted.get(mute.key) == mute:
            peers = self.hub.remote.peers
            if peers is not None:
                peers.tell(MuteChanged(mute, held=False))
        elif current is None or current.set_at < mute.set_at:
            self.learned_mute(mute)

    def mutes_asked(self) -> None:
        """A node (re)joined: tell it the mutes until lifted held here."""
        peers = self.hub.remote.peers
        if peers is not None:
            for mute in self._mutes.values():
                if mute.expires is None:
                    peers.tell(MuteChanged(mute, held=True))

    def bans(self) -> list[Ban]:
        """Every ban kept, expired or not."""
        return list(self._bans.values())

    def mutes(self) -> list[Mute]:
        return list(self._mutes.values())

    # Internals

    def _check_peers(self) -> None:
        """Refuse a change of mutes that the other nodes of a cluster could not hear now."""
        peers = self.hub.remote.peers
        if peers is not None and not peers.ready:
            raise ModerationRefused(RECONNECTING_NAME, RECONNECTING)

    def _drop_mute(self, key: str) -> Mute | None:
        mute = self._mutes.pop(key, None)
        timer = self._mute_ends.pop(key, None)
        if timer is not None and timer.active():
            timer.cancel()
        return mute

    def _current(self) -> list[Ban]:
        """The bans in force; the expired ones are dropped."""
        now = self.hub.clock.seconds()
        expired = [
            ban for ban in self._bans.values() if ban.expires is not None and ban.expires <= now
        ]
        for ban in expired:
            del self._bans[ban.target]
            self._store.delete_ban(ban.target)
            self.log.info("the ban of {target} expired", target=ban.shown)
        return list(self._bans.values())

    def _enforce(self, ban: Ban) -> None:
        """Disconnect everyone ``ban`` covers, named or not."""
        why = "you are banned from this server" + (f" ({ban.reason})" if ban.reason else "")
        for user in self.hub.connections():
            if not user.ended and _covers(ban, user):
                self.hub.remove(user, events.Refused(why, "banned"), how="banned", reason="banned")

    def _mute(self, mute: Mute) -> None:
        self._mutes[mute.key] = mute
        if mute.expires is not None:
            delay = max(0.0, mute.expires - self.hub.clock.seconds())
            self._mute_ends[mute.key] = self.hub.clock.callLater(delay, self._lift, mute)

    def _unmute(self, key: str) -> Mute | None:
        mute = self._drop_mute(key)
        if mute is not None and mute.expires is not None:
            self._store.delete_mute(key)
        return mute

    def _lift(self, mute: Mute) -> None:
        """End ``mute`` (lifted, or run out) and tell its user, if online."""
        if self._mutes.get(mute.key) is not mute:
            return
        self._unmute(mute.key)
        user = self.hub.find_user(mute.key)
        if user is not None and user.key == mute.key:
            user.tell(events.YouAreUnmuted())


def _covers(ban: Ban, session: Session) -> bool:
    """Whether ``ban`` covers ``session``: its name (or a look-alike), or its address."""
    if ban.of_name and session.key is not None:
        if lookalike_key(session.key) == lookalike_key(ban.target):
            return True
    network = ban.address if ban.of_name else ban.target
    found = parse_network(network) if network is not None else None
    return found is not None and _in(session.address, found)


def _shown_address(ban: Ban) -> str | None:
    network = parse_network(ban.address) if ban.address else None
    return _shown(network) if network is not None else None


def _utc(at: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(at))
