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
# themselves administrators, and the iam_escalation tag in capability lists
PINNED = {
    "synthetic-grouped": {
        "report.html": "3602688e215484330957e9971d869c0526e284a1144abe99bc7386e9a20fd48f",
        "results.sarif": "87ac76648190133eacbfae92cf5be186dd9bfea28d062bdff614d107588424a7",
        "executive.html": "00bdf4faeb26c8a1e9c249b57f7fc9a7fa27c0e78d085a5a5faef01d6e79dfaa",
        "executive.html from the stored view": "00bdf4faeb26c8a1e9c249b57f7fc9a7fa27c0e78d085a5a5faef01d6e79dfaa",
        "summary": "da0658dbff67269f21656a3b79693a6475b94141c81712ddd7026ee64378397d",
        "summary.md": "bcb10c568b0ddc4784c2a3db3969c6c6cbec842cd668c8aa356d3c7ac46e5a23",
        "findings.csv": "84ae42f18e1ae5823d20f20452f4559398340b170ba8fe99e1d5f5f2f6fde785",
        "findings.ocsf.jsonl": "36821d2b4dfe2e714f8608fec4e63ccac05413a9cb0e450c2db2cc8ea1658e4a",
    },
    "synthetic-small": {
        "report.html": "5931bcf81668b10a8cd6616e9f29f4ba0a2138db99a48de05b020a7c47d2e9db",
        "results.sarif": "f39aab4d2c6ac666f7884036c47f016e961fd12cc196bb43181f1ac829fd03a2",
        "executive.html": "0a7f91c3e13f5f3e9ab4b9fcbd93bb7e378f2b8251b9a86f803fc333ea734aae",
        "executive.html from the stored view": "0a7f91c3e13f5f3e9ab4b9fcbd93bb7e378f2b8251b9a86f803fc333ea734aae",
        "summary": "ebce326b89bf2164073565109a0e9d95aa90e44f2d80316e7c30fc9e67da6964",
        "summary.md": "09e171c9caf08609caf8a18b14f7e827f9ce82ef38150c7d2c7402e687be8038",
        "findings.csv": "cbce52a688546f6f2a288669d1e10cc7a78498ba54161110d444232bf38f2fc1",
        "findings.ocsf.jsonl": "6b047a59c518b72405122b823c3183e4a8b1e419945c298d8d55a61d7abc6f4d",
    },
    "demo": {
        "report.html": "5fb19dca27fccd7d30a4df12733505e6a50355e3c919656b3819faf76a6973d0",
        "results.sarif": "3b2bf1bfdb07a84e79f631364eb68e70fa7f5d9ffa13511092a859f879a381b0",
        "executive.html": "4125931dca8435809a6efee15b0e3141fc9114becc0d5f5cd0a89dcd5f3782ec",
        "executive.html from the stored view": "4125931dca8435809a6efee15b0e3141fc9114becc0d5f5cd0a89dcd5f3782ec",
        "summary": "f6fd1a869dc77fa5305a76158c7b17b075c0bf0b38f33dff53a3c6a983335071",
        "summary.md": "455c3b61f2cd9432edb296002a97d3b991fb6e8355950443c0089db21a29c317",
        "findings.csv": "8590a055e9bbe052b1e099f7fe2a9acf1ced90264277c7a26c2576a3a06fa48c",
        "findings.ocsf.jsonl": "a32d88e47056c1a04c16f78506155b8fffaf3da285e0a942750ad05c1ed9d461",
    },
    "demo-grouped": {
        "report.html": "ac47519cff332b15e3e7827c65ef6bcaf595ded59783311b3d8e8b3bf797e55c",
        "results.sarif": "566fd41e27aaf4d72ac490edb402b158773755946b8109a8a4c16c2fcc6f3419",
        "executive.html": "4125931dca8435809a6efee15b0e3141fc9114becc0d5f5cd0a89dcd5f3782ec",
        "executive.html from the stored view": "4125931dca8435809a6efee15b0e3141fc9114becc0d5f5cd0a89dcd5f3782ec",
        "summary": "f6fd1a869dc77fa5305a76158c7b17b075c0bf0b38f33dff53a3c6a983335071",
        "summary.md": "455c3b61f2cd9432edb296002a97d3b991fb6e8355950443c0089db21a29c317",
        "findings.csv": "8590a055e9bbe052b1e099f7fe2a9acf1ced90264277c7a26c2576a3a06fa48c",
        "findings.ocsf.jsonl": "a32d88e47056c1a04c16f78506155b8fffaf3da285e0a942750ad05c1ed9d461",
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
