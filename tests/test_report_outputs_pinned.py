"""The reports of fixed estates, pinned byte for byte: report.html, results.sarif, the executive
report's HTML (what report.pdf is laid out from), the executive view the history stores,
findings.csv and findings.ocsf.jsonl stay exactly what they were when their rendering was made
faster. Scan id, times, tool version and trend are fixed, so only the rendering decides the bytes.
A change that means to alter a report updates the digests below, saying why in its commit (the
OCSF events' digests changed once, when they came to be written compact by the C encoder: the
same events, key for key, without the spaces after separators; the HTML and executive digests
once, when charts stopped carrying pygal's random id and the day they were drawn; the stored
summaries once, at results schema 1.4, which added the waivers matching only unknown results, once
when the gate came to record whether --allow-partial was given, at schema 1.6, which added
scan.disabled_controls, and at schema 1.7, which added a trend point's incomplete_sources; the
OCSF events' once more, when unknown results became Compliance Findings: every other event is
unchanged)."""

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
# service accounts and their agents; Editor and Viewer read secrets), and when a credential past its
# expiry at the time judged stopped counting as active (no rotation failures for expired secrets), and
# when NHI-PRIV-013's title and rationale came to name Owner and Editor
PINNED = {
    "synthetic-grouped": {
        "report.html": "614b5a4849bfb3fe502f2a9bef0ae90e753c5a3b9e210cbea32fa78e36f139a2",
        "results.sarif": "c9cb74d99920787c5ffdd12b6a153d3f6aa7e116262a8ef6b1f2a0da68fce9fa",
        "executive.html": "b8f0d37365fff71a56dffc6caf152b334a11f14eea3f07312645b704e53de762",
        "executive.html from the stored view": "b8f0d37365fff71a56dffc6caf152b334a11f14eea3f07312645b704e53de762",
        "summary": "343e8b0aed36634877ac3078fc675e8a0ec0a99fc17e1d35ac0c24b7bddd7493",
        "summary.md": "d0f604f1eefaae5cc3aa2782462949df5fbb2316ce37974aea9eac2a2edba877",
        "findings.csv": "d6774e5f23f07b49d008daeddcf7dc6db21541794f1635422b981af9f82a0070",
        "findings.ocsf.jsonl": "770d324aa31e20d6bda9235ce2de90249102dfcc323cb715bbdbc2378840c206",
    },
    "synthetic-small": {
        "report.html": "ffd73f2b88d0e274c5f407401ff81176a28433c8491ecb58dd21e3bcdb548f02",
        "results.sarif": "30edae6ee6bd28d2f625babed509724d85069e044ead833c7738425e17fda487",
        "executive.html": "3547e35275e63c6598e4db6b01254bde7c7a5b21bd569b3d0ee56896ab734a52",
        "executive.html from the stored view": "3547e35275e63c6598e4db6b01254bde7c7a5b21bd569b3d0ee56896ab734a52",
        "summary": "f8b4230179b75fac8d8e0f548b0d2c356a1bd345772d5f071a4f2f81a496b274",
        "summary.md": "965f3e19765740f19304f4833e31e5a9d42cf914714d065604e545d6967e9981",
        "findings.csv": "fadd29eb3bbbaf2350e6928bbdc359f284ec0a7d53a1c2d85ec10360e970daab",
        "findings.ocsf.jsonl": "6cc5e9cddd460ba33b8b4b4965bc18f506ecc38d205e64efb21b625743b28297",
    },
    "demo": {
        "report.html": "b6f33c0309247f77080431dbc80f88669ef65f98da6ff2b91866f8571217755f",
        "results.sarif": "7f3932fb07b6f5bcdec988b8b58ecddd8e485c6c30d9cc073cabd9c9b11e6119",
        "executive.html": "8286dd10b046c3dd93374101c34218696f8bfda2f303ea2a54424c7a4c6887eb",
        "executive.html from the stored view": "8286dd10b046c3dd93374101c34218696f8bfda2f303ea2a54424c7a4c6887eb",
        "summary": "0d693c14d74786d39d58c460967301777339ced33639fd6233d1f82ec67527cb",
        "summary.md": "7a829688d8ff6a3bf227ed162bdefdef2fc69feb863e71deb6250716135633a1",
        "findings.csv": "2b2b128bd83c2ab5e37abb9d222ad01ad38535b761b28fcae7c473da5c1d8d19",
        "findings.ocsf.jsonl": "c5dad058c29f4650c0be590f3110c18780c49910cec38be42f874efc9f454e85",
    },
    "demo-grouped": {
        "report.html": "42e0e0dedeee606e3169ad861a386016326336187f32b75c1b1bde5df92a9b7f",
        "results.sarif": "2da131f0ac6acb67fea476d0ad95c2c3f1cc6b6e6abf95da7bae716b3dbc46d5",
        "executive.html": "8286dd10b046c3dd93374101c34218696f8bfda2f303ea2a54424c7a4c6887eb",
        "executive.html from the stored view": "8286dd10b046c3dd93374101c34218696f8bfda2f303ea2a54424c7a4c6887eb",
        "summary": "0d693c14d74786d39d58c460967301777339ced33639fd6233d1f82ec67527cb",
        "summary.md": "7a829688d8ff6a3bf227ed162bdefdef2fc69feb863e71deb6250716135633a1",
        "findings.csv": "2b2b128bd83c2ab5e37abb9d222ad01ad38535b761b28fcae7c473da5c1d8d19",
        "findings.ocsf.jsonl": "c5dad058c29f4650c0be590f3110c18780c49910cec38be42f874efc9f454e85",
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
