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
        "report.html": "72326b64079656f9e5545b5349df0c8acaa9ef98ba94c51e3df7b0305ab032ae",
        "results.sarif": "5c4f143f44f7d636aee9c80e836e2d16e87acdd097b507c9b9cb696a96b8306a",
        "executive.html": "fb00341a2ee7cd263f4c3c279c79ff65e1a754e0e632a43b0d38d28d984c8cf1",
        "executive.html from the stored view": "fb00341a2ee7cd263f4c3c279c79ff65e1a754e0e632a43b0d38d28d984c8cf1",
        "summary": "c25991e141fdfb9cb26ea3d633cff5a52ff5f205fe2cfdc39186e45bfd48cc19",
        "summary.md": "75cf5505e5ccb4109422ab61cdf7dc5beace2dfdfcc830561950d66fdb858aa4",
        "findings.csv": "026a6c72174971317ccfbb08f8a34f033816dac002811e5ba98fa2283c33fbed",
        "findings.ocsf.jsonl": "a0e89b1be128951d9f785e5b0654e9d457eda012bbdddcd0c8726c85693fb6a3",
    },
    "synthetic-small": {
        "report.html": "af75e8d6ba25fe6bd8fc0e52e0f1f97f27c601bce0efa46cc084ec42a7709121",
        "results.sarif": "376d0ab46cf6eb6d7e5988771b65ce6214c95880cc4df3c0a4937ef41fc86624",
        "executive.html": "8e371e02fea8ceaabbaabc4e32ff41f4d0f77ed4b6e00285b0f1ead7487ea2ac",
        "executive.html from the stored view": "8e371e02fea8ceaabbaabc4e32ff41f4d0f77ed4b6e00285b0f1ead7487ea2ac",
        "summary": "70159473e543b3f7b6f65d32a1f474d43fad028fd46c739c0d7bbd9cb39d1c36",
        "summary.md": "ceddad52c5bf95371da36f413b3972842c838558d75613e61f6ffb9d5dc4bc8d",
        "findings.csv": "3aee58d9e9b163970f1a7ba8e817060fae0c0ee524adf04e10b99759a0ef3441",
        "findings.ocsf.jsonl": "a50a2a564b9d100f7109a432da347b8a13e8835811d5c001b4bf910ea4509cdc",
    },
    "demo": {
        "report.html": "17e137a2d18d1f5bc4d4065a22513128a50ba70c7d655442733f9d675dc1b957",
        "results.sarif": "9b6258145c76b98c4149e33a9cc0c1ce96bd6de73628de7b3be94c27d7cacbfb",
        "executive.html": "da7a8cb90595e75340df978610acf424e2e5f6830039543cb495d131b3b375f7",
        "executive.html from the stored view": "da7a8cb90595e75340df978610acf424e2e5f6830039543cb495d131b3b375f7",
        "summary": "15e4fa08fde485fe9c3242bb87f9fad693298c159515f71454e196987f268fcb",
        "summary.md": "9b3b64edb365e596e32b78fae7c75d1ded137691500bd503579e05128c4b5887",
        "findings.csv": "86448154528dab26d60452e1becf1c041c2e1976d3ed04d1cbc638b4009535fb",
        "findings.ocsf.jsonl": "2372da3425c80a5188d3d5e41d83d8e200f1849d6d2c92a21b456c4e246f4050",
    },
    "demo-grouped": {
        "report.html": "e6656c2dadc156821695ebb748b7e10cb60af2b003ee0b54f4958be099a9317e",
        "results.sarif": "c092923b321985b49df932f8851036a9627363ff5376329404c63960253079db",
        "executive.html": "da7a8cb90595e75340df978610acf424e2e5f6830039543cb495d131b3b375f7",
        "executive.html from the stored view": "da7a8cb90595e75340df978610acf424e2e5f6830039543cb495d131b3b375f7",
        "summary": "15e4fa08fde485fe9c3242bb87f9fad693298c159515f71454e196987f268fcb",
        "summary.md": "9b3b64edb365e596e32b78fae7c75d1ded137691500bd503579e05128c4b5887",
        "findings.csv": "86448154528dab26d60452e1becf1c041c2e1976d3ed04d1cbc638b4009535fb",
        "findings.ocsf.jsonl": "2372da3425c80a5188d3d5e41d83d8e200f1849d6d2c92a21b456c4e246f4050",
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
