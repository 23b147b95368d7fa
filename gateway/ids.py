"""Ids the gateway mints: a short prefix that says what it is, then 20 random hex digits.

Ids are not secrets (every access is checked against the caller's token), so they come from a fast PRNG
seeded from the OS at start-up rather than a system call per id.
"""

import random

_random = random.Random()


def new_id(prefix: str) -> str:
    return f"{prefix}_{_random.getrandbits(80):020x}"
