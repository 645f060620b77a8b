"""The Jinja2 environment both report templates use: autoescaping on, strict undefined, and filters
that keep attacker-controlled names readable and harmless."""

from __future__ import annotations

import re
from datetime import datetime
from functools import cache

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from scanner.framework_posture import coverage_said, passing_text
from scanner.reports import charts, view
from scanner.reports.reveal import INVISIBLE, reveal
from scanner.resources import templates_dir
from scanner.serialize import dumps, format_time


def shorten(text: object, limit: int = 120) -> str:
    value = reveal(text)
    return value if len(value) <= limit else value[: limit - 1] + "…"


# outside ASCII, what JSON leaves raw but a script element or a reader of the file should not see
# raw: line separators, C1 control characters, bidirectional controls and invisible marks
_ESCAPED_IN_SCRIPT = re.compile(f"[\x7f-\x9f{INVISIBLE}]")


def script_json(data: object) -> str:
    """JSON safe inside a ``<script type="application/json">`` element: no ``</script>``, no
    ``<!--``, no line separators, and no control or bidirectional character written raw, whatever
    the data holds (each is a JSON escape; the page's script shows it as its code point)."""
    text = dumps(data).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    if text.isascii() and "\x7f" not in text:  # isascii is known without reading: most names are ASCII
        return text
    return _ESCAPED_IN_SCRIPT.sub(_json_escape, text)


def _json_escape(match: re.Match[str]) -> str:
    """A character as JSON escapes it: a code point beyond U+FFFF as its UTF-16 surrogate pair."""
    code = ord(match.group())
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def _when(value: datetime | None) -> str:
    return "—" if value is None else format_time(value.replace(microsecond=0)).replace("T", " ").replace("Z", " UTC")


def _day(value: datetime | None) -> str:
    return "—" if value is None else value.strftime("%Y-%m-%d")


def _score(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}"


def first_sentence(text: object) -> str:
    """A remediation's first sentence: the action, without the explanation that follows."""
    value = " ".join(str(text).split())
    match = re.match(r"(.+?[.;])(\s|$)", value)
    return match.group(1).rstrip(";.") + "." if match else value


def _shown(value: object) -> object:
    """Every expression a template writes: text with its hidden characters revealed, wherever a
    template forgot the filter (a failed source's path named the scanned folder raw); markup made
    here (the script's JSON, the style sheet) is written as it is."""
    return reveal(value) if isinstance(value, str) and not isinstance(value, Markup) else value


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(templates_dir()),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_shown,
    )
    env.filters.update(
        reveal=reveal,
        shorten=shorten,
        when=_when,
        day=_day,
        score=_score,
        provider=view.provider_name,
        thousands=lambda n: f"{n:,}",
        plural=view.plural,
        first_sentence=first_sentence,
    )
    env.globals.update(
        severities=view.SEVERITIES, charts=charts, passing_text=passing_text, coverage_said=coverage_said
    )
    return env


def asset(name: str) -> str:
    return (templates_dir() / name).read_text(encoding="utf-8")
