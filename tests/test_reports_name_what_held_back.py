"""The HTML and PDF reports never leave out what a reader must know before trusting a clean page.

The executive report said "every control could be evaluated" when the configuration had turned
controls off, and "No unwaived failures: … scan on schedule" when a source was not read completely
(so the gate failed, exit 3) or when results were unknown. The HTML report listed a waiver ending
within days as simply applied, where every other output says it ends soon.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

from scanner.engine.selftest import fragment_to_data
from scanner.inventory_io import inventory_from_data
from scanner.model import ScanResult
from scanner.reports import ReportSettings
from scanner.reports.executive import executive_view, from_summary_document, summary_document
from scanner.reports.html_report import render as render_html
from scanner.reports.pdf_report import executive_html
from scanner.scan import Catalogs, ScanOptions, run_scan
from scanner.sources import SourceSpec, collect

ACCOUNT = "111111111111"


def _one_owned_role(catalogs: Catalogs, status: str, disabled: list[str]) -> ScanResult:
    """A role with an owner in one AWS account, judged on the OWASP NHI Top 10 alone (whose items
    configuration can all show), so the report has no gap to list when the source was read."""
    data = fragment_to_data(
        {
            "accounts": [{"uid": ACCOUNT, "provider": "aws"}],
            "identities": [{"uid": "r1", "kind": "role", "owner": "a@example.com"}],
            "sources": [{"name": "aws", "account": ACCOUNT, "status": status}],
        }
    )
    options = ScanOptions(frameworks=["owasp-nhi-top10-2025"], disabled_controls=disabled, allow_partial=True)
    return run_scan(inventory_from_data(data, Path("<test>")), catalogs, options)


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_the_pdf_names_the_controls_turned_off_where_it_says_every_control_was_evaluated(catalogs: Catalogs) -> None:
    result = _one_owned_role(catalogs, "complete", ["NHI-PRIV-009", "NHI-OWN-001"])
    assert not [f for f in result.findings if f.status != "pass"]
    text = _text(executive_html(result, ReportSettings()))
    assert "every control could be evaluated" not in text
    assert (
        "Every source was read completely and every enabled control could be evaluated; 2 controls were "
        "disabled by the configuration and not evaluated: NHI-OWN-001, NHI-PRIV-009." in text
    )


def test_the_pdf_asks_for_a_complete_read_before_saying_there_is_nothing_to_do(catalogs: Catalogs) -> None:
    # the partial read's own failure (NHI-COV-001) turned off, as a configuration may
    result = _one_owned_role(catalogs, "partial", ["NHI-PRIV-009", "NHI-COV-001"])
    assert result.gate["incomplete_sources"] == [f"aws:{ACCOUNT}"]
    assert not [f for f in result.findings if f.status == "fail"]
    text = _text(executive_html(result, ReportSettings()))
    assert "No unwaived failures:" not in text, "the advice to keep scanning on schedule"
    assert "1 source was not read completely, and what failed there is not known" in text


def test_the_pdf_asks_for_the_missing_evidence_before_saying_there_is_nothing_to_do(catalogs: Catalogs) -> None:
    data = fragment_to_data(
        {
            "accounts": [{"uid": ACCOUNT, "provider": "aws"}],
            "identities": [{"uid": "r1", "kind": "role", "owner": "a@example.com", "unknown": ["grants"]}],
            "sources": [{"name": "aws", "account": ACCOUNT, "status": "complete"}],
        }
    )
    options = ScanOptions(frameworks=["owasp-nhi-top10-2025"], disabled_controls=["NHI-PRIV-009"])
    result = run_scan(inventory_from_data(data, Path("<test>")), catalogs, options)
    assert not [f for f in result.findings if f.status == "fail"]
    unknown = len([f for f in result.findings if f.status == "unknown"])
    assert unknown
    text = _text(executive_html(result, ReportSettings()))
    assert "No unwaived failures:" not in text
    assert f"nothing failed in what could be judged, but {unknown} results are unknown" in text


def test_the_html_report_marks_a_waiver_that_ends_soon(catalogs: Catalogs, tmp_path: Path) -> None:
    estate = collect(SourceSpec("demo"))
    plain = run_scan(estate, catalogs, ScanOptions())
    failing = next(f for f in plain.findings if f.status == "fail" and f.resource.type == "identity")
    ends = (plain.scan.as_of + timedelta(days=5)).date()
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(
        f'waivers:\n  - control: {failing.control_id}\n    resource: "{failing.resource.uid}"\n'
        f"    owner: a@example.com\n    reason: replaced next week\n    expires: {ends}\n"
    )
    result = run_scan(estate, catalogs, ScanOptions(waivers=waivers))
    assert [w.control for w in result.waivers.expiring] == [failing.control_id]
    rows = [_text(row) for row in re.findall(r"<tr>.*?</tr>", render_html(result, ReportSettings()), re.S)]
    (row,) = [r for r in rows if failing.control_id in r and "replaced next week" in r]
    assert row.startswith("applied, expires soon ")


def test_the_pdf_counts_the_owners_it_does_not_name(catalogs: Catalogs) -> None:
    """Five teams' keys fail one control; the first actions name three owners and count the rest."""
    data = fragment_to_data(
        {
            "accounts": [{"uid": ACCOUNT, "provider": "aws"}],
            "identities": [{"uid": f"u{team}", "owner": f"team{team}@example.com"} for team in range(5)],
            "credentials": [{"uid": f"k{team}", "identity_uid": f"u{team}", "created": "-400d"} for team in range(5)],
            "sources": [{"name": "aws", "account": ACCOUNT, "status": "complete"}],
        }
    )
    result = run_scan(inventory_from_data(data, Path("<test>")), catalogs, ScanOptions())
    text = _text(executive_html(result, ReportSettings()))
    (line,) = [part for part in text.split("Owners:") if "team0@example.com (1)" in part][:1]
    assert "team0@example.com (1), team1@example.com (1), team2@example.com (1); 2 of other owners." in line


def test_the_pdf_tells_an_owner_not_read_from_no_owner(catalogs: Catalogs) -> None:
    """Keys of an identity whose owner the source did not read fail: the first actions said
    "with no owner recorded", as for an identity without one; the stored summary keeps the count."""
    data = fragment_to_data(
        {
            "accounts": [{"uid": ACCOUNT, "provider": "aws"}],
            "identities": [
                {"uid": "unread", "owner": None, "unknown": ["owner"]},
                {"uid": "ownerless", "owner": None},
            ],
            "credentials": [
                {"uid": f"k-{who}", "identity_uid": who, "created": "-400d"} for who in ("unread", "ownerless")
            ],
            "sources": [{"name": "aws", "account": ACCOUNT, "status": "complete"}],
        }
    )
    result = run_scan(inventory_from_data(data, Path("<test>")), catalogs, ScanOptions())
    text = _text(executive_html(result, ReportSettings()))
    assert "1 with no owner recorded; 1 whose owner was not read." in text
    executive = executive_view(result)
    stored = from_summary_document(json.loads(summary_document(result, executive)))
    assert stored is not None
    assert [(r.unowned, r.owner_unread) for r in stored[1].risks] == [
        (r.unowned, r.owner_unread) for r in executive.risks
    ]
