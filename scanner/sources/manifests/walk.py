"""Every string of a manifest, checked for literal credentials; each one found is named by where it
is: file, line and key path (``environmentVariables[0].default``), never by its value.

How a string is checked depends on its key: free text (``instructions``, ``description``) is
searched word by word, a ``command`` as a command line, any other value as a whole (and word by
word when it has spaces). A random-looking value counts as a secret only where credentials are
configured: under ``env``, ``headers`` or ``args``, as a ``value`` or ``default``, or under a key
that names a secret (``key``, ``apiKey``, ``clientSecret``). Elsewhere only known token formats and
URLs carrying credentials count, since digests (``fileSha256``) and identifiers look random too.
What a secret-named key or entry is given (``DB_PASSWORD: X``, ``{"name": "API_KEY", "value": X}``)
is a secret whatever its entropy, as the word after ``password:`` is in text.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any

from scanner.model import Credential
from scanner.secret_detection import (
    ENTRY_VALUE_KEYS,
    FLAG,
    MAX_SEARCHED_LENGTH,
    FoundSecret,
    find_secret,
    find_secret_given_to,
    find_secret_in_argument,
    find_secret_in_command,
    find_secret_in_text,
    is_secret_name,
    named_by_entry,
    plaintext_credential,
    program_argument_secrets,
)

MAX_STRINGS = 20_000  # per file: past it the file's credentials are unknown, not clean
MAX_NOT_LOCATED = 100  # secrets not found as written, each a search of the rest of the file
# What a server is launched or reached with (its command, arguments, environment, headers, URL) is
# never longer than one argument of a program (MAX_SEARCHED_LENGTH): a longer such string, or key,
# is not searched, and the file's credentials are unknown. Free text (instructions, a client's
# pasted history) has no such bound and is searched whole, within the file's size limit.
FREE_TEXT = frozenset({"instructions", "description", "title", "prompt"})
# http_headers: Codex; envs: Goose; environment: OpenCode; with: the inputs of a Continue hub block
_CREDENTIAL_SLOTS = frozenset(
    {"env", "envs", "environment", "headers", "http_headers", "args", "value", "default", "with"}
)
_COMMAND_KEYS = frozenset({"command", "cmd"})  # cmd: Goose's
_LAUNCH_KEYS = _CREDENTIAL_SLOTS | _COMMAND_KEYS | {"url", "serverUrl", "httpUrl"}
_PLAIN_KEY = re.compile(r"^[\w.\-$@:/ ]{1,100}$")
_KEY_SHOWN_AS = "[key]"  # a key that is not a plain name (or is a secret itself) is not repeated


class LineFinder:
    """Where strings are in a file's lines, found by their offset in the lines joined: a search can
    resume where the last one ended, not at the start of its line. A file of one long line (a
    minified JSON of thousands of servers) was searched again from its start for each entry and
    each secret: 3 MB took 533 s."""

    __slots__ = ("starts", "text")

    def __init__(self, lines: list[str]) -> None:
        self.text = "\n".join(lines)
        self.starts = list(accumulate((len(line) + 1 for line in lines[:-1]), initial=0)) if lines else []

    def offset_of_line(self, line: int) -> int:
        """Where the 1-based ``line`` starts (the end of the text for a line past the last)."""
        index = max(0, line - 1)
        return self.starts[index] if index < len(self.starts) else len(self.text)

    def line_at(self, offset: int) -> int:
        return bisect_right(self.starts, offset)

    def find(self, needle: str, offset: int) -> int:
        return self.text.find(needle, offset)


def line_of(lines: list[str], needle: str, after: int = 0) -> int:
    """1-based line of the first occurrence of ``needle`` at or after line ``after``."""
    for index in range(max(0, after - 1), len(lines)):
        if needle in lines[index]:
            return index + 1
    return max(1, after)


@dataclass(slots=True)
class SecretScan:
    """The plaintext secrets found in one file, and whether all of its strings were checked."""

    holder: str
    relpath: str
    lines: list[str]
    credentials: list[Credential] = field(default_factory=list)
    strings_left: int = field(default_factory=lambda: MAX_STRINGS)
    strings_checked: int = 0
    too_long: int = 0  # launch strings and keys longer than MAX_SEARCHED_LENGTH, not searched
    truncated: bool = False  # strings were left unchecked: the file's credentials are unknown
    _found_at: dict[str, int] = field(default_factory=dict)  # by fingerprint, its line: the same secret twice
    _finder: LineFinder | None = None
    _not_located: int = 0

    def check(
        self,
        scope: str | None,
        node: Any,
        after: int = 0,
        skip: frozenset[str] = frozenset(),
        under: str = "",
        at: int | None = None,
    ) -> None:
        """Checks every string in ``node`` (but not the keys in ``skip`` at its top); ``scope`` names
        the server or tool the secrets belong to (None: the file itself); ``under``: the key ``node``
        is read as standing under (``env``: each of its values is where credentials go). ``node``
        is written at line ``after``, or from offset ``at`` of the lines joined (``EntryLines.found``)."""
        resume = [-1]  # where the last secret of this node was found: the next is written after it
        for path, key, parent, value, given_name, by_program in self._strings(node, skip, under):
            # a mapping key (key None) holds a secret only in a known token format
            found = find_secret(value, entropy=False) if key is None else _secret_in(key, parent, value, given_name)
            found = found or by_program
            if found is not None:
                needle = value[found.at : found.at + 24].split("\n")[0]
                # a mapping's keys are checked before its values: a key's secret does not move where
                # the values' secrets are looked for
                line = self._locate(needle, after, at, found.fingerprint, resume if key is not None else [-1])
                self.credentials.append(_credential(self.holder, scope, path, found, self.relpath, line))

    def unchecked(self) -> str | None:
        """Why some of the file's strings were not checked for secrets (its credentials are then
        unknown), or None when every one was."""
        reasons = []
        if self.too_long:
            reasons.append(
                f"{self.too_long:,} string(s) longer than {MAX_SEARCHED_LENGTH:,} characters (more than any "
                "program is given as one argument) were not checked for secrets"
            )
        if self.truncated:
            reasons.append(f"only the first {self.strings_checked:,} strings were checked for secrets")
        return "; ".join(reasons) or None

    def finder(self) -> LineFinder:
        """The file's lines for finding strings in, made once per file (a .claude.json's servers are
        read project by project: one per project was 2,000 copies of 16 MB)."""
        if self._finder is None:
            self._finder = LineFinder(self.lines)
        return self._finder

    def _locate(self, needle: str, after: int, at: int | None, fingerprint: str, resume: list[int]) -> int:
        """The line of a found secret, at or below where the node it is in is written (offset ``at``,
        else line ``after``): a node's secrets are found in the order they are written, so each is
        looked for from where the last one was (``resume``); one seen before, from the line after the
        one it was last found on. A secret not found as written (an escape) stands at ``after``; past
        MAX_NOT_LOCATED of them, all do."""
        if self._not_located >= MAX_NOT_LOCATED:
            return max(1, after)
        finder = self.finder()
        origin = finder.offset_of_line(after) if at is None else at
        previous = self._found_at.get(fingerprint)  # its line: the same secret again is on a later one
        start = max(origin, resume[0], finder.offset_of_line(previous + 1) if previous is not None else 0)
        found = finder.find(needle, start)
        if found < 0 and start > origin:
            found = finder.find(needle, origin)
        if found < 0:
            self._not_located += 1
            return max(1, after)
        resume[0] = found
        line = self._found_at[fingerprint] = finder.line_at(found)
        return line

    def _strings(
        self, node: Any, skip: frozenset[str], under: str = ""
    ) -> Iterator[tuple[str, str | None, str, str, str, FoundSecret | None]]:
        """(key path, key, parent key, string, the name it is given, the secret its program's
        password flag gives it) for each string in ``node``, in document order; a string is given
        its key's name, or its entry's (``{"name": "API_KEY", "value": X}``); an argument of a
        launched program may be its password (``"command": "sshpass", "args": ["-p", X]``).
        A string anywhere under a launch key (``env.A.B`` as well as ``env.A``) is held to the
        bound of one argument."""
        pending: list[tuple[str, str, str, Any, str, FoundSecret | None, bool]] = [
            ("", under, "", node, "", None, under in _LAUNCH_KEYS)
        ]
        by_program: dict[int, dict[int, FoundSecret]] = {}  # by the id of an args list
        while pending:
            path, key, parent, item, given_name, program_gives, launching = pending.pop()
            if type(item) is int or type(item) is float:
                item = str(item)  # DB_PASSWORD: 80651234977, a password written without quotes
            if isinstance(item, str):
                if len(item) > MAX_SEARCHED_LENGTH and launching:
                    self.too_long += 1
                    continue
                if self.strings_left <= 0:
                    self.truncated = True
                    return
                self.strings_left -= 1
                self.strings_checked += 1
                yield path, key, parent, item, given_name, program_gives
            elif isinstance(item, dict):
                children = []
                # a VS Code input asked for as a password ({"password": true, "default": X}) defaults to one
                entry_name = "password" if item.get("password") is True else named_by_entry(item)
                launched, args = item.get("command", item.get("cmd")), item.get("args")  # cmd: Goose
                if isinstance(launched, str) and isinstance(args, list):
                    by_program[id(args)] = program_argument_secrets(launched, args)
                elif isinstance(launched, list) and launched and isinstance(launched[0], str):  # OpenCode's
                    found = program_argument_secrets(launched[0], launched[1:])  # [program, arguments…]
                    by_program[id(launched)] = {index + 1: secret for index, secret in found.items()}
                for name, child in item.items():
                    name = str(name)
                    if not path and name in skip:
                        continue
                    shown = name
                    if len(name) > MAX_SEARCHED_LENGTH:
                        self.too_long += 1
                        shown = _KEY_SHOWN_AS
                    elif not _PLAIN_KEY.match(name) or find_secret(name, entropy=False):
                        shown = _KEY_SHOWN_AS
                        yield _join(path, shown), None, key, name, name, None
                    given = entry_name if name in ENTRY_VALUE_KEYS and entry_name is not None else name
                    under_launch = launching or name in _LAUNCH_KEYS
                    children.append((_join(path, shown), name, key, child, given, None, under_launch))
                pending.extend(reversed(children))
            elif isinstance(item, list):
                passwords = by_program.get(id(item), {})
                for index, child in reversed(list(enumerate(item))):
                    given = _flag_name(item, index) or given_name
                    pending.append((f"{path}[{index}]", key, parent, child, given, passwords.get(index), launching))


def _flag_name(items: list[Any], index: int) -> str | None:
    """The flag that names the argument after it (``["--password", X]``), written as a flag: a flag
    may name a secret as a variable does not (``--sig``)."""
    before = items[index - 1] if index else None
    return before if isinstance(before, str) and FLAG.match(before) else None


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _secret_in(key: str, parent: str, value: str, given_name: str) -> FoundSecret | None:
    if key in FREE_TEXT:
        return find_secret_in_text(value)
    if key in _COMMAND_KEYS:
        found = find_secret_in_command(value)
        if found is None and FLAG.match(given_name):  # OpenCode's [program, "--api-key", X]: as args are read
            found = find_secret(value, entropy=True) or find_secret_given_to(given_name, value)
        return found
    where_credentials_go = key in _CREDENTIAL_SLOTS or parent in _CREDENTIAL_SLOTS or is_secret_name(key)
    found = find_secret(value, entropy=where_credentials_go) or find_secret_given_to(given_name, value)
    if found is None:  # --password=X, DB_PASSWORD=X (docker -e)
        found = find_secret_in_argument(value)
    if found is None and len(value.split(maxsplit=1)) > 1:
        found = find_secret_in_text(value)
        if found is None and key == "args":  # ["-c", "sshpass -p X ssh host"]: a shell's command line
            found = find_secret_in_command(value)
    return found


def _credential(holder: str, scope: str | None, place: str, secret: FoundSecret, relpath: str, line: int) -> Credential:
    where = f"{scope}.{place}" if scope is not None else place
    shown = f"{scope} {place}" if scope is not None else place
    return plaintext_credential(holder, where, shown, secret, {"file": relpath, "line": line})
