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
unchanged; the HTML once more, when its data island came to say whether the findings are grouped
and to carry "unknown" for each inventory field a source did not read; the stored summaries and
the executive HTML once more, when a risk came to count the owners past the three it names; the
stored summaries once more, with NHI-PRIV-009's definition, when it came to list non-production)."""

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
# when NHI-PRIV-013's title and rationale came to name Owner and Editor, and NHI-LOG-001's title and
# message management events, and NHI-SECRET-002's message its rotation interval (the demo's secrets),
# and NHI-LOG-003, -009 and -010 reading each agent's region (definition digests, evidence), and
# NHI-LOG-001's mapping to CIS AWS 4.1 made partial, and NHI-AGENT-001 failing agents that can make
# themselves administrators, and the iam_escalation tag in capability lists, and NHI-LOG-006's
# asking for ADMIN_READ, the log type of token minting (title, message, remediation, definition), and
# NHI-CRED-003 reading the use's age (definition digest; days_since_used in evidence for last_used)
PINNED = {
    "synthetic-grouped": {
        "report.html": "054081da301529fa88b1d65826b5e99ba2071d98e3d0cf6767d0a299c597b46d",
        "results.sarif": "80351b4969f2f66ddf61b4f2f8c1e6d50dbf35d7e90d0df8e9bca1ee8bd7c87c",
        "executive.html": "2f9bcda5ae6012da0e5c04e767c8dfb624561a3663a4bf73af9bfa3be593535a",
        "executive.html from the stored view": "2f9bcda5ae6012da0e5c04e767c8dfb624561a3663a4bf73af9bfa3be593535a",
        "summary": "a216efc7c308b35e04ab668ebde459127b06f573d7fcd03a0bb0fd58d44f3f8f",
        "summary.md": "bcb10c568b0ddc4784c2a3db3969c6c6cbec842cd668c8aa356d3c7ac46e5a23",
        "findings.csv": "39e6b1ffec228bfcbc4bae792b5e2902ff062442b416434f4664bed6fe027575",
        "findings.ocsf.jsonl": "dec6c6d7b270437122d915a4f3d15ec131f2bd99593b9440be8bee7f7b3f42f6",
    },
    "synthetic-small": {
        "report.html": "c5acab5a0c64751fa9c97096ec638a47e157820dd18104e63d45073a77248c3b",
        "results.sarif": "1e24d361b453436eaf07d999d45e244b1909f47fd2c62ecb17543a46c7f73991",
        "executive.html": "2062fb6218b1d3a88ffefb4505bbce3697e500afbcf346493604219a471d5b0a",
        "executive.html from the stored view": "2062fb6218b1d3a88ffefb4505bbce3697e500afbcf346493604219a471d5b0a",
        "summary": "1bded19898929f8d4091d5710073f58453b47a07e838f60beec032b1c83d83f7",
        "summary.md": "09e171c9caf08609caf8a18b14f7e827f9ce82ef38150c7d2c7402e687be8038",
        "findings.csv": "c101904a6202f4badb1d74f7a426933aba6e5565a953ddfdb68a1f1e5b1da828",
        "findings.ocsf.jsonl": "723d64dfdd2e995aefef1beccf7f150b6bc09c49607a08f97f921314ab90dfed",
    },
    "demo": {
        "report.html": "46da0b6e59abdaf4010f3ac3c2e948ce042fdd0e9dff021872684014c7366776",
        "results.sarif": "2f1bb94508c36b3fa7d570a98cd7f00f147f6548877777188fb16bf97e17f796",
        "executive.html": "2347f213d6a4358a1dc7fe25283247c771aa27e1d4fd7f5d2e9aec1c2099365a",
        "executive.html from the stored view": "2347f213d6a4358a1dc7fe25283247c771aa27e1d4fd7f5d2e9aec1c2099365a",
        "summary": "697d3e1321bc3814b01423c778d7e05b02d833f573edc1d7b00794ed51b4e018",
        "summary.md": "455c3b61f2cd9432edb296002a97d3b991fb6e8355950443c0089db21a29c317",
        "findings.csv": "e592d9095d5450848df309b3f702f920f511420cbcd153cbdc0188e6bc76399e",
        "findings.ocsf.jsonl": "3eb92ccd81415b22b5a05bd588fd9917d315162c0c69f6ed04be98d5e428015b",
    },
    "demo-grouped": {
        "report.html": "ac305f0665d276825e2d4faf3d4f14831039c9e73b0c1fb015b96c6d367e2cbc",
        "results.sarif": "caaa876a3ab0ab8982e3eb20fca88e75fcf47d97b78b985024c7d77652451a53",
        "executive.html": "2347f213d6a4358a1dc7fe25283247c771aa27e1d4fd7f5d2e9aec1c2099365a",
        "executive.html from the stored view": "2347f213d6a4358a1dc7fe25283247c771aa27e1d4fd7f5d2e9aec1c2099365a",
        "summary": "697d3e1321bc3814b01423c778d7e05b02d833f573edc1d7b00794ed51b4e018",
        "summary.md": "455c3b61f2cd9432edb296002a97d3b991fb6e8355950443c0089db21a29c317",
        "findings.csv": "e592d9095d5450848df309b3f702f920f511420cbcd153cbdc0188e6bc76399e",
        "findings.ocsf.jsonl": "3eb92ccd81415b22b5a05bd588fd9917d315162c0c69f6ed04be98d5e428015b",
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
