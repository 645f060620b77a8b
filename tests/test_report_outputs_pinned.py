"""The reports of fixed estates, pinned byte for byte: report.html, results.sarif, the executive
report's HTML (what report.pdf is laid out from), the executive view the history stores,
findings.csv and findings.ocsf.jsonl stay exactly what they were when their rendering was made
faster. Scan id, times, tool version and trend are fixed, so only the rendering decides the bytes.
A change that means to alter a report updates the digests below, saying why in its commit (the
OCSF events' digests changed once, when they came to be written compact by the C encoder: the
same events, key for key, without the spaces after separators)."""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pygal.graph.base
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
        "report.html": "816f851f8adc8b09f966a0a65f0e6fb2ead2b9e22a32399a5b39147c59da31b5",
        "results.sarif": "85f87cb038200f25ef4fdd72df02c852826cbc85f24ff8dbb16e6b074e1cf4bf",
        "executive.html": "e236325dbd2e706e79dc8799513be3bc2e4450032bceae647922874928b2ff04",
        "executive.html from the stored view": "e236325dbd2e706e79dc8799513be3bc2e4450032bceae647922874928b2ff04",
        "summary": "09b5bc84e0c5fe716fcc90ed94b62a934e37b4bf48821832d0d219f77954ab2f",
        "summary.md": "c6b4a1f43eb5c713ac1c2a34c24c77994e835f75c827af61340681ba31ab86f0",
        "findings.csv": "f173c2d7c5c546bb9716bef23d979dc9e47677b3ad997b287f85b9bb95919969",
        "findings.ocsf.jsonl": "c23199288cb958f9d56f26f980d80c7a346d8b9b806fbfd041285f64dd643e7d",
    },
    "synthetic-small": {
        "report.html": "72cd6bd1f72dc23d4daafd97b4246a9012dbee6e195feb95cb3acf4200508745",
        "results.sarif": "8c65df7fe0a390bac380491b212892f6674cbaeea2a9ea87e6180791d5aca8e3",
        "executive.html": "6bafec843326b016e96c41423367cfa0e845bb46a78eee4c89ec96fbb6adadd7",
        "executive.html from the stored view": "6bafec843326b016e96c41423367cfa0e845bb46a78eee4c89ec96fbb6adadd7",
        "summary": "88f0c38bea84018ec00bbb7e54536bf16e0700b3dc7aa25969c212f0daf20428",
        "summary.md": "e85206410966e9349faf30b7a3333b590465db33d3794d982c32ef4bce0827ac",
        "findings.csv": "c61827b7c563bf793fc3c6778734fa9f49ff0dbb642ba863fff6bf043ea2a374",
        "findings.ocsf.jsonl": "ff2c53dd110e4211fab527d5d0a8796918723648050d5046957ee3471b9dceb3",
    },
    "demo": {
        "report.html": "59b3df06d8be721491adbb6b6a405e979482641fcae8449cf73bb4f0621aa4f8",
        "results.sarif": "b5ad84a5ffc2528c129245ed4c2f47b75e3ec042c9ad3cdd4d751a988901fb53",
        "executive.html": "dfc124f97653abd873d8a7ea862d57bb6b7edbb7d712b6c98f1786ecd6e0e471",
        "executive.html from the stored view": "dfc124f97653abd873d8a7ea862d57bb6b7edbb7d712b6c98f1786ecd6e0e471",
        "summary": "0ffd17838452a38e402aab0d4ed0b192b5198426ff6be24cc8038955080fa782",
        "summary.md": "d818c2d5d55874842c01b22ced4b4ee1e798041f4358b43783dfdbba35d6ad85",
        "findings.csv": "a02c7911eaaf10bbd1e38457fc7278e9528a021c0104d71d68fadbd0d9218162",
        "findings.ocsf.jsonl": "d2bf7a155046dfb7a7b33677358f1d9b1575cbb439c78cc227798e9b456c0b39",
    },
    "demo-grouped": {
        "report.html": "76cacef968877b9402d5373057c20b46f9154807eebbacc9c3bdc7e05c0e561a",
        "results.sarif": "ce402d79e88ba08c02987a177ead833dbed2fb62323362020e5a561bd566a466",
        "executive.html": "dfc124f97653abd873d8a7ea862d57bb6b7edbb7d712b6c98f1786ecd6e0e471",
        "executive.html from the stored view": "dfc124f97653abd873d8a7ea862d57bb6b7edbb7d712b6c98f1786ecd6e0e471",
        "summary": "0ffd17838452a38e402aab0d4ed0b192b5198426ff6be24cc8038955080fa782",
        "summary.md": "d818c2d5d55874842c01b22ced4b4ee1e798041f4358b43783dfdbba35d6ad85",
        "findings.csv": "a02c7911eaaf10bbd1e38457fc7278e9528a021c0104d71d68fadbd0d9218162",
        "findings.ocsf.jsonl": "d2bf7a155046dfb7a7b33677358f1d9b1575cbb439c78cc227798e9b456c0b39",
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
    """sha256 of what ``render`` returns, its charts numbered 1, 2, … (pygal names each chart by a
    random uuid)."""
    numbers = itertools.count(1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pygal.graph.base, "uuid4", lambda: uuid.UUID(int=next(numbers)))
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
