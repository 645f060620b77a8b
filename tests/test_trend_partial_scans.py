"""A scan that read a source partly or not at all has fewer failures because it saw less: its point
on the trend is marked, in results.json, on the HTML report's and the PDF's charts and tables, and
when a stored scan is reported again, so a drop on the chart is never read as risks fixed."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from urllib.parse import unquote

from scanner.reports import ReportSettings
from scanner.reports.pdf_report import executive_html
from scanner.results_io import load_results

SERVERS = {
    "servers": {
        "github": {
            "command": "npx",
            "args": ["-y", "@modelcontextprotocol/server-github"],
            "env": {"GITHUB_PERSONAL_ACCESS_TOKEN": "ghp_" + "Q7r2Lm9XcV4bN8kP1sT6wY3zA5dF0gH2jK4m"},
        },
        "shell": {"command": "npx", "args": ["-y", "mcp-shell"]},
    }
}
PARTIAL_NOTE = "A scan marked “partial” read one or more sources partly or not at all"


def _scan(cli, repository: Path, out: Path, db: str, *extra: str) -> dict:
    outcome = cli("scan", f"manifests:{repository}", "--output-dir", str(out), "--db", db, "-q",
                  "--fail-on", "none", "--format", "json,html", *extra)  # fmt: skip
    assert outcome.exit_code == 0, outcome.output
    return json.loads((out / "results.json").read_text())


def _chart_labels(html: str) -> str:
    """The text of every chart in ``html`` (SVG data URIs, base64 or percent-encoded)."""
    texts = []
    for uri in html.split('src="data:image/svg+xml')[1:]:
        payload = uri.split('"', 1)[0]
        if payload.startswith(";base64,"):
            texts.append(base64.b64decode(payload.removeprefix(";base64,")).decode("utf-8"))
        else:
            texts.append(unquote(payload.split(",", 1)[1]))
    assert texts, "no chart in the report"
    return "\n".join(texts)


def test_a_scan_that_read_a_source_partly_is_marked_on_its_trend(cli, tmp_path: Path) -> None:
    repository = tmp_path / "repo"
    (repository / "team").mkdir(parents=True)
    (repository / "team" / "mcp.json").write_text(json.dumps(SERVERS))
    clock = {"servers": {"time": {"command": "uvx", "args": ["mcp-server-time"]}}}
    (repository / "mcp.json").write_text(json.dumps(clock))
    db = f"sqlite:///{tmp_path / 'history.db'}"

    complete = _scan(cli, repository, tmp_path / "first", db)
    (repository / "team" / "mcp.json").write_text('{"servers": {"github": ')  # the team's file is cut short
    partial = _scan(cli, repository, tmp_path / "second", db, "--allow-partial")

    first, second = partial["trend"]
    assert first["scan_id"] == complete["scan"]["id"] and first["incomplete_sources"] == 0
    assert second["scan_id"] == partial["scan"]["id"] and second["incomplete_sources"] == 1
    assert second["failing"] < first["failing"], "the partial read sees fewer failures"

    report = (tmp_path / "second" / "report.html").read_text()
    assert PARTIAL_NOTE in report
    assert "partial: 1 source not read whole" in report
    labels = _chart_labels(report)
    assert labels.count("(partial)") >= 3, "each of the three trend charts marks the partial scan"

    result = load_results(tmp_path / "second" / "results.json")
    assert [p.incomplete_sources for p in result.trend] == [0, 1]
    executive = executive_html(result, ReportSettings())
    assert PARTIAL_NOTE in executive and "partial: 1 source not read whole" in executive

    again = cli("report", partial["scan"]["id"], "--db", db, "--format", "html", "-o", str(tmp_path / "again"))
    assert again.exit_code == 0, again.output
    assert "partial: 1 source not read whole" in (tmp_path / "again" / "report.html").read_text()


def test_a_trend_of_complete_scans_carries_no_mark(cli, tmp_path: Path) -> None:
    repository = tmp_path / "repo"
    repository.mkdir()
    (repository / "mcp.json").write_text(json.dumps(SERVERS))
    db = f"sqlite:///{tmp_path / 'history.db'}"
    _scan(cli, repository, tmp_path / "first", db)
    second = _scan(cli, repository, tmp_path / "second", db)
    assert [p["incomplete_sources"] for p in second["trend"]] == [0, 0]
    report = (tmp_path / "second" / "report.html").read_text()
    assert PARTIAL_NOTE not in report and "(partial)" not in _chart_labels(report)
