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
# NHI-LOG-001's mapping to CIS AWS 4.1 made partial, and NHI-AGENT-001 failing agents that can make
# themselves administrators
PINNED = {
    "synthetic-grouped": {
        "report.html": "bed3796cb3dfab01b0f4ef2b1547a29273b3de3a31c01c3ca1a7b1df04959228",
        "results.sarif": "f92b28106740ebc2958f79f6bf615968f1955aafcdee56e70b2ef1d04c4c98e1",
        "executive.html": "87c3277aa297692b9150b13ee18eae5d534f90da68846f0aca4ee909e639bb9e",
        "executive.html from the stored view": "87c3277aa297692b9150b13ee18eae5d534f90da68846f0aca4ee909e639bb9e",
        "summary": "30f8636ccb8fb3ac3c4de60e322ff83a486fa8356a343299342116e257738655",
        "summary.md": "e2a66706b3c4ec24ea582a1ccc32d99549d98b7de81d43eb107c9d3cfeb48b2f",
        "findings.csv": "f624a7b777e17d42e40dcc6de647c348077ea7be2cd5d83b3187247c76fa997e",
        "findings.ocsf.jsonl": "42b253c9c5d93d864c7dbfcf73dfa36939f43ffd50ab43f4e9d67e33a7d09051",
    },
    "synthetic-small": {
        "report.html": "aa915b5d290283a4cd5b94acf33bde7870ff4168cd47859af7f807692a8de27a",
        "results.sarif": "863d1eef0e7483a81257b37bca1b89df5148688bc375288a0e0f45c2f305ca99",
        "executive.html": "7106b5085aa8fbc8483af854cbe63423cdeef7163d765ab73034ed3c49190794",
        "executive.html from the stored view": "7106b5085aa8fbc8483af854cbe63423cdeef7163d765ab73034ed3c49190794",
        "summary": "ee62430be7b67bed16a113e37290f9cae29adbfb810b91cad5c3217f93bdab48",
        "summary.md": "09e171c9caf08609caf8a18b14f7e827f9ce82ef38150c7d2c7402e687be8038",
        "findings.csv": "1504efdd017c81b92e3f9a752ff7ef4852348553c0989804daa65beec4e173ce",
        "findings.ocsf.jsonl": "a12299c014cbdf8cc1f0ff00348aac99dd29e33a53614f254522a8555e309e04",
    },
    "demo": {
        "report.html": "387f0d738f99a2cbf137d4876384bf36c806bada09cccfc2cc72a4ae21a5f0b5",
        "results.sarif": "ac75b92a1927736fe764b51f0225cac35116f7df4457c6c7f359d019a8ba9647",
        "executive.html": "45ebc8295e07a785014e778b66ed866a5596b97765e43bbe404504a1ffbe725e",
        "executive.html from the stored view": "45ebc8295e07a785014e778b66ed866a5596b97765e43bbe404504a1ffbe725e",
        "summary": "409ed906455213791aead4532cf5b23b9e7b85280ce0fae7d458cba1bc9806df",
        "summary.md": "6c5bac11b85853323aa0825591cc74a8bb887bf9ade8d175655303b7c4b37d77",
        "findings.csv": "4b377040f6d18fb95c8579c57202304aa28805713d2edfedefe4d82f1fc21c65",
        "findings.ocsf.jsonl": "4b76b2485c4d99f3289e8832a72856739effc92d7d50b20315f8ecbe76d7628c",
    },
    "demo-grouped": {
        "report.html": "b2e58e68ec156074418995f2cf3f424648d2881224fe2247b71a298e2479b3ef",
        "results.sarif": "563b3cf6653cdd66c62e2c80d50d20f6e2c7779cc56c72a7d48f75da634ddc01",
        "executive.html": "45ebc8295e07a785014e778b66ed866a5596b97765e43bbe404504a1ffbe725e",
        "executive.html from the stored view": "45ebc8295e07a785014e778b66ed866a5596b97765e43bbe404504a1ffbe725e",
        "summary": "409ed906455213791aead4532cf5b23b9e7b85280ce0fae7d458cba1bc9806df",
        "summary.md": "6c5bac11b85853323aa0825591cc74a8bb887bf9ade8d175655303b7c4b37d77",
        "findings.csv": "4b377040f6d18fb95c8579c57202304aa28805713d2edfedefe4d82f1fc21c65",
        "findings.ocsf.jsonl": "4b76b2485c4d99f3289e8832a72856739effc92d7d50b20315f8ecbe76d7628c",
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
