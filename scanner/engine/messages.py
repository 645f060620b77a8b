"""Finding messages: a control's ``message`` template filled in for one resource.

A failing resource's message fills each ``{placeholder}`` with the value in its evidence, or read
from the record; "last used none days ago" reads "never used". Each template is also compiled
once into a function building the message in one expression (a scan writes up to millions); it
answers None where a value is one that reads "never used", and the template is then filled in
part by part, as always.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from itertools import pairwise
from typing import Any

from scanner.engine.controls import CompiledControl
from scanner.engine.emit import Program
from scanner.engine.fields import DATED_AFTER, UNKNOWN, Incomplete, field_accessor
from scanner.model import ResourceRef
from scanner.serialize import format_time

PLAIN = (str, int, float, bool)  # values written into evidence as they are
_LAST_USED, _DAYS_AGO = "last used ", " days ago"

# (record, ref, evidence, ctx) -> the message, or None where the template must be filled part by part
FastMessage = Callable[[Any, ResourceRef, dict[str, Any], Any], str | None]


def json_value(value: Any) -> Any:
    if value is None or type(value) in PLAIN:
        return value
    if value is UNKNOWN:
        return "not collected"
    if type(value) is Incomplete:  # what was collected; the gap is named under not_collected
        return json_value(value.known)
    if isinstance(value, datetime):
        return format_time(value)
    if isinstance(value, frozenset | set):
        return sorted(value)
    return value


def message(
    compiled: CompiledControl, record: Any, ref: ResourceRef, status: str, evidence: dict[str, Any], ctx: Any
) -> str:
    if status == "unknown":
        return f"{ref.name}: could not be assessed{_why_unknown(evidence)}"
    if status == "pass":
        return f"{ref.name}: {compiled.title}"
    parts = compiled.message_parts
    if parts is None:
        return f"{ref.name}: fails '{compiled.title}'"
    text: list[str] = []
    never = False
    for is_value, part in parts:
        if not is_value:
            text.append(part.removeprefix(_DAYS_AGO) if never else part)
            never = False
        elif part == "name":
            text.append(ref.name)
        else:
            if part in evidence:
                value = evidence[part]
            else:
                accessor = field_accessor(compiled.control.resource, part)
                if accessor is None:
                    text.append(part)
                    continue
                value = json_value(accessor(record, ctx))
            if value is None and text and text[-1].endswith(_LAST_USED):  # "last used none days ago"
                text[-1] = text[-1].removesuffix(_LAST_USED) + "never used"
                never = True
                continue
            text.append(_text(value))
    return "".join(text)


def _why_unknown(evidence: dict[str, Any]) -> str:
    """`` (owner not collected; age_days counted from a date after the day judged)``, or nothing."""
    named = evidence.get("not_collected") or [k for k, v in evidence.items() if v == "not collected"]
    later = [k for k, v in evidence.items() if v == DATED_AFTER]
    missing: list[str] = []
    for gap in named:
        field, _, why = gap.partition(": ")
        (later if why == DATED_AFTER else missing).append(field if why == DATED_AFTER else gap)
    parts = [f"{', '.join(missing)} not collected"] if missing else []
    parts += [f"{', '.join(dict.fromkeys(later))} {DATED_AFTER}"] if later else []
    return f" ({'; '.join(parts)})" if parts else ""


def _text(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) if value else "none"
    return "none" if value is None else str(value)


def fast_failure_message(compiled: CompiledControl, evidence_names: set[str]) -> FastMessage | None:
    """The failure message of ``compiled`` as one generated expression, for templates whose values
    are each set between literal text (so "never used" depends on the value alone); None for the
    others. ``evidence_names``: the keys every failing finding's evidence holds."""
    parts = compiled.message_parts
    if not parts or any(a[0] and b[0] for a, b in pairwise(parts)):
        return None
    program = Program()
    lines: list[str] = []
    pieces: list[str] = []
    for index, (is_value, part) in enumerate(parts):
        if not is_value:
            pieces.append(program.constant(part))
            continue
        if part == "name":
            pieces.append("ref.name")
            continue
        value = program.fresh("v")
        if part in evidence_names:
            lines.append(f"{value} = evidence[{program.constant(part)}]")
        else:
            accessor = field_accessor(compiled.control.resource, part)
            if accessor is None:
                pieces.append(program.constant(part))
                continue
            lines.append(f"{value} = JSON({program.constant(accessor)}(record, ctx))")
        if index and not parts[index - 1][0] and parts[index - 1][1].endswith(_LAST_USED):
            lines += [f"if {value} is None:", "    return None"]  # "never used": filled in part by part
        pieces.append(f"({value} if type({value}) is str else TEXT({value}))")
    program.namespace.update(JSON=json_value, TEXT=_text)
    lines.append("return " + " + ".join(pieces))
    name = program.function(lines, "record, ref, evidence, ctx")
    built: FastMessage = program.build()[name]
    return built
