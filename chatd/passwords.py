"""Password hashes: scrypt from the standard library, each hash carrying its own parameters.

Why scrypt: it is memory-hard (each guess needs ``128 * n * r`` bytes, so a GPU or ASIC cannot
run many in parallel cheaply), it is in Python's standard library (``hashlib.scrypt``, over
OpenSSL), so chatd needs no compiled dependency for it, and OWASP lists it beside argon2id with
parameters of equal strength.  Argon2id (through argon2-cffi) would serve as well; it would be
one more binary wheel for every platform chatd is installed on, for no gain that matters here.

The defaults are one of OWASP's recommended sets: ``n = 2**15`` (32 MiB), ``r = 8``, ``p = 3``,
about 0.3 s of one core.  A hash reads ``$scrypt$ln=15,r=8,p=3$SALT$HASH`` (base64 without
padding), so stronger parameters later still check the hashes made before.  Hashing is slow on
purpose: the server does it off the reactor thread (:mod:`chatd.portal`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass

SALT_BYTES = 16
HASH_BYTES = 32


@dataclass(frozen=True, slots=True)
class Scrypt:
    """scrypt's cost parameters: ``2**log_n`` blocks of ``128 * r`` bytes, ``p`` times over."""

    log_n: int = 15
    r: int = 8
    p: int = 3

    @property
    def memory(self) -> int:
        """Bytes scrypt needs, with room to spare (OpenSSL refuses to exceed ``maxmem``)."""
        return 129 * self.r * (2**self.log_n) + 1024 * 1024


#: The parameters of new hashes in the server; tests pass weaker ones to run fast.
DEFAULT = Scrypt()


def hash_password(password: str, cost: Scrypt = DEFAULT) -> str:
    """A new salted hash of ``password``, with its parameters, to keep in place of it."""
    salt = os.urandom(SALT_BYTES)
    digest = _scrypt(password, salt, cost, HASH_BYTES)
    return f"$scrypt$ln={cost.log_n},r={cost.r},p={cost.p}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` is the one ``stored`` (a :func:`hash_password` hash) was made of.

    The comparison takes the same time wherever the digests differ (``hmac.compare_digest``).
    A hash that cannot be read matches no password.
    """
    try:
        _, scheme, settings, salt, digest = stored.split("$")
        values = dict(item.split("=") for item in settings.split(","))
        cost = Scrypt(int(values["ln"]), int(values["r"]), int(values["p"]))
        expected = _unb64(digest)
        salt_bytes = _unb64(salt)
    except (ValueError, KeyError):
        return False
    if scheme != "scrypt" or not expected:
        return False
    return hmac.compare_digest(_scrypt(password, salt_bytes, cost, len(expected)), expected)


def _scrypt(password: str, salt: bytes, cost: Scrypt, length: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"),
        salt=salt,
        n=2**cost.log_n,
        r=cost.r,
        p=cost.p,
        maxmem=cost.memory,
        dklen=length,
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
