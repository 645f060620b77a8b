"""A stored scan's results read back as they are inflated: each finding line becomes a Finding as
soon as it is read, so neither the whole results.json text nor its parsed findings are ever held
(a 100,000-identity scan's text is about 530 MB, and its parse takes over 2 GB more).

This serves only text that is, byte for byte, what this nhiscan stored (its SHA-256 matches) in
this nhiscan's schema version, with one finding per line as ``json_results`` writes it; anything
else is read whole and validated by the caller, so a stored scan is never read differently from
the same results.json file.
"""

from __future__ import annotations

import hashlib
import secrets
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from scanner.errors import InputError
from scanner.exact_json import loads_exactly
from scanner.gc_pause import FREEZE_FROM_FINDINGS, collector_paused
from scanner.loading import is_valid
from scanner.model import RESULTS_SCHEMA_VERSION, Inventory, ScanResult
from scanner.results_io import check_findings_controls, model_from, results_from_data
from scanner.results_lines import ModelReading

MAX_STORED_BYTES = 2 * 1024 * 1024 * 1024  # a stored scan inflates to at most this (a zlib bomb does not);
# a scan of 100,000 identities is about 550 MB
STORED_MAGIC = b"NHS1"  # then the SHA-256 of the uncompressed results.json, then zlib data
_COMPRESSED_PIECE = 1024 * 1024  # bytes of zlib data inflated at a time
_INFLATED_PIECE = 8 * 1024 * 1024  # at most this much text from each


def inflated(data: bytes | memoryview) -> Iterator[bytes]:
    """zlib ``data`` inflated a piece at a time; ValueError past MAX_STORED_BYTES."""
    inflater = zlib.decompressobj()
    total = 0
    view = memoryview(data)
    for start in range(0, len(view), _COMPRESSED_PIECE):
        pending: bytes | memoryview = view[start : start + _COMPRESSED_PIECE]
        while pending:
            piece = inflater.decompress(pending, _INFLATED_PIECE)
            pending = inflater.unconsumed_tail
            total += len(piece)
            if total > MAX_STORED_BYTES:
                raise ValueError("inflates beyond MAX_STORED_BYTES")
            if piece:
                yield piece


def inflated_at_most(data: bytes, limit: int, raw: bool = False) -> bytes:
    """zlib ``data`` inflated whole (``raw``: without zlib's header), but never past ``limit`` bytes:
    text stored under a checksum made to match may inflate to any size (a zlib bomb). ValueError
    past the limit, zlib.error for data that is no zlib."""
    inflater = zlib.decompressobj(-zlib.MAX_WBITS if raw else zlib.MAX_WBITS)
    text = inflater.decompress(data, limit)
    if inflater.unconsumed_tail:
        raise ValueError(f"inflates beyond {limit} bytes")
    return text


def streamed_result(stored: bytes, label: Path) -> ScanResult | None:
    """The ScanResult of a stored scan (STORED_MAGIC, checksum, zlib data), read as it is inflated;
    None when it is not exactly what this nhiscan stores (see the module's docstring)."""
    if stored[: len(STORED_MAGIC)] != STORED_MAGIC:
        return None
    with collector_paused() as pause:  # millions of new objects, none in a cycle
        result = _streamed(stored, label)
        pause.freeze = result is not None and len(result.findings) >= FREEZE_FROM_FINDINGS
    return result


def _streamed(stored: bytes, label: Path) -> ScanResult | None:
    checksum = stored[len(STORED_MAGIC) : len(STORED_MAGIC) + 32]
    digest = hashlib.sha256()
    # a mark no stored text can know, in place of each list read line by line (see _lists_read)
    marked = f"nhiscan-read-line-by-line-{secrets.token_hex(16)}"
    reading = ModelReading(orjson.dumps(marked))
    try:
        for text in inflated(memoryview(stored)[len(STORED_MAGIC) + 32 :]):
            digest.update(text)
            reading.add(text)
        if digest.digest() != checksum:
            return None
        frame = reading.document()
        document = loads_exactly(frame)
    except (zlib.error, ValueError, TypeError, KeyError, AttributeError, OverflowError, InputError):
        return None
    if not isinstance(document, dict) or document.get("schema_version") != RESULTS_SCHEMA_VERSION:
        return None
    inventory = document.pop("inventory", None)
    if not _lists_read(frame, document, inventory, reading.sections, marked):
        return None
    # the frame is checked (about 1 MB at 100,000 identities); the lines are made as stored, unchecked
    if not is_valid(document if inventory is None else {**document, "inventory": inventory}, "results"):
        return None  # read whole and validated, which names what breaks the schema
    try:
        result = results_from_data(document, label, written_by_nhiscan=True)
        if inventory is not None:
            result.inventory = model_from(Inventory, inventory, label)
    except (ValueError, TypeError, KeyError, AttributeError, InputError):
        return None  # not what this nhiscan stores, whatever its checksum says: read whole and validated
    result.findings = reading.findings
    if inventory is not None:
        for section, records in reading.records.items():
            setattr(result.inventory, section, records)
    try:
        check_findings_controls(result, label)
    except InputError:
        return None  # read whole and validated, which names the finding
    return result


def _lists_read(frame: bytes, document: dict[str, Any], inventory: Any, sections: list[str], marked: str) -> bool:
    """Whether the findings and the inventory's sections read line by line are the document's own,
    as a whole parse reads it: each list's mark is where that list stands, and only there (a key
    written again after it would replace it). The marks are then taken out of the frame."""
    if frame.count(orjson.dumps(marked)) != 1 + len(sections) or document.get("findings") != [marked]:
        return False
    if sections and not (isinstance(inventory, dict) and all(inventory.get(s) == [marked] for s in sections)):
        return False
    document["findings"] = []
    for section in sections:
        inventory[section] = []
    return True
