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
# NHI-CRED-003 reading the use's age (definition digest; days_since_used in evidence for last_used),
# and NHI-CRED-012 (exposed keys: unknown where the provider's reports were not read)
PINNED = {
    "synthetic-grouped": {
        "report.html": "d716d24f1a57dd0fb8f340b1cf2d1af757557c136131929efe86592fbe33dbbc",
        "results.sarif": "864615ddf4e159722fc0ba08ed6ae6a2bd2ff5c1985c3967d9a47b6eac0ce163",
        "executive.html": "4e94d37fc7d4726fd014733d3ea56ef0d9a927aae79ce84be27abfda4cbce6cf",
        "executive.html from the stored view": "4e94d37fc7d4726fd014733d3ea56ef0d9a927aae79ce84be27abfda4cbce6cf",
        "summary": "5935efec3ca1a88c74a938cde1a333210e0590791dc1bc20867097100d0f9608",
        "summary.md": "5a64d26b055295539e0a4f1e5f1bbbd5959500dcc8c1b14d30602f55cab04cd2",
        "findings.csv": "97a1589253faef212f4b746b5357d71b7fe1a4dc88d6525ea10c736b4f506c49",
        "findings.ocsf.jsonl": "8e7bdb66a8c6aaa1f177a2a94c6b256a1c53819efe0dd7324674e3ebe0bde144",
    },
    "synthetic-small": {
        "report.html": "3150d7da3fb7c5770e03e567c6e96b777e34299fe6189f09064c169aaf5e059e",
        "results.sarif": "872f69140ce4c1e4f3ab616791131c2bbf6ab3b5acb167f27c609b39f73bb9e3",
        "executive.html": "fd0383541b16471f5c24a25e1ef30421426a95beb882bbbd502264d6c10283bb",
        "executive.html from the stored view": "fd0383541b16471f5c24a25e1ef30421426a95beb882bbbd502264d6c10283bb",
        "summary": "511b736f49d53abee2fa8a15ed113bf9128f21af130997a5468fcdbd36ace95d",
        "summary.md": "c18cebee8b43285ca7bcdc3317888d7ad3093f1c59b2f0bff89535d838e2ec36",
        "findings.csv": "2de5d3ba2a51008f22009cecf404537d2cfdf9126605a6551557438838e52e0c",
        "findings.ocsf.jsonl": "d802aecda6c204d3bb5101815a507e7d44d6657ab4e0981faeef42680e3cec69",
    },
    "demo": {
        "report.html": "38ae2ce8892a7d285796199f2a6f67483e6066fd51daae774bc2063384addc8b",
        "results.sarif": "0eb0d7c728010fdc18e4b68720421ba0d81f1f021bd7bd22dec3fcddfa30a296",
        "executive.html": "59acbfefc857c7c90e2410810752cc96c7851ea667cb44504db46f30355e2722",
        "executive.html from the stored view": "59acbfefc857c7c90e2410810752cc96c7851ea667cb44504db46f30355e2722",
        "summary": "3b374c43c62c1d8d86de06a8e2a38834f745a38e18b84ac4f101a9a7d8dcf853",
        "summary.md": "cee955a447cd4869a5b7f720181bc033d3a4d0eff516eb0bf1877bb16af4dbea",
        "findings.csv": "ea105e5899d407b503d5968b0f77db3160150be0c54311e3a49ad66aad3d04bf",
        "findings.ocsf.jsonl": "d6227c0b2066e01dac1068201cda59968cee5835ea64069d0996693d4b6eab92",
    },
    "demo-grouped": {
        "report.html": "87b5b4d91fe41a87aef0230f1a9ac9b350c2c622d29074cb518c11074b638247",
        "results.sarif": "8204e90c24d0718ae4afbc7ae1f5013868c696fb833986a959b630f811d698c4",
        "executive.html": "59acbfefc857c7c90e2410810752cc96c7851ea667cb44504db46f30355e2722",
        "executive.html from the stored view": "59acbfefc857c7c90e2410810752cc96c7851ea667cb44504db46f30355e2722",
        "summary": "3b374c43c62c1d8d86de06a8e2a38834f745a38e18b84ac4f101a9a7d8dcf853",
        "summary.md": "cee955a447cd4869a5b7f720181bc033d3a4d0eff516eb0bf1877bb16af4dbea",
        "findings.csv": "ea105e5899d407b503d5968b0f77db3160150be0c54311e3a49ad66aad3d04bf",
        "findings.ocsf.jsonl": "d6227c0b2066e01dac1068201cda59968cee5835ea64069d0996693d4b6eab92",
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
