"""An ``--as-of`` before the records were read: a key created since, or used since, has no age on
that day (it did not exist yet; its use then is not in the evidence). Its age is unknown. Before,
it was negative and passed every age limit: a key 334 days old on the day it was read passed
NHI-CRED-001 ("rotated within 90 days") judged six months earlier, and the gate exited 0."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ACCOUNT = "111122223333"
USER = f"arn:aws:iam::{ACCOUNT}:user/svc-a"


def _inventory() -> dict[str, Any]:
    return {
        "schema_version": "1.0",
        "collected_at": "2026-12-01T00:00:00Z",
        "accounts": [{"uid": ACCOUNT, "provider": "aws", "name": "acct", "kind": "account"}],
        "identities": [
            {"uid": USER, "provider": "aws", "account": ACCOUNT, "kind": "user", "name": "svc-a",
             "owner": "team@example.com", "created": "2020-01-01T00:00:00Z", "last_used": "2026-11-30T00:00:00Z",
             "interactive": False}
        ],
        "credentials": [
            {"uid": f"{USER}#access_key:AKIA…AXYZ", "identity_uid": USER, "kind": "access_key",
             "created": "2026-01-01T00:00:00Z", "last_used": "2026-11-30T00:00:00Z", "last_rotated": None,
             "expires": None, "active": True,
             "managed_by_provider": False, "attributes": {"display_id": "AKIA…"}}
        ],
        "sources": [{"name": "aws", "account": ACCOUNT, "status": "complete"}],
    }  # fmt: skip


def _statuses(cli: Any, tmp_path: Path, *options: str) -> dict[str, str]:
    path = tmp_path / "inventory.json"
    path.write_text(json.dumps(_inventory()))
    out = tmp_path / "-".join(options or ("read",))
    outcome = cli("scan", f"inventory:{path}", "--format", "json", "-o", str(out), "--no-history", "-q",
                  "--include-passed", "--fail-on", "none", *options)  # fmt: skip
    assert outcome.exit_code == 0, outcome.output
    findings = json.loads((out / "results.json").read_text())["findings"]
    return {f["control_id"]: f["status"] for f in findings if f["resource"]["type"] == "credential"}


def test_a_key_created_after_the_time_judged_has_no_age_then(cli, tmp_path: Path) -> None:
    assert _statuses(cli, tmp_path)["NHI-CRED-001"] == "fail", "334 days old when read"
    before = _statuses(cli, tmp_path, "--as-of", "2025-06-01")
    assert before["NHI-CRED-001"] == "unknown", "created seven months after the day judged"
    assert before["NHI-CRED-002"] == "unknown", "its last use is after the day judged"
    assert "pass" not in {before[c] for c in ("NHI-CRED-001", "NHI-CRED-002", "NHI-CRED-003")}


def test_a_key_first_seen_used_after_the_time_judged_is_not_known_used_then(cli, tmp_path: Path) -> None:
    """NHI-CRED-003 ("used at least once"): the last use read is after the day judged, and whether
    the key was used before that day is not in the evidence. Reading ``last_used`` as present
    passed it judged on a day it may never have been used."""
    assert _statuses(cli, tmp_path)["NHI-CRED-003"] == "pass", "used the day before it was read"
    assert _statuses(cli, tmp_path, "--as-of", "2026-06-01")["NHI-CRED-003"] == "unknown"
    assert _statuses(cli, tmp_path, "--as-of", "2026-12-01")["NHI-CRED-003"] == "pass"


def test_judged_later_the_same_key_only_ages(cli, tmp_path: Path) -> None:
    assert _statuses(cli, tmp_path, "--as-of", "2026-12-31")["NHI-CRED-001"] == "fail"
    assert _statuses(cli, tmp_path, "--as-of", "2026-01-15")["NHI-CRED-001"] == "pass", "14 days old then"


def test_a_key_used_while_a_live_scan_reads_is_zero_days_unused_not_unknown(cli, tmp_path: Path) -> None:
    """A live scan's collection time is when it began: a key used minutes later (the scanner's own,
    or any busy workload's) is used, not unknown, and its age is 0 days."""
    inventory = _inventory()
    inventory["credentials"][0]["last_used"] = "2026-12-01T00:05:00Z"
    inventory["identities"][0]["last_used"] = "2026-12-01T00:05:00Z"
    path = tmp_path / "inventory.json"
    path.write_text(json.dumps(inventory))
    out = tmp_path / "out"
    outcome = cli("scan", f"inventory:{path}", "--format", "json", "-o", str(out), "--no-history", "-q",
                  "--include-passed", "--fail-on", "none")  # fmt: skip
    assert outcome.exit_code == 0, outcome.output
    found = {
        (f["control_id"], f["resource"]["type"]): f["status"]
        for f in json.loads((out / "results.json").read_text())["findings"]
    }
    assert found[("NHI-CRED-002", "credential")] == "pass"
    assert found[("NHI-OWN-003", "identity")] == "pass"


def test_a_date_long_after_the_read_is_unknown_not_zero(cli, tmp_path: Path) -> None:
    inventory = _inventory()
    inventory["credentials"][0]["created"] = "2099-01-01T00:00:00Z"
    path = tmp_path / "inventory.json"
    path.write_text(json.dumps(inventory))
    out = tmp_path / "out"
    cli("scan", f"inventory:{path}", "--format", "json", "-o", str(out), "--no-history", "-q", "--fail-on", "none")
    found = {f["control_id"]: f["status"] for f in json.loads((out / "results.json").read_text())["findings"]}
    assert found["NHI-CRED-001"] == "unknown"


def _unknown_findings(cli: Any, tmp_path: Path, inventory: dict[str, Any], *options: str) -> dict[str, Any]:
    path = tmp_path / "inventory.json"
    path.write_text(json.dumps(inventory))
    out = tmp_path / "out"
    outcome = cli("scan", f"inventory:{path}", "--format", "json", "-o", str(out), "--no-history", "-q",
                  "--fail-on", "none", *options)  # fmt: skip
    assert outcome.exit_code == 0, outcome.output
    findings = json.loads((out / "results.json").read_text())["findings"]
    return {f["control_id"]: f for f in findings if f["resource"]["type"] == "credential" and f["status"] == "unknown"}


def test_an_age_unknown_because_its_date_is_after_the_day_judged_says_so_not_that_it_was_not_collected(
    cli, tmp_path: Path
) -> None:
    """The key's creation and last use were read; judged on a day before them, its ages are unknown.
    The finding said "age_days not collected" (and its evidence "not collected"): a reader went
    looking for a gap in the collection that was not there."""
    found = _unknown_findings(cli, tmp_path, _inventory(), "--as-of", "2025-06-01")
    rotated, used, ever_used = found["NHI-CRED-001"], found["NHI-CRED-002"], found["NHI-CRED-003"]
    assert rotated["message"].endswith(
        "could not be assessed (days_since_rotated counted from a date after the day judged)"
    )
    assert rotated["evidence"]["days_since_rotated"] == "counted from a date after the day judged"
    assert used["message"].endswith("(days_since_used counted from a date after the day judged)")
    # NHI-CRED-003 judges keys older than a few days: its scope is unknown too
    assert ever_used["message"].endswith("(days_since_used, age_days counted from a date after the day judged)")
    assert "not collected" not in json.dumps([rotated, used, ever_used])


def test_an_age_whose_date_was_not_collected_is_still_named_not_collected(cli, tmp_path: Path) -> None:
    inventory = _inventory()
    inventory["credentials"][0]["created"] = None
    inventory["credentials"][0]["unknown"] = ["created"]
    found = _unknown_findings(cli, tmp_path, inventory, "--as-of", "2025-06-01")
    assert "created not collected" in found["NHI-CRED-001"]["message"]
    assert found["NHI-CRED-001"]["evidence"]["days_since_rotated"] == "not collected"
