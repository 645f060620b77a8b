"""results.json's text read a piece at a time, as ``json_results`` lays it out: one finding a line,
and in the inventory one record a line. The text around them (the frame) is kept, with every such
list left empty in it; each finding and record line is handed on as it is read, so neither the
whole text nor its parse is ever held. A 100,000-identity scan's results.json is about 530 MB,
and its whole parse takes over 2 GB more.

Text not laid out so (another schema version, another tool's layout, a missing or extra comma
between lines) raises ``LayoutError``: the caller reads it whole instead.
"""

from __future__ import annotations

import sys
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

import orjson

from scanner.exact_json import PIECE_OVERLAP, loads_exactly, may_hold_long_number
from scanner.loading import is_valid
from scanner.model import RECORD_TYPES, RESULTS_SCHEMA_VERSION, Finding, ResourceRef
from scanner.serialize import from_dict, kind_of, loader_with

FINDINGS_OPENING = b' "findings": [\n'  # the line that opens results.json's findings list
LIST_CLOSING = b" ]"
INVENTORY_OPENING = b' "inventory": {'
SECTION_OPENING = (b'   "', b'": [')  # a section of the inventory, one record a line
CAPABILITIES_OPENING = b' "capabilities": {'  # the map of identities' capabilities, one identity a line
MEMBER_LINE = b'   "'
RECORD_LINE = b"    {"
SEPARATOR = b","

# how results.json opens, as json_results writes it in this nhiscan's schema version
THIS_SCHEMA_VERSION = f'{{\n "schema_version": "{RESULTS_SCHEMA_VERSION}",\n'.encode()
HEAD_LIMIT = 8 * 1024 * 1024  # the findings list opens within this many bytes of the start, or not at all
# Bounds on what is held: the text around the lists read line by line (at 100,000 identities,
# about 1 MB), and one line (a finding's, about 600 bytes)
FRAME_LIMIT = 64 * 1024 * 1024
LINE_LIMIT = 16 * 1024 * 1024
# The capabilities map's lines are kept in the frame, but grow with the estate (at 100,000
# identities, 17 MB): bounded apart, or at about 370,000 identities the frame's bound sent a
# scan nhiscan wrote to be read whole
MEMBERS_LIMIT = 1024 * 1024 * 1024


class LayoutError(ValueError):
    """The text is not laid out as this nhiscan writes results.json."""


class LineReading(ABC):
    """Feed ``add`` the text in pieces of any size; ``finding_line`` and ``record_line`` see each
    item's line (without its separator) as it is whole, and ``document`` gives the frame.

    ``marker``: a JSON value put in the frame in place of each list read line by line, so that the
    frame, once parsed, shows where those lists were (a list found inside some other object is not
    the findings list); None leaves them empty."""

    # where the inventory's sections and their records begin in the lines after the findings
    section_opening = SECTION_OPENING
    record_opening = RECORD_LINE
    # False: the text holds no findings list, and its own keys are the sections (inventory.json)
    findings_list = True

    def __init__(self, marker: bytes | None = None) -> None:
        self.sections: list[str] = []  # the inventory's sections read record by record, in order
        self.line_number = 0  # of the last whole line read
        self._head: list[bytes] = []  # the text before the findings list is found
        self._frame = bytearray()  # the text around the lists read line by line
        self._marker = marker
        self._opened = self._closed = not self.findings_list
        self._pending: list[bytes] = []  # the pieces of a line not yet whole
        self._pending_size = 0
        self._in_inventory = not self.findings_list
        self._section: str | None = None  # the section being read
        self._separated = True  # the last item line ended with a separator (or none came yet)
        self._items_seen = False  # in the list being read
        self._in_members = False  # in the capabilities map, one member a line
        self._members_size = 0

    @abstractmethod
    def finding_line(self, line: bytes) -> None:
        """A finding's line, whole, without its separator."""

    @abstractmethod
    def record_line(self, section: str, line: bytes) -> None:
        """A record's line in the inventory's ``section``, whole, without its separator."""

    def list_closed(self) -> None:  # noqa: B027 (a hook a reading may leave as it is)
        """The findings list or a section of records has ended."""

    def add(self, text: bytes) -> None:
        if self._closed:
            self._read_after(text)
        elif self._opened:
            self._read_findings(text)
        else:
            self._head.append(text)
            head = b"".join(self._head)
            opening = head.find(b"\n" + FINDINGS_OPENING)
            if opening >= 0:
                if not head.startswith(THIS_SCHEMA_VERSION):
                    raise LayoutError("another schema version")
                end = opening + 1 + len(FINDINGS_OPENING)
                self._head, self._opened = [], True
                self._keep(head[:end])
                self._keep_marker(b"  ")
                self.line_number = head.count(b"\n", 0, end)
                self._read_findings(head[end:])
            elif len(head) > HEAD_LIMIT:
                raise LayoutError("no findings list near the start")
            else:
                self._head = [head]

    def _keep(self, text: bytes) -> None:
        self._frame += text
        if len(self._frame) - self._members_size > FRAME_LIMIT:
            raise LayoutError(f"more than {FRAME_LIMIT // (1024 * 1024)} MiB of text around the lines read one by one")

    def _keep_marker(self, indent: bytes) -> None:
        if self._marker is not None:
            self._keep(indent + self._marker + b"\n")

    def _whole_lines(self, text: bytes) -> list[bytes]:
        """The lines that ``text`` completes, the unfinished one kept for the next piece (a long
        line is joined once, when it ends, not copied again with every piece)."""
        if b"\n" not in text:
            self._pending.append(text)
            self._pending_size += len(text)
            if self._pending_size > LINE_LIMIT:
                raise LayoutError(f"line {self.line_number + 1}: longer than {LINE_LIMIT // (1024 * 1024)} MiB")
            return []
        if self._pending:
            text = b"".join([*self._pending, text])
            self._pending, self._pending_size = [], 0
        lines = text.split(b"\n")
        last = lines.pop()
        # the first line may hold what was pending; the unfinished one waits for the next piece
        for number, line in ((1, lines[0] if lines else b""), (len(lines) + 1, last)):
            if len(line) > LINE_LIMIT:
                raise LayoutError(f"line {self.line_number + number}: longer than {LINE_LIMIT // (1024 * 1024)} MiB")
        if last:
            self._pending, self._pending_size = [last], len(last)
        return lines

    def _item(self, line: bytes) -> bytes:
        """An item line without its separator; every item but the last of its list has one."""
        if not self._separated:
            raise LayoutError(f"line {self.line_number}: an item follows one without a separator")
        self._items_seen = True
        self._separated = line.endswith(SEPARATOR)
        return line[:-1] if self._separated else line

    def _end_of_list(self) -> None:
        if self._items_seen and self._separated:
            raise LayoutError(f"line {self.line_number - 1}: the last item ends with a separator")
        self._separated, self._items_seen = True, False
        self.list_closed()

    def _read_findings(self, text: bytes) -> None:
        lines = self._whole_lines(text)
        finding_line, separated = self.finding_line, self._separated
        for index, line in enumerate(lines):  # _item, written out: this runs once per finding
            self.line_number += 1
            if line.startswith(LIST_CLOSING):
                self._separated, self._items_seen = separated, self._items_seen or index > 0
                self._end_of_list()
                self._closed = True
                self.line_number -= 1  # read again, as the first line after the list
                self._read_lines_after(lines[index:])
                return
            if not separated:
                raise LayoutError(f"line {self.line_number}: an item follows one without a separator")
            separated = line.endswith(SEPARATOR)
            finding_line(line[:-1] if separated else line)
        self._separated, self._items_seen = separated, self._items_seen or bool(lines)

    def _read_after(self, text: bytes) -> None:
        self._read_lines_after(self._whole_lines(text))

    def _read_lines_after(self, lines: list[bytes]) -> None:
        """The lines after the findings list, kept but for the inventory's records, one per line in
        their sections."""
        for line in lines:
            self.line_number += 1
            if self._in_members:
                if line.startswith(MEMBER_LINE):
                    self._keep_member(line)
                    continue
                self._in_members = False
            if self._section is not None:
                if line.startswith(self.record_opening):
                    self.record_line(self._section, self._item(line))
                    continue
                self._end_of_list()
                self._section = None
            elif self._in_inventory:
                name = section_opened(line, self.section_opening)
                if name is not None:
                    if name in self.sections:
                        raise LayoutError(f"inventory section {name} twice")
                    self.sections.append(name)
                    self._section = name
                    self._keep(line + b"\n")
                    self._keep_marker(b"    ")
                    continue
            elif line == INVENTORY_OPENING:
                self._in_inventory = True
            elif line == CAPABILITIES_OPENING:
                self._in_members = True
            self._keep(line + b"\n")

    def _keep_member(self, line: bytes) -> None:
        self._frame += line + b"\n"
        self._members_size += len(line) + 1
        if self._members_size > MEMBERS_LIMIT:
            raise LayoutError(f"more than {MEMBERS_LIMIT // (1024 * 1024)} MiB of capabilities")

    def document(self) -> bytes:
        """The frame: the text around the findings list and the inventory's records, let go of
        here."""
        if self._pending:  # a last line with no newline after it is read as every other line
            self.add(b"\n")
        if not self._closed:
            raise LayoutError("the findings list is not closed")
        if self._section is not None:  # its last item's separator and its records were never checked
            raise LayoutError(f"the {self._section} are not closed")
        frame = bytes(self._frame)
        self._frame = bytearray()
        return frame


def section_opened(line: bytes, opening: tuple[bytes, bytes] = SECTION_OPENING) -> str | None:
    """The inventory's record section this line opens, if any (laid out as ``opening`` says)."""
    start, end = opening
    if not (line.startswith(start) and line.endswith(end)):
        return None
    name = line[len(start) : -len(end)].decode("utf-8", "replace")
    return name if name in RECORD_TYPES else None


class ModelReading(LineReading):
    """The frame kept; the findings and records in it made into the model as their lines arrive
    (see ``results_file`` for a file's). The lines are checked against the schema a batch at a
    time, with its compiled validator, before they are made; a batch that breaks it raises
    ValueError: whoever can write the history can store any text under a checksum that matches
    it, and the caller then reads the text whole and validated, which names what broke it."""

    def __init__(self, marker: bytes | None = None) -> None:
        super().__init__(marker)
        self._exact = False  # a long number may be in the text read so far
        self._tail = b""  # the end of the text read so far, where a long number cut by a piece begins
        self.findings: list[Finding] = []
        self.records: dict[str, list[Any]] = {}  # the inventory's records by section, made as read
        self._record: Callable[[dict[str, Any]], Any] = dict
        self._resources: dict[tuple[tuple[str, Any], ...], ResourceRef] = {}
        self._evidence: dict[tuple[Any, ...], dict[str, Any]] = {}
        self._findings_unchecked: list[Any] = []  # parsed, not yet checked against the schema
        self._records_unchecked: list[Any] = []
        self._section_unchecked = ""
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
        try:  # with the values' kinds: 1, 1.0 and true are equal, and 0.0 and -0.0, but not the same evidence
            return self._evidence.setdefault((*evidence.items(), *map(kind_of, evidence.values())), evidence)
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
        if not self._exact:  # from the piece where a long number may begin on, every line is looked at
            self._exact = may_hold_long_number(self._tail + text)
            self._tail = (self._tail + text[-PIECE_OVERLAP:])[-PIECE_OVERLAP:]
        super().add(text)

    def _loaded(self, line: bytes) -> Any:
        """orjson's parse, unless the text may hold an integer it would read as a float (see exact_json)."""
        return loads_exactly(line) if self._exact else orjson.loads(line)

    def finding_line(self, line: bytes) -> None:
        self._findings_unchecked.append(self._loaded(line))
        if len(self._findings_unchecked) >= CHECKED_AT_ONCE:
            self._make_findings_checked()

    def record_line(self, section: str, line: bytes) -> None:
        if section != self._section_unchecked:
            self._make_records_checked()
            self._section_unchecked = section
        self._records_unchecked.append(self._loaded(line))
        if len(self._records_unchecked) >= CHECKED_AT_ONCE:
            self._make_records_checked()

    def list_closed(self) -> None:
        self._make_findings_checked()
        self._make_records_checked()

    def _make_findings_checked(self) -> None:
        batch, self._findings_unchecked = self._findings_unchecked, []
        if batch:
            _check(batch, "results#/properties/findings")
            self.make_findings(batch)

    def _make_records_checked(self) -> None:
        batch, self._records_unchecked = self._records_unchecked, []
        if batch:
            _check(batch, f"inventory#/properties/{self._section_unchecked}")
            for data in batch:
                self.make_record(self._section_unchecked, data)

    def make_findings(self, items: list[dict[str, Any]]) -> None:
        self.findings.extend(map(self._finding, items))

    def make_record(self, section: str, data: dict[str, Any]) -> None:
        records = self.records.get(section)
        if records is None:
            records = self.records[section] = []
            self._record = loader_with(RECORD_TYPES[section], {})
        records.append(self._record(data))


# Lines checked against the schema at once: few, so that the lines parsed and not yet made stay
# in the processor's cache (5,000 at once made a 100,000-identity scan's history read half as slow again)
CHECKED_AT_ONCE = 100


def _check(batch: list[Any], schema: str) -> None:
    if not is_valid(batch, schema):
        raise ValueError(f"lines that break the schema ({schema})")
