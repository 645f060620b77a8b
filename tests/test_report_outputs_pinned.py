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
# NHI-PRIV-003, NHI-AGENT-004 and NHI-AGENT-014)
PINNED = {
    "synthetic-grouped": {
        "report.html": "e88e8cc9a6cbdb8ed6d233d46c4c244a452e328b4a8af0c9685f9b9d466122e8",
        "results.sarif": "07fcdd55fe39a1602e6d02024ec516f8a74e1c6afb0a004cd49d4e2e1c1df4cd",
        "executive.html": "946ab7d77e93275f59ac0854e5162cbb90b82c68c5ed08a5c562ee4dd6e6a1aa",
        "executive.html from the stored view": "946ab7d77e93275f59ac0854e5162cbb90b82c68c5ed08a5c562ee4dd6e6a1aa",
        "summary": "c91c4e393dce9223ac2b5ebf6cab3a37b9a0d5d9a230ab68b68907834d3cd2b2",
        "summary.md": "9184a4191504f654faa902d84ef73738c13a6bb139ab50c156eee65eb2ac7622",
        "findings.csv": "9afc33727e5633fd9e0d3f5f000c406c372914ab21954d25f8ba7c8bdd16563e",
        "findings.ocsf.jsonl": "3f41026566e7f33edb64f1f2ee2ed9f0f06942f49a628db4079c0ada8b84ac8f",
    },
    "synthetic-small": {
        "report.html": "761932ee4ffaff5a6f59ef4a95c7852c08c8ac78d2fe4422474ae23120d88593",
        "results.sarif": "680019780f4b2ff5cbf87113e97fe64bc4c52a48b42d687d98e189ce2e312366",
        "executive.html": "699206e8a012dcc3dfcb25194666ba484b6385574933a3d0be6b00ba0ccf992f",
        "executive.html from the stored view": "699206e8a012dcc3dfcb25194666ba484b6385574933a3d0be6b00ba0ccf992f",
        "summary": "11bd31b55650ed1da56863b467ab8352d1623228be7301e9266dcd1f610194ae",
        "summary.md": "4e2392dedb92113c7bbc5c214f48424d84d72dc99069db5e36176badaae0a854",
        "findings.csv": "df7f8deb74bf08fe7473fbd634681d3f36b438a8fe2a6323b7887c8cb0d99b71",
        "findings.ocsf.jsonl": "6eb3ab6807f66ebfb3ab940b5db8fa0ae80cfdbf4de1478b72c9721387fffb0a",
    },
    "demo": {
        "report.html": "c5d4a84c38da6fbd4e2eea8643e95e5fead64df5a43b4c6505616d7b34814027",
        "results.sarif": "3dbdfe7c9007e5fdb27cfd7cb78ad70102283ec000299123bc0d544d6707acc6",
        "executive.html": "e51d3c579023b6c9993d1cb896c688ce87f2e4ba10411b340021543f99e72d89",
        "executive.html from the stored view": "e51d3c579023b6c9993d1cb896c688ce87f2e4ba10411b340021543f99e72d89",
        "summary": "dfc8f470304d0774f12e592fdc718770aa238b868d22649bbbc6674ba77b2b6d",
        "summary.md": "b8fb53600a4aff5a1d495f8b264857808d418f0428e3342bf576b064e9f56119",
        "findings.csv": "2305f2d2549b6d74c9d83522c019b8958faf0ad9379091b3e43de4ec8737be4e",
        "findings.ocsf.jsonl": "90a5cb403b5a1abdcf5d003d575a5e5389e062814deac30bbc90717c9127eef9",
    },
    "demo-grouped": {
        "report.html": "57736b74a71c3aee2bf5d85f92887486c944c42b5740e54f4d18eb1ae8c1637b",
        "results.sarif": "24dbcea3ef587d9552fc1fa50be48eb053ea24e16d21066e353d0f1319be431b",
        "executive.html": "e51d3c579023b6c9993d1cb896c688ce87f2e4ba10411b340021543f99e72d89",
        "executive.html from the stored view": "e51d3c579023b6c9993d1cb896c688ce87f2e4ba10411b340021543f99e72d89",
        "summary": "dfc8f470304d0774f12e592fdc718770aa238b868d22649bbbc6674ba77b2b6d",
        "summary.md": "b8fb53600a4aff5a1d495f8b264857808d418f0428e3342bf576b064e9f56119",
        "findings.csv": "2305f2d2549b6d74c9d83522c019b8958faf0ad9379091b3e43de4ec8737be4e",
        "findings.ocsf.jsonl": "90a5cb403b5a1abdcf5d003d575a5e5389e062814deac30bbc90717c9127eef9",
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
