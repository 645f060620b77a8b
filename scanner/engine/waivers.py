"""Waivers: a failure accepted for a limited time, with a name and a reason on it.

A waiver names a control (id or pattern), a resource-uid pattern, an owner, a reason and an
expiry date at most 365 days after the scan (and after its ``created`` date, when given). On and
after its expiry date it no longer applies and is listed as expired. Owner and reason must say
something. A pattern that matches every control or every resource needs ``scope: all``, so a gate
never turns green by accident: one of wildcards only (``*``) is refused as the file is read, and
any other is judged on what it matches in the scan (``NHI-*`` matches every control, ``[!~]*``
every failing resource of a control), however it is spelled.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import re
from collections import defaultdict
from collections.abc import Callable, Container, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from scanner.errors import InputError
from scanner.loading import validate, yaml_line
from scanner.model import Finding, Waiver, WaiverReport
from scanner.redact import key_ids_masked, redact_text
from scanner.yaml_input import read_yaml

MAX_WAIVER_DAYS = 365


@lru_cache(maxsize=1 << 18)
def _glob(pattern: str) -> Callable[[str], re.Match[str] | None]:
    """``pattern`` compiled once (fnmatch's own cache holds 32,768 patterns: past that, a waivers
    file recompiled each pattern at every match, and 40,000 waivers took minutes)."""
    return re.compile(fnmatch.translate(pattern)).match


def _glob_match(name: str, pattern: str) -> bool:
    """``fnmatch.fnmatchcase``, each pattern compiled once."""
    return _glob(pattern)(name) is not None


@dataclass(frozen=True, slots=True)
class _Origin:
    """Where a loaded waiver was written, for the line refusing it once the scan shows what it matches."""

    waiver: Waiver  # held, so the id it is filed under is not reused
    path: str
    lines: dict[str, str | None]  # "control" and "resource": the line of each key


# the waivers of the file read last, by id (a Waiver is a plain record, written to results.json as it is)
_ORIGINS: dict[int, _Origin] = {}


def load_waivers(path: Path, as_of: dt.datetime) -> list[Waiver]:
    data, node = read_yaml(path)
    validate(data, "waivers", path, node)
    _ORIGINS.clear()
    waivers = []
    for index, raw in enumerate(data["waivers"]):
        for key in ("owner", "reason"):
            if not raw[key].strip():
                raise _error(f"waiver {key} is blank", path, node, index, key)
        for key in ("control", "resource"):
            if _matches_everything(raw[key]) and raw.get("scope") != "all":
                raise _error(
                    f"waiver {key} '{raw[key]}' matches every {key}; say so with 'scope: all' (and a reason)",
                    path,
                    node,
                    index,
                    key,
                )
        expires = _date(raw["expires"], path, node, index, "expires")
        if "created" in raw:
            created = _date(raw["created"], path, node, index, "created")
            if created >= expires:  # it applies until the day before it expires: such a waiver covers no day
                raise _error(
                    f"waiver created {created.isoformat()}, on or after the day it expires {expires.isoformat()}: "
                    "it is never in force",
                    path,
                    node,
                    index,
                    "created",
                )
            # a typo, or a waiver given to a snapshot of a day before it existed; dates are written where
            # the team is: at the scan's time it is already the next day as far east as UTC+14
            if created > (as_of + LATEST_TIME_ZONE).date():
                raise _error(
                    f"waiver created {created.isoformat()}, after the scan date {as_of.date().isoformat()}: it was "
                    "not in force then (to judge the scan as of today, pass --as-of with today's date)",
                    path,
                    node,
                    index,
                    "created",
                )
            if (expires - created).days > MAX_WAIVER_DAYS:
                raise _error(
                    f"waiver lasts {(expires - created).days} days; at most {MAX_WAIVER_DAYS} allowed",
                    path,
                    node,
                    index,
                    "expires",
                )
        if (expires - as_of.date()).days > MAX_WAIVER_DAYS:
            raise _error(
                f"waiver expires {expires.isoformat()}, more than {MAX_WAIVER_DAYS} days after the scan date "
                f"{as_of.date().isoformat()}",
                path,
                node,
                index,
                "expires",
            )
        for key in ("control", "resource"):
            raw[key] = key_ids_masked(raw[key])  # as every uid is: a key id names the key, it is no secret
            # "?token=*" or "?token=[[]REDACTED]" stands for a redacted uid, and holds no secret ("?"
            # stays: it is a query's separator as often as a wildcard, and "?key=X" is a secret)
            literal = raw[key].replace("[[]REDACTED]", "").replace("*", "")
            if redact_text(literal) != literal:  # never matches: every uid was redacted as it was read
                raise _error(
                    f"waiver {key} holds what looks like a secret (not shown); a waiver names resources by their "
                    "uid, and nhiscan removes secrets from every uid it reads",
                    path,
                    node,
                    index,
                    key,
                )
        # what a waiver says is written to every report: a password pasted in a reason is not
        waiver = Waiver(**{k: redact_text(v) if k in _FREE_TEXT and isinstance(v, str) else v for k, v in raw.items()})
        lines = {key: _line(node, index, key) for key in ("control", "resource")}
        _ORIGINS[id(waiver)] = _Origin(waiver, str(path), lines)
        waivers.append(waiver)
    return waivers


_FREE_TEXT = ("owner", "reason", "ticket")
LATEST_TIME_ZONE = dt.timedelta(hours=14)  # UTC+14 (Kiribati): the latest calendar date anywhere
EXPIRING_DAYS = 14  # a waiver that ends this soon is called out in reports and summaries


def has_lapsed(waiver: Waiver, day: dt.date) -> bool:
    """Whether a waiver no longer applies on ``day``: it lapses on its expiry date."""
    return dt.date.fromisoformat(waiver.expires) <= day


def ends_soon(waiver: Waiver, day: dt.date) -> bool:
    """Whether a waiver in force on ``day`` ends within EXPIRING_DAYS of it."""
    return dt.date.fromisoformat(waiver.expires) <= day + dt.timedelta(days=EXPIRING_DAYS)


def apply_waivers(
    findings: list[Finding],
    counts: dict[str, dict[str, int]],
    waivers: list[Waiver],
    as_of: dt.datetime,
    evaluated: Callable[[str], list[str]] | None = None,
) -> WaiverReport:
    """Turn the failures each unexpired waiver covers into waived findings (counts too).
    ``evaluated`` names the resources a control evaluated (passing ones are counted, not kept as
    findings), for telling a catch-all from a narrow pattern; see ``_refuse_catch_alls``."""
    report = WaiverReport()
    today = as_of.date()
    active = []
    for waiver in waivers:
        if has_lapsed(waiver, today):
            report.expired.append(waiver)
        else:
            active.append(waiver)
    _refuse_catch_alls(findings, counts, active, evaluated)
    used: set[int] = set()
    if active:
        first_waiver = _FirstWaiver(active)
        for finding in findings:
            if finding.status != "fail":
                continue
            index = first_waiver(finding.control_id, finding.resource.uid)
            if index is not None:
                finding.status = "waived"
                finding.waiver = active[index]
                control_counts = counts[finding.control_id]
                control_counts["fail"] -= 1
                control_counts["waived"] += 1
                used.add(index)
    rest = [index for index in range(len(active)) if index not in used]
    if rest and used:  # a waiver behind an earlier one covering the same failures covers them too
        behind = _FirstWaiver([active[index] for index in rest])  # those alone: a few, looked up once each
        for finding in findings:
            if finding.status == "waived":
                used.update(rest[index] for index in behind.all(finding.control_id, finding.resource.uid))
    for index, waiver in enumerate(active):
        (report.applied if index in used else report.unmatched).append(waiver)
    if report.unmatched:  # unknown results are never waived: say which waivers match only those
        unmatched = {index for index in range(len(active)) if index not in used}
        covering: set[int] = set()
        every_waiver = _FirstWaiver(active)
        for finding in findings:
            if finding.status == "unknown":
                covering.update(every_waiver.all(finding.control_id, finding.resource.uid) & unmatched)
        report.unknown_only = [active[index] for index in sorted(covering)]
    report.expiring = [w for w in active if ends_soon(w, today)]
    return report


def covering(waivers: list[Waiver], findings: Iterable[Finding], statuses: Container[str]) -> set[int]:
    """The indexes of ``waivers`` covering a finding of one of ``statuses`` among ``findings``, a
    waiver behind an earlier one covering the same result included."""
    every_waiver = _FirstWaiver(waivers)
    covered: set[int] = set()
    if waivers:
        for finding in findings:
            if finding.status in statuses:
                covered |= every_waiver.all(finding.control_id, finding.resource.uid)
    return covered


def first_covering(waivers: list[Waiver]) -> Callable[[str, str], int | None]:
    """(control id, resource uid) -> the index of the first of ``waivers`` covering that result, or None."""
    return _FirstWaiver(waivers)


class _FirstWaiver:
    """Which of the waivers (in their order) covers a control's result for a resource: the waivers
    whose control pattern matches a control id are found once per control; among them a resource
    named exactly is one lookup, and so is a prefix pattern (``arn:…:user/ci*``, the usual form)
    for each length such prefixes have; only other resource patterns are matched one by one.
    (Matching every waiver against every failure took 122 s for 500 waivers on 20,000 identities,
    and every prefix pattern against every failure 191 s for 40,000 of them.)"""

    def __init__(self, waivers: list[Waiver]) -> None:
        self.waivers = waivers
        self.by_control: dict[str, _ControlWaivers] = {}

    def _of(self, control_id: str) -> _ControlWaivers:
        found = self.by_control.get(control_id)
        if found is None:
            found = _ControlWaivers()
            for index, waiver in enumerate(self.waivers):
                if _glob_match(control_id, waiver.control):
                    found.add(index, waiver.resource)
            found.lengths = sorted({len(prefix) for prefix in found.prefixes})
            self.by_control[control_id] = found
        return found

    def __call__(self, control_id: str, resource_uid: str) -> int | None:
        """The first waiver covering the result, or None."""
        of = self._of(control_id)
        named = of.exact.get(resource_uid, [])
        first = min([indexes[0] for indexes in [*of.prefixed(resource_uid), named] if indexes], default=None)
        for index, pattern in of.patterns:
            if first is not None and index > first:
                break
            if _glob_match(resource_uid, pattern):
                return index
        return first

    def all(self, control_id: str, resource_uid: str) -> set[int]:
        """Every waiver covering the result."""
        of = self._of(control_id)
        covering = {index for index, pattern in of.patterns if _glob_match(resource_uid, pattern)}
        for indexes in of.prefixed(resource_uid):
            covering.update(indexes)
        covering.update(of.exact.get(resource_uid, ()))
        return covering


@dataclass(slots=True)
class _ControlWaivers:
    """The waivers of one control: by exact resource and by the literal prefix of a ``prefix*``
    pattern (all, in order), and the other patterns (in order)."""

    exact: dict[str, list[int]] = field(default_factory=dict)
    prefixes: dict[str, list[int]] = field(default_factory=dict)
    patterns: list[tuple[int, str]] = field(default_factory=list)
    lengths: list[int] = field(default_factory=list)

    def add(self, index: int, resource: str) -> None:
        if not _is_pattern(resource):
            self.exact.setdefault(resource, []).append(index)
        elif resource.endswith("*") and not _is_pattern(resource[:-1]):
            self.prefixes.setdefault(resource[:-1], []).append(index)
        else:
            self.patterns.append((index, resource))

    def prefixed(self, resource_uid: str) -> list[list[int]]:
        """The indexes of the prefix patterns ``resource_uid`` begins with, one list per prefix."""
        found = []
        for length in self.lengths:
            if length > len(resource_uid):
                break
            indexes = self.prefixes.get(resource_uid[:length])
            if indexes is not None:
                found.append(indexes)
        return found


NOTHING = "matches nothing"
ONLY_UNKNOWN = "matches only unknown results (not waived: no evidence)"


def unmatched_label(report: WaiverReport, waiver: Waiver) -> str:
    """What an unmatched waiver of ``report`` matched, in the words every listing of it uses."""
    return ONLY_UNKNOWN if waiver in report.unknown_only else NOTHING


def _refuse_catch_alls(
    findings: list[Finding],
    counts: Mapping[str, Mapping[str, int]],
    waivers: list[Waiver],
    evaluated: Callable[[str], list[str]] | None = None,
) -> None:
    """Refuse a waiver without ``scope: all`` whose control pattern matches every control of the
    scan, or whose resource pattern matches every resource a control it names evaluated (two or
    more, some failing: a pattern naming one resource, whatever its key id, is not a catch-all):
    its failures, and its passing and unknown resources too (``evaluated`` names them; without it,
    a control with any of them is given the benefit of the doubt). A narrow pattern that has come
    to cover every failure because the rest were fixed still leaves passing resources outside it,
    and is kept; ``arn*`` leaves none, and waives every failure to come. Judged on the failures
    before any waiver applies, so the answer does not depend on the order of waivers."""
    judged = [w for w in waivers if w.scope != "all"]
    if not judged:
        return
    failing: dict[str, set[str]] = defaultdict(set)
    for finding in findings:
        if finding.status == "fail":
            failing[finding.control_id].add(finding.resource.uid)
    judged_patterns: dict[tuple[str, str], str | None] = {}
    for waiver in judged:
        if (
            _is_pattern(waiver.control)
            and len(counts) > 1
            and all(_glob_match(control_id, waiver.control) for control_id in counts)
        ):
            raise _catch_all(waiver, "control", f"matches every control of the scan ({len(counts)})")
        if not _is_pattern(waiver.resource):
            continue
        for control_id in sorted(failing):
            if not _glob_match(control_id, waiver.control):
                continue
            key = (control_id, waiver.resource)  # waivers of one pattern are judged once
            if key not in judged_patterns:
                judged_patterns[key] = _everything_covered(control_id, waiver.resource, failing, counts, evaluated)
            covered = judged_patterns[key]
            if covered is not None:
                raise _catch_all(waiver, "resource", covered)


def _everything_covered(
    control_id: str,
    pattern: str,
    failing: Mapping[str, set[str]],
    counts: Mapping[str, Mapping[str, int]],
    evaluated: Callable[[str], list[str]] | None,
) -> str | None:
    """How ``pattern`` matches every resource the control evaluated, two or more, some failing;
    None when it leaves one out."""
    uids = failing[control_id]
    if not all(_glob_match(uid, pattern) for uid in uids):
        return None
    others = counts.get(control_id, {})
    if not others.get("pass") and not others.get("unknown"):
        return f"matches every resource {control_id} evaluated ({len(uids)}, all failing)" if len(uids) > 1 else None
    every = evaluated(control_id) if evaluated is not None else []
    if len(every) > 1 and all(_glob_match(uid, pattern) for uid in every):
        return f"matches every resource {control_id} evaluated ({len(every)}, {len(uids)} of them failing)"
    return None


def _is_pattern(text: str) -> bool:
    return any(character in text for character in "*?[")


def refuse_unknown_controls(waivers: list[Waiver], control_ids: Iterable[str]) -> None:
    """Refuse a waiver whose control id or pattern names no control nhiscan has loaded (a typo,
    ``NHI-CRED-0001``; ids are written in capitals): it would match nothing, silently, and the
    failure it was written for would still fail the gate with no word of why. A loaded control
    that a scan leaves out (``--frameworks``, ``controls.disabled``) is a control all the same."""
    known = list(control_ids)
    for waiver in waivers:
        if any(_glob_match(control_id, waiver.control) for control_id in known):
            continue
        cased = [c for c in known if _glob_match(c.lower(), waiver.control.lower())]
        hint = f" (ids are written in capitals: {cased[0]})" if cased else ""
        message = f"waiver control '{waiver.control}' names no control nhiscan has loaded{hint}"
        raise _refused(waiver, "control", message)


def _catch_all(waiver: Waiver, key: str, matches: str) -> InputError:
    message = f"waiver {key} '{getattr(waiver, key)}' {matches}; say so with 'scope: all' (and a reason)"
    return _refused(waiver, key, message)


def _refused(waiver: Waiver, key: str, message: str) -> InputError:
    origin = _ORIGINS.get(id(waiver))
    known = origin is not None and origin.waiver is waiver
    if origin is None or not known:
        return InputError(f"{message} (waiver of {waiver.owner} on {waiver.control} {waiver.resource})")
    return InputError(message, origin.path, origin.lines[key])


def _matches_everything(pattern: str) -> bool:
    """A pattern of wildcards and character classes only ("*", "*?*", "[!~]*"): it names no
    resource or control, and waives whatever exists, now and later."""
    return "*" in pattern and not _CLASSES_AND_WILDCARDS.sub("", pattern)


_CLASSES_AND_WILDCARDS = re.compile(r"\[!?[^\]]*\]|[*?]")


def _date(value: str, path: Path, node: Any, index: int, key: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise _error(f"'{value}' is not a date (expected YYYY-MM-DD)", path, node, index, key) from None


def _error(message: str, path: Path, node: Any, index: int, key: str) -> InputError:
    return InputError(message, str(path), _line(node, index, key))


def _line(node: Any, index: int, key: str) -> str | None:
    line = yaml_line(node, ["waivers", index, key])
    return str(line) if line else None
