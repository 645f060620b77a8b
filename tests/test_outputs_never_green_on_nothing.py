"""JUnit and SARIF never read as a clean result where nothing held.

A control whose only results were waived failures was a passing JUnit test case (GitLab, Jenkins
and Azure DevOps show it green), though nothing about it passed. A scan that assessed nothing
wrote a SARIF run with no result and no notification: code scanning showed it as a clean estate.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
from junitparser import JUnitXml, Skipped

from scanner.model import ScanResult
from scanner.reports import write_reports
from scanner.scan import Catalogs, ScanOptions, run_scan
from scanner.sources import SourceSpec, collect

from .conftest import REPO_ROOT, make_inventory

SARIF_SCHEMA = REPO_ROOT / ".cache" / "test-schemas" / "sarif-2.1.0-rtm.5.json"


def _waive_every_failure_of_one_control(catalogs: Catalogs, tmp_path: Path) -> tuple[ScanResult, str]:
    """The demo scanned with a waiver of each failure of a control that nothing passes."""
    plain = run_scan(collect(SourceSpec("demo")), catalogs, ScanOptions())
    control = next(c for c in plain.controls if c.counts["fail"] and not c.counts["pass"] and not c.counts["unknown"])
    uids = [f.resource.uid for f in plain.findings if f.control_id == control.id and f.status == "fail"]
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(
        "waivers:\n"
        + "".join(
            f'  - control: {control.id}\n    resource: "{uid}"\n    owner: a@example.com\n'
            "    reason: accepted while it is replaced\n    expires: 2027-01-31\n    scope: all\n"
            for uid in uids
        )
    )
    waived = run_scan(collect(SourceSpec("demo")), catalogs, ScanOptions(waivers=waivers))
    (summary,) = [c for c in waived.controls if c.id == control.id]
    assert summary.counts["waived"] == len(uids) and not summary.counts["fail"] and not summary.counts["pass"]
    return waived, control.id


def test_a_control_whose_only_results_are_waived_failures_is_a_skipped_junit_case(
    catalogs: Catalogs, tmp_path: Path
) -> None:
    result, control_id = _waive_every_failure_of_one_control(catalogs, tmp_path)
    write_reports(result, ["junit"], tmp_path)
    (suite,) = list(JUnitXml.fromfile(str(tmp_path / "junit.xml")))
    (case,) = [case for case in suite if case.name.startswith(control_id + " ")]
    (skipped,) = [r for r in case.result if isinstance(r, Skipped)]
    waived = next(c for c in result.controls if c.id == control_id).counts["waived"]
    assert skipped.message == f"{waived} failure(s) waived, none passed"


def test_a_scan_that_assessed_nothing_is_an_error_notification_in_sarif(catalogs: Catalogs, tmp_path: Path) -> None:
    result = run_scan(make_inventory({}), catalogs, ScanOptions())
    assert result.gate["nothing_assessed"] is True
    write_reports(result, ["sarif"], tmp_path)
    sarif = json.loads((tmp_path / "results.sarif").read_text())
    jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text())).validate(sarif)
    (run,) = sarif["runs"]
    assert run["results"] == []
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert [n["level"] for n in notes] == ["error"]
    assert notes[0]["message"]["text"].startswith("Nothing was assessed")
