"""results.json and inventory.json of a synthetic estate, pinned byte for byte: the files written
for a fixed estate, scan id and times stay exactly what they were before their writing was made
faster. The estate holds what the writer treats specially: times in zones other than UTC (written
in UTC with a Z), microseconds, dateutil's tzutc (what boto3 returns), non-ASCII and control
characters, sets, and integers beyond 64 bits (written by the slow, exact encoder). The pieces
results.json is written in are pinned too: the history packs each piece as a block it can inflate
on its own. A change that means to alter these files updates the digests below, saying why in its
commit (and bumps the schema version if the format changes)."""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from dateutil.tz import tzutc

from benchmarks.synthetic import build
from scanner.fsutil import write_atomic_pieces
from scanner.inventory_io import save_inventory
from scanner.model import Inventory, ScanResult, TrendPoint, Waiver
from scanner.reports import json_results
from scanner.scan import Catalogs, ScanOptions, run_scan

# sha256 of the files as written before results.json and inventory.json were written faster; the
# results digests changed since at schema 1.4 ("1.4" and waivers.unknown_only) and when the gate
# came to record allow_partial, and when the Azure roles the catalog names came to carry what their
# published permissions do, and GCP's, and when each identity's capabilities came to stand on a
# line of their own (the map on one line grew past the line limit of the readers at 100,000
# identities), and when an expired credential stopped counting as active, and at schema 1.6 ("1.6"
# and scan.disabled_controls), and when NHI-LOG-006 and -009 came to read every audit config's
# exemptions (their definition digests), and NHI-LOG-005's and -007's messages, and at schema 1.7
# ("1.7" and a trend point's incomplete_sources), and NHI-PRIV-013's title and rationale naming Owner
# and Editor, and NHI-LOG-001's asking for management events (title, message, definition digest),
# and NHI-SECRET-002's reading the rotation schedule (its definition digest), and NHI-LOG-003, -009
# and -010 reading each agent's region (definition digests, evidence), and NHI-LOG-001's mapping to
# CIS AWS 4.1 made partial, and NHI-AGENT-001 failing agents that can make themselves administrators
# (one agent more), and the iam_escalation tag in capability lists, and NHI-PRIV-009's listing
# non-production (its definition digest), and NHI-LOG-006's asking for ADMIN_READ (token minting:
# title, message, remediation, definition digest), and NHI-CRED-003's reading the use's age
# (definition digest, days_since_used in evidence), and NHI-CRED-012 (exposed keys), otherwise the
# same bytes
PINNED_RESULTS = "d344af2d965f4722bfba79f0030c624989add32f8a205e40ca05dbe0833a4e6c"
PINNED_INVENTORY = "89077f24cc0d5c78dfecdd1099fed471eaa23425ef879985f3acafba5fd83ca4"
PINNED_PIECES = "9fb43694ae73b0b8396818a006805d270be09d2b4d08ed95ceb6b8da49ee076f"

INDIA = timezone(timedelta(hours=5, minutes=30))
PACIFIC = timezone(timedelta(hours=-8))
HOSTILE_TEXT = 'Ünïcødé 🔑 "quoted" \\ back\x00slash\x1f\x7f \u2028line\u2029 </script>'


def _estate() -> Inventory:
    inventory = build(1500, seed=11)
    identities, credentials, agents = inventory.identities, inventory.credentials, inventory.agents
    identities[0].created = datetime(2025, 3, 4, 23, 59, 1, 123456, tzinfo=INDIA)
    identities[0].last_used = datetime(2026, 10, 31, 20, 0, tzinfo=PACIFIC)
    identities[1].created = datetime(2024, 1, 2, 3, 4, 5, 600, tzinfo=tzutc())
    identities[1].last_used = datetime(2026, 7, 1, 12, 0, 0, 1, tzinfo=ZoneInfo("Europe/London"))
    identities[2].created = datetime(2026, 1, 15, 12, 0, tzinfo=ZoneInfo("UTC"))
    identities[2].last_used = datetime(2026, 1, 15, 12, 0, tzinfo=timezone(timedelta(0)))
    identities[3].name = HOSTILE_TEXT
    identities[3].attributes = {
        "note": HOSTILE_TEXT,
        "seen": datetime(2026, 2, 3, 4, 5, 6, 7, tzinfo=INDIA),
        "seen_utc": datetime(2026, 2, 3, 4, 5, 6, tzinfo=UTC),
        "regions": {"eu-west-1", "ap-south-1"},
        "ratio": 1e16,
        "small": 0.1,
    }
    identities[4].attributes = {"serial": 2**70, "negative": -(2**64), "when": datetime(2026, 5, 5, tzinfo=PACIFIC)}
    credentials[0].created = datetime(2020, 2, 29, 0, 0, 0, 999999, tzinfo=INDIA)
    credentials[0].expires = datetime(2027, 1, 1, tzinfo=tzutc())
    credentials[1].last_used = datetime(2026, 10, 30, 1, 2, 3, tzinfo=ZoneInfo("America/New_York"))
    credentials[2].attributes = {"thumbprint": 2**80, "label": HOSTILE_TEXT}
    agents[0].created = datetime(2026, 6, 1, 9, 30, tzinfo=INDIA)
    agents[0].attributes = {"prompt": HOSTILE_TEXT, "version": 12345678901234567890123}
    return inventory


@pytest.fixture(scope="module")
def result(catalogs: Catalogs) -> ScanResult:
    scanned = run_scan(_estate(), catalogs, ScanOptions())
    scanned.scan.id = "00000000-0000-4000-8000-000000000021"
    scanned.scan.started = datetime(2026, 11, 1, 0, 0, 1, 250000, tzinfo=UTC)
    scanned.scan.finished = datetime(2026, 11, 1, 5, 30, 2, tzinfo=INDIA)
    scanned.scan.timings = {"collect": 1.5, "evaluate": 2.25, "write": 0.125}
    scanned.tool = {"name": "nhiscan", "version": "pinned"}
    scanned.trend = [
        TrendPoint("earlier", datetime(2026, 10, 25, 1, 0, tzinfo=PACIFIC), 71.5, 3, {"high": 3}, {"owasp": 70.0}),
    ]
    findings = scanned.findings
    waiver = Waiver("NHI-001", "aws-*", HOSTILE_TEXT, "accepted", "2027-01-01", "2026-01-01", "T-1", None)
    findings[0] = dataclasses.replace(findings[0], waiver=waiver)
    findings[1] = dataclasses.replace(findings[1], new=True)
    findings[2] = dataclasses.replace(findings[2], waiver=waiver, new=False)
    findings[3] = dataclasses.replace(findings[3], message=HOSTILE_TEXT, evidence={"big": 2**65, "text": HOSTILE_TEXT})
    findings[4] = dataclasses.replace(findings[4], evidence={"at": datetime(2026, 1, 1, tzinfo=INDIA)})
    return scanned


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_results_json_is_written_as_before(result: ScanResult, tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    write_atomic_pieces(path, json_results.pieces(result))
    assert _sha256(path) == PINNED_RESULTS


def test_results_json_is_written_in_the_same_pieces(result: ScanResult) -> None:
    pieces = [piece.encode("utf-8") if isinstance(piece, str) else piece for piece in json_results.pieces(result)]
    lengths = ",".join(str(len(piece)) for piece in pieces)
    assert hashlib.sha256(lengths.encode()).hexdigest() == PINNED_PIECES


def test_inventory_json_is_written_as_before(result: ScanResult, tmp_path: Path) -> None:
    path = tmp_path / "inventory.json"
    save_inventory(_estate(), path)
    assert _sha256(path) == PINNED_INVENTORY
