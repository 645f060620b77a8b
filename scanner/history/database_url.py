"""A history database's URL as an error line may show it: without what may be a credential.

A password may hold what a URL uses to separate its parts. Unencoded, ``@`` is cut by SQLAlchemy at
the first one (``postgresql://app:Zq8v@mK9x@host/db``, whose host the driver then names as
``mK9x@host``), ``?`` is kept in the password (``app:Zq8v?T3pL@host``) though it reads as a query,
and a password may be given in the query itself (``?password=…``). So the credential's parts are
gathered from each reading (the text up to the query and to its last ``@``, SQLAlchemy's, the
query's values), taken out of any driver's message shown, and the URL is shown as its scheme and
where the database is, only in a reading that holds none of them.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, unquote

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from scanner.redact import REDACTED, redact_text

_SHORTEST_HIDDEN = 4  # parts shorter than this are not taken out of messages (they would hide ordinary words)
_SHORTEST_CHECKED = 3  # a URL shown holds no credential's part this long
_PART_SEPARATORS = re.compile(r"[:@/?]")
# query settings that name where the database is, never a credential: shown as they are
_PLACE_SETTINGS = {"host", "hostaddr", "port", "dbname", "sslmode", "connect_timeout", "application_name"}
_NOT_SHOWN = "(where: not shown, its text may hold the credentials)"


def shown_url(url: str) -> str:
    """``scheme://host:port/database``, or a SQLite file's URL as it is (it holds no credential)."""
    scheme, separator, rest = url.partition("://")
    if not separator or scheme.startswith("sqlite"):
        return url
    parts = [part for part in _credential_parts(url) if len(part) >= _SHORTEST_CHECKED]
    for place in (rest.split("?", 1)[0].rpartition("@")[2], _place_as_sqlalchemy_reads_it(url)):
        if place is not None and not any(part in place for part in parts):
            return f"{scheme}://{place}"
    return f"{scheme}://{_NOT_SHOWN}"


def without_credentials(text: str, url: str) -> str:
    """``text`` (a driver's message) with each part of ``url``'s credentials taken out, and then
    redacted as any error line is."""
    hidden = [part for part in _credential_parts(url) if len(part) >= _SHORTEST_HIDDEN]
    for part in sorted(hidden, key=len, reverse=True):
        text = text.replace(part, REDACTED)
    return redact_text(text)


def _place_as_sqlalchemy_reads_it(url: str) -> str | None:
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        return None
    host = (parsed.host or "").rpartition("@")[2]
    return f"{host}{f':{parsed.port}' if parsed.port else ''}/{parsed.database or ''}"


def _credential_parts(url: str) -> set[str]:
    scheme, separator, rest = url.partition("://")
    if not separator or scheme.startswith("sqlite"):
        return set()
    before_query, _, query = rest.partition("?")
    found = {before_query.rpartition("@")[0]}
    found |= {value for name, value in parse_qsl(query, keep_blank_values=True) if name not in _PLACE_SETTINGS}
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        parsed = None
    if parsed is not None:
        found |= {parsed.username or "", parsed.password or "", (parsed.host or "").rpartition("@")[0]}
        found |= {str(value) for name, value in parsed.query.items() if name not in _PLACE_SETTINGS}
    parts = found | {piece for whole in found for piece in _PART_SEPARATORS.split(whole)}
    return {part for part in parts | {unquote(part) for part in parts} if part}
