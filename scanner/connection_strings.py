"""The settings of a connection string, read as its drivers read them.

``Name=value`` pairs separated by ``;``. A value may be enclosed so that it can hold ``;``: in
braces as ODBC writes it (``Pwd={a;b}``, ``}}`` standing for ``}``), or in double or single
quotes as ADO.NET writes it (``Password="a;b"``, a doubled quote standing for one). Splitting at
every ``;`` instead would cut such a password in two, and the secret in it would go unseen.

An enclosed value may itself be a connection string: Entity Framework's ``provider connection
string="data source=db;password=X"``, or a shell's ``export DB='Server=db;Password=X;'``. Its
settings are read too, a few levels deep at most (no driver nests further, and each level reads
the text again). Text written by hand does not always enclose as drivers read: ``"...;Password="a
b""`` closes the outer quotes at the inner ones. ``plain_settings`` reads text the simple way,
split at every ``;``, for whoever must find every secret (a redaction) and not only the ones a
driver would see. ``settings_where_they_stand`` reads each enclosed value from where its setting
begins, whatever encloses it: ``export DB='...;Pwd='a;b';'`` closes the shell's quotes at the
password's, and ``"...;Pwd={a"b;c};"`` the outer quotes inside the password's braces.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

_CLOSING = {"{": "}", '"': '"', "'": "'"}
MAX_NESTING = 3  # connection strings inside enclosed values inside ...
# where an enclosed value begins: Pwd={, Password = ", or Password=\" in text that escapes its quotes
# (a connection string inside a JSON string or a shell command, read as written)
_ENCLOSED_VALUE = re.compile(r"=[ \t]*(?:\\(?=[\"']))?[{\"']")
_NAME = re.compile(r"[A-Za-z][\w .-]{0,63}")  # a setting's name: Pwd, Pass Word, Shared Access Key, client_secret
_LONGEST_NAME = 64
_NAME_CHARACTERS_BACKWARDS = re.compile(r"[\w .-]*")  # matched on the reversed text before a sign


@dataclass(frozen=True, slots=True)
class Setting:
    name: str  # as written, spaces inside kept ("User ID")
    value: str  # enclosed: what it stands for, its escapes undone
    start: int  # where the value is in the text, enclosing marks included
    end: int
    enclosed: bool
    depth: int = 0  # 1: a setting of a connection string an enclosed value holds, and so on


def settings(text: str, offset: int = 0, depth: int = 0) -> Iterator[Setting]:
    """Each ``name=value`` setting of ``text``, in order, and those of a connection string an
    enclosed value holds, after it; text without ``=`` between two ``;`` is passed over. An
    enclosed value that is never closed runs to the end of the text. Positions are in ``text``,
    plus ``offset``."""
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
            yield Setting(name, text[start:end].strip(), offset + start, offset + end, False, depth)
            at = end + 1
            continue
        value, inner_end, at = _enclosed(text, at + 1, closing)
        yield Setting(name, value, offset + start, offset + at, True, depth)
        inner = text[start + 1 : inner_end]
        if depth < MAX_NESTING and "=" in inner and ";" in inner:
            yield from settings(inner, offset + start + 1, depth + 1)
        after = text.find(";", at)
        at = length if after < 0 else after + 1


def _enclosed(text: str, at: int, closing: str) -> tuple[str, int, int]:
    """The value enclosed from ``at`` up to ``closing`` (a doubled ``closing`` is one of it), where
    it ends as written (before its closing mark), and where the text goes on after it."""
    pieces = []
    while True:
        found = text.find(closing, at)
        if found < 0:
            pieces.append(text[at:])
            return "".join(pieces), len(text), len(text)
        pieces.append(text[at:found])
        if text.startswith(closing * 2, found):
            pieces.append(closing)
            at = found + 2 * len(closing)
            continue
        return "".join(pieces), found, found + len(closing)


def plain_settings(text: str) -> Iterator[Setting]:
    """Each ``name=value`` between two ``;``, the value to the next ``;`` whatever it holds."""
    start = 0
    for piece in text.split(";"):
        name, equals, value = piece.partition("=")
        if equals:
            at = start + len(name) + 1
            literal = value.strip()
            at += len(value) - len(value.lstrip())
            yield Setting(name.strip(), literal, at, at + len(literal), False)
        start += len(piece) + 1


def settings_where_they_stand(text: str, wanted: Callable[[str], bool]) -> Iterator[Setting]:
    """Each enclosed setting whose name is ``wanted``, its value read from where it begins up to
    its closing mark, as a driver would read it were the setting's string given alone; the text
    around it, and what encloses that, does not count. Each wanted value is read once and the text
    after it searched on, so this is linear in the text whatever it holds."""
    resume = 0
    for sign in _ENCLOSED_VALUE.finditer(text):
        if sign.start() < resume:
            continue
        name = _name_before(text, sign.start())
        if not _NAME.fullmatch(name) or not wanted(name):
            continue
        opening = sign.end() - 1
        escape = "\\" if text[opening - 1] == "\\" else ""  # \" ... \": the escaped quote closes it
        value, _, resume = _enclosed(text, opening + 1, escape + _CLOSING[text[opening]])
        yield Setting(name, value, opening - len(escape), resume, True)


def _name_before(text: str, sign: int) -> str:
    """The name of the setting whose ``=`` is at ``sign``."""
    return name_ending(text[max(0, sign - _LONGEST_NAME) : sign])


def name_ending(text: str) -> str:
    """The name of a setting that ``text`` ends with: the run of name characters at its end (at
    most 64), from its first letter, whatever comes before that (``Use: Pwd``, ``conn=Password``,
    ``(Password``, a backquote)."""
    backwards = _NAME_CHARACTERS_BACKWARDS.match(text[-_LONGEST_NAME:][::-1])
    run = backwards.group(0)[::-1] if backwards else ""
    first_letter = next((at for at, character in enumerate(run) if character.isascii() and character.isalpha()), None)
    return "" if first_letter is None else run[first_letter:].strip()
