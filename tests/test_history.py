"""The scan history on SQLite and on a real PostgreSQL server: stored scans, trends, reports and
drift by scan id, concurrent writers, a killed writer, migrations, configuration, shards and groups."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect as schema_inspect

from scanner.diff import diff_results, drift_document
from scanner.history.store import HistoryStore, ResultsPacker
from scanner.reports.json_results import pieces, render
from scanner.scan import ScanOptions, run_scan
from scanner.serialize import dumps_document
from scanner.sharding import Shard
from scanner.sources import SourceSpec, collect

from .conftest import REPO_ROOT


def demo_scan(catalogs, **options):
    return run_scan(collect(SourceSpec("demo")), catalogs, ScanOptions(**options))


def test_scans_are_stored_and_read_back_with_what_changed(cli, db_url: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert cli("scan", "demo", "--db", db_url, "--format", "json", "--output-dir", str(out), "-q").exit_code == 1
    first = json.loads((out / "results.json").read_text())
    assert cli("scan", "demo", "--db", db_url, "--format", "json,pdf", "--output-dir", str(out), "-q",
               "--fail-on", "critical").exit_code == 1  # fmt: skip
    second = json.loads((out / "results.json").read_text())
    rows = HistoryStore(db_url).listing()
    assert [r["id"] for r in rows] == [second["scan"]["id"], first["scan"]["id"]]
    assert (rows[0]["new_failures"], rows[0]["resolved_failures"]) == (0, 0)
    assert rows[1]["new_failures"] is None, "the first scan has nothing before it"
    assert [p["scan_id"] for p in second["trend"]] == [first["scan"]["id"], second["scan"]["id"]]
    assert second["trend"][-1]["median_credential_age"] > 0
    pdf = subprocess.run(["pdftotext", str(out / "report.pdf"), "-"], capture_output=True, text=True).stdout
    assert "Posture score over the last 2 scans" in pdf

    listing = cli("history", "--db", db_url)
    assert listing.exit_code == 0 and first["scan"]["id"][:8] in listing.output
    again = tmp_path / "again"
    assert cli("report", first["scan"]["id"][:8], "--db", db_url, "--format", "json", "-o", str(again)).exit_code == 0
    assert json.loads((again / "results.json").read_text())["scan"]["id"] == first["scan"]["id"]
    pdf_again = cli("report", second["scan"]["id"][:8], "--db", db_url, "--format", "pdf", "-o", str(again))
    assert pdf_again.exit_code == 0 and (again / "report.pdf").read_bytes().startswith(b"%PDF")
    drift = cli("diff", first["scan"]["id"], second["scan"]["id"], "--db", db_url)
    assert drift.exit_code == 0 and "New failures (0)" in drift.output


def test_a_diff_of_stored_scans_reads_back_what_changed_on_every_database(
    cli, catalogs, db_url: str, tmp_path: Path
) -> None:
    store = HistoryStore(db_url)
    later = collect(SourceSpec("demo"))
    old = demo_scan(catalogs)
    new = run_scan(later, catalogs, ScanOptions(as_of=later.collected_at + timedelta(days=400)))
    for result in (old, new):
        packer = ResultsPacker()  # as the scan command packs results.json while writing it
        for piece in pieces(result):
            packer.add(piece.encode("utf-8"))
        store.save(result, packer)
    drift = cli("diff", old.scan.id, new.scan.id, "--db", db_url, "-o", str(tmp_path / "drift.json"))
    expected = diff_results(old, new)
    assert drift.exit_code == 0 and expected.new_failures
    assert (tmp_path / "drift.json").read_text() == dumps_document(drift_document(expected))
    failing = [{f.fingerprint for f in r.findings if f.status == "fail"} for r in (old, new)]
    (newest, _) = store.listing()
    assert (newest["new_failures"], newest["resolved_failures"]) == (
        len(failing[1] - failing[0]),
        len(failing[0] - failing[1]),
    )


def test_an_unknown_scan_id_is_one_line_and_exit_2(cli, db_url: str, tmp_path: Path) -> None:
    HistoryStore(db_url)  # a history, without that scan
    outcome = cli("report", "deadbeef", "--db", db_url, "-o", str(tmp_path))
    assert outcome.exit_code == 2 and outcome.output.strip() == "nhiscan: error: no stored scan deadbeef"


@pytest.mark.parametrize(
    "command",
    [
        ["history"],
        ["history", "--prune-days", "30"],
        ["report", "deadbeef", "--format", "md"],
        ["report", "--scan-group", "nightly", "--format", "md"],
        ["diff", "deadbeef", "cafebabe"],
    ],
)
def test_commands_that_read_the_history_never_make_a_new_one(cli, tmp_path: Path, command: list[str]) -> None:
    """A mistyped --db is named, not read as an empty history ("No stored scans.", exit 0)."""
    mistyped = tmp_path / "no-such-folder" / "histroy.db"
    outcome = cli(*command, "--db", str(mistyped), *(["-o", str(tmp_path / "out")] if command[0] == "report" else []))
    assert outcome.exit_code == 2
    named = f"history database {mistyped} does not exist: no scan has been stored there"
    assert outcome.output.strip() == f"nhiscan: error: {named}"
    assert not mistyped.parent.exists()


def test_concurrent_writers_all_land(catalogs, db_url: str) -> None:
    HistoryStore(db_url)  # the schema exists before the race, as after any first scan
    results = [demo_scan(catalogs) for _ in range(6)]

    def write(result) -> None:
        HistoryStore(db_url).save(result, render(result), group="parallel")

    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(write, results))
    assert {r["id"] for r in HistoryStore(db_url).listing("parallel")} == {r.scan.id for r in results}


def test_a_killed_writer_leaves_no_half_scan(catalogs, db_url: str, tmp_path: Path) -> None:
    store = HistoryStore(db_url)
    before = store.count()
    writer = tmp_path / "writer.py"
    writer.write_text(
        textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {str(REPO_ROOT)!r})
        from sqlalchemy import text
        from scanner.history.store import HistoryStore
        store = HistoryStore({db_url!r})
        with store.engine.begin() as connection:
            connection.execute(text("INSERT INTO scans (id, started, finished, as_of, grade, fail_on, passed, "
                "blocking, failing, frameworks, sources, tool_version, failing_fingerprints, results) VALUES "
                "('half', '2026-01-01', '2026-01-01', '2026-01-01', 'C', 'high', false, 0, '{{}}', '{{}}', '[]', "
                "'x', :b, :b)"), {{"b": b"x"}})
            print("inserted", flush=True)
            time.sleep(60)
    """)
    )
    process = subprocess.Popen([sys.executable, str(writer)], stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "inserted"
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    time.sleep(0.5)
    assert store.count() == before
    result = demo_scan(catalogs)
    store.save(result, render(result))
    assert store.count() == before + 1, "the database is writable after the crash"


def test_migrations_from_empty_and_from_the_previous_schema(catalogs, db_url: str) -> None:
    old = HistoryStore(db_url, migrate=False)
    old.migrate("0001")
    columns = {c["name"] for c in schema_inspect(old.engine).get_columns("scans")}
    assert "scan_group" not in columns
    with old.engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO scans (id, started, finished, as_of, score, grade, fail_on, passed, blocking, failing, "
            "frameworks, sources, tool_version, failing_fingerprints, results) VALUES ('old-scan', "
            "'2026-01-01 00:00:00+00', '2026-01-01 00:00:00+00', '2026-01-01 00:00:00+00', 80.0, 'B', 'high', "
            "true, 0, '{}', '{}', '[]', '0.1.0', '', '')"
        )
    upgraded = HistoryStore(db_url)
    columns = {c["name"] for c in schema_inspect(upgraded.engine).get_columns("scans")}
    assert {"scan_group", "median_credential_age", "new_failures"} <= columns
    (row,) = upgraded.listing()
    assert (row["id"], row["score"], row["scan_group"]) == ("old-scan", 80.0, None)


def test_retention_prunes_old_scans(catalogs, db_url: str) -> None:
    store = HistoryStore(db_url)
    old, recent = demo_scan(catalogs), demo_scan(catalogs)
    old = dataclasses.replace(old, scan=dataclasses.replace(old.scan, finished=old.scan.finished.replace(year=2020)))
    store.save(old, render(old))
    store.save(recent, render(recent))
    assert store.prune(365) == 1
    assert [r["id"] for r in store.listing()] == [recent.scan.id]


def test_shards_divide_every_account_exactly_once() -> None:
    shards = [Shard(i, 4) for i in range(1, 5)]
    accounts = [f"{n:012d}" for n in range(2000)]
    owners = [sum(s.owns(a) for s in shards) for a in accounts]
    assert set(owners) == {1}
    sizes = [sum(s.owns(a) for a in accounts) for s in shards]
    assert min(sizes) > 400, sizes
    with pytest.raises(Exception, match="expected i/n"):
        Shard.parse("5/4")


def _demo_part(whole, catalogs, providers: set[str], **options: Any):
    """The demo estate's records of some providers (``manifest`` takes the manifests source too),
    scanned (with ScanOptions ``options``): one shard of a sharded scan."""
    part = dataclasses.replace(
        whole,
        accounts=[a for a in whole.accounts if a.provider in providers],
        identities=[i for i in whole.identities if i.provider in providers],
        agents=[a for a in whole.agents if a.provider in providers],
        log_sources=[s for s in whole.log_sources if s.provider in providers],
        sources=[
            s for s in whole.sources if s.name in providers or ("manifest" in providers and s.name == "manifests")
        ],
    )
    keep = {i.uid for i in part.identities} | {a.uid for a in part.agents}
    part.credentials = [c for c in whole.credentials if c.identity_uid in keep or
                        c.attributes.get("provider") in providers]  # fmt: skip
    part.grants = [g for g in whole.grants if g.identity_uid in keep]
    return run_scan(part, catalogs, ScanOptions(**options))


def test_a_shard_is_compared_with_itself_in_the_run_before_not_with_its_sibling(catalogs, db_url: str) -> None:
    """Runs in two shards, one scan group per run (as docs/history.md shows): a shard's trend and
    its new and resolved failures come from the same accounts in earlier runs, never from its
    sibling shard of the same run (which had made shard 2 'resolve' every failure of shard 1)."""
    from scanner.history.store import scan_scope

    whole = collect(SourceSpec("demo"))
    store = HistoryStore(db_url)
    first, second = _demo_part(whole, catalogs, {"aws"}), _demo_part(whole, catalogs, {"azure", "gcp"})
    second_scope = scan_scope(second)
    assert scan_scope(first) != second_scope
    store.save(first, render(first), group="run-1")
    assert store.trend(None, scope=second_scope, outside="run-1") == []
    assert store.previous_failing(None, second_scope, outside="run-1") is None, "nothing earlier: all new"
    store.save(second, render(second), group="run-1")
    (earlier,) = store.trend(None, scope=second_scope, outside="run-2")
    assert earlier.scan_id == second.scan.id
    assert store.previous_failing(None, second_scope, outside="run-2") == {
        f.fingerprint for f in second.findings if f.status == "fail"
    }
    assert store.trend(None, scope=second_scope, outside="run-1") == [], "its sibling is never its past"


def test_a_scan_group_merges_its_shards_into_one_report(cli, catalogs, db_url: str, tmp_path: Path) -> None:
    whole = collect(SourceSpec("demo"))
    store = HistoryStore(db_url)
    parts = []
    for provider_set in ({"aws"}, {"azure", "gcp", "manifest"}):
        result = _demo_part(whole, catalogs, provider_set)
        store.save(result, render(result), group="weekly")
        parts.append(result)
    out = tmp_path / "merged"
    assert cli("report", "--scan-group", "weekly", "--db", db_url, "--format", "json", "-o", str(out)).exit_code == 0
    merged = json.loads((out / "results.json").read_text())
    assert {f["fingerprint"] for f in merged["findings"]} == {f.fingerprint for p in parts for f in p.findings}
    assert merged["gate"]["blocking_findings"] == sum(p.gate["blocking_findings"] for p in parts)
    counts = {c["id"]: c["counts"] for c in merged["controls"]}
    for control in parts[0].controls:
        other = next(c for c in parts[1].controls if c.id == control.id)
        assert counts[control.id] == {k: control.counts[k] + other.counts[k] for k in control.counts}
    from scanner.frameworks import weighted_score
    from scanner.model import ControlSummary

    summed = [ControlSummary(c["id"], "", c["severity"], "", {}, "", "", c["counts"]) for c in merged["controls"]]
    assert merged["score"] == weighted_score(summed)
    assert {s["account"] for s in merged["scan"]["sources"]} == {s.account for p in parts for s in p.scan.sources}


def test_a_merged_group_is_as_of_its_evidence_not_an_empty_shards_clock(catalogs, db_url: str) -> None:
    """A shard given no account holds nothing and is stamped with the time it ran; the merged
    report's ages are as of the time the shards that hold something were judged at (before: the
    empty shard's 'now', years after the demo's evidence)."""
    from datetime import UTC, datetime

    from scanner.history.merge import merge_results
    from scanner.model import Inventory

    part = _demo_part(collect(SourceSpec("demo")), catalogs, {"aws"})
    empty = run_scan(Inventory(collected_at=datetime.now(UTC)), catalogs, ScanOptions())
    assert empty.gate["nothing_assessed"] and empty.scan.as_of > part.scan.as_of
    store = HistoryStore(db_url)
    for shard in (part, empty):
        store.save(shard, render(shard), group="weekly")
    merged = merge_results(store.group("weekly"), catalogs, "weekly")
    assert merged.scan.as_of == part.scan.as_of
    assert merged.inventory is not None and merged.inventory.collected_at == part.scan.as_of


def test_a_config_file_runs_a_scan_on_its_own(cli, tmp_path: Path) -> None:
    assert cli("init", str(tmp_path / "nhiscan.yaml")).exit_code == 0
    assert cli("init", str(tmp_path / "nhiscan.yaml")).exit_code == 2, "never overwritten"
    config = tmp_path / "custom.yaml"
    config.write_text(
        "sources: [demo]\noutputs: {formats: [json], directory: out}\nfail_on: none\n"
        "controls: {disabled: [NHI-CRED-001], params: {NHI-CRED-002: {max_unused_days: 10}}}\n"
        "history: {enabled: false}\n"
    )
    outcome = cli("scan", "--config", str(config), "-q")
    assert outcome.exit_code == 0, outcome.output
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    assert "NHI-CRED-001" not in {c["id"] for c in results["controls"]}
    assert "10 days" in next(c["title"] for c in results["controls"] if c["id"] == "NHI-CRED-002")
    assert results["trend"] == [], "history disabled in the file"
    overridden = cli("scan", "--config", str(config), "-q", "--fail-on", "high")
    assert overridden.exit_code == 1, "the command line wins over the file"


def test_paths_in_a_config_file_are_relative_to_the_file(cli, tmp_path: Path, monkeypatch) -> None:
    """Run from another folder: the sources' paths, the history database and the output folder the
    file names are found beside the file, not in the working folder (before: the database and
    'manifests:.' were taken from the working folder)."""
    import shutil

    from .conftest import SHARED

    home = tmp_path / "A"
    home.mkdir()
    shutil.copy(SHARED / "realworld" / "agents" / "mcp-servers-repo-dot-mcp.json", home / ".mcp.json")
    (home / "c.yaml").write_text(
        'sources: ["manifests:."]\noutputs: {formats: [json], directory: out}\nfail_on: none\n'
        "history: {database: h.db}\n"
    )
    elsewhere = tmp_path / "B"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    outcome = cli("scan", "--config", "../A/c.yaml", "-q")
    assert outcome.exit_code == 0, outcome.output
    assert (home / "h.db").is_file() and not (elsewhere / "h.db").exists()
    results = json.loads((home / "out" / "results.json").read_text())
    assert results["inventory"]["agents"], "the manifests beside the file were read"
    assert list(elsewhere.iterdir()) == []


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("h.db", "/etc/nhiscan/h.db"),
        ("sqlite:///h.db", "sqlite:////etc/nhiscan/h.db"),
        ("sqlite:////var/lib/h.db", "sqlite:////var/lib/h.db"),
        ("/var/lib/h.db", "/var/lib/h.db"),
        ("postgresql+psycopg://nhiscan@db/nhiscan", "postgresql+psycopg://nhiscan@db/nhiscan"),
    ],
)
def test_a_history_database_in_a_config_file_is_found_beside_it(given: str, used: str) -> None:
    from scanner.config import scan_defaults

    assert scan_defaults({"history": {"database": given}}, Path("/etc/nhiscan"))["db"] == used


def test_a_bad_config_file_names_file_and_line(cli, tmp_path: Path) -> None:
    config = tmp_path / "nhiscan.yaml"
    config.write_text("sources: [demo]\noutputs:\n  formats: [html, docx]\n")
    outcome = cli("scan", "--config", str(config))
    assert outcome.exit_code == 2
    assert f"{config}:3" in outcome.output and "docx" in outcome.output


def test_the_schema_revision_a_store_checks_is_the_migrations_head() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from scanner.history.store import MIGRATIONS
    from scanner.history.tables import SCHEMA_REVISION

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(config).get_current_head() == SCHEMA_REVISION


def test_a_prune_gives_a_sqlite_history_s_space_back_to_the_file_system(catalogs, tmp_path: Path) -> None:
    """SQLite keeps deleted rows' pages for reuse: a history made by nhiscan is made so that a prune
    cuts them off the end of the file, and the file shrinks by about the scans it deleted."""
    path = tmp_path / "history.db"
    store = HistoryStore(f"sqlite:///{path}")
    for year in (2019, 2020, 2021):
        old = demo_scan(catalogs)
        old = dataclasses.replace(
            old, scan=dataclasses.replace(old.scan, finished=old.scan.finished.replace(year=year))
        )
        store.save(old, render(old))
    recent = demo_scan(catalogs)
    store.save(recent, render(recent))
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA auto_vacuum").scalar() == 2  # incremental
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    before = path.stat().st_size

    assert store.prune(365) == 3
    after = path.stat().st_size
    assert after < before * 0.4, (before, after)  # three of the four scans' pages are gone
    assert [r["id"] for r in store.listing()] == [recent.scan.id]
    assert store.load(recent.scan.id).scan.id == recent.scan.id


def test_a_prune_of_a_sqlite_history_made_before_keeps_the_freed_pages_for_reuse(catalogs, tmp_path: Path) -> None:
    """A database made without auto-vacuum (by an earlier nhiscan) is pruned as before: the pages
    stay in the file, and the next scan reuses them instead of growing it."""
    path = tmp_path / "history.db"
    with sqlite3.connect(path) as made_before:
        made_before.execute("CREATE TABLE placeholder (x)")  # a table first: auto_vacuum stays off
    store = HistoryStore(f"sqlite:///{path}")
    old = demo_scan(catalogs)
    old = dataclasses.replace(old, scan=dataclasses.replace(old.scan, finished=old.scan.finished.replace(year=2020)))
    store.save(old, render(old))
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA auto_vacuum").scalar() == 0
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    size = path.stat().st_size

    assert store.prune(365) == 1
    recent = demo_scan(catalogs)
    store.save(recent, render(recent))
    with store.engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    assert path.stat().st_size <= size * 1.05
    assert [r["id"] for r in store.listing()] == [recent.scan.id]


def test_a_merged_group_judges_waivers_at_its_own_date_not_each_shards(catalogs, tmp_path: Path) -> None:
    """The AWS shard was judged before its waiver ended and the Azure shard after: the merged report
    is as of the later, so the failure the waiver covered fails there, blocks the gate, and the
    waiver is listed expired, not also applied and ending soon."""
    from scanner.history.merge import merge_results

    whole = collect(SourceSpec("demo"))
    aws_only = _demo_part(whole, catalogs, {"aws"})
    failure = next(f for f in aws_only.findings if f.status == "fail" and f.severity == "critical")
    as_of = aws_only.scan.as_of
    waivers = tmp_path / "waivers.yaml"
    ends = (as_of + timedelta(days=5)).date().isoformat()
    waivers.write_text(
        f'waivers:\n  - control: {failure.control_id}\n    resource: "{failure.resource.uid}"\n'
        f"    owner: alice@example.com\n    reason: vendor fix due\n    expires: {ends}\n"
    )
    earlier = _demo_part(whole, catalogs, {"aws"}, waivers=waivers, as_of=as_of)
    later = _demo_part(whole, catalogs, {"azure"}, waivers=waivers, as_of=as_of + timedelta(days=10))
    assert next(f for f in earlier.findings if f.fingerprint == failure.fingerprint).status == "waived"
    store = HistoryStore(f"sqlite:///{tmp_path / 'history.db'}")
    for shard in (earlier, later):
        store.save(shard, render(shard), group="weekly")

    merged = merge_results(store.group("weekly"), catalogs, "weekly")
    assert merged.scan.as_of == later.scan.as_of
    (kept,) = [f for f in merged.findings if f.fingerprint == failure.fingerprint]
    assert (kept.status, kept.waiver) == ("fail", None)
    counts = next(c for c in merged.controls if c.id == failure.control_id).counts
    assert counts["waived"] == 0 and counts["fail"] >= 1
    assert merged.gate["waived_findings"] == 0  # the critical failure blocks the gate again
    blocking = [f for f in merged.findings if f.status == "fail" and f.severity in ("critical", "high")]
    assert merged.gate["blocking_findings"] == len(blocking) and kept in blocking
    key = (failure.control_id, failure.resource.uid)
    assert key in {(w.control, w.resource) for w in merged.waivers.expired}
    assert key not in {(w.control, w.resource) for w in merged.waivers.applied + merged.waivers.expiring}
    assert next(f for f in earlier.findings if f.fingerprint == failure.fingerprint).status == "waived", "unchanged"
