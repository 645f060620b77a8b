"""Shared fixtures: the bundled catalogs, the demo inventory, and a CLI runner."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from scanner.cli import main
from scanner.engine.context import EvalContext
from scanner.engine.selftest import fragment_to_data
from scanner.inventory_io import inventory_from_data
from scanner.model import Inventory
from scanner.scan import Catalogs, load_catalogs

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED = REPO_ROOT.parent / "shared"


@pytest.fixture(scope="session")
def catalogs() -> Catalogs:
    return load_catalogs()


def make_inventory(fragment: dict[str, Any]) -> Inventory:
    """An inventory from a compact fragment (see scanner.engine.selftest for the defaults)."""
    return inventory_from_data(fragment_to_data(fragment), Path("<test>"))


@pytest.fixture
def context_for(catalogs: Catalogs) -> Callable[[dict[str, Any]], EvalContext]:
    def build(fragment: dict[str, Any]) -> EvalContext:
        inventory = make_inventory(fragment)
        return EvalContext(inventory, inventory.collected_at, catalogs.capabilities)

    return build


@pytest.fixture
def cli(tmp_path: Path) -> Callable[..., Result]:
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(main, list(args), catch_exceptions=False)

    return invoke
