"""A token replaced under the same key (or another pasted beside it) is a new exposure to revoke:
a --baseline gate marks the failures on it new, and so do ``nhiscan diff`` and the history's count
of new failures. Before, the gate failed while the diff of the same two scans listed nothing new
and the history counted 0 new: the failure's fingerprint names the control and the resource,
which a new token leaves as they were."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest
from sqlalchemy import select, update

from scanner.history.store import HistoryStore
from scanner.history.tables import scans

from .test_history_forged_index import forged_sections

GITHUB_TOKEN = "ghp_1234567890abcdefghijABCDEFGHIJ123456"
ANOTHER_TOKEN = "ghp_ZYXWVUTSRQ0987654321zyxwvutsrq654321"
SLACK_TOKEN = "xoxb-1234567890123-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"


def mcp_config(env: dict[str, str]) -> str:
    server = {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-github"], "env": env}
    return json.dumps({"mcpServers": {"github": server}})


class History:
    """Scans of one repository folder, each stored in one history and written to its own folder."""

    def __init__(self, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
        self.cli, self.tmp_path = cli, tmp_path
        self.repo = tmp_path / "repo"
        self.repo.mkdir()
        self.db = f"sqlite:///{tmp_path / 'history.db'}"
        self.scans: list[str] = []

    def scan(self, env: dict[str, str], *options: str) -> Path:
        return self.scan_files({"mcp.json": mcp_config(env)}, *options)

    def scan_files(self, files: dict[str, str], *options: str) -> Path:
        for name, text in files.items():
            (self.repo / name).parent.mkdir(parents=True, exist_ok=True)
            (self.repo / name).write_text(text)
        out = self.tmp_path / f"out{len(self.scans)}"
        args = ["scan", f"manifests:{self.repo}", "--db", self.db, "--format", "json", "-o", str(out), "-q"]
        done = self.cli(*args, *(options or ("--fail-on", "none")))
        assert done.exit_code in (0, 1), done.output  # --allow-partial where a file is not read whole
        self.scans.append(json.loads((out / "results.json").read_text())["scan"]["id"])
        return out / "results.json"

    def diff(self, *sides: str, fail_on: str = "none") -> tuple[int, dict]:  # type: ignore[type-arg]
        written = self.tmp_path / "drift.json"
        done = self.cli("diff", *sides, "--db", self.db, "-o", str(written), "--fail-on", fail_on)
        assert "Traceback" not in done.output
        return done.exit_code, json.loads(written.read_text())

    def new_counted(self) -> int | None:
        done = self.cli("history", "--db", self.db, "--format", "json")
        rows = json.loads(done.output)
        return next(row["new_failures"] for row in rows if row["id"] == self.scans[-1])


@pytest.fixture
def history(cli, tmp_path: Path) -> History:
    return History(cli, tmp_path)


def flagged(drift: dict) -> set[tuple[str, bool]]:  # type: ignore[type-arg]
    return {(f["control_id"], bool(f.get("secret_not_held_before"))) for f in drift["new_failures"]}


def test_a_token_replaced_under_the_same_key_is_new_in_the_diff_and_the_history_as_at_the_gate(history) -> None:
    before = history.scan({"GITHUB_PERSONAL_ACCESS_TOKEN": GITHUB_TOKEN})
    after = history.scan({"GITHUB_PERSONAL_ACCESS_TOKEN": ANOTHER_TOKEN})
    gated = history.scan({"GITHUB_PERSONAL_ACCESS_TOKEN": ANOTHER_TOKEN}, "--baseline", str(before))
    new_at_the_gate = {f["control_id"] for f in json.loads(gated.read_text())["findings"] if f.get("new")}
    assert new_at_the_gate == {"NHI-SECRET-001", "NHI-AGENT-005"}  # the failures naming the secret

    for sides in ([history.scans[0], history.scans[1]], [str(before), str(after)]):
        exit_code, drift = history.diff(*sides, fail_on="high")
        assert flagged(drift) == {(control, True) for control in new_at_the_gate}, sides
        assert not drift["resolved_failures"] and exit_code == 1, "the gate of the diff fails as the scan's did"
    history.scans.pop()  # the history's count of the scan after the replacement, not of the gated one
    assert history.new_counted() == 2


def test_the_same_token_again_or_one_taken_away_is_nothing_new(history) -> None:
    history.scan({"GITHUB_PERSONAL_ACCESS_TOKEN": GITHUB_TOKEN, "SLACK_BOT_TOKEN": SLACK_TOKEN})
    history.scan({"GITHUB_PERSONAL_ACCESS_TOKEN": GITHUB_TOKEN, "SLACK_BOT_TOKEN": SLACK_TOKEN})
    assert history.diff(history.scans[0], history.scans[1]) == (0, history.diff(*history.scans[:2])[1])
    assert not history.diff(history.scans[0], history.scans[1])[1]["new_failures"]
    assert history.new_counted() == 0
    history.scan({"GITHUB_PERSONAL_ACCESS_TOKEN": GITHUB_TOKEN})
    assert not history.diff(history.scans[1], history.scans[2])[1]["new_failures"]
    assert history.new_counted() == 0


def test_a_token_pasted_beside_the_one_held_is_new(history) -> None:
    history.scan({"GITHUB_PERSONAL_ACCESS_TOKEN": GITHUB_TOKEN})
    history.scan({"GITHUB_PERSONAL_ACCESS_TOKEN": GITHUB_TOKEN, "SLACK_BOT_TOKEN": SLACK_TOKEN})
    _, drift = history.diff(history.scans[0], history.scans[1])
    assert flagged(drift) == {("NHI-SECRET-001", True), ("NHI-AGENT-005", True)}
    assert [record["kind"] for record in drift["added"]] == ["plaintext_secret"]


GOOSE_CONFIG = f"""extensions:
  github:
    enabled: true
    type: stdio
    name: github
    cmd: npx
    args: ["-y", "@modelcontextprotocol/server-github"]
    envs:
      GITHUB_PERSONAL_ACCESS_TOKEN: {GITHUB_TOKEN}
"""
OPENAI_KEY = "sk-proj-" + "Lk4Mn7Pq2Rs9Tu3Vw8Xy1Za6Bc5De0Fg2Hi7Jk4Mn7Pq2Rs9T"


def test_a_secret_where_the_older_scan_did_not_read_every_credential_is_newly_assessed_not_new(history) -> None:
    """Goose keeps more secrets in secrets.yaml beside its config.yaml; the first scan could not
    read that file (YAML aliases, refused): the key found there now may have been there then."""
    unread = {"goose/config.yaml": GOOSE_CONFIG, "goose/secrets.yaml": "a: &x 1\nb: *x\n"}
    history.scan_files(unread, "--fail-on", "none", "--allow-partial")
    history.scan_files({"goose/secrets.yaml": f"OPENAI_API_KEY: {OPENAI_KEY}\n"})
    exit_code, drift = history.diff(history.scans[0], history.scans[1], fail_on="high")
    assert not drift["new_failures"]
    assert {(u["control_id"], u["reason"]) for u in drift["newly_assessed"]} == {
        ("NHI-SECRET-001", "part_not_read"),
        ("NHI-AGENT-005", "part_not_read"),
    }
    assert all(u["detail"].startswith("credentials of ") for u in drift["newly_assessed"])
    assert exit_code == 1, "not known to be old: the diff's gate does not pass on it"
    assert history.new_counted() == 0


def without_section(index: bytes, name: str) -> bytes:
    """A version 3 drift index without one of its sections, as an earlier nhiscan stored it."""
    return forged_sections(index, lambda sections: [(n, data) for n, data in sections if n != name])


def replaced_index(history: History, scan_id: str, change) -> None:  # type: ignore[no-untyped-def]
    store = HistoryStore(history.db)
    with store.engine.begin() as connection:
        index = connection.execute(select(scans.c.drift_index).where(scans.c.id == scan_id)).scalar_one()
        connection.execute(update(scans).where(scans.c.id == scan_id).values(drift_index=change(index)))


def test_a_scan_stored_before_its_secrets_were_kept_is_no_evidence_of_a_new_one(history) -> None:
    history.scan({"GITHUB_PERSONAL_ACCESS_TOKEN": GITHUB_TOKEN})
    history.scan({"GITHUB_PERSONAL_ACCESS_TOKEN": ANOTHER_TOKEN})
    replaced_index(history, history.scans[0], lambda index: without_section(index, "secrets"))
    assert HistoryStore(history.db).drift_side(history.scans[0]) is not None, "the index still serves"
    assert history.diff(history.scans[0], history.scans[1]) [1]["new_failures"] == []  # fmt: skip


def test_a_forged_secrets_section_is_refused_in_one_line(history, cli) -> None:
    import zlib

    history.scan({"GITHUB_PERSONAL_ACCESS_TOKEN": GITHUB_TOKEN})
    history.scan({"GITHUB_PERSONAL_ACCESS_TOKEN": ANOTHER_TOKEN})

    section = zlib.compress(orjson.dumps({"held": {"repo": [5]}, "not_read": []}))

    def forged(index: bytes) -> bytes:
        return forged_sections(index, lambda sections: [(n, section if n == "secrets" else d) for n, d in sections])

    replaced_index(history, history.scans[1], forged)
    done = cli("diff", history.scans[0], history.scans[1], "--db", history.db)
    assert done.exit_code == 2, done.output
    assert "Traceback" not in done.output and len(done.output.strip().splitlines()) == 1
    assert "drift index is not one this nhiscan reads" in done.output
    # the next scan, whose trend compares it with that one, is not stopped: its counts are not known
    history.scan({"GITHUB_PERSONAL_ACCESS_TOKEN": GITHUB_TOKEN})
    assert history.new_counted() is None


def test_a_database_fault_while_counting_against_the_earlier_scan_is_no_unknown_count(catalogs, tmp_path: Path) -> None:
    """Only a section of the earlier scan's index that cannot be read leaves the counts not known:
    a history that cannot be read stops the scan, as before, instead of storing a point whose
    counts say "not known" for good."""
    from datetime import timedelta

    from sqlalchemy import create_engine

    from scanner.history.store import HistoryError, trend_point
    from scanner.scan import ScanOptions, run_scan
    from scanner.sources import SourceSpec, collect

    from .test_history_forged_index import packed_as_written

    store = HistoryStore(f"sqlite:///{tmp_path / 'history.db'}")
    older = run_scan(collect(SourceSpec("demo")), catalogs, ScanOptions())
    store.save(older, packed_as_written(older))
    before = store.drift_side(older.scan.id)
    assert before is not None
    later = collect(SourceSpec("demo"))  # a year on: failures change, so the stored blocks are read
    newer = run_scan(later, catalogs, ScanOptions(as_of=later.collected_at + timedelta(days=400)))
    store.engine = create_engine(f"sqlite:///{tmp_path / 'gone' / 'history.db'}")
    with pytest.raises(HistoryError, match="unable to open database file"):
        trend_point(newer, before)
