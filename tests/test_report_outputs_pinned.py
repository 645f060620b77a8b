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
# expiry at the time judged stopped counting as active (no rotation failures for expired secrets)
PINNED = {
    "synthetic-grouped": {
        "report.html": "8ae5e87e385af1ae0fc0c8c0f11fa5bb9e64bfd30e0ee1e9dcb134434a63d737",
        "results.sarif": "35687907d833be70594b3c864d414957fe64465be49e9acff69f8e7ede0d66e7",
        "executive.html": "278ff85e6c34db0b31889a175d43757cc8f325d0d8b6f849cb589f3f4d8b332f",
        "executive.html from the stored view": "278ff85e6c34db0b31889a175d43757cc8f325d0d8b6f849cb589f3f4d8b332f",
        "summary": "d85240290491590adec0849353b99cc7b9f6670d62250c8aabcb94a650f024a8",
        "summary.md": "d0f604f1eefaae5cc3aa2782462949df5fbb2316ce37974aea9eac2a2edba877",
        "findings.csv": "1dac688b5791911172feeb501d4ef96a052d165f9cda37e23642003283629a4c",
        "findings.ocsf.jsonl": "955bf51a0c371ef1543cc00615fa1c5876716f015e2725a62b4045212b56d1aa",
    },
    "synthetic-small": {
        "report.html": "8f188494b4cbfb2493c54d8bc5b3a53218402bdb8ff92cc855864a9d885b64b1",
        "results.sarif": "988a43b3fb10f4e4c1b8d39eb481dcee0044f164cdf5b61f89bf3326ee3ac66f",
        "executive.html": "db6c819a3fd47f02c1f188461c3b51853849eaf3a5a2e8d4a3ff6b83e493a175",
        "executive.html from the stored view": "db6c819a3fd47f02c1f188461c3b51853849eaf3a5a2e8d4a3ff6b83e493a175",
        "summary": "33c035a66fd29d9669af400abbd474fe77c9face96cf7c8b60e54de377fdb4d0",
        "summary.md": "965f3e19765740f19304f4833e31e5a9d42cf914714d065604e545d6967e9981",
        "findings.csv": "f8d3ab9004513c07c4e1686cd971dc6fbed5e7dc43cff1a79b6e7eabf56cbc9d",
        "findings.ocsf.jsonl": "d5a43f59bc72db81edf7fa199018adcf14e377288fb6d33b17e3ef7f30ae59de",
    },
    "demo": {
        "report.html": "ef0b1f3802a1ef349ab43aec55f306aef9d19ec98b7cdb21d3ecae2a148f44a5",
        "results.sarif": "59ae20761437b4e88f3ebcc5e698cfe161db36bb9ffb1e45c5d22841bd4f24c5",
        "executive.html": "808b6b8888f57de8e877219e847186289cc164e07b2a83717cbd13362c20e005",
        "executive.html from the stored view": "808b6b8888f57de8e877219e847186289cc164e07b2a83717cbd13362c20e005",
        "summary": "c119f15f22ef01b380f8dbcf55d0f7ed9d3fa38d5f27d69b88192f9b7c2db6a1",
        "summary.md": "7a829688d8ff6a3bf227ed162bdefdef2fc69feb863e71deb6250716135633a1",
        "findings.csv": "7f986625308184a697e96fc18625e4b9c4dcc34cc2e91f0f31d621cdad6289ad",
        "findings.ocsf.jsonl": "1d0428aa7b694fb5af95bacaa539c1cd591ffcaa061c0fab015f602d8f8639ba",
    },
    "demo-grouped": {
        "report.html": "607ff4854d800ba408a1408bbf1f2dec6bf91bbca7104ebc5bb7358c0663a79b",
        "results.sarif": "59a09c9c57ad3f4afe2cf20e01d6ad88cc6c776b68c784e166a7941636005152",
        "executive.html": "808b6b8888f57de8e877219e847186289cc164e07b2a83717cbd13362c20e005",
        "executive.html from the stored view": "808b6b8888f57de8e877219e847186289cc164e07b2a83717cbd13362c20e005",
        "summary": "c119f15f22ef01b380f8dbcf55d0f7ed9d3fa38d5f27d69b88192f9b7c2db6a1",
        "summary.md": "7a829688d8ff6a3bf227ed162bdefdef2fc69feb863e71deb6250716135633a1",
        "findings.csv": "7f986625308184a697e96fc18625e4b9c4dcc34cc2e91f0f31d621cdad6289ad",
        "findings.ocsf.jsonl": "1d0428aa7b694fb5af95bacaa539c1cd591ffcaa061c0fab015f602d8f8639ba",
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
