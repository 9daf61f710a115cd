"""Presence facts as the facts channel carries them: JSON out, facts in, and applying them.

A node publishes a :data:`~chatd.core.peers.Fact` about one of its users (arrived, departed,
renamed, entered or left a room, set a topic) as a JSON object with the node's name; the other
nodes turn it back into a fact and hand it to their hub's :class:`~chatd.core.remote.Remote`.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from chatd.core.peers import Arrived, Departed, Entered, Exited, Fact, Renamed, TopicChanged
from chatd.core.store import Topic

if TYPE_CHECKING:
    from chatd.core.hub import Hub


def fact_json(node: str, fact: Fact) -> str:
    """``fact`` as the facts channel carries it, from ``node``."""
    fields: dict[str, Any] = {"node": node}
    match fact:
        case Arrived():
            fields.update(t="arrived", key=fact.key, name=fact.name, rooms=list(fact.rooms))
        case Departed():
            fields.update(t="departed", key=fact.key, reason=fact.reason)
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
    return json.dumps(fields)


def fact_of(fields: dict[str, Any]) -> Fact | None:
    """The fact a facts-channel message carries (None: a kind this node does not know)."""
    match fields["t"]:
        case "arrived":
            return Arrived(fields["node"], fields["key"], fields["name"], tuple(fields["rooms"]))
        case "departed":
            return Departed(fields["key"], fields.get("reason"))
        case "renamed":
            return Renamed(fields["old"], fields["key"], fields["name"])
        case "entered":
            return Entered(fields["key"], fields["room"])
        case "exited":
            return Exited(fields["key"], fields["room"], fields.get("reason"))
        case "topic":
            topic = Topic(fields["text"], fields["setter"], fields["at"])
            return TopicChanged(fields["room"], topic)
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
