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


# JSON lines (chatd.logs): every daemon event has a stable name, and one event is one line.

DAEMON_MODULES = (
    "core", "doors", "store", "descriptors.py", "service.py", "startup.py", "tap.py",
    "reload.py", "config.py", "metrics.py", "portal.py", "passwords.py", "cluster",
)  # fmt: skip
LEVELS = {"debug", "info", "warn", "error", "critical", "failure"}


def daemon_log_formats() -> dict[str, str]:
    """Each literal log format in the installed daemon's modules, with where it is used."""
    import ast
    from pathlib import Path

    import chatd

    root = Path(chatd.__file__).parent
    found = {}
    for part in DAEMON_MODULES:
        for path in (
            sorted((root / part).rglob("*.py")) if (root / part).is_dir() else [root / part]
        ):
            for node in ast.walk(ast.parse(path.read_text())):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr in LEVELS
                    and "log" in ast.unparse(node.func.value)
                    and node.args
                    and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str)
                ):
                    found[node.args[0].value] = f"{path.relative_to(root.parent)}:{node.lineno}"
    return found


def test_every_daemon_log_format_has_an_event_name():
    """Each log call of the daemon is in chatd.logs.EVENTS, so JSON filters never lose it."""
    from chatd.logs import EVENTS

    formats = daemon_log_formats()
    assert len(formats) >= 20, "the scan found too few log calls to be looking in the right place"
    unnamed = {where: format for format, where in formats.items() if format not in EVENTS}
    assert unnamed == {}, "add these formats to chatd.logs.EVENTS (and the README's Logging)"
    assert set(EVENTS) <= set(formats), "chatd.logs.EVENTS names formats nobody logs any more"


def test_hub_events_are_named_for_filters(make_room, log_capture):
    """Joins, renames, refused names, messages and leaves get the names the README documents."""
    from chatd.logs import event_name

    room = make_room(log_messages=True)
    alice, _ = room.join("alice")
    alice.receive("hello")
    alice.receive("/nick alicia")
    session, _ = room.connect()
    session.receive("alicia")
    alice.receive("/quit")
    names = [event_name(event) for event in hub_events(log_capture)]
    assert None not in names
    assert names == [
        "connection",
        "join",
        "message",
        "rename",
        "connection",
        "name-refused",
        "leave",
    ]


def json_records(*events: dict) -> list[dict]:
    import io

    from chatd.logs import json_lines

    out = io.StringIO()
    observe = json_lines(out)
    for event in events:
        observe(event)
    text = out.getvalue()
    assert "\x1e" not in text
    lines = text.split("\n")
    assert lines[-1] == "" and len(lines) == len(events) + 1, text
    return [json.loads(line) for line in lines[:-1]]


def an_event(log_format: str, namespace: str = "chatd.core.hub.Hub", **fields) -> dict:
    from twisted.logger import LogLevel

    return {
        "log_format": log_format,
        "log_namespace": namespace,
        "log_level": LogLevel.info,
        "log_time": 1.0,
        **fields,
    }


def test_json_lines_are_one_object_per_event_with_name_and_text():
    """An event is one line of JSON with its fields, its ``event`` name and its text."""
    event = an_event("{name} joined from {peer}", name="al\nice {0}", peer="[::1]:5")
    (record,) = json_records(event)
    assert record["event"] == "join"
    assert record["name"] == "al\nice {0}"
    assert record["log_text"] == "al\nice {0} joined from [::1]:5"
    assert record["log_level"]["name"] == "info"
    assert "event" not in event, "the event other observers see was changed"


def test_json_event_names_for_errors_and_others():
    """Failures and error levels are ``error``; a passed ``event`` wins; others get no name."""
    from twisted.logger import LogLevel
    from twisted.python.failure import Failure

    failure = Failure(ZeroDivisionError("boom"))
    records = json_records(
        an_event("Unhandled Error", "twisted.internet.defer", log_failure=failure),
        an_event("disk on fire", "somewhere", log_level=LogLevel.critical),
        an_event("{name} joined from {peer}", name="x", peer="y", event="custom"),
        an_event("Main loop terminated.", "twisted.internet.base"),
        an_event("{name} joined from {peer}", "not.chatd", name="x", peer="y"),
    )
    assert [record.get("event") for record in records] == [
        "error",
        "error",
        "custom",
        None,
        None,
    ]


def test_json_stdout_writes_to_standard_output(capsys):
    """twistd's --logger factory writes JSON lines to the standard output of that moment."""
    from chatd.logs import json_stdout

    json_stdout()(an_event("shutting down, closing {count} connections", count=2))
    record = json.loads(capsys.readouterr().out)
    assert (record["event"], record["count"]) == ("shutdown", 2)
