"""The Jinja2 environment both report templates use: autoescaping on, strict undefined, and filters
that keep attacker-controlled names readable and harmless."""

from __future__ import annotations

import re
from datetime import datetime
from functools import cache

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from scanner.framework_posture import passing_text
from scanner.reports import charts, view
from scanner.resources import templates_dir
from scanner.serialize import dumps, format_time

# Bidirectional controls and invisible marks can make a name read as something else
# ("gpj.exe" shown as "exe.jpg"); reports show them as visible code points instead.
_HIDDEN_CHARACTERS = re.compile("[\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")


def reveal(text: object) -> str:
    return _HIDDEN_CHARACTERS.sub(lambda m: f"⟦U+{ord(m.group()):04X}⟧", str(text))


def shorten(text: object, limit: int = 120) -> str:
    value = reveal(text)
    return value if len(value) <= limit else value[: limit - 1] + "…"


def script_json(data: object) -> str:
    """JSON safe inside a ``<script type="application/json">`` element: no ``</script>``, no
    ``<!--``, and no line separators, whatever the data holds."""
    return (
        dumps(data)
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


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


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(templates_dir()),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
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
    env.globals.update(severities=view.SEVERITIES, charts=charts, passing_text=passing_text)
    return env


def asset(name: str) -> str:
    return (templates_dir() / name).read_text(encoding="utf-8")
