"""The settings of a connection string, read as its drivers read them.

``Name=value`` pairs separated by ``;``. A value may be enclosed so that it can hold ``;``: in
braces as ODBC writes it (``Pwd={a;b}``, ``}}`` standing for ``}``), or in double or single
quotes as ADO.NET writes it (``Password="a;b"``, a doubled quote standing for one). Splitting at
every ``;`` instead would cut such a password in two, and the secret in it would go unseen.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

_CLOSING = {"{": "}", '"': '"', "'": "'"}


@dataclass(frozen=True, slots=True)
class Setting:
    name: str  # as written, spaces inside kept ("User ID")
    value: str  # enclosed: what it stands for, its escapes undone
    start: int  # where the value is in the text, enclosing marks included
    end: int
    enclosed: bool


def settings(text: str) -> Iterator[Setting]:
    """Each ``name=value`` setting of ``text``, in order; text without ``=`` between two ``;`` is
    passed over. An enclosed value that is never closed runs to the end of the text."""
    at, length = 0, len(text)
    while at < length:
        equals = text.find("=", at)
        if equals < 0:
            return
        name = text[at:equals].rpartition(";")[2].strip()
        at = equals + 1
        while at < length and text[at] in " \t":
            at += 1
        start = at
        closing = _CLOSING.get(text[at]) if at < length else None
        if closing is None:
            end = text.find(";", at)
            end = length if end < 0 else end
            yield Setting(name, text[start:end].strip(), start, end, False)
            at = end + 1
            continue
        value, at = _enclosed(text, at + 1, closing)
        yield Setting(name, value, start, at, True)
        after = text.find(";", at)
        at = length if after < 0 else after + 1


def _enclosed(text: str, at: int, closing: str) -> tuple[str, int]:
    """The value enclosed from ``at`` up to ``closing`` (a doubled ``closing`` is one of it), and
    where the text goes on after it."""
    pieces = []
    while True:
        found = text.find(closing, at)
        if found < 0:
            pieces.append(text[at:])
            return "".join(pieces), len(text)
        pieces.append(text[at:found])
        if text.startswith(closing * 2, found):
            pieces.append(closing)
            at = found + 2
            continue
        return "".join(pieces), found + 1
