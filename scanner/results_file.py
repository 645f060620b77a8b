"""Reading a results.json file back (``nhiscan report FILE``, ``nhiscan diff``, ``--baseline``).

A large file laid out as nhiscan writes it is read a piece at a time (see ``results_lines``): each
finding and inventory record is parsed as strictly as a whole file, checked against the schema in
batches, and made into the model as it comes, so neither the whole text nor its parse is held,
and the size limit on input files (which bounds what a whole parse may take) does not apply. The
frame around them is parsed and validated whole. A scan of 110,000 identities writes a
results.json of 580 MB, past that limit.

Anything else (a smaller file, another schema version, another layout) is read whole, as
``results_io.load_results`` reads it, so both ways accept and refuse the same documents; a large
file not laid out so is read whole if it is within the limit, and refused naming its line if not.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from scanner import loading
from scanner.errors import InputError
from scanner.gc_pause import FREEZE_FROM_FINDINGS, collector_paused
from scanner.loading import (
    MAX_DEPTH,
    UntrustedJSONError,
    is_valid,
    nested_deeper_than,
    parse_json,
    validate,
)
from scanner.model import Finding, ScanResult
from scanner.results_io import checked_document, load_results, model_from
from scanner.results_lines import LayoutError, ModelReading

STREAM_FROM_BYTES = 64 * 1024 * 1024  # smaller files are read whole
_PIECE = 8 * 1024 * 1024  # bytes read at a time
_BATCH = 5000  # items checked against the schema at once
# 19 digits in a row: perhaps an integer orjson would read as a float (the whole parse keeps it
# exact). Found by making every digit a 9 and looking for nineteen of them (a regular expression
# takes ten times as long, and this runs on every line).
_DIGITS_AS_NINES = bytes.maketrans(b"0123456789", b"9" * 10)
_LONG_NUMBER = b"9" * 19
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
    return _streamed(path, _CheckedReading(path))


@dataclass(slots=True)
class FailingOfFile:
    """What a diff or a baseline reads of a large results.json file: every finding and record is
    read and checked, but only the failing and waived findings are kept, each as its line, made
    into a Finding when asked for (the few that changed)."""

    result: ScanResult  # all but the findings, and (unless asked for) the inventory's records
    failing: dict[str, bytes]  # by fingerprint
    waived: dict[str, bytes]
    agents: list[str]  # the uids of the agents in its inventory
    path: Path

    def finding(self, fingerprint: str) -> Finding:
        line = self.failing.get(fingerprint) or self.waived[fingerprint]
        return model_from(Finding, _parsed_line(line, _FINDING_DEPTH, self.path), self.path)


def streamed_failing(path: Path, records: bool) -> FailingOfFile | None:
    """The failing and waived findings of a large results.json file laid out as nhiscan writes
    it, with its inventory's records made if ``records``; None for any other file."""
    reading = _FailingReading(path, records)
    result = _streamed(path, reading)
    if result is None:
        return None
    return FailingOfFile(result, reading.failing, reading.waived, reading.agents, path)


def _streamed(path: Path, reading: _CheckedReading) -> ScanResult | None:
    try:
        size = path.stat().st_size
        if size < STREAM_FROM_BYTES or not path.is_file():
            return None
        stream = path.open("rb")
    except OSError:  # read whole, which names the failure as it names any
        return None
    with stream, collector_paused() as pause:  # millions of new objects, none in a cycle
        try:
            while piece := stream.read(_PIECE):
                reading.add(piece)
            result = _result(reading, reading.document(), path)
        except LayoutError as exc:
            if size <= loading.MAX_INPUT_BYTES:
                return None
            raise InputError(
                f"larger than {loading.MAX_INPUT_BYTES // (1024 * 1024)} MiB and not laid out as nhiscan writes"
                f" results.json ({exc})",
                str(path),
            ) from None
        pause.freeze = len(result.findings) >= FREEZE_FROM_FINDINGS
        return result


def _parsed_line(line: bytes, depth: int, path: Path) -> Any:
    """A finding's or record's line parsed as strictly as a whole file is (orjson, but the
    standard library's parser where a long number may lose digits as orjson reads it), its
    nesting bounded as a whole file's is; LayoutError where it is not JSON."""
    try:
        if _LONG_NUMBER in line.translate(_DIGITS_AS_NINES):
            data = parse_json(line.decode("utf-8"), check_nesting=False)
        else:
            data = orjson.loads(line)
    except (ValueError, UnicodeDecodeError) as exc:
        raise LayoutError(str(exc)) from None
    if line.count(b"{") + line.count(b"[") > depth and nested_deeper_than(data, depth):
        raise InputError(f"invalid JSON: nested more than {MAX_DEPTH} levels", str(path))
    return data


def _result(reading: _CheckedReading, frame_text: bytes, path: Path) -> ScanResult:
    frame = _frame(frame_text, path)
    if frame.get("findings") != []:
        raise LayoutError("the findings list is not the one read")
    inventory = frame.get("inventory")
    if reading.sections and not (
        isinstance(inventory, dict) and all(inventory.get(section) == [] for section in reading.sections)
    ):
        raise LayoutError("an inventory section is not the one read")
    result = model_from(ScanResult, checked_document(frame, path), path)
    result.findings = reading.findings
    if result.inventory is not None:
        for section, records in reading.records.items():
            setattr(result.inventory, section, records)
    return result


def _frame(text: bytes, path: Path) -> dict[str, Any]:
    """The frame, parsed as a whole file is. A key twice in one object is a LayoutError: which
    list or section stands is then for the whole parse to say."""
    try:
        frame = parse_json(text.decode("utf-8"))
    except UntrustedJSONError as exc:
        raise InputError(f"invalid JSON: {exc}", str(path)) from None
    except ValueError as exc:  # the whole read names it by line and column
        raise LayoutError(f"the text around the findings: {exc}") from None
    if not isinstance(frame, dict):
        raise LayoutError("not a JSON object")
    if _repeats_a_key(text):
        raise LayoutError("a key twice in one object")
    return frame


def _repeats_a_key(text: bytes) -> bool:
    repeated = False

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        nonlocal repeated
        made = dict(items)
        repeated = repeated or len(made) != len(items)
        return made

    json.loads(text, object_pairs_hook=pairs)  # parsed again: the frame is small
    return repeated


class _CheckedReading(ModelReading):
    """Each line parsed strictly and its nesting bounded; findings and records checked against
    the schema a batch at a time before they are made."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self._path = path
        self._findings_batch: list[dict[str, Any]] = []
        self._findings_lines: list[bytes] = []  # the batch's lines
        self._records_batch: list[dict[str, Any]] = []
        self._records_section = ""
        self._findings_done = 0  # findings checked before the batch
        self._records_done = 0  # records of the section checked before the batch

    def _parsed(self, line: bytes, depth: int) -> Any:
        try:
            return _parsed_line(line, depth, self._path)
        except LayoutError as exc:
            raise LayoutError(f"line {self.line_number}: {exc}") from None

    def finding_line(self, line: bytes) -> None:
        self._findings_batch.append(self._parsed(line, _FINDING_DEPTH))
        self._findings_lines.append(line)
        if len(self._findings_batch) >= _BATCH:
            self._check_findings()

    def record_line(self, section: str, line: bytes) -> None:
        if section != self._records_section:
            self._records_section, self._records_done = section, 0
        self._records_batch.append(self._parsed(line, _RECORD_DEPTH))
        if len(self._records_batch) >= _BATCH:
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
        with self._unreadable_values():
            self.findings_checked(batch, lines)

    def findings_checked(self, batch: list[dict[str, Any]], lines: list[bytes]) -> None:
        self.make_findings(batch)

    def _check_records(self) -> None:
        batch, self._records_batch = self._records_batch, []
        section = self._records_section
        self._check(batch, f"inventory#/properties/{section}", ("inventory", section), self._records_done)
        self._records_done += len(batch)
        with self._unreadable_values():
            for data in batch:
                self.make_record(section, data)

    @contextmanager
    def _unreadable_values(self) -> Iterator[None]:
        """A value the schema admits but the model cannot read (a time no calendar has) is the
        file's error, as ``results_io.model_from`` says it."""
        try:
            yield
        except (ValueError, OverflowError) as exc:
            raise InputError(f"unreadable value: {exc}", str(self._path)) from None

    def _check(self, batch: list[Any], schema: str, at: tuple[str, ...], done: int) -> None:
        if is_valid(batch, schema):
            return
        for index, item in enumerate(batch):  # the first that breaks the schema, named as a whole read names it
            validate(item, f"{schema}/items", self._path, at=(*at, done + index))


class _FailingReading(_CheckedReading):
    """Every line read and checked; of the findings, only the failing and waived ones kept, as
    their lines; the records made only if ``records`` (else only the agents' uids kept)."""

    def __init__(self, path: Path, records: bool) -> None:
        super().__init__(path)
        self.failing: dict[str, bytes] = {}
        self.waived: dict[str, bytes] = {}
        self.agents: list[str] = []
        self._records_made = records

    def findings_checked(self, batch: list[dict[str, Any]], lines: list[bytes]) -> None:
        failing, waived = self.failing, self.waived
        for data, line in zip(batch, lines, strict=True):
            status = data["status"]
            if status == "fail":
                failing[data["fingerprint"]] = line
            elif status == "waived":
                waived[data["fingerprint"]] = line

    def make_record(self, section: str, data: dict[str, Any]) -> None:
        if self._records_made:
            super().make_record(section, data)
        elif section == "agents":
            self.agents.append(data["uid"])
