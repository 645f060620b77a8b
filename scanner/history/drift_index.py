"""The drift index of a stored scan: what ``nhiscan diff`` reads of it, so two stored scans of any
size are compared without reading their results back whole.

It holds the diff's records and names (diff.records_and_names), the capabilities, every finding's
fingerprint and status in results.json's order, and where each block of findings lies in the
stored results (ResultsPacker.findings_blocks). A diff then inflates only the blocks that hold
findings that changed, and checks that each holds the fingerprints the index says it does.
"""

from __future__ import annotations

import zlib
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterator, KeysView, Mapping
from itertools import accumulate
from pathlib import Path
from typing import Any

import orjson

from scanner.diff import RecordChange, Side, records_and_names
from scanner.errors import NhiscanError
from scanner.model import Finding, ScanResult
from scanner.results_io import model_from

INDEX_VERSION = 2
# A finding's status, one character each in the index's ``statuses``: the diff reads failing and
# waived findings, the rest are "other".
_STATUS_CODES = {"fail": "f", "waived": "w"}
_OTHER = "o"


def drift_index(result: ScanResult, blocks: list[tuple[int, int]] | None, blocks_end: int | None) -> Iterator[bytes]:
    """The index as JSON, in pieces (each made only when it is packed, so the largest part, not the
    whole, is in memory at once). ``blocks``: the findings blocks' offsets and sizes in the stored
    results, or None when they are not known (the results were packed whole): a diff then reads
    them whole. The large parts are stored as columns (a list per field; fingerprints joined by
    newlines, which no fingerprint holds): read back, they become the diff's mappings in a few C
    calls."""
    known = (
        blocks is not None
        and blocks_end is not None
        and sum(n for _, n in blocks) == len(result.findings)
        and not any("\n" in f.fingerprint for f in result.findings)
    )
    yield orjson.dumps(
        {
            "version": INDEX_VERSION,
            "scan_id": result.scan.id,
            "score": result.score,
            "blocks": blocks if known else None,
            "blocks_end": blocks_end if known else None,
        }
    )[:-1]
    records, names = records_and_names(result.inventory)
    yield b',"records":' + orjson.dumps(None if records is None else _record_columns(records))
    del records
    yield b',"names":' + orjson.dumps(
        [list(names), *map(list, zip(*names.values(), strict=True))] if names else [[], [], []]
    )
    del names
    yield b',"capabilities":' + orjson.dumps(result.capabilities)
    yield b',"fingerprints":' + orjson.dumps("\n".join(f.fingerprint for f in result.findings) if known else None)
    yield b',"statuses":' + orjson.dumps("".join(_STATUS_CODES.get(f.status, _OTHER) for f in result.findings)) + b"}"


def _record_columns(records: dict[str, RecordChange]) -> list[list[str]]:
    return [
        [getattr(record, column) for record in records.values()]
        for column in ("uid", "type", "kind", "name", "provider")
    ]


class StoredFindings:
    """Findings of a stored scan by their position in results.json, read from the stored (zlib)
    results block by block, and only the lines asked for parsed."""

    def __init__(self, label: str, zlib_data: bytes, fingerprints: list[str], index: dict[str, Any]) -> None:
        self._data = zlib_data
        self._fingerprints = fingerprints
        self._offsets = [offset for offset, _ in index["blocks"]] + [index["blocks_end"]]
        self._firsts = [0, *accumulate(count for _, count in index["blocks"])]
        self._mismatch = f"{label}: a stored block of findings does not match the scan's drift index"

    def documents(self, positions: list[int]) -> list[dict[str, Any]]:
        """The findings at ``positions``, in that order; each block holding some is inflated once."""
        by_block: dict[int, list[int]] = defaultdict(list)
        for position in positions:
            by_block[bisect_right(self._firsts, position) - 1].append(position)
        found: dict[int, dict[str, Any]] = {}
        for block, wanted in by_block.items():
            lines = self._lines(block)
            for position in wanted:
                found[position] = self._document(lines[position - self._firsts[block]], position)
        return [found[position] for position in positions]

    def _lines(self, block: int) -> list[bytes]:
        try:
            raw = zlib.decompressobj(-zlib.MAX_WBITS).decompress(
                self._data[self._offsets[block] : self._offsets[block + 1]]
            )
        except zlib.error:
            raise NhiscanError(self._mismatch) from None
        lines = raw.rstrip(b"\n").split(b"\n")  # one finding per line
        if len(lines) != self._firsts[block + 1] - self._firsts[block]:
            raise NhiscanError(self._mismatch)
        return lines

    def _document(self, line: bytes, position: int) -> dict[str, Any]:
        try:
            document = orjson.loads(line.rstrip(b","))
        except orjson.JSONDecodeError:
            raise NhiscanError(self._mismatch) from None
        if not isinstance(document, dict) or document.get("fingerprint") != self._fingerprints[position]:
            raise NhiscanError(self._mismatch)
        return document


class _Records(Mapping[str, RecordChange]):
    """The index's records by uid; a record becomes a RecordChange only when a diff reports it."""

    def __init__(self, columns: list[list[str]]) -> None:
        uids, types, kinds, names, providers = columns  # a record's fields, uid first
        self._rows = dict(zip(uids, zip(types, kinds, names, providers, strict=True), strict=True))

    def __getitem__(self, uid: str) -> RecordChange:
        return RecordChange(uid, *self._rows[uid])

    def __iter__(self) -> Iterator[str]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)

    def __contains__(self, uid: object) -> bool:
        return uid in self._rows

    def keys(self) -> KeysView[str]:  # the dict's own: set operations on 100,000s of uids run in C
        return self._rows.keys()


def side_of_index(label: str, index: dict[str, Any], zlib_data: bytes) -> Side | None:
    """A diff's view of a stored scan from its drift index: findings are read from the stored
    results only for the fingerprints a diff asks for. None when the index cannot serve (another
    version, or no findings blocks: the results were stored whole)."""
    if index.get("version") != INDEX_VERSION or index.get("blocks") is None:
        return None
    fingerprints = index["fingerprints"].split("\n") if index["fingerprints"] else []
    statuses, capabilities = index["statuses"], index["capabilities"]
    if len(fingerprints) != len(statuses) or not isinstance(capabilities, dict):
        return None
    findings = StoredFindings(label, zlib_data, fingerprints, index)
    path = Path(label)
    failing = {fingerprints[i]: i for i, status in enumerate(statuses) if status == "f"}
    waived = {fingerprints[i]: i for i, status in enumerate(statuses) if status == "w"}
    uids, kinds, names = index["names"]
    return Side(
        index["scan_id"],
        index["score"],
        None if index["records"] is None else _Records(index["records"]),
        dict(zip(uids, zip(kinds, names, strict=True), strict=True)),
        capabilities,
        failing,
        waived,
        lambda positions: [model_from(Finding, document, path) for document in findings.documents(positions)],
    )
