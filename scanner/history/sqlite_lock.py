"""Waiting for another writer of a SQLite history without holding off SIGINT and SIGTERM.

SQLite waits for a lock inside one call (its busy timeout), and Python runs signal handlers only
between calls: a scan that waited a minute for another writer could not be interrupted for that
minute. Here the wait is taken in short turns, and a signal ends it at the end of the turn."""

from __future__ import annotations

import sqlite3
import time

from sqlalchemy import Connection, delete, false
from sqlalchemy.exc import OperationalError

from scanner.history.tables import scans

BUSY_TIMEOUT_MS = 60_000  # how long a writer waits for another (readers never wait in WAL mode)
TURN_MS = 200  # how long one turn of that wait is


class StillLocked(Exception):
    """Another writer held the database for all of the wait."""


def take_write_lock(connection: Connection, wait_ms: int) -> None:
    """Begin the connection's transaction holding the database's write lock, waiting up to
    ``wait_ms`` for another writer to finish. A write that changes
    nothing takes the lock as any write does (the driver begins its transactions itself, so there
    is no BEGIN IMMEDIATE)."""
    give_up = time.monotonic() + wait_ms / 1000
    connection.exec_driver_sql(f"PRAGMA busy_timeout={TURN_MS}")
    try:
        while True:
            try:
                connection.execute(delete(scans).where(false()))
                return
            except OperationalError as error:
                if not _busy(error):
                    raise
                if time.monotonic() >= give_up:
                    raise StillLocked() from None
    finally:
        connection.exec_driver_sql(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")


def _busy(error: OperationalError) -> bool:
    code = getattr(error.orig, "sqlite_errorcode", None)
    return code is not None and code & 0xFF == sqlite3.SQLITE_BUSY
