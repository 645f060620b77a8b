"""results.json holds the inventory's records again, one level deeper than inventory.json: a scan
writes each record's line once and writes the same bytes again, re-indented, into results.json.
Both files stay exactly what each writer writes on its own, including records that need the slow,
exact encoder, and what is kept is freed once written again or when the scan's writing ends."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from scanner import serialize
from scanner.cli import _write_outputs
from scanner.inventory_io import save_inventory, shared_record_lists
from scanner.reports import json_results
from scanner.scan import Catalogs, ScanOptions, run_scan
from scanner.serialize import document_pieces, dumps_document, lines_shared
from tests.test_written_json_pinned import _estate


@pytest.fixture()
def few_lines_per_piece(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(serialize, "_LINES_PER_PIECE", 7)  # many pieces, each re-indented


def test_a_scan_writes_both_files_as_each_is_written_alone(
    catalogs: Catalogs, tmp_path: Path, few_lines_per_piece: None
) -> None:
    inventory = _estate()  # times in other zones, non-ASCII text and integers beyond 64 bits
    result = run_scan(inventory, catalogs, ScanOptions())
    result.scan.timings = {"collect": 1.0, "evaluate": 2.0}
    encoded: list[object] = []
    item_lines = serialize._item_lines

    def encoding(items: Any, *args: Any) -> bytes:
        encoded.extend(items)
        return item_lines(items, *args)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(serialize, "_item_lines", encoding)
        _write_outputs(result, ["json"], tmp_path / "scan", "a4", inventory)
    assert sum(item is inventory.identities[4] for item in encoded) == 1  # encoded once, written twice
    save_inventory(inventory, tmp_path / "alone.json")
    assert (tmp_path / "scan" / "inventory.json").read_bytes() == (tmp_path / "alone.json").read_bytes()
    written = (tmp_path / "scan" / "results.json").read_text(encoding="utf-8")
    assert written == json_results.render(result)  # the write timing it recorded is in both
    assert json.loads(written)["inventory"]["identities"][4]["attributes"]["serial"] == 2**70
    assert serialize._sharing is None


def test_only_the_lists_both_files_write_are_kept(catalogs: Catalogs) -> None:
    inventory = _estate()
    result = run_scan(inventory, catalogs, ScanOptions())
    assert result.inventory is not None
    shared = shared_record_lists(inventory, result.inventory)
    assert inventory.identities in shared and inventory.credentials in shared
    assert not any(records is inventory.grants or records is result.inventory.grants for records in shared)


def test_a_list_changed_after_it_was_written_is_encoded_again(tmp_path: Path, few_lines_per_piece: None) -> None:
    records = [{"n": n, "at": datetime(2026, 1, 1, n, tzinfo=UTC)} for n in range(20)]
    with lines_shared([records], tmp_path):
        "".join(document_pieces({"records": records}))
        records.append({"n": 20, "text": "line\nbreak"})
        shared = dumps_document({"inventory": {"records": records}}, expand=("inventory",))
    assert shared == dumps_document({"inventory": {"records": records}}, expand=("inventory",))
    assert json.loads(shared)["inventory"]["records"][-1] == {"n": 20, "text": "line\nbreak"}


def test_a_list_written_only_in_part_is_not_kept(tmp_path: Path, few_lines_per_piece: None) -> None:
    records = [{"n": n} for n in range(20)]
    expected = dumps_document({"records": records})
    with lines_shared([records], tmp_path):
        unfinished = document_pieces({"records": records})
        next(unfinished), next(unfinished), next(unfinished)  # "{", the key, a first piece
        unfinished.close()  # as when writing the file fails
        assert serialize._sharing is not None and serialize._sharing.kept == {}
        assert dumps_document({"records": records}) == expected


def test_kept_lines_are_written_once_and_leave_nothing_behind(tmp_path: Path, few_lines_per_piece: None) -> None:
    records = [{"n": n, "name": "Ünïcødé \u2028 \\n"} for n in range(20)]
    expected = dumps_document({"records": records}), dumps_document({"inv": {"records": records}}, expand=("inv",))
    with lines_shared([records], tmp_path):
        first = "".join(document_pieces({"records": records}))
        assert serialize._sharing is not None and id(records) in serialize._sharing.kept
        again = dumps_document({"inv": {"records": records}}, expand=("inv",))
        assert serialize._sharing.kept == {}
        assert list(tmp_path.iterdir()) == []  # the lines are kept in an unnamed file
    assert (first, again) == expected
    assert serialize._sharing is None


def test_records_written_as_dicts_of_their_fields_are_what_the_encoder_writes_for_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    inventory = _estate()
    mixed = [inventory.identities[0], inventory.credentials[0], inventory.identities[4]]  # one with a 2**70
    document = {name: getattr(inventory, name) for name in ("identities", "credentials", "grants", "agents")}
    document["mixed"] = mixed
    as_dicts = dumps_document(document)
    monkeypatch.setattr(serialize, "_records_as_dicts", lambda items: None)
    assert as_dicts == dumps_document(document)
