"""The reports of fixed estates, pinned byte for byte: report.html, results.sarif, the executive
report's HTML (what report.pdf is laid out from), the executive view the history stores,
findings.csv and findings.ocsf.jsonl stay exactly what they were when their rendering was made
faster. Scan id, times, tool version and trend are fixed, so only the rendering decides the bytes.
A change that means to alter a report updates the digests below, saying why in its commit (the
OCSF events' digests changed once, when they came to be written compact by the C encoder: the
same events, key for key, without the spaces after separators; the HTML and executive digests
once, when charts stopped carrying pygal's random id and the day they were drawn; the stored
summaries once, at results schema 1.4, which added the waivers matching only unknown results, and
once when the gate came to record whether --allow-partial was given; the OCSF events' once more,
when unknown results became Compliance Findings: every other event is unchanged)."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from benchmarks.synthetic import build
from scanner.inventory_io import save_inventory
from scanner.model import ScanResult, TrendPoint
from scanner.reports import ReportSettings, csv_report, html_report, markdown, ocsf, pdf_report, sarif
from scanner.reports.executive import executive_view, summary_document
from scanner.scan import Catalogs, ScanOptions, gate, run_scan
from scanner.sources import SourceSpec, collect

WAIVERS = Path(__file__).resolve().parent.parent / "docs" / "examples" / "waivers.yaml"
STARTED = datetime(2026, 11, 30, 6, 0, 0, 123456, tzinfo=UTC)

# sha256 of each output, computed before the reports were made faster; changed once when the Azure
# roles the catalog names came to carry what their published permissions do (more failures of
# NHI-PRIV-003, NHI-AGENT-004 and NHI-AGENT-014), and when GCP's did (NHI-PRIV-003 and NHI-AGENT-014 of Editor
# service accounts and their agents; Editor and Viewer read secrets)
PINNED = {
    "synthetic-grouped": {
        "report.html": "d971e8e6c3839be6a9f93e59c20f7072e2e234b70799c12571806d9343c4c6df",
        "results.sarif": "d3c03a6b78a11ca186e21e0f47bd0659708d2fed133843c4678f3a2d9e1dca07",
        "executive.html": "3fdc4178384fec8b6265f50290ee195631f1c2c42e69f661ddc546256fcf457b",
        "executive.html from the stored view": "3fdc4178384fec8b6265f50290ee195631f1c2c42e69f661ddc546256fcf457b",
        "summary": "ea1e2cc79880cf283471e01814704c7a7d561d5c7a52b079dfd31e6bc8c83f46",
        "summary.md": "ddd0b87032332ae3beb3b568733cf892d8597512495de9173c72b855cc2de954",
        "findings.csv": "2fe501128228c83f618e5b0e83adfc5d6d6a8fbf9973683603613763c0b4ae44",
        "findings.ocsf.jsonl": "1da14f9f7025cdd50dd192bc46fc7f5312e39417f537b28e94d3f86eee4980bc",
    },
    "synthetic-small": {
        "report.html": "9a6dd48240926addecbf12d2adefb371f83e17b742ad0f7bc47de5c0091c5e0f",
        "results.sarif": "ed5d02f4c3194899bd1126d3048aa6d089e8b50dd0e2fb6be1a0355526610df4",
        "executive.html": "8e371e02fea8ceaabbaabc4e32ff41f4d0f77ed4b6e00285b0f1ead7487ea2ac",
        "executive.html from the stored view": "8e371e02fea8ceaabbaabc4e32ff41f4d0f77ed4b6e00285b0f1ead7487ea2ac",
        "summary": "70159473e543b3f7b6f65d32a1f474d43fad028fd46c739c0d7bbd9cb39d1c36",
        "summary.md": "ceddad52c5bf95371da36f413b3972842c838558d75613e61f6ffb9d5dc4bc8d",
        "findings.csv": "503bacebfbff8bc63bf1adfb0ab433c1ad4c1e0f1ac893dbda93fad7dcefd3b5",
        "findings.ocsf.jsonl": "a99796cbd5153f35d1963e8d6d3de2e1627deddf2ff5d13edddbc5ddfb7ed7eb",
    },
    "demo": {
        "report.html": "5fdf832e74dadf2a635f1496e8301bb72c9c72a886a2acab32145b85966cd032",
        "results.sarif": "5427cf8699bf098a6d2594738706edbada3c48d2c87c4c0e03c0f577f9fdd884",
        "executive.html": "0459c69ac00c60815eef74f7a3246ab498d583af76ab23ed59c43c6efc7de81e",
        "executive.html from the stored view": "0459c69ac00c60815eef74f7a3246ab498d583af76ab23ed59c43c6efc7de81e",
        "summary": "bfec7407711f35f1dde086a4a369064d82d3b7c8c135099ff37ab32ab8decef0",
        "summary.md": "9b3b64edb365e596e32b78fae7c75d1ded137691500bd503579e05128c4b5887",
        "findings.csv": "54f0bccd52e4104385405c807568b86dbcad75121634d38ffdc888603b66f9e3",
        "findings.ocsf.jsonl": "e415eb8026f18873fc5aa0d65e6208855ccc795d47d1c2e2ce30e1b18a3198c8",
    },
    "demo-grouped": {
        "report.html": "effa5ec5212a805be02fde9e960b269cf18f71baa018cd79f19ceee8b4f9e14c",
        "results.sarif": "b5de2ba56fab7498c0c0bf5b16fc7a1a4f733b9d72f744531b07f00ec6775aec",
        "executive.html": "0459c69ac00c60815eef74f7a3246ab498d583af76ab23ed59c43c6efc7de81e",
        "executive.html from the stored view": "0459c69ac00c60815eef74f7a3246ab498d583af76ab23ed59c43c6efc7de81e",
        "summary": "bfec7407711f35f1dde086a4a369064d82d3b7c8c135099ff37ab32ab8decef0",
        "summary.md": "9b3b64edb365e596e32b78fae7c75d1ded137691500bd503579e05128c4b5887",
        "findings.csv": "54f0bccd52e4104385405c807568b86dbcad75121634d38ffdc888603b66f9e3",
        "findings.ocsf.jsonl": "e415eb8026f18873fc5aa0d65e6208855ccc795d47d1c2e2ce30e1b18a3198c8",
    },
}


def _fixed(result: ScanResult, scan_id: str, baseline: bool) -> ScanResult:
    """The scan's id, times, tool and trend fixed; with ``baseline``, every seventh finding marked
    new and the rest known, as a scan against a baseline would."""
    result.scan.id = scan_id
    result.scan.started = STARTED
    result.scan.finished = STARTED + timedelta(seconds=42, microseconds=654321)
    result.scan.timings = {"collect": 1.5, "evaluate": 2.25}
    result.tool = {"name": "nhiscan", "version": "0.0.0-pinned"}
    if baseline:
        result.scan.baseline = "baseline/results.json"
        for index, finding in enumerate(result.findings):
            finding.new = index % 7 == 0
        result.gate = gate(result, result.scan.fail_on)
    result.trend = [
        TrendPoint(
            scan_id=f"{scan_id}-earlier-{n}",
            finished=STARTED - timedelta(days=7 * (3 - n)),
            score=40.0 + 5 * n,
            failing=1000 - 100 * n,
            failing_by_severity={"critical": 10 - n, "high": 100, "medium": 300, "low": 590 - 99 * n},
            frameworks={"owasp-nhi": 50.0 + n},
            median_credential_age=200.0 - 10 * n,
            new=None if n == 0 else 20 * n,
            resolved=None if n == 0 else 30 * n,
        )
        for n in range(3)
    ]
    return result


def _synthetic(catalogs: Catalogs, directory: Path, identities: int, keep_passed: bool) -> ScanResult:
    path = directory / f"inventory-{identities}.json"
    save_inventory(build(identities, seed=21), path)
    inventory = collect(SourceSpec("inventory", str(path)))
    result = run_scan(inventory, catalogs, ScanOptions(keep_passed=keep_passed))
    return _fixed(result, f"pinned-synthetic-{identities}", baseline=not keep_passed)


def _demo(catalogs: Catalogs) -> ScanResult:
    result = run_scan(collect(SourceSpec("demo")), catalogs, ScanOptions(waivers=WAIVERS, as_of=STARTED))
    return _fixed(result, "pinned-demo", baseline=False)


def _digest(render: Callable[[], str]) -> str:
    """sha256 of what ``render`` returns (charts carry no random id and no date: see charts._svg)."""
    return hashlib.sha256(render().encode("utf-8")).hexdigest()


def _digests(result: ScanResult) -> dict[str, str]:
    settings = ReportSettings(paper="a4", formats=("json", "html", "sarif", "pdf"))
    executive = executive_view(result)
    stored = dataclasses.replace(settings, executive=executive)
    return {
        "report.html": _digest(lambda: html_report.render(result, settings)),
        "results.sarif": _digest(lambda: sarif.render(result, settings)),
        "executive.html": _digest(lambda: pdf_report.executive_html(result, settings)),
        "executive.html from the stored view": _digest(lambda: pdf_report.executive_html(result, stored)),
        "summary": _digest(lambda: summary_document(result, executive)),
        "summary.md": _digest(lambda: markdown.render(result, settings)),
        "findings.csv": _digest(lambda: "".join(csv_report.pieces(result, settings))),
        "findings.ocsf.jsonl": _digest(lambda: "".join(ocsf.pieces(result, settings))),
    }


@pytest.fixture(scope="module")
def rendered(catalogs: Catalogs, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    directory = tmp_path_factory.mktemp("pinned-reports")
    digests = {
        # past both limits: the HTML table and SARIF group findings per control and account
        "synthetic-grouped": _digests(_synthetic(catalogs, directory, 3200, keep_passed=False)),
        # passing results kept; SARIF still one result per finding
        "synthetic-small": _digests(_synthetic(catalogs, directory, 150, keep_passed=True)),
        # manifests (files and lines), waivers and agents with tools
        "demo": _digests(_demo(catalogs)),
    }
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sarif, "RESULTS_PER_RUN", 10)
        patch.setattr(html_report, "FULL_LIST_LIMIT", 10)
        digests["demo-grouped"] = _digests(_demo(catalogs))
    return digests


@pytest.mark.parametrize("estate", sorted(PINNED))
def test_the_reports_of_a_fixed_estate_are_byte_for_byte_as_before(
    rendered: dict[str, dict[str, str]], estate: str
) -> None:
    assert rendered[estate] == PINNED[estate]
