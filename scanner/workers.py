"""How many cores this process may use: work that needs a core of its own (the PDF's layout in
``reports.pdf_worker``, packing results.json in ``history.packing``) is done in the scan's own
process on one core, where a worker would only take turns with it."""

from __future__ import annotations

import os


def usable_cores() -> int:
    affinity = getattr(os, "sched_getaffinity", None)  # Linux: the cores this process may run on
    return len(affinity(0)) if affinity else (os.cpu_count() or 1)
