"""Report files: results.json read back for re-rendering, the report command, the static safety of
report.html, and writes that lose nothing."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pytest

from scanner.errors import ReportError
from scanner.fsutil import write_atomic
from scanner.loading import schema_errors
from scanner.model import ScanResult
from scanner.reports import ReportSettings, write_reports
from scanner.reports.json_results import render as render_json
from scanner.reports.pdf_report import executive_html
from scanner.results_io import load_results

from .conftest import BREAKOUT_PAYLOAD, HOSTILE_NAMES, LONG_PAYLOAD


@pytest.fixture
def demo_results_file(demo_result: ScanResult, tmp_path: Path) -> Path:
    write_reports(demo_result, ["json"], tmp_path)
    return tmp_path / "results.json"


def test_results_json_reads_back_into_the_same_result(demo_results_file: Path) -> None:
    loaded = load_results(demo_results_file)
    assert render_json(loaded) == demo_results_file.read_text(encoding="utf-8")


def test_results_json_is_valid_and_keeps_hostile_names_verbatim(hostile_result, tmp_path: Path) -> None:
    write_reports(hostile_result, ["json"], tmp_path)
    data = json.loads((tmp_path / "results.json").read_text())
    assert schema_errors(data, "results") is None
    assert schema_errors(data["inventory"], "inventory") is None
    assert {i["name"] for i in data["inventory"]["identities"]} == set(HOSTILE_NAMES)


def test_the_report_command_re_renders_an_earlier_scan(cli, demo_results_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "again"
    result = cli("report", str(demo_results_file), "--format", "html,pdf", "-o", str(out), "--paper", "letter")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["report.html", "report.pdf"]
    assert (out / "report.pdf").read_bytes().startswith(b"%PDF-")


def test_results_from_schema_1_0_still_render(cli, demo_results_file: Path, tmp_path: Path) -> None:
    data = json.loads(demo_results_file.read_text())
    for key in ("inventory", "capabilities", "trend"):
        data.pop(key)
    data["schema_version"] = "1.0"
    older = tmp_path / "old.json"
    older.write_text(json.dumps(data))
    result = cli("report", str(older), "-o", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output


def test_results_before_1_3_do_not_claim_every_item_assessed(cli, demo_results_file: Path, tmp_path: Path) -> None:
    """Before schema 1.3 a framework listed only the items some control decides, with no coverage
    and a severity-weighted score: re-rendered, such a list read "assessed 5 of 5 items" for a
    framework of many more, under a score called the share of items that pass."""
    data = json.loads(demo_results_file.read_text())
    data["schema_version"] = "1.2"
    for framework in data["frameworks"]:
        framework["items"] = [item for item in framework["items"] if item["controls"]]
        for key in ("item_count", "assessed", "coverage", "score_definition", "in_scope", "providers"):
            framework.pop(key, None)
    older = tmp_path / "old.json"
    older.write_text(json.dumps(data))
    out = tmp_path / "out"
    result = cli("report", str(older), "--format", "html", "-o", str(out))
    assert result.exit_code == 0, result.output
    listed = len(data["frameworks"][0]["items"])
    loaded = load_results(older)
    pages = {"report.html": (out / "report.html").read_text(), "executive": executive_html(loaded, ReportSettings())}
    for name, page in pages.items():
        text = unescape(page)
        assert f"{listed} of {listed} items" not in text, name
        assert "results before schema 1.3 do not list the items no control decides" in text, name


def _edit(path: Path, change) -> Path:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))
    return path


@pytest.mark.parametrize(
    ("make_bad", "message"),
    [
        (lambda p: p.with_name("missing.json"), "missing.json: no such file"),
        (lambda p: p.write_text(p.read_text()[:5000]) and p, "invalid JSON"),
        (lambda p: p.write_text('{"schema_version": "1.0", "collected_at": "x"}') and p, "not an nhiscan results file"),
        (lambda p: _edit(p, lambda d: d.update(schema_version="2.0")), "results schema_version 2.0 is not supported"),
        (lambda p: _edit(p, lambda d: d["findings"][0].update(status="bad")), "$.findings[0].status"),
        (
            lambda p: _edit(p, lambda d: d["inventory"]["identities"][3].pop("uid")),
            "$.inventory.identities[3]",
        ),
    ],
    ids=["missing", "truncated", "inventory-not-results", "future-major", "bad-status", "bad-inventory-record"],
)
def test_a_bad_results_file_is_one_line_and_exit_2(cli, demo_results_file: Path, tmp_path, make_bad, message) -> None:
    path = make_bad(demo_results_file)
    result = cli("report", str(path), "-o", str(tmp_path / "out"))
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.output
    assert not (tmp_path / "out").exists()


def test_a_report_that_fails_loses_nothing_else(cli, monkeypatch, tmp_path: Path) -> None:
    def broken(result, settings):
        raise ReportError("PDF output needs WeasyPrint and its system libraries (libpango missing)")

    monkeypatch.setattr(
        "scanner.reports.pdf_report.REPORTER",
        type("R", (), {"format": "pdf", "filename": "report.pdf", "render": staticmethod(broken)})(),
    )
    out = tmp_path / "out"
    result = cli("scan", "demo", "--format", "pdf,html,json", "--output-dir", str(out), "-q")
    assert result.exit_code == 2
    assert "report.pdf: PDF output needs WeasyPrint" in result.output
    assert sorted(p.name for p in out.iterdir()) == ["inventory.json", "report.html", "results.json"]


def test_results_json_records_every_phase_and_the_history_keeps_the_same_text(cli, tmp_path: Path) -> None:
    from scanner.history.store import HistoryStore, _unpack, scans

    database = f"sqlite:///{tmp_path / 'h.db'}"
    out = tmp_path / "out"
    assert cli("scan", "demo", "--format", "json,pdf", "-o", str(out), "--db", database, "-q").exit_code == 1
    written = (out / "results.json").read_text()
    timings = json.loads(written)["scan"]["timings"]
    assert set(timings) == {"collect", "evaluate", "write"} and all(value >= 0 for value in timings.values())
    with HistoryStore(database).engine.connect() as connection:
        stored = connection.execute(scans.select()).one().results
    text, intact = _unpack(stored)
    assert intact and text.decode() == written


def test_the_pdf_renders_in_this_process_when_no_worker_can_start(cli, monkeypatch, tmp_path: Path) -> None:
    from multiprocessing.context import SpawnProcess

    def refused(*args, **kwargs):
        raise OSError("process creation refused")

    monkeypatch.setattr(SpawnProcess, "start", refused)
    out = tmp_path / "out"
    assert cli("scan", "demo", "--format", "pdf", "-o", str(out), "-q").exit_code == 1
    assert (out / "report.pdf").read_bytes().startswith(b"%PDF-")


def test_a_pdf_that_fails_in_the_worker_is_named_and_the_rest_is_written(cli, monkeypatch, tmp_path: Path) -> None:
    """The worker is a fresh process: where WeasyPrint cannot load its libraries there (the OSError
    it raises without Pango), the PDF's failure comes back as one line and the rest is written."""
    import sys

    shadow = tmp_path / "shadow" / "weasyprint"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise OSError(\"cannot load library 'libpango-1.0-0'\")\n")
    monkeypatch.setattr(sys, "path", [str(shadow.parent), *sys.path])
    out = tmp_path / "out"
    result = cli("scan", "demo", "--format", "pdf,html,json", "-o", str(out), "-q")
    assert result.exit_code == 2
    assert "report.pdf: PDF output needs WeasyPrint and its system libraries (cannot load library" in result.output
    assert sorted(p.name for p in out.iterdir()) == ["inventory.json", "report.html", "results.json"]


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.scripts: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href", "action", "srcset", "data", "poster") and value is not None:
                self.urls.append(value)
        if tag == "script":
            self.scripts.append(dict(attrs))


def _sha256(text: str) -> str:
    return base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


def test_the_html_is_self_contained_and_its_policy_admits_only_its_own_code(hostile_result, tmp_path) -> None:
    write_reports(hostile_result, ["html"], tmp_path)
    html = (tmp_path / "report.html").read_text()
    parser = _Elements()
    parser.feed(html)
    assert all(url.startswith(("data:image/svg+xml;base64,", "#")) for url in parser.urls), parser.urls
    assert parser.scripts == [{"type": "application/json", "id": "nhiscan-data"}, {}]
    assert html.count("</script>") == 2, "no name closes the data island early"
    assert BREAKOUT_PAYLOAD not in html and LONG_PAYLOAD in html.replace("\\u003c", "<")
    policy = unescape(re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html).group(1))
    script = re.search(r"<script>(.*?)</script>", html, re.S).group(1)
    style = re.search(r"<style>(.*?)</style>", html, re.S).group(1)
    assert policy.startswith("default-src 'none'; ")
    assert f"script-src 'sha256-{_sha256(script)}'" in policy
    assert f"style-src 'sha256-{_sha256(style)}'" in policy
    assert "unsafe-inline" not in policy


def test_atomic_writes_replace_whole_files_and_leave_no_temporaries(tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    write_atomic(target, "old")
    write_atomic(target, "new")
    assert target.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_an_interrupted_write_keeps_the_previous_file(tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "results.json"
    write_atomic(target, "previous")

    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("scanner.fsutil.os.replace", fail)
    with pytest.raises(OSError):
        write_atomic(target, "half")
    assert target.read_text() == "previous"
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"]


def test_written_files_follow_the_umask_like_any_other_file(tmp_path: Path) -> None:
    import os

    previous = os.umask(0o022)
    try:
        write_atomic(tmp_path / "report.html", "x")
    finally:
        os.umask(previous)
    assert (tmp_path / "report.html").stat().st_mode & 0o777 == 0o644


def test_on_one_core_the_pdf_renders_in_this_process(cli, monkeypatch, tmp_path: Path) -> None:
    from multiprocessing.context import SpawnProcess

    import scanner.reports.pdf_worker as pdf_worker

    def never(*args, **kwargs):
        raise AssertionError("no worker on one core")

    monkeypatch.setattr(pdf_worker, "_usable_cores", lambda: 1)
    monkeypatch.setattr(SpawnProcess, "start", never)
    out = tmp_path / "out"
    assert cli("scan", "demo", "--format", "pdf", "-o", str(out), "-q").exit_code == 1
    assert (out / "report.pdf").read_bytes().startswith(b"%PDF-")
