"""The ``nhiscan`` command line: parse, call, and map errors to exit codes (exits.py). Nothing else.

Exit codes: 0 gate passed; 1 unwaived findings at or above --fail-on; 2 bad usage or invalid
input; 3 a source could not be read completely and --allow-partial was not given, the scan
deadline passed, or nothing was assessed; 4 an internal error; 130/143 interrupted by SIGINT/SIGTERM.
"""

from __future__ import annotations

import difflib
import gc
import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from scanner import __version__, console, exits
from scanner.errors import InputError, ReportError, UsageError
from scanner.exits import EXIT_FINDINGS, EXIT_OK, EXIT_PARTIAL, ExitCodeGroup
from scanner.fsutil import output_set, write_atomic
from scanner.listings import (
    HISTORY_FIELDS,
    control_rows,
    crosswalk_rows,
    emit,
    format_option,
    framework_item_rows,
    framework_rows,
    history_rows,
)
from scanner.model import SEVERITIES
from scanner.reports import PAPER_SIZES, ReportSettings, parse_formats, reporters, write_reports

# Everything else is imported where it is used: a command loads only what it needs, so that
# ``nhiscan history`` or ``--help`` never start the cloud SDKs, the sources or the report renderers.
if TYPE_CHECKING:
    from scanner.diff import Side
    from scanner.model import Inventory, ScanResult
    from scanner.reports.executive import ExecutiveView

FAIL_ON_LEVELS = (*SEVERITIES, "none")

_Group = ExitCodeGroup


@click.group(cls=_Group)
@click.version_option(__version__, prog_name="nhiscan")
@click.option("--debug", is_flag=True, envvar="NHISCAN_DEBUG", help="Print the traceback of an internal error.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """Posture scanner for non-human identities and the AI agents that act through them."""
    exits.install(ctx, debug)
    # A large estate's inventory and results are millions of long-lived objects, built in bulk; at
    # the default thresholds the cyclic collector rescans them so often that reading a stored
    # 100k-identity scan takes twice as long. Rarer collections still reclaim cycles.
    gc.set_threshold(100_000, 50, 1000)


def _parse_as_of(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise UsageError(f"--as-of: '{value}' is not a date (YYYY-MM-DD) or ISO 8601 time") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _collect(sources: tuple[str, ...], options: dict[str, Any], quiet: bool = False) -> Inventory:
    from scanner import overlap
    from scanner.linking import link_runtime_identities
    from scanner.model import Inventory
    from scanner.sources import collect, parse_spec, registered

    if not sources:
        raise UsageError("name at least one SOURCE (for example: nhiscan scan demo)")
    specs = overlap.combined_specs([parse_spec(text, {**options, "quiet": quiet}) for text in sources])
    shard = options.get("shard")
    if shard is not None and not shard.first:  # sources without accounts to divide are read by shard 1
        specs = [spec for spec in specs if registered()[spec.name].divides_accounts]
    inventories = []
    with exits.deadline(float(options.get("deadline") or 0), "collecting " + ", ".join(map(str, specs))):
        for spec in specs:
            spinner = not registered()[spec.name].shows_progress
            with console.working(f"collect · {spec}", quiet or not spinner):
                inventories.append((spec, collect(spec)))
    if not inventories:
        return Inventory(collected_at=datetime.now(UTC))
    merged = overlap.merged(inventories)
    link_runtime_identities(merged)
    console.phase_done(f"collected {console.inventory_totals(merged)}", quiet)
    return merged


DEFAULT_DEADLINE_SECONDS = 3 * 3600


def _list_option(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def source_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The options sources read (``--aws-*``), shared by ``scan`` and ``inventory``."""
    for option in reversed(
        [
            click.option("--aws-regions", help="Comma-separated AWS regions (default: every enabled region)."),
            click.option("--aws-accounts", help="Comma-separated AWS account ids to scan (default: all in scope)."),
            click.option("--aws-org-role", help="Role to assume in each AWS Organization account (org-wide scan)."),
            click.option(
                "--azure-cloud",
                type=click.Choice(["public", "usgov", "usgov-dod", "china"], case_sensitive=False),
                help="Azure cloud: Graph and ARM endpoints, token audiences and authority (default: public).",
            ),
            click.option("--gcp-projects", help="Comma-separated GCP project ids."),
            click.option("--gcp-parent", help="organizations/ID or folders/ID: every active project below it."),
            click.option(
                "--gcp-regions", help="Comma-separated regions to look for Vertex AI Agent Engines in (default: all)."
            ),
            click.option(
                "--deadline",
                type=click.FloatRange(0),
                default=DEFAULT_DEADLINE_SECONDS,
                show_default=True,
                envvar="NHISCAN_DEADLINE",
                help="Seconds collection may take in all; then exit 3 naming what did not finish (0: no limit).",
            ),
            click.option(
                "--aws-key-ids",
                type=click.Choice(["auto", "all", "none"]),
                default="auto",
                show_default=True,
                help="List access key ids (one call per user with keys); auto: up to 1,000 such users.",
            ),
        ]
    ):
        command = option(command)
    return command


def _source_settings(**given: str | None) -> dict[str, Any]:
    settings: dict[str, Any] = dict(given)
    for name in ("aws_regions", "aws_accounts", "gcp_projects", "gcp_regions"):
        settings[name] = _list_option(given.get(name))
    return settings


def _use_config(ctx: click.Context, path: Path | None) -> None:
    if path is None:
        return
    from scanner.config import load_config, scan_defaults

    config, origin = load_config(path)
    ctx.meta["nhiscan.config"] = config
    ctx.meta["nhiscan.config_origin"] = origin
    ctx.default_map = {**(ctx.default_map or {}), **scan_defaults(config, path.parent)}


def _scan_epilog() -> str:
    return "\n\n" + "\n".join(
        [
            "\b",
            f"Formats (--format): {', '.join(sorted(reporters()))}.",
            "",
            "\b",
            "Exit codes:",
            "  0  the gate passed",
            "  1  unwaived failures at or above --fail-on (with --baseline: new ones only)",
            "  2  bad usage, invalid input or no usable credentials",
            "  3  a source was not read completely (without --allow-partial), the --deadline passed,",
            "     or nothing was assessed",
            "  4  an internal error",
            "  130/143  interrupted (SIGINT/SIGTERM)",
        ]
    )


def _sources_help() -> str:
    from scanner.sources import registered

    lines = ["\b", "Sources:"]
    for name, info in sorted(registered().items()):
        spec = f"{name}:{info.argument}" if info.argument else name
        lines.append(f"  {spec:<22} {info.summary}")
    return "\n".join(lines)


class _EpilogOnDemand(click.Command):
    """A command whose help epilog is written only when its help is shown: listing the sources
    loads every source (and its cloud SDK), which no other use of the command line should pay for."""

    def __init__(self, *args: Any, epilog_of: Callable[[], str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.epilog_of = epilog_of

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        if self.epilog is None:
            self.epilog = self.epilog_of()
        super().format_epilog(ctx, formatter)


@main.command(
    cls=_EpilogOnDemand,
    epilog_of=lambda: _sources_help() + _scan_epilog(),
    short_help="Collect, evaluate, write reports, store and gate.",
)
@click.argument("sources", nargs=-1)
@click.option(
    "--controls",
    "control_dirs",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Extra directory of controls (and frameworks/ catalogs). Repeatable.",
)
@click.option(
    "--framework", "frameworks", multiple=True, help="Limit to the controls that decide this framework's items."
)
@click.option("--format", "formats", default="html,pdf,json", show_default=True, help="Comma-separated output formats.")
@click.option("-o", "--output-dir", type=click.Path(path_type=Path), default=Path("nhiscan-out"), show_default=True)
@click.option("--paper", type=click.Choice(PAPER_SIZES), default="a4", show_default=True, help="PDF page size.")
@click.option("--fail-on", type=click.Choice(FAIL_ON_LEVELS), default="high", show_default=True)
@click.option("--waivers", type=click.Path(path_type=Path), help="Waivers file (YAML).")
@click.option("--baseline", type=click.Path(path_type=Path), help="Earlier results.json: gate only on new findings.")
@click.option("--as-of", help="Evaluate ages as of this date instead of the collection time.")
@click.option("--allow-partial", is_flag=True, help="Do not exit 3 when a source was read partly or not at all.")
@click.option("--include-passed", is_flag=True, help="List passing results as findings too.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
@click.option("--db", help="History database URL (default: SQLite under ~/.local/share/nhiscan, or $NHISCAN_DB).")
@click.option("--no-history", is_flag=True, help="Do not store this scan in the history.")
@click.option("--scan-group", help="Store this scan in a group (the shards of one sharded scan).")
@click.option("--shard", help="i/n: scan only the accounts, subscriptions and projects of shard i of n.")
@click.option(
    "--scan-run", help="Store this scan as part of run KEY of its group (a CI run id): a merged report takes one run."
)
@click.option(
    "--config",
    type=click.Path(path_type=Path, dir_okay=False),
    is_eager=True,
    expose_value=False,
    callback=lambda ctx, _, value: _use_config(ctx, value),
    help="nhiscan.yaml with sources and options (the command line wins).",
)
@source_options
@click.pass_context
def scan(
    ctx: click.Context,
    sources: tuple[str, ...],
    control_dirs: tuple[Path, ...],
    frameworks: tuple[str, ...],
    formats: str,
    output_dir: Path,
    paper: str,
    fail_on: str,
    waivers: Path | None,
    baseline: Path | None,
    as_of: str | None,
    allow_partial: bool,
    include_passed: bool,
    quiet: bool,
    db: str | None,
    no_history: bool,
    scan_group: str | None,
    shard: str | None,
    scan_run: str | None,
    **source_settings: str | None,
) -> None:
    """Collect SOURCES, evaluate the controls, write reports, store the scan in the history, and gate."""
    from scanner.engine.declarations import account_declarations
    from scanner.history.packing import WORKER_FROM_FINDINGS
    from scanner.history.store import HistoryStore, ResultsPacker, control_set, scan_scope, trend_point
    from scanner.reports.executive import executive_view
    from scanner.scan import ScanOptions, load_catalogs, preflight, run_scan
    from scanner.sharding import Shard

    config = ctx.meta.get("nhiscan.config") or {}
    origin = ctx.meta.get("nhiscan.config_origin")
    if not sources and origin is not None:
        from scanner.config import config_sources

        sources = config_sources(config, origin.path.parent)
    chosen_formats = parse_formats(formats)
    control_config = config.get("controls") or {}
    options = ScanOptions(
        frameworks=list(frameworks),
        fail_on=fail_on,
        waivers=waivers,
        baseline=baseline,
        as_of=_parse_as_of(as_of),
        keep_passed=include_passed,
        allow_partial=allow_partial,
        params=control_config.get("params") or {},
        disabled_controls=control_config.get("disabled") or (),
        accounts=account_declarations(config.get("accounts")),
        config_origin=ctx.meta.get("nhiscan.config_origin"),
    )
    catalogs = load_catalogs(control_dirs)
    preflight(options, catalogs)
    settings = _source_settings(**source_settings)
    settings["shard"] = Shard.parse(shard)
    clock = time.perf_counter()
    inventory = _collect(sources, settings, quiet)
    collected = time.perf_counter()
    with console.working(f"evaluate · {len(catalogs.controls)} controls", quiet):
        result = run_scan(inventory, catalogs, options)
    evaluated = time.perf_counter()
    result.scan.timings = {"collect": round(collected - clock, 3), "evaluate": round(evaluated - collected, 3)}
    store = None if no_history else HistoryStore(db)
    if store is not None:
        shard_of_run = bool(scan_group) and settings["shard"] is not None  # its own accounts in earlier runs
        group = None if shard_of_run else scan_group
        scope = scan_scope(result) if group is None else None
        outside = scan_group if shard_of_run else None  # but for its own earlier runs (with --scan-run)
        controls = control_set(result)  # only scans of the same controls are comparable
        earlier = store.trend(group, scope=scope, outside=outside, controls=controls, run=scan_run)
        result.trend = [*earlier, trend_point(result, store.previous_side(group, scope, outside, controls, scan_run))]
    packer = ResultsPacker(in_worker=len(result.findings) >= WORKER_FROM_FINDINGS) if store is not None else None
    # computed once for the PDF and the history, which keeps it to render the PDF again
    executive = executive_view(result) if store is not None or "pdf" in chosen_formats else None
    try:
        with console.working(f"write · {', '.join(chosen_formats)} to {output_dir}", quiet):
            written = _write_outputs(
                result,
                chosen_formats,
                output_dir,
                paper,
                inventory,
                packer.add if packer is not None and "json" in chosen_formats else None,
                executive,
            )
        if store is not None and packer is not None:
            if "json" not in chosen_formats:  # packed as it would have been written
                packer.add_result(result)
            store.save(result, packer, scan_group, executive, shard=settings["shard"], run=scan_run)
            retention = (config.get("history") or {}).get("retention_days")
            if retention:
                store.prune(int(retention))
    finally:  # ended while the scan still handles signals quietly, not by a finalizer later
        if packer is not None:
            packer.close()
    if not quiet:
        console.print_summary(result, written)
    _exit_as_gate(ctx, result, allow_partial, quiet)


_ACCEPTING_SCAN = "--allow-partial accepts a partial read"
_ACCEPTING_GROUP = "a run whose shards all ran with --allow-partial, none missing, accepts a partial read"


def _exit_as_gate(
    ctx: click.Context, result: ScanResult, allow_partial: bool, quiet: bool, accepting: str = _ACCEPTING_SCAN
) -> None:
    """Exit as the result's gate says: 3 where a source was not read completely (unless
    ``allow_partial``) or nothing was assessed, else 0 passed or 1 findings block; ``quiet``: the
    reason for a 3 on standard error (the summary names it otherwise; exit 3 is never silent)."""
    if result.gate["incomplete_sources"] and not allow_partial:
        if quiet:
            click.echo(exits.error_line(_not_read_completely(result, accepting)), err=True)
        ctx.exit(EXIT_PARTIAL)
    if result.gate.get("nothing_assessed"):
        if quiet:
            from scanner.reports.view import gate_verdict

            click.echo(exits.error_line(gate_verdict(result)), err=True)
        ctx.exit(EXIT_PARTIAL)
    ctx.exit(EXIT_OK if result.gate["passed"] else EXIT_FINDINGS)


def _not_read_completely(result: ScanResult, accepting: str = _ACCEPTING_SCAN) -> str:
    """``not read completely (2 failed, 1 partial): aws:1, aws:2, aws:3 (--allow-partial …)``: at
    most ten named, so thousands of sources stay one short line (the reports list all);
    ``accepting``: what would have accepted them."""
    statuses = Counter(s.status for s in result.scan.sources if s.status != "complete")
    how = ", ".join(f"{count:,} {status}" for status, count in sorted(statuses.items()))
    names = console.first_named(result.gate["incomplete_sources"])
    return f"not read completely ({how}): {names} ({accepting})"


@main.command(cls=_EpilogOnDemand, epilog_of=_sources_help, short_help="Collect only: write the inventory to a file.")
@click.argument("sources", nargs=-1)
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True, help="Inventory JSON to write.")
@click.option("--allow-partial", is_flag=True, help="Do not exit 3 when a source was read partly or not at all.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
@source_options
@click.pass_context
def inventory(
    ctx: click.Context,
    sources: tuple[str, ...],
    output: Path,
    allow_partial: bool,
    quiet: bool,
    **source_settings: str | None,
) -> None:
    """Collect SOURCES and write the inventory only (evaluate it later with inventory:FILE)."""
    from scanner.inventory_io import save_inventory

    collected = _collect(sources, _source_settings(**source_settings), quiet)
    save_inventory(collected, output)
    counts = ", ".join(f"{len(getattr(collected, name))} {name}" for name in ("identities", "credentials", "agents"))
    click.echo(f"wrote {output} ({counts})")
    incomplete = [s for s in collected.sources if s.status != "complete"]
    if incomplete and not allow_partial:
        ctx.exit(EXIT_PARTIAL)
    if not collected.holds_subjects():  # nothing in scope: exit 3
        found = "the sources held no identities, credentials or agents; check the source paths and the scope"
        click.echo(exits.error_line(found), err=True)
        ctx.exit(EXIT_PARTIAL)


def _write_outputs(
    result: ScanResult,
    formats: list[str],
    output_dir: Path,
    paper: str,
    inventory: Inventory | None = None,
    results_sink: Callable[[bytes], None] | None = None,
    executive: ExecutiveView | None = None,
) -> list[Path]:
    """The reports (and the inventory) of one scan, moved into ``output_dir`` as a set. A new scan
    (``inventory`` given) also removes the files an earlier scan wrote there that this one did not,
    so the folder never holds files of two scans, and records in results.json how long writing the
    rest took; re-rendering (``nhiscan report``) removes nothing, since its input may be the
    results.json in that folder. ``results_sink`` sees results.json's bytes as they are written;
    ``executive``: the scan's executive view, where it is computed already. A report that cannot be
    rendered does not hold back the others."""
    from scanner.inventory_io import save_inventory, shared_record_lists
    from scanner.serialize import lines_shared

    failure: ReportError | None = None
    owned = [r.filename for r in reporters().values()] + ["inventory.json"] if inventory is not None else []
    timings = result.scan.timings if inventory is not None else None
    try:
        reported = result.inventory if "json" in formats else None
        shared = shared_record_lists(inventory, reported) if inventory is not None and reported is not None else []
        with output_set(output_dir, owned) as staging, lines_shared(shared, staging):  # encoded once, written twice
            started = time.perf_counter()
            if inventory is not None:
                try:
                    save_inventory(inventory, staging / "inventory.json")
                except ReportError as exc:  # nothing moves: the folder keeps what it held
                    raise _named_as_written(exc, staging, output_dir) from None
            if timings is not None:
                timings["write"] = round(time.perf_counter() - started, 3)
            try:
                settings = ReportSettings(paper=paper, executive=executive)
                write_reports(result, formats, staging, settings, timings, results_sink)
            except ReportError as exc:
                failure = _named_as_written(exc, staging, output_dir)
            names = sorted(path.name for path in staging.iterdir())
    except OSError as exc:
        raise ReportError(f"{output_dir}: cannot write: {exc.strerror or exc}") from None
    if failure is not None:
        raise failure
    return [output_dir / name for name in names]


def _named_as_written(error: ReportError, staging: Path, output_dir: Path) -> ReportError:
    """The error naming each file where it was to be written, not in the staging folder (gone by
    the time the error is read)."""
    return ReportError(str(error).replace(str(staging), str(output_dir)))


def _is_stored_id(reference: str) -> bool:
    """A RESULTS argument names a stored scan (its id or a unique prefix), not a results.json file."""
    return not Path(reference).exists() and re.fullmatch(r"[0-9a-zA-Z-]{4,}", reference) is not None


def _results_document(reference: str, db: str | None) -> tuple[Any, Path]:
    """A results.json path, or the id (or a unique prefix) of a stored scan: the parsed document,
    and where it came from."""
    from scanner.history.store import HistoryStore
    from scanner.loading import read_json

    if not _is_stored_id(reference):
        path = Path(reference)
        return read_json(path), path
    data = HistoryStore(db, must_exist=True).load_document(reference)
    return data, Path(f"history:{reference}")


def _stored_or_file(reference: str, db: str | None) -> ScanResult:
    from scanner.history.store import HistoryStore
    from scanner.results_file import load_results_file

    if _is_stored_id(reference):
        return HistoryStore(db, must_exist=True).load(reference)
    return load_results_file(Path(reference))


# Formats rendered from the executive view and the result's summary fields alone, which a stored
# scan keeps apart from its findings.
_SUMMARY_FORMATS = frozenset({"pdf"})


def _report_input(reference: str, db: str | None, formats: list[str]) -> tuple[ScanResult, ExecutiveView | None]:
    """What ``nhiscan report`` renders: for the PDF alone of a stored scan, its stored summary
    (its findings are not read); otherwise the whole results."""
    from scanner.history.store import HistoryStore

    if set(formats) <= _SUMMARY_FORMATS and _is_stored_id(reference):
        summary = HistoryStore(db, must_exist=True).load_summary(reference)
        if summary is not None:
            return summary
    return _stored_or_file(reference, db), None


def _diff_side(reference: str, db: str | None) -> Side:
    """What ``nhiscan diff`` reads of a scan: only the findings that changed become model objects;
    of a stored scan, only the blocks of stored findings that hold them are read; a large file is
    read as it is read, keeping only its failing and waived findings' lines."""
    from scanner.diff import side_of_document, side_of_failing
    from scanner.history.store import HistoryStore
    from scanner.results_file import streamed_failing

    if _is_stored_id(reference):
        indexed = HistoryStore(db, must_exist=True).drift_side(reference)
        if indexed is not None:
            return indexed
    else:
        streamed = streamed_failing(Path(reference))
        if streamed is not None:
            return side_of_failing(streamed)
    return side_of_document(*_results_document(reference, db), a_file=not _is_stored_id(reference))


@main.command(short_help="Render the reports of an earlier scan again.")
@click.argument("results", required=False)
@click.option("--format", "formats", default="html,pdf", show_default=True, help="Comma-separated output formats.")
@click.option("-o", "--output-dir", type=click.Path(path_type=Path), default=Path("nhiscan-out"), show_default=True)
@click.option("--paper", type=click.Choice(PAPER_SIZES), default="a4", show_default=True, help="PDF page size.")
@click.option("--db", help="History database URL, for scan ids and groups.")
@click.option("--scan-group", help="Merge the latest run of this group (its shards' latest scans) into one report.")
@click.option("--scan-run", help="With --scan-group: merge this run of the group (its --scan-run key), not the latest.")
@click.option(
    "--gate",
    is_flag=True,
    help="With --scan-group: exit as a scan does on the merged report's verdict (1 findings block, 3 not read).",
)
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
@click.pass_context
def report(
    ctx: click.Context,
    results: str | None,
    formats: str,
    output_dir: Path,
    paper: str,
    db: str | None,
    scan_group: str | None,
    scan_run: str | None,
    gate: bool,
    quiet: bool,
) -> None:
    """Render the reports of an earlier scan, from its RESULTS file (results.json) or its stored scan id,
    or of a whole scan group, without re-scanning."""
    from scanner.history.store import HistoryStore
    from scanner.scan import load_catalogs

    chosen_formats = parse_formats(formats)
    executive = None
    if scan_group and results:
        raise UsageError("name a RESULTS file or scan id, or --scan-group, not both")
    if scan_run and not scan_group:
        raise UsageError("--scan-run names a run of the group given with --scan-group")
    if gate and not scan_group:  # a scan's own verdict was its exit code already
        raise UsageError("--gate judges a merged report: give --scan-group")
    if scan_group:
        from scanner.history.merge import merge_group

        result = merge_group(HistoryStore(db, must_exist=True), load_catalogs(), scan_group, scan_run)
    elif results:
        result, executive = _report_input(results, db, chosen_formats)
    else:
        raise UsageError("name a RESULTS file or scan id, or --scan-group")
    with console.working(f"write · {', '.join(chosen_formats)} to {output_dir}", quiet):
        written = _write_outputs(result, chosen_formats, output_dir, paper, executive=executive)
    if not quiet:
        for path in written:
            click.echo(f"wrote {console.inert(str(path))}")
    if gate:
        if not quiet:
            from scanner.reports.view import gate_verdict

            click.echo(f"Gate (fail on {result.gate['fail_on']}): {console.inert(gate_verdict(result))}")
        _exit_as_gate(ctx, result, bool(result.gate.get("allow_partial")), quiet=True, accepting=_ACCEPTING_GROUP)


@main.command(short_help="Stored scans, newest first, with their scores.")
@click.option("--db", help="History database URL (default: SQLite under ~/.local/share/nhiscan, or $NHISCAN_DB).")
@click.option("--scan-group", help="Only the scans of this group.")
@click.option("--limit", type=click.IntRange(1), default=20, show_default=True)
@click.option("--prune-days", type=click.IntRange(1), help="First delete stored scans older than this many days.")
@format_option
def history(db: str | None, scan_group: str | None, limit: int, prune_days: int | None, output_format: str) -> None:
    """Stored scans, newest first, with their scores and what changed."""
    from scanner.history.store import HistoryStore

    store = HistoryStore(db, must_exist=True)
    if prune_days:
        pruned = store.prune(prune_days)
        click.echo(f"pruned {pruned} {'scan' if pruned == 1 else 'scans'} older than {prune_days} days", err=True)
    rows = store.listing(scan_group, limit, fields=HISTORY_FIELDS)
    if output_format == "table":
        console.print_history(rows)
    else:
        emit(history_rows(rows), output_format)


@main.command(short_help="Write a starter nhiscan.yaml for scheduled scans.")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False), default=Path("nhiscan.yaml"))
def init(path: Path) -> None:
    """Write a commented starter configuration (nhiscan.yaml) for scheduled scans."""
    from scanner.config import STARTER

    if path.exists():
        raise UsageError(f"{path} exists; not overwritten")
    write_atomic(path, STARTER)
    click.echo(f"wrote {path}: edit it, then run nhiscan scan --config {path}")


@main.command(short_help="Drift between two scans: records, reach, failures.")
@click.argument("old")
@click.argument("new")
@click.option("--db", help="History database URL, for scan ids.")
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Also write the drift as JSON to this file.")
@click.option(
    "--fail-on",
    type=click.Choice(FAIL_ON_LEVELS),
    default="none",
    show_default=True,
    help="Exit 1 when NEW has failures at or above this severity that OLD did not; exit 3 when NEW did not "
    "read a source completely.",
)
@click.option(
    "--allow-partial", is_flag=True, help="With --fail-on, do not exit 3 when NEW did not read a source completely."
)
@click.pass_context
def diff(
    ctx: click.Context, old: str, new: str, db: str | None, output: Path | None, fail_on: str, allow_partial: bool
) -> None:
    """Drift between two scans (results.json files or stored scan ids): records added and removed,
    reach that changed, new and resolved failures, failures no longer assessed (unknown now, or in
    a source NEW did not read completely) and failures newly assessed (not judged by OLD)."""
    from scanner.diff import diff_sides, drift_document
    from scanner.reports.view import plural
    from scanner.serialize import dumps_document

    drift = diff_sides(_diff_side(old, db), _diff_side(new, db))
    console.print_drift(drift)
    if output is not None:
        try:
            write_atomic(output, dumps_document(drift_document(drift)))
        except OSError as exc:
            raise ReportError(f"{output}: cannot write: {exc.strerror or exc}") from None
    if drift.new_failures_at_or_above(fail_on):
        ctx.exit(EXIT_FINDINGS)
    unjudged = drift.newly_assessed_at_or_above(fail_on)
    if unjudged:  # no evidence they are old: the gate does not pass on them, nor calls them new
        click.echo(
            exits.error_line(
                f"{plural(len(unjudged), 'failure')} at or above {fail_on} that {drift.old_scan} did not judge "
                "(newly assessed: not known to be new)"
            ),
            err=True,
        )
        ctx.exit(EXIT_FINDINGS)
    if drift.incomplete_sources and fail_on != "none" and not allow_partial:
        gaps = console.first_named([f"{s.label} ({s.status})" for s in drift.incomplete_sources])
        click.echo(
            exits.error_line(f"{drift.new_scan} did not read completely: {gaps} (--allow-partial accepts it)"),
            err=True,
        )
        ctx.exit(EXIT_PARTIAL)


@main.group(cls=_Group)
def controls() -> None:
    """List, show and validate controls."""


@controls.command("list")
@click.option("--controls", "control_dirs", multiple=True, type=click.Path(path_type=Path))
@click.option("--framework", "framework", help="Only controls mapped to this framework id.")
@format_option
def controls_list(control_dirs: tuple[Path, ...], framework: str | None, output_format: str) -> None:
    """List the loaded controls."""
    from scanner.scan import load_catalogs

    catalogs = load_catalogs(control_dirs)
    if framework and framework not in catalogs.frameworks:
        raise UsageError(f"unknown framework id {framework}")
    chosen = [c for c in catalogs.controls if not framework or framework in c.frameworks]
    if output_format == "table":
        console.print_controls(chosen)
    else:
        emit(control_rows(chosen), output_format)


@controls.command("show")
@click.argument("control_id")
@click.option("--controls", "control_dirs", multiple=True, type=click.Path(path_type=Path))
def controls_show(control_id: str, control_dirs: tuple[Path, ...]) -> None:
    """Show one control (any letter case): its condition, parameters and framework mappings."""
    from scanner.scan import load_catalogs

    catalogs = load_catalogs(control_dirs)
    by_id = {c.id.upper(): c for c in catalogs.controls}
    match = by_id.get(control_id.strip().upper())
    if match is None:
        near = difflib.get_close_matches(control_id.strip().upper(), list(by_id), n=5, cutoff=0.6)
        hint = (
            f"; did you mean {', '.join(by_id[n].id for n in near)}?"
            if near
            else "; nhiscan controls list shows them all"
        )
        raise UsageError(f"no control {control_id}{hint}")
    console.print_control(match, catalogs.frameworks)


@controls.command("validate")
@click.argument("directory", type=click.Path(path_type=Path))
def controls_validate(directory: Path) -> None:
    """Validate the controls in DIRECTORY and run the test cases they carry."""
    from scanner.engine.evidence import check_controls
    from scanner.engine.selftest import run_control_tests
    from scanner.resources import controls_dir
    from scanner.scan import load_catalogs

    # loaded as a scan with --controls DIRECTORY loads them, beside the bundled controls: an id the
    # bundled ones hold, or a catalog item naming a bundled control, is judged as the scan judges it
    bundled = directory.resolve() == controls_dir().resolve()
    catalogs = load_catalogs([directory], builtin_controls=not bundled)
    inside = directory.resolve()
    chosen = [c for c in catalogs.controls if bundled or Path(c.path).resolve().is_relative_to(inside)]
    if not chosen:
        raise InputError("no control files (*.yaml) found", str(directory))
    one_sided = [c for c in chosen if not {"fail", "pass"} <= {case.get("expect") for case in c.tests}]
    for control in one_sided:
        click.echo(f"{control.path}: needs at least one failing and one passing test case", err=True)
    if one_sided:
        raise InputError(f"{len(one_sided)} control(s) without a failing and a passing test case", str(directory))
    outcomes = run_control_tests(chosen, catalogs)
    failures = [o for o in outcomes if not o.ok]
    for outcome in failures:
        click.echo(f"{outcome.path}: test '{outcome.name}': {outcome.detail}", err=True)
    click.echo(f"{len(chosen)} controls valid; {len(outcomes) - len(failures)} of {len(outcomes)} test cases passed")
    if failures:
        raise InputError(f"{len(failures)} control test case(s) failed", str(directory))
    problems = check_controls(chosen, catalogs)  # no evidence, no pass: proven for each control
    for problem in problems:
        click.echo(f"{problem.path}: evidence {problem.evidence} not collected: {problem.detail}", err=True)
    if problems:
        raise InputError(f"{len(problems)} gap(s) in the no-evidence-no-pass proof", str(directory))
    click.echo("each control is unknown, never pass, without the evidence it reads")


@main.group(cls=_Group)
def frameworks() -> None:
    """List frameworks and show how their items are covered."""


@frameworks.command("list")
@click.option("--controls", "control_dirs", multiple=True, type=click.Path(path_type=Path))
@format_option
def frameworks_list(control_dirs: tuple[Path, ...], output_format: str) -> None:
    """List the framework catalogs: version, and how many of all their items controls assess."""
    from scanner.scan import load_catalogs

    catalogs = load_catalogs(control_dirs)
    if output_format == "table":
        console.print_frameworks(catalogs.frameworks, catalogs.controls)
    else:
        emit(framework_rows(catalogs.frameworks, catalogs.controls), output_format)


@frameworks.command("show")
@click.argument("framework_id")
@click.option("--controls", "control_dirs", multiple=True, type=click.Path(path_type=Path))
@click.option(
    "--from-version",
    help="Show how the ids of an older version of the framework map to the catalog's version.",
)
@format_option
def frameworks_show(
    framework_id: str, control_dirs: tuple[Path, ...], from_version: str | None, output_format: str
) -> None:
    """Show every item of a framework and the controls that assess it, with their relationship."""
    from scanner.scan import load_catalogs

    catalogs = load_catalogs(control_dirs)
    framework = catalogs.frameworks.get(framework_id)
    if framework is None:
        raise UsageError(f"unknown framework id {framework_id}; known: {', '.join(sorted(catalogs.frameworks))}")
    if from_version is not None and from_version.lstrip("v") not in framework.crosswalks:
        known = ", ".join(sorted(framework.crosswalks)) or "none"
        raise UsageError(f"{framework_id} has no crosswalk from version {from_version}; crosswalks from: {known}")
    old_version = from_version.lstrip("v") if from_version else None
    if output_format != "table":
        rows = (
            crosswalk_rows(framework, old_version) if old_version else framework_item_rows(framework, catalogs.controls)
        )
        emit(rows, output_format)
        return
    console.print_framework(framework, catalogs.controls, old_version)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
