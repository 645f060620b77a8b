"""What a stored scan keeps beside its results so that reports and diffs need not read them whole:
the executive report's summary (``report SCAN_ID --format pdf``) and the drift index (``diff OLD
NEW``). Each must give exactly what the whole results give, read only what it needs, and fall
back to the whole results for scans stored without it."""

from __future__ import annotations

import hashlib
import zlib
from datetime import timedelta
from pathlib import Path

import orjson
import pytest
from sqlalchemy import select, update

from scanner import serialize
from scanner.diff import diff_sides, drift_document, records_and_names, side_of
from scanner.errors import NhiscanError
from scanner.history import drift_index
from scanner.history.store import STORED_MAGIC, STORED_PARTS, HistoryStore, ResultsPacker, _pack
from scanner.history.tables import scans
from scanner.model import ScanResult
from scanner.reports import ReportSettings
from scanner.reports.json_results import pieces, render
from scanner.reports.pdf_report import executive_html
from scanner.scan import ScanOptions, run_scan
from scanner.sources import SourceSpec, collect

from .conftest import REPO_ROOT


def packed(result: ScanResult) -> ResultsPacker:
    """results.json packed as the scan command packs it while writing the file."""
    packer = ResultsPacker()
    for piece in pieces(result):
        packer.add(piece.encode("utf-8"))
    return packer


@pytest.fixture
def store(tmp_path: Path) -> HistoryStore:
    return HistoryStore(f"sqlite:///{tmp_path / 'history.db'}")


@pytest.fixture
def old_and_new(catalogs) -> tuple[ScanResult, ScanResult]:
    """Two scans of the demo estate that differ in every way a diff reports: an identity only in
    each, failures that come with age, failures resolved, failures waived since."""
    old_inventory, new_inventory = collect(SourceSpec("demo")), collect(SourceSpec("demo"))
    old_inventory.identities = old_inventory.identities[1:]
    new_inventory.identities = new_inventory.identities[:1] + new_inventory.identities[2:]
    old = run_scan(old_inventory, catalogs, ScanOptions())
    waivers = REPO_ROOT / "docs" / "examples" / "waivers.yaml"
    later = new_inventory.collected_at + timedelta(days=45)  # before the waivers expire
    new = run_scan(new_inventory, catalogs, ScanOptions(waivers=waivers, as_of=later))
    return old, new


def test_the_pdf_of_a_stored_scan_is_laid_out_from_its_summary_exactly_as_from_its_results(
    store: HistoryStore, demo_result: ScanResult
) -> None:
    store.save(demo_result, packed(demo_result))
    summary = store.load_summary(demo_result.scan.id[:8])
    assert summary is not None
    header, executive = summary
    assert header.findings == [] and header.inventory is None, "the findings are not read"
    for paper in ("a4", "letter"):
        whole = executive_html(demo_result, ReportSettings(paper=paper))
        assert executive_html(header, ReportSettings(paper=paper, executive=executive)) == whole


def test_report_pdf_of_a_stored_scan_does_not_read_its_results(cli, demo_result, tmp_path, monkeypatch) -> None:
    store = HistoryStore()
    store.save(demo_result, packed(demo_result))

    def refuse(*_: object) -> None:
        raise AssertionError("the whole results were read")

    monkeypatch.setattr(HistoryStore, "load_document", refuse)
    outcome = cli("report", demo_result.scan.id, "--format", "pdf", "-o", str(tmp_path / "r"), "-q")
    assert outcome.exit_code == 0 and (tmp_path / "r" / "report.pdf").read_bytes().startswith(b"%PDF")


@pytest.mark.parametrize("findings_per_block", [7, 2000])
def test_a_diff_of_stored_scans_from_their_indexes_is_the_diff_of_their_results(
    store: HistoryStore, old_and_new, monkeypatch, findings_per_block: int
) -> None:
    monkeypatch.setattr(serialize, "_LINES_PER_PIECE", findings_per_block)
    old, new = old_and_new
    for result in (old, new):
        store.save(result, packed(result))
    inflated: list[int] = []
    original = drift_index.StoredFindings._lines
    monkeypatch.setattr(
        drift_index.StoredFindings, "_lines", lambda self, block: inflated.append(block) or original(self, block)
    )
    old_side, new_side = store.drift_side(old.scan.id), store.drift_side(new.scan.id)
    assert old_side is not None and new_side is not None
    drift = diff_sides(old_side, new_side)
    expected = diff_sides(side_of(old), side_of(new))
    assert drift_document(drift) == drift_document(expected)
    assert drift.added and drift.removed and drift.new_failures and drift.resolved_failures and drift.newly_waived
    if findings_per_block == 7:
        blocks = -(-len(old.findings) // 7) + -(-len(new.findings) // 7)
        assert len(set(inflated)) < blocks, "only the blocks holding changed findings are read"
        assert len(inflated) == len(set(inflated)), "each of them once"


def test_the_diff_command_gives_the_same_drift_from_stored_ids_as_from_files(cli, old_and_new, tmp_path) -> None:
    store = HistoryStore()
    files = []
    for result in old_and_new:
        store.save(result, packed(result))
        files.append(tmp_path / f"{result.scan.id}.json")
        files[-1].write_text(render(result))
    by_id = cli("diff", *(r.scan.id for r in old_and_new), "-o", str(tmp_path / "by-id.json"))
    by_file = cli("diff", *map(str, files), "-o", str(tmp_path / "by-file.json"))
    assert by_id.exit_code == by_file.exit_code == 0
    assert (tmp_path / "by-id.json").read_text() == (tmp_path / "by-file.json").read_text()


def test_scans_stored_without_summary_or_index_are_read_whole(cli, old_and_new, tmp_path) -> None:
    store = HistoryStore()
    for result in old_and_new:
        store.save(result, render(result))  # packed whole: no findings blocks
    old, new = old_and_new
    assert store.drift_side(old.scan.id) is None
    with store.engine.begin() as connection:  # as a scan stored before migration 0003
        connection.execute(update(scans).values(executive=None, drift_index=None))
    assert store.load_summary(old.scan.id) is None and store.drift_side(new.scan.id) is None
    assert cli("report", old.scan.id, "--format", "pdf", "-o", str(tmp_path / "r"), "-q").exit_code == 0
    drift = cli("diff", old.scan.id, new.scan.id, "-o", str(tmp_path / "d.json"))
    expected = serialize.dumps_document(drift_document(diff_sides(side_of(old), side_of(new))))
    assert drift.exit_code == 0 and (tmp_path / "d.json").read_text() == expected


def test_a_stored_block_of_findings_changed_in_the_database_is_one_error(
    store: HistoryStore, demo_result: ScanResult, monkeypatch
) -> None:
    monkeypatch.setattr(serialize, "_LINES_PER_PIECE", 7)
    packer = packed(demo_result)
    store.save(demo_result, packer)
    with store.engine.begin() as connection:
        blob = connection.execute(scans.select().where(scans.c.id == demo_result.scan.id)).one().results
        start, end = (len(STORED_MAGIC) + 32 + offset for offset, _ in packer.findings_blocks[:2])
        block = zlib.decompressobj(-zlib.MAX_WBITS).decompress(blob[start:end])
        fingerprint = block.split(b'"fingerprint":"')[1][:32]
        compressor = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
        changed = compressor.compress(block.replace(fingerprint, b"0" * 32)) + compressor.flush(zlib.Z_FULL_FLUSH)
        tampered = blob[:start] + changed + blob[end:]
        connection.execute(update(scans).where(scans.c.id == demo_result.scan.id).values(results=tampered))
    side = store.drift_side(demo_result.scan.id)
    assert side is not None
    with pytest.raises(NhiscanError, match="does not match the scan's drift index"):
        side.findings([demo_result.findings[0].fingerprint])


def test_packing_in_blocks_keeps_the_stored_results_one_zlib_stream(demo_result: ScanResult, monkeypatch) -> None:
    monkeypatch.setattr(serialize, "_LINES_PER_PIECE", 7)
    packer = packed(demo_result)
    stored = packer.packed()
    assert zlib.decompress(stored[len(STORED_MAGIC) + 32 :]).decode("utf-8") == render(demo_result)
    assert sum(count for _, count in packer.findings_blocks) == len(demo_result.findings)


def test_a_summary_stored_in_another_layout_is_not_used(store: HistoryStore, demo_result: ScanResult) -> None:
    store.save(demo_result, packed(demo_result))
    with store.engine.begin() as connection:
        other = _pack(orjson.dumps({"version": 0, "result": {}, "view": {}}))
        connection.execute(update(scans).values(executive=other))
    assert store.load_summary(demo_result.scan.id) is None


def test_parts_that_match_their_checksum_but_not_their_layout_are_passed_over(
    cli, store: HistoryStore, old_and_new, tmp_path
) -> None:
    old, new = old_and_new
    for result in old_and_new:
        store.save(result, packed(result))
    with store.engine.begin() as connection:
        forged_summary = _pack(orjson.dumps({"version": 1, "result": {"scan": 5}, "view": {}}))
        forged_index = _pack(orjson.dumps({"version": 2, "blocks": [], "fingerprints": 7}))
        connection.execute(update(scans).values(executive=forged_summary, drift_index=forged_index))
    assert store.load_summary(old.scan.id) is None and store.drift_side(old.scan.id) is None
    index = {"version": 2, "scan_id": "x", "score": 1.0, "blocks": [], "blocks_end": 0, "fingerprints": "",
             "statuses": "", "names": [[], [], []], "capabilities": {}}  # fmt: skip
    for odd in ({"records": [["uid"], ["identity"]]}, {"records": None, "capabilities": ["not", "a", "map"]}):
        with store.engine.begin() as connection:
            connection.execute(update(scans).values(drift_index=_pack(orjson.dumps({**index, **odd}))))
        assert store.drift_side(old.scan.id) is None, odd
    assert cli("report", old.scan.id, "--format", "pdf", "-o", str(tmp_path / "r"), "-q").exit_code == 0
    drift = cli("diff", old.scan.id, new.scan.id, "-o", str(tmp_path / "d.json"))
    expected = serialize.dumps_document(drift_document(diff_sides(side_of(old), side_of(new))))
    assert drift.exit_code == 0 and (tmp_path / "d.json").read_text() == expected, "read whole instead"


def _with_value_at(document: dict, path: tuple, value: object) -> dict:
    forged = orjson.loads(orjson.dumps(document))
    place = forged
    for step in path[:-1]:
        place = place[step]
    place[path[-1]] = value
    return forged


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("view", "headline"), 5),
        (("view", "headline", "failing"), {"critical": "many"}),
        (("view", "risks", 0, "failing"), "x"),
        (("view", "risks", 0, "control", "counts"), [1, 2]),
        (("view", "agents", 0, "agent", "uid"), 5),
        (("view", "agents", 0, "runtime"), {"uid": "x"}),
        (("view", "scope", 0), ["AWS", "two", []]),
        (("view", "gaps"), [{"area": 1}]),
        (("result", "scan", "finished"), "yesterday"),
        (("result", "controls"), "none"),
        (("result", "gate", "passed"), "yes"),
    ],
)
def test_a_summary_that_matches_its_checksum_but_holds_what_nhiscan_never_writes_is_passed_over(
    cli, store: HistoryStore, demo_result: ScanResult, tmp_path: Path, path: tuple, value: object
) -> None:
    """A checksum says the text is what was stored, not that nhiscan stored it: a row written by
    hand with a matching checksum is read whole instead (it ended the PDF with exit 4, a bug's)."""
    store.save(demo_result, packed(demo_result))
    with store.engine.connect() as connection:
        stored = connection.execute(select(scans.c.executive)).scalar_one()
    document = orjson.loads(zlib.decompress(stored[len(STORED_MAGIC) + 32 :]))
    assert document["view"]["risks"] and document["view"]["agents"][0]["runtime"], "the demo has both to forge"
    with store.engine.begin() as connection:
        connection.execute(update(scans).values(executive=_pack(orjson.dumps(_with_value_at(document, path, value)))))
    assert store.load_summary(demo_result.scan.id) is None
    done = cli("report", demo_result.scan.id, "--format", "pdf", "-o", str(tmp_path / "r"), "-q")
    assert done.exit_code == 0, done.output
    assert (tmp_path / "r" / "report.pdf").read_bytes().startswith(b"%PDF")


def test_listings_and_trends_never_read_a_scans_stored_parts(store: HistoryStore, demo_result, monkeypatch) -> None:
    store.save(demo_result, packed(demo_result))
    (row,) = store.listing()
    assert not set(row) & set(STORED_PARTS)
    assert {c.name for c in scans.c} - set(row) == set(STORED_PARTS), "the listing has every other column"


def _version_2_index(result: ScanResult, packer: ResultsPacker) -> bytes:
    """The drift index as nhiscan stored it before version 3: one JSON document, packed."""
    records, names = records_and_names(result.inventory)
    columns = ("uid", "type", "kind", "name", "provider")
    return _pack(
        orjson.dumps(
            {
                "version": 2,
                "scan_id": result.scan.id,
                "score": result.score,
                "blocks": packer.findings_blocks,
                "blocks_end": packer.findings_end,
                "records": None if records is None else [[getattr(r, c) for r in records.values()] for c in columns],
                "names": [list(names), *map(list, zip(*names.values(), strict=True))],
                "capabilities": result.capabilities,
                "fingerprints": "\n".join(f.fingerprint for f in result.findings),
                "statuses": "".join({"fail": "f", "waived": "w"}.get(f.status, "o") for f in result.findings),
            }
        )
    )


def _failing(result: ScanResult) -> set[str]:
    return {f.fingerprint for f in result.findings if f.status == "fail"}


def test_scans_stored_with_a_version_2_index_diff_and_count_as_before(cli, old_and_new, tmp_path) -> None:
    store = HistoryStore()
    for result in old_and_new:
        packer = packed(result)
        store.save(result, packer)
        with store.engine.begin() as connection:  # as nhiscan stored it before index version 3
            connection.execute(
                update(scans)
                .where(scans.c.id == result.scan.id)
                .values(
                    drift_index=_version_2_index(result, packer),
                    failing_fingerprints=_pack("\n".join(sorted(_failing(result)))),
                )
            )
    old, new = old_and_new
    side = store.drift_side(old.scan.id)
    assert side is not None and not hasattr(side.records, "stored"), "read from the version 2 index"
    drift = cli("diff", old.scan.id, new.scan.id, "-o", str(tmp_path / "d.json"))
    expected = serialize.dumps_document(drift_document(diff_sides(side_of(old), side_of(new))))
    assert drift.exit_code == 0 and (tmp_path / "d.json").read_text() == expected
    assert store.previous_failing() == _failing(new)


def test_a_scans_failing_fingerprints_are_kept_once_in_its_index(store: HistoryStore, old_and_new) -> None:
    old, new = old_and_new
    store.save(old, packed(old))
    assert store.previous_failing() == _failing(old)
    point = store.save(new, packed(new))
    drift = diff_sides(side_of(old), side_of(new))  # resolved as a diff counts them: not the one waived since
    assert drift.newly_waived and (point.new, point.resolved) == (len(drift.new_failures), len(drift.resolved_failures))
    with store.engine.connect() as connection:
        rows = connection.execute(select(scans.c.failing_fingerprints, scans.c.drift_index)).all()
    for row in rows:
        assert row.failing_fingerprints == b"" and row.drift_index.startswith(drift_index.INDEX_MAGIC)
    opened = drift_index._opened(rows[-1].drift_index)
    assert opened is not None and len(opened[1]["fingerprints"]) == 16 * len(new.findings), "16 bytes each"


def test_a_scan_stored_without_an_index_still_counts_new_and_resolved(store: HistoryStore, old_and_new) -> None:
    old, _ = old_and_new
    store.save(old, render(old))  # packed whole: its fingerprints are kept in their own column
    assert store.previous_failing() == _failing(old)


def test_an_index_changed_in_the_database_is_passed_over(cli, store: HistoryStore, old_and_new, tmp_path) -> None:
    old, new = old_and_new
    for result in old_and_new:
        store.save(result, packed(result))
    with store.engine.begin() as connection:
        index = connection.execute(select(scans.c.drift_index).where(scans.c.id == old.scan.id)).scalar()
        tampered = index[:-1] + bytes([index[-1] ^ 1])
        connection.execute(update(scans).where(scans.c.id == old.scan.id).values(drift_index=tampered))
    assert store.drift_side(old.scan.id) is None
    drift = cli("diff", old.scan.id, new.scan.id, "-o", str(tmp_path / "d.json"))
    expected = serialize.dumps_document(drift_document(diff_sides(side_of(old), side_of(new))))
    assert drift.exit_code == 0 and (tmp_path / "d.json").read_text() == expected, "read whole instead"


def _forged(index: bytes, section: str, data: bytes) -> bytes:
    """A version 3 index with one section replaced, its header and checksum made to match."""
    opened = drift_index._opened(index)
    assert opened is not None
    header, sections = opened
    sections[section] = data
    header["sections"] = [[name, len(sections[name])] for name, _ in header["sections"]]
    text = orjson.dumps(header)
    body = len(text).to_bytes(4, "big") + text + b"".join(sections[name] for name, _ in header["sections"])
    return drift_index.INDEX_MAGIC + hashlib.sha256(body).digest() + body


def test_records_and_reach_stored_the_same_in_both_scans_are_not_read(store: HistoryStore, catalogs, monkeypatch):
    later = collect(SourceSpec("demo"))
    scanned = [run_scan(collect(SourceSpec("demo")), catalogs, ScanOptions())]
    scanned.append(run_scan(later, catalogs, ScanOptions(as_of=later.collected_at + timedelta(days=400))))
    for result in scanned:
        store.save(result, packed(result))
    monkeypatch.setattr(drift_index._Section, "_read", lambda self: pytest.fail("an unchanged section was read"))
    old_side, new_side = (store.drift_side(result.scan.id) for result in scanned)
    assert old_side is not None and new_side is not None
    drift = diff_sides(old_side, new_side)
    assert drift.new_failures, "a year on, credentials are older than their limits"
    monkeypatch.undo()
    assert drift_document(drift) == drift_document(diff_sides(side_of(scanned[0]), side_of(scanned[1])))


def test_an_index_section_that_matches_its_checksum_but_not_its_layout_is_one_error(
    cli, store: HistoryStore, old_and_new
) -> None:
    old, new = old_and_new
    for result in old_and_new:
        store.save(result, packed(result))
    with store.engine.begin() as connection:
        index = connection.execute(select(scans.c.drift_index).where(scans.c.id == old.scan.id)).scalar()
        forged = _forged(index, "records", zlib.compress(b'[["only uids"]]'))
        connection.execute(update(scans).where(scans.c.id == old.scan.id).values(drift_index=forged))
    outcome = cli("diff", old.scan.id, new.scan.id)
    assert outcome.exit_code == 2
    assert "drift index is not one this nhiscan reads" in outcome.output
