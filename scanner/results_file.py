"""Reading a results.json file back (``nhiscan report FILE``, ``nhiscan diff``, ``--baseline``).

A large file laid out as nhiscan writes it is read a piece at a time (see ``results_lines``), so
neither its whole text nor its parse is held, and the size limit on input files (which bounds what
a whole parse may take) does not apply: a scan of 110,000 identities writes a results.json of
580 MB, past that limit. Each finding and inventory record line is parsed as strictly as a whole
file; the frame around them is parsed whole, and must show that the lists read line by line were
the document's own. What is kept of the lines depends on the reader: ``report`` checks them
against the schema in batches and makes the model as it goes; ``diff`` checks them too but keeps
only the failing and waived findings' lines; a baseline checks what a baseline read whole checks.

Anything else (a smaller file, another schema version, another layout) is read whole, so both
ways accept and refuse the same documents; a large file not laid out so is read whole if it is
within the limit, and refused in one line saying what broke the layout if not.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scanner.errors import InputError
from scanner.gc_pause import FREEZE_FROM_FINDINGS
from scanner.loading import MAX_DEPTH, is_valid, validate
from scanner.model import PLAINTEXT_SECRET, Finding, ScanResult
from scanner.results_io import (
    check_counts_held,
    check_findings_controls,
    checked_document,
    counts_of,
    load_results,
    model_from,
    unreadable_as_input,
)
from scanner.results_lines import CHECKED_AT_ONCE, LayoutError, ModelReading
from scanner.streamed_json import LineChecks, parsed_frame, parsed_line, read_line_by_line

# how deep a finding line's value may nest: the document, then the findings list, hold it
_FINDING_DEPTH = MAX_DEPTH - 2
_RECORD_DEPTH = MAX_DEPTH - 3  # the document, the inventory, its section


def load_results_file(path: Path) -> ScanResult:
    """The ScanResult of a results.json file, checked as ``results_io.load_results`` checks it."""
    streamed = streamed_results_file(path)
    return streamed if streamed is not None else load_results(path)


def streamed_results_file(path: Path) -> ScanResult | None:
    """The ScanResult of a large results.json file laid out as nhiscan writes it, read as it is
    read; None for any other file, which the caller reads whole."""
    return read_line_by_line(path, _CheckedReading(path), _result, "results.json", _large)


@dataclass(slots=True)
class FailingOfFile:
    """What a diff reads of a large results.json file: every finding and record is read and
    checked, but only the failing and waived findings are kept, each as its line, made into a
    Finding when asked for (the few that changed); of the others, only each one's status."""

    result: ScanResult  # all but the findings
    failing: dict[str, bytes]  # by fingerprint
    waived: dict[str, bytes]
    path: Path
    others: dict[str, str]  # the status of every other finding (unknown; pass with --include-passed)

    def statuses(self, fingerprints: list[str]) -> dict[str, str]:
        """The status of each of ``fingerprints`` that the file lists."""
        found = {}
        for fingerprint in fingerprints:
            if fingerprint in self.failing:
                found[fingerprint] = "fail"
            elif fingerprint in self.waived:
                found[fingerprint] = "waived"
            elif fingerprint in self.others:
                found[fingerprint] = self.others[fingerprint]
        return found

    def finding(self, fingerprint: str) -> Finding:
        line = self.failing.get(fingerprint) or self.waived[fingerprint]
        return model_from(Finding, parsed_line(line, _FINDING_DEPTH, self.path), self.path)


def streamed_failing(path: Path) -> FailingOfFile | None:
    """The failing and waived findings of a large results.json file laid out as nhiscan writes
    it, and the rest of its result; None for any other file."""
    reading = _FailingReading(path)
    result = read_line_by_line(path, reading, _result, "results.json", _large)
    if result is None:
        return None
    check_counts_held([(c.id, c.counts) for c in result.controls], reading.held, path)
    return FailingOfFile(result, reading.failing, reading.waived, path, reading.others)


def streamed_baseline(path: Path) -> tuple[dict[str, Any], set[str], set[str], set[str]] | None:
    """What a baseline reads of a large results.json file laid out as nhiscan writes it: the
    document without its findings (its agents' records kept as they are written, of its
    credentials only the plaintext secrets), and the
    fingerprints of its failing and waived findings, of its unknown ones and of its waived ones; checked only as a
    baseline read whole is checked (each finding has a fingerprint); None for any other file."""
    reading = _BaselineReading(path)
    frame = read_line_by_line(path, reading, _emptied_frame, "results.json")
    if frame is None:
        return None
    inventory = frame.get("inventory")
    if "agents" in reading.sections and isinstance(inventory, dict):
        inventory["agents"] = reading.agents
    if "credentials" in reading.sections and isinstance(inventory, dict):
        inventory["credentials"] = reading.plaintext_secrets
    return frame, reading.known, reading.unknown, reading.waived


def _large(result: ScanResult) -> bool:
    return len(result.findings) >= FREEZE_FROM_FINDINGS


def _emptied_frame(reading: LineChecks, frame_text: bytes, path: Path) -> dict[str, Any]:
    """The frame, parsed, once its marks show that the lists read line by line were the
    document's findings and its inventory's sections (and no other list of the same name
    nested elsewhere), those lists left empty; LayoutError otherwise."""
    frame = parsed_frame(frame_text, path)
    marked = [reading.marked]
    if frame_text.count(reading.mark) != 1 + len(reading.sections) or frame.get("findings") != marked:
        raise LayoutError("the findings list read is not the document's")
    frame["findings"] = []
    inventory = frame.get("inventory")
    for section in reading.sections:
        if not isinstance(inventory, dict) or inventory.get(section) != marked:
            raise LayoutError(f"the {section} read are not the inventory's")
        inventory[section] = []
    return frame


def _result(reading: _CheckedReading, frame_text: bytes, path: Path) -> ScanResult:
    frame = _emptied_frame(reading, frame_text, path)
    result = model_from(ScanResult, checked_document(frame, path), path)
    result.findings = reading.findings
    if result.inventory is not None:
        for section, records in reading.records.items():
            setattr(result.inventory, section, records)
    check_findings_controls(result, path)
    if not isinstance(reading, _FailingReading):  # which keeps the failures alone: see streamed_failing
        check_counts_held(*counts_of(result), path)
    return result


class _CheckedReading(LineChecks, ModelReading):
    """Findings and records checked against the schema a batch at a time, then made."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self._findings_batch: list[dict[str, Any]] = []
        self._findings_lines: list[bytes] = []  # the batch's lines
        self._records_batch: list[dict[str, Any]] = []
        self._records_section = ""
        self._findings_done = 0  # findings checked before the batch
        self._records_done = 0  # records of the section checked before the batch

    def finding_line(self, line: bytes) -> None:
        self._findings_batch.append(self._parsed(line, _FINDING_DEPTH))
        self._findings_lines.append(line)
        if len(self._findings_batch) >= CHECKED_AT_ONCE:
            self._check_findings()

    def record_line(self, section: str, line: bytes) -> None:
        if section != self._records_section:
            self._records_section, self._records_done = section, 0
        self._records_batch.append(self._parsed(line, _RECORD_DEPTH))
        if len(self._records_batch) >= CHECKED_AT_ONCE:
            self._check_records()

    def list_closed(self) -> None:
        if self._findings_batch:
            self._check_findings()
        if self._records_batch:
            self._check_records()

    def _check_findings(self) -> None:
        batch, self._findings_batch = self._findings_batch, []
        lines, self._findings_lines = self._findings_lines, []
        self._check(batch, "results#/properties/findings", ("findings",), self._findings_done)
        self._findings_done += len(batch)
        with unreadable_as_input(self._path):
            self.findings_checked(batch, lines)

    def findings_checked(self, batch: list[dict[str, Any]], lines: list[bytes]) -> None:
        self.make_findings(batch)

    def _check_records(self) -> None:
        batch, self._records_batch = self._records_batch, []
        section = self._records_section
        self._check(batch, f"inventory#/properties/{section}", ("inventory", section), self._records_done)
        self._records_done += len(batch)
        with unreadable_as_input(self._path):
            for data in batch:
                self.make_record(section, data)

    def _check(self, batch: list[Any], schema: str, at: tuple[str, ...], done: int) -> None:
        if is_valid(batch, schema):
            return
        for index, item in enumerate(batch):  # the first that breaks the schema, named as a whole read names it
            validate(item, f"{schema}/items", self._path, at=(*at, done + index))


class _FailingReading(_CheckedReading):
    """Every line read and checked, the records made; of the findings, only the failing and
    waived ones kept, as their lines, and the others' statuses."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.failing: dict[str, bytes] = {}
        self.waived: dict[str, bytes] = {}
        self.others: dict[str, str] = {}
        self._statuses: dict[str, str] = {}  # each status string kept once
        self.held: Counter[tuple[str, str]] = Counter()  # findings by control id and status

    def findings_checked(self, batch: list[dict[str, Any]], lines: list[bytes]) -> None:
        failing, waived, others = self.failing, self.waived, self.others
        self.held.update((data["control_id"], data["status"]) for data in batch)
        for data, line in zip(batch, lines, strict=True):
            status = data["status"]
            if status == "fail":
                failing[data["fingerprint"]] = line
            elif status == "waived":
                waived[data["fingerprint"]] = line
            else:
                others[data["fingerprint"]] = self._statuses.setdefault(status, status)


class _BaselineReading(LineChecks):
    """Every line parsed; of the findings, the fingerprints of the failing and waived ones kept, of
    the unknown ones and of the waived ones (each finding must have one), of the records, the
    agents' and the plaintext secrets' as they are written."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.known: set[str] = set()
        self.unknown: set[str] = set()
        self.waived: set[str] = set()
        self.agents: list[Any] = []
        self.plaintext_secrets: list[Any] = []  # of the credentials, only these (see baseline.mark_new)
        self._findings_read = 0

    def finding_line(self, line: bytes) -> None:
        finding = self._parsed(line, _FINDING_DEPTH)
        if not isinstance(finding, dict) or not isinstance(finding.get("fingerprint"), str):
            raise InputError("finding without a fingerprint", str(self._path), f"$.findings[{self._findings_read}]")
        self._findings_read += 1
        status = finding.get("status")
        if status in ("fail", "waived"):
            self.known.add(finding["fingerprint"])
            if status == "waived":
                self.waived.add(finding["fingerprint"])
        elif status == "unknown":
            self.unknown.add(finding["fingerprint"])

    def record_line(self, section: str, line: bytes) -> None:
        record = self._parsed(line, _RECORD_DEPTH)
        if section == "agents":
            self.agents.append(record)
        elif section == "credentials" and isinstance(record, dict) and record.get("kind") == PLAINTEXT_SECRET:
            self.plaintext_secrets.append(record)
