"""The attack scenarios of issue 13: loopback attacks on a fresh chatd, each bounded in time.

Run it from the repository root with ``python -m bench.attack`` (see ``bench/README.md``).
``run`` is the command line, ``figures`` the table and its targets, ``context`` the servers and
the private-message latency probe, ``wire`` the clients, ``streamer`` an attacker process, and
``tls``, ``readers``, ``telnet`` and ``amplify`` the scenarios of items 1, 1b and 3, 2, and 5.
"""
