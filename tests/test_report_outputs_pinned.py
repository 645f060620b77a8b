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
# when NHI-PRIV-013's title and rationale came to name Owner and Editor, and NHI-LOG-001's title and
# message management events, and NHI-SECRET-002's message its rotation interval (the demo's secrets),
# and NHI-LOG-003, -009 and -010 reading each agent's region (definition digests, evidence), and
# NHI-LOG-001's mapping to CIS AWS 4.1 made partial
PINNED = {
    "synthetic-grouped": {
        "report.html": "21f1d413d0e34f4d57778534edb95c06e8f6de2ecc41c7bd31a8fdf8c50c7536",
        "results.sarif": "3b2a0913a2333f4bca25027b35c4cc49ce028938bf8c69966583b3acff01b65f",
        "executive.html": "003da530fa9152b0c5b9b0e6d1e8d076965d2ef8468431cde29350fe3e7bcab7",
        "executive.html from the stored view": "003da530fa9152b0c5b9b0e6d1e8d076965d2ef8468431cde29350fe3e7bcab7",
        "summary": "47519da10b899e0d4dd8b2ed79e94a4e2620aa71575bcf4595c17cc5d8073588",
        "summary.md": "d0f604f1eefaae5cc3aa2782462949df5fbb2316ce37974aea9eac2a2edba877",
        "findings.csv": "d6774e5f23f07b49d008daeddcf7dc6db21541794f1635422b981af9f82a0070",
        "findings.ocsf.jsonl": "068587585231fee987dc3b5783f9fad71b8e7a004d5d56f3e1a90b586153c9b9",
    },
    "synthetic-small": {
        "report.html": "671f2690cfc6f1c7a5dbcfdee775ddc19c32436f65226828050713839bd31e52",
        "results.sarif": "ab8f533ed948729f7c236f94e9aa765c36c1abf77afd7e57a1ff0fb01400cd7f",
        "executive.html": "965f7bb3fb07d06e567319607c3b95d19bbeee33dbed9c2527946210c5fbd157",
        "executive.html from the stored view": "965f7bb3fb07d06e567319607c3b95d19bbeee33dbed9c2527946210c5fbd157",
        "summary": "80e6e40ebb7bb0c49a58a2766d4708510d08812b0d31aea79d107f8d6f6c82fb",
        "summary.md": "965f3e19765740f19304f4833e31e5a9d42cf914714d065604e545d6967e9981",
        "findings.csv": "897aeba8622a7278386a62fa47f5653b5837d0c480be14d2b9a8efd47f022feb",
        "findings.ocsf.jsonl": "23c7e087268334d948e1c979ed8c522a817906f399bb80375e878243fcf8767a",
    },
    "demo": {
        "report.html": "8d7b6d3f9a4c0a632f021b62b21e477e0afee00d5249ab23dbe2b7048a51c477",
        "results.sarif": "94700f6c648304e4418d90c451c4d47a0e4a1b45c4ec4f703560e947c54e7bd4",
        "executive.html": "b9089c97f1f8c585bbfd3b6c2ef949c8b8694307762fc256023026c90bccaf01",
        "executive.html from the stored view": "b9089c97f1f8c585bbfd3b6c2ef949c8b8694307762fc256023026c90bccaf01",
        "summary": "cea798b1aa79e538ae18b5c9224d344c9c3cfeddaf2d5974764da13064b79db6",
        "summary.md": "7a829688d8ff6a3bf227ed162bdefdef2fc69feb863e71deb6250716135633a1",
        "findings.csv": "ecc5cb8fc1bd9957f87bab1c51f6a94ba4c1b9e570d8e75d0c8148b901b3abe4",
        "findings.ocsf.jsonl": "5cc7be5c3ba0972731c3e1ab3e07a3d84719353cc1c2e6895b77da74d88114fc",
    },
    "demo-grouped": {
        "report.html": "28756a8b776e5d4dc76ca7929d9eb49610b9f54fae198b0571b4a0dcf70461ee",
        "results.sarif": "f5e91b2a758b47e6e1e31516c2572b7feaefb76690d58d1e562439ac8592d15b",
        "executive.html": "b9089c97f1f8c585bbfd3b6c2ef949c8b8694307762fc256023026c90bccaf01",
        "executive.html from the stored view": "b9089c97f1f8c585bbfd3b6c2ef949c8b8694307762fc256023026c90bccaf01",
        "summary": "cea798b1aa79e538ae18b5c9224d344c9c3cfeddaf2d5974764da13064b79db6",
        "summary.md": "7a829688d8ff6a3bf227ed162bdefdef2fc69feb863e71deb6250716135633a1",
        "findings.csv": "ecc5cb8fc1bd9957f87bab1c51f6a94ba4c1b9e570d8e75d0c8148b901b3abe4",
        "findings.ocsf.jsonl": "5cc7be5c3ba0972731c3e1ab3e07a3d84719353cc1c2e6895b77da74d88114fc",
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
