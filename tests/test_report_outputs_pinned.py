"""The reports of fixed estates, pinned byte for byte: report.html, results.sarif, the executive
report's HTML (what report.pdf is laid out from), the executive view the history stores,
findings.csv and findings.ocsf.jsonl stay exactly what they were when their rendering was made
faster. Scan id, times, tool version and trend are fixed, so only the rendering decides the bytes.
A change that means to alter a report updates the digests below, saying why in its commit (the
OCSF events' digests changed once, when they came to be written compact by the C encoder: the
same events, key for key, without the spaces after separators; the HTML and executive digests
once, when charts stopped carrying pygal's random id and the day they were drawn; the stored
summaries once, at results schema 1.4, which added the waivers matching only unknown results, once
when the gate came to record whether --allow-partial was given, and at schema 1.6, which added
scan.disabled_controls; the OCSF events' once more, when unknown results became Compliance
Findings: every other event is unchanged)."""

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
# expiry at the time judged stopped counting as active (no rotation failures for expired secrets)
PINNED = {
    "synthetic-grouped": {
        "report.html": "2e949d11b688a50dd4349b26453b5e4039a3fb7b25c9ec67142ea4318bb65cf8",
        "results.sarif": "932cc3e847bf13130340a876617558427022a1d02209323242688f3a72e0417d",
        "executive.html": "278ff85e6c34db0b31889a175d43757cc8f325d0d8b6f849cb589f3f4d8b332f",
        "executive.html from the stored view": "278ff85e6c34db0b31889a175d43757cc8f325d0d8b6f849cb589f3f4d8b332f",
        "summary": "c2e33853faf5be564b5bede56bb77eabf0b21902b206f44cf79f1d7f825b99b2",
        "summary.md": "d0f604f1eefaae5cc3aa2782462949df5fbb2316ce37974aea9eac2a2edba877",
        "findings.csv": "993c575dc3043f5ff050473d4858d3e9e203b746bcb40d315f60a839151bdf0c",
        "findings.ocsf.jsonl": "8cff63a7b0c330a6e7791d954529936eb3587496d1310191472fd97b8e467857",
    },
    "synthetic-small": {
        "report.html": "128d8b4d6938fb09a23461a4eb2231c87ab93b82764f6fd581404c2d312097aa",
        "results.sarif": "17269c43727f0dc0ad0277ebe70354bbdd76c7eaeece149e352c77066fa193dd",
        "executive.html": "db6c819a3fd47f02c1f188461c3b51853849eaf3a5a2e8d4a3ff6b83e493a175",
        "executive.html from the stored view": "db6c819a3fd47f02c1f188461c3b51853849eaf3a5a2e8d4a3ff6b83e493a175",
        "summary": "1bc56b7b7f9348ccfa40d2f9a9113a9b9d2fe2c9657c985c53e8e3208566fa28",
        "summary.md": "965f3e19765740f19304f4833e31e5a9d42cf914714d065604e545d6967e9981",
        "findings.csv": "ca24ec9f82f9d2d95ff3cb7438c98cd41c57a2da6878186a4227a1d6246549d9",
        "findings.ocsf.jsonl": "e893399e0a549e42fda1a1d927389192ed2a2c44f70e60558c26bd0255b6fa7a",
    },
    "demo": {
        "report.html": "e8df05b2a323f6c84e4ebe15ecfbb73ab6db81b792aa2c538c27ec0609c048fa",
        "results.sarif": "bb4223e063c10cf5bde76b690169cd7753bf920cc2317d52107625ae453278ec",
        "executive.html": "808b6b8888f57de8e877219e847186289cc164e07b2a83717cbd13362c20e005",
        "executive.html from the stored view": "808b6b8888f57de8e877219e847186289cc164e07b2a83717cbd13362c20e005",
        "summary": "732039ecd81dd3d7fe9dc8996ffb614b88543a30be4956654fcec8b6155b8086",
        "summary.md": "7a829688d8ff6a3bf227ed162bdefdef2fc69feb863e71deb6250716135633a1",
        "findings.csv": "81f4f953d385aac601008bd2956c8c9d091425a8aa03ce7e2612217ad3c27897",
        "findings.ocsf.jsonl": "65e667a5ae36290e279b7fb0dfc8136ac51f1f03c3fb8bc0beb907b30180cf98",
    },
    "demo-grouped": {
        "report.html": "f0873feb892ba1731d8b369b46e6c095935cdfd5263fa39f9e6a0a2581059ac9",
        "results.sarif": "01b3d7b8afbff73a07d0a04fdc523b2d13ed60c59af61e465db468bf16c40e5a",
        "executive.html": "808b6b8888f57de8e877219e847186289cc164e07b2a83717cbd13362c20e005",
        "executive.html from the stored view": "808b6b8888f57de8e877219e847186289cc164e07b2a83717cbd13362c20e005",
        "summary": "732039ecd81dd3d7fe9dc8996ffb614b88543a30be4956654fcec8b6155b8086",
        "summary.md": "7a829688d8ff6a3bf227ed162bdefdef2fc69feb863e71deb6250716135633a1",
        "findings.csv": "81f4f953d385aac601008bd2956c8c9d091425a8aa03ce7e2612217ad3c27897",
        "findings.ocsf.jsonl": "65e667a5ae36290e279b7fb0dfc8136ac51f1f03c3fb8bc0beb907b30180cf98",
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
