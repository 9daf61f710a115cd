"""While it runs, the daemon keeps its start-up objects out of full garbage collections."""

from __future__ import annotations

import gc
import weakref

from twisted.internet import task

from chatd.core.hub import Hub
from chatd.service import ChatService


class Cycle:
    """An object that refers to itself: only the cyclic collector can free it."""

    def __init__(self) -> None:
        self.me = self


def service(freeze: bool) -> ChatService:
    clock = task.Clock()
    return ChatService(Hub(clock=clock), [], reactor=clock, freeze_startup_objects=freeze)


def garbage_cycle() -> weakref.ref[Cycle]:
    """A weak reference to a cycle nothing else refers to."""
    return weakref.ref(Cycle())


def test_starting_freezes_what_exists_and_stopping_thaws_it():
    before = gc.get_freeze_count()
    chat = service(freeze=True)
    chat.startService()
    try:
        assert gc.get_freeze_count() > before
    finally:
        chat.stopService()
    assert gc.get_freeze_count() == 0


def test_garbage_made_while_running_is_still_collected():
    chat = service(freeze=True)
    chat.startService()
    try:
        cycle = garbage_cycle()
        gc.collect()
        assert cycle() is None
    finally:
        chat.stopService()


def test_a_cycle_frozen_at_start_waits_for_the_thaw():
    """The trade-off, pinned: cycles dropped before the start are freed once the service stops."""
    kept = Cycle()
    cycle = weakref.ref(kept)
    chat = service(freeze=True)
    chat.startService()
    del kept
    gc.collect()
    assert cycle() is not None
    chat.stopService()
    gc.collect()
    assert cycle() is None


def test_without_the_option_nothing_is_frozen():
    before = gc.get_freeze_count()
    chat = service(freeze=False)
    chat.startService()
    try:
        assert gc.get_freeze_count() == before
    finally:
        chat.stopService()
