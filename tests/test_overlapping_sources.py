"""Sources of one scan whose reads overlap. A record's uid names its findings, fingerprints and
waivers: a record two sources both read was judged twice (each of its findings counted twice,
under one fingerprint), and two folders read as one repository mixed their files' records (a
clean repository reported with the other's secret). Copies that agree are kept once; copies that
disagree, and one repository read twice, are refused in one line (exit 2)."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import pytest

from .conftest import SHARED

TOKEN = "ghp_R8x2Kq9ZmT4vLp7WnB3cYd6FhJ1sGe5AoU0i"


@pytest.fixture(scope="module")
def demo_inventory(tmp_path_factory) -> Path:
    from click.testing import CliRunner

    from scanner.cli import main

    path = tmp_path_factory.mktemp("demo") / "inventory.json"
    assert CliRunner().invoke(main, ["inventory", "demo", "-o", str(path), "-q"]).exit_code == 0
    return path


def _results(out: Path) -> dict:
    return json.loads((out / "results.json").read_text())


def test_an_inventory_named_twice_is_judged_once(cli, demo_inventory: Path, tmp_path: Path) -> None:
    once, twice = tmp_path / "once", tmp_path / "twice"
    cli("scan", f"inventory:{demo_inventory}", "--format", "json", "-o", str(once), "--no-history", "-q")
    cli("scan", *[f"inventory:{demo_inventory}"] * 2, "--format", "json", "-o", str(twice), "--no-history", "-q")
    single, double = _results(once), _results(twice)
    assert Counter(f["fingerprint"] for f in double["findings"]).most_common(1)[0][1] == 1, "no finding twice"
    assert sorted(f["fingerprint"] for f in double["findings"]) == sorted(f["fingerprint"] for f in single["findings"])
    assert {c["id"]: c["counts"] for c in double["controls"]} == {c["id"]: c["counts"] for c in single["controls"]}
    assert [len(double["inventory"][k]) for k in ("accounts", "identities", "credentials", "grants", "agents")] == [
        len(single["inventory"][k]) for k in ("accounts", "identities", "credentials", "grants", "agents")
    ]


def test_two_sources_that_read_one_record_differently_are_refused_naming_both(
    cli, demo_inventory: Path, tmp_path: Path
) -> None:
    document = json.loads(demo_inventory.read_text())
    changed = document["identities"][0]
    changed["created"] = "2019-01-01T00:00:00Z"
    other = tmp_path / "other.json"
    other.write_text(json.dumps(document))
    out = tmp_path / "out"
    outcome = cli("scan", f"inventory:{demo_inventory}", f"inventory:{other}", "-o", str(out), "--no-history", "-q")
    assert outcome.exit_code == 2
    assert (
        f"inventory:{demo_inventory} and inventory:{other} both read identity {changed['uid']} and differ about it"
        in outcome.output
    )
    assert not out.exists(), "nothing judged"


def _repository(root: Path, config: str) -> Path:
    root.mkdir(parents=True)
    (root / ".mcp.json").write_text(config)
    return root


def test_two_folders_read_as_one_repository_are_refused(cli, tmp_path: Path) -> None:
    """Two clones named alike without an origin remote: each agent's uid was ``repo/.mcp.json``,
    and the clean repository was reported failing with the other's token."""
    leaking = _repository(
        tmp_path / "a" / "repo", json.dumps({"mcpServers": {"gh": {"command": "npx", "env": {"GITHUB_TOKEN": TOKEN}}}})
    )
    clean = _repository(tmp_path / "b" / "repo", json.dumps({"mcpServers": {"fs": {"command": "npx"}}}))
    outcome = cli("scan", f"manifests:{leaking}", f"manifests:{clean}", "-o", str(tmp_path / "out"), "--no-history")
    assert outcome.exit_code == 2
    assert f"manifests:{leaking} and manifests:{clean} are both read as repository repo" in outcome.output
    assert TOKEN[4:20] not in outcome.output


def test_one_folder_named_twice_is_read_once(cli, tmp_path: Path) -> None:
    repository = _repository(
        tmp_path / "repo", json.dumps({"mcpServers": {"gh": {"command": "npx", "env": {"GITHUB_TOKEN": TOKEN}}}})
    )
    out = tmp_path / "out"
    cli(
        "scan",
        f"manifests:{repository}",
        f"manifests:{repository}",
        "--format",
        "json",
        "-o",
        str(out),
        "--no-history",
        "-q",
    )
    secrets = [f for f in _results(out)["findings"] if f["control_id"] == "NHI-SECRET-001"]
    assert [f["status"] for f in secrets] == ["fail"]


def test_one_folder_spelt_two_ways_is_read_once(cli, tmp_path: Path, monkeypatch) -> None:
    repository = _repository(
        tmp_path / "repo", json.dumps({"mcpServers": {"gh": {"command": "npx", "env": {"GITHUB_TOKEN": TOKEN}}}})
    )
    monkeypatch.chdir(repository)
    out = tmp_path / "out"
    outcome = cli("scan", "manifests:.", "manifests:./", f"manifests:{repository}", "--format", "json", "-o", str(out),
                  "--no-history", "-q")  # fmt: skip
    assert outcome.exit_code == 1, outcome.output
    results = _results(out)
    assert [f["status"] for f in results["findings"] if f["control_id"] == "NHI-SECRET-001"] == ["fail"]
    assert [(s["name"], s["account"]) for s in results["scan"]["sources"]] == [("manifests", "repo")]


def test_a_source_named_twice_is_listed_once(cli, tmp_path: Path) -> None:
    out = tmp_path / "out"
    cli("scan", "demo", "demo", "--format", "json", "-o", str(out), "--no-history", "-q")
    sources = [(s["name"], s["account"]) for s in _results(out)["scan"]["sources"]]
    assert len(sources) == len(set(sources)) == 8


def test_exports_in_two_file_sources_merge_as_in_one(cli, tmp_path: Path) -> None:
    """Two folders of one organisation's exports, each listing its trail (one with the trail's
    event selectors): given as two sources they were refused as disagreeing about the trail,
    though one source of both folders merges them by resource id."""
    realworld = SHARED / "realworld" / "aws"
    first, second = tmp_path / "dev", tmp_path / "mgmt"
    for folder in (first, second):
        folder.mkdir()
        shutil.copy(realworld / "custodian-placebo-cloudtrail-DescribeTrails.json", folder / "trails.json")
    shutil.copy(realworld / "custodian-placebo-cloudtrail-GetEventSelectors-management.json", second / "selectors.json")
    apart, together = tmp_path / "apart.json", tmp_path / "together.json"
    partial = "--allow-partial"  # trails alone: the account's identities and keys were not exported
    assert cli("inventory", f"file:{first}", f"file:{second}", "-o", str(apart), "-q", partial).exit_code == 0
    assert cli("inventory", f"file:{first},{second}", "-o", str(together), "-q", partial).exit_code == 0
    read = [json.loads(path.read_text()) for path in (apart, together)]
    assert read[0]["log_sources"] == read[1]["log_sources"] and read[0]["log_sources"]


def test_many_sources_are_listed_once_in_bounded_time() -> None:
    """Each status was looked for in a list of those already kept: 4,000 accounts in two sources
    took 2 s, 20,000 would take about a minute."""
    import time
    from datetime import UTC, datetime

    from scanner.model import Inventory, SourceStatus
    from scanner.overlap import merged
    from scanner.sources import SourceSpec

    def read(accounts: range) -> Inventory:
        return Inventory(collected_at=datetime(2026, 12, 1, tzinfo=UTC),
                         sources=[SourceStatus("aws", f"{n:012d}") for n in accounts])  # fmt: skip

    started = time.perf_counter()
    one = merged([(SourceSpec("aws", "a"), read(range(20_000))), (SourceSpec("aws", "b"), read(range(10_000, 30_000)))])
    assert len(one.sources) == 30_000
    assert time.perf_counter() - started < 10


def test_what_one_source_read_twice_itself_is_left_as_a_scan_of_it_alone_leaves_it() -> None:
    """Only copies from two sources are compared: one source's own records stay as it read them,
    as they do when it is scanned alone."""
    from datetime import UTC, datetime

    from scanner.model import Grant, Inventory
    from scanner.overlap import merged
    from scanner.sources import SourceSpec

    when = datetime(2026, 12, 1, tzinfo=UTC)
    twice = [Grant("role/a", "policy", "p", actions=["s3:GetObject"]), Grant("role/a", "policy", "p", actions=["*"])]
    one = merged([(SourceSpec("aws", "a"), Inventory(collected_at=when, grants=twice)),
                  (SourceSpec("demo"), Inventory(collected_at=when))])  # fmt: skip
    assert one.grants == twice


@pytest.mark.parametrize("sources", [["file:{a}", "file:{b}"], ["file:{a},{b}"]], ids=["two sources", "one source"])
def test_a_folder_of_no_export_beside_another_is_refused_as_when_alone(cli, tmp_path: Path, sources) -> None:
    """Read as one source, a folder holding no export beside one that does was only a gap (exit 3,
    or 0 with --allow-partial): a wrong path passed. Alone it was, and is, refused."""
    exports, wrong = tmp_path / "exports", tmp_path / "wrong"
    exports.mkdir()
    wrong.mkdir()
    shutil.copy(SHARED / "realworld" / "aws" / "custodian-credential-report.csv", exports)
    (wrong / "notes.json").write_text('{"hello": 1}')
    named = [s.format(a=exports, b=wrong) for s in sources]
    outcome = cli("scan", *named, "--allow-partial", "--fail-on", "none", "-o", str(tmp_path / "out"), "--no-history")
    assert outcome.exit_code == 2
    assert f"{wrong}: no recognised export (1 files read): notes.json" in outcome.output


PROJECT_OPEN = Path(__file__).parent / "data" / "overlap" / "project-open.json"  # NHI-PRIV-014 (critical) fails on it


def test_two_sources_that_read_one_account_differently_are_refused_whichever_comes_first(cli, tmp_path: Path) -> None:
    """The first read of an account stood and the other was dropped without a word: a project read
    once with its workload identity provider's condition and once without passed or failed by the
    order of the sources."""
    document = json.loads(PROJECT_OPEN.read_text())
    provider = document["accounts"][0]["attributes"]["workload_identity_providers"][0]
    provider["attribute_condition"] = "assertion.repository == 'acme/deploy'"
    restricted = tmp_path / "restricted.json"
    restricted.write_text(json.dumps(document))
    for first, second in ((restricted, PROJECT_OPEN), (PROJECT_OPEN, restricted)):
        outcome = cli("scan", f"inventory:{first}", f"inventory:{second}", "-o", str(tmp_path / "out"), "--no-history")
        assert outcome.exit_code == 2
        assert "both read account p1 and differ about it" in " ".join(outcome.output.split())


def test_a_repository_named_like_a_project_is_another_account(cli, tmp_path: Path) -> None:
    repository = tmp_path / "p1"
    repository.mkdir()
    (repository / ".mcp.json").write_text(
        json.dumps({"mcpServers": {"time": {"command": "uvx", "args": ["mcp-server-time==0.6.2"]}}})
    )
    out = tmp_path / "out"
    outcome = cli("scan", f"manifests:{repository}", f"inventory:{PROJECT_OPEN}", "--format", "json", "-o", str(out),
                  "--no-history", "-q", "--fail-on", "critical")  # fmt: skip
    assert outcome.exit_code == 1, "the project's critical failure stands"
    results = _results(out)
    assert sorted((a["provider"], a["uid"]) for a in results["inventory"]["accounts"]) == [
        ("gcp", "p1"),
        ("manifest", "p1"),
    ]
    assert any(f["control_id"] == "NHI-PRIV-014" and f["status"] == "fail" for f in results["findings"])


def test_copies_that_differ_only_in_the_order_of_a_list_are_one_record(
    cli, demo_inventory: Path, tmp_path: Path
) -> None:
    document = json.loads(demo_inventory.read_text())
    grant = next(g for g in document["grants"] if len(g["actions"]) > 1)
    grant["actions"].reverse()
    reordered = tmp_path / "reordered.json"
    reordered.write_text(json.dumps(document))
    outcome = cli("scan", f"inventory:{demo_inventory}", f"inventory:{reordered}", "--format", "json",
                  "-o", str(tmp_path / "out"), "--no-history", "-q")  # fmt: skip
    assert outcome.exit_code != 2, outcome.output
    assert Counter(f["fingerprint"] for f in _results(tmp_path / "out")["findings"]).most_common(1)[0][1] == 1
