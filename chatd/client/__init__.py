"""chatd-client: the bundled client, a Twisted program for a terminal or a pipe.

One module, one job, so that another face (chatd-gui, in :mod:`chatd.gui`) reuses the core:

- :mod:`chatd.client.lines`: what a server line is (wire protocol v1's kinds);
- :mod:`chatd.client.protocol`: the client core, a ``LineReceiver`` speaking to the server;
- :mod:`chatd.client.connection`: endpoints for TCP and TLS, and connection errors in words;
- :mod:`chatd.client.pipes` and :mod:`chatd.client.terminal`: the two stdio faces;
- :mod:`chatd.client.render` and :mod:`chatd.client.editor`: what the terminal shows;
- :mod:`chatd.client.options` and :mod:`chatd.client.main`: the command line.
"""
