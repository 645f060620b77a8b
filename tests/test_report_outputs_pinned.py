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
# NHI-PRIV-003, NHI-AGENT-004 and NHI-AGENT-014), and once when GCP's Owner, Editor and the roles that mint
# tokens or rewrite custom roles did (NHI-PRIV-003 and NHI-AGENT-014 of Editor service accounts and their agents)
PINNED = {
    "synthetic-grouped": {
        "report.html": "27dd8b3a44db3907b0bd665719c04e6833d181cdd8a6b6705bd73ddba0b887ef",
        "results.sarif": "472dc9990b2446be9774b019a4b6e9bd844b56360d902bd63e9e16c038af3b02",
        "executive.html": "3cb2305bf8f17cf2ca19025041887ae777f5c0aa6b20159c71fa4d9621f5838c",
        "executive.html from the stored view": "3cb2305bf8f17cf2ca19025041887ae777f5c0aa6b20159c71fa4d9621f5838c",
        "summary": "24fd802d2ccb6a5c1481818420df6760d623ae3f78bd31d38d5d4a79a6a9d037",
        "summary.md": "50243074872470c12045bb75ffeae993046aec657eeada13d27beda2b1e4a026",
        "findings.csv": "dd8fa6c95f5b3925d8381fbb6015950e76dd9585ecc10e63a4298925e4d57a57",
        "findings.ocsf.jsonl": "ec96519f948127ef7b07b29dc6f22ddc09ef2670a648a03d53f331c818535510",
    },
    "synthetic-small": {
        "report.html": "cad68ac3872306149801582309d28595365c1d9cd7fd38dc12a682f4f5604e8b",
        "results.sarif": "43554b6a88adef3379af4e642f2de5532c630adcb5ffe06cceaeeee06b5f0f4d",
        "executive.html": "8e371e02fea8ceaabbaabc4e32ff41f4d0f77ed4b6e00285b0f1ead7487ea2ac",
        "executive.html from the stored view": "8e371e02fea8ceaabbaabc4e32ff41f4d0f77ed4b6e00285b0f1ead7487ea2ac",
        "summary": "70159473e543b3f7b6f65d32a1f474d43fad028fd46c739c0d7bbd9cb39d1c36",
        "summary.md": "ceddad52c5bf95371da36f413b3972842c838558d75613e61f6ffb9d5dc4bc8d",
        "findings.csv": "3d1cfc6c6298b34684a73de230c6bc68399bdf389fbfe8bb17f9666363fb5a8a",
        "findings.ocsf.jsonl": "2da3d2f204a5deedb6d68122f4926772e7cf628f361b4e424407048daa50628e",
    },
    "demo": {
        "report.html": "117c6fb883ab7d8cdd5e16947911c14cd310db927fc6a642a773eacb3255ac35",
        "results.sarif": "d7b6f590fd9e5b1d87d4f96e69f513f36415b7cc53981159def6c8b84af528ad",
        "executive.html": "3dbe61c43a14bb57e71315c149409a64d2c52854e533eaceaeb42964a97a1b73",
        "executive.html from the stored view": "3dbe61c43a14bb57e71315c149409a64d2c52854e533eaceaeb42964a97a1b73",
        "summary": "f33a0505e51d4b8f4f6dac87e3a9faa5c70f0f051fe98a53f071630b75f967e4",
        "summary.md": "9b3b64edb365e596e32b78fae7c75d1ded137691500bd503579e05128c4b5887",
        "findings.csv": "37476a30dd19881d85cb3a50aa4d2445ceef9dc05f5870ce9515b8bc7e41ce4d",
        "findings.ocsf.jsonl": "8e95b04cd172bd12561637899c3725ed7ba92f0be8ef3c73da424f79c15fc71b",
    },
    "demo-grouped": {
        "report.html": "4440b99fa1f46a223e62e9ea8a90498b6c56557a0f62294ae9117ac624a4dc27",
        "results.sarif": "29317d2057695fb294763d4b4f5bc9eb7bdb4d231464fcc1ac707ab89f506f75",
        "executive.html": "3dbe61c43a14bb57e71315c149409a64d2c52854e533eaceaeb42964a97a1b73",
        "executive.html from the stored view": "3dbe61c43a14bb57e71315c149409a64d2c52854e533eaceaeb42964a97a1b73",
        "summary": "f33a0505e51d4b8f4f6dac87e3a9faa5c70f0f051fe98a53f071630b75f967e4",
        "summary.md": "9b3b64edb365e596e32b78fae7c75d1ded137691500bd503579e05128c4b5887",
        "findings.csv": "37476a30dd19881d85cb3a50aa4d2445ceef9dc05f5870ce9515b8bc7e41ce4d",
        "findings.ocsf.jsonl": "8e95b04cd172bd12561637899c3725ed7ba92f0be8ef3c73da424f79c15fc71b",
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
