"""Facts and deliveries as the channels carry them: JSON out, facts in, and applying them.

A node publishes a :data:`~chatd.core.peers.Fact` about one of its users (arrived, departed or
was kicked, renamed, entered or left a room, set a topic), or about a mute until lifted, as a
JSON object with the node's name on the facts channel; the other nodes turn it back into a fact
and hand it to their hub.  What is meant for one user of one node (a private message, a refusal
for an operator, an operator's kick) goes on that node's own channel (:func:`delivery_json`).
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from chatd.core import events
from chatd.core.peers import (
    Arrived,
    Departed,
    Entered,
    Exited,
    Fact,
    MuteChanged,
    MutesAsked,
    Renamed,
    TopicChanged,
)
from chatd.core.store import Mute, Topic

if TYPE_CHECKING:
    from chatd.core.hub import Hub


def fact_json(node: str, fact: Fact) -> str:
    """``fact`` as the facts channel carries it, from ``node``."""
    fields: dict[str, Any] = {"node": node}
    match fact:
        case Arrived():
            fields.update(t="arrived", key=fact.key, name=fact.name, rooms=list(fact.rooms))
        case Departed():
            fields.update(t="departed", key=fact.key, reason=fact.reason, by=fact.kicked_by)
        case Renamed():
            fields.update(t="renamed", old=fact.old, key=fact.key, name=fact.name)
        case Entered():
            fields.update(t="entered", key=fact.key, room=fact.room)
        case Exited():
            fields.update(t="exited", key=fact.key, room=fact.room, reason=fact.reason)
        case TopicChanged():
            topic = fact.topic
            fields.update(t="topic", room=fact.room, text=topic.text, setter=topic.setter)
            fields.update(at=topic.at)
        case MuteChanged():
            fields.update(t="mute", mute=asdict(fact.mute), held=fact.held)
        case MutesAsked():
            fields.update(t="mutes?")
    return json.dumps(fields)


def fact_of(fields: dict[str, Any]) -> Fact | None:
    """The fact a facts-channel message carries (None: a kind this node does not know)."""
    match fields["t"]:
        case "arrived":
            return Arrived(fields["node"], fields["key"], fields["name"], tuple(fields["rooms"]))
        case "departed":
            return Departed(fields["key"], fields.get("reason"), fields.get("by"))
        case "renamed":
            return Renamed(fields["old"], fields["key"], fields["name"])
        case "entered":
            return Entered(fields["key"], fields["room"])
        case "exited":
            return Exited(fields["key"], fields["room"], fields.get("reason"))
        case "topic":
            topic = Topic(fields["text"], fields["setter"], fields["at"])
            return TopicChanged(fields["room"], topic)
        case "mute":
            return MuteChanged(Mute(**fields["mute"]), bool(fields["held"]))
        case "mutes?":
            return MutesAsked()
    return None


def apply_fact(hub: Hub, fact: Fact) -> None:
    """Tell ``hub`` what another node's user did."""
    remote = hub.remote
    match fact:
        case Arrived():
            remote.arrived(fact)
        case Departed():
            remote.departed(fact)
        case Renamed():
            remote.renamed(fact)
        case Entered():
            remote.entered(fact)
        case Exited():
            remote.exited(fact)
        case TopicChanged():
            remote.topic(fact)
        case MuteChanged():
            hub.moderation.mute_changed(fact.mute, fact.held)
        case MutesAsked():
            hub.moderation.mutes_asked()


def delivery_json(key: str, event: events.Event) -> str | None:
    """``event`` for the user with key ``key`` as a node's own channel carries it (None: a kind
    that does not travel).  A private message has no ``t``, as before kicks travelled."""
    match event:
        case events.Whispered():
            return json.dumps({"key": key, "sender": event.sender, "text": event.text})
        case events.Refused():
            fields = {"t": "refused", "key": key, "reason": event.reason, "code": event.code}
            return json.dumps(fields)
        case events.Kicked():
            kick = {"t": "kick", "key": key, "name": event.name, "by": event.by}
            return json.dumps(kick | {"reason": event.reason})
    return None


def apply_delivery(hub: Hub, fields: dict[str, Any]) -> None:
    """Act on a message of this node's own channel."""
    match fields.get("t"):
        case None:
            hub.remote.delivered(fields["key"], events.Whispered(fields["sender"], fields["text"]))
        case "refused":
            hub.remote.delivered(fields["key"], events.Refused(fields["reason"], fields["code"]))
        case "kick":
            kick = events.Kicked(fields["name"], fields["by"], fields.get("reason"))
            hub.remote.kicked(fields["key"], kick)
