"""Giving a SQLite history's freed space back to the file system after a prune.

SQLite keeps the pages of deleted rows in the file for later writes to reuse: a history pruned to
30 days stops growing, but never shrinks. A database nhiscan creates is made with incremental
auto-vacuum, so that after a prune the free pages can be moved to the end of the file and cut off
(``PRAGMA incremental_vacuum``): it moves at most as many pages as were freed, where VACUUM
rewrites the whole file. A database made before keeps its freed pages for reuse, as
it always did; ``VACUUM`` converts it once (docs/history.md).
"""

from __future__ import annotations

import sqlite3

from sqlalchemy import Engine

from scanner.history.sqlite_lock import BUSY_TIMEOUT_MS, TURN_MS

# Issued on the first connection to a file that holds nothing yet, before any table is made: only
# there does it take effect (and on a file another process holds locked, it would wait for the lock).
NEW_DATABASE_PRAGMA = "PRAGMA auto_vacuum=INCREMENTAL"


def release_free_pages(engine: Engine) -> bool:
    """Cut the free pages off the end of the file and fold the write-ahead log back into it;
    False when another process held the database (the pages stay free for the next scans)."""
    connection = engine.raw_connection()
    try:
        driver = connection.driver_connection
        if not isinstance(driver, sqlite3.Connection):
            return False  # another SQLite driver: its pages stay free for the next scans
        driver.execute(f"PRAGMA busy_timeout={TURN_MS}")  # another writer: no wait a signal cannot end
        try:
            # a script, run to its end: as a statement the pragma frees one page per step
            driver.executescript("PRAGMA incremental_vacuum; PRAGMA wal_checkpoint(TRUNCATE);")
        except sqlite3.OperationalError as error:
            if error.sqlite_errorcode & 0xFF not in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
                raise
            return False
        finally:
            driver.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        return True
    finally:
        connection.close()
