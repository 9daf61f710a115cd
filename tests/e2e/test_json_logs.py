"""JSON logs from the installed daemon: ``twistd --logger chatd.logs.json_stdout chatd ...``.

Every line of twistd's output must be one JSON object, the events operators filter on must carry
their ``event`` name and fields, and chat text must appear only with ``--log-messages``.
"""

from __future__ import annotations

import json
import signal

import pytest

JSON_LOGGER = ("--logger", "chatd.logs.json_stdout")


def records(server) -> list[dict]:
    """Every line twistd printed, each parsed as JSON (which fails on any line that is not)."""
    lines = server.log().split("\n")
    assert lines[-1] == "", "the log does not end with a newline"
    parsed = [json.loads(line) for line in lines[:-1]]
    assert all(isinstance(record, dict) for record in parsed)
    return parsed


def named(parsed: list[dict], event: str) -> list[dict]:
    return [record for record in parsed if record.get("event") == event]


def start(daemon, *options: str):
    server = daemon(*JSON_LOGGER, "chatd", "--port", "0", "--max-per-ip", "1",
                    "--handshake-timeout", "1", *options)  # fmt: skip
    (port,) = server.wait_for_log(r'starting on (\d+)"')
    return server, int(port)


def converse(server, port: int, peers, word: str) -> None:
    """Two people chat, whisper and leave; one address is refused, one silent peer dropped."""
    alice = peers(port)
    alice.join("alice")
    bob = peers(port)
    bob.join("bob")
    alice.next_line()  # bob has joined
    bob.send(f"public {word}", f"/me waves {word}", f"/msg alice private {word}")
    assert alice.lines(3)[0] == f"bob: public {word}"
    refused = peers(port, source=bob.sock.getsockname()[0])  # --max-per-ip 1
    assert refused.expect_eof().startswith(b"! ")
    silent = peers(port)
    silent.expect_prompt()
    silent.expect_eof()  # --handshake-timeout 1
    bob.send(f"/quit {word}")
    bob.expect_eof()
    server.wait_for_log(r'"event": "leave"')
    alice.leave()
    server.signal(signal.SIGTERM)
    server.wait_exit()


def test_every_line_is_a_json_event_with_the_fields_operators_filter_on(daemon, peers):
    """Connections, joins, leaves, refusals and drops are JSON lines with names and fields."""
    server, port = start(daemon)
    converse(server, port, peers, "zebrafinch")
    parsed = records(server)

    assert {record["name"] for record in named(parsed, "join")} == {"alice", "bob"}
    assert all(record["peer"].startswith("127.0.1.") for record in named(parsed, "join"))
    assert len(named(parsed, "connection")) == 3  # alice, bob and the silent peer
    (refusal,) = named(parsed, "refusal")
    assert refusal["why"].startswith("too many connections")
    (drop,) = named(parsed, "drop")
    assert drop["log_format"] == "{peer} chose no username in time"
    leaves = {record["name"]: record["how"] for record in named(parsed, "leave")}
    assert leaves == {"bob": "quit", "alice": "quit"}
    assert named(parsed, "close")
    assert named(parsed, "error") == []
    for record in parsed:
        assert record["log_level"]["name"] in {"debug", "info", "warn", "error", "critical"}
        assert isinstance(record["log_time"], float)
        assert record["log_text"]

    assert "zebrafinch" not in server.log()


def test_message_text_appears_only_with_log_messages(daemon, peers):
    """With --log-messages, chat and private text are message fields; quit reasons stay out."""
    server, port = start(daemon, "--log-messages")
    converse(server, port, peers, "quokka")
    parsed = records(server)

    said = {(record["name"], record["text"]) for record in named(parsed, "message")}
    assert said == {("bob", "public quokka"), ("bob", "waves quokka")}
    (private,) = named(parsed, "private-message")
    assert (private["sender"], private["recipient"], private["text"]) == (
        "bob",
        "alice",
        "private quokka",
    )
    mentioning = [record for record in parsed if "quokka" in json.dumps(record)]
    assert {record["event"] for record in mentioning} == {"message", "private-message"}


@pytest.mark.parametrize("word", ["{log_format} {0} {", '\u2028\x85 \x1b[31m "red"\r'])
def test_hostile_text_stays_inside_one_json_line(daemon, peers, word):
    """Braces, line breaks and escapes in logged text cannot split or forge a JSON line."""
    server, port = start(daemon, "--log-messages")
    alice = peers(port)
    alice.join("alice")
    alice.send_raw(f"say {word}\n".encode())
    server.wait_for_log(r'"event": "message"')
    alice.leave()
    server.signal(signal.SIGTERM)
    server.wait_exit()
    (message,) = named(records(server), "message")
    assert message["log_text"] == f"alice: {message['text']}"
