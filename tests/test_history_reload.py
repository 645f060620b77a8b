"""A stored scan read back whole (``nhiscan report SCAN_ID`` in any format but the PDF alone, a
scan group's merged report) is read as it is inflated, a finding at a time, and is the same
ScanResult as its results.json parsed whole. Anything that is not exactly what this nhiscan stored
in its own schema version is read whole and validated instead."""

from __future__ import annotations

import dataclasses
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import select, update

from scanner import exact_json, results_lines
from scanner.errors import InputError
from scanner.history import stored_results
from scanner.history.store import STORED_MAGIC, HistoryStore, ResultsPacker, _unpack
from scanner.history.stored_results import streamed_result
from scanner.history.tables import scans
from scanner.model import RECORD_TYPES, RESULTS_SCHEMA_VERSION, ScanResult
from scanner.reports.json_results import pieces, render
from scanner.results_io import results_from_data
from scanner.results_lines import ModelReading
from scanner.scan import ScanOptions, run_scan
from scanner.sources import SourceSpec, collect

from .conftest import capabilities_past_the_frame_bound, make_inventory

LABEL = Path("history:test")


def packer_of(text_pieces: list[bytes]) -> ResultsPacker:
    """Results packed piece by piece as the scan command packs them while writing results.json."""
    packer = ResultsPacker()
    for piece in text_pieces:
        packer.add(piece)
    return packer


def stored(text_pieces: list[bytes]) -> bytes:
    """Results as the history stores them."""
    return packer_of(text_pieces).packed()


def stored_scan(result: ScanResult) -> bytes:
    return stored([piece.encode("utf-8") for piece in pieces(result)])


def read_whole(blob: bytes) -> ScanResult:
    text, intact = _unpack(blob)
    return results_from_data(orjson.loads(text), LABEL, written_by_nhiscan=intact)


@pytest.fixture
def aged_result(catalogs) -> ScanResult:
    """The demo estate a year on: every credential past its age limits."""
    inventory = collect(SourceSpec("demo"))
    later = inventory.collected_at.replace(year=inventory.collected_at.year + 1)
    return run_scan(inventory, catalogs, ScanOptions(as_of=later))


@pytest.mark.parametrize("name", ["demo_result", "hostile_result", "aged_result"])
def test_a_stored_scan_reads_back_as_its_results_json_parsed_whole(request, name: str) -> None:
    blob = stored_scan(request.getfixturevalue(name))
    streamed = streamed_result(blob, LABEL)
    assert streamed is not None
    assert streamed == read_whole(blob)
    assert render(streamed) == zlib.decompress(blob[len(STORED_MAGIC) + 32 :]).decode("utf-8")


def test_the_store_and_the_report_command_read_a_stored_scan_back_as_it_was_written(
    demo_result, cli, tmp_path: Path
) -> None:
    store = HistoryStore(f"sqlite:///{tmp_path / 'history.db'}")
    store.save(demo_result, packer_of([piece.encode("utf-8") for piece in pieces(demo_result)]))
    scan_id = demo_result.scan.id
    assert store.load(scan_id) == read_whole(stored_scan(demo_result))
    out = tmp_path / "again"
    db = f"sqlite:///{tmp_path / 'history.db'}"
    assert cli("report", scan_id[:8], "--db", db, "--format", "json", "-o", str(out)).exit_code == 0
    assert (out / "results.json").read_text(encoding="utf-8") == render(demo_result)


def test_findings_about_one_record_share_its_resource_and_findings_reading_alike_share_evidence(
    demo_result,
) -> None:
    streamed = streamed_result(stored_scan(demo_result), LABEL)
    assert streamed is not None
    resources: dict[str, object] = {}
    evidence: dict[tuple[tuple[str, object], ...], object] = {}
    plain = 0  # findings whose evidence holds no list or mapping
    for finding in streamed.findings:
        if finding.resource.location is None:
            assert resources.setdefault(finding.resource.uid, finding.resource) is finding.resource
        if all(type(value) in (str, int, float, bool, type(None)) for value in finding.evidence.values()):
            first = evidence.setdefault(tuple(finding.evidence.items()), finding.evidence)
            assert first is finding.evidence
            plain += 1
    assert len(evidence) < plain


def results_text(result: ScanResult) -> bytes:
    return render(result).encode("utf-8")


def test_results_whose_checksum_does_not_match_are_read_whole(demo_result) -> None:
    blob = stored_scan(demo_result)
    text = zlib.decompress(blob[len(STORED_MAGIC) + 32 :]).replace(b'"score"', b'"score" ', 1)
    tampered = blob[: len(STORED_MAGIC) + 32] + zlib.compress(text)
    assert streamed_result(tampered, LABEL) is None


def test_results_of_another_schema_version_are_read_whole_and_validated(demo_result) -> None:
    text = results_text(demo_result).replace(
        f'"schema_version": "{RESULTS_SCHEMA_VERSION}"'.encode(), b'"schema_version": "1.0"', 1
    )
    assert b'"schema_version": "1.0"' in text
    assert streamed_result(stored([text]), LABEL) is None
    with pytest.raises(ValueError, match="another schema version"):  # before any finding is read
        ModelReading().add(text)


def test_results_with_no_findings_list_written_line_by_line_are_read_whole(demo_result) -> None:
    document = orjson.loads(results_text(demo_result))
    document["findings"] = []
    compact = orjson.dumps(document)  # one line: nothing to read a finding at a time
    blob = stored([compact])
    assert streamed_result(blob, LABEL) is None
    assert read_whole(blob).findings == []


def test_a_finding_line_that_is_not_json_sends_the_results_to_be_read_whole(demo_result) -> None:
    text = results_text(demo_result)
    opening = text.index(b' "findings": [\n') + len(b' "findings": [\n')
    broken = text[:opening] + b"  {not json},\n" + text[opening:]
    assert streamed_result(stored([broken]), LABEL) is None


def test_results_inflating_past_the_limit_are_not_read_here(demo_result, monkeypatch) -> None:
    blob = stored_scan(demo_result)
    monkeypatch.setattr(stored_results, "MAX_STORED_BYTES", 10_000)
    assert streamed_result(blob, LABEL) is None


def test_results_not_stored_with_a_checksum_are_read_whole(demo_result) -> None:
    legacy = zlib.compress(results_text(demo_result))  # as scans were stored before checksums were kept
    assert streamed_result(legacy, LABEL) is None


WRONG_SHAPES = [b'  {"resource": ["not", "a", "record"]},\n', b'  {"evidence": 7},\n', b"  [1, 2],\n"]


def stored_with_a_finding_line(result: ScanResult, line: bytes) -> bytes:
    """The scan's results as the history stores them, with ``line`` first in its findings list:
    its checksum matches what it holds."""
    text = results_text(result)
    opening = text.index(b' "findings": [\n') + len(b' "findings": [\n')
    return stored([text[:opening] + line + text[opening:]])


def history_holding(result: ScanResult, tmp_path: Path, **columns: object) -> tuple[str, HistoryStore]:
    """A history with ``result`` stored, then its row's ``columns`` set as given."""
    db = f"sqlite:///{tmp_path / 'history.db'}"
    store = HistoryStore(db)
    store.save(result, render(result))
    with store.engine.begin() as connection:
        connection.execute(update(scans).where(scans.c.id == result.scan.id).values(**columns))
    return db, store


FINDINGS_OPENING = b' "findings": [\n'


def with_first_line_changed(
    result: ScanResult,
    opening: bytes,
    change: dict[str, object],
    as_written: Callable[[bytes], bytes] = lambda line: line,
) -> bytes:
    """The scan's results as the history stores them, with a copy of the first line after
    ``opening`` (a finding's or a record's) given ``change``, its text then ``as_written``, before
    it: its checksum matches what it holds."""
    text = results_text(result)
    start = text.index(opening) + len(opening)
    line = text[start : text.index(b"\n", start)]
    indent = line[: len(line) - len(line.lstrip())]
    changed = {**orjson.loads(line.strip().rstrip(b",")), **change}
    return stored([text[:start] + indent + as_written(orjson.dumps(changed)) + b",\n" + text[start:]])


def assert_refused_in_one_line(
    result: ScanResult, cli: Any, tmp_path: Path, blob: bytes, naming: str, formats: tuple[str, ...]
) -> None:
    """Stored as ``blob``, the scan is read whole, not line by line, and refused naming ``naming``;
    its report, in each of ``formats``, is one error (exit 2)."""
    assert streamed_result(blob, LABEL) is None
    db, store = history_holding(result, tmp_path, results=blob)
    with pytest.raises(InputError, match=naming):
        store.load(result.scan.id)
    for format_ in formats:
        report = cli("report", result.scan.id, "--db", db, "--format", format_, "-o", str(tmp_path / format_))
        assert report.exit_code == 2 and "Traceback" not in report.output


@pytest.mark.parametrize("line", WRONG_SHAPES)
def test_a_finding_of_the_wrong_shape_under_a_matching_checksum_is_validated_and_refused(
    demo_result, cli, tmp_path: Path, line: bytes
) -> None:
    blob = stored_with_a_finding_line(demo_result, line)
    assert streamed_result(blob, LABEL) is None
    db, store = history_holding(demo_result, tmp_path, results=blob)
    with pytest.raises(InputError, match="findings"):
        store.load(demo_result.scan.id)
    report = cli("report", demo_result.scan.id, "--db", db, "--format", "json", "-o", str(tmp_path / "out"))
    assert report.exit_code == 2 and "Traceback" not in report.output
    assert not (tmp_path / "out" / "results.json").exists()


@pytest.mark.parametrize("line", WRONG_SHAPES)
def test_a_diff_of_a_scan_stored_without_a_drift_index_validates_results_of_the_wrong_shape(
    demo_result, cli, tmp_path: Path, line: bytes
) -> None:
    """Scans stored before drift indexes were kept are diffed from their results, which are
    validated like any other results when they are not what this nhiscan wrote."""
    blob = stored_with_a_finding_line(demo_result, line)
    db, _ = history_holding(demo_result, tmp_path, results=blob, drift_index=None)
    drift = cli("diff", demo_result.scan.id, demo_result.scan.id, "--db", db)
    assert drift.exit_code == 2 and "Traceback" not in drift.output
    assert "findings" in drift.output


def test_the_inventorys_records_are_made_a_line_at_a_time_and_only_its_frame_is_parsed(demo_result) -> None:
    blob = stored_scan(demo_result)
    reading = ModelReading()
    for text in stored_results.inflated(blob[len(STORED_MAGIC) + 32 :]):
        reading.add(text)
    inventory = demo_result.inventory
    assert inventory is not None
    for section in RECORD_TYPES:
        assert len(reading.records.get(section, [])) == len(getattr(inventory, section))
    frame = orjson.loads(reading.document())["inventory"]
    assert all(frame[section] == [] for section in RECORD_TYPES if section in frame)


def test_an_inventory_record_of_the_wrong_shape_sends_the_results_to_be_read_whole(demo_result) -> None:
    text = results_text(demo_result)
    section = text.index(b'   "identities": [\n') + len(b'   "identities": [\n')
    assert streamed_result(stored([text[:section] + b'    {"uid": 5},\n' + text[section:]]), LABEL) is None


def test_a_findings_list_written_again_after_the_one_read_line_by_line_sends_the_results_to_be_read_whole(
    demo_result,
) -> None:
    """A whole parse keeps the last of two keys of one name: the findings read line by line would
    not be the document's (its checksum matches what it holds, as anyone who can write the history
    can make it)."""
    text = results_text(demo_result)
    closing = text.index(b"\n ],\n", text.index(b' "findings": [\n')) + len(b"\n ],\n")
    twice = text[:closing] + b' "findings": [],\n' + text[closing:]
    blob = stored([twice])
    assert streamed_result(blob, LABEL) is None
    assert read_whole(blob).findings == []


@pytest.mark.parametrize(("key", "value"), [(b"scan", b"[]"), (b"score", b'"high"')])
def test_a_frame_of_the_wrong_shape_under_a_matching_checksum_is_refused_in_one_line(
    demo_result, cli, tmp_path: Path, key: bytes, value: bytes
) -> None:
    """Before, the frame was made into the model unvalidated: an internal error (exit 4)."""
    text = results_text(demo_result)
    start = text.index(b' "' + key + b'": ')
    end = text.index(b"\n", start)
    blob = stored([text[:start] + b' "' + key + b'": ' + value + b"," + text[end:]])
    assert streamed_result(blob, LABEL) is None
    db, store = history_holding(demo_result, tmp_path, results=blob)
    with pytest.raises(InputError, match=key.decode()):
        store.load(demo_result.scan.id)
    report = cli("report", demo_result.scan.id, "--db", db, "--format", "json", "-o", str(tmp_path / "out"))
    assert report.exit_code == 2 and "Traceback" not in report.output


LONG = 100000000000000000001  # beyond 64 bits: orjson reads it as the float 1e+20


def test_integers_beyond_64_bits_read_back_from_the_history_exactly(catalogs, tmp_path: Path) -> None:
    """As results.json read from a file keeps them (before, the history gave 1e+20 back)."""
    inventory = make_inventory({"identities": [{"uid": "u1", "attributes": {"line": LONG, "lines": [LONG, 1]}}]})
    result = run_scan(inventory, catalogs, ScanOptions())
    blob = stored_scan(result)
    streamed = streamed_result(blob, LABEL)
    assert streamed is not None and streamed.inventory is not None
    attributes = streamed.inventory.identities[0].attributes
    assert attributes == {"line": LONG, "lines": [LONG, 1]} and type(attributes["line"]) is int
    store = HistoryStore(f"sqlite:///{tmp_path / 'history.db'}")
    store.save(result, packer_of([piece.encode("utf-8") for piece in pieces(result)]))
    document = store.load_document(result.scan.id)
    assert document["inventory"]["identities"][0]["attributes"]["line"] == LONG
    assert render(store.load(result.scan.id)) == render(result)


@pytest.mark.parametrize("at", [0, 1, 1000, 70_000, 200_000])
@pytest.mark.parametrize("number", [LONG, -LONG, 10**30])
def test_a_long_number_is_found_wherever_it_falls_in_a_text_short_or_long(at: int, number: int) -> None:
    filler = b'"ab",' * (at // 5)
    for text in (b"[" + filler + str(number).encode() + b"]", filler + str(number).encode()):
        assert exact_json.may_hold_long_number(text)
        assert exact_json.loads_exactly(b"[" + filler + str(number).encode() + b"]")[-1] == number
    hex_runs = b'{"fingerprint":"a' + b"1234567890" * 3 + b'"},' * 30_000  # a fingerprint's digits
    assert not exact_json.may_hold_long_number(hex_runs), "no number begins inside a string after a letter"


@pytest.mark.parametrize("piece", [5, 19, 20, 4096])
def test_a_long_number_is_read_exactly_however_the_stored_text_is_cut_into_pieces(catalogs, piece: int) -> None:
    inventory = make_inventory({"identities": [{"uid": "u1", "attributes": {"line": LONG}}]})
    text = results_text(run_scan(inventory, catalogs, ScanOptions()))
    reading = ModelReading()
    for start in range(0, len(text), piece):
        reading.add(text[start : start + piece])
    reading.document()
    assert reading.records["identities"][0].attributes["line"] == LONG


@pytest.mark.parametrize(("one", "other"), [(0.0, -0.0), (1, True), (1, 1.0), (0, False)])
def test_evidence_read_back_is_shared_only_between_values_json_tells_apart_from_none(
    catalogs, one: object, other: object
) -> None:
    """Python holds each pair equal; each finding reads back with its own value."""
    result = run_scan(make_inventory({"identities": [{"uid": "u1"}, {"uid": "u2"}]}), catalogs, ScanOptions())
    first = result.findings[0]
    second = next(f for f in result.findings if f.resource.uid != first.resource.uid)
    first.evidence, second.evidence = {"n": one}, {"n": other}
    blob = stored_scan(result)
    streamed = streamed_result(blob, LABEL)
    assert streamed is not None
    assert render(streamed) == zlib.decompress(blob[len(STORED_MAGIC) + 32 :]).decode("utf-8")
    read = [f.evidence["n"] for f in streamed.findings if "n" in f.evidence]
    assert [repr(value) for value in read] == [repr(one), repr(other)]


@pytest.mark.parametrize(
    ("key", "value"), [("message", 5), ("severity", None), ("frameworks", ["x"]), ("new", "yes"), ("evidence", [])]
)
def test_a_finding_line_of_the_wrong_types_under_a_matching_checksum_is_refused_in_one_line(
    demo_result, cli, tmp_path: Path, key: str, value: object
) -> None:
    """Before, such a line was made into the model as stored: "message": 5 was written into a
    results.json its own schema refuses, and "severity": null stopped the SARIF with an internal
    error (exit 4). Lines are now checked against the schema a batch at a time."""
    blob = with_first_line_changed(demo_result, FINDINGS_OPENING, {key: value})
    assert_refused_in_one_line(demo_result, cli, tmp_path, blob, r"findings\[0\]", ("json", "sarif"))


@pytest.mark.parametrize(("key", "value"), [("name", 5), ("kind", None), ("attributes", []), ("password", "x")])
def test_an_inventory_record_line_of_the_wrong_types_under_a_matching_checksum_is_refused_in_one_line(
    demo_result, cli, tmp_path: Path, key: str, value: object
) -> None:
    blob = with_first_line_changed(demo_result, b'   "identities": [\n', {key: value})
    assert_refused_in_one_line(demo_result, cli, tmp_path, blob, r"identities\[0\]", ("html",))


def test_a_stored_scan_larger_than_one_batch_is_read_line_by_line(catalogs) -> None:
    """Lines are checked a batch at a time: a scan of several batches of findings and records reads
    back as it was written, every batch made."""
    from benchmarks.synthetic import build
    from scanner.results_lines import CHECKED_AT_ONCE

    result = run_scan(build(2000, seed=11), catalogs, ScanOptions())
    assert len(result.findings) > 2 * CHECKED_AT_ONCE
    assert result.inventory is not None and len(result.inventory.credentials) > CHECKED_AT_ONCE
    read = streamed_result(stored_scan(result), LABEL)
    assert read is not None
    assert orjson.loads(render(read)) == orjson.loads(render(result))


def test_a_finding_of_a_control_the_stored_results_do_not_list_is_refused_in_one_line(
    demo_result, cli, tmp_path: Path
) -> None:
    blob = with_first_line_changed(demo_result, FINDINGS_OPENING, {"control_id": "NOPE-999"})
    assert_refused_in_one_line(demo_result, cli, tmp_path, blob, "NOPE-999", ("sarif",))


def test_stored_results_holding_a_number_no_reader_takes_are_refused_in_one_line(
    demo_result, cli, tmp_path: Path
) -> None:
    """A number of 5,000 digits, past what Python turns into an integer: before, an internal error
    (exit 4)."""
    five_thousand_digits = b'{"n":' + b"9" * 5000 + b"}"
    blob = with_first_line_changed(
        demo_result,
        FINDINGS_OPENING,
        {"evidence": {"n": 0}},
        as_written=lambda line: line.replace(b'{"n":0}', five_thousand_digits),
    )
    assert_refused_in_one_line(demo_result, cli, tmp_path, blob, "stored results nhiscan does not read", ("json",))


def test_results_summary_and_drift_index_stored_under_another_scan_s_row_are_not_taken_for_its_own(
    catalogs, cli, tmp_path: Path
) -> None:
    """A checksum does not tie stored text to its row: anyone who can write the database could copy
    one scan's results, summary or drift index into another's row. Before, the report was the
    other scan's, and a diff of the two showed no drift (hiding the new scan's new failures)."""
    older = run_scan(make_inventory({"identities": [{"uid": "a"}]}), catalogs, ScanOptions())
    newer = run_scan(collect(SourceSpec("demo")), catalogs, ScanOptions())
    db = f"sqlite:///{tmp_path / 'history.db'}"
    store = HistoryStore(db)
    store.save(older, render(older))
    store.save(newer, render(newer))
    honest = cli("diff", older.scan.id, newer.scan.id, "--db", db, "-o", str(tmp_path / "honest.json"))
    assert honest.exit_code == 0, honest.output
    with store.engine.begin() as connection:
        copied = connection.execute(select(scans).where(scans.c.id == older.scan.id)).mappings().one()
        for column in ("executive", "drift_index"):
            connection.execute(update(scans).where(scans.c.id == newer.scan.id).values({column: copied[column]}))
    assert store.load_summary(newer.scan.id) is None
    assert store.drift_side(newer.scan.id) is None
    drift = cli("diff", older.scan.id, newer.scan.id, "--db", db, "-o", str(tmp_path / "drift.json"))
    assert drift.exit_code == 0 and drift.output == honest.output  # read from the results, which are its own
    assert (tmp_path / "drift.json").read_bytes() == (tmp_path / "honest.json").read_bytes()
    with store.engine.begin() as connection:
        connection.execute(update(scans).where(scans.c.id == newer.scan.id).values(results=copied["results"]))
    with pytest.raises(InputError, match=f"another scan's \\({older.scan.id}\\)"):
        store.load(newer.scan.id)
    report = cli("report", newer.scan.id, "--db", db, "--format", "json", "-o", str(tmp_path / "out"))
    assert report.exit_code == 2 and "another scan's" in report.output
    assert cli("diff", older.scan.id, newer.scan.id, "--db", db).exit_code == 2


def test_a_stored_scan_whose_capabilities_map_is_larger_than_the_frame_may_be_is_read_line_by_line(
    demo_result, monkeypatch
) -> None:
    """The map was counted in the frame's bound: at about 370,000 identities a stored scan was read
    whole. Here the frame's bound is the rest of the frame and a little more, the map three times that."""
    large = capabilities_past_the_frame_bound(demo_result, monkeypatch)
    blob = stored_scan(large)
    streamed = streamed_result(blob, LABEL)
    assert streamed is not None and streamed == read_whole(blob) == large


def test_a_stored_scan_whose_capabilities_map_is_larger_than_a_line_may_be_is_read_line_by_line(
    demo_result, monkeypatch
) -> None:
    """Each identity's capabilities stand on a line of their own: at 100,000 identities the map on
    one line (17 MB) was past LINE_LIMIT, and the scan was read whole (30 s and 3.9 GB, not 12 s
    and 1.5 GB). Here the limit is 128 KiB, the map over three times that, and the text is
    inflated 4 KiB at a time (a line within one piece is bounded by the piece)."""
    monkeypatch.setattr(results_lines, "LINE_LIMIT", 128 * 1024)  # a framework's line is up to 90 KB
    monkeypatch.setattr(stored_results, "_INFLATED_PIECE", 4096)
    estate = {f"identity-{number}": ["admin", "secrets_read"] for number in range(12000)}
    large = dataclasses.replace(demo_result, capabilities=estate)
    assert len(orjson.dumps(estate)) > 3 * results_lines.LINE_LIMIT
    blob = stored_scan(large)
    streamed = streamed_result(blob, LABEL)
    assert streamed is not None and streamed == read_whole(blob) == large
