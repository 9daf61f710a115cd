"""The fan-out benchmark of issue 5: chatd against the classic Twisted chat server on loopback.

Run it from the repository root with ``python -m bench.fanout`` (see ``bench/README.md``).
``loadgen.c`` is the load generator (C, one epoll loop), ``baseline`` the naive server,
``servers`` starts and stops the servers, ``before`` builds chatd at an earlier revision
(``--before``), ``scenarios`` runs one scenario, ``table`` reduces and prints the results,
``run`` is the command line.
"""
