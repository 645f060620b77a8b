"""A large results.json file (``report FILE``, ``diff``, ``--baseline``) is read as it is read, a
finding and a record at a time, each checked against the schema, and is the same ScanResult as the
file read whole; it is not held to the size limit of input files (a 110,000-identity scan writes
one past it). Whatever is not laid out as nhiscan writes it is read whole, so both ways accept and
refuse the same files. Here every file counts as large, and the size limit is lowered to 512 KiB
where a test says so (the demo's results.json is about 900 KB)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from scanner import loading, results_lines, streamed_json
from scanner.engine import baseline
from scanner.engine.baseline import load_baseline
from scanner.errors import InputError
from scanner.model import RESULTS_SCHEMA_VERSION, ScanResult
from scanner.reports.json_results import render
from scanner.results_file import load_results_file, streamed_results_file
from scanner.results_io import load_results
from scanner.scan import ScanOptions, preflight, run_scan
from scanner.sources import SourceSpec, collect

from .conftest import capabilities_past_the_frame_bound

FINDINGS_OPENING = ' "findings": [\n'


@pytest.fixture(autouse=True)
def every_file_is_large(monkeypatch) -> None:
    monkeypatch.setattr(streamed_json, "STREAM_FROM_BYTES", 0)


@pytest.fixture
def small_input_limit(monkeypatch) -> int:
    monkeypatch.setattr(loading, "MAX_INPUT_BYTES", 512 * 1024)
    return loading.MAX_INPUT_BYTES


def written(tmp_path: Path, text: str, name: str = "results.json") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def with_first_finding_line(result: ScanResult, line: str) -> str:
    text = render(result)
    opening = text.index(FINDINGS_OPENING) + len(FINDINGS_OPENING)
    return text[:opening] + line + text[opening:]


def with_first_finding_replaced(result: ScanResult, line: str) -> str:
    """The file with its first finding written as ``line`` (of the same control and status: the
    counts still hold every finding)."""
    text = render(result)
    opening = text.index(FINDINGS_OPENING) + len(FINDINGS_OPENING)
    return text[:opening] + line + text[text.index("\n", opening) + 1 :]


@pytest.mark.parametrize("name", ["demo_result", "hostile_result"])
def test_a_results_file_read_as_it_is_read_is_the_file_read_whole(request, tmp_path: Path, name: str) -> None:
    path = written(tmp_path, render(request.getfixturevalue(name)))
    streamed = streamed_results_file(path)
    assert streamed is not None and streamed == load_results(path)
    assert render(streamed) == path.read_text(encoding="utf-8")


def test_findings_about_one_record_share_its_resource_as_in_the_scan(demo_result, tmp_path: Path) -> None:
    streamed = streamed_results_file(written(tmp_path, render(demo_result)))
    assert streamed is not None
    by_uid = {}
    for finding in streamed.findings:
        if finding.resource.location is None:
            assert by_uid.setdefault(finding.resource.uid, finding.resource) is finding.resource


def test_a_file_past_the_input_size_limit_is_read_by_report_diff_and_baseline(
    demo_result, cli, tmp_path: Path, small_input_limit: int
) -> None:
    path = written(tmp_path, render(demo_result))
    assert path.stat().st_size > small_input_limit
    with pytest.raises(InputError, match="larger than"):  # what every command said of it before
        load_results(path)
    assert load_results_file(path) == demo_result

    report = cli("report", str(path), "--format", "json", "-o", str(tmp_path / "again"))
    assert report.exit_code == 0, report.output
    assert (tmp_path / "again" / "results.json").read_text(encoding="utf-8") == path.read_text(encoding="utf-8")
    drift = cli("diff", str(path), str(path), "-o", str(tmp_path / "drift.json"))
    assert drift.exit_code == 0, drift.output
    assert json.loads((tmp_path / "drift.json").read_text())["new_failures"] == []
    known = load_baseline(path)
    failing = {f.fingerprint for f in demo_result.findings if f.status in ("fail", "waived")}
    assert known.fingerprints == failing and known.agent_reach is not None
    assert known.agent_reach == {
        agent.uid: frozenset(demo_result.capabilities.get(agent.uid, ()))
        for agent in demo_result.inventory.agents  # type: ignore[union-attr]
    }


def test_a_diff_of_two_files_read_as_they_are_read_is_the_diff_of_the_files_read_whole(
    demo_result, catalogs, cli, tmp_path: Path, monkeypatch
) -> None:
    inventory = collect(SourceSpec("demo"))
    a_year_on = run_scan(inventory, catalogs, ScanOptions(as_of=inventory.collected_at.replace(year=2027)))
    old = written(tmp_path, render(demo_result), "old.json")
    new = written(tmp_path, render(a_year_on), "new.json")

    def drift(name: str) -> str:
        done = cli("diff", str(old), str(new), "--fail-on", "none", "-o", str(tmp_path / name))
        assert done.exit_code == 0, done.output
        return (tmp_path / name).read_text(encoding="utf-8")

    limit = loading.MAX_INPUT_BYTES
    monkeypatch.setattr(loading, "MAX_INPUT_BYTES", 512 * 1024)  # neither file could be read whole
    streamed = drift("streamed.json")
    monkeypatch.setattr(loading, "MAX_INPUT_BYTES", limit)
    monkeypatch.setattr(streamed_json, "STREAM_FROM_BYTES", 1 << 40)
    whole = drift("whole.json")
    assert streamed == whole and json.loads(streamed)["new_failures"]


def test_a_baseline_read_as_it_is_read_is_the_baseline_read_whole(demo_result, tmp_path: Path, monkeypatch) -> None:
    path = written(tmp_path, render(demo_result))
    streamed = load_baseline(path)
    baseline._read_unchanged.cache_clear()
    monkeypatch.setattr(streamed_json, "STREAM_FROM_BYTES", path.stat().st_size + 1)
    assert streamed == load_baseline(path)


def test_a_scan_reads_its_baseline_once_unless_it_changes_meanwhile(
    demo_result, catalogs, tmp_path: Path, monkeypatch
) -> None:
    path = written(tmp_path, render(demo_result))
    reads: list[Path] = []
    read = baseline._read_baseline
    monkeypatch.setattr(baseline, "_read_baseline", lambda p: reads.append(p) or read(p))
    baseline._read_unchanged.cache_clear()
    options = ScanOptions(baseline=path)
    preflight(options)
    result = run_scan(collect(SourceSpec("demo")), catalogs, options)
    # the baseline's waivers are not given again: what they waived then is new, the rest is known
    waived_then = {f.fingerprint for f in demo_result.findings if f.status == "waived"}
    assert reads == [path] and waived_then
    assert all(f.new is (f.fingerprint in waived_then) for f in result.findings if f.status == "fail")

    path.write_text(render(dataclasses.replace(demo_result, findings=[])), encoding="utf-8")
    result = run_scan(collect(SourceSpec("demo")), catalogs, options)
    assert reads == [path, path] and all(f.new for f in result.findings if f.status == "fail")


WRONG_SHAPES = {
    "a resource that is a list": ('  {"resource": ["not", "a", "record"]},\n', "$.findings[0]"),
    "evidence that is a number": ('  {"evidence": 7},\n', "$.findings[0]"),
    "a list for a finding": ("  [1, 2],\n", "$.findings[0]"),
}


@pytest.mark.parametrize("line, where", WRONG_SHAPES.values(), ids=WRONG_SHAPES.keys())
def test_a_finding_that_breaks_the_schema_is_refused_naming_it(
    demo_result, tmp_path: Path, small_input_limit: int, line: str, where: str
) -> None:
    path = written(tmp_path, with_first_finding_line(demo_result, line))
    with pytest.raises(InputError) as refused:
        load_results_file(path)
    assert refused.value.location.startswith(where)


def test_an_inventory_record_that_breaks_the_schema_is_refused_naming_it(demo_result, tmp_path: Path) -> None:
    text = render(demo_result)
    opening = text.index('   "identities": [\n') + len('   "identities": [\n')
    path = written(tmp_path, text[:opening] + '    {"uid": 7},\n' + text[opening:])
    with pytest.raises(InputError) as refused:
        load_results_file(path)
    assert refused.value.location.startswith("$.inventory.identities[0]")
    with pytest.raises(InputError):
        load_results(path)


def test_nesting_past_the_limit_in_a_finding_line_is_refused_as_a_whole_read_refuses_it(
    demo_result, tmp_path: Path
) -> None:
    deep = "[" * 120 + "]" * 120
    finding = json.loads(render(demo_result))["findings"][0]
    finding["evidence"] = {"deep": "__DEEP__"}
    line = "  " + json.dumps(finding, separators=(",", ":")).replace('"__DEEP__"', deep) + ",\n"
    path = written(tmp_path, with_first_finding_line(demo_result, line))
    for read in (load_results_file, load_results):
        with pytest.raises(InputError, match="nested more than 100 levels"):
            read(path)


def test_an_integer_past_64_bits_stays_exact(demo_result, tmp_path: Path) -> None:
    finding = json.loads(render(demo_result))["findings"][0]
    finding["evidence"] = {"count": 2**70 + 1, "text": "1234567890123456789012"}
    line = "  " + json.dumps(finding, separators=(",", ":")) + ",\n"
    path = written(tmp_path, with_first_finding_replaced(demo_result, line))
    streamed = streamed_results_file(path)
    assert streamed is not None and streamed.findings[0].evidence == {
        "count": 2**70 + 1,
        "text": "1234567890123456789012",
    }
    assert streamed == load_results(path)


def test_a_lone_surrogate_in_a_finding_line_is_refused(demo_result, tmp_path: Path) -> None:
    finding = json.loads(render(demo_result))["findings"][0]
    finding["message"] = "__LONE__"
    line = "  " + json.dumps(finding, separators=(",", ":")).replace("__LONE__", "\\ud800") + ",\n"
    path = written(tmp_path, with_first_finding_line(demo_result, line))
    for read in (load_results_file, load_results):
        with pytest.raises(InputError):
            read(path)


def _missing_separator(text: str) -> str:
    opening = text.index(FINDINGS_OPENING) + len(FINDINGS_OPENING)
    end = text.index(",\n", opening)
    return text[:end] + text[end + 1 :]


def _trailing_separator(text: str) -> str:
    closing = text.index("\n ],\n", text.index(FINDINGS_OPENING))
    return text[:closing] + "," + text[closing:]


def _findings_twice(text: str) -> str:
    return text.replace('\n "frameworks":', '\n "findings": [],\n "frameworks":', 1)


def _section_twice(text: str) -> str:
    section = text[text.index('   "accounts": [\n') : text.index("   ],\n", text.index('   "accounts": [\n')) + 6]
    return text.replace(section, section + section, 1)


def _findings_nested_before_the_documents(text: str) -> str:
    """The findings' lines moved into another object ahead of the document's own list, which is
    left empty but laid out as nhiscan lays it out: a JSON reader sees no findings at all."""
    opening = text.index(FINDINGS_OPENING)
    closing = text.index("\n ],\n", opening)
    lines = text[opening + len(FINDINGS_OPENING) : closing]
    emptied = text[:opening] + FINDINGS_OPENING + text[closing + 1 :]
    summary = next(line for line in emptied.split("\n") if line.startswith(' "inventory_summary":'))
    emptied = emptied.replace("\n" + summary, "", 1)
    at = emptied.index(FINDINGS_OPENING)
    return emptied[:at] + '\n "inventory_summary": {\n "findings": [\n' + lines + "\n ]\n }," + emptied[at:]


def _agents_nested_after_the_inventory(text: str) -> str:
    opening = text.index('   "agents": [\n')
    closing = text.index("\n   ],\n", opening)
    lines = text[opening + len('   "agents": [\n') : closing]
    emptied = text[:opening] + '   "agents": [],' + text[closing + len("\n   ],") :]
    end = emptied.rindex("\n}")
    return emptied[:end] + ',\n "elsewhere": {\n   "agents": [\n' + lines + "\n   ]\n }" + emptied[end:]


def _agents_on_one_line(text: str) -> str:
    opening = text.index('   "agents": [\n')
    closing = text.index("\n   ],\n", opening)
    records = [json.loads(line.strip().rstrip(",")) for line in text[opening:closing].split("\n")[1:]]
    one_line = '   "agents": ' + json.dumps(records, separators=(",", ":")) + ","
    return text[:opening] + one_line + text[closing + len("\n   ],") :]


def _a_bad_finding_in_a_list_a_later_key_replaces(text: str) -> str:
    return _findings_twice(text.replace(FINDINGS_OPENING, FINDINGS_OPENING + '  {"resource": ["x"]},\n', 1))


def _evidence_one_and_true(text: str) -> str:
    findings = json.loads(text)["findings"]
    first, second = dict(findings[0], evidence={"n": 1}), dict(findings[1], evidence={"n": True})
    lines = "".join("  " + json.dumps(f, separators=(",", ":")) + ",\n" for f in (first, second))
    return text.replace(FINDINGS_OPENING, FINDINGS_OPENING + lines, 1)


def _a_finding_with_a_property_no_schema_has(text: str) -> str:
    finding = dict(json.loads(text)["findings"][0], extra="x")
    return text.replace(FINDINGS_OPENING, FINDINGS_OPENING + "  " + json.dumps(finding) + ",\n", 1)


def _closing_the_last_section_on_the_last_line(text: str, last_record: str | None = None, separator: str = "") -> str:
    """The inventory's log sources, its last section once its sources are taken out, closed on the
    file's last line, with no newline after it (``last_record`` in place of the last one)."""
    lines = text.rstrip("\n").split("\n")
    end = lines.index('   "sources": [') - 1
    assert lines[end] == "   ]," and lines[end - 1].startswith("    {")
    last = last_record if last_record is not None else lines[end - 1]
    return "\n".join([*lines[: end - 1], last + separator]) + "\n   ]}}"


NOT_AS_NHISCAN_WRITES = {
    "indented by another tool": lambda text: json.dumps(json.loads(text), indent=2),
    "another schema version": lambda text: text.replace(
        f'"schema_version": "{RESULTS_SCHEMA_VERSION}"', '"schema_version": "1.0"', 1
    ),
    "a byte-order mark first": lambda text: "\ufeff" + text,
    "a second findings list after the first": _findings_twice,
    "an inventory section twice": _section_twice,
    "no separator between two findings": _missing_separator,
    "a separator after the last finding": _trailing_separator,
    "the findings nested in another object before the document's": _findings_nested_before_the_documents,
    "agents nested in another object after the inventory": _agents_nested_after_the_inventory,
    "a separator after the last record, closed on the last line": lambda text: (
        _closing_the_last_section_on_the_last_line(text, separator=",")
    ),
}

READ_THE_SAME_EITHER_WAY = {
    **NOT_AS_NHISCAN_WRITES,
    "agents written on one line": _agents_on_one_line,
    "a bad finding in a list that a later key replaces": _a_bad_finding_in_a_list_a_later_key_replaces,
    "evidence 1 and evidence true": _evidence_one_and_true,
    "a finding with a property no schema has": _a_finding_with_a_property_no_schema_has,
    "the last section closed on the last line": _closing_the_last_section_on_the_last_line,
    "a control without its remediation": lambda text: text.replace('"remediation":', '"xremediation":', 1),
    "a bad record last, closed on the last line": lambda text: _closing_the_last_section_on_the_last_line(
        text, '    {"not": "a log source"}'
    ),
}


def _outcome(read: Callable[[Path], object], path: Path) -> object:
    baseline._read_unchanged.cache_clear()
    try:
        done = read(path)
    except InputError as refused:
        return f"refused: {refused}"
    return render(done) if isinstance(done, ScanResult) else done


def both_ways(path: Path, monkeypatch) -> tuple[list[object], list[object]]:
    """What report (the result rendered again) and a baseline read of ``path``, read as it is read
    and then read whole."""
    streamed = [_outcome(load_results_file, path), _outcome(load_baseline, path)]
    monkeypatch.setattr(streamed_json, "STREAM_FROM_BYTES", 1 << 40)
    return streamed, [_outcome(load_results_file, path), _outcome(load_baseline, path)]


@pytest.mark.parametrize("change", NOT_AS_NHISCAN_WRITES.values(), ids=NOT_AS_NHISCAN_WRITES.keys())
def test_a_file_not_laid_out_as_nhiscan_writes_it_is_read_whole(demo_result, tmp_path: Path, change) -> None:
    path = written(tmp_path, change(render(demo_result)))
    assert streamed_results_file(path) is None


@pytest.mark.parametrize("change", READ_THE_SAME_EITHER_WAY.values(), ids=READ_THE_SAME_EITHER_WAY.keys())
def test_report_and_baseline_read_a_file_the_same_either_way(demo_result, tmp_path: Path, monkeypatch, change) -> None:
    path = written(tmp_path, change(render(demo_result)))
    streamed, whole = both_ways(path, monkeypatch)
    assert streamed == whole


def test_the_text_around_the_findings_is_bounded(demo_result, tmp_path: Path, monkeypatch) -> None:
    text = render(demo_result)
    reading = results_lines.ModelReading()
    reading.add(render(dataclasses.replace(demo_result, capabilities={})).encode())  # the map is bounded apart
    path = written(tmp_path, text.replace('\n "trend": [', '\n "trend": [' + "\n" * 3000, 1))
    monkeypatch.setattr(results_lines, "FRAME_LIMIT", len(reading.document()) + 2000)
    assert streamed_results_file(path) is None  # read whole instead, as within the input limit
    streamed, whole = both_ways(path, monkeypatch)
    assert streamed == whole and isinstance(whole[0], str) and not whole[0].startswith("refused")


def test_a_line_is_bounded_and_a_long_one_is_not_copied_piece_after_piece(
    demo_result, tmp_path: Path, monkeypatch
) -> None:
    finding = dict(json.loads(render(demo_result))["findings"][0], message="m" * 5000)
    path = written(tmp_path, with_first_finding_replaced(demo_result, "  " + json.dumps(finding) + ",\n"))
    monkeypatch.setattr(streamed_json, "_PIECE", 7)  # the long line arrives in 700 pieces
    streamed = streamed_results_file(path)
    assert streamed is not None and streamed.findings[0].message == "m" * 5000
    monkeypatch.setattr(results_lines, "LINE_LIMIT", 4096)
    assert streamed_results_file(path) is None


def test_a_device_with_no_size_is_read_only_up_to_the_limit() -> None:
    """/dev/zero has no size to check beforehand; read without a bound, it would take all the
    memory there is (here the command may take 2 GB, four times what it needs)."""
    import resource
    import shutil
    import subprocess
    import sys

    command = shutil.which("nhiscan", path=str(Path(sys.executable).parent)) or "nhiscan"

    def two_gigabytes() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))

    done = subprocess.run(
        [command, "report", "/dev/zero", "--format", "md", "-o", "/dev/null/never"],
        capture_output=True, text=True, timeout=60, preexec_fn=two_gigabytes, check=False,
    )  # fmt: skip
    assert (done.returncode, done.stderr) == (2, "nhiscan: error: /dev/zero: larger than 512 MiB\n")


@pytest.mark.parametrize(
    "change", [_missing_separator, _trailing_separator, _findings_twice], ids=["no separator", "trailing", "twice"]
)
def test_past_the_size_limit_a_file_not_laid_out_as_nhiscan_writes_it_is_refused_in_one_line(
    demo_result, tmp_path: Path, small_input_limit: int, change
) -> None:
    path = written(tmp_path, change(render(demo_result)))
    with pytest.raises(InputError) as refused:
        load_results_file(path)
    assert "\n" not in str(refused.value)


def test_a_last_line_with_no_newline_after_it_is_read_as_every_other_line(
    demo_result, tmp_path: Path, monkeypatch
) -> None:
    """Ended on a section's closing line, the file's last section was never closed: its records were
    dropped, and a bad one let through, where the whole read keeps or refuses them."""
    path = written(tmp_path, _closing_the_last_section_on_the_last_line(render(demo_result)))
    streamed = streamed_results_file(path)
    assert streamed is not None and streamed.inventory is not None and demo_result.inventory is not None
    assert streamed.inventory.log_sources == demo_result.inventory.log_sources
    assert streamed.inventory.log_sources


def test_a_finding_of_a_control_the_results_do_not_list_is_refused_naming_it(demo_result, cli, tmp_path: Path) -> None:
    """The schema cannot say it; the reports look each finding's control up (before, the SARIF
    stopped with an internal error, exit 4). Both ways of reading refuse it, in one line."""
    text = render(demo_result)
    opening = text.index(FINDINGS_OPENING) + len(FINDINGS_OPENING)
    finding = json.loads(text[opening : text.index("\n", opening)].rstrip(","))
    line = json.dumps({**finding, "control_id": "NOPE-999"}) + ",\n"
    path = written(tmp_path, text[:opening] + "  " + line + text[opening:])
    for read in (load_results_file, load_results):
        with pytest.raises(InputError, match="NOPE-999") as refused:
            read(path)
        assert refused.value.location == "$.findings[0].control_id"
    report = cli("report", str(path), "--format", "sarif", "-o", str(tmp_path / "out"))
    assert report.exit_code == 2 and "Traceback" not in report.output
    assert not (tmp_path / "out" / "results.sarif").exists()


def test_the_capabilities_map_is_bounded_apart_from_the_text_around_the_lists(
    demo_result, tmp_path: Path, monkeypatch
) -> None:
    """The map grows with the estate (17 MB at 100,000 identities) and was counted in the frame's
    64 MiB: at about 370,000 identities nhiscan's own file was read whole. Here the frame's bound
    is the rest of the frame and a little more, the map three times that."""
    large = capabilities_past_the_frame_bound(demo_result, monkeypatch)
    path = written(tmp_path, render(large))
    streamed = streamed_results_file(path)
    assert streamed is not None and streamed == load_results(path) == large
    monkeypatch.setattr(results_lines, "MEMBERS_LIMIT", len(json.dumps(large.capabilities)) // 2)
    assert streamed_results_file(path) is None, "the map has its own bound"


def test_each_identity_s_capabilities_are_a_line_of_their_own_so_no_line_grows_with_the_estate(
    demo_result, tmp_path: Path, monkeypatch
) -> None:
    """At 100,000 identities the capabilities map is about 17 MB: written on one line, past
    LINE_LIMIT, it left nhiscan's own results.json, past the input size limit, refused by report,
    diff and baseline. Here the limit is 128 KiB, the map over three times that, and the file is
    read 4 KiB at a time (a line within one piece read is bounded by the piece)."""
    monkeypatch.setattr(results_lines, "LINE_LIMIT", 128 * 1024)  # a framework's line is up to 90 KB
    monkeypatch.setattr(streamed_json, "_PIECE", 4096)
    estate = {f"identity-{number}": ["admin", "secrets_read"] for number in range(12000)}
    large = dataclasses.replace(demo_result, capabilities=estate)
    assert len(json.dumps(estate)) > 3 * results_lines.LINE_LIMIT
    path = written(tmp_path, render(large))
    streamed = streamed_results_file(path)
    assert streamed is not None and streamed == load_results(path) == large


def _edited(result: ScanResult, edit: str) -> tuple[str, str]:
    """The results file with its first failing finding cut, or another failure added beside it,
    as a jq filter or a hand would; and that finding's control."""
    lines = render(result).splitlines(keepends=True)
    index = next(i for i, line in enumerate(lines) if line.startswith("  {") and '"status":"fail"' in line)
    finding = json.loads(lines[index].rstrip().rstrip(","))
    if edit == "cut":
        del lines[index]
    else:
        lines.insert(index, lines[index].replace(finding["fingerprint"], "0" * 32))
    return "".join(lines), finding["control_id"]


@pytest.mark.parametrize("layout", ["as written", "one line"])
@pytest.mark.parametrize("edit", ["cut", "added"])
def test_a_results_file_whose_findings_disagree_with_its_counts_is_refused(
    demo_result, cli, tmp_path: Path, edit: str, layout: str
) -> None:
    """Re-rendered, a file with a failure cut showed counts its own list of findings contradicted
    (the PDF's score and gate counting a failure nobody could see), and a diff called the cut
    failure resolved. Read as it is read or whole, by report and by diff, it is refused."""
    text, control_id = _edited(demo_result, edit)
    if layout == "one line":  # not laid out as nhiscan writes: read whole by every command
        text = json.dumps(json.loads(text))
    path = written(tmp_path, text)
    for read in (load_results_file, load_results):
        with pytest.raises(InputError, match=f"{control_id} counts .* fail results, but the file holds"):
            read(path)
    report = cli("report", str(path), "--format", "html", "-o", str(tmp_path / "again"))
    assert report.exit_code == 2 and "findings removed or added by hand" in report.output
    assert not (tmp_path / "again" / "report.html").exists()
    drift = cli("diff", str(path), str(path), "-o", str(tmp_path / "drift.json"))
    assert drift.exit_code == 2 and f"{control_id} counts" in drift.output


def test_a_diff_against_a_file_with_a_failure_cut_never_calls_it_resolved(demo_result, cli, tmp_path: Path) -> None:
    text, _ = _edited(demo_result, "cut")
    whole = written(tmp_path, render(demo_result), "whole.json")
    drift = cli("diff", str(whole), str(written(tmp_path, text)), "-o", str(tmp_path / "drift.json"))
    assert drift.exit_code == 2, "the cut failure is not called resolved"
    assert cli("diff", str(whole), str(whole), "-o", str(tmp_path / "same.json")).exit_code == 0
