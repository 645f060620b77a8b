"""Report benchmark: HTML and PDF render time and size at a given number of findings, and how fast
the HTML opens and filters in headless Chromium.

A synthetic inventory is grown until the scan has at least the requested number of findings (the
scan itself is not timed). Then report.html and report.pdf are each rendered three times and the
best time is kept; the HTML is opened in Chromium, which reports time to a ready page and the time
a severity filter takes to redraw.

    python benchmarks/bench_reports.py                 # 1,000 and 50,000 findings
    python benchmarks/bench_reports.py 200000
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
# About 8.7 findings per synthetic identity; the loop below corrects the first guess.
FINDINGS_PER_IDENTITY = 8.7


def result_with_findings(findings: int):  # type: ignore[no-untyped-def]
    sys.path.insert(0, str(HERE))
    from synthetic import build

    from scanner.scan import ScanOptions, load_catalogs, run_scan

    catalogs = load_catalogs()
    identities = max(20, int(findings / FINDINGS_PER_IDENTITY))
    for _ in range(6):
        result = run_scan(build(identities), catalogs, ScanOptions())
        if findings <= len(result.findings) <= findings * 1.1:
            break
        identities = max(20, int(identities * findings / max(1, len(result.findings)) * 1.03))
    return result


def best_of(runs: int, action) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return min(times)


def browser_timings(report: Path) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium")
    if chromium is None:
        return {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
        )
        page = browser.new_page()
        started = time.perf_counter()
        page.goto(report.as_uri())
        page.wait_for_selector("#findings-count[data-total]")
        loaded = time.perf_counter() - started
        started = time.perf_counter()
        page.select_option('#finding-filters [data-filter="severity"]', "high")
        page.wait_for_function("document.querySelector('#findings-count').textContent.length > 0")
        filtered = time.perf_counter() - started
        rows = page.locator("#findings-table tbody tr").count()
        browser.close()
    return {"chromium_ready_seconds": round(loaded, 2), "filter_seconds": round(filtered, 3), "rows_in_dom": rows}


def measure(findings: int) -> dict[str, object]:
    from scanner.reports import ReportSettings, write_reports

    result = result_with_findings(findings)
    with tempfile.TemporaryDirectory() as directory:
        out = Path(directory)
        html = best_of(3, lambda: write_reports(result, ["html"], out))
        pdf = best_of(3, lambda: write_reports(result, ["pdf"], out, ReportSettings()))
        figures: dict[str, object] = {
            "findings": len(result.findings),
            "identities": len(result.inventory.identities) if result.inventory else 0,
            "html_seconds": round(html, 2),
            "html_mb": round((out / "report.html").stat().st_size / 1e6, 1),
            "pdf_seconds": round(pdf, 2),
            "pdf_kb": round((out / "report.pdf").stat().st_size / 1e3),
        }
        figures.update(browser_timings(out / "report.html"))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("findings", nargs="*", type=int, default=[1000, 50000])
    for size in parser.parse_args().findings:
        print(json.dumps(measure(size)), flush=True)


if __name__ == "__main__":
    main()
