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
        "report.html": "a4afabbc2a86498068feae22ba3b8117fe0fae3f8829f89d50baf727512cc877",
        "results.sarif": "67cca21986d66d5c1f4a45096d6d94c51f37d6a17c1000f67463eced01ef03e9",
        "executive.html": "8fcd8d317b21e7601370ddcdc434f2313ea578ab2db5b9a56e6fa2dfcd24da36",
        "executive.html from the stored view": "8fcd8d317b21e7601370ddcdc434f2313ea578ab2db5b9a56e6fa2dfcd24da36",
        "summary": "09b5bc84e0c5fe716fcc90ed94b62a934e37b4bf48821832d0d219f77954ab2f",
        "summary.md": "c6b4a1f43eb5c713ac1c2a34c24c77994e835f75c827af61340681ba31ab86f0",
        "findings.csv": "c4526296d9d62eff6bf401a907b5122857ef6389e52db4f19e187aac12144eee",
        "findings.ocsf.jsonl": "92650895e98640154860bc4515cedcfeeec790c8e7e3472ab1e6b9c4714b033d",
    },
    "synthetic-small": {
        "report.html": "797de6039d70aaafc7fdc90a3ca97f295eee6a879349f84c3b3eed266115f82c",
        "results.sarif": "ec87a82f0e76a585dc70a5e9b7733c303eaf4979ff7e2194fd82a19c9218fdaa",
        "executive.html": "aaea1c0ae0b6ab9d74f26051ff072a965d9585c399d11354281e8ad1db37fd27",
        "executive.html from the stored view": "aaea1c0ae0b6ab9d74f26051ff072a965d9585c399d11354281e8ad1db37fd27",
        "summary": "88f0c38bea84018ec00bbb7e54536bf16e0700b3dc7aa25969c212f0daf20428",
        "summary.md": "e85206410966e9349faf30b7a3333b590465db33d3794d982c32ef4bce0827ac",
        "findings.csv": "597a56d853d6ea706524c2546a3feedbb3d757d63f6703ca275fdad1e8b21e60",
        "findings.ocsf.jsonl": "311d86db82ec91eedc2dfce3c3cc97735ec79c0714b50bcc4bf025022d226d81",
    },
    "demo": {
        "report.html": "3873595e41c12783f977930ca0b933900359f282e87710c7d90d4aa018ebac9c",
        "results.sarif": "64d088b4f8a3cc85457e29c4da08e03dcfadc6f63487c6c012228baf7f105a09",
        "executive.html": "dfc124f97653abd873d8a7ea862d57bb6b7edbb7d712b6c98f1786ecd6e0e471",
        "executive.html from the stored view": "dfc124f97653abd873d8a7ea862d57bb6b7edbb7d712b6c98f1786ecd6e0e471",
        "summary": "0ffd17838452a38e402aab0d4ed0b192b5198426ff6be24cc8038955080fa782",
        "summary.md": "d818c2d5d55874842c01b22ced4b4ee1e798041f4358b43783dfdbba35d6ad85",
        "findings.csv": "7b998ab4e21c0af164b1eed72e964405fea7d9e15282d1b787afdbf06e0d88b9",
        "findings.ocsf.jsonl": "e8c63dc846261e41a06d3b7017e738ac7bb1f0fbe7f39d8e974be9ac5fccd738",
    },
    "demo-grouped": {
        "report.html": "03807f1372cfe8868ac441f6e9d981d5a01ea4cb022dbc362324096d1d36be94",
        "results.sarif": "6000a22ecd984cdcca4a3f50a339b4c5d0e2f7cda0601f3c1a0bef1cf78f7b43",
        "executive.html": "dfc124f97653abd873d8a7ea862d57bb6b7edbb7d712b6c98f1786ecd6e0e471",
        "executive.html from the stored view": "dfc124f97653abd873d8a7ea862d57bb6b7edbb7d712b6c98f1786ecd6e0e471",
        "summary": "0ffd17838452a38e402aab0d4ed0b192b5198426ff6be24cc8038955080fa782",
        "summary.md": "d818c2d5d55874842c01b22ced4b4ee1e798041f4358b43783dfdbba35d6ad85",
        "findings.csv": "7b998ab4e21c0af164b1eed72e964405fea7d9e15282d1b787afdbf06e0d88b9",
        "findings.ocsf.jsonl": "e8c63dc846261e41a06d3b7017e738ac7bb1f0fbe7f39d8e974be9ac5fccd738",
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
