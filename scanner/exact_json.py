"""JSON that nhiscan wrote, parsed fast and without losing digits.

orjson reads an integer beyond 64 bits as a float (100000000000000000001 becomes 1e+20); the
standard library's parser keeps it exact. A record's attributes or a finding's evidence may hold
such a number, read from some export, so text that may hold one goes to the latter: text with 19
digits in a row (a fingerprint's hex digits sometimes make such a run; that text is then only
parsed more slowly). In a line (up to 64 KiB), the run is found by making every digit a 9 and
looking for nineteen of them: Python's ``re`` takes ten times as long, and this runs on every line
of a large file. In a longer text (a stored scan's piece), RE2 looks for the run only where a JSON
number may begin, faster than the translation there and blind to a fingerprint's digits.
"""

from __future__ import annotations

from typing import Any

import orjson
import re2

from scanner.loading import parse_json

_DIGITS_AS_NINES = bytes.maketrans(b"0123456789", b"9" * 10)
_LONG_NUMBER = b"9" * 19
# The same where a number may begin: at the start or after one of ``:,[-`` or white space (a
# fingerprint's run follows a quote or a hex letter, so a text of findings seldom holds one). RE2
# looks through 530 MB in about a second, faster than a translation and ``in`` and seven times as
# fast as ``re``; for a line, calling it costs more than the translation.
_LONG_NUMBER_TOKEN = re2.compile(rb"(?:^|[:,\[\s-])[0-9]{19}")
PIECE_OVERLAP = 20  # a text read in pieces keeps this much of the last for the next: a sign and 19 digits
_LINE = 64 * 1024  # up to this long, a text is looked through by translation


def may_hold_long_number(text: bytes) -> bool:
    """Whether ``text`` may hold an integer of 19 digits or more. A text read in pieces is to be
    looked at with the end of the text before it (PIECE_OVERLAP characters), so that a
    number cut by a piece is seen whole."""
    if len(text) <= _LINE:
        return _LONG_NUMBER in text.translate(_DIGITS_AS_NINES)
    return _LONG_NUMBER_TOKEN.search(text) is not None


def loads_exactly(text: bytes) -> Any:
    """``text`` parsed by orjson, or strictly by the standard library's parser where a long number
    may lose digits (its nesting is then the caller's to bound); ValueError where it is not JSON
    (UnicodeDecodeError for text that is not UTF-8)."""
    if may_hold_long_number(text):
        return parse_json(text.decode("utf-8"), check_nesting=False)
    return orjson.loads(text)
