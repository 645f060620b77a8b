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

import json
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

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
from scanner.results_lines import LayoutError, LineReading, ModelReading

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
    return _streamed(path, _CheckedReading(path), _result)


@dataclass(slots=True)
class FailingOfFile:
    """What a diff reads of a large results.json file: every finding and record is read and
    checked, but only the failing and waived findings are kept, each as its line, made into a
    Finding when asked for (the few that changed)."""

    result: ScanResult  # all but the findings
    failing: dict[str, bytes]  # by fingerprint
    waived: dict[str, bytes]
    path: Path

    def finding(self, fingerprint: str) -> Finding:
        line = self.failing.get(fingerprint) or self.waived[fingerprint]
        return model_from(Finding, _parsed_line(line, _FINDING_DEPTH, self.path), self.path)


def streamed_failing(path: Path) -> FailingOfFile | None:
    """The failing and waived findings of a large results.json file laid out as nhiscan writes
    it, and the rest of its result; None for any other file."""
    reading = _FailingReading(path)
    result = _streamed(path, reading, _result)
    if result is None:
        return None
    return FailingOfFile(result, reading.failing, reading.waived, path)


def streamed_baseline(path: Path) -> tuple[dict[str, Any], set[str]] | None:
    """What a baseline reads of a large results.json file laid out as nhiscan writes it: the
    document without its findings (its agents' records kept as they are written), and the
    fingerprints of its failing and waived findings; checked only as a baseline read whole is
    checked (each finding has a fingerprint); None for any other file."""
    reading = _BaselineReading(path)
    frame = _streamed(path, reading, _emptied_frame)
    if frame is None:
        return None
    inventory = frame.get("inventory")
    if "agents" in reading.sections and isinstance(inventory, dict):
        inventory["agents"] = reading.agents
    return frame, reading.known


_T = TypeVar("_T")
_Reading = TypeVar("_Reading", bound="_LineChecks")


def _streamed(path: Path, reading: _Reading, finish: Callable[[_Reading, bytes, Path], _T]) -> _T | None:
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
            done = finish(reading, reading.document(), path)
        except LayoutError as exc:
            if size <= loading.MAX_INPUT_BYTES:
                return None
            raise InputError(
                f"larger than {loading.MAX_INPUT_BYTES // (1024 * 1024)} MiB and not laid out as nhiscan writes"
                f" results.json ({exc})",
                str(path),
            ) from None
        except InputError:
            # met before the frame showed the lines read were the document's own lists (a later
            # key of the same name may replace them): the whole read decides, where it can
            if size <= loading.MAX_INPUT_BYTES:
                return None
            raise
        pause.freeze = isinstance(done, ScanResult) and len(done.findings) >= FREEZE_FROM_FINDINGS
        return done


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


def _emptied_frame(reading: _LineChecks, frame_text: bytes, path: Path) -> dict[str, Any]:
    """The frame, parsed, once its marks show that the lists read line by line were the
    document's findings and its inventory's sections (and no other list of the same name
    nested elsewhere), those lists left empty; LayoutError otherwise."""
    frame = _frame(frame_text, path)
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


class _LineChecks(LineReading):
    """A file's lines: a mark of this reading's own in place of each list read line by line, and
    each line parsed as strictly as a whole file is."""

    def __init__(self, path: Path) -> None:
        self.marked = f"nhiscan-read-line-by-line-{secrets.token_hex(16)}"
        self.mark = orjson.dumps(self.marked)
        super().__init__(self.mark)
        self._path = path

    def _parsed(self, line: bytes, depth: int) -> Any:
        try:
            return _parsed_line(line, depth, self._path)
        except LayoutError as exc:
            raise LayoutError(f"line {self.line_number}: {exc}") from None


class _CheckedReading(_LineChecks, ModelReading):
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
    """Every line read and checked, the records made; of the findings, only the failing and
    waived ones kept, as their lines."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.failing: dict[str, bytes] = {}
        self.waived: dict[str, bytes] = {}

    def findings_checked(self, batch: list[dict[str, Any]], lines: list[bytes]) -> None:
        failing, waived = self.failing, self.waived
        for data, line in zip(batch, lines, strict=True):
            status = data["status"]
            if status == "fail":
                failing[data["fingerprint"]] = line
            elif status == "waived":
                waived[data["fingerprint"]] = line


class _BaselineReading(_LineChecks):
    """Every line parsed; of the findings, the fingerprints of the failing and waived ones kept
    (each finding must have one), of the records, the agents' as they are written."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.known: set[str] = set()
        self.agents: list[Any] = []
        self._findings_read = 0

    def finding_line(self, line: bytes) -> None:
        finding = self._parsed(line, _FINDING_DEPTH)
        if not isinstance(finding, dict) or not isinstance(finding.get("fingerprint"), str):
            raise InputError("finding without a fingerprint", str(self._path), f"$.findings[{self._findings_read}]")
        self._findings_read += 1
        if finding.get("status") in ("fail", "waived"):
            self.known.add(finding["fingerprint"])

    def record_line(self, section: str, line: bytes) -> None:
        record = self._parsed(line, _RECORD_DEPTH)
        if section == "agents":
            self.agents.append(record)
