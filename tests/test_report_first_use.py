"""The reports as a first reader meets them: the PDF's first page says what to do, the cover is
honest about a baseline and an empty scan, Letter paper has no stranded heat map; the HTML report
works from the keyboard and on a phone, and never ends in a dead end."""

from __future__ import annotations

import base64
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from scanner.model import Inventory, ScanResult, TrendPoint
from scanner.reports import charts
from scanner.reports.view import top_risks
from scanner.scan import ScanOptions, run_scan

from .conftest import REPO_ROOT
from .test_html_report import OpenedReport, browser, open_report  # noqa: F401  (browser is a fixture)
from .test_pdf_report import flat, pdf_pages, render_pdf


def page_image(pdf: Path, page: int, directory: Path) -> Path:
    """The page rendered to PNG, as a reader sees it (pdftoppm)."""
    prefix = directory / f"page{page}"
    pages = ["-f", str(page), "-l", str(page)]
    subprocess.run(["pdftoppm", "-r", "40", *pages, "-png", "-singlefile", str(pdf), str(prefix)], check=True)
    return prefix.with_suffix(".png")


def test_the_first_page_lists_the_three_actions_that_remove_the_most_risk_with_owners(
    demo_result: ScanResult, tmp_path: Path
) -> None:
    cover = flat(pdf_pages(render_pdf(demo_result, tmp_path))[0])
    assert "Do these first" in cover
    first_three = top_risks(demo_result, 3)
    positions = [cover.index(risk.control.id) for risk in first_three]
    assert positions == sorted(positions), "in the order of the top risks"
    assert cover.count("Owners:") == 3
    owner = first_three[0].owners[0][0]
    assert owner in "".join(cover.split()), "owners are named (a long address may wrap)"
    assert cover.index("Do these first") > cover.index("/ 100"), "under the score"


def test_with_a_baseline_the_cover_counts_only_new_failures(demo_result: ScanResult, tmp_path: Path) -> None:
    baseline = tmp_path / "base.json"
    from scanner.reports import write_reports

    write_reports(demo_result, ["json"], tmp_path)
    (tmp_path / "results.json").rename(baseline)
    waivers = REPO_ROOT / "docs" / "examples" / "waivers.yaml"  # the baseline's, still in force
    options = ScanOptions(baseline=baseline, waivers=waivers)
    rescanned = run_scan(demo_result_inventory(demo_result), catalogs_of(), options)
    cover = flat(pdf_pages(render_pdf(rescanned, tmp_path / "pdf"))[0])
    assert "No new failures at or above high severity since the baseline" in cover
    assert "known failures remain" in cover
    assert "No unwaived failures" not in cover


def test_an_empty_scan_has_no_grade_on_the_cover(catalogs, tmp_path: Path) -> None:
    empty = run_scan(Inventory(collected_at=datetime(2026, 11, 1, tzinfo=UTC)), catalogs, ScanOptions())
    cover = flat(pdf_pages(render_pdf(empty, tmp_path))[0])
    assert "Nothing was assessed" in cover and "n/a / 100" in cover
    assert "100.0" not in cover


def test_on_letter_paper_the_cover_fits_one_page_and_the_heat_map_shares_its_page(
    demo_result: ScanResult, tmp_path: Path
) -> None:
    pdf = render_pdf(demo_result, tmp_path, paper="letter")
    pages = [flat(page) for page in pdf_pages(pdf)]
    assert "Scope" in pages[0] and "Sources" in pages[0], "the whole cover on page 1"
    heat = next(page for page in pages if "Where the failures are" in page)
    assert "Top 10 risks" in heat, "the heat map does not sit alone on a page"
    assert all(len(page) > 400 for page in pages[:-1]), "no mostly blank page before the last"
    assert page_image(pdf, 1, tmp_path).stat().st_size > 10_000


def test_the_appendix_header_never_breaks_a_word(demo_result: ScanResult, tmp_path: Path) -> None:
    pages = pdf_pages(render_pdf(demo_result, tmp_path))
    appendix = next(page for page in pages if "Appendix: controls" in page)
    header = next(line for line in appendix.splitlines() if "Control" in line and "Frameworks" in line)
    assert "Severity" in header and "Unknown" in header


def test_charts_have_titles_and_trend_labels_carry_date_and_time() -> None:
    finished = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    points = [TrendPoint(f"s{n}", finished + timedelta(hours=n), 70.0 + n, 10, {"high": 10}) for n in range(3)]
    for render, title in (
        (charts.score_trend, "Posture score per scan"),
        (charts.severity_trend, "Failing findings by severity per scan"),
        (charts.framework_trend, "Score per framework per scan"),
    ):
        svg = base64.b64decode(render(points).split(",", 1)[1]).decode()
        assert title in svg and "2026-12-01 09:30" in svg and "2026-12-01 11:30" in svg
    bars = base64.b64decode(charts.severity_bars({"critical": 17, "high": 124}).split(",", 1)[1]).decode()
    assert "Critical (17)" in bars and "High (124)" in bars, "values in the labels, not over the bars"


# ---------------------------------------------------------------------------------------------- HTML


@pytest.fixture
def report(browser: Browser, demo_result: ScanResult, tmp_path: Path) -> Iterator[OpenedReport]:  # noqa: F811
    opened = open_report(browser, demo_result, tmp_path)
    yield opened
    opened.page.close()


def test_enter_on_a_row_opens_its_detail_which_stays_open_and_focus_returns(report: OpenedReport) -> None:
    page = report.page
    row = page.locator("#findings-table tbody tr").first
    row.focus()
    page.keyboard.press("Enter")
    page.wait_for_timeout(300)
    assert page.evaluate("document.getElementById('detail').open"), "Enter opened it and did not close it again"
    assert page.evaluate("document.getElementById('detail').contains(document.activeElement)"), "focus moved in"
    page.keyboard.press("Escape")
    assert not page.evaluate("document.getElementById('detail').open")
    assert page.evaluate("document.activeElement.closest('#findings-table') !== null"), "focus came back to the row"


def test_the_pass_filter_explains_how_to_list_passed_results(report: OpenedReport) -> None:
    report.choose("status", "pass")
    assert "--include-passed" in report.page.inner_text("#findings-count")


def test_identity_details_list_their_failing_findings_with_links(report: OpenedReport) -> None:
    page = report.page
    page.locator("#identities-table tbody tr").first.click()  # sorted by failing findings, most first
    links = page.locator("#detail .finding-links button")
    assert links.count() > 0
    control = links.first.inner_text().split(" ", 1)[0]
    links.first.click()
    assert page.inner_text("#detail-title").startswith(control)


@pytest.mark.parametrize("width", [375, 768])
def test_the_page_never_grows_wider_than_a_small_screen(
    browser: Browser,  # noqa: F811
    demo_result: ScanResult,
    tmp_path: Path,
    width: int,
) -> None:
    opened = open_report(browser, demo_result, tmp_path)
    page = opened.page
    page.set_viewport_size({"width": width, "height": 800})
    page.wait_for_timeout(200)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.screenshot(path=str(tmp_path / f"report-{width}.png"))
    opened.page.close()


def test_names_get_room_at_1440_pixels(browser: Browser, demo_result: ScanResult, tmp_path: Path) -> None:  # noqa: F811
    opened = open_report(browser, demo_result, tmp_path)
    page = opened.page
    page.set_viewport_size({"width": 1440, "height": 900})
    width = page.evaluate("document.querySelector('#identities-table tbody td').getBoundingClientRect().width")
    assert width >= 200
    opened.page.close()


def demo_result_inventory(result: ScanResult) -> Inventory:
    from scanner.sources import SourceSpec, collect

    return collect(SourceSpec("demo"))


def catalogs_of():
    from scanner.scan import load_catalogs

    return load_catalogs()


def test_what_could_not_be_assessed_puts_the_most_severe_first_and_names_what_it_leaves_out(catalogs) -> None:
    """The shared third-party AWS exports leave 21 controls with unknown results, critical ones among
    them. The list the HTML report and the PDF show puts critical controls first, and every control
    left out of it is counted in a line of its own, never cut off silently."""
    from scanner.reports.view import LISTED_PER_AREA, coverage_gaps
    from scanner.sources import SourceSpec, collect

    from .conftest import SHARED

    result = run_scan(collect(SourceSpec("file", str(SHARED / "realworld" / "aws"))), catalogs, ScanOptions())
    with_unknowns = [c for c in result.controls if c.counts["unknown"]]
    assert len(with_unknowns) > LISTED_PER_AREA
    gaps = coverage_gaps(result, limit=50)
    listed = [g for g in gaps if g.area == "control"]
    assert listed[0].detail.startswith("critical:")
    assert (
        len(listed) == LISTED_PER_AREA + 1
        and listed[-1].subject == f"{len(with_unknowns) - LISTED_PER_AREA} more controls"
    )
    shown = sum(int(g.detail.split("unknown for ")[1].split(":")[0]) for g in listed)
    assert shown == sum(c.counts["unknown"] for c in with_unknowns)
    short = coverage_gaps(result, limit=8)
    assert len(short) == 8 and short[-1].area == "more" and short[-1].subject == f"{len(gaps) - 7} more gaps"
