"""Terminal output with rich: the scan summary and the controls/frameworks listings."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import datetime
from operator import attrgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from rich.console import Console
from rich.markup import escape as escape_markup
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from scanner.plain_table import print_plain_table
from scanner.reports.reveal import INVISIBLE

# The scanner modules are imported where they are used: every command (and the exit-code mapping)
# loads this module, and most print one thing.
if TYPE_CHECKING:
    from scanner.diff import Drift, Unassessed
    from scanner.engine.controls import Control
    from scanner.frameworks import Framework
    from scanner.model import Inventory, ScanResult

# control characters, line separators, bidirectional controls and invisible marks (as reports reveal)
_CONTROL_CHARACTERS = re.compile(f"[\x00-\x1f\x7f-\x9f{INVISIBLE}]")


NAMED_SOURCES = 10  # a line names this many sources not read completely, then counts the rest


def first_named(names: list[str], limit: int = NAMED_SOURCES) -> str:
    """``a, b, c and 12 more``: thousands of sources stay one short line (the reports list all)."""
    named = ", ".join(names[:limit])
    return named + (f" and {len(names) - limit:,} more" if len(names) > limit else "")


def inert(text: str) -> str:
    """Data-derived text as it may be printed: control characters (ESC sequences, carriage returns,
    newlines that would start a CI workflow command such as ``::warning::``) and bidirectional
    overrides become ``?``."""
    return _CONTROL_CHARACTERS.sub("?", text)


def escape(text: str) -> str:
    """Data-derived text for rich: inert, and no rich markup."""
    return escape_markup(inert(text))


def _column_text(text: str) -> str:
    """Data-derived text for a progress column: escaped, and its braces doubled, since the column
    fills in ``{task…}`` fields (a path with ``{0}`` in it raised an internal error)."""
    return escape(text).replace("{", "{{").replace("}", "}}")


SEVERITY_STYLES = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan"}
TOP_CONTROLS = 10


PIPED_WIDTH = 1000  # piped output is as wide as its tables need: scripts and logs get whole cells


class _WholeCellsConsole(Console):
    """A console whose tables wrap their cells (long words fold) instead of cutting them with an
    ellipsis when the terminal is narrower than the table."""

    def print(self, *objects: Any, **options: Any) -> None:
        for renderable in objects:
            if isinstance(renderable, Table):
                for column in renderable.columns:
                    column.no_wrap = False
                    column.overflow = "fold"
        super().print(*objects, **options)


def _console() -> Console:
    out = _WholeCellsConsole(highlight=False, soft_wrap=False)
    return out if out.is_terminal else _WholeCellsConsole(highlight=False, soft_wrap=False, width=PIPED_WIDTH)


def _block_as_written(path: str, key: str) -> str | None:
    """A top-level block of a control file exactly as its author indented it (None when unreadable)."""
    from scanner.errors import InputError
    from scanner.loading import read_text

    try:  # found in a controls folder: not read if swapped for a pipe since it was loaded
        lines = read_text(Path(path), found=True).splitlines()
    except InputError:
        return None
    for index, line in enumerate(lines):
        if line.startswith(f"{key}:"):
            block = [line]
            for following in lines[index + 1 :]:
                if following and not following[0].isspace() and not following.startswith("#"):
                    break
                block.append(following)
            return "\n".join(block).rstrip()
    return None


class _IndentedDumper(yaml.SafeDumper):
    """YAML with list items indented under their key, as the control files are written."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


PHASES = ("collect", "evaluate", "write")


def working(message: str, quiet: bool = False) -> AbstractContextManager[object]:
    """A spinner with the elapsed time on stderr while a slow step runs, so a long step shows it is
    alive; the message starts with its phase (collect, evaluate, write). Nothing when quiet or not
    on a terminal."""
    errors = Console(stderr=True, highlight=False)
    if quiet or not errors.is_terminal:
        return nullcontext()
    return _spinner(errors, message)


@contextmanager
def _spinner(errors: Console, message: str) -> Iterator[None]:
    phase = message.split(" ", 1)[0]
    label = f"[{PHASES.index(phase) + 1}/{len(PHASES)}] {message}" if phase in PHASES else message
    with Progress(
        SpinnerColumn(), TextColumn(_column_text(label)), TimeElapsedColumn(), console=errors, transient=True
    ) as bar:
        bar.add_task(label, total=None)
        yield


def phase_done(message: str, quiet: bool = False) -> None:
    """One line on stderr when a phase ends (on a terminal): what it found, with totals."""
    errors = Console(stderr=True, highlight=False)
    if not quiet and errors.is_terminal:
        errors.print(f"[green]✓[/] {escape(message)}")


def inventory_totals(inventory: Inventory) -> str:
    """``2 AWS accounts, 1 Azure tenant, 2 GCP projects in 3 regions · 312 identities, 410 credentials,
    14 agents`` (regions: those the sources read, where they read by region)."""
    from scanner.reports.view import plural, provider_name

    scopes = Counter((account.provider, account.kind) for account in inventory.accounts)
    where = ", ".join(
        plural(count, f"{provider_name(provider)} {kind}") for (provider, kind), count in sorted(scopes.items())
    )
    regions = {region for account in inventory.accounts for region in account.attributes.get("regions") or []}
    if regions:
        where += f" in {plural(len(regions), 'region')}"
    records = ", ".join(
        plural(len(records), noun)
        for noun, records in (
            ("identity", inventory.identities),
            ("credential", inventory.credentials),
            ("agent", inventory.agents),
            ("log source", inventory.log_sources),
        )
    )
    return f"{where or 'no accounts'} · {records}"


class ProgressTicks:
    """Advances a progress bar by one (``ticks()``) and tells it how many steps are now known
    (``ticks.known(n)``): a source learns how many accounts it has only after listing them."""

    def __init__(self, bar: Progress | None = None, task: TaskID | None = None) -> None:
        self._bar, self._task = bar, task

    def __call__(self) -> None:
        if self._bar is not None and self._task is not None:
            self._bar.advance(self._task)

    def known(self, total: int) -> None:
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, total=total)


@contextmanager
def progress(description: str, quiet: bool = False, total: int | None = None) -> Iterator[ProgressTicks]:
    """A progress bar on stderr, "done/known"; yields its ticks (which do nothing when quiet)."""
    errors = Console(stderr=True, highlight=False)
    if quiet or not errors.is_terminal:
        yield ProgressTicks()
        return
    columns = (
        SpinnerColumn(),
        TextColumn(_column_text(description)),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=errors, transient=True) as bar:
        yield ProgressTicks(bar, bar.add_task(description, total=total))


_SEVERITY_STATUS = attrgetter("severity", "status")


def print_summary(result: ScanResult, written: Sequence[Path]) -> None:
    from scanner import framework_console
    from scanner.engine.waivers import ONLY_UNKNOWN
    from scanner.frameworks import SEVERITY_WEIGHTS, grade
    from scanner.reports.view import gate_verdict, results_line

    out = _console()
    score = "n/a" if result.score is None else f"{result.score:.1f}"
    out.print(f"[bold]Posture score {score}[/] (grade {grade(result.score)}) as of {result.scan.as_of:%Y-%m-%d}")
    out.print(results_line(result))

    statuses = Counter(map(_SEVERITY_STATUS, result.findings))
    table = Table(title="Findings by severity")
    for column in ("severity", "fail", "waived", "unknown"):
        table.add_column(column, justify="left" if column == "severity" else "right")
    for severity, style in SEVERITY_STYLES.items():
        table.add_row(
            f"[{style}]{severity}[/]",
            *(str(statuses.get((severity, status), 0)) for status in ("fail", "waived", "unknown")),
        )
    out.print(table)

    failing = sorted(
        (c for c in result.controls if c.counts.get("fail")),
        key=lambda c: (-SEVERITY_WEIGHTS[c.severity], -c.counts["fail"], c.id),
    )
    if failing:
        top = Table(title=f"Top failing controls ({min(len(failing), TOP_CONTROLS)} of {len(failing)})")
        top.add_column("control", no_wrap=True)
        top.add_column("severity")
        top.add_column("fail", justify="right")
        top.add_column("title", overflow="fold")
        for control in failing[:TOP_CONTROLS]:
            style = SEVERITY_STYLES[control.severity]
            top.add_row(
                control.id, f"[{style}]{control.severity}[/]", str(control.counts["fail"]), escape(control.title)
            )
        out.print(top)

    out.print(framework_console.posture_table(result.frameworks))

    for source in result.scan.sources:
        if source.status != "complete":
            calls = ", ".join(escape(e.call) for e in source.errors) or "no detail"
            out.print(f"[yellow]source {escape(source.name)}:{escape(source.account)} {source.status}[/]: {calls}")
    waivers = result.waivers
    if waivers.applied or waivers.expired or waivers.unmatched:
        only_unknown = len(waivers.unknown_only)
        out.print(
            f"Waivers: {len(waivers.applied)} applied, turning {result.gate.get('waived_findings', 0)} "
            f"failing finding(s) green; {len(waivers.expired)} expired, "
            f"{len(waivers.unmatched) - only_unknown} matched nothing"
            + (f", {only_unknown} {ONLY_UNKNOWN.replace('matches', 'matched')}" if only_unknown else "")
        )
        for waiver in waivers.expired:
            out.print(
                f"[yellow]expired waiver[/] {escape(waiver.control)} {escape(waiver.resource)} ({waiver.expires})"
            )
        for waiver in waivers.unmatched:
            matched = ONLY_UNKNOWN if waiver in waivers.unknown_only else "matched nothing"
            out.print(f"[yellow]waiver {matched}[/] {escape(waiver.control)} {escape(waiver.resource)}")
    for waiver in waivers.expiring:
        out.print(
            f"[yellow]waiver expires soon[/] {escape(waiver.control)} {escape(waiver.resource)} "
            f"on {waiver.expires} (owner {escape(waiver.owner)})"
        )
    gate = result.gate
    state = "[green]passed[/]" if gate["passed"] else "[red]failed[/]"
    out.print(f"Gate (fail on {gate['fail_on']}): {state}. {escape(gate_verdict(result))}")
    for path in written:
        out.print(f"wrote {escape(str(path))}")


def print_controls(controls: Sequence[Control]) -> None:
    from scanner.engine.conditions import substitute_params

    table = Table(title=f"{len(controls)} controls")
    for column in ("id", "severity", "resource", "title"):
        table.add_column(column, overflow="fold")
    for control in controls:
        style = SEVERITY_STYLES[control.severity]
        title = substitute_params(control.title, control.params, ("title",))
        table.add_row(control.id, f"[{style}]{control.severity}[/]", control.resource, escape(title))
    _console().print(table)


def print_control(control: Control, frameworks: Mapping[str, Framework]) -> None:
    from scanner import framework_console
    from scanner.engine.conditions import substitute_params

    out = _console()
    out.print(f"[bold]{control.id}[/] {escape(substitute_params(control.title, control.params, ('title',)))}")
    out.print(f"severity: {control.severity}   resource: {control.resource}   file: {escape(control.path)}")
    if control.params:
        out.print("params: " + ", ".join(f"{k}={v}" for k, v in control.params.items()))
    for label, condition in (("where", control.where), ("require", control.require)):
        if condition is not None:
            written = _block_as_written(control.path, label)
            if written is None:
                dumped = yaml.dump(condition, Dumper=_IndentedDumper, sort_keys=False, width=100).rstrip()
                written = f"{label}:\n" + "\n".join("  " + line for line in dumped.splitlines())
            out.print("\n".join(escape(line) for line in written.splitlines()))  # each line made inert
    framework_console.print_control_mappings(out, control, frameworks)
    out.print(f"rationale: {escape(control.rationale.strip())}")
    out.print(f"remediation: {escape(control.remediation.strip())}")


def print_frameworks(frameworks: Mapping[str, Framework], controls: Sequence[Control]) -> None:
    from scanner import framework_console

    framework_console.print_frameworks(_console(), frameworks, controls)


def print_framework(framework: Framework, controls: Sequence[Control], from_version: str | None = None) -> None:
    from scanner import framework_console

    if from_version is not None:
        framework_console.print_crosswalk(_console(), framework, from_version)
    else:
        framework_console.print_framework(_console(), framework, controls)


def _unassessed_table(title: str, listed: list[Unassessed], when: str) -> Table:
    """Failures one of the two scans did not judge, each with why (``when``: "now" or "before")."""
    table = Table(title=title)
    for column in ("severity", "control", "resource", "why"):
        table.add_column(column)
    for unassessed in listed[:200]:
        finding = unassessed.finding
        why = {
            "unknown": f"unknown {when}",
            "control_not_evaluated": "control not evaluated",
            "control_changed": "control changed (parameters or conditions)",
        }.get(unassessed.reason)
        if unassessed.source is not None:
            why = f"{escape(unassessed.source.label)} {unassessed.source.status}"
        elif unassessed.detail is not None:
            why = escape(unassessed.detail)
        table.add_row(finding.severity, finding.control_id, escape(finding.resource.name[:80]), why)
    return table


def print_drift(drift: Drift) -> None:
    from scanner.reports.view import plural

    out = _console()
    old = "n/a" if drift.old_score is None else f"{drift.old_score:.1f}"
    new = "n/a" if drift.new_score is None else f"{drift.new_score:.1f}"
    # a score can rise because less was read: the headline says so beside it
    partly = (
        f" ({plural(len(drift.incomplete_sources), 'source')} not read completely: the newer score rests on less)"
        if drift.incomplete_sources
        else ""
    )
    out.print(f"[bold]Drift[/] {escape(drift.old_scan)} → {escape(drift.new_scan)}: score {old} → {new}{partly}")
    if not drift.inventory_compared:
        out.print("Records not compared: one of the files predates results 1.1 and carries no inventory.")
    not_seen = "Not seen (a source of their provider was not read completely: not known to be removed)"
    before = (
        "Not seen before (the older scan did not read completely a source of their provider: not known to be added)"
    )
    listed = (
        ("Added", drift.added),
        ("Removed", drift.removed),
        (not_seen, drift.not_seen),
        (before, drift.not_seen_before),
    )
    for title, records in listed:
        if records:
            table = Table(title=f"{title} ({len(records)})")
            for column in ("type", "kind", "name", "provider"):
                table.add_column(column)
            for record in records[:200]:
                table.add_row(record.type, escape(record.kind), escape(record.name[:80]), escape(record.provider))
            out.print(table)
    if drift.reach:
        lost = " (lost: only where every source of the provider was read)" if drift.incomplete_sources else ""
        table = Table(title=f"Reach changed ({len(drift.reach)}){lost}")
        for column in ("type", "name", "gained", "lost"):
            table.add_column(column)
        for change in drift.reach[:200]:
            table.add_row(change.type, escape(change.name[:80]), ", ".join(change.added), ", ".join(change.removed))
        out.print(table)
    sections = [
        ("New failures", drift.new_failures),
        ("Resolved failures", drift.resolved_failures),
        ("Waived since (failing before, covered by a waiver now)", drift.newly_waived),
    ]
    for title, findings in sections:
        table = Table(title=f"{title} ({len(findings)})")
        for column in ("severity", "control", "resource"):
            table.add_column(column)
        for finding in findings[:200]:
            resource = escape(finding.resource.name[:80])
            if finding.fingerprint in drift.secret_not_held_before and findings is drift.new_failures:
                resource += " (failing before; holds a secret it did not hold then)"
            table.add_row(finding.severity, finding.control_id, resource)
        out.print(table)
    if drift.no_longer_assessed:
        title = f"No longer assessed ({len(drift.no_longer_assessed)}): failing before, not judged now"
        out.print(_unassessed_table(title, drift.no_longer_assessed, "now"))
    if drift.newly_assessed:
        title = f"Newly assessed ({len(drift.newly_assessed)}): failing now, not judged before (not known to be new)"
        out.print(_unassessed_table(title, drift.newly_assessed, "before"))
    if drift.incomplete_sources:
        named = escape(first_named([f"{s.label} ({s.status})" for s in drift.incomplete_sources]))
        out.print(f"[bold]Not read completely by {escape(drift.new_scan)}:[/] {named} (all in diff -o)")


def print_history(rows: Sequence[Mapping[str, object]]) -> None:
    out = _console()
    if not rows:
        out.print("No stored scans.")
        return
    print_plain_table(out, history_table(), [_history_cells(row) for row in rows])


def history_table() -> Table:
    """The history listing's title and columns, without rows."""
    table = Table(title="Stored scans, newest first")
    table.add_column("scan", no_wrap=True, min_width=8)
    table.add_column("finished", no_wrap=True)
    for column in ("group", "score", "grade", "gate", "critical", "high", "new", "resolved"):
        table.add_column(column)
    return table


def _group_cell(row: Mapping[str, object]) -> str:
    """The scan's group, and which shard of it (``prod 2/4``) when it was one shard of a run."""
    group, shard = str(row.get("scan_group") or ""), row.get("shard")
    return f"{group} {shard}".strip() if shard else group


def _gate_cell(row: Mapping[str, object]) -> str:
    """'passed', or why not: the blocking failures, or (none blocking) a partial read or nothing
    assessed, which the history records only as a gate that did not pass."""
    from scanner.listings import incomplete_source_count

    incomplete = incomplete_source_count(row)  # passed: accepted with --allow-partial, not a complete pass
    partly = f"{incomplete} {'source' if incomplete == 1 else 'sources'} incomplete" if incomplete else ""
    if row.get("passed"):
        return f"passed, {partly}" if partly else "passed"
    blocking = row.get("blocking")
    if blocking:
        return f"{blocking} blocking, {partly}" if partly else f"{blocking} blocking"
    return f"failed: {partly}" if partly else "failed"


def _history_cells(row: Mapping[str, object]) -> list[str]:
    failing = row.get("failing") or {}
    assert isinstance(failing, dict)
    score = row.get("score")
    finished = row.get("finished")
    return [
        str(row["id"])[:8],
        finished.strftime("%Y-%m-%d %H:%M") if isinstance(finished, datetime) else str(finished),
        inert(_group_cell(row)),
        "n/a" if score is None else f"{score:.1f}",
        str(row.get("grade")),
        _gate_cell(row),
        str(failing.get("critical", 0)),
        str(failing.get("high", 0)),
        "" if row.get("new_failures") is None else str(row.get("new_failures")),
        "" if row.get("resolved_failures") is None else str(row.get("resolved_failures")),
    ]
