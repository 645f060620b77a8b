"""What a command loads before it does its work: listing the history, or asking for help, never
starts the cloud SDKs, the sources or the report renderers (they cost most of a second), while
``scan --help`` still lists every source and format."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from scanner.history.store import HistoryStore
from scanner.reports import reporters
from scanner.sources import registered

from .conftest import REPO_ROOT

# Packages and modules only collecting, evaluating, writing reports or checking input needs.
HEAVY = (
    "boto3",
    "botocore",
    "google",
    "azure",
    "msgraph",
    "weasyprint",
    "jinja2",
    "pygal",
    "alembic",
    "jsonschema",
    "jsonschema_rs",
    "scanner.sources",
    "scanner.scan",
    "scanner.engine",
    "scanner.reports.html_report",
    "scanner.reports.pdf_report",
)


def _loaded_after(*args: str) -> tuple[int, list[str]]:
    """Run ``nhiscan ARGS`` in a fresh interpreter: its exit code and the heavy modules it loaded."""
    program = f"""
import json, sys
from scanner.cli import main
try:
    main({list(args)!r})
except SystemExit as exit:
    code = exit.code
heavy = {HEAVY!r}
print(json.dumps([code, sorted(m for m in sys.modules if any(m == h or m.startswith(h + ".") for h in heavy))]))
"""
    done = subprocess.run(
        [sys.executable, "-c", program], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, check=True
    )
    code, loaded = json.loads(done.stdout.strip().splitlines()[-1])
    return code, loaded


@pytest.mark.parametrize("output_format", ["table", "json", "csv"])
def test_listing_the_history_loads_no_source_sdk_or_renderer(output_format: str, tmp_path: Path) -> None:
    HistoryStore(str(tmp_path / "history.db"))  # an existing history: its schema is current, alembic stays unloaded
    code, loaded = _loaded_after("history", "--db", str(tmp_path / "history.db"), "--format", output_format)
    assert code == 0
    assert loaded == []


@pytest.mark.parametrize("args", [("--help",), ("history", "--help"), ("diff", "--help"), ("report", "--help")])
def test_help_loads_no_source_sdk_or_renderer(args: tuple[str, ...]) -> None:
    assert _loaded_after(*args) == (0, [])


def test_a_history_fault_still_exits_2(tmp_path: Path) -> None:
    (tmp_path / "history.db").write_bytes(b"this is not SQLite" * 100)
    code, _ = _loaded_after("history", "--db", str(tmp_path / "history.db"))
    assert code == 2


@pytest.mark.parametrize("command", ["scan", "inventory"])
def test_scan_and_inventory_help_list_every_source(command: str) -> None:
    shown = subprocess.run(
        [sys.executable, "-m", "scanner.cli", command, "--help"], cwd=REPO_ROOT, capture_output=True, text=True
    ).stdout
    sources = shown.split("Sources:", 1)[1]
    for name, info in registered().items():
        spec = f"{name}:{info.argument}" if info.argument else name
        assert f"  {spec} " in sources and info.summary in sources
    listed_formats = f"Formats (--format): {', '.join(sorted(reporters()))}."
    assert (listed_formats in " ".join(shown.split())) == (command == "scan")
