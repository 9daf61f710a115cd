"""The in-process measurement's setup: what it times is a chat line reaching every other user."""

from bench.fanout import inprocess


def test_every_user_is_named_and_hears_a_line_once_the_pass_has_run():
    clock, wires = inprocess.chat()
    assert len(wires) == inprocess.USERS
    for _, transport in wires:
        transport.clear()
    sender = wires[0][0]
    sender.dataReceived(b"1 hello\n2 again\n")
    assert all(transport.value() == b"" for _, transport in wires)  # written by the pass
    clock.advance(0)
    assert wires[0][1].value() == b""  # a sender does not hear itself
    for _, transport in wires[1:]:
        assert transport.value() == b"u0: 1 hello\r\nu0: 2 again\r\n"


def test_measure_gives_a_time_for_a_line_and_for_a_pass(monkeypatch):
    monkeypatch.setattr(inprocess, "ROUNDS", 10)
    monkeypatch.setattr(inprocess, "REPEATS", 1)
    receive, write = inprocess.measure(2)
    assert receive > 0 and write > 0
