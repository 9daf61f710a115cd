"""What the hub logs: structured events for comings and goings, message text only when asked."""

from __future__ import annotations

import json


def hub_events(log_capture):
    return [
        event for event in log_capture.events if event.get("log_namespace", "").startswith("chatd")
    ]


def mentions(event, text: str) -> bool:
    return any(text in str(value) for key, value in event.items() if key != "log_logger")


def chat_a_little(room):
    alice_session, _ = room.join("alice")
    bob_session, _ = room.join("bob")
    alice_session.receive("the secret plan")
    alice_session.receive("/me hides the secret map")
    alice_session.receive("/msg bob secret whisper")
    bob_session.receive("/quit secret reason")


def test_message_text_is_not_logged_by_default(room, log_capture):
    """Without log_messages no chat, action, private or quit text appears in any log event."""
    chat_a_little(room)
    assert hub_events(log_capture), "the hub logged nothing at all"
    assert [event for event in log_capture.events if mentions(event, "secret")] == []


def test_message_text_is_logged_when_asked(make_room, log_capture):
    """With log_messages the hub logs chat, actions and private messages as fields."""
    chat_a_little(make_room(log_messages=True))
    texts = {event.get("text") for event in hub_events(log_capture)}
    assert {"the secret plan", "hides the secret map", "secret whisper"} <= texts


def test_comings_and_goings_are_structured_events(room, log_capture):
    """Joins, renames, refusals and leaves are logged with their names as separate fields."""
    alice_session, _ = room.join("alice")
    alice_session.receive("/nick alicia")
    session, _ = room.connect()
    session.receive("admin")
    alice_session.lost()
    fields = [
        {key: event[key] for key in ("name", "old", "new", "peer") if key in event}
        for event in hub_events(log_capture)
    ]
    assert {"name": "alice", "peer": "test-0"} in fields
    assert {"old": "alice", "new": "alicia"} in fields
    assert {"peer": "test-1"} in fields
    assert {"name": "alicia"} in fields


def test_braces_in_logged_text_format_cleanly(make_room, log_capture):
    """User text is a log field, never the format string, so braces in it format verbatim."""
    room = make_room(log_messages=True)
    alice_session, _ = room.join("alice")
    alice_session.receive("look: {log_format} {0} {")
    assert "alice: look: {log_format} {0} {" in log_capture.formatted()


def test_hub_log_fields_survive_json(room, log_capture):
    """Every field of the hub's log events serialises to JSON, refusal reasons included."""
    from twisted.logger import eventAsJSON

    session, _ = room.connect()
    session.receive("-bad")
    session.receive("server")
    session.receive("alice")
    session.receive("/nick ADMIN")
    session.lost()
    assert len(hub_events(log_capture)) >= 5
    for event in hub_events(log_capture):
        fields = json.loads(eventAsJSON(event))
        broken = [key for key, value in fields.items() if value == {"unpersistable": True}]
        assert set(broken) <= {"log_logger", "log_source"}, event["log_format"]


def test_a_shutdown_logs_why_its_users_left(room, log_capture):
    """Users the server closes on shutdown are logged as leaving for that, not a lost connection."""
    alice, _ = room.join("alice")
    room.hub.shutdown()
    alice.lost()
    hows = [
        event["how"]
        for event in hub_events(log_capture)
        if event.get("name") == "alice" and "how" in event
    ]
    assert hows == ["server shutting down"]
