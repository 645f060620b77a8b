"""results.json and the plain report.html: schema-valid, escaped, and written atomically."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scanner.fsutil import write_atomic
from scanner.loading import schema_errors
from scanner.reports import write_reports
from scanner.scan import ScanOptions, run_scan

from .conftest import make_inventory

HOSTILE_NAMES = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "invoice\u202egnp.exe",
    "x" * 10_000,
]


@pytest.fixture
def hostile_result(catalogs):
    inventory = make_inventory(
        {
            "identities": [
                {"uid": f"arn:aws:iam::111111111111:user/u{i}", "name": name, "kind": "role"}
                for i, name in enumerate(HOSTILE_NAMES)
            ],
            "agents": [{"uid": "agent-1", "name": "<script>alert('agent')</script>", "owner": "<b>x</b>"}],
        }
    )
    return run_scan(inventory, catalogs, ScanOptions())


def test_hostile_names_are_escaped_in_html(hostile_result, tmp_path: Path) -> None:
    write_reports(hostile_result, ["html"], tmp_path)
    html = (tmp_path / "report.html").read_text()
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    assert "http://" not in html and "https://" not in html, "no external requests"


def test_results_json_is_valid_and_keeps_names_verbatim(hostile_result, tmp_path: Path) -> None:
    write_reports(hostile_result, ["json"], tmp_path)
    data = json.loads((tmp_path / "results.json").read_text())
    assert schema_errors(data, "results") is None
    assert {f["resource"]["name"] for f in data["findings"]} >= {HOSTILE_NAMES[0], HOSTILE_NAMES[3]}


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
