"""report.html opened in headless Chromium: self-contained, interactive, and inert with hostile names."""

from __future__ import annotations

import dataclasses
import shutil
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from scanner.model import HELD_BY_ANOTHER_SHARD, ScanResult
from scanner.reports import html_report, write_reports
from scanner.scan import ScanOptions, run_scan

from .conftest import LONG_PAYLOAD, SCRIPT_PAYLOAD, make_inventory

# This machine has no network: without these flags Chromium keeps trying to reach Google's hosts.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
OPEN = ("fail", "unknown", "waived")
PAGE_SIZE = 50


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    assert chromium, "Chromium is missing: run scripts/setup-system.sh --test"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@dataclass
class OpenedReport:
    page: Page
    url: str
    console: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def count(self, table: str = "findings") -> int:
        return int(self.page.get_attribute(f"#{table}-count", "data-total") or "-1")

    def rows(self, table: str = "findings") -> int:
        return self.page.locator(f"#{table}-table tbody tr").count()

    def choose(self, name: str, value: str, filters: str = "finding-filters") -> None:
        self.page.select_option(f'#{filters} [data-filter="{name}"]', value)


def open_report(browser: Browser, result: ScanResult, directory: Path) -> OpenedReport:
    write_reports(result, ["html"], directory)
    url = (directory / "report.html").as_uri()
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    opened = OpenedReport(page, url)
    page.on("console", lambda message: opened.console.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: opened.console.append(f"pageerror: {error}"))
    page.on("request", lambda request: opened.requests.append(request.url))
    page.on("dialog", lambda dialog: (opened.dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(url)
    page.wait_for_load_state("load")
    return opened


@pytest.fixture
def demo_report(browser: Browser, demo_result: ScanResult, tmp_path: Path) -> Iterator[OpenedReport]:
    opened = open_report(browser, demo_result, tmp_path)
    yield opened
    opened.page.close()


def open_findings(result: ScanResult) -> list:
    return [f for f in result.findings if f.status in OPEN]


def test_the_demo_report_loads_without_errors_or_network_requests(demo_report: OpenedReport) -> None:
    assert demo_report.console == []
    assert demo_report.requests == [demo_report.url]


def test_findings_start_with_the_open_ones_one_page_at_a_time(demo_report, demo_result) -> None:
    assert demo_report.count() == len(open_findings(demo_result))
    assert demo_report.rows() == PAGE_SIZE
    first_severity = demo_report.page.locator("#findings-table tbody tr td").first.text_content()
    assert first_severity == "critical"


@pytest.mark.parametrize("severity", ["critical", "high", "medium", "low"])
def test_the_severity_filter_shows_exactly_the_findings_of_that_severity(demo_report, demo_result, severity) -> None:
    expected = sum(1 for f in open_findings(demo_result) if f.severity == severity)
    demo_report.choose("severity", severity)
    assert demo_report.count() == expected
    assert demo_report.rows() == min(expected, PAGE_SIZE)
    shown = demo_report.page.locator("#findings-table tbody tr td:first-child").all_text_contents()
    assert set(shown) == {severity}


def test_status_framework_provider_and_control_filters_combine(demo_report, demo_result) -> None:
    statuses = Counter(f.status for f in demo_result.findings)
    assert statuses["waived"] > 0, "the demo waivers apply"
    demo_report.choose("status", "waived")
    assert demo_report.count() == statuses["waived"]
    demo_report.choose("status", "*")
    assert demo_report.count() == len(demo_result.findings)

    controls = {c.id: c for c in demo_result.controls}
    demo_report.choose("framework", "owasp-asi-top10-2026")
    asi = [f for f in demo_result.findings if "owasp-asi-top10-2026" in controls[f.control_id].frameworks]
    assert demo_report.count() == len(asi)
    demo_report.choose("provider", "azure")
    assert demo_report.count() == sum(1 for f in asi if f.resource.provider == "azure")

    demo_report.choose("framework", "")
    demo_report.choose("provider", "")
    demo_report.choose("control", "NHI-CRED-001")
    assert demo_report.count() == sum(1 for f in demo_result.findings if f.control_id == "NHI-CRED-001")


def test_a_benchmark_s_findings_are_its_own_provider_s_as_its_items_counts_are(demo_report, demo_result) -> None:
    """CIS AWS is judged on AWS resources only: filtered by it, the findings list holds no Azure or
    GCP resource (it held 42 Azure and GCP failures and 62 unknowns), and an item's control link
    lists what the item counts."""
    controls = {c.id: c for c in demo_result.controls}
    cis = "cis-aws-foundations"
    expected = [
        f for f in demo_result.findings if cis in controls[f.control_id].frameworks and f.resource.provider == "aws"
    ]
    demo_report.choose("status", "*")
    demo_report.choose("framework", cis)
    assert demo_report.count() == len(expected)
    assert set(demo_report.page.locator("#findings-table tbody tr td:nth-child(5)").all_text_contents()) <= {"aws"}
    framework = next(f for f in demo_result.frameworks if f.id == cis)
    item = next(i for i in framework.items if "NHI-CRED-002" in i.controls)
    demo_report.choose("framework", "")
    row = demo_report.page.locator("#coverage tr", has_text=item.title).first
    row.locator('button[data-control="NHI-CRED-002"]').click()
    listed = sum(1 for f in demo_result.findings if f.control_id == "NHI-CRED-002" and f.resource.provider == "aws")
    assert demo_report.count() == listed
    assert listed == sum(item.counts.get(k, 0) for k in ("fail", "waived", "unknown")) + (
        item.counts.get("pass", 0) if any(f.status == "pass" for f in demo_result.findings) else 0
    )


def test_free_text_search_matches_names_uids_and_messages(demo_report, demo_result) -> None:
    demo_report.page.fill('#finding-filters [data-filter="text"]', "terraform-runner")
    expected = [
        f
        for f in open_findings(demo_result)
        if "terraform-runner" in f"{f.resource.uid} {f.resource.name} {f.message}".lower()
    ]
    assert demo_report.count() == len(expected) > 0


def test_paging_and_sorting(demo_report, demo_result) -> None:
    total = len(open_findings(demo_result))
    demo_report.page.click("#findings-pager button:has-text('Next')")
    assert f"Showing 51\u2013{min(100, total)} of {total}" in demo_report.page.text_content("#findings-count")
    demo_report.page.click("#findings-table th:has-text('Control')")
    first_control = demo_report.page.locator("#findings-table tbody tr td:nth-child(3)").first.text_content()
    assert first_control == min(f.control_id for f in open_findings(demo_result))
    assert "Showing 1\u201350" in demo_report.page.text_content("#findings-count"), "sorting returns to page one"


def test_a_finding_opens_a_detail_view_with_rationale_remediation_and_evidence(demo_report, demo_result) -> None:
    demo_report.choose("control", "NHI-CRED-010")
    demo_report.page.locator("#findings-table tbody tr").first.click()
    detail = demo_report.page.locator("#detail")
    assert detail.is_visible()
    control = next(c for c in demo_result.controls if c.id == "NHI-CRED-010")
    finding = next(f for f in demo_result.findings if f.control_id == "NHI-CRED-010")
    text = detail.text_content()
    assert control.rationale in text and control.remediation in text
    assert finding.fingerprint in text
    for key in finding.evidence:
        assert key in text
    demo_report.page.click("#detail-close")
    assert not detail.is_visible()


def test_a_control_in_the_coverage_matrix_shows_its_findings(demo_report, demo_result) -> None:
    button = demo_report.page.locator("#coverage button[data-control='NHI-PRIV-001']").first
    framework = next(f for f in demo_result.frameworks if f.id == button.get_attribute("data-framework"))
    button.click()
    in_scope = [
        f for f in demo_result.findings if not framework.providers or f.resource.provider in framework.providers
    ]
    assert demo_report.count() == sum(1 for f in in_scope if f.control_id == "NHI-PRIV-001") > 0


def test_inventory_tables_list_identities_agents_and_log_sources(demo_report, demo_result) -> None:
    inventory = demo_result.inventory
    assert demo_report.count("identities") == len(inventory.identities)
    assert demo_report.count("agents") == len(inventory.agents)
    assert demo_report.count("logs") == len(inventory.log_sources)
    demo_report.page.fill('#identity-filters [data-filter="text"]', "terraform-runner")
    assert demo_report.count("identities") == 1
    demo_report.page.locator("#identities-table tbody tr").first.click()
    detail = demo_report.page.locator("#detail").text_content()
    assert "Credentials" in detail and "access_key" in detail and "admin" in detail
    demo_report.page.click("#detail-close")
    demo_report.page.fill('#agent-filters [data-filter="text"]', "devops-copilot")
    assert demo_report.count("agents") == 1
    row = demo_report.page.locator("#agents-table tbody tr").first.text_content()
    assert "bedrock-devops-copilot" in row, "the runtime identity is named"


def test_print_hides_the_controls_and_opens_every_framework(demo_report) -> None:
    page = demo_report.page
    page.emulate_media(media="print")
    assert page.locator("#finding-filters").is_hidden()
    assert page.locator("nav.sections").is_hidden()
    page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
    assert page.locator("details.framework:not([open])").count() == 0


def test_hostile_names_never_execute_and_stay_readable(browser, hostile_result, tmp_path) -> None:
    opened = open_report(browser, hostile_result, tmp_path)
    page = opened.page
    assert opened.dialogs == [], "no payload ran"
    assert opened.console == [] and opened.requests == [opened.url]
    assert page.locator("script").count() == 2, "only the data island and the report's own script"
    assert page.locator("img[src='x']").count() == 0
    opened.choose("status", "*")
    page.fill('#finding-filters [data-filter="text"]', "<script>alert(1)")
    assert opened.count() > 0
    assert SCRIPT_PAYLOAD in page.text_content("#findings-table"), "shown as text"
    page.fill('#identity-filters [data-filter="text"]', "invoice")
    assert "invoice⟦U+202E⟧gnp.exe" in page.text_content("#identities-table"), "the direction override is visible"
    page.fill('#identity-filters [data-filter="text"]', "llll")
    cell = page.locator("#identities-table tbody tr td").first.text_content()
    assert LONG_PAYLOAD[:40] in cell and len(cell) < 100
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 1400, "a 10,000-character name does not widen the page"
    page.locator("#identities-table tbody tr").first.click()
    assert page.locator("#detail").is_visible()
    assert opened.dialogs == []
    page.close()


def test_results_without_an_inventory_still_render(browser, demo_result, tmp_path) -> None:
    older = dataclasses.replace(demo_result, inventory=None, capabilities={}, schema_version="1.0")
    opened = open_report(browser, older, tmp_path)
    assert opened.console == []
    assert opened.count() == len(open_findings(demo_result))
    assert opened.count("identities") == 0
    opened.page.close()


def test_a_scan_without_failures_says_so_in_a_colour_that_can_be_read(
    browser: Browser, catalogs, tmp_path: Path
) -> None:
    """The heat map of a scan that failed nothing holds one line, 'No failing findings.'; it was
    drawn white on white, so the section looked blank."""
    from scanner.scan import ScanOptions, run_scan
    from scanner.sources import SourceSpec, collect

    empty = tmp_path / "repo"
    empty.mkdir()
    result = run_scan(collect(SourceSpec("manifests", str(empty))), catalogs, ScanOptions())
    opened = open_report(browser, result, tmp_path / "out")
    cell = opened.page.locator("table.heat td", has_text="No failing findings.")
    colour, background = cell.evaluate("c => [getComputedStyle(c).color, getComputedStyle(c).backgroundColor]")
    assert colour != background and colour != "rgb(255, 255, 255)", (colour, background)


def test_what_a_source_did_not_read_shows_as_unknown_never_as_its_default(browser, catalogs, tmp_path) -> None:
    """A trail whose delivery could not be read keeps enabled=True in the model beside its
    ``unknown``: the table says unknown, not a green "enabled", as results.json does."""
    account = "111111111111"
    inventory = make_inventory(
        {
            "accounts": [{"uid": account}],
            "identities": [{"uid": f"arn:aws:iam::{account}:user/svc", "owner": None, "unknown": ["owner", "created"]}],
            "credentials": [{"uid": "k1", "identity_uid": f"arn:aws:iam::{account}:user/svc", "unknown": ["active"]}],
            "agents": [{"uid": "a1", "name": "helper", "unknown": ["guardrail", "owner", "human_approval"]}],
            "log_sources": [
                {
                    "uid": "trail",
                    "name": "org-trail",
                    "enabled": True,
                    "covers": ["management_write"],
                    "retention_days": 400,
                    "unknown": ["enabled", "covers", "retention_days"],
                }
            ],
        }
    )
    opened = open_report(browser, run_scan(inventory, catalogs, ScanOptions()), tmp_path)
    page = opened.page
    assert opened.console == []

    row = page.locator("#logs-table tbody tr").first.text_content() or ""
    assert "enabled" not in row and "400" not in row and "management_write" not in row
    assert row.count("unknown") == 3
    page.locator("#logs-table tbody tr").first.click()
    detail = page.locator("#detail").text_content() or ""
    assert "Enabledunknown" in detail and "Coversunknown" in detail and "Retentionunknown" in detail
    page.click("#detail-close")

    page.locator("#identities-table tbody tr").first.click()
    detail = page.locator("#detail").text_content() or ""
    assert "Ownerunknown" in detail and "Ageunknown" in detail and "state unknown" in detail
    page.click("#detail-close")

    page.locator("#agents-table tbody tr").first.click()
    detail = page.locator("#detail").text_content() or ""
    assert "Ownerunknown" in detail and "Guardrailunknown" in detail and "Human approvalunknown" in detail
    page.close()


def test_a_grouped_report_gives_each_identity_its_failing_count_not_none(
    browser, demo_result, tmp_path, monkeypatch
) -> None:
    monkeypatch.setattr(html_report, "FULL_LIST_LIMIT", 10)
    opened = open_report(browser, demo_result, tmp_path)
    page = opened.page
    page.fill('#identity-filters [data-filter="text"]', "terraform-runner")
    failing = page.locator("#identities-table tbody tr").first.locator("td").nth(9).text_content()
    assert failing and int(failing) > 0
    page.locator("#identities-table tbody tr").first.click()
    detail = page.locator("#detail").text_content() or ""
    assert f"Failing findings{failing} (this report groups its findings" in detail
    page.close()


def test_a_list_the_source_did_not_read_is_unknown_or_incomplete_never_none(browser, catalogs, tmp_path) -> None:
    """An identity whose credentials and grants were not read shows "unknown", not "Credentials:
    none" and no capabilities; one whose listing was partial shows what was read, marked so; an
    agent whose tools were not read likewise. Records read whole read as before."""
    account = "111111111111"
    unread_holder, partial_holder, whole = (f"arn:aws:iam::{account}:user/{n}" for n in ("unread", "partial", "whole"))
    inventory = make_inventory(
        {
            "accounts": [{"uid": account}],
            "identities": [
                {"uid": unread_holder, "name": "unread", "unknown": ["credentials", "grants"]},
                {"uid": partial_holder, "name": "partial", "unknown": ["credentials"]},
                {"uid": whole, "name": "whole"},
                {
                    "uid": f"arn:aws:iam::{account}:role/elsewhere",
                    "name": "elsewhere",
                    "attributes": {HELD_BY_ANOTHER_SHARD: True},
                },
            ],
            "credentials": [{"uid": "k1", "identity_uid": partial_holder}],
            "agents": [
                {"uid": "a1", "name": "helper", "unknown": ["tools"]},
                {"uid": "a2", "name": "loose", "runs_as": None},  # none declared: it acts as whatever hosts it
            ],
        }
    )
    opened = open_report(browser, run_scan(inventory, catalogs, ScanOptions()), tmp_path)
    page = opened.page
    assert opened.console == []

    tables = {"identity": "identities-table", "agent": "agents-table"}

    def detail_of(table: str, name: str) -> str:
        page.fill(f'#{table}-filters [data-filter="text"]', name)
        page.locator(f"#{tables[table]} tbody tr").first.click()
        text = page.locator("#detail").text_content() or ""
        page.click("#detail-close")
        return text

    unread = detail_of("identity", "unread")
    assert "Credentialsunknown" in unread and "Capabilitiesunknown" in unread
    partial = detail_of("identity", "partial")
    assert "not read completely" in partial.split("Credentials", 1)[1].split("Capabilities", 1)[0]
    assert "Credentialsnone" in detail_of("identity", "whole")
    page.fill('#identity-filters [data-filter="text"]', "unread")
    cells = page.locator("#identities-table tbody tr").first.locator("td")
    assert cells.nth(7).text_content() == "unknown" and cells.nth(8).text_content() == "unknown"
    page.fill('#identity-filters [data-filter="text"]', "partial")
    assert page.locator("#identities-table tbody tr").first.locator("td").nth(7).text_content() == "1+"

    agent = detail_of("agent", "helper")
    assert "Toolsunknown" in agent and "Capabilitiesunknown" in agent
    assert "Capabilitiesunknown" in detail_of("identity", "elsewhere")  # a stand-in: its grants here only
    assert "Capabilitiesunknown" in detail_of("agent", "loose")
    page.close()
