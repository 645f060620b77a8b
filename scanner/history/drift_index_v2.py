"""Drift indexes as nhiscan stored them before version 3 (one zlib JSON document, fingerprints as
hex text): still read, so that scans stored then diff as fast as they did."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from scanner.diff import Records, Side
from scanner.history.drift_index import (
    Described,
    StoredFindings,
    described,
    listed_in,
    names_by_uid,
    record_rows,
    stored_findings_reader,
)

INDEX_VERSION = 2


def side_of_index_v2(label: str, index: dict[str, Any], zlib_data: bytes, elsewhere: Described) -> Side | None:
    """A diff's view of a stored scan from a version 2 drift index (a parsed JSON document). None
    when the index cannot serve (another version, no findings blocks: the results were stored
    whole; or ``elsewhere`` does not say which controls the scan evaluated)."""
    if index.get("version") != INDEX_VERSION or index.get("blocks") is None:
        return None
    told = described({}, elsewhere)
    if told is None:
        return None
    fingerprints = index["fingerprints"].split("\n") if index["fingerprints"] else []
    statuses, capabilities = index["statuses"], index["capabilities"]
    if len(fingerprints) != len(statuses) or not isinstance(capabilities, dict):
        return None
    findings = StoredFindings(label, lambda: zlib_data, fingerprints, index["blocks"], index["blocks_end"])
    return Side(
        index["scan_id"],
        index["score"],
        None if index["records"] is None else Records(record_rows(index["records"])),
        names_by_uid(index["names"]),
        capabilities,
        {fingerprints[i] for i, status in enumerate(statuses) if status == "f"},
        {fingerprints[i] for i, status in enumerate(statuses) if status == "w"},
        stored_findings_reader(findings, Path(label), told[0]),
        listed_in(fingerprints, statuses, findings),
        *told,
    )
