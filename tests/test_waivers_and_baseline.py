"""Waivers accept a failure for a bounded time; baselines gate only on what is new."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from scanner.engine.baseline import load_baseline
from scanner.engine.waivers import load_waivers
from scanner.errors import InputError
from scanner.reports.json_results import render
from scanner.scan import ScanOptions, run_scan

from .conftest import make_inventory

USERS = [
    "arn:aws:iam::111111111111:user/legacy-a",
    "arn:aws:iam::111111111111:user/legacy-b",
    "arn:aws:iam::111111111111:user/fresh",
]
INVENTORY = {
    "identities": [{"uid": uid, "owner": "team"} for uid in USERS],
    "credentials": [
        {"uid": f"{uid}#key", "identity_uid": uid, "created": "-300d", "last_used": "-1d"} for uid in USERS
    ],
}
# the fixture's collection time is 2026-01-01


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "waivers.yaml"
    path.write_text(text)
    return path


def waiver(expires: str, resource: str = "arn:aws:iam::111111111111:user/legacy-*#key", extra: str = "") -> str:
    return (
        f'waivers:\n  - control: NHI-CRED-001\n    resource: "{resource}"\n    owner: alice@example.com\n'
        f"    reason: vendor cannot rotate yet\n    expires: {expires}\n{extra}"
    )


def scan(catalogs, tmp_path: Path, text: str | None = None, **options):
    path = write(tmp_path, text) if text else None
    return run_scan(make_inventory(INVENTORY), catalogs, ScanOptions(waivers=path, **options))


def statuses(result) -> dict[str, str]:
    return {f.resource.uid: f.status for f in result.findings if f.control_id == "NHI-CRED-001"}


def test_a_pattern_waives_every_matching_failure(catalogs, tmp_path) -> None:
    result = scan(catalogs, tmp_path, waiver("2026-03-01"))
    assert statuses(result) == {USERS[0] + "#key": "waived", USERS[1] + "#key": "waived", USERS[2] + "#key": "fail"}
    assert result.controls[[c.id for c in result.controls].index("NHI-CRED-001")].counts["waived"] == 2
    waived = next(f for f in result.findings if f.status == "waived")
    assert waived.waiver.owner == "alice@example.com"
    assert len(result.waivers.applied) == 1


def test_a_waiver_expiring_on_the_scan_date_no_longer_applies(catalogs, tmp_path) -> None:
    result = scan(catalogs, tmp_path, waiver("2026-01-01"))
    assert set(statuses(result).values()) == {"fail"}
    assert [w.expires for w in result.waivers.expired] == ["2026-01-01"]


@pytest.mark.parametrize("collected_at", ["2026-01-01T06:00:00Z", "2025-12-31T20:00:00-10:00"])
def test_an_inventory_collected_at_a_time_written_with_an_offset_is_judged_by_its_utc_date(
    cli, tmp_path: Path, collected_at: str
) -> None:
    """Reader: the same moment, written in UTC or at -10:00 (the inventory's schema takes any
    offset). Its date is 2026-01-01 in UTC: a waiver expiring that day no longer applies, and the
    gate blocks. Judged by the local date, 2025-12-31, the waiver still held and the gate passed."""
    from scanner.inventory_io import save_inventory

    inventory = tmp_path / "inventory.json"
    save_inventory(make_inventory(INVENTORY), inventory)
    data = json.loads(inventory.read_text())
    inventory.write_text(json.dumps({**data, "collected_at": collected_at}))
    waivers = write(tmp_path, waiver("2026-01-01"))
    out = tmp_path / "out"
    outcome = cli(
        "scan", f"inventory:{inventory}", "--waivers", str(waivers), "--fail-on", "high",
        "--format", "json,md", "-o", str(out), "--no-history", "-q",
    )  # fmt: skip
    assert outcome.exit_code == 1, outcome.output
    results = json.loads((out / "results.json").read_text())
    assert results["scan"]["as_of"] == "2026-01-01T06:00:00Z"
    assert [w["expires"] for w in results["waivers"]["expired"]] == ["2026-01-01"]
    assert "as of 2026-01-01 06:00 UTC" in (out / "summary.md").read_text()


def test_a_waiver_expiring_tomorrow_still_applies_and_is_called_out(catalogs, tmp_path) -> None:
    result = scan(catalogs, tmp_path, waiver("2026-01-02"))
    assert "waived" in statuses(result).values()
    assert [w.expires for w in result.waivers.expiring] == ["2026-01-02"]


@pytest.mark.parametrize(("expires", "called_out"), [("2026-01-15", True), ("2026-01-16", False)])
def test_waivers_ending_within_two_weeks_are_called_out(catalogs, tmp_path, expires, called_out) -> None:
    result = scan(catalogs, tmp_path, waiver(expires))
    assert bool(result.waivers.expiring) is called_out
    assert len(result.waivers.applied) == 1


def test_a_waiver_that_matches_nothing_is_reported(catalogs, tmp_path) -> None:
    result = scan(catalogs, tmp_path, waiver("2026-03-01", resource="arn:aws:iam::9:user/nobody"))
    assert len(result.waivers.unmatched) == 1 and not result.waivers.applied


@pytest.mark.parametrize("resource", ["arn:aws:iam::111111111111:user/legacy-*#key", USERS[0] + "#key"])
def test_a_waiver_behind_an_earlier_one_covering_the_same_failure_is_applied_not_dead(
    catalogs, tmp_path, resource: str
) -> None:
    """Reported as matching nothing, the second waiver read as dead, yet it takes over the day the
    first one lapses: a pattern, or the same failure named exactly (a renewal)."""
    second = "\n".join(waiver("2026-06-30", resource).splitlines()[1:]) + "\n"
    result = scan(catalogs, tmp_path, waiver("2026-02-01", resource) + second)
    assert [w.expires for w in result.waivers.applied] == ["2026-02-01", "2026-06-30"]
    assert not result.waivers.unmatched
    assert {f.waiver.expires for f in result.findings if f.status == "waived"} == {"2026-02-01"}, "the first one waives"


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        (waiver("2027-06-01"), "more than 365 days after the scan date", "6"),
        (waiver("2026-06-01", extra="    created: 2025-01-01\n"), "at most 365 allowed", "6"),
        # a waiver is in force from the day it was created: not on a scan of the day before (a typo,
        # or today's waiver given to an older snapshot, which showed that day's failures as waived)
        (waiver("2026-03-01", extra="    created: 2026-01-02\n"), "after the scan date 2026-01-01", "7"),
        # it applies until the day before it expires: created that day, it covers none (it waived a
        # critical failure where its date, as far east as UTC+14, was not yet past)
        (waiver("2026-01-02", extra="    created: 2026-01-02\n"), "it is never in force", "7"),
        (waiver("2026-02-30"), "'2026-02-30' is not a date", "6"),
        (waiver("soon"), "'soon' is not a date", "6"),
        (
            "waivers:\n  - control: NHI-CRED-001\n    resource: x\n    owner: a\n    reason: b\n",
            "'expires' is a required property",
            "2",
        ),
        ("waivers: [\n", "invalid YAML", "2:1"),
    ],
)
def test_bad_waivers_are_rejected_with_file_and_line(catalogs, tmp_path, text, message, line) -> None:
    with pytest.raises(InputError) as error:
        scan(catalogs, tmp_path, text)
    assert message in str(error.value)
    assert error.value.path == str(tmp_path / "waivers.yaml")
    assert error.value.location == line


def test_waiver_limits_are_measured_from_the_scan_date(catalogs, tmp_path) -> None:
    inventory = make_inventory(INVENTORY)
    path = write(tmp_path, waiver("2026-12-31"))
    assert load_waivers(path, inventory.collected_at)
    with pytest.raises(InputError):
        load_waivers(path, inventory.collected_at - timedelta(days=10))


def test_a_waiver_created_on_the_scan_date_applies(catalogs, tmp_path) -> None:
    result = scan(catalogs, tmp_path, waiver("2026-03-01", extra="    created: 2026-01-01\n"))
    assert len(result.waivers.applied) == 1


def test_a_waiver_dated_where_the_next_day_has_begun_applies(tmp_path) -> None:
    """At 13:00 UTC it is the next day from UTC+11 eastward: a team in Sydney dates its waiver so. At
    midnight UTC that day has begun nowhere yet."""
    path = write(tmp_path, waiver("2026-03-01", extra="    created: 2026-01-02\n"))
    assert load_waivers(path, datetime(2026, 1, 1, 13, 0, tzinfo=UTC))
    with pytest.raises(InputError, match="after the scan date 2026-01-01"):
        load_waivers(path, datetime(2026, 1, 1, 0, 0, tzinfo=UTC))


def test_baseline_gates_only_on_new_failures(catalogs, tmp_path) -> None:
    first = scan(catalogs, tmp_path)
    baseline = tmp_path / "results.json"
    baseline.write_text(render(first))
    grown = dict(INVENTORY)
    grown["identities"] = [*INVENTORY["identities"], {"uid": "arn:aws:iam::111111111111:user/new", "owner": "t"}]
    grown["credentials"] = [
        *INVENTORY["credentials"],
        {
            "uid": "new#key",
            "identity_uid": "arn:aws:iam::111111111111:user/new",
            "created": "-200d",
            "last_used": "-1d",
        },
    ]
    second = run_scan(make_inventory(grown), catalogs, ScanOptions(baseline=baseline))
    new = [f.resource.uid for f in second.findings if f.new and f.status == "fail"]
    assert new == ["new#key"]
    assert second.gate["blocking_findings"] == 1
    unchanged = run_scan(make_inventory(INVENTORY), catalogs, ScanOptions(baseline=baseline))
    assert unchanged.gate["passed"]


def test_results_unknown_in_the_baseline_too_are_not_new(catalogs, tmp_path) -> None:
    """The demo scanned again against its own results: nothing changed, so no result is new, the
    unknown ones no more than the failures (before, every unknown result was marked new)."""
    from scanner.sources import SourceSpec, collect

    inventory = collect(SourceSpec("demo", None))
    baseline = tmp_path / "results.json"
    baseline.write_text(render(run_scan(inventory, catalogs, ScanOptions())))
    again = run_scan(inventory, catalogs, ScanOptions(baseline=baseline))
    unknown = [f for f in again.findings if f.status == "unknown"]
    assert unknown and not any(f.new for f in unknown)
    assert not any(f.new for f in again.findings)


def test_a_renamed_resource_keeps_its_baseline_entry(catalogs, tmp_path) -> None:
    baseline = tmp_path / "results.json"
    baseline.write_text(render(scan(catalogs, tmp_path)))
    renamed = json.loads(json.dumps(INVENTORY))
    renamed["identities"][0]["name"] = "legacy-a-renamed"
    result = run_scan(make_inventory(renamed), catalogs, ScanOptions(baseline=baseline))
    assert result.gate["passed"]


def test_a_removed_resource_simply_drops_out(catalogs, tmp_path) -> None:
    baseline = tmp_path / "results.json"
    baseline.write_text(render(scan(catalogs, tmp_path)))
    fewer = {"identities": INVENTORY["identities"][:1], "credentials": INVENTORY["credentials"][:1]}
    result = run_scan(make_inventory(fewer), catalogs, ScanOptions(baseline=baseline))
    assert result.gate["passed"] and len(statuses(result)) == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"findings": [', "invalid JSON"),
        ('{"identities": []}', "not an nhiscan results file"),
        ('{"scan": {}, "findings": [{"status": "fail"}]}', "finding without a fingerprint"),
    ],
)
def test_bad_baselines_are_input_errors(tmp_path, content, message) -> None:
    path = tmp_path / "old.json"
    path.write_text(content)
    with pytest.raises(InputError, match=message):
        load_baseline(path)


def test_an_unknown_result_is_new_only_where_its_control_judged_something_in_the_baseline() -> None:
    """NHI-AGENT-015 judges agents only against a baseline: the baseline scan itself had none to
    judge, so an unknown result of it now has nothing to be new against; an unknown of a control
    that judged resources then, and not this one as unknown, is new."""
    from scanner.engine.baseline import Baseline, mark_new
    from scanner.model import Finding, ResourceRef

    ref = ResourceRef("agent-1", "agent", "agent", "agent-1", "manifest", "repo")
    drift = Finding("f1", "NHI-AGENT-015", "unknown", "medium", ref, "", {})
    reach = Finding("f2", "NHI-AGENT-004", "unknown", "critical", ref, "", {})
    mark_new([drift, reach], Baseline(set(), {}, frozenset(), judged=frozenset({"NHI-AGENT-004"})))
    assert (drift.new, reach.new) == (False, True)


PASSWORD = "Hk3Lm9Qz7Rt2Wx5V"
TOKEN = "ghp_" + "R8x2Kq9ZmT4vLp7WnB3cYd6FhJ1sGe5AoU0i"


def test_what_a_waiver_says_is_redacted_before_any_report_writes_it(catalogs, tmp_path) -> None:
    """A reason, owner or ticket is written to results.json, the HTML, SARIF's suppression and
    summary.md: a password pasted into one reached all of them."""
    extra = f'    ticket: "https://jira.example.com/browse/SEC-1?token={TOKEN}"\n'
    text = waiver("2026-03-01", extra=extra).replace(
        "reason: vendor cannot rotate yet", f'reason: "vendor cannot rotate yet; the DB password: {PASSWORD}"'
    )
    result = scan(catalogs, tmp_path, text)
    written = render(result)
    assert PASSWORD not in written and TOKEN not in written
    (applied,) = {f.waiver.reason for f in result.findings if f.waiver}
    assert applied.startswith("vendor cannot rotate yet; the DB password: ")


@pytest.mark.parametrize(
    "pattern", [f"nothing-matches-{TOKEN}", "https://mcp.example.com/sse?key=AbCdEf1234567890", "x?pass=Hk3Lm9Qz7*"]
)
def test_a_waiver_pattern_holding_a_secret_is_refused_without_repeating_it(catalogs, tmp_path, pattern) -> None:
    """It could match nothing (every uid is redacted as it is read), and the line naming what it
    matched printed the token."""
    with pytest.raises(InputError) as refused:
        scan(catalogs, tmp_path, waiver("2026-03-01", resource=pattern))
    assert "looks like a secret" in str(refused.value) and pattern not in str(refused.value)


@pytest.mark.parametrize("pattern", ["repo/svc?token=*", "repo/svc?token=[[]REDACTED]"])
def test_a_waiver_pattern_standing_for_a_redacted_uid_is_accepted(catalogs, tmp_path, pattern: str) -> None:
    """A wildcard, or the redaction mark written as a pattern, where a uid's secret was: it holds
    no secret and matches the uid as redaction left it."""
    waivers = load_waivers(write(tmp_path, waiver("2026-03-01", resource=pattern)), make_inventory({}).collected_at)
    assert [w.resource for w in waivers] == [pattern]


def test_a_waiver_naming_a_key_id_whole_names_the_uid_as_read_with_the_id_masked(tmp_path) -> None:
    """A uid holding an access key's id (an MCP server named by one) is read with the id masked, as
    nhiscan shows every key id: a waiver written with the whole id names that uid, where it was
    refused as holding a secret."""
    path = write(tmp_path, waiver("2026-03-01", resource="repo/.mcp.json#tool:AKIAZM84KLTQJRO84S34"))
    (loaded,) = load_waivers(path, datetime(2026, 1, 1, tzinfo=UTC))
    assert loaded.resource == "repo/.mcp.json#tool:AKIA…4S34"


@pytest.mark.parametrize(
    ("control", "hint"),
    [("NHI-CRED-0001", ""), ("nhi-cred-001", " (ids are written in capitals: NHI-CRED-001)"), ("NHI-CERT-*", "")],
)
def test_a_waiver_naming_no_loaded_control_is_refused_at_its_line(catalogs, tmp_path, control: str, hint: str) -> None:
    """It matched nothing without a word: the failure it was written for still failed the gate,
    listed only as "matched nothing", while the same typo in nhiscan.yaml is refused."""
    text = waiver("2026-03-01").replace("control: NHI-CRED-001", f"control: {control}")
    with pytest.raises(InputError) as refused:
        scan(catalogs, tmp_path, text)
    assert refused.value.detail == f"waiver control '{control}' names no control nhiscan has loaded{hint}"
    assert refused.value.location == "2"


def test_a_waiver_of_a_control_the_scan_leaves_out_is_kept(catalogs, tmp_path) -> None:
    result = scan(catalogs, tmp_path, waiver("2026-03-01"), disabled_controls=["NHI-CRED-001"])
    assert not [f for f in result.findings if f.control_id == "NHI-CRED-001"]


def test_a_waiver_naming_no_loaded_control_is_refused_before_anything_is_collected(cli, tmp_path) -> None:
    """It was refused only once collection had ended (minutes of an organisation's scan)."""
    text = waiver("2026-03-01").replace("control: NHI-CRED-001", "control: NHI-CRED-0001")
    outcome = cli("scan", f"inventory:{tmp_path / 'not-read-yet.json'}", "--waivers", str(write(tmp_path, text)),
                  "--no-history", "-o", str(tmp_path / "out"))  # fmt: skip
    assert outcome.exit_code == 2
    assert "names no control nhiscan has loaded" in outcome.output and "not-read-yet" not in outcome.output
