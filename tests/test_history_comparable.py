"""What a later scan says about the failures of an earlier one. A failure is resolved only when the
later scan judged that resource for that control and it passed, or the resource is gone from a
source it read completely; a failure the later scan did not judge (its result is now unknown, its
account was not read completely, its control was not evaluated) is "no longer assessed", listed
apart and never counted as resolved. The same holds for ``nhiscan diff`` (files or stored scans)
and for the new and resolved failures the history counts."""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta
from pathlib import Path

import pytest

from scanner.diff import diff_results
from scanner.history.store import HistoryStore, ResultsPacker, trend_point
from scanner.model import Inventory, ScanResult, SourceError, SourceStatus
from scanner.reports.json_results import pieces, render
from scanner.scan import Catalogs, ScanOptions, run_scan
from scanner.sources import SourceSpec, collect

FAILED = "444455556666"  # the demo's second AWS account, whose read fails in these tests
ROOT_KEY = "NHI-CRED-010"  # an active access key of the account root: critical


def _demo() -> Inventory:
    return collect(SourceSpec("demo"))


def _scan(inventory: Inventory, catalogs: Catalogs, **options) -> ScanResult:
    return run_scan(inventory, catalogs, ScanOptions(**options))


def _account_not_read(inventory: Inventory) -> Inventory:
    """The demo with every record of one AWS account gone and its read failed (AccessDenied)."""
    kept = [i for i in inventory.identities if i.account != FAILED]
    holders = {i.uid for i in kept} | {a.uid for a in inventory.agents if a.account != FAILED}
    return dataclasses.replace(
        inventory,
        identities=kept,
        agents=[a for a in inventory.agents if a.account != FAILED],
        credentials=[  # a credential of no holder (an API key, a managed secret) is in its own account
            c
            for c in inventory.credentials
            if c.identity_uid in holders or (c.identity_uid is None and c.attributes.get("account") != FAILED)
        ],
        grants=[g for g in inventory.grants if g.identity_uid in holders],
        log_sources=[s for s in inventory.log_sources if s.account != FAILED],
        sources=[
            SourceStatus("aws", FAILED, "failed", [SourceError("iam:GetAccountAuthorizationDetails", "AccessDenied")])
            if s.account == FAILED
            else s
            for s in inventory.sources
        ],
    )


def _key_ages_not_read(inventory: Inventory) -> Inventory:
    """The demo with no credential's age collected: every age-based result becomes unknown."""
    fields = ("created", "last_rotated", "last_used")
    credentials = [
        dataclasses.replace(c, unknown=sorted({*c.unknown, *fields}), created=None, last_rotated=None, last_used=None)
        for c in inventory.credentials
    ]
    return dataclasses.replace(inventory, credentials=credentials)


def _failing(result: ScanResult) -> set[str]:
    return {f.fingerprint for f in result.findings if f.status == "fail"}


def _store(store: HistoryStore, result: ScanResult) -> None:
    packer = ResultsPacker()  # as the scan command packs results.json while writing it
    for piece in pieces(result):
        packer.add(piece.encode("utf-8"))
    store.save(result, packer)


def _diff_both_ways(cli, tmp_path: Path, old: ScanResult, new: ScanResult, *options: str) -> tuple[dict, dict, str]:
    """``nhiscan diff`` of the two scans as results.json files and as stored scans: the drift
    JSON (the same either way), the command's exit code and its output."""
    (tmp_path / "old.json").write_text(render(old))
    (tmp_path / "new.json").write_text(render(new))
    files = cli(
        "diff", str(tmp_path / "old.json"), str(tmp_path / "new.json"), "-o", str(tmp_path / "f.json"), *options
    )
    db = f"sqlite:///{tmp_path / 'h.db'}"
    store = HistoryStore(db)
    for result in (old, new):
        _store(store, result)
    stored = cli("diff", old.scan.id, new.scan.id, "--db", db, "-o", str(tmp_path / "s.json"), *options)
    by_files, by_ids = (json.loads((tmp_path / name).read_text()) for name in ("f.json", "s.json"))
    assert by_files == by_ids and files.exit_code == stored.exit_code
    return by_files, {"exit": files.exit_code}, files.output


def test_a_failure_whose_result_became_unknown_is_no_longer_assessed_not_resolved(
    catalogs: Catalogs, cli, tmp_path: Path
) -> None:
    demo = _demo()
    old, new = _scan(demo, catalogs), _scan(_key_ages_not_read(demo), catalogs)
    now_unknown = {f.fingerprint for f in new.findings if f.status == "unknown"} & _failing(old)
    assert len(now_unknown) > 20, "the key-age controls' failures are unknown without ages"

    drift, _, output = _diff_both_ways(cli, tmp_path, old, new)
    assert {f["fingerprint"] for f in drift["resolved_failures"]}.isdisjoint(now_unknown)
    unassessed = {f["fingerprint"]: f["reason"] for f in drift["no_longer_assessed"]}
    assert set(unassessed) == now_unknown and set(unassessed.values()) == {"unknown"}
    assert f"No longer assessed ({len(now_unknown)})" in output
    assert drift["incomplete_sources"] == [], "every source was read"


def test_failures_of_an_account_the_later_scan_did_not_read_are_not_resolved(
    catalogs: Catalogs, cli, tmp_path: Path
) -> None:
    demo = _demo()
    old, new = _scan(demo, catalogs), _scan(_account_not_read(demo), catalogs)
    gone = _failing(old) - _failing(new)
    of_the_account = {
        f.fingerprint: f.control_id for f in old.findings if f.fingerprint in gone and f.resource.account == FAILED
    }
    assert ROOT_KEY in of_the_account.values(), "the account root's active access key: critical"

    drift, outcome, output = _diff_both_ways(cli, tmp_path, old, new, "--fail-on", "critical")
    resolved = {f["fingerprint"] for f in drift["resolved_failures"]}
    assert resolved.isdisjoint(of_the_account), "a failure in an account that was not read is not resolved"
    unassessed = {f["fingerprint"]: f for f in drift["no_longer_assessed"]}
    assert set(of_the_account) <= set(unassessed)
    assert {unassessed[k]["reason"] for k in of_the_account} == {"source_incomplete"}
    assert {unassessed[k]["source"] for k in of_the_account} == {f"aws:{FAILED}"}
    assert drift["incomplete_sources"] == [{"source": f"aws:{FAILED}", "status": "failed"}]
    # a CI gate on the diff does not pass silently on a scan that did not read an account
    assert outcome["exit"] == 3
    assert f"aws:{FAILED}" in output and "not read completely" in output
    # the score line itself says the newer score rests on less: it may rise only because less was read
    headline = next(line for line in output.splitlines() if line.startswith("Drift"))
    assert "1 source not read completely: the newer score rests on less" in headline


def test_records_and_reach_an_incomplete_read_did_not_see_are_not_called_removed_or_lost(
    catalogs: Catalogs, cli, tmp_path: Path
) -> None:
    """The account the newer scan could not read took its identities with it: they are listed as
    not seen, not removed, and no capability is called lost where that provider was read in part
    (a role whose policies were refused would read as a reach taken away)."""
    demo = _demo()
    old, new = _scan(demo, catalogs), _scan(_account_not_read(demo), catalogs)
    gone = {i.uid for i in demo.identities if i.account == FAILED}
    assert gone

    drift, _, output = _diff_both_ways(cli, tmp_path, old, new, "--allow-partial")
    assert gone <= {r["uid"] for r in drift["not_seen"]}
    assert not {r["uid"] for r in drift["removed"]} & gone
    assert not [c for c in drift["reach_changes"] if c["removed"]], "nothing is called lost on a partial read"
    assert "Not seen" in output and "not known to be removed" in " ".join(output.split())

    # an identity still read, its grants refused: its reach seems to shrink
    holder = next(
        i.uid for i in demo.identities if i.account == FAILED and old.capabilities.get(i.uid) and i.kind == "role"
    )
    refused = dataclasses.replace(
        demo,
        grants=[g for g in demo.grants if g.identity_uid != holder],
        sources=[dataclasses.replace(s, status="partial") if s.account == FAILED else s for s in demo.sources],
    )
    (tmp_path / "refused").mkdir()
    drift, _, _ = _diff_both_ways(cli, tmp_path / "refused", old, _scan(refused, catalogs), "--allow-partial")
    assert not [c for c in drift["reach_changes"] if c["removed"]]
    complete = dataclasses.replace(refused, sources=demo.sources)
    (tmp_path / "read").mkdir()
    drift, _, _ = _diff_both_ways(cli, tmp_path / "read", old, _scan(complete, catalogs))
    assert holder in {c["uid"] for c in drift["reach_changes"] if c["removed"]}, "read whole, the loss is real"

    complete_new = _scan(dataclasses.replace(_account_not_read(demo), sources=demo.sources), catalogs)
    (tmp_path / "complete").mkdir()
    drift, _, _ = _diff_both_ways(cli, tmp_path / "complete", old, complete_new)
    assert gone <= {r["uid"] for r in drift["removed"]} and drift["not_seen"] == []


def test_allow_partial_lets_a_diff_gate_pass_on_a_partial_read_but_still_names_it(
    catalogs: Catalogs, cli, tmp_path: Path
) -> None:
    demo = _demo()
    old, new = _scan(demo, catalogs), _scan(_account_not_read(demo), catalogs)
    _, outcome, output = _diff_both_ways(cli, tmp_path, old, new, "--fail-on", "critical", "--allow-partial")
    assert outcome["exit"] == 0 and f"aws:{FAILED}" in output


def test_a_fixed_failure_is_resolved(catalogs: Catalogs, cli, tmp_path: Path) -> None:
    demo = _demo()
    fixed = dataclasses.replace(
        demo,
        credentials=[
            dataclasses.replace(c, active=False) if c.identity_uid == f"arn:aws:iam::{FAILED}:root" else c
            for c in demo.credentials
        ],
    )
    old, new = _scan(demo, catalogs), _scan(fixed, catalogs)
    drift, outcome, _ = _diff_both_ways(cli, tmp_path, old, new, "--fail-on", "critical")
    resolved = drift["resolved_failures"]
    assert ROOT_KEY in {f["control_id"] for f in resolved}, "the root key deactivated"
    assert {f["resource"]["account"] for f in resolved} == {FAILED}, "nothing else changed"
    assert drift["no_longer_assessed"] == [] and outcome["exit"] == 0


def test_the_history_counts_as_resolved_only_what_the_later_scan_judged(catalogs: Catalogs, tmp_path: Path) -> None:
    store = HistoryStore(f"sqlite:///{tmp_path / 'h.db'}")
    demo = _demo()
    old, new = _scan(demo, catalogs), _scan(_account_not_read(demo), catalogs)
    _store(store, old)
    _store(store, new)
    expected = diff_results(old, new)
    assert expected.no_longer_assessed, "the failed account's failures"
    (newest, _) = store.listing()
    assert newest["resolved_failures"] == len(expected.resolved_failures)
    assert newest["resolved_failures"] < len(_failing(old) - _failing(new))


ROTATION = "NHI-CRED-001"  # access keys rotated within {max_age_days} days


def test_a_failure_gone_because_the_control_was_relaxed_is_not_resolved(
    catalogs: Catalogs, cli, tmp_path: Path
) -> None:
    """max_age_days raised from 90 to 100 years in nhiscan.yaml: the keys are as old as before, the
    question changed. Their failures are no longer assessed (control_changed), never resolved, in
    a diff of files, of stored scans, and in the history's resolved count."""
    demo = _demo()
    old = _scan(demo, catalogs)
    new = _scan(demo, catalogs, params={ROTATION: {"max_age_days": 36500}})
    relaxed = {f.fingerprint for f in old.findings if f.status == "fail" and f.control_id == ROTATION}
    assert relaxed and not {f.fingerprint for f in new.findings if f.control_id == ROTATION} & relaxed

    drift, _, output = _diff_both_ways(cli, tmp_path, old, new)
    assert drift["resolved_failures"] == []
    unassessed = {f["fingerprint"]: f["reason"] for f in drift["no_longer_assessed"]}
    assert unassessed == dict.fromkeys(relaxed, "control_changed")
    assert "control changed" in output

    store = HistoryStore(f"sqlite:///{tmp_path / 'trend.db'}")
    _store(store, old)
    _store(store, new)
    (newest, _) = store.listing()
    assert newest["resolved_failures"] == 0


def test_the_same_definition_in_both_scans_resolves_what_was_fixed(catalogs: Catalogs) -> None:
    """Each control's definition is recorded as a digest: the same for the same control and
    parameters, so a key that was rotated is resolved, as before."""
    demo = _demo()
    old, again = _scan(demo, catalogs), _scan(demo, catalogs)
    assert [c.definition for c in old.controls] == [c.definition for c in again.controls]
    assert all(c.definition and len(c.definition) == 64 for c in old.controls)
    relaxed = _scan(demo, catalogs, params={ROTATION: {"max_age_days": 91}})
    changed = [c.id for c, d in zip(old.controls, relaxed.controls, strict=True) if c.definition != d.definition]
    assert changed == [ROTATION]


@pytest.mark.parametrize(("value", "same"), [(90, True), (90.0, True), (91, False), (10**20, False), (89.5, False)])
def test_a_definition_is_what_the_control_asks_not_how_its_parameter_was_written(
    catalogs: Catalogs, value: float, same: bool
) -> None:
    """90.0 asks what 90 asks; a parameter past 64 bits is a definition too, not an internal error."""
    demo = _demo()
    default = {c.id: c.definition for c in _scan(demo, catalogs).controls}[ROTATION]
    given = {c.id: c.definition for c in _scan(demo, catalogs, params={ROTATION: {"max_age_days": value}}).controls}
    assert (given[ROTATION] == default) is same


def test_a_results_file_of_schema_1_4_has_no_definitions_and_agrees_with_any(catalogs: Catalogs) -> None:
    """Results written before definitions were recorded: a failure gone since is judged as before."""
    from scanner.diff import diff_sides, side_of_document

    demo = _demo()
    old = _scan(demo, catalogs)
    new = _scan(demo, catalogs, params={ROTATION: {"max_age_days": 36500}})
    document = json.loads(render(old))
    for control in document["controls"]:
        del control["definition"]
    document["schema_version"] = "1.4"
    drift = diff_sides(
        side_of_document(document, Path("old.json")), side_of_document(json.loads(render(new)), Path("new.json"))
    )
    assert {f.control_id for f in drift.resolved_failures} == {ROTATION}


def _diff_read_as(read_as: str, old, new, tmp_path: Path):
    """The diff of two scans as it reads them: the results in memory, results.json documents, or
    scans stored in a history."""
    from scanner.diff import diff_sides, side_of_document

    if read_as == "stored":
        store = HistoryStore(f"sqlite:///{tmp_path / 'h.db'}")
        _store(store, old)
        _store(store, new)
        sides = [store.drift_side(r.scan.id) for r in (old, new)]
        assert None not in sides
        return diff_sides(*sides)  # type: ignore[arg-type]
    if read_as == "document":
        return diff_sides(*[side_of_document(json.loads(render(r)), Path(f"{r.scan.id}.json")) for r in (old, new)])
    return diff_results(old, new)


@pytest.mark.parametrize("as_stored", [False, True])
def test_a_failure_whose_control_the_later_scan_did_not_evaluate_is_not_resolved(
    catalogs: Catalogs, tmp_path: Path, as_stored: bool
) -> None:
    demo = _demo()
    old = _scan(demo, catalogs)
    new = _scan(demo, catalogs, frameworks=["owasp-asi-top10-2026"])
    evaluated = {c.id for c in new.controls}
    dropped = {f.fingerprint for f in old.findings if f.status == "fail" and f.control_id not in evaluated}
    assert dropped
    drift = _diff_read_as("stored" if as_stored else "results", old, new, tmp_path)
    assert not drift.resolved_failures
    assert {u.finding.fingerprint for u in drift.no_longer_assessed} == dropped
    assert {u.reason for u in drift.no_longer_assessed} == {"control_not_evaluated"}


@pytest.mark.parametrize("read_as", ["results", "document", "stored"])
def test_a_failure_on_a_provider_a_framework_limited_scan_left_out_is_not_resolved(
    catalogs: Catalogs, tmp_path: Path, read_as: str
) -> None:
    """A scan limited to CIS AWS runs NHI-CRED-001 on AWS keys only: the GCP and Azure keys that
    failed it before were listed as resolved (37 of them on the demo), though nothing changed. The
    control records the scope it was judged in (``limited_to``): what it left out is no longer
    assessed, and an AWS key rotated since is resolved, as against a scan of everything."""
    demo = _demo()
    old = _scan(demo, catalogs)
    later = _demo()
    rotated = next(
        c for c in later.credentials if c.uid in {f.resource.uid for f in old.findings if f.control_id == ROTATION}
        and c.identity_uid.startswith("arn:aws:")
    )  # fmt: skip
    rotated.created = rotated.last_rotated = later.collected_at - timedelta(days=5)
    new = _scan(later, catalogs, frameworks=["cis-aws-foundations"])
    left_out = {f.fingerprint for f in old.findings if f.status == "fail" and f.resource.provider != "aws"}
    assert {f.control_id for f in old.findings if f.fingerprint in left_out} & {c.id for c in new.controls}
    drift = _diff_read_as(read_as, old, new, tmp_path)
    assert [(f.control_id, f.resource.uid) for f in drift.resolved_failures] == [(ROTATION, rotated.uid)]
    assert left_out <= {u.finding.fingerprint for u in drift.no_longer_assessed}
    assert {u.reason for u in drift.no_longer_assessed if u.finding.fingerprint in left_out} == {
        "control_not_evaluated"
    }


def _as_stored_before_it_said_what_it_read(store: HistoryStore, scan_id: str) -> None:
    """The scan's drift index as an earlier nhiscan stored it: its header without the
    controls, sources and account parents."""
    import hashlib

    import orjson
    from sqlalchemy import update

    from scanner.history.drift_index import INDEX_MAGIC, _opened
    from scanner.history.tables import scans

    index = store._stored(scan_id, scans.c.drift_index)
    opened = _opened(index)
    assert opened is not None
    header, sections = opened
    for key in ("controls", "sources", "accounts"):
        del header[key]
    encoded = orjson.dumps(header)
    body = b"".join([len(encoded).to_bytes(4, "big"), encoded, *sections.values()])
    with store.engine.begin() as connection:
        connection.execute(
            update(scans)
            .where(scans.c.id == scan_id)
            .values(drift_index=INDEX_MAGIC + hashlib.sha256(body).digest() + body)
        )


def test_a_scan_stored_before_the_index_said_what_it_read_is_judged_from_its_summary(
    catalogs: Catalogs, tmp_path: Path
) -> None:
    """Its controls and sources are in its stored summary; its accounts' parents are not known, so a
    source not read completely leaves every failure of its provider unassessed, never resolved."""
    from scanner.diff import diff_sides

    store = HistoryStore(f"sqlite:///{tmp_path / 'h.db'}")
    demo = _demo()
    old, new = _scan(demo, catalogs), _scan(_account_not_read(demo), catalogs)
    _store(store, old)
    _store(store, new)
    _as_stored_before_it_said_what_it_read(store, old.scan.id)
    _as_stored_before_it_said_what_it_read(store, new.scan.id)
    side = store.drift_side(new.scan.id)
    assert side is not None and side.parents is None and side.controls == {c.id for c in new.controls}
    old_side = store.drift_side(old.scan.id)
    assert old_side is not None
    drift = diff_sides(old_side, side)
    assert {f.resource.provider for f in drift.resolved_failures} <= {"azure", "gcp", "manifest"}
    judged = diff_results(old, new)
    assert {f.fingerprint for f in drift.resolved_failures} <= {f.fingerprint for f in judged.resolved_failures}
    assert len(drift.resolved_failures) + len(drift.no_longer_assessed) == len(judged.resolved_failures) + len(
        judged.no_longer_assessed
    )


# Scans are comparable only when they evaluated the same controls: a framework-limited scan starts
# its own trend line, and its new and resolved failures are counted against the last scan that
# evaluated the same controls (before, it continued the full scan's line with "331 resolved").


def test_a_scan_of_other_controls_starts_its_own_trend_line(cli, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'h.db'}"

    def scan(*options: str) -> dict:
        out = tmp_path / "out"
        cli("scan", "demo", "--db", db, "--format", "json", "--output-dir", str(out), "-q", *options)
        return json.loads((out / "results.json").read_text())

    full = scan()
    limited = scan("--framework", "owasp-asi-top10-2026")
    assert [p["scan_id"] for p in limited["trend"]] == [limited["scan"]["id"]]
    assert (limited["trend"][-1]["new"], limited["trend"][-1]["resolved"]) == (None, None), "nothing before it"
    again = scan()
    assert [p["scan_id"] for p in again["trend"]] == [full["scan"]["id"], again["scan"]["id"]]
    assert (again["trend"][-1]["new"], again["trend"][-1]["resolved"]) == (0, 0)
    limited_again = scan("--framework", "owasp-asi-top10-2026")
    assert [p["scan_id"] for p in limited_again["trend"]] == [limited["scan"]["id"], limited_again["scan"]["id"]]
    rows = {row["id"]: row for row in HistoryStore(db).listing()}
    assert rows[limited["scan"]["id"]]["resolved_failures"] is None
    assert rows[limited_again["scan"]["id"]]["resolved_failures"] == 0


def test_scans_stored_before_the_control_set_was_kept_continue_their_line(catalogs: Catalogs, tmp_path: Path) -> None:
    """Upgrading the history reads each stored scan's controls from its stored summary."""
    from scanner.history.store import control_set

    db = f"sqlite:///{tmp_path / 'h.db'}"
    store = HistoryStore(db)
    earlier = _scan(_demo(), catalogs)
    _store(store, earlier)
    with store.engine.begin() as connection:  # as an earlier nhiscan left it: at 0004, no control set
        for column in ("control_set", "shard", "scan_run"):  # nor the columns of later revisions
            connection.exec_driver_sql(f"ALTER TABLE scans DROP COLUMN {column}")
        connection.exec_driver_sql("DROP TABLE group_points")  # and the table of a later revision
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = '0004'")
    upgraded = HistoryStore(db)
    (row,) = upgraded.listing()
    assert row["control_set"] == control_set(earlier)
    later = _scan(_demo(), catalogs)
    assert [p.scan_id for p in upgraded.trend(controls=control_set(later))] == [earlier.scan.id]
    limited = _scan(_demo(), catalogs, frameworks=["owasp-asi-top10-2026"])
    assert upgraded.trend(controls=control_set(limited)) == []


def test_a_diff_whose_newer_scan_read_many_sources_incompletely_names_ten_in_one_line(
    catalogs: Catalogs, cli, tmp_path: Path
) -> None:
    """Exit 3's line and the summary name ten sources and count the rest; drift.json lists all."""
    demo = _demo()
    partial = [SourceStatus("aws", f"{index:012d}", "partial") for index in range(25)]
    new = dataclasses.replace(demo, sources=[*demo.sources, *partial])
    old_result, new_result = _scan(demo, catalogs), _scan(new, catalogs)
    drift, outcome, output = _diff_both_ways(cli, tmp_path, old_result, new_result, "--fail-on", "critical")
    assert outcome["exit"] == 3
    assert len(drift["incomplete_sources"]) == 25
    named = ", ".join(f"aws:{index:012d} (partial)" for index in range(10))
    error_lines = [line for line in output.splitlines() if line.startswith("nhiscan: error:")]
    assert error_lines == [
        f"nhiscan: error: {new_result.scan.id} did not read completely: {named} and 15 more "
        "(--allow-partial accepts it)"
    ]
    assert f"{named} and 15 more (all in diff -o)" in " ".join(output.split())


REGION_READ = "eu-west-1"


def _parts_not_read(inventory: Inventory, marked: bool = True) -> Inventory:
    """The demo read again with every source complete but three parts not read: the agents of
    444455556666 (exports without a get-agent export), every record of 111122223333 in us-east-1 (a
    scan asked for eu-west-1 alone), and the secrets of one Azure application (an app list fetched
    without them). Unmarked, the records are simply gone, as if deleted."""
    apps = [i for i in inventory.identities if i.provider == "azure" and i.uid.startswith("azure:app:")]
    app = next(i for i in apps if any(c.identity_uid == i.uid for c in inventory.credentials))

    def gone(uid: str, account: str) -> bool:
        return (account == FAILED and ":agent/" in uid) or (account == "111122223333" and ":us-east-1:" in uid)

    agents = [a for a in inventory.agents if not gone(a.uid, a.account)]
    kept = {a.uid for a in agents} | {i.uid for i in inventory.identities}
    accounts = []
    for account in inventory.accounts:
        if marked and account.uid == FAILED:
            account = dataclasses.replace(account, unknown=[*account.unknown, "agents"])
        if marked and account.uid == "111122223333":
            account = dataclasses.replace(account, attributes={**account.attributes, "regions": [REGION_READ]})
        accounts.append(account)
    identities = [
        dataclasses.replace(i, unknown=[*i.unknown, "credentials"]) if marked and i.uid == app.uid else i
        for i in inventory.identities
    ]
    return dataclasses.replace(
        inventory,
        accounts=accounts,
        identities=identities,
        agents=agents,
        credentials=[
            c
            for c in inventory.credentials
            if c.identity_uid != app.uid
            and not gone(c.uid, str(c.attributes.get("account") or ""))
            and (c.identity_uid is None or c.identity_uid in kept)
        ],
        grants=[g for g in inventory.grants if g.identity_uid in kept],
        log_sources=[s for s in inventory.log_sources if not gone(s.uid, s.account)],
    )


def test_failures_in_a_part_the_later_scan_did_not_read_are_not_resolved(
    catalogs: Catalogs, cli, tmp_path: Path
) -> None:
    """Every source complete, yet the later scan read neither an account's agents (no get-agent
    export), nor a region (--aws-regions named another), nor an application's secrets: their
    failures were "resolved" and the trend counted them, the agents "removed"."""
    demo = _demo()
    read_again = _parts_not_read(demo)
    old, new = _scan(demo, catalogs), _scan(read_again, catalogs)
    still_there = {
        r.uid for r in (*read_again.accounts, *read_again.identities, *read_again.agents, *read_again.credentials)
    }
    gone = {
        f.fingerprint: f
        for f in old.findings
        if f.fingerprint in _failing(old) - _failing(new) and f.resource.uid not in still_there
    }
    kinds = {f.resource.type for f in gone.values()}
    assert {"agent", "credential"} <= kinds, kinds

    drift, _, _ = _diff_both_ways(cli, tmp_path, old, new)
    assert {f["fingerprint"] for f in drift["resolved_failures"]}.isdisjoint(gone)
    unassessed = {f["fingerprint"]: f for f in drift["no_longer_assessed"]}
    assert set(gone) <= set(unassessed)
    assert {unassessed[k]["reason"] for k in gone} == {"part_not_read"}, [
        unassessed[k] for k in gone if unassessed[k]["reason"] != "part_not_read"
    ]
    details = {unassessed[k]["detail"] for k in gone}
    assert {"agents of 444455556666 not read", "region us-east-1 of 111122223333 not read"} <= details, details
    assert any(d.startswith("credentials of azure:app:") for d in details), details
    unseen_agents = {a.uid for a in demo.agents if a.provider == "aws"}
    assert unseen_agents <= {r["uid"] for r in drift["not_seen"]}
    assert unseen_agents.isdisjoint(r["uid"] for r in drift["removed"])

    stored = HistoryStore(f"sqlite:///{tmp_path / 'h.db'}").drift_side(old.scan.id)
    assert trend_point(new, stored).resolved == len(drift["resolved_failures"]), "the trend counts as the diff does"

    (tmp_path / "deleted").mkdir()
    removed, _, _ = _diff_both_ways(cli, tmp_path / "deleted", old, _scan(_parts_not_read(demo, False), catalogs))
    assert set(gone) <= {f["fingerprint"] for f in removed["resolved_failures"]}, "gone where it was read: resolved"


def test_records_of_a_subscription_whose_identities_were_not_read_are_not_called_removed(
    catalogs: Catalogs, cli, tmp_path: Path
) -> None:
    """An Azure or GCP record's uid names no account (an object id, an e-mail): the diff looked for
    its account in an AWS ARN only, and listed an identity and an agent of a subscription the newer
    scan said it had not read as removed."""
    demo = _demo()
    subscription = next(a.uid for a in demo.accounts if a.provider == "azure" and a.kind == "subscription")
    gone = {r.uid for r in (*demo.identities, *demo.agents) if r.account == subscription}
    assert gone
    read_again = dataclasses.replace(
        demo,
        accounts=[
            dataclasses.replace(a, unknown=[*a.unknown, "identities", "agents"]) if a.uid == subscription else a
            for a in demo.accounts
        ],
        identities=[i for i in demo.identities if i.uid not in gone],
        agents=[a for a in demo.agents if a.uid not in gone],
        credentials=[c for c in demo.credentials if c.identity_uid not in gone],
        grants=[g for g in demo.grants if g.identity_uid not in gone],
    )
    drift, _, _ = _diff_both_ways(cli, tmp_path, _scan(demo, catalogs), _scan(read_again, catalogs))
    assert gone <= {r["uid"] for r in drift["not_seen"]}
    assert gone.isdisjoint(r["uid"] for r in drift["removed"])
