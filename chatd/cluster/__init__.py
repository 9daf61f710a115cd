"""Several chatd nodes as one chat, meeting at a Redis server (``--redis``).

:mod:`.link` is the thin adapter over txredisapi, :mod:`.scripts` the Lua scripts that make each
shared decision one atomic step, :mod:`.node` the hub's peers (names, presence, lines in order)
and :mod:`.store` the store whose history is the rooms' Redis streams.  Nothing here is imported
unless ``--redis`` is given.
"""
