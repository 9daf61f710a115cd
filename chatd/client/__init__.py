"""chatd-client: the bundled client, a Twisted program for a terminal or a pipe.

One module, one job, so that another face (chatd-gui, in :mod:`chatd.gui`) reuses the core:

- :mod:`chatd.client.lines`: what a server line is (wire protocol v1's and v2's kinds);
- :mod:`chatd.client.rooms` and :mod:`chatd.client.roster`: the rooms we are in and who is
  online, as the server's notices tell it;
- :mod:`chatd.client.protocol`: the client core, a ``LineReceiver`` speaking to the server;
- :mod:`chatd.client.connection`: endpoints for TCP and TLS, and connection errors in words;
- :mod:`chatd.client.pipes` and :mod:`chatd.client.terminal`: the two stdio faces;
- :mod:`chatd.client.render`, :mod:`chatd.client.editor` and
  :mod:`chatd.client.completion`: what the terminal shows, and Tab;
- :mod:`chatd.client.options` and :mod:`chatd.client.main`: the command line.
"""
