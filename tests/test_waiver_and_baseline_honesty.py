"""A waiver accepts a failure for a limited time: a baseline does not make that acceptance permanent."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scanner import streamed_json
from scanner.engine.waivers import unmatched_label
from scanner.errors import InputError
from scanner.inventory_io import inventory_document
from scanner.model import ScanResult
from scanner.reports import ReportSettings, html_report, markdown, pdf_report
from scanner.reports.json_results import render
from scanner.reports.view import gate_verdict
from scanner.results_file import streamed_baseline
from scanner.results_io import load_results
from scanner.scan import ScanOptions, load_catalogs, run_scan
from scanner.serialize import dumps

from .conftest import make_inventory

LEGACY = "arn:aws:iam::111111111111:user/legacy"
FRESH = "arn:aws:iam::111111111111:user/fresh"
INVENTORY = {
    "identities": [{"uid": uid, "owner": "team"} for uid in (LEGACY, FRESH)],
    "credentials": [
        {"uid": f"{uid}#key", "identity_uid": uid, "created": "-300d", "last_used": "-1d"} for uid in (LEGACY, FRESH)
    ],
}
# the fixture's collection time is 2026-01-01; NHI-CRED-001 (keys rotated in time) is high


def waivers_file(tmp_path: Path, expires: str, name: str = "waivers.yaml") -> Path:
    path = tmp_path / name
    path.write_text(
        f'waivers:\n  - control: NHI-CRED-001\n    resource: "{LEGACY}#key"\n    owner: alice@example.com\n'
        f"    reason: vendor cannot rotate yet\n    expires: {expires}\n"
    )
    return path


def scan(catalogs, **options) -> ScanResult:
    return run_scan(make_inventory(INVENTORY), catalogs, ScanOptions(**options))


def legacy_key(result: ScanResult):
    return next(f for f in result.findings if f.control_id == "NHI-CRED-001" and f.resource.uid == f"{LEGACY}#key")


@pytest.fixture(params=["read line by line, as a large one is", "re-serialised by another tool, read whole"])
def baseline_waiving_the_legacy_key(request, catalogs, tmp_path: Path, monkeypatch) -> Path:
    """A baseline in which the legacy key's failure was waived and the fresh key's failed."""
    earlier = scan(catalogs, waivers=waivers_file(tmp_path, "2026-03-01", "then.yaml"))
    assert legacy_key(earlier).status == "waived"
    path = tmp_path / "baseline.json"
    text = render(earlier)
    if request.param.startswith("read line by line"):
        monkeypatch.setattr(streamed_json, "STREAM_FROM_BYTES", 0)
        path.write_text(text)
        assert streamed_baseline(path) is not None
    else:
        path.write_text(json.dumps(json.loads(text), indent=2))
    return path


def test_a_failure_waived_in_the_baseline_blocks_once_its_waiver_expires(
    catalogs, tmp_path, baseline_waiving_the_legacy_key
) -> None:
    result = scan(catalogs, waivers=waivers_file(tmp_path, "2026-01-01"), baseline=baseline_waiving_the_legacy_key)
    finding = legacy_key(result)
    assert (finding.status, finding.new) == ("fail", True)
    assert not result.gate["passed"] and result.gate["blocking_findings"] == 1
    verdict = gate_verdict(result)
    assert verdict.startswith("1 new failure at or above high severity since the baseline")
    assert "1 of them because its waiver expired" in verdict
    assert "1 known failure remains" in verdict  # the fresh key, which failed then too


def test_a_failure_waived_in_the_baseline_blocks_once_its_waiver_is_removed(
    catalogs, baseline_waiving_the_legacy_key
) -> None:
    result = scan(catalogs, baseline=baseline_waiving_the_legacy_key)
    assert (legacy_key(result).status, legacy_key(result).new) == ("fail", True)
    assert not result.gate["passed"] and result.gate["blocking_findings"] == 1
    verdict = gate_verdict(result)
    assert verdict.startswith("1 new failure at or above high severity since the baseline")
    assert "1 of them because its waiver was removed;" in verdict and "expired" not in verdict


def test_a_waiver_removed_is_not_called_expired_because_another_waiver_expired(
    catalogs, tmp_path, baseline_waiving_the_legacy_key
) -> None:
    """The expired waiver this scan lists is of another resource: the legacy key's was removed."""
    other = tmp_path / "other.yaml"
    other.write_text(waivers_file(tmp_path, "2026-01-01").read_text().replace(f"{LEGACY}#key", f"{FRESH}#key"))
    result = scan(catalogs, waivers=other, baseline=baseline_waiving_the_legacy_key)
    assert [w.resource for w in result.waivers.expired] == [f"{FRESH}#key"]
    verdict = gate_verdict(result)
    assert verdict.startswith("1 new failure at or above high severity since the baseline")
    assert "1 of them because its waiver was removed;" in verdict and "expired" not in verdict


def test_a_failure_the_baseline_never_had_is_plainly_new_whatever_expired_waiver_matches_it(catalogs, tmp_path) -> None:
    """An old expired waiver that happens to match a failure the baseline did not have says nothing
    about why that failure is new."""
    fresh_only = {key: [r for r in INVENTORY[key] if LEGACY not in r["uid"]] for key in INVENTORY}
    path = tmp_path / "baseline.json"
    path.write_text(render(run_scan(make_inventory(fresh_only), catalogs, ScanOptions())))
    result = scan(catalogs, waivers=waivers_file(tmp_path, "2026-01-01"), baseline=path)
    assert (legacy_key(result).status, legacy_key(result).new) == ("fail", True)
    assert [w.resource for w in result.waivers.expired] == [f"{LEGACY}#key"]
    verdict = gate_verdict(result)
    assert verdict.startswith("1 new failure at or above high severity since the baseline")
    assert "because" not in verdict and "1 known failure remains" in verdict


def test_failures_back_from_an_expired_and_a_removed_waiver_are_each_named(catalogs, tmp_path) -> None:
    both = tmp_path / "both.yaml"
    both.write_text(
        "waivers:\n"
        + "".join(
            f'  - control: NHI-CRED-001\n    resource: "{uid}#key"\n    owner: alice@example.com\n'
            f"    reason: vendor cannot rotate yet\n    expires: 2026-03-01\n"
            for uid in (LEGACY, FRESH)
        )
    )
    path = tmp_path / "baseline.json"
    path.write_text(render(scan(catalogs, waivers=both)))
    result = scan(catalogs, waivers=waivers_file(tmp_path, "2026-01-01"), baseline=path)
    verdict = gate_verdict(result)
    assert verdict.startswith(
        "2 new failures at or above high severity since the baseline "
        f"({path}), 1 of them because its waiver expired and 1 because its waiver was removed; "
    )
    assert "0 known failures remain" in verdict


def test_the_reason_is_read_back_with_the_results(catalogs, tmp_path, baseline_waiving_the_legacy_key) -> None:
    """A report rendered again from results.json says what the scan said."""
    for waivers in (waivers_file(tmp_path, "2026-01-01"), None):
        result = scan(catalogs, waivers=waivers, baseline=baseline_waiving_the_legacy_key)
        written = tmp_path / "results.json"
        written.write_text(render(result))
        assert "because its waiver" in gate_verdict(result)
        assert gate_verdict(load_results(written)) == gate_verdict(result)


# A catch-all is judged on what its pattern matches in the scan, not on how it is spelled.


def catch_all(tmp_path: Path, control: str, resource: str, extra: str = "", expires: str = "2026-03-01") -> Path:
    path = tmp_path / "catch-all.yaml"
    path.write_text(
        f'waivers:\n  - control: "{control}"\n    resource: "{resource}"\n    owner: alice@example.com\n'
        f"    reason: accepted\n    expires: {expires}\n{extra}"
    )
    return path


@pytest.mark.parametrize(
    ("control", "resource", "line", "message"),
    [
        ("NHI-*", f"{LEGACY}#key", "2", "waiver control 'NHI-*' matches every control of the scan"),
        # wildcards and character classes only: it names nothing, and waives whatever exists
        ("[!~]*", f"{LEGACY}#key", "2", "waiver control '[!~]*' matches every control"),
        ("NHI-CRED-001", "[!~]*", "3", "waiver resource '[!~]*' matches every resource"),
        # every resource the control evaluated, all failing: nothing outside the pattern
        ("NHI-CRED-*", "*:111111111111:*", "3", "matches every resource NHI-CRED-001 evaluated (2, all failing)"),
        ("NHI-CRED-001", "arn:aws:iam::111111111111:user/*#key", "3", "every resource NHI-CRED-001 evaluated"),
    ],
)
def test_a_pattern_that_waives_every_control_or_every_failure_of_one_needs_scope_all(
    catalogs, tmp_path, control, resource, line, message
) -> None:
    path = catch_all(tmp_path, control, resource)
    with pytest.raises(InputError) as error:
        scan(catalogs, waivers=path)
    assert message in str(error.value) and "say so with 'scope: all'" in str(error.value)
    assert (error.value.path, error.value.location) == (str(path), line)

    declared = scan(catalogs, waivers=catch_all(tmp_path, control, resource, "    scope: all\n"))
    assert declared.waivers.applied and legacy_key(declared).status == "waived"


@pytest.mark.parametrize(
    "resource",
    [
        f"{LEGACY}#*",  # one resource named, whatever its key id: not a catch-all
        "arn:aws:iam::111111111111:user/legacy*",  # some failures of the control, not all
    ],
)
def test_a_pattern_naming_some_of_a_controls_failures_needs_no_scope(catalogs, tmp_path, resource) -> None:
    result = scan(catalogs, waivers=catch_all(tmp_path, "NHI-CRED-001", resource))
    assert legacy_key(result).status == "waived"
    fresh = next(f for f in result.findings if f.control_id == "NHI-CRED-001" and f.resource.uid == f"{FRESH}#key")
    assert fresh.status == "fail"


def test_a_catch_all_on_the_demo_is_refused_in_one_line_naming_file_and_line(cli, tmp_path) -> None:
    """The review's two catch-alls: every control on every resource, and every control of one account."""
    for resource, line, refusal in (
        ("[!~]*", 3, "waiver resource '[!~]*' matches every resource"),
        ("*:444455556666*", 2, "matches every control of the scan"),
    ):
        path = catch_all(tmp_path, "NHI-*", resource, expires="2027-01-15")  # the demo is of 2026-11-01
        out = tmp_path / "out"
        result = cli("scan", "demo", "-q", "--no-history", "--waivers", str(path), "--output-dir", str(out))
        assert result.exit_code == 2
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and f"{path}:{line}" in lines[0] and refusal in lines[0]
        assert not (out / "results.json").exists()


def test_a_narrow_waiver_left_covering_every_failure_after_the_rest_were_fixed_is_kept(catalogs, tmp_path) -> None:
    """A team fixed every key but the legacy ones its waiver names: the pattern now covers every
    failure of the control, but a passing key lies outside it, so it is no catch-all, and the scan
    is not refused because the estate got better."""
    fixed = {**INVENTORY, "credentials": [
        {"uid": f"{LEGACY}#key", "identity_uid": LEGACY, "created": "-300d", "last_used": "-1d"},
        {"uid": f"{LEGACY}#key2", "identity_uid": LEGACY, "created": "-300d", "last_used": "-1d"},
        {"uid": f"{FRESH}#key", "identity_uid": FRESH, "created": "-10d", "last_used": "-1d"},
    ]}  # fmt: skip
    waivers = catch_all(tmp_path, "NHI-CRED-001", f"{LEGACY}#*")
    result = run_scan(make_inventory(fixed), catalogs, ScanOptions(waivers=waivers))
    statuses = {f.resource.uid: f.status for f in result.findings if f.control_id == "NHI-CRED-001"}
    assert statuses == {f"{LEGACY}#key": "waived", f"{LEGACY}#key2": "waived"}
    (summary,) = [c for c in result.controls if c.id == "NHI-CRED-001"]
    assert summary.counts["pass"] == 1


@pytest.mark.parametrize("resource", ["arn*", "*:111111111111:*", "arn:aws:iam::111111111111:user/*"])
def test_a_pattern_covering_the_passing_resources_too_is_a_catch_all(catalogs, tmp_path, resource) -> None:
    """A passing key let any pattern through: the check looked for a pass outside the pattern in
    the counts alone, never at whether the pattern covered the passing key as well. ``arn*`` waived
    both failures, and would have waived every key to fail after them, with no ``scope: all``."""
    fixed = {**INVENTORY, "credentials": [
        {"uid": f"{LEGACY}#key", "identity_uid": LEGACY, "created": "-300d", "last_used": "-1d"},
        {"uid": f"{LEGACY}#key2", "identity_uid": LEGACY, "created": "-300d", "last_used": "-1d"},
        {"uid": f"{FRESH}#key", "identity_uid": FRESH, "created": "-10d", "last_used": "-1d"},
    ]}  # fmt: skip
    with pytest.raises(InputError) as error:
        run_scan(make_inventory(fixed), catalogs, ScanOptions(waivers=catch_all(tmp_path, "NHI-CRED-001", resource)))
    assert "matches every resource NHI-CRED-001 evaluated (3, 2 of them failing)" in str(error.value)
    declared = catch_all(tmp_path, "NHI-CRED-001", resource, "    scope: all\n")
    result = run_scan(make_inventory(fixed), catalogs, ScanOptions(waivers=declared))
    assert {f.status for f in result.findings if f.control_id == "NHI-CRED-001"} == {"waived"}


def test_a_pattern_covering_every_resource_in_the_control_s_scope_is_judged_on_that_scope(catalogs, tmp_path) -> None:
    """The resources a control evaluated are those its ``where`` keeps: a pattern that covers all
    of them, the passing key too, is a catch-all even though a record out of the control's scope
    (an inactive key) lies outside it."""
    estate = {**INVENTORY, "credentials": [
        *INVENTORY["credentials"],
        {"uid": f"{FRESH}#newkey", "identity_uid": FRESH, "created": "-10d", "last_used": "-1d"},
        {"uid": f"{FRESH}#old-inactive", "identity_uid": FRESH, "created": "-300d", "active": False},
    ]}  # fmt: skip
    (summary,) = [
        c for c in run_scan(make_inventory(estate), catalogs, ScanOptions()).controls if c.id == "NHI-CRED-001"
    ]
    assert (summary.counts["fail"], summary.counts["pass"]) == (2, 1), "the inactive key is out of its scope"
    with pytest.raises(InputError, match=r"matches every resource NHI-CRED-001 evaluated \(3, 2 of them failing\)"):
        run_scan(make_inventory(estate), catalogs, ScanOptions(waivers=catch_all(tmp_path, "NHI-CRED-001", "*key")))
    narrow = run_scan(
        make_inventory(estate), catalogs, ScanOptions(waivers=catch_all(tmp_path, "NHI-CRED-001", "*#key"))
    )
    assert {f.resource.uid for f in narrow.findings if f.status == "waived"} == {f"{LEGACY}#key", f"{FRESH}#key"}


# A waiver never turns an unknown result into a pass: one that matches only unknown results says so.

MYSTERY = "arn:aws:iam::111111111111:user/mystery"
WITH_AN_UNKNOWN_KEY = {
    "identities": [*INVENTORY["identities"], {"uid": MYSTERY, "owner": "team"}],
    "credentials": [
        *INVENTORY["credentials"],
        {"uid": f"{MYSTERY}#key", "identity_uid": MYSTERY, "created": None, "unknown": ["created", "last_rotated"]},
    ],
}


def unknown_only_waivers(tmp_path: Path) -> Path:
    path = tmp_path / "waivers.yaml"
    path.write_text(
        "waivers:\n"
        f'  - control: NHI-CRED-001\n    resource: "{MYSTERY}#key"\n    owner: alice@example.com\n'
        "    reason: rotation evidence is on its way\n    expires: 2026-03-01\n"
        '  - control: NHI-CRED-001\n    resource: "arn:aws:iam::999999999999:user/gone#key"\n'
        "    owner: alice@example.com\n    reason: long gone\n    expires: 2026-03-01\n"
    )
    return path


def test_a_waiver_matching_only_unknown_results_is_listed_as_such_not_as_matching_nothing(catalogs, tmp_path) -> None:
    result = run_scan(
        make_inventory(WITH_AN_UNKNOWN_KEY), catalogs, ScanOptions(waivers=unknown_only_waivers(tmp_path))
    )
    mystery = next(f for f in result.findings if f.control_id == "NHI-CRED-001" and f.resource.uid == f"{MYSTERY}#key")
    assert mystery.status == "unknown" and mystery.waiver is None  # never waived: there is no evidence
    waivers = result.waivers
    assert [w.resource for w in waivers.unknown_only] == [f"{MYSTERY}#key"]
    # still among the waivers that waived nothing, as readers of results.json before 1.4 expect
    assert [w.resource for w in waivers.unmatched] == [f"{MYSTERY}#key", "arn:aws:iam::999999999999:user/gone#key"]
    assert unmatched_label(waivers, waivers.unmatched[0]) == "matches only unknown results (not waived: no evidence)"
    assert unmatched_label(waivers, waivers.unmatched[1]) == "matches nothing"


def test_results_json_lists_the_waivers_matching_only_unknown_results(catalogs, tmp_path) -> None:
    result = run_scan(
        make_inventory(WITH_AN_UNKNOWN_KEY), catalogs, ScanOptions(waivers=unknown_only_waivers(tmp_path))
    )
    path = tmp_path / "results.json"
    path.write_text(render(result))
    written = json.loads(path.read_text())
    assert tuple(map(int, written["schema_version"].split("."))) >= (1, 4), "unknown_only is of 1.4"
    assert [w["resource"] for w in written["waivers"]["unknown_only"]] == [f"{MYSTERY}#key"]
    assert len(written["waivers"]["unmatched"]) == 2
    assert load_results(path).waivers == result.waivers  # read back, and valid against the schema


def test_the_console_says_a_waiver_matches_only_unknown_results(cli, tmp_path) -> None:
    inventory = tmp_path / "inventory.json"
    inventory.write_text(dumps(inventory_document(make_inventory(WITH_AN_UNKNOWN_KEY))))
    out = tmp_path / "out"
    shown = cli(
        "scan", f"inventory:{inventory}", "--no-history", "--waivers", str(unknown_only_waivers(tmp_path)),
        "--format", "json", "--output-dir", str(out),
    )  # fmt: skip
    text = " ".join(shown.output.split())
    assert "1 matched nothing, 1 matched only unknown results (not waived: no evidence)" in text
    assert f"waiver matches only unknown results (not waived: no evidence) NHI-CRED-001 {MYSTERY}#key" in text
    assert "waiver matched nothing NHI-CRED-001 arn:aws:iam::999999999999:user/gone#key" in text


def test_every_report_lists_a_waiver_matching_only_unknown_results_as_such(catalogs, tmp_path) -> None:
    result = run_scan(
        make_inventory(WITH_AN_UNKNOWN_KEY), catalogs, ScanOptions(waivers=unknown_only_waivers(tmp_path))
    )
    settings = ReportSettings(paper="a4")
    summary = markdown.render(result, settings)
    assert "**matches only unknown results (not waived: no evidence)**" in summary
    assert summary.count("**matches nothing**") == 1
    html = " ".join(html_report.render(result, settings).split())
    assert "matches only unknown results: not waived, no evidence</span>" in html
    assert html.count(">unmatched</span>") == 1
    executive = " ".join(pdf_report.executive_html(result, settings).split())
    assert "1 matching nothing; 1 matching only unknown results (not waived: no evidence)." in executive
    assert "<td>matches only unknown results</td>" in executive and executive.count("<td>matches nothing</td>") == 1


def test_the_waiver_applied_is_the_first_that_covers_a_failure_as_when_each_was_tried_in_turn() -> None:
    """Waivers are found per control and, for a resource named exactly, by one lookup: the answer
    is the one trying every waiver in the file's order against every failure gave."""
    import random
    from fnmatch import fnmatchcase

    from scanner.engine.waivers import _FirstWaiver
    from scanner.model import Waiver

    chooser = random.Random(7)
    controls = ["NHI-CRED-001", "NHI-CRED-002", "NHI-PRIV-001"]
    uids = [f"arn:aws:iam::{a}:user/u{n}#key" for a in ("111111111111", "222222222222") for n in range(6)]
    control_patterns = [*controls, "NHI-CRED-*", "NHI-*-001", "NHI-PRIV-00?"]
    resource_patterns = [*uids, "arn:aws:iam::111111111111:*", "*u1#key", "*:user/u[0-2]#key"]
    for _ in range(200):
        waivers = [
            Waiver(chooser.choice(control_patterns), chooser.choice(resource_patterns), "o", "r", "2027-01-01")
            for _ in range(chooser.randint(1, 8))
        ]
        first = _FirstWaiver(waivers)
        for control in controls:
            for uid in uids:
                tried = [
                    i for i, w in enumerate(waivers) if fnmatchcase(control, w.control) and fnmatchcase(uid, w.resource)
                ]
                assert first(control, uid) == (tried[0] if tried else None)
                assert first.all(control, uid) == set(tried)


def test_a_scan_limited_to_a_framework_judges_a_catch_all_on_the_resources_the_framework_admits(cli, tmp_path) -> None:
    """Limited to CIS AWS, NHI-CRED-001 judged the demo's 36 AWS keys, and ``arn*`` covered all of
    them; the check counted the Azure and GCP keys outside the framework too, found them outside
    the pattern, and let the waiver turn every AWS key failure green."""
    waivers = catch_all(tmp_path, "NHI-CRED-001", "arn*", expires="2026-12-01")
    out = tmp_path / "out"
    outcome = cli("scan", "demo", "--waivers", str(waivers), "--framework", "cis-aws-foundations", "-o", str(out),
                  "--format", "json", "--no-history", "-q")  # fmt: skip
    assert outcome.exit_code == 2
    assert "matches every resource NHI-CRED-001 evaluated (36, 25 of them failing)" in outcome.output


def test_the_resources_a_control_evaluated_are_listed_once_however_many_waivers_name_it(
    catalogs, tmp_path, monkeypatch
) -> None:
    """Listing them walks every record of the control's type: listed again for each of 200
    waivers, a 100k scan took 76 s instead of 28 s."""
    import scanner.scan

    listed: list[str] = []
    real = scanner.scan.evaluated_uids

    def counting(compiled, ctx, *scopes_and_found):
        listed.append(compiled.id)
        return real(compiled, ctx, *scopes_and_found)

    monkeypatch.setattr(scanner.scan, "evaluated_uids", counting)
    entries = "".join(
        f'  - control: NHI-CRED-001\n    resource: "arn:aws:iam::111111111111:user/{prefix}*"\n'
        f"    owner: team{index}\n    reason: accepted\n    expires: 2026-03-01\n"
        for index, prefix in enumerate(["l", "le", "leg", "lega", "legac", "legacy"] * 20)
    )
    path = tmp_path / "many.yaml"
    path.write_text("waivers:\n" + entries)
    fixed = {**INVENTORY, "credentials": [
        {"uid": f"{LEGACY}#key", "identity_uid": LEGACY, "created": "-300d", "last_used": "-1d"},
        {"uid": f"{LEGACY}#key2", "identity_uid": LEGACY, "created": "-300d", "last_used": "-1d"},
        {"uid": f"{FRESH}#key", "identity_uid": FRESH, "created": "-10d", "last_used": "-1d"},
    ]}  # fmt: skip
    result = run_scan(make_inventory(fixed), catalogs, ScanOptions(waivers=path))
    assert legacy_key(result).status == "waived"
    assert listed == ["NHI-CRED-001"]


def test_framework_items_passing_only_because_a_failure_was_waived_are_counted_apart(catalogs, tmp_path) -> None:
    """An item whose only failure in scope is waived passes (the risk is accepted), but the PDF and
    the terminal say how many of the passing items pass on waivers, as the HTML's item table does."""
    from rich.console import Console

    from scanner.framework_console import posture_table

    legacy_only = {key: [r for r in records if LEGACY in r["uid"]] for key, records in INVENTORY.items()}
    waived = run_scan(make_inventory(legacy_only), catalogs, ScanOptions(waivers=waivers_file(tmp_path, "2026-03-01")))
    unwaived = run_scan(make_inventory(legacy_only), catalogs, ScanOptions())
    assert legacy_key(waived).status == "waived" and legacy_key(unwaived).status == "fail"

    on_waivers = {}
    for posture, before in zip(waived.frameworks, unwaived.frameworks, strict=True):
        items = [i for i in posture.items if i.status == "pass" and i.counts.get("waived")]
        # each failed without the waiver: it passes on the waiver alone
        failed_before = {i.id for i in before.items if i.status == "fail"}
        assert {i.id for i in items} <= failed_before
        if items:
            on_waivers[posture.id] = (sum(1 for i in posture.items if i.status == "pass"), len(items))
    assert on_waivers, "NHI-CRED-001 decides items of several frameworks"

    console = Console(record=True, width=250)
    console.print(posture_table(waived.frameworks))
    terminal = console.export_text()
    executive = " ".join(pdf_report.executive_html(waived, ReportSettings()).split())
    for framework, (passing, waived_items) in on_waivers.items():
        row = next(line for line in terminal.splitlines() if line.strip().startswith(framework))
        assert f"{passing} ({waived_items} on waivers)" in row
        assert f'<td class="num">{passing} ({waived_items} on waivers)</td>' in executive

    console = Console(record=True, width=250)
    console.print(posture_table(unwaived.frameworks))
    assert "on waivers" not in console.export_text()
    assert "on waivers" not in pdf_report.executive_html(unwaived, ReportSettings())


# A configuration already failing NHI-SECRET-001 that gains a secret is a new exposure, not a known failure.


def _configuration_holding(*secrets: tuple[str, str]) -> dict:
    """An MCP configuration holding plaintext secrets, each (its key, its value's fingerprint)."""
    config = "github.com/acme/agent-configs/.vscode/mcp.json"
    return {
        "agents": [{"uid": config, "provider": "manifest", "account": "github.com/acme/agent-configs"}],
        "credentials": [
            {"uid": f"{config}#plaintext_secret:{key}", "identity_uid": config, "kind": "plaintext_secret",
             "attributes": {"display_id": "ghp_…(redacted)", "fingerprint": fingerprint}}
            for key, fingerprint in secrets
        ],
    }  # fmt: skip


def _keys_before_a_token(keys: int, fingerprint: str):
    """The MCP configuration holding API keys and then one token (its value's fingerprint)."""
    estate = _configuration_holding(("GITHUB_TOKEN", fingerprint))
    config = estate["agents"][0]["uid"]
    held = [{"uid": f"{config}#key{n}", "identity_uid": config, "kind": "api_key"} for n in range(keys)]
    estate["credentials"] = held + estate["credentials"]
    return make_inventory(estate)


@pytest.mark.parametrize("read", ["read line by line, as a large one is", "read whole"])
def test_a_configuration_failing_for_a_secret_that_gains_another_fails_anew(catalogs, tmp_path, monkeypatch, read):
    """The baseline's configuration held one token; a second pasted in (or the first replaced by
    another value) kept the failure's fingerprint, and a gate on new failures let a critical leak
    through. The same tokens as then are still the known failure."""
    then = run_scan(
        make_inventory(_configuration_holding(("GITHUB_TOKEN", "sha256:5d1f0c2e"))), catalogs, ScanOptions()
    )
    path = tmp_path / "baseline.json"
    if read.startswith("read line by line"):
        monkeypatch.setattr(streamed_json, "STREAM_FROM_BYTES", 0)
        path.write_text(render(then))
        assert streamed_baseline(path) is not None
    else:
        path.write_text(json.dumps(json.loads(render(then)), indent=2))

    def secret_failure(*secrets: tuple[str, str]):
        now = run_scan(make_inventory(_configuration_holding(*secrets)), catalogs, ScanOptions(baseline=path))
        return next(f for f in now.findings if f.control_id == "NHI-SECRET-001")

    assert secret_failure(("GITHUB_TOKEN", "sha256:5d1f0c2e")).new is False
    assert secret_failure(("GITHUB_TOKEN", "sha256:5d1f0c2e"), ("SLACK_TOKEN", "sha256:0a9b8c7d")).new is True
    assert secret_failure(("GITHUB_TOKEN", "sha256:77e1a0b4")).new is True, "another value under the same key"


@pytest.mark.parametrize("attributes", [[], "sha256:5d1f0c2e", None])
def test_a_baseline_secret_whose_attributes_are_not_an_object_breaks_nothing(catalogs, tmp_path, attributes):
    """A baseline edited by another tool: its secret has no fingerprint to compare, so the failure
    cannot be shown to hold only the secrets it held then, and is new."""
    then = json.loads(render(run_scan(make_inventory(_configuration_holding(("GITHUB_TOKEN", "sha256:5d1f0c2e"))),
                                      catalogs, ScanOptions())))  # fmt: skip
    for credential in then["inventory"]["credentials"]:
        credential["attributes"] = attributes
    path = tmp_path / "baseline.json"
    path.write_text(json.dumps(then))
    now = run_scan(
        make_inventory(_configuration_holding(("GITHUB_TOKEN", "sha256:5d1f0c2e"))),
        catalogs,
        ScanOptions(baseline=path),
    )
    assert next(f for f in now.findings if f.control_id == "NHI-SECRET-001").new is True, "by fingerprint: not known"


def test_a_failure_naming_some_of_its_credentials_only_is_new_when_a_secret_it_holds_is_new(catalogs, tmp_path):
    """NHI-AGENT-005 names up to twenty of the long-lived credentials it failed on: an agent with
    twenty-one keys before its token lists no token, yet the token replaced is a new exposure."""

    path = tmp_path / "baseline.json"
    path.write_text(render(run_scan(_keys_before_a_token(21, "sha256:5d1f0c2e"), catalogs, ScanOptions())))
    now = run_scan(_keys_before_a_token(21, "sha256:77e1a0b4"), catalogs, ScanOptions(baseline=path))
    (long_lived,) = [f for f in now.findings if f.control_id == "NHI-AGENT-005"]
    assert long_lived.evidence["credentials"][-1] == "... 2 more" and long_lived.new is True
    same = run_scan(_keys_before_a_token(21, "sha256:5d1f0c2e"), catalogs, ScanOptions(baseline=path))
    assert next(f for f in same.findings if f.control_id == "NHI-AGENT-005").new is False


def test_a_failure_on_other_credentials_naming_some_of_them_is_not_new_for_a_secret(catalogs, tmp_path):
    """NHI-CRED-004 fails an identity's long-lived keys and never looks at plaintext secrets: a
    new token its holder holds does not make its failure new, however many keys it names."""
    holder = "arn:aws:iam::111111111111:user/etl"

    def estate(fingerprint: str):
        keys = [{"uid": f"{holder}#key{n}", "identity_uid": holder, "kind": "access_key"} for n in range(21)]
        secret = {"uid": f"{holder}#plaintext_secret:description", "identity_uid": holder, "kind": "plaintext_secret",
                  "attributes": {"display_id": "ghp_…(redacted)", "fingerprint": fingerprint}}  # fmt: skip
        return make_inventory({"identities": [{"uid": holder, "provider": "aws", "account": "111111111111",
                                               "kind": "user"}], "credentials": [*keys, secret]})  # fmt: skip

    path = tmp_path / "baseline.json"
    path.write_text(render(run_scan(estate("sha256:5d1f0c2e"), catalogs, ScanOptions())))
    now = run_scan(estate("sha256:77e1a0b4"), catalogs, ScanOptions(baseline=path))
    (several_keys,) = [f for f in now.findings if f.control_id == "NHI-CRED-004"]
    assert several_keys.evidence["credentials"][-1] == "... 1 more" and several_keys.new is False


def test_a_custom_control_on_active_credentials_naming_some_of_them_names_the_secrets_first(catalogs, tmp_path) -> None:
    """A control of the organisation's own fails an agent's active credentials whatever their kind:
    with twenty-five keys before its token, the token was cut from the evidence, and replaced it
    was not new. The evidence names plaintext secrets first."""
    controls = tmp_path / "controls"
    controls.mkdir()
    (controls / "CUSTOM-001.yaml").write_text(
        "id: CUSTOM-001\ntitle: Agents hold no active credentials\nseverity: high\nresource: agent\n"
        "require:\n  related: credentials\n  none: {field: active, equals: true}\n"
        "frameworks:\n  nist-csf-2.0@2.0:\n"
        '    - {item: PR.AA-01, relationship: partial, rationale: "Part of managing credentials."}\n'
        "rationale: Keys held by agents leak with their configuration.\n"
        "remediation: Give agents short-lived credentials.\ntests:\n"
        "  - name: a key fails\n    expect: fail\n    inventory:\n"
        "      agents: [{uid: a, provider: manifest, account: r}]\n"
        "      credentials: [{uid: k, identity_uid: a, kind: api_key}]\n"
        "  - name: none passes\n    expect: pass\n    inventory:\n"
        "      agents: [{uid: a, provider: manifest, account: r}]\n"
    )
    custom = load_catalogs([controls])

    path = tmp_path / "baseline.json"
    path.write_text(render(run_scan(_keys_before_a_token(25, "sha256:5d1f0c2e"), custom, ScanOptions())))
    now = run_scan(_keys_before_a_token(25, "sha256:77e1a0b4"), custom, ScanOptions(baseline=path))
    (finding,) = [f for f in now.findings if f.control_id == "CUSTOM-001"]
    assert finding.evidence["credentials"][0].startswith("plaintext_secret") and finding.new is True
