"""report.pdf read back with poppler: the executive content, on every page, at a size that does not
grow with the estate, and a renderer that fetches nothing."""

from __future__ import annotations

import dataclasses
import subprocess
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from scanner.frameworks import grade
from scanner.model import ScanResult, TrendPoint
from scanner.reports import ReportSettings, write_reports
from scanner.reports.pdf_report import inline_only_fetcher
from scanner.reports.view import top_risks
from scanner.scan import ScanOptions, run_scan

from .conftest import IMG_PAYLOAD, RTL_PAYLOAD, SCRIPT_PAYLOAD


def pdf_pages(path: Path) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return text.split("\f")[:-1]


def pdf_info(path: Path) -> dict[str, str]:
    output = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return {key.strip(): value.strip() for key, _, value in (line.partition(":") for line in output.splitlines())}


def render_pdf(result: ScanResult, directory: Path, paper: str = "a4") -> Path:
    write_reports(result, ["pdf"], directory, ReportSettings(paper=paper))
    return directory / "report.pdf"


@pytest.fixture(scope="module")
def demo_pdf(demo_result: ScanResult, tmp_path_factory) -> Path:
    return render_pdf(demo_result, tmp_path_factory.mktemp("pdf"))


def flat(text: str) -> str:
    return " ".join(text.split())


def test_the_cover_shows_score_grade_and_scope(demo_pdf: Path, demo_result: ScanResult) -> None:
    cover = flat(pdf_pages(demo_pdf)[0])
    assert f"{demo_result.score:.1f}" in cover
    assert grade(demo_result.score) in cover
    assert "Non-human identity & AI agent posture" in cover
    assert "AWS 2" in cover and "GCP 2" in cover
    assert f"{demo_result.gate['blocking_findings']} unwaived failures at or above high" in cover


def test_every_page_carries_its_number_the_scan_id_and_time(demo_pdf: Path, demo_result: ScanResult) -> None:
    pages = pdf_pages(demo_pdf)
    assert int(pdf_info(demo_pdf)["Pages"]) == len(pages) > 4
    for number, text in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in text
        assert demo_result.scan.id in text
        assert demo_result.scan.finished.strftime("%Y-%m-%d") in text


def test_the_top_ten_risks_name_owners_and_remediation(demo_pdf: Path, demo_result: ScanResult) -> None:
    text = flat(" ".join(pdf_pages(demo_pdf)))
    risks = top_risks(demo_result, 10)
    assert len(risks) == 10
    assert "Top 10 risks" in text
    for risk in risks:
        assert risk.control.id in text
        assert flat(risk.control.remediation)[:60] in text
    assert "Owners:" in text and "platform-team@acme.example" in text


def test_framework_posture_heat_map_ages_agents_gaps_and_appendix(demo_pdf: Path, demo_result: ScanResult) -> None:
    text = flat(" ".join(pdf_pages(demo_pdf)))
    for framework in demo_result.frameworks:
        assert framework.id in text
    for section in (
        "Posture by framework",
        "Where the failures are",
        "Credential age",
        "Agents at risk",
        "What could not be assessed",
        "Appendix: controls and framework mappings",
    ):
        assert section in text
    assert "not assessable from configuration" in text
    assert "devops-copilot" in text
    for control in demo_result.controls:
        assert control.id in text


def test_a4_and_letter(demo_result: ScanResult, tmp_path: Path) -> None:
    assert pdf_info(render_pdf(demo_result, tmp_path / "a4"))["Page size"].endswith("(A4)")
    assert pdf_info(render_pdf(demo_result, tmp_path / "letter", "letter"))["Page size"].endswith("(letter)")


def test_the_trend_appears_once_history_exists(demo_result: ScanResult, tmp_path: Path) -> None:
    assert "no trend yet" in flat(" ".join(pdf_pages(render_pdf(demo_result, tmp_path / "none"))))
    finished = demo_result.scan.finished
    trend = [TrendPoint(f"scan-{n}", finished - timedelta(days=7 * (3 - n)), 60.0 + 5 * n, 10) for n in range(3)]
    with_history = dataclasses.replace(demo_result, trend=trend)
    text = flat(" ".join(pdf_pages(render_pdf(with_history, tmp_path / "trend"))))
    assert "Posture score over the last 3 scans" in text


def test_the_length_does_not_grow_with_the_estate(demo_pdf: Path, catalogs, tmp_path: Path) -> None:
    from benchmarks.synthetic import build

    large = run_scan(build(3000), catalogs, ScanOptions())
    assert len(large.findings) > 5000
    pages = int(pdf_info(render_pdf(large, tmp_path))["Pages"])
    assert pages <= int(pdf_info(demo_pdf)["Pages"]) + 2


def test_hostile_names_print_as_text(hostile_result: ScanResult, tmp_path: Path) -> None:
    text = flat(" ".join(pdf_pages(render_pdf(hostile_result, tmp_path))))
    assert SCRIPT_PAYLOAD in text and IMG_PAYLOAD in text, "markup is printed, not interpreted"
    assert "invoice⟦U+202E⟧gnp.exe" in text and RTL_PAYLOAD not in text, "the direction override is made visible"
    assert "L" * 49 + "…" in text and "L" * 51 not in text, "a 10,000-character owner is shortened"


def test_page_images_are_not_blank(demo_pdf: Path, tmp_path: Path) -> None:
    from PIL import Image, ImageStat

    subprocess.run(
        ["pdftoppm", "-r", "40", "-png", "-f", "1", "-l", "3", str(demo_pdf), str(tmp_path / "p")], check=True
    )
    images = sorted(tmp_path.glob("p-*.png"))
    assert len(images) == 3
    for image in images:
        assert ImageStat.Stat(Image.open(image).convert("L")).stddev[0] > 10


class _CountingHandler(BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:
        _CountingHandler.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_the_pdf_renderer_fetches_nothing_that_is_not_inlined(tmp_path: Path) -> None:
    import weasyprint

    server = ThreadingHTTPServer(("127.0.0.1", 0), _CountingHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        fetcher = inline_only_fetcher()
        html = f'<img src="{url}/img.png"><link rel="stylesheet" href="{url}/x.css"><img src="file:///etc/passwd">'
        weasyprint.HTML(string=html, url_fetcher=fetcher).write_pdf(tmp_path / "x.pdf")
    finally:
        server.shutdown()
    assert _CountingHandler.hits == []
    assert sorted(fetcher.refused) == sorted([f"{url}/img.png", f"{url}/x.css", "file:///etc/passwd"])


def test_the_appendix_shows_waived_failures_and_the_waivers_that_need_attention(
    demo_pdf: Path, demo_result: ScanResult
) -> None:
    """A control whose failures are all waived reads 'waived N', not '0 0 0' like a control with
    nothing in scope; the expired waiver and the one matching nothing are listed, as the HTML does."""
    text = flat(" ".join(pdf_pages(demo_pdf)))
    assert "Fail Waived Pass Unknown" in text
    waived = [c for c in demo_result.controls if c.counts["waived"]]
    assert waived
    for control in waived:
        counts = control.counts
        row = f"{control.severity} {counts['fail']} {counts['waived']} {counts['pass']} {counts['unknown']}"
        assert row in text, (control.id, row)
    report = demo_result.waivers
    assert report.expired and report.unmatched
    assert f"{len(report.expired)} expired; {len(report.unmatched)} matching nothing" in text
    for waiver in report.expired + report.unmatched:
        assert waiver.control in text and waiver.expires in text


def test_the_cover_says_which_sources_failed_and_which_were_read_partly_and_never_calls_a_failed_one_read(
    demo_result: ScanResult,
) -> None:
    """A failed source was not read: the cover counts sources asked for, read completely, read
    partly and failed; the Markdown summary names a source's first error, and none where it gave none."""
    from scanner.model import SourceError, SourceStatus
    from scanner.reports import markdown, pdf_report

    sources = [
        SourceStatus("aws", "111111111111"),
        SourceStatus("aws", "222222222222", "partial", [SourceError("iam:ListUsers", "AccessDenied")] * 3),
        SourceStatus("gcp", "proj-1", "failed"),
    ]
    result = dataclasses.replace(demo_result, scan=dataclasses.replace(demo_result.scan, sources=sources))
    cover = flat(pdf_report.executive_html(result, ReportSettings()))
    assert '3 asked for, 1 read completely: <strong class="bad">1 read partly, 1 failed</strong>' in cover
    assert "3 read" not in cover

    summary = markdown.render(result, ReportSettings(formats=("md",)))
    assert "- aws 222222222222: partial (iam:ListUsers: AccessDenied; 2 more)" in summary
    assert "- gcp proj\\-1: failed\n" in summary or "- gcp proj-1: failed\n" in summary
    assert "refused" not in summary

    complete = dataclasses.replace(demo_result, scan=dataclasses.replace(demo_result.scan, sources=sources[:1]))
    assert "1 read, all completely" in flat(pdf_report.executive_html(complete, ReportSettings()))
