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
import sys
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson

from scanner.errors import InputError
from scanner.gc_pause import FREEZE_FROM_FINDINGS, collector_paused
from scanner.inventory_io import RECORD_TYPES
from scanner.model import RESULTS_SCHEMA_VERSION, Finding, Inventory, ResourceRef, ScanResult
from scanner.results_io import model_from, results_from_data
from scanner.serialize import from_dict, loader_with

MAX_STORED_BYTES = 2 * 1024 * 1024 * 1024  # a stored scan inflates to at most this (a zlib bomb does not);
# a scan of 100,000 identities is about 550 MB
STORED_MAGIC = b"NHS1"  # then the SHA-256 of the uncompressed results.json, then zlib data
FINDINGS_OPENING = b' "findings": [\n'  # the line that opens results.json's findings list
LIST_CLOSING = b" ]"
INVENTORY_OPENING = b' "inventory": {'
SECTION_OPENING = (b'   "', b'": [')  # a section of the inventory, one record a line
RECORD_LINE = b"    {"

# how results.json opens, as json_results writes it in this nhiscan's schema version
_THIS_SCHEMA_VERSION = f'{{\n "schema_version": "{RESULTS_SCHEMA_VERSION}",\n'.encode()
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


class _Reading:
    """The text around the findings list, kept; the findings in it, made as their lines arrive."""

    def __init__(self) -> None:
        self.before: list[bytes] = []  # up to and including the line opening the findings list
        self.after: list[bytes] = []  # from the line closing it
        self.findings: list[Finding] = []
        self.records: dict[str, list[Any]] = {}  # the inventory's records by section, made as read
        self._opened = False
        self._closed = False
        self._partial = b""  # a line not yet whole
        self._in_inventory = False
        self._section: list[Any] | None = None  # the records of the section being read
        self._record: Callable[[dict[str, Any]], Any] = dict
        self._resources: dict[tuple[tuple[str, Any], ...], ResourceRef] = {}
        self._evidence: dict[tuple[tuple[str, Any], ...], dict[str, Any]] = {}
        self._finding = loader_with(
            Finding,
            {
                "resource": self._shared_resource,
                "evidence": self._shared_evidence,
                "control_id": sys.intern,
                "status": sys.intern,
                "severity": sys.intern,
            },
        )

    def _shared_evidence(self, evidence: dict[str, Any]) -> dict[str, Any]:
        """Findings whose evidence reads the same share one mapping, as the scan that made them did
        (evidence holding a list or a mapping is kept as it is)."""
        try:
            return self._evidence.setdefault(tuple(evidence.items()), evidence)
        except TypeError:
            return evidence

    def _shared_resource(self, data: dict[str, Any]) -> ResourceRef:
        """Findings about one record share its ResourceRef, as the scan that made them did (a
        resource read from a file, with a location, has its own)."""
        if data.get("location") is not None:
            return from_dict(ResourceRef, data)
        key = tuple(data.items())
        resource = self._resources.get(key)
        if resource is None:
            resource = self._resources[key] = from_dict(ResourceRef, data)
        return resource

    def add(self, text: bytes) -> None:
        if self._closed:
            self._read_after(text)
        elif self._opened:
            self._read_findings(text)
        else:
            self.before.append(text)
            head = b"".join(self.before)
            opening = head.find(b"\n" + FINDINGS_OPENING)
            if opening >= 0:
                if not head.startswith(_THIS_SCHEMA_VERSION):  # read whole and validated, so not read here
                    raise ValueError("another schema version")
                end = opening + 1 + len(FINDINGS_OPENING)
                self.before, self._opened = [head[:end]], True
                self._read_findings(head[end:])
            elif len(head) > _INFLATED_PIECE:  # no findings list near the start: not as json_results writes it
                raise ValueError("no findings list")

    def _read_findings(self, text: bytes) -> None:
        lines = (self._partial + text).split(b"\n")
        self._partial = lines.pop()
        findings, finding = self.findings, self._finding
        for number, line in enumerate(lines):
            if line.startswith(LIST_CLOSING):
                self._closed = True
                rest, self._partial = b"\n".join([*lines[number:], self._partial]), b""
                self._read_after(rest)
                return
            findings.append(finding(orjson.loads(line.rstrip(b","))))

    def _read_after(self, text: bytes) -> None:
        """The text after the findings list, kept but for the inventory's records, one per line in
        their sections, each made into its model record as it is read."""
        lines = (self._partial + text).split(b"\n")
        self._partial = lines.pop()
        kept = self.after
        for line in lines:
            if self._section is not None:
                if line.startswith(RECORD_LINE):
                    self._section.append(self._record(orjson.loads(line.rstrip(b","))))
                    continue
                self._section = None
            elif self._in_inventory:
                name = _section_opened(line)
                if name is not None:
                    if name in self.records:
                        raise ValueError(f"inventory section {name} twice")
                    self._section = self.records[name] = []
                    self._record = loader_with(RECORD_TYPES[name], {})
            elif line == INVENTORY_OPENING:
                self._in_inventory = True
            kept.append(line + b"\n")

    def document(self) -> bytes:
        """The text around the findings list and the inventory's records, joined once and let go
        of here."""
        if not self._closed:
            raise ValueError("the findings list is not closed")
        parts, self.before, self.after = [*self.before, *self.after, self._partial], [], []
        return b"".join(parts)


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
    reading = _Reading()
    try:
        for text in inflated(memoryview(stored)[len(STORED_MAGIC) + 32 :]):
            digest.update(text)
            reading.add(text)
        if digest.digest() != checksum:
            return None
        document = orjson.loads(reading.document())
    except (zlib.error, ValueError, TypeError, KeyError, AttributeError, OverflowError, InputError):
        return None
    if not isinstance(document, dict) or document.get("schema_version") != RESULTS_SCHEMA_VERSION:
        return None
    inventory = document.pop("inventory", None)
    if reading.records and not (isinstance(inventory, dict) and _sections_left_empty(inventory, reading.records)):
        return None
    result = results_from_data(document, label, written_by_nhiscan=True)
    result.findings = reading.findings
    if inventory is not None:
        result.inventory = model_from(Inventory, inventory, label)
        for section, records in reading.records.items():
            setattr(result.inventory, section, records)
    return result


def _sections_left_empty(inventory: dict[str, Any], records: dict[str, list[Any]]) -> bool:
    """Whether every section read record by record is left in the text as an empty list (so no
    record was passed over as a line of another shape)."""
    return all(inventory.get(section) == [] for section in records)


def _section_opened(line: bytes) -> str | None:
    """The inventory's record section this line opens, if any."""
    start, end = SECTION_OPENING
    if not (line.startswith(start) and line.endswith(end)):
        return None
    name = line[len(start) : -len(end)].decode("utf-8", "replace")
    return name if name in RECORD_TYPES else None
