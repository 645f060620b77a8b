"""Outputs that fit their readers when an estate is large: past a limit, SARIF and the HTML table
group cloud findings per control, status and account, and results.json keeps every finding. The
limits are lowered here so the demo organisation is "large"."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import jsonschema
import pytest

from scanner.model import ScanResult
from scanner.reports import ReportSettings, html_report, sarif
from scanner.reports.aggregate import group_findings

SARIF_SCHEMA = Path(__file__).resolve().parent.parent / ".cache" / "test-schemas" / "sarif-2.1.0-rtm.5.json"


@pytest.fixture
def sarif_grouped(demo_result: ScanResult, monkeypatch) -> dict:
    monkeypatch.setattr(sarif, "RESULTS_PER_RUN", 10)
    return json.loads(sarif.render(demo_result, ReportSettings()))


def test_past_the_limit_cloud_findings_are_one_result_per_control_and_account(sarif_grouped, demo_result) -> None:
    jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text())).validate(sarif_grouped)
    (run,) = sarif_grouped["runs"]
    reported = [f for f in demo_result.findings if f.status in ("fail", "waived")]
    in_files = [f for f in reported if f.resource.location and f.resource.location.get("file")]
    in_clouds = [f for f in reported if f not in in_files]
    expected = Counter((f.control_id, f.status, f.resource.account) for f in in_clouds)
    grouped = [r for r in run["results"] if "nhiscan/group/v1" in r["partialFingerprints"]]
    assert len(grouped) == len({(c, s, a, f.waiver is not None) for f in in_clouds for c, s, a in
                                [(f.control_id, f.status, f.resource.account)]})  # fmt: skip
    assert sum(r["properties"]["resources"] for r in grouped) == len(in_clouds) == sum(expected.values())
    singles = [r for r in run["results"] if "nhiscan/v1" in r["partialFingerprints"]]
    assert {r["partialFingerprints"]["nhiscan/v1"] for r in singles} == {f.fingerprint for f in in_files}
    assert run["properties"] == {"findings": len(reported), "groupedPerControlAndAccount": True}


def test_a_group_names_its_resources_and_keeps_its_waiver(sarif_grouped, demo_result) -> None:
    (run,) = sarif_grouped["runs"]
    biggest = max(run["results"], key=lambda r: r.get("properties", {}).get("resources", 0))
    names = [loc["fullyQualifiedName"] for loc in biggest["locations"][0]["logicalLocations"][1:]]
    assert names and len(names) == len(set(names)) <= sarif.GROUP_LOCATIONS
    waived = [r for r in run["results"] if r.get("suppressions") and "nhiscan/group/v1" in r["partialFingerprints"]]
    assert waived and all(r["suppressions"][0]["kind"] == "external" for r in waived)


def test_group_fingerprints_are_the_same_in_the_next_scan(catalogs) -> None:
    from scanner.scan import ScanOptions, run_scan
    from scanner.sources import SourceSpec, collect

    def scan() -> list[str]:  # two fresh scans: the shared demo result may be changed by other tests
        options = ScanOptions(waivers=Path(__file__).resolve().parent.parent / "docs" / "examples" / "waivers.yaml")
        return sorted(
            g.fingerprint for g in group_findings(run_scan(collect(SourceSpec("demo")), catalogs, options).findings)
        )

    assert scan() == scan()


def test_what_a_group_gathers_while_grouping_is_what_its_findings_say(demo_result) -> None:
    import dataclasses

    from scanner.reports.aggregate import FindingGroup

    # a baseline's marks, some of each, so that "new" has all three answers to give
    marked = [dataclasses.replace(f, new=(None, True, False)[n % 3]) for n, f in enumerate(demo_result.findings)]
    for findings in (demo_result.findings, marked, marked[1::3], marked[2::3]):
        for group in group_findings(findings):
            by_hand = FindingGroup(*[getattr(group, name) for name in ("control_id", "status", "severity",
                                     "provider", "account", "waiver", "findings")])  # fmt: skip
            assert (group.kinds, group.new, group.located) == (by_hand.kinds, by_hand.new, by_hand.located)
            assert group.located == any(f.resource.location for f in group.findings)
    kinds = {g.kinds for g in group_findings(demo_result.findings)}
    assert any(", " in k for k in kinds) or len(kinds) > 1


def test_past_the_limit_findings_all_in_clouds_are_the_shared_groups(demo_result, monkeypatch) -> None:
    import dataclasses

    monkeypatch.setattr(sarif, "RESULTS_PER_RUN", 10)
    in_clouds = [f for f in demo_result.findings if not f.resource.location]
    located = [f for f in demo_result.findings if f.resource.location and f.status in ("fail", "waived")]
    assert located and in_clouds  # the demo has both: here only the clouds' remain
    (run,) = json.loads(sarif.render(dataclasses.replace(demo_result, findings=in_clouds), ReportSettings()))["runs"]
    assert run["results"] and all("nhiscan/group/v1" in r["partialFingerprints"] for r in run["results"])
    shown = [f for f in in_clouds if f.status in ("fail", "waived")]
    assert sum(r["properties"]["resources"] for r in run["results"]) == len(shown)


def test_below_the_limit_every_finding_is_its_own_result(demo_result) -> None:
    (run,) = json.loads(sarif.render(demo_result, ReportSettings()))["runs"]
    assert len(run["results"]) == len([f for f in demo_result.findings if f.status in ("fail", "waived")])
    assert run["properties"]["groupedPerControlAndAccount"] is False


def test_past_the_limit_the_html_table_groups_and_says_so(demo_result, monkeypatch) -> None:
    monkeypatch.setattr(html_report, "FULL_LIST_LIMIT", 10)
    rows, grouped = html_report.finding_rows(demo_result)
    assert grouped and len(rows) == len(group_findings(demo_result.findings)) < len(demo_result.findings)
    columns = html_report.FINDING_COLUMNS
    resources = sum(row[columns.index("evidence")]["resources"] for row in rows)
    assert resources == len(demo_result.findings)
    page = html_report.render(demo_result, ReportSettings())
    assert f"This scan has {len(demo_result.findings):,} findings" in page
    assert "Every finding, one by one, is in results.json." in page


def test_results_json_written_in_pieces_is_the_text_rendered_whole(demo_result: ScanResult, monkeypatch) -> None:
    from scanner import serialize
    from scanner.history.store import ResultsPacker, _unpack
    from scanner.reports import json_results

    whole = json_results.render(demo_result)
    monkeypatch.setattr(serialize, "_LINES_PER_PIECE", 7)
    pieces = list(json_results.pieces(demo_result))
    assert len(pieces) > len(demo_result.findings) // 7 and "".join(pieces) == whole
    packer = ResultsPacker()
    for piece in pieces:
        packer.add(piece.encode())
    assert _unpack(packer.packed()) == (whole.encode(), True)


def test_an_empty_findings_list_is_written_as_an_empty_list(demo_result: ScanResult) -> None:
    import dataclasses

    from scanner.reports import json_results

    assert json.loads(json_results.render(dataclasses.replace(demo_result, findings=[])))["findings"] == []


@pytest.mark.parametrize("empty", [False, True], ids=["demo", "no findings"])
def test_findings_csv_and_ocsf_are_written_as_they_are_made(
    demo_result: ScanResult, monkeypatch, tmp_path: Path, empty: bool
) -> None:
    import csv
    import dataclasses

    from scanner import reports
    from scanner.reports import csv_report, ocsf, write_reports

    result = dataclasses.replace(demo_result, findings=[]) if empty else demo_result
    monkeypatch.setattr(csv_report, "ROWS_PER_PIECE", 7)
    monkeypatch.setattr(ocsf, "EVENTS_PER_PIECE", 7)
    written: Counter[str] = Counter()
    write_whole_file = reports.write_atomic_pieces

    def counting(path: Path, pieces, also=None) -> None:
        def counted():
            for piece in pieces:
                written[path.name] += 1
                yield piece

        write_whole_file(path, counted(), also)

    monkeypatch.setattr(reports, "write_atomic_pieces", counting)
    write_reports(result, ["csv", "ocsf"], tmp_path)

    findings = result.findings
    events = [f for f in findings if f.status in ocsf.STATUS_IDS]
    assert written["findings.csv"] == 1 + -(-len(findings) // 7)  # the header, then 7 rows a piece
    assert written["findings.ocsf.jsonl"] == -(-len(events) // 7)
    with open(tmp_path / "findings.csv", newline="", encoding="utf-8-sig") as stream:
        rows = list(csv.reader(stream))
    assert rows[0] == list(csv_report.COLUMNS) and [row[0] for row in rows[1:]] == [f.fingerprint for f in findings]
    lines = (tmp_path / "findings.ocsf.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["finding_info"]["uid"] for line in lines] == [f.fingerprint for f in events]
