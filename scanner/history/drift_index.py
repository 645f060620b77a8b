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
from itertools import accumulate
from pathlib import Path
from typing import Any

import orjson

from scanner.diff import RecordChange, Side, records_and_names
from scanner.errors import NhiscanError
from scanner.model import Finding, ScanResult
from scanner.results_io import model_from
from scanner.serialize import dumps

INDEX_VERSION = 1


def drift_index(result: ScanResult, blocks: list[tuple[int, int]] | None, blocks_end: int | None) -> str:
    """The index as JSON. ``blocks``: the findings blocks' offsets and sizes in the stored results,
    or None when they are not known (the results were packed whole): a diff then reads them whole."""
    records, names = records_and_names(result.inventory)
    known = blocks is not None and blocks_end is not None and sum(n for _, n in blocks) == len(result.findings)
    return dumps(
        {
            "version": INDEX_VERSION,
            "scan_id": result.scan.id,
            "score": result.score,
            "records": None if records is None else [_record_row(record) for record in records.values()],
            "names": names,
            "capabilities": result.capabilities,
            "fingerprints": [f.fingerprint for f in result.findings],
            "statuses": [f.status for f in result.findings],
            "blocks": blocks if known else None,
            "blocks_end": blocks_end if known else None,
        }
    )


def _record_row(record: RecordChange) -> tuple[str, str, str, str, str]:
    return record.uid, record.type, record.kind, record.name, record.provider


class StoredFindings:
    """Findings of a stored scan by their position in results.json, read block by block from the
    stored (zlib) results."""

    def __init__(self, label: str, zlib_data: bytes, index: dict[str, Any]) -> None:
        self._label = label
        self._data = zlib_data
        self._fingerprints: list[str] = index["fingerprints"]
        self._offsets = [offset for offset, _ in index["blocks"]] + [index["blocks_end"]]
        self._firsts = [0, *accumulate(count for _, count in index["blocks"])]
        self._read: dict[int, list[dict[str, Any]]] = {}

    def document(self, position: int) -> dict[str, Any]:
        block = bisect_right(self._firsts, position) - 1
        if block not in self._read:
            self._read[block] = self._inflate(block)
        return self._read[block][position - self._firsts[block]]

    def _inflate(self, block: int) -> list[dict[str, Any]]:
        stored = self._data[self._offsets[block] : self._offsets[block + 1]]
        mismatch = NhiscanError(f"{self._label}: a stored block of findings does not match the scan's drift index")
        try:
            raw = zlib.decompressobj(-zlib.MAX_WBITS).decompress(stored)
            items = orjson.loads(b"[" + raw.rstrip(b",\n") + b"]")
        except (zlib.error, orjson.JSONDecodeError):
            raise mismatch from None
        expected = self._fingerprints[self._firsts[block] : self._firsts[block + 1]]
        if not isinstance(items, list) or [isinstance(i, dict) and i.get("fingerprint") for i in items] != expected:
            raise mismatch
        return items


def side_of_index(label: str, index: dict[str, Any], zlib_data: bytes) -> Side | None:
    """A diff's view of a stored scan from its drift index: findings are read from the stored
    results only for the fingerprints a diff asks for. None when the index cannot serve (another
    version, or no findings blocks: the results were stored whole)."""
    if index.get("version") != INDEX_VERSION or index.get("blocks") is None:
        return None
    findings = StoredFindings(label, zlib_data, index)
    path = Path(label)
    failing: dict[str, int] = {}
    waived: dict[str, int] = {}
    for position, (fingerprint, status) in enumerate(zip(index["fingerprints"], index["statuses"], strict=True)):
        if status == "fail":
            failing[fingerprint] = position
        elif status == "waived":
            waived[fingerprint] = position
    stored_records = index["records"]
    records = None if stored_records is None else {r[0]: RecordChange(*r) for r in stored_records}
    return Side(
        index["scan_id"],
        index["score"],
        records,
        {uid: (kind, name) for uid, (kind, name) in index["names"].items()},
        index["capabilities"],
        failing,
        waived,
        lambda position: model_from(Finding, findings.document(position), path),
    )
