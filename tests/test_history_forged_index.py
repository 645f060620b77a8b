"""What a diff reads of a stored scan through its drift index, when the database holds text a writer
forged under checksums that match it: the findings lines a diff reads from the stored blocks are
checked as a whole read checks them, and an index whose header holds values of the wrong types is
passed over for the scan's checked results. Before, each stopped the diff with an internal error
(exit 4)."""

from __future__ import annotations

import dataclasses
import hashlib
import tracemalloc
import zlib
from pathlib import Path

import orjson
import pytest
from sqlalchemy import select, update

from scanner.history.drift_index import INDEX_MAGIC
from scanner.history.store import HistoryStore, ResultsPacker
from scanner.history.tables import scans
from scanner.model import ScanResult
from scanner.reports.executive import ExecutiveView, executive_view
from scanner.reports.json_results import pieces, render
from scanner.scan import ScanOptions, run_scan
from scanner.sources import SourceSpec, collect

from .conftest import make_inventory


def stored_pair(
    catalogs,
    tmp_path: Path,
    newer: ScanResult | None = None,
    packed: bool = True,
    executive: ExecutiveView | None = None,
) -> tuple[str, ScanResult, ScanResult]:
    """A history holding a scan of one identity, then a demo scan (``newer``, or one run here).
    ``packed``: stored as the scan command stores them, its findings in blocks that a diff reads
    through the drift index; else from the whole text, which a diff reads whole. ``executive``:
    the summary stored with each, else each one's own."""
    older = run_scan(make_inventory({"identities": [{"uid": "a"}]}), catalogs, ScanOptions())
    newer = newer or run_scan(collect(SourceSpec("demo")), catalogs, ScanOptions())
    db = f"sqlite:///{tmp_path / 'history.db'}"
    store = HistoryStore(db)
    for result in (older, newer):
        store.save(result, packed_as_written(result) if packed else render(result), executive=executive)
    return db, older, newer


def packed_as_written(result: ScanResult) -> ResultsPacker:
    packer = ResultsPacker()
    for piece in pieces(result):
        packer.add(piece.encode("utf-8"))
    return packer


@pytest.mark.parametrize("packed", [True, False], ids=["read-through-the-index", "read-whole"])
@pytest.mark.parametrize(
    ("field", "value"), [("severity", None), ("message", 5), ("control_id", "NOPE-999"), ("evidence", [])]
)
def test_a_new_failure_of_the_wrong_types_stored_under_a_matching_checksum_is_refused_in_one_line(
    catalogs, cli, tmp_path: Path, field: str, value: object, packed: bool
) -> None:
    """The lines a diff reads of the findings that changed are checked against the schema, and
    their controls against the scan's, as a whole read of the results checks them; results a
    diff reads whole are validated, whatever their checksum says."""
    newer = run_scan(collect(SourceSpec("demo")), catalogs, ScanOptions())
    summary = executive_view(newer)  # of the scan as it was: a forged finding is no summary's
    failing = next(i for i, finding in enumerate(newer.findings) if finding.status == "fail")
    newer.findings[failing] = dataclasses.replace(newer.findings[failing], **{field: value})
    db, older, newer = stored_pair(catalogs, tmp_path, newer, packed, summary)
    assert (HistoryStore(db).drift_side(newer.scan.id) is not None) is packed
    drift = cli("diff", older.scan.id, newer.scan.id, "--db", db, "-o", str(tmp_path / "diff.json"))
    assert drift.exit_code == 2, drift.output
    assert "Traceback" not in drift.output and len(drift.output.strip().splitlines()) == 1
    assert newer.scan.id in drift.output


def forged_header(index: bytes, change: dict[str, object]) -> bytes:
    """A version 3 drift index with ``change`` made to its header, its checksum made to match."""
    body = index[len(INDEX_MAGIC) + 32 :]
    length = int.from_bytes(body[:4], "big")
    header = orjson.dumps({**orjson.loads(body[4 : 4 + length]), **change})
    forged = len(header).to_bytes(4, "big") + header + body[4 + length :]
    return INDEX_MAGIC + hashlib.sha256(forged).digest() + forged


@pytest.mark.parametrize(
    "change",
    [
        {"score": "high"},
        {"scan_id": 5},
        {"sources": "demo"},
        {"sources": [5]},
        {"controls": [5]},
        {"blocks": "all"},
        {"blocks": [[0, "x"]]},
        {"blocks_end": "end"},
        {"findings": "many"},
        {"inventory": "yes"},
        {"accounts": 5},
        {"definitions": []},
    ],
)
def test_a_drift_index_whose_header_holds_values_of_the_wrong_types_is_passed_over_for_the_checked_results(
    catalogs, cli, tmp_path: Path, change: dict[str, object]
) -> None:
    db, older, newer = stored_pair(catalogs, tmp_path)
    honest = cli("diff", older.scan.id, newer.scan.id, "--db", db, "-o", str(tmp_path / "honest.json"))
    assert honest.exit_code == 0, honest.output
    store = HistoryStore(db)
    with store.engine.begin() as connection:
        index = connection.execute(select(scans.c.drift_index).where(scans.c.id == newer.scan.id)).scalar_one()
        connection.execute(
            update(scans).where(scans.c.id == newer.scan.id).values(drift_index=forged_header(index, change))
        )
    assert store.drift_side(newer.scan.id) is None
    drift = cli("diff", older.scan.id, newer.scan.id, "--db", db, "-o", str(tmp_path / "forged.json"))
    assert drift.exit_code == 0, drift.output
    forged, honest_diff = (orjson.loads((tmp_path / name).read_bytes()) for name in ("forged.json", "honest.json"))
    assert forged == honest_diff


def _stored_index(store: HistoryStore, scan_id: str) -> bytes:
    with store.engine.begin() as connection:
        return connection.execute(select(scans.c.drift_index).where(scans.c.id == scan_id)).scalar_one()


def _store_index(store: HistoryStore, scan_id: str, index: bytes) -> None:
    with store.engine.begin() as connection:
        connection.execute(update(scans).where(scans.c.id == scan_id).values(drift_index=index))


def forged_sections(index: bytes, change) -> bytes:  # type: ignore[no-untyped-def]
    """A version 3 drift index whose list of sections (name and bytes) ``change`` rewrites, its
    header and checksum made to match."""
    body = index[len(INDEX_MAGIC) + 32 :]
    length = int.from_bytes(body[:4], "big")
    header = orjson.loads(body[4 : 4 + length])
    sections, start = [], 4 + length
    for name, size in header["sections"]:
        sections.append((name, body[start : start + size]))
        start += size
    sections = change(sections)
    header["sections"] = [[name, len(data)] for name, data in sections]
    encoded = orjson.dumps(header)
    forged = len(encoded).to_bytes(4, "big") + encoded + b"".join(data for _, data in sections)
    return INDEX_MAGIC + hashlib.sha256(forged).digest() + forged


def test_a_drift_index_naming_a_section_twice_is_passed_over_for_the_checked_results(
    catalogs, cli, tmp_path: Path
) -> None:
    """Before, the second copy stood for the first: a writer could show a diff other records than
    the index's checksum was made over first."""
    db, older, newer = stored_pair(catalogs, tmp_path)
    honest = cli("diff", older.scan.id, newer.scan.id, "--db", db, "-o", str(tmp_path / "honest.json"))
    store = HistoryStore(db)
    emptied = zlib.compress(orjson.dumps([[], [], [], [], []]))
    index = _stored_index(store, newer.scan.id)
    _store_index(store, newer.scan.id, forged_sections(index, lambda sections: [*sections, ("records", emptied)]))
    assert store.drift_side(newer.scan.id) is None
    drift = cli("diff", older.scan.id, newer.scan.id, "--db", db, "-o", str(tmp_path / "forged.json"))
    assert drift.exit_code == honest.exit_code == 0, drift.output
    assert (tmp_path / "forged.json").read_bytes() == (tmp_path / "honest.json").read_bytes()


@pytest.mark.parametrize("section", ["records", "statuses"])
def test_a_section_that_inflates_past_the_limit_stops_the_diff_in_one_line(
    catalogs, cli, tmp_path: Path, monkeypatch, section: str
) -> None:
    """A zlib bomb stored under a checksum made to match: each section is inflated up to a limit
    (the statuses to one byte a finding), never whole whatever its size."""
    from scanner.history import drift_index

    db, older, newer = stored_pair(catalogs, tmp_path)
    store = HistoryStore(db)
    monkeypatch.setattr(drift_index, "MAX_STORED_BYTES", 1024 * 1024)  # a bomb of the test's size
    bomb = zlib.compress(b"\0" * (64 * 1024 * 1024))  # 64 MiB from 64 KB
    index = _stored_index(store, newer.scan.id)
    _store_index(
        store,
        newer.scan.id,
        forged_sections(index, lambda sections: [(n, bomb if n == section else data) for n, data in sections]),
    )
    tracemalloc.start()
    try:
        drift = cli("diff", older.scan.id, newer.scan.id, "--db", db)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 * 1024 * 1024, f"{peak:,} bytes held: the section was inflated whole"
    assert "Traceback" not in drift.output
    if section == "statuses":  # the index cannot serve: the checked results are read whole instead
        assert store.drift_side(newer.scan.id) is None and drift.exit_code == 0, drift.output
    else:
        assert drift.exit_code == 2 and len(drift.output.strip().splitlines()) == 1, drift.output
        assert "drift index cannot be read" in drift.output
