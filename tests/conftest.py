"""Shared fixtures: the bundled catalogs, the demo inventory, and a CLI runner."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from scanner.cli import main
from scanner.engine.context import EvalContext
from scanner.engine.selftest import fragment_to_data
from scanner.history.store import HistoryStore
from scanner.inventory_io import inventory_from_data
from scanner.model import Inventory, ScanResult
from scanner.scan import Catalogs, ScanOptions, load_catalogs, run_scan
from scanner.sources import SourceSpec, collect

REPO_ROOT = Path(__file__).resolve().parent.parent


def _shared() -> Path:
    """The workplace's shared folder (real third-party exports, reference lists): beside the
    repository, at $NHISCAN_SHARED, or at /work/shared where a clean clone lives elsewhere."""
    candidates = [os.environ.get("NHISCAN_SHARED"), REPO_ROOT.parent / "shared", "/work/shared"]
    for candidate in candidates:
        if candidate and (Path(candidate) / "realworld").is_dir():
            return Path(candidate)
    return REPO_ROOT.parent / "shared"


SHARED = _shared()


@pytest.fixture(scope="session")
def catalogs() -> Catalogs:
    return load_catalogs()


def capabilities_past_the_frame_bound(result: ScanResult, monkeypatch: pytest.MonkeyPatch) -> ScanResult:
    """``result`` with a capabilities map of 40,000 identities, and the bound on the text around
    the lists read line by line lowered to the rest of that text and a little more: the map is
    three times the bound."""
    from scanner import results_lines
    from scanner.reports.json_results import render

    reading = results_lines.ModelReading()
    reading.add(render(dataclasses.replace(result, capabilities={})).encode())
    monkeypatch.setattr(results_lines, "FRAME_LIMIT", len(reading.document()) + 2000)
    estate = {f"identity-{number}": ["admin", "secrets_read"] for number in range(40000)}
    assert len(render(dataclasses.replace(result, capabilities=estate))) > 3 * results_lines.FRAME_LIMIT
    return dataclasses.replace(result, capabilities=estate)


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


# Names an attacker can give cloud resources; every report must show them as inert text.
SCRIPT_PAYLOAD = "<script>alert(1)</script>"
IMG_PAYLOAD = '"><img src=x onerror=alert(1)>'
BREAKOUT_PAYLOAD = "</script><script>alert(2)</script>"
RTL_PAYLOAD = "invoice\u202egnp.exe"
LONG_PAYLOAD = "L" * 10_000
HOSTILE_NAMES = [SCRIPT_PAYLOAD, IMG_PAYLOAD, BREAKOUT_PAYLOAD, RTL_PAYLOAD, LONG_PAYLOAD]


def hostile_inventory() -> Inventory:
    account = "111111111111"
    return make_inventory(
        {
            "accounts": [{"uid": account, "name": RTL_PAYLOAD}],
            "identities": [
                {
                    "uid": f"arn:aws:iam::{account}:user/u{index}",
                    "name": name,
                    "kind": "user",
                    "owner": {0: IMG_PAYLOAD, 1: LONG_PAYLOAD}.get(index),
                    "created": "-400d",
                    "last_used": "-200d",
                    "tags": {"team": SCRIPT_PAYLOAD},
                }
                for index, name in enumerate(HOSTILE_NAMES)
            ],
            "credentials": [
                {"uid": f"key-{index}", "identity_uid": f"arn:aws:iam::{account}:user/u{index}", "created": "-500d"}
                for index in range(len(HOSTILE_NAMES))
            ],
            "agents": [
                {
                    "uid": "agent-1",
                    "name": BREAKOUT_PAYLOAD,
                    "owner": "<b>owner</b>",
                    "platform": IMG_PAYLOAD,
                    "runs_as": f"arn:aws:iam::{account}:user/u0",
                }
            ],
            "grants": [
                {"identity_uid": "agent-1", "kind": "tool", "name": SCRIPT_PAYLOAD},
                {"identity_uid": f"arn:aws:iam::{account}:user/u0", "name": "admin", "actions": ["*"]},
            ],
            "log_sources": [{"uid": "trail", "name": RTL_PAYLOAD, "enabled": False}],
            "sources": [{"name": "aws", "account": account, "status": "partial"}],
        }
    )


@pytest.fixture
def hostile_result(catalogs: Catalogs) -> ScanResult:
    return run_scan(hostile_inventory(), catalogs, ScanOptions())


@pytest.fixture(scope="session")
def demo_result(catalogs: Catalogs) -> ScanResult:
    waivers = REPO_ROOT / "docs" / "examples" / "waivers.yaml"
    return run_scan(collect(SourceSpec("demo")), catalogs, ScanOptions(waivers=waivers))


@pytest.fixture(autouse=True)
def _history_in_a_temporary_database(tmp_path: Path, monkeypatch) -> None:
    """Scans store their history; in tests, never in the user's home."""
    monkeypatch.setenv("NHISCAN_DB", f"sqlite:///{tmp_path / 'history.db'}")


@pytest.fixture
def fake_azure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A local Graph and ARM over HTTPS serving the seeded tenant (tests/azure_estate.py)."""
    from .azure_estate import seed
    from .azure_fake import FakeAzure

    fake = FakeAzure(tmp_path)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(fake.cert))
    seed(fake.state)
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def postgres() -> Iterator[str]:
    """A throwaway PostgreSQL server for one test module (see tests/postgres.py)."""
    from .postgres import postgres_server

    with postgres_server() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty history database: a SQLite file, then the module's PostgreSQL server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'history.db'}"
        return
    url = request.getfixturevalue("postgres")
    with HistoryStore(url).engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE IF EXISTS scans, group_points, alembic_version")
    yield url
