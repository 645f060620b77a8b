"""How a stored scan is kept: compressed with the checksum of what was stored, so a scan read back
intact is not validated again (the cost that dominates reloading a large scan), while one that
was changed in the database is validated like any file."""

from __future__ import annotations

import zlib
from pathlib import Path

import pytest
from sqlalchemy import update

from scanner import results_io
from scanner.errors import NhiscanError
from scanner.history.store import STORED_MAGIC, HistoryStore, ResultsPacker
from scanner.history.tables import scans
from scanner.model import ScanResult
from scanner.reports.json_results import render


@pytest.fixture
def stored(demo_result: ScanResult, tmp_path: Path) -> tuple[HistoryStore, str]:
    store = HistoryStore(f"sqlite:///{tmp_path / 'history.db'}")
    store.save(demo_result, render(demo_result))
    return store, demo_result.scan.id


def validations(monkeypatch) -> list[str]:
    seen: list[str] = []
    original = results_io.validate

    def counting(data, schema, path, at=()):  # type: ignore[no-untyped-def]
        seen.append(schema)
        return original(data, schema, path, at=at)

    monkeypatch.setattr(results_io, "validate", counting)
    return seen


def test_an_intact_stored_scan_is_read_back_without_validating_it_again(stored, demo_result, monkeypatch) -> None:
    store, scan_id = stored
    seen = validations(monkeypatch)
    loaded = store.load(scan_id)
    assert seen == []
    assert [f.fingerprint for f in loaded.findings] == [f.fingerprint for f in demo_result.findings]
    assert loaded.score == demo_result.score


def test_a_stored_scan_changed_in_the_database_is_validated(stored, monkeypatch) -> None:
    store, scan_id = stored
    with store.engine.begin() as connection:
        blob = connection.execute(scans.select().where(scans.c.id == scan_id)).one().results
        raw = zlib.decompress(blob[len(STORED_MAGIC) + 32 :]).replace(b'"score"', b'"score" ', 1)
        tampered = blob[: len(STORED_MAGIC) + 32] + zlib.compress(raw)
        connection.execute(update(scans).where(scans.c.id == scan_id).values(results=tampered))
    seen = validations(monkeypatch)
    store.load(scan_id)
    assert seen[0] == "results", "the checksum no longer matches: validated like a file"


def test_a_stored_scan_made_invalid_is_one_error(stored) -> None:
    store, scan_id = stored
    raw = b'{"scan": {}, "findings": "not a list", "schema_version": "1.0"}'
    with store.engine.begin() as connection:
        connection.execute(update(scans).where(scans.c.id == scan_id).values(results=zlib.compress(raw)))
    with pytest.raises(NhiscanError):
        store.load(scan_id)


def test_a_piece_the_packer_cannot_pack_fails_the_store_instead_of_storing_less(demo_result: ScanResult) -> None:
    packer = ResultsPacker()
    packer.add(b'{\n "schema_version": "1.3",\n')
    packer.add("not bytes")  # type: ignore[arg-type]
    packer.add(b"}\n")
    with pytest.raises(TypeError):
        packer.packed()
