"""Pausing Python's cyclic garbage collector around work that allocates many acyclic objects."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

# A scan with this many findings, made or read back, keeps what it built (the inventory and the
# findings, which live until the reports are written) out of the cyclic collector's later passes:
# the first pass after the pause would otherwise walk every one of them (0.5 s per 25k identities),
# and each full pass after it again.
FREEZE_FROM_FINDINGS = 100_000


@dataclass(slots=True)
class Pause:
    """Set ``freeze`` inside the block to leave what exists at its end out of later collections
    (it is still freed by reference counting when no longer used)."""

    freeze: bool = False


@contextmanager
def collector_paused() -> Iterator[Pause]:
    """The cyclic collector waits while the block runs: millions of new objects that hold no cycles
    would otherwise set off collections that walk the whole heap again and again. It is enabled
    again afterwards only if it was enabled before."""
    was_enabled = gc.isenabled()
    gc.disable()
    pause = Pause()
    try:
        yield pause
    finally:
        if pause.freeze:
            gc.freeze()
        if was_enabled:
            gc.enable()
