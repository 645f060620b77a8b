"""Reading an earlier results.json back, so any scan can be re-rendered without re-scanning."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from scanner.errors import InputError
from scanner.loading import read_json, validate
from scanner.model import RESULTS_SCHEMA_VERSION, ScanResult
from scanner.serialize import from_dict

T = TypeVar("T")

_SUPPORTED_MAJOR = RESULTS_SCHEMA_VERSION.split(".")[0]


def load_results(path: Path) -> ScanResult:
    """A results.json file (a scan stored in the history is read by history.stored_results)."""
    result = results_from_data(read_json(path), path)
    check_counts_held(*counts_of(result), path)
    return result


def results_from_data(data: object, path: Path, written_by_nhiscan: bool = False) -> ScanResult:
    """A ScanResult from a results.json document (see ``checked_document``)."""
    result = model_from(ScanResult, checked_document(data, path, written_by_nhiscan), path)
    check_findings_controls(result, path)
    return result


def check_findings_controls(result: ScanResult, path: Path) -> None:
    """Each finding is of a control the results list: the reports look each one's up. The schema
    cannot say so, and a results.json written by hand, or stored under a recomputed checksum, may
    hold a finding of none (before, the SARIF stopped with an internal error)."""
    listed = {c.id for c in result.controls}
    if not {f.control_id for f in result.findings} <= listed:
        check_controls_listed([f.control_id for f in result.findings], listed, path)


_KEPT_STATUSES = ("fail", "waived", "unknown")  # every such result is a finding; a pass only with --include-passed


def check_counts_held(
    counts: Iterable[tuple[str, Mapping[str, int]]], held: Mapping[tuple[str, str], int], path: Path
) -> None:
    """Each control's failing, waived and unknown results, as its ``counts`` give them (control id,
    counts), are the findings the file holds (``held``: by control id and status). A report of a
    results.json whose findings were cut by hand (a jq filter, a line deleted) showed counts its own
    list of findings contradicted, the PDF's score and gate counting failures nobody could see, and
    a diff called the cut failures resolved. A scan stored in the history is not asked: its
    checksum holds it as nhiscan wrote it."""
    for index, (control_id, counted) in enumerate(counts):
        for status in _KEPT_STATUSES:
            number, found = counted.get(status, 0), held.get((control_id, status), 0)
            if number != found:
                raise InputError(
                    f"{control_id} counts {number} {status} results, but the file holds {found} such findings "
                    "(findings removed or added by hand?); not read",
                    str(path),
                    f"$.controls[{index}].counts.{status}",
                )


def counts_of(result: ScanResult) -> tuple[list[tuple[str, dict[str, int]]], Counter[tuple[str, str]]]:
    """What ``check_counts_held`` compares, of a result read whole."""
    held = Counter((f.control_id, f.status) for f in result.findings)
    return [(c.id, c.counts) for c in result.controls], held


def check_controls_listed(
    control_ids: list[str], listed: set[str], path: Path, positions: list[int] | None = None
) -> None:
    """Each of the findings' ``control_ids`` is ``listed``; ``positions``: where each finding is in
    results.json's list, when they are not all of it in order."""
    if set(control_ids) <= listed:
        return
    index = next(i for i, control_id in enumerate(control_ids) if control_id not in listed)
    raise InputError(
        f"a finding of a control the results do not list ({control_ids[index]})",
        str(path),
        f"$.findings[{index if positions is None else positions[index]}].control_id",
    )


def model_from(cls: type[T], data: dict[str, Any], path: Path) -> T:
    """``from_dict`` for part of a checked document (see ``unreadable_as_input``)."""
    with unreadable_as_input(path):
        return from_dict(cls, data)


@contextmanager
def unreadable_as_input(path: Path) -> Iterator[None]:
    """Making the model of a checked document: a value the schema admits but the model cannot read
    (a time no calendar has), or a field the model needs that the schema leaves out (a control's
    rationale, say), is the file's error."""
    try:
        yield
    except (ValueError, OverflowError) as exc:
        raise InputError(f"unreadable value: {exc}", str(path)) from None
    except TypeError as exc:
        raise InputError(_incomplete(exc), str(path)) from None


_MISSING_FIELDS = re.compile(r"^(\w+)\.__init__\(\) missing \d+ required (?:positional|keyword-only) arguments?: (.+)$")


def _incomplete(error: TypeError) -> str:
    """What a model class said it lacked, by the names of its own class and fields."""
    said = _MISSING_FIELDS.match(str(error))
    if said is None:
        return "a record lacks a field this nhiscan needs"
    return f"a {said.group(1)} without {said.group(2)}"


def checked_document(data: object, path: Path, written_by_nhiscan: bool = False) -> dict[str, Any]:
    """``data`` once it is known to be a results.json document this nhiscan reads.
    ``written_by_nhiscan``: the document is, byte for byte, what this nhiscan stored (a history
    entry whose checksum matches); if its schema version is this nhiscan's too, validating it again
    would only cost time."""
    if not isinstance(data, dict) or "scan" not in data or "findings" not in data:
        raise InputError("not an nhiscan results file (no 'scan' and 'findings')", str(path), "$")
    version = data.get("schema_version")
    if isinstance(version, str) and version.split(".")[0] != _SUPPORTED_MAJOR:
        raise InputError(
            f"results schema_version {version} is not supported (this nhiscan reads {_SUPPORTED_MAJOR}.x)",
            str(path),
            "$.schema_version",
        )
    if not (written_by_nhiscan and version == RESULTS_SCHEMA_VERSION):
        validate(data, "results", path)
        if "inventory" in data:
            validate(data["inventory"], "inventory", path, at=("inventory",))
    return data
