"""Staging folders that a killed scan left behind, found and removed by a later one.

A scan writes its outputs in a staging folder inside the output folder and removes it whatever
happens, unless it is killed outright (SIGKILL, the kernel's out-of-memory killer): then the folder
stays, holding up to the whole size of a scan's outputs (about 800 MB at 100,000 identities), and a
scheduled scan killed night after night would fill the disk. Each run holds an advisory lock on
its staging folder for as long as it lives; the system lets go of it when the process ends, however
it ends. A staging folder (named as this module makes them, owned by this user) that nobody holds
and that has not changed for ABANDONED_AFTER_SECONDS is abandoned. The wait is long because a lock
does not prove life everywhere: a scan of an nhiscan from before these locks holds none, and on
some network file systems a lock is seen only on its own host. A scan whose staging folder was
removed all the same finds out before it moves anything (see ``still_ours``). Where locks are not
to be had (no ``fcntl``, a file system that refuses them), nothing is removed.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path

try:
    import fcntl
except ImportError:  # not a POSIX system: no locks, so no folder is ever taken for abandoned
    fcntl = None  # type: ignore[assignment]

STAGING_PREFIX = ".nhiscan-staging-"
_STAGING_NAME = re.compile(re.escape(STAGING_PREFIX) + r"[a-z0-9_]{8}")  # as tempfile.mkdtemp names them
# a day's scheduled scan removes what the previous day's left; no scan takes six hours
ABANDONED_AFTER_SECONDS = 6 * 3600


def claim(folder: Path) -> int | None:
    """Lock ``folder`` for as long as the returned descriptor is open (close it with ``release``);
    None where no lock can be had."""
    if fcntl is None:
        return None
    try:
        descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return None
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(descriptor)
        return None
    return descriptor


def release(descriptor: int | None) -> None:
    if descriptor is not None:
        os.close(descriptor)


def still_ours(folder: Path, made: os.stat_result) -> bool:
    """Whether ``folder`` is still the folder this run made (``made``: its status then), not gone
    or put back by a write into its place."""
    try:
        now = folder.stat()
    except OSError:
        return False
    return (now.st_dev, now.st_ino) == (made.st_dev, made.st_ino)


def remove_abandoned(directory: Path) -> list[Path]:
    """Remove the staging folders in ``directory`` that no living run holds and that have not
    changed for ABANDONED_AFTER_SECONDS; the folders removed."""
    removed = []
    now = time.time()
    owner = os.getuid() if hasattr(os, "getuid") else None
    for folder in directory.glob(STAGING_PREFIX + "*"):
        try:
            if not _STAGING_NAME.fullmatch(folder.name) or folder.is_symlink() or not folder.is_dir():
                continue
            status = folder.stat()
        except OSError:
            continue
        if now - status.st_mtime < ABANDONED_AFTER_SECONDS or (owner is not None and status.st_uid != owner):
            continue
        held = claim(folder)
        if held is None:  # a living run holds it (or no lock can be had here)
            continue
        try:
            shutil.rmtree(folder, ignore_errors=True)
        finally:
            release(held)
        if not folder.exists():
            removed.append(folder)
    return removed
