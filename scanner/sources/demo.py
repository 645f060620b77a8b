"""The bundled demo organisation: a fixed inventory of a realistic multi-cloud estate."""

from __future__ import annotations

from scanner.inventory_io import load_inventory
from scanner.model import Inventory
from scanner.resources import demo_inventory_file
from scanner.sources import SourceInfo, SourceSpec, register


def collect(spec: SourceSpec) -> Inventory:
    return load_inventory(demo_inventory_file())


register(
    SourceInfo(
        name="demo",
        summary="the bundled demo organisation (AWS, Azure, GCP, agents)",
        collect=collect,
        permissions=(),  # reads a file shipped with nhiscan
    )
)
