"""An inventory snapshot written earlier by ``nhiscan inventory -o FILE``."""

from __future__ import annotations

from pathlib import Path

from scanner.inventory_io import load_inventory
from scanner.model import Inventory
from scanner.sources import SourceInfo, SourceSpec, register


def collect(spec: SourceSpec) -> Inventory:
    return load_inventory(Path(spec.argument or ""))


register(
    SourceInfo(
        name="inventory",
        summary="an inventory snapshot (JSON) written by 'nhiscan inventory'",
        collect=collect,
        permissions=(),  # reads a local file
        argument="PATH",
        paths=True,
        argument_required=True,
    )
)
