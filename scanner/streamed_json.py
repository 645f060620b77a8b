"""Reading a large JSON file nhiscan wrote (results.json, inventory.json) a line at a time: what
every such reading shares.

The caller's ``LineReading`` splits the text into the lines of the lists it reads one item at a
time and the frame around them. Each item line is parsed as strictly as a whole file is; the frame
holds a mark of the reading's own in place of each list, so that, once the frame is parsed, the
caller can check that the lists it read were the document's own (and not a list of the same name
nested elsewhere, or one a later key of the same name replaces). A file this reading cannot follow
is read whole where the input size limit allows, so both ways accept and refuse the same documents.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import orjson

from scanner import loading
from scanner.errors import InputError
from scanner.exact_json import loads_exactly
from scanner.gc_pause import collector_paused
from scanner.loading import MAX_DEPTH, UntrustedJSONError, nested_deeper_than, parse_json
from scanner.results_lines import LayoutError, LineReading

STREAM_FROM_BYTES = 64 * 1024 * 1024  # smaller files are read whole
_PIECE = 8 * 1024 * 1024  # bytes read at a time

_T = TypeVar("_T")
_Reading = TypeVar("_Reading", bound="LineChecks")


def read_line_by_line(
    path: Path,
    reading: _Reading,
    finish: Callable[[_Reading, bytes, Path], _T],
    written_as: str,
    frozen: Callable[[_T], bool] = lambda _: False,
    from_bytes: int | None = None,
) -> _T | None:
    """What ``finish`` makes of the file's frame once ``reading`` has had every line; None for a
    file read whole instead (smaller than ``from_bytes``, STREAM_FROM_BYTES unless given, not a
    regular file, or not laid out as ``reading`` expects while within the input size limit).
    ``written_as``: the file nhiscan writes in the layout, for the line refusing a large file that
    is not. ``frozen``: whether what was made is large enough to be kept out of the collector's
    sight (see gc_pause)."""
    try:
        size = path.stat().st_size
        if size < (STREAM_FROM_BYTES if from_bytes is None else from_bytes) or not path.is_file():
            return None
        stream = path.open("rb")
    except OSError:  # read whole, which names the failure as it names any
        return None
    with stream, collector_paused() as pause:  # millions of new objects, none in a cycle
        try:
            while piece := stream.read(_PIECE):
                reading.add(piece)
            done = finish(reading, reading.document(), path)
        except OSError as exc:  # met partway through the file
            raise loading.unreadable(path, exc) from None
        except LayoutError as exc:
            if size <= loading.MAX_INPUT_BYTES:
                return None
            raise InputError(
                f"larger than {loading.MAX_INPUT_BYTES // (1024 * 1024)} MiB and not laid out as nhiscan writes"
                f" {written_as} ({exc})",
                str(path),
            ) from None
        except InputError:
            # met before the frame showed the lines read were the document's own lists (a later
            # key of the same name may replace them): the whole read decides, where it can
            if size <= loading.MAX_INPUT_BYTES:
                return None
            raise
        pause.freeze = frozen(done)
        return done


def parsed_line(line: bytes, depth: int, path: Path) -> Any:
    """A finding's or record's line parsed as strictly as a whole file is (orjson, but the
    standard library's parser where a long number may lose digits as orjson reads it), its
    nesting bounded as a whole file's is; LayoutError where it is not JSON."""
    try:
        data = loads_exactly(line)
    except ValueError as exc:  # UnicodeDecodeError is one
        raise LayoutError(str(exc)) from None
    if line.count(b"{") + line.count(b"[") > depth and nested_deeper_than(data, depth):
        raise InputError(f"invalid JSON: nested more than {MAX_DEPTH} levels", str(path))
    return data


def parsed_frame(text: bytes, path: Path) -> dict[str, Any]:
    """The frame, parsed as a whole file is. A key twice in one object is a LayoutError: which
    list or section stands is then for the whole parse to say."""
    try:
        frame = parse_json(text.decode("utf-8"))
    except UntrustedJSONError as exc:
        raise InputError(f"invalid JSON: {exc}", str(path)) from None
    except ValueError as exc:  # the whole read names it by line and column
        raise LayoutError(f"the text around the lines read one by one: {exc}") from None
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


class LineChecks(LineReading):
    """A file's lines: a mark of this reading's own in place of each list read line by line, and
    each line parsed as strictly as a whole file is."""

    def __init__(self, path: Path) -> None:
        self.marked = f"nhiscan-read-line-by-line-{secrets.token_hex(16)}"
        self.mark = orjson.dumps(self.marked)
        super().__init__(self.mark)
        self._path = path

    def _parsed(self, line: bytes, depth: int) -> Any:
        try:
            return parsed_line(line, depth, self._path)
        except LayoutError as exc:
            raise LayoutError(f"line {self.line_number}: {exc}") from None
