"""An inventory.json past the input size limit, laid out as nhiscan writes it, read a line at a time.

inventory.json holds one record a line in each section (``save_inventory``); at about 270,000
identities it is past the input size limit (512 MiB), which bounds what a whole read may hold, so
an estate that large could not be scanned again from its own inventory. Read here, each record's
line is parsed as strictly as a whole file is and the text is never held whole; the document this
makes is the one a whole parse makes of the same text, and is checked as that one is.

A file within the limit is read whole, as before: the records' parsed values are held either way
(they are what the model is made of), and one parse of the whole text is the faster (at 100,000
identities, 5.4-5.7 s against 6.3-6.9 s for the whole read of load_inventory). Past the limit, a
file not laid out so is refused in one line saying what broke the layout.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from scanner import loading
from scanner.loading import MAX_DEPTH
from scanner.results_lines import LayoutError
from scanner.streamed_json import LineChecks, parsed_frame, read_line_by_line

_RECORD_DEPTH = MAX_DEPTH - 2  # how deep a record's line may nest: the document and its section hold it


def streamed_inventory_data(path: Path) -> dict[str, Any] | None:
    """The parsed document of an inventory.json past the input size limit laid out as nhiscan
    writes it, not yet checked against the schema; None for any other file, which the caller
    reads whole (and refuses, if past the limit)."""
    past_the_limit = loading.MAX_INPUT_BYTES + 1
    return read_line_by_line(path, _InventoryReading(path), _document, "inventory.json", from_bytes=past_the_limit)


class _InventoryReading(LineChecks):
    """Each record line parsed and kept, by section; the rest of the text kept as the frame."""

    findings_list = False
    section_opening = (b' "', b'": [')
    record_opening = b"  {"

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.records: dict[str, list[Any]] = {}

    def finding_line(self, line: bytes) -> None:  # never called: an inventory has no findings list
        raise LayoutError("a findings list in an inventory")

    def record_line(self, section: str, line: bytes) -> None:
        records = self.records.get(section)
        if records is None:
            records = self.records[section] = []
        records.append(self._parsed(line, _RECORD_DEPTH))


def _document(reading: _InventoryReading, frame_text: bytes, path: Path) -> dict[str, Any]:
    """The frame, parsed, with each section read line by line put back in its place, once the marks
    show those sections were the document's own keys (not lists of the same name nested in some
    other value); LayoutError otherwise."""
    frame = parsed_frame(frame_text, path)
    if frame_text.count(reading.mark) != len(reading.sections):
        raise LayoutError("a section read is not the document's")
    for section in reading.sections:
        if frame.get(section) != [reading.marked]:
            raise LayoutError(f"the {section} read are not the document's")
        frame[section] = reading.records.pop(section, [])
    return frame
