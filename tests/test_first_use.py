"""What a new user meets first: an empty scan that says so, honest gate sentences with a baseline,
trends over like scans only, and wording that cannot be misread."""

from __future__ import annotations

import json
from pathlib import Path

from junitparser import Failure, JUnitXml

from scanner.history.store import HistoryStore
from scanner.reports.view import gate_verdict, plural, results_line, top_risks


def _scan(cli, *args: str, out: Path, db: str):
    return cli("scan", *args, "--db", db, "--output-dir", str(out))


def test_a_scan_that_assessed_nothing_says_so_scores_nothing_and_exits_3(cli, tmp_path: Path) -> None:
    empty = tmp_path / "repo"
    empty.mkdir()
    out = tmp_path / "out"
    outcome = _scan(
        cli, f"manifests:{empty}", "--format", "json,md,junit", out=out, db=f"sqlite:///{tmp_path / 'h.db'}"
    )
    assert outcome.exit_code == 3
    assert "Nothing was assessed" in " ".join(outcome.output.split())
    assert "grade A" not in outcome.output and "100.0" not in outcome.output
    results = json.loads((out / "results.json").read_text())
    assert results["score"] is None and results["gate"]["nothing_assessed"] is True
    assert results["gate"]["passed"] is False
    assert all(f["score"] is None for f in results["frameworks"])
    summary = (out / "summary.md").read_text()
    assert "Nothing was assessed" in summary and "grade n/a" in summary
    junit = JUnitXml.fromfile(str(out / "junit.xml"))
    (gate,) = [case for suite in junit for case in suite if case.name == "gate"]
    (failure,) = gate.result
    assert isinstance(failure, Failure) and "Nothing was assessed" in failure.text, "a CI test view must not be green"


def test_a_scan_whose_controls_decided_nothing_does_not_pass_the_gate(cli, tmp_path: Path) -> None:
    """Third-party Azure exports judged against an AWS benchmark: no Azure resource is in its scope,
    so no result is kept. The gate has nothing to stand on, so it does not pass, there is no score,
    and the scan exits 3."""
    from .conftest import SHARED

    azure = SHARED / "realworld" / "azure"
    out = tmp_path / "out"
    outcome = _scan(
        cli, f"file:{azure}", "--framework", "cis-aws-foundations", "--format", "json,md", "--fail-on", "none",
        out=out, db=f"sqlite:///{tmp_path / 'h.db'}",
    )  # fmt: skip
    assert outcome.exit_code == 3, outcome.output
    results = json.loads((out / "results.json").read_text())
    counts = [c["counts"] for c in results["controls"]]
    assert counts and not any(c["pass"] or c["fail"] or c["waived"] for c in counts)
    assert results["findings"] == [], "Azure resources are outside CIS AWS"
    assert results["gate"]["nothing_assessed"] is True and results["gate"]["passed"] is False
    assert results["score"] is None
    summary = " ".join((out / "summary.md").read_text().split())
    assert "no control could decide a pass or a failure" in summary and "passed" not in summary


def test_summary_md_names_results_json_only_when_it_was_written(cli, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'h.db'}"
    _scan(cli, "demo", "--format", "md", "-q", out=tmp_path / "md", db=db)
    assert "results.json" not in (tmp_path / "md" / "summary.md").read_text()
    _scan(cli, "demo", "--format", "md,json", "-q", out=tmp_path / "both", db=db)
    assert "full results in results.json" in (tmp_path / "both" / "summary.md").read_text()


def test_with_a_baseline_every_summary_says_only_new_failures_count(cli, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'h.db'}"
    first = tmp_path / "first"
    _scan(cli, "demo", "--format", "json", "-q", out=first, db=db)
    again = tmp_path / "again"
    outcome = _scan(
        cli, "demo", "--format", "json,md,html", "--baseline", str(first / "results.json"), out=again, db=db
    )
    assert outcome.exit_code == 0, "nothing new since the baseline"
    known = sum(
        1
        for f in json.loads((first / "results.json").read_text())["findings"]
        if f["status"] == "fail" and f["severity"] in ("critical", "high")
    )
    sentence = f"No new failures at or above high severity since the baseline ({first / 'results.json'}); "
    sentence += f"{known} known failures remain."
    squeezed = "".join(sentence.split())
    assert squeezed in "".join(outcome.output.split()), "the terminal"
    summary = (again / "summary.md").read_text().replace("\\", "")
    assert squeezed in "".join(summary.split()), "summary.md"
    assert "No new failures at or above high severity since the baseline" in (again / "report.html").read_text()
    assert "No unwaived failures" not in (again / "report.html").read_text()


def test_with_the_gate_off_the_verdict_counts_every_unwaived_failure(cli, tmp_path: Path) -> None:
    out = tmp_path / "out"
    outcome = _scan(cli, "demo", "--format", "json", "--fail-on", "none", out=out, db=f"sqlite:///{tmp_path / 'h.db'}")
    assert outcome.exit_code == 0
    statuses = [f["status"] for f in json.loads((out / "results.json").read_text())["findings"]]
    assert statuses.count("fail") and statuses.count("fail") < len(statuses), "failures beside other results"
    sentence = f"The gate is off (fail on none); {statuses.count('fail')} unwaived failures in all."
    assert "".join(sentence.split()) in "".join(outcome.output.split())


def test_the_trend_compares_only_scans_of_the_same_scope(cli, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'h.db'}"
    out = tmp_path / "out"
    _scan(cli, "demo", "--format", "json", "-q", out=out, db=db)
    demo_first = json.loads((out / "results.json").read_text())["scan"]["id"]
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "agent.nhiscan.yaml").write_text("nhiscan: agent/v1\nname: helper\nowner: a@example.com\n")
    _scan(cli, f"manifests:{repo}", "--format", "json", "-q", "--fail-on", "none", out=out, db=db)
    manifests = json.loads((out / "results.json").read_text())
    assert [p["scan_id"] for p in manifests["trend"]] == [manifests["scan"]["id"]], "no demo scan in its trend"
    _scan(cli, "demo", "--format", "json", "-q", out=out, db=db)
    demo_second = json.loads((out / "results.json").read_text())
    assert [p["scan_id"] for p in demo_second["trend"]] == [demo_first, demo_second["scan"]["id"]]
    assert demo_second["trend"][-1]["new"] == 0, "new and resolved are counted against the last demo scan"
    assert len(HistoryStore(db).listing()) == 3


def test_never_used_identities_say_never_used(demo_result) -> None:
    messages = [f.message for f in demo_result.findings]
    assert not [m for m in messages if "none days" in m]
    assert any(m.endswith(" was never used") for m in messages)


def test_counts_read_as_sentences(demo_result) -> None:
    assert plural(1, "identity") == "1 identity" and plural(2, "identity") == "2 identities"
    assert plural(1_204, "failing result") == "1,204 failing results"
    line = results_line(demo_result)
    failing_controls = sum(1 for c in demo_result.controls if c.counts["fail"])
    fails = sum(c.counts["fail"] for c in demo_result.controls)
    assert line.startswith(f"{fails:,} failing results in {failing_controls} controls · ")
    single = [r for r in top_risks(demo_result, 100) if r.failing == 1]
    assert single, "the demo has a control that fails once"
    assert all(" fails “" in r.headline and r.headline.startswith("1 ") for r in single)
    assert gate_verdict(demo_result).endswith("unwaived failures at or above high severity.")


def test_diff_lists_newly_waived_findings_in_their_own_section_not_as_resolved(cli, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'h.db'}"
    before, after = tmp_path / "before", tmp_path / "after"
    _scan(cli, "demo", "--format", "json", "-q", "--as-of", "2026-11-01", out=before, db=db)
    waivers = Path(__file__).resolve().parent.parent / "docs" / "examples" / "waivers.yaml"
    _scan(cli, "demo", "--format", "json", "-q", "--as-of", "2026-11-01", "--waivers", str(waivers), out=after, db=db)
    waived = {
        f["fingerprint"]
        for f in json.loads((after / "results.json").read_text())["findings"]
        if f["status"] == "waived"
    }
    assert waived
    drift_file = tmp_path / "drift.json"
    outcome = cli("diff", str(before / "results.json"), str(after / "results.json"), "-o", str(drift_file))
    assert outcome.exit_code == 0
    assert "Resolved failures (0)" in outcome.output
    assert f"Waived since (failing before, covered by a waiver now) ({len(waived)})" in " ".join(outcome.output.split())
    drift = json.loads(drift_file.read_text())
    assert drift["resolved_failures"] == []
    assert {f["fingerprint"] for f in drift["newly_waived"]} == waived


def test_diff_by_stored_id_reads_the_same_drift_as_the_full_results(cli, tmp_path: Path) -> None:
    """nhiscan diff turns only the findings that changed into model objects; what it reports is
    what comparing the two whole results gives, from files and from the history alike."""
    from scanner.diff import diff_results, drift_document
    from scanner.results_io import load_results
    from scanner.serialize import dumps_document

    db = f"sqlite:///{tmp_path / 'h.db'}"
    before, after = tmp_path / "before", tmp_path / "after"
    _scan(cli, "demo", "--format", "json", "-q", "--as-of", "2026-11-01", out=before, db=db)
    waivers = Path(__file__).resolve().parent.parent / "docs" / "examples" / "waivers.yaml"
    _scan(cli, "demo", "--format", "json", "-q", "--as-of", "2027-06-01", "--waivers", str(waivers), out=after, db=db)
    old, new = load_results(before / "results.json"), load_results(after / "results.json")
    expected = dumps_document(drift_document(diff_results(old, new)))
    assert json.loads(expected)["new_failures"] or json.loads(expected)["newly_waived"], "the scans differ"
    for first, second in ((before / "results.json", after / "results.json"), (old.scan.id, new.scan.id[:8])):
        drift_file = tmp_path / "drift.json"
        assert cli("diff", str(first), str(second), "--db", db, "-o", str(drift_file)).exit_code in (0, 1)
        assert drift_file.read_text() == expected


def test_a_quiet_scan_that_exits_3_still_says_why_in_one_line(cli, tmp_path: Path) -> None:
    """--quiet prints nothing but errors; a scan that read a source partially (the shared AWS exports
    hold list-agents output) or assessed nothing exits 3, and says why in one line."""
    from .conftest import SHARED

    partial = cli("scan", f"file:{SHARED / 'realworld' / 'aws'}", "-q", "--no-history", "--format", "json",
                  "-o", str(tmp_path / "a"))  # fmt: skip
    assert partial.exit_code == 3
    (line,) = partial.output.strip().splitlines()
    assert line.startswith("nhiscan: error: not read completely (5 partial): ") and "file:exports" in line
    empty = tmp_path / "empty"
    empty.mkdir()
    nothing = cli("scan", f"manifests:{empty}", "-q", "--no-history", "--format", "json", "-o", str(tmp_path / "b"))
    assert nothing.exit_code == 3
    (line,) = nothing.output.strip().splitlines()
    assert line.startswith("nhiscan: error: Nothing was assessed")
