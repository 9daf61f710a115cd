"""chatd-gui: a Tk window on the same client core as chatd-client, driven by the Twisted reactor.

One module, one job:

- :mod:`chatd.gui.styling`: which tags each piece of a line gets (pure Python);
- :mod:`chatd.gui.overlap` and :mod:`chatd.gui.receipts`: which history lines a view has, and
  which line a receipt confirms (pure Python);
- :mod:`chatd.gui.tkpump`: Tk's events handled from the reactor, without threads;
- :mod:`chatd.gui.form`: the connect form;  :mod:`chatd.gui.window`: the chat window, with
  :mod:`chatd.gui.messages` (one room's view) and :mod:`chatd.gui.sidebar` (rooms, people);
- :mod:`chatd.gui.backlog`: paging back through history, and replays that repeat lines;
- :mod:`chatd.gui.face`: the glue between the window and the client core (connect, show,
  reconnect, leave);
- :mod:`chatd.gui.options` and :mod:`chatd.gui.main`: the command line.
"""
