"""chatd: a small, sturdy chat server built on Twisted.

The package splits into a transport-agnostic core (:mod:`chatd.core`), the doors that translate
between a wire format and that core (:mod:`chatd.doors`), and the twistd wiring (:mod:`chatd.tap`).
"""

__version__ = "0.1.0"
