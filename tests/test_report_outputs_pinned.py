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
        "report.html": "d3a816ca9d84f9bd11cff298c1f9561cb7ed49089ff59817d3f10a2955309d19",
        "results.sarif": "c7e8e95d1a714e81b171743710de1e53e4ba5d3bcc23f50d0247b7fa99848b83",
        "executive.html": "f9e3656e8ad13a7e38ad53444071835c51ee930286e2352d06c494e07108200b",
        "executive.html from the stored view": "f9e3656e8ad13a7e38ad53444071835c51ee930286e2352d06c494e07108200b",
        "summary": "97ee37c32cb7f0d0423d232647827f2702b27ce4c90f1cfc7513e8c20919946c",
        "summary.md": "75cf5505e5ccb4109422ab61cdf7dc5beace2dfdfcc830561950d66fdb858aa4",
        "findings.csv": "29682911a4f90c1cbc21ebd628082fc3d6493cb97d453f6b6ab33267a2f0b221",
        "findings.ocsf.jsonl": "e2ca5f335fc6da10891e0b84ec68f49f9f77f9549eef4c2da19e3f8c2908cdfa",
    },
    "synthetic-small": {
        "report.html": "426fcac2097a771432df730b63a09ef0fd7a63304ed422d198e0879d63567555",
        "results.sarif": "c33e3c6d56b94ebf4000298720025da6e6029a06ef4431c4658de2a1f3488a2b",
        "executive.html": "8e371e02fea8ceaabbaabc4e32ff41f4d0f77ed4b6e00285b0f1ead7487ea2ac",
        "executive.html from the stored view": "8e371e02fea8ceaabbaabc4e32ff41f4d0f77ed4b6e00285b0f1ead7487ea2ac",
        "summary": "70159473e543b3f7b6f65d32a1f474d43fad028fd46c739c0d7bbd9cb39d1c36",
        "summary.md": "ceddad52c5bf95371da36f413b3972842c838558d75613e61f6ffb9d5dc4bc8d",
        "findings.csv": "16a2397ec591ebc164136f29f34e42653b131d1b740f78a82521ee6cb2867a81",
        "findings.ocsf.jsonl": "52f4382a4438f9f8417888a7e52667472003c3c168213a460263c90f8cffa186",
    },
    "demo": {
        "report.html": "daca45136333a7318a050c50cbabc082fb043bbf115c78d101883e6c9b3e18d4",
        "results.sarif": "31de55e352e16f6f22525eb84afd1da01c5557ec906d17b153b9fce334030c65",
        "executive.html": "02fc44315ce03513df9d8c7fd1dd7734006a9ae8518788b1b5a141706ab726a8",
        "executive.html from the stored view": "02fc44315ce03513df9d8c7fd1dd7734006a9ae8518788b1b5a141706ab726a8",
        "summary": "8afdfe6bcbd69ddda8851adaf32d256878d312b255f056c5a04bdc2040555284",
        "summary.md": "9b3b64edb365e596e32b78fae7c75d1ded137691500bd503579e05128c4b5887",
        "findings.csv": "8389fd271e50e27ecd938789fe3118c23b5f42c70997d40628e55a2341e3c39f",
        "findings.ocsf.jsonl": "25d064350c00f4d082e4048c7ad1b6adbd853cd11d26c9f370c553ddaf6ffd06",
    },
    "demo-grouped": {
        "report.html": "f288211d0ff1d72001d2d63947d2b4c9b173ee4e5b91291a09484455b6325a51",
        "results.sarif": "4b132dc90525f6ad4b34ccba3c96fe6b97732741c7e6fc3a911493b6ba3867d9",
        "executive.html": "02fc44315ce03513df9d8c7fd1dd7734006a9ae8518788b1b5a141706ab726a8",
        "executive.html from the stored view": "02fc44315ce03513df9d8c7fd1dd7734006a9ae8518788b1b5a141706ab726a8",
        "summary": "8afdfe6bcbd69ddda8851adaf32d256878d312b255f056c5a04bdc2040555284",
        "summary.md": "9b3b64edb365e596e32b78fae7c75d1ded137691500bd503579e05128c4b5887",
        "findings.csv": "8389fd271e50e27ecd938789fe3118c23b5f42c70997d40628e55a2341e3c39f",
        "findings.ocsf.jsonl": "25d064350c00f4d082e4048c7ad1b6adbd853cd11d26c9f370c553ddaf6ffd06",
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
