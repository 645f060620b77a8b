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

# sha256 of each output, computed before the reports were made faster
PINNED = {
    "synthetic-grouped": {
        "report.html": "88b29c04552ba7ed05d115f09b6e7cc3cac2a28484a241c369c0f020c077903f",
        "results.sarif": "06a2662ea33820acbd4b9d56984b0b8ec989cc4559495d7ac963a17164344123",
        "executive.html": "9d72399c1f04d46379f044a30766264cb77fb0ac5bbf4e257a62ce8443ca166c",
        "executive.html from the stored view": "9d72399c1f04d46379f044a30766264cb77fb0ac5bbf4e257a62ce8443ca166c",
        "summary": "d89a4ba20ae2ff6529146eb65845a08b814a34940de9f761d7cebbabc4db011d",
        "summary.md": "e6bfa97175d8a7e20c80ff590332f6b54c1367a485bd690b86648c55c088ec8a",
        "findings.csv": "5ff7419a372cc115a6a9aaa653c692ec2f27648a961984d828bc9d75c41b9944",
        "findings.ocsf.jsonl": "06cf7ce5e1ecd98c360ebfd01de85df804b8b32b6767eb77ff510144d9cacc81",
    },
    "synthetic-small": {
        "report.html": "88175f0e46583ed9ab5c7b1a8f5a79d85906d3842a469d13e5d1d62536b257e4",
        "results.sarif": "8c65df7fe0a390bac380491b212892f6674cbaeea2a9ea87e6180791d5aca8e3",
        "executive.html": "7f3f570ac6885cbe7bd7c0437a01e799959802ccac739e536b631a36421acc78",
        "executive.html from the stored view": "7f3f570ac6885cbe7bd7c0437a01e799959802ccac739e536b631a36421acc78",
        "summary": "579ccacc62a62d04fd44e513f70345403a2908242a8e203264862eff82b3e2db",
        "summary.md": "e85206410966e9349faf30b7a3333b590465db33d3794d982c32ef4bce0827ac",
        "findings.csv": "99196adafa220b5c405d7d8465df887b3b728f1bcb421ff1e75a6627fdb581b8",
        "findings.ocsf.jsonl": "a72002b8492cee4a7258775d3e2230dc3ae80d2f16777f1b5b05e0fa87ea7b92",
    },
    "demo": {
        "report.html": "73d4b5cacb4228c934babce02bfb59240cd5c083beb8a0f3e596e1dcb808e7fd",
        "results.sarif": "b5ad84a5ffc2528c129245ed4c2f47b75e3ec042c9ad3cdd4d751a988901fb53",
        "executive.html": "df4fd8f486a64528c26b0d72c456c465ba948a74315b376b55e3aa3f062d6698",
        "executive.html from the stored view": "df4fd8f486a64528c26b0d72c456c465ba948a74315b376b55e3aa3f062d6698",
        "summary": "1727c193298b054209db05b90702d7b30fc3799ea01363803aa82c68aa9cae7f",
        "summary.md": "c7d974c55b72e5ceab71341e250fdd938542ef53c67c638da5e9e2f22e15fe60",
        "findings.csv": "422e02049a2b25d4d601eb51b7c73569dbf17da81959cf136effa2b168018eb7",
        "findings.ocsf.jsonl": "9b95a7ef77388be9828ac89b7d8241731df622c98e0c7df0d0a393d2369582b8",
    },
    "demo-grouped": {
        "report.html": "77b86a8b666116a6a60f35428f6edc03732de1875d694e051d132cf6ee644141",
        "results.sarif": "ce402d79e88ba08c02987a177ead833dbed2fb62323362020e5a561bd566a466",
        "executive.html": "df4fd8f486a64528c26b0d72c456c465ba948a74315b376b55e3aa3f062d6698",
        "executive.html from the stored view": "df4fd8f486a64528c26b0d72c456c465ba948a74315b376b55e3aa3f062d6698",
        "summary": "1727c193298b054209db05b90702d7b30fc3799ea01363803aa82c68aa9cae7f",
        "summary.md": "c7d974c55b72e5ceab71341e250fdd938542ef53c67c638da5e9e2f22e15fe60",
        "findings.csv": "422e02049a2b25d4d601eb51b7c73569dbf17da81959cf136effa2b168018eb7",
        "findings.ocsf.jsonl": "9b95a7ef77388be9828ac89b7d8241731df622c98e0c7df0d0a393d2369582b8",
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
