"""Staging folders that a killed scan left behind, found and removed by the next one.

A scan writes its outputs in a staging folder inside the output folder and removes it whatever
happens, unless it is killed outright (SIGKILL, the kernel's out-of-memory killer): then the folder
stays, holding up to the whole size of a scan's outputs (about 800 MB at 100,000 identities), and a
scheduled scan killed night after night would fill the disk. Each run holds an advisory lock on
its staging folder for as long as it lives; the system lets go of it when the process ends, however
it ends. A staging folder that nobody holds and that has not changed for a minute is abandoned.
Where locks are not to be had (no ``fcntl``, a file system that refuses them), nothing is removed.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

try:
    import fcntl
except ImportError:  # not a POSIX system: no locks, so no folder is ever taken for abandoned
    fcntl = None  # type: ignore[assignment]

STAGING_PREFIX = ".nhiscan-staging-"
# a run locks its folder just after making it; one this young may not be locked yet
ABANDONED_AFTER_SECONDS = 60


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


def remove_abandoned(directory: Path) -> list[Path]:
    """Remove the staging folders in ``directory`` that no living run holds and that have not
    changed for ABANDONED_AFTER_SECONDS; the folders removed."""
    removed = []
    now = time.time()
    for folder in directory.glob(STAGING_PREFIX + "*"):
        try:
            if folder.is_symlink() or not folder.is_dir():
                continue
            if now - folder.stat().st_mtime < ABANDONED_AFTER_SECONDS:
                continue
        except OSError:
            continue
        held = claim(folder)
        if held is None:  # a living run holds it (or no lock can be had here)
            continue
        try:
            shutil.rmtree(folder, ignore_errors=True)
        finally:
            release(held)
        removed.append(folder)
    return removed
