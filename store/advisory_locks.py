"""Transaction-long locks on a name, for checks that count rows before writing one.

Two transactions that each count, then insert or update, both pass a limit when
they overlap; a lock on the limit's name makes the second count after the first
commits. PostgreSQL's advisory locks end with the transaction. SQLite needs none:
its writers take turns for the whole transaction.
"""

from __future__ import annotations

import hashlib

from django.db import connection


def lock(*names: str) -> None:
    """Lock each name until the current transaction ends, in one order (no deadlocks)."""
    if connection.vendor != "postgresql":
        return
    keys = sorted({_key(name) for name in names})
    with connection.cursor() as cursor:
        for key in keys:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def _key(name: str) -> int:
    """A signed 64-bit key for ``name`` (advisory locks are keyed by a bigint)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
