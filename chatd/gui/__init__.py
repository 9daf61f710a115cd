"""chatd-gui: a Tk window on the same client core as chatd-client, driven by the Twisted reactor.

One module, one job:

- :mod:`chatd.gui.roster`: who is online, kept from the server's notices (pure Python);
- :mod:`chatd.gui.styling`: which tags each piece of a line gets (pure Python);
- :mod:`chatd.gui.tkpump`: Tk's events handled from the reactor, without threads;
- :mod:`chatd.gui.form`: the connect form;  :mod:`chatd.gui.window`: the chat window's widgets;
- :mod:`chatd.gui.face`: the glue between the window and the client core (connect, show,
  reconnect, leave);
- :mod:`chatd.gui.options` and :mod:`chatd.gui.main`: the command line.
"""
