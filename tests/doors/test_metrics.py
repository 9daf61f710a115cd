"""The metrics collector: what it reports moves with what the line door and the hub do."""

from __future__ import annotations

from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from chatd.metrics import REFUSAL_REASONS, ChatCollector, metrics_registry


def values(chat) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample the collector reports now, keyed by name and sorted labels."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in ChatCollector(chat.hub, {"line": chat.factory}).collect()
        for sample in family.samples
    }


def door(chat, name: str) -> float:
    """One per-door sample of the line door, e.g. ``door(chat, "chatd_connections")``."""
    return values(chat)[(name, (("door", "line"),))]


def test_a_fresh_server_reports_every_metric_at_zero(chat):
    """Every metric is there from the start, each refusal reason too, all at zero."""
    assert values(chat) == {
        **{
            (f"chatd_{name}", (("door", "line"),)): 0
            for name in (
                "connections",
                "users_online",
                "lines_received_total",
                "deliveries_total",
                "bytes_sent_total",
                "flood_delays_total",
                "slow_readers_dropped_total",
            )
        },
        ("chatd_rooms", ()): 0,
        ("chatd_handshake_timeouts_total", ()): 0,
        **{("chatd_refusals_total", (("reason", reason),)): 0 for reason in REFUSAL_REASONS},
    }


def test_connections_and_users_online_follow_who_is_there(chat):
    """An unnamed connection counts as a connection only; a named one as both, until it goes."""
    alice = chat.join("alice")
    chat.join("bob")
    chat.connect()
    assert door(chat, "chatd_connections") == 3
    assert door(chat, "chatd_users_online") == 2
    alice.drop()
    assert door(chat, "chatd_connections") == 2
    assert door(chat, "chatd_users_online") == 1


def test_lines_deliveries_and_bytes_count_what_went_through(chat):
    """A chat line to three others is one line received, three deliveries, and their bytes."""
    alice = chat.join("alice")
    others = [chat.join(name) for name in ("bob", "carol", "dave")]
    before = values(chat)
    alice.send(b"hello\n", b"again\n")
    received = [wire.take() for wire in others]
    after = values(chat)

    def moved(name: str) -> float:
        key = (name, (("door", "line"),))
        return after[key] - before[key]

    assert moved("chatd_lines_received_total") == 2
    assert moved("chatd_deliveries_total") == 6
    assert moved("chatd_bytes_sent_total") == sum(map(len, received))


def test_direct_deliveries_are_counted_with_their_bytes(chat):
    """What reaches one connection directly (prompt, welcome, whisper) counts, a line each."""
    bob = chat.join("bob")
    before = door(chat, "chatd_deliveries_total"), door(chat, "chatd_bytes_sent_total")
    alice = chat.connect()
    alice.send(b"alice\n", b"/msg bob psst\n")
    written = alice.take() + bob.take()
    assert door(chat, "chatd_deliveries_total") - before[0] == written.count(b"\r\n") == 6
    assert door(chat, "chatd_bytes_sent_total") - before[1] == len(written)


def test_shares_count_only_what_they_carry(chat):
    """Members written apart from the rest (senders, who skip their own lines) count exactly."""
    alice, bob, carol = chat.join("alice"), chat.join("bob"), chat.join("carol")
    before = door(chat, "chatd_deliveries_total"), door(chat, "chatd_bytes_sent_total")
    alice.send(b"one\n")
    bob.send(b"two\n")
    carol.send(b"/who\n")  # carol is answered directly, so her share is written before the pass
    written = alice.take() + bob.take() + carol.take()
    assert written.count(b"\r\n") == 5  # alice and bob one each; carol both and /who
    assert door(chat, "chatd_deliveries_total") - before[0] == written.count(b"\r\n")
    assert door(chat, "chatd_bytes_sent_total") - before[1] == len(written)


def test_rooms_counts_rooms_with_someone_in_them(chat):
    """The lobby counts once someone is in it; a room joined counts until it is empty."""
    alice = chat.join("alice")
    assert values(chat)[("chatd_rooms", ())] == 1
    alice.send(b"/join #tea\n")
    assert values(chat)[("chatd_rooms", ())] == 2
    alice.drop()
    assert values(chat)[("chatd_rooms", ())] == 0


def test_flood_delays_count_each_pause_once(make_chat):
    """A burst past the budget pauses reading once, however many lines wait behind it."""
    chat = make_chat(rate=5, burst=10)
    alice = chat.join("alice")
    chat.join("bob")
    alice.send(b"".join(b"flood %d\n" % number for number in range(30)))
    assert door(chat, "chatd_flood_delays_total") == 1
    chat.clock.advance(10)
    alice.send(b"".join(b"more %d\n" % number for number in range(30)))
    assert door(chat, "chatd_flood_delays_total") == 2


def test_slow_readers_dropped_are_counted(make_chat):
    """A reader dropped for not reading its output counts once."""
    chat = make_chat(max_send_buffer=1000, rate=0)
    alice, slow = chat.join("alice"), chat.join("slow")
    slow.transport.producer.pauseProducing()
    for number in range(40):
        alice.send(b"message %03d " % number + b"x" * 40 + b"\n")
    chat.clock.advance(0)
    assert slow.transport.disconnected
    assert door(chat, "chatd_slow_readers_dropped_total") == 1


def test_refusals_and_handshake_timeouts_come_from_the_hub(make_chat):
    """A full server's refusal and a handshake timeout show under their names."""
    chat = make_chat(max_clients=1, handshake_timeout=5)
    chat.connect()
    chat.connect()  # refused: the server is full
    chat.clock.advance(6)
    sampled = values(chat)
    assert sampled[("chatd_refusals_total", (("reason", "max_clients"),))] == 1
    assert sampled[("chatd_refusals_total", (("reason", "max_per_ip"),))] == 0
    assert sampled[("chatd_handshake_timeouts_total", ())] == 1


def test_the_registry_renders_text_that_prometheus_client_parses(chat):
    """The whole exposition, chatd's metrics and the process's, parses back with their values."""
    chat.join("alice")
    text = generate_latest(metrics_registry(chat.hub, {"line": chat.factory})).decode()
    families = {family.name: family for family in text_string_to_metric_families(text)}
    assert families["chatd_users_online"].samples[0].value == 1
    assert families["chatd_lines_received"].type == "counter"
    assert "process_cpu_seconds" in families
    assert "python_info" in families
