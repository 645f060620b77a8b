"""The drift between two stored scans of a synthetic estate, pinned: ``nhiscan diff OLD NEW`` by
scan id, and the new and resolved failures the history counts for the second scan, stay byte for
byte what they were before the history's drift index was made compact. A change that means to
alter them updates the digest below, saying why in its commit."""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

from benchmarks.synthetic import build
from scanner.history.store import HistoryStore, ResultsPacker
from scanner.model import ScanResult
from scanner.reports.json_results import pieces
from scanner.scan import Catalogs, ScanOptions, run_scan

# sha256 of the drift JSON, then the second scan's new and resolved counts, as computed before the
# drift index was stored in binary (index version 2); changed once when a failure the second scan
# no longer judged stopped counting as resolved (agent-0's NHI-AGENT-005 is unknown there: its
# identity was removed), and the drift JSON gained no_longer_assessed and incomplete_sources, and
# when the Azure roles the catalog names came to carry what their published permissions do, and
# GCP's, and when a credential past its expiry at the time judged stopped counting as active, and
# when the drift JSON gained not_seen (empty here: both scans read every source), and the scores when
# NHI-AGENT-001 came to fail an agent whose identity can make itself an administrator, and when a tool
# the catalog does not know left NHI-AGENT-003 unknown, and when the drift JSON gained not_seen_before
# and newly_assessed (empty here: both scans read every source and ran every control), and the scores
# when NHI-CRED-012 (exposed keys) came: unknown for keys whose provider reports were not read
PINNED = "c66a2d66ae41ca5b1c1477f876af17bac3e73210658f823944336b4dd4f6067e"


def _stored_scan(store: HistoryStore, result: ScanResult, scan_id: str, finished: datetime) -> None:
    result.scan = dataclasses.replace(
        result.scan, id=scan_id, started=finished - timedelta(minutes=1), finished=finished
    )
    packer = ResultsPacker()
    for piece in pieces(result):
        packer.add(piece.encode("utf-8"))
    store.save(result, packer)


def test_the_drift_of_two_stored_synthetic_scans_is_as_before(catalogs: Catalogs, cli, tmp_path: Path) -> None:
    store = HistoryStore()
    old_inventory, new_inventory = build(1500, seed=11), build(1500, seed=11)
    new_inventory.identities = new_inventory.identities[3:]  # removed, with their reach
    old_inventory.identities = old_inventory.identities[:-2]  # added
    old = run_scan(old_inventory, catalogs, ScanOptions())
    new = run_scan(new_inventory, catalogs, ScanOptions(as_of=new_inventory.collected_at + timedelta(days=7)))
    monday = datetime(2026, 11, 2, 6, 0, tzinfo=UTC)
    _stored_scan(store, old, "00000000-0000-4000-8000-00000000000a", monday)
    _stored_scan(store, new, "00000000-0000-4000-8000-00000000000b", monday + timedelta(days=7))
    outcome = cli("diff", "00000000-0000-4000-8000-00000000000a", "00000000-0000-4000-8000-00000000000b",
                  "-o", str(tmp_path / "drift.json"))  # fmt: skip
    assert outcome.exit_code == 0
    (newest, *_) = store.listing(limit=1)
    drift = (tmp_path / "drift.json").read_bytes()
    text = drift + f"\n{newest['new_failures']} {newest['resolved_failures']}".encode()
    assert b'"added": []' not in drift and b'"removed": []' not in drift and b'"new_failures": []' not in drift
    assert hashlib.sha256(text).hexdigest() == PINNED
