"""The chatd soak: a bounded loopback run of a few hundred hostile and ordinary clients.

Run it from the repository root with ``python -m bench.soak`` (see ``bench/README.md``).  Modules:
``server`` starts and stops the daemon, ``probe`` reads its memory and CPU, ``serverlog`` scans
its log, ``connection`` is one raw client socket, ``clients`` the roles, ``protocol`` the wire
format, ``ledger`` the accounting, ``load`` the timeline, ``report`` and ``run`` the output.
"""
