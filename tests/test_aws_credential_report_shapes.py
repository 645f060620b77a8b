"""A credential report nhiscan cannot read as AWS writes it is refused or leaves what it cannot say
unknown: a key state other than true or false, a console flag of another word, a column or a
field missing, a key used after the report was generated. Each case is the CloudMapper demo's
recorded report (unedited on disk) with one hostile change made in the test."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from scanner.errors import InputError
from scanner.sources.aws.credential_report import parse_report
from scanner.sources.aws.iam import build_iam

from .conftest import SHARED

RECORDED = SHARED / "realworld" / "aws" / "cloudmapper-demo-iam-get-credential-report.json"


def _recorded() -> tuple[dict[str, Any], list[str]]:
    export = json.loads(RECORDED.read_text())
    content = export["Content"]
    try:
        text = base64.b64decode(content, validate=True).decode()
    except ValueError:
        text = content
    return export, text.splitlines()


def _changed(lines: list[str], user: str, column: str, value: str) -> list[str]:
    header = lines[0].split(",")
    index = header.index(column)
    out = [lines[0]]
    for line in lines[1:]:
        fields = line.split(",")
        if fields[0] == user:
            fields[index] = value
        out.append(",".join(fields))
    return out


def _scan(cli, tmp_path: Path, export: dict[str, Any], lines: list[str]):
    path = tmp_path / "credential-report.json"
    path.write_text(json.dumps({**export, "Content": base64.b64encode("\n".join(lines).encode()).decode()}))
    # a credential report alone leaves the account's roles unread: partial, accepted here
    return cli("scan", f"file:{path}", "--no-history", "-o", str(tmp_path / "out"), "--format", "json", "-q",
               "--fail-on", "none", "--include-passed", "--allow-partial")  # fmt: skip


@pytest.mark.parametrize(
    ("state", "verdict"),
    [
        ("TRUE", "fail"),  # a report saved again by a spreadsheet (seen in Cloud Custodian's recordings)
        (" true", "fail"),
        ("yes", "unknown"),  # neither true nor false: the root's key state is unknown
        ("1", "unknown"),
        ("t", "unknown"),
    ],
)
def test_the_root_keys_state_is_read_in_any_case_and_nothing_else(
    cli, tmp_path: Path, state: str, verdict: str
) -> None:
    export, lines = _recorded()
    outcome = _scan(cli, tmp_path, export, _changed(lines, "<root_account>", "access_key_1_active", state))
    assert outcome.exit_code == 0, outcome.output
    findings = json.loads((tmp_path / "out" / "results.json").read_text())["findings"]
    (root,) = [f for f in findings if f["control_id"] == "NHI-CRED-010"]
    assert root["status"] == verdict


def test_a_console_flag_of_another_word_leaves_console_access_unknown() -> None:
    _, lines = _recorded()
    rows = parse_report("\n".join(_changed(lines, "auditor_tmp", "password_enabled", "yes")))
    records = build_iam("123456789012", None, rows)
    (auditor,) = [i for i in records.identities if i.name == "auditor_tmp"]
    assert auditor.interactive is None and "interactive" in auditor.unknown


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (lambda lines: [",".join(line.split(",")[:10]) for line in lines], "missing columns"),
        (lambda lines: [lines[0], ",".join(lines[1].split(",")[:10]), *lines[2:]], "not as many fields as the header"),
        (lambda lines: [lines[0] + ",access_key_1_active", *(line + ",true" for line in lines[1:])],
         "columns named twice"),  # the last copy would have won
    ],
)  # fmt: skip
def test_a_report_missing_columns_or_fields_is_refused_in_one_line(cli, tmp_path: Path, change, said: str) -> None:
    export, lines = _recorded()
    outcome = _scan(cli, tmp_path, export, change(lines))
    assert outcome.exit_code == 2 and "Traceback" not in outcome.output, outcome.output
    assert said in " ".join(outcome.output.split())
    with pytest.raises(InputError):
        parse_report("\n".join(change(lines)))


def test_a_key_used_after_the_report_was_generated_has_its_last_use_unknown(cli, tmp_path: Path) -> None:
    export, lines = _recorded()
    future = _changed(lines, "<root_account>", "access_key_1_last_used_date", "2099-01-01T00:00:00+00:00")
    outcome = _scan(cli, tmp_path, export, future)
    assert outcome.exit_code == 0, outcome.output
    data = json.loads((tmp_path / "out" / "results.json").read_text())
    (key,) = [c for c in data["inventory"]["credentials"] if c["identity_uid"].endswith(":root")]
    assert key["last_used"] is None and "last_used" in key["unknown"]
    assert key["attributes"]["reported_last_used"].startswith("2099-01-01")
    (root,) = [i for i in data["inventory"]["identities"] if i["kind"] == "root"]
    assert root["last_used"] is None and "last_used" in root["unknown"], "the root's last use was the key's"
    assert data["scan"]["as_of"].startswith("2019-05-07"), "judged at the report's time: the date says nothing of it"


def test_a_field_past_the_csv_readers_limit_is_refused_in_one_line(cli, tmp_path: Path) -> None:
    export, lines = _recorded()
    outcome = _scan(cli, tmp_path, export, _changed(lines, "auditor_tmp", "user", "a" * 200_000))
    assert outcome.exit_code == 2 and "Traceback" not in outcome.output and "internal error" not in outcome.output
