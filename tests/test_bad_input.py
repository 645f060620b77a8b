"""Bad input gets one clear line naming the file and where, exit code 2, and never a traceback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from .conftest import REPO_ROOT

GOOD_CONTROL = (REPO_ROOT / "controls" / "ownership" / "NHI-OWN-001.yaml").read_text()


def line_of(needle: str, below: int = 0) -> str:
    """ ":N", N the line of GOOD_CONTROL first containing ``needle`` (plus ``below``)."""
    return f":{next(n for n, line in enumerate(GOOD_CONTROL.splitlines(), 1) if needle in line) + below}"


def control_dir(tmp_path: Path, name: str, text: str) -> Path:
    directory = tmp_path / "controls"
    directory.mkdir(exist_ok=True)
    (directory / name).write_text(text)
    return directory


CONTROL_CASES = [
    ("malformed YAML", "NHI-OWN-001.yaml", "id: [unclosed\n", "invalid YAML", ":2:1"),
    (
        "schema violation",
        "NHI-OWN-001.yaml",
        GOOD_CONTROL.replace("severity: medium", "severity: urgent"),
        "'urgent' is not one of",
        ":3",
    ),
    (
        "missing required key",
        "NHI-OWN-001.yaml",
        GOOD_CONTROL.replace("remediation:", "remedy:"),
        "'remediation' is a required property",
        ":1",
    ),
    (
        "unknown framework id",
        "NHI-OWN-001.yaml",
        GOOD_CONTROL.replace("nist-csf-2.0@2.0:", "nist-csf-9.9@2.0:"),
        "unknown framework id 'nist-csf-9.9'",
        line_of("nist-csf-2.0@2.0:", below=1),
    ),
    (
        "mapping written against another version of the catalog",
        "NHI-OWN-001.yaml",
        GOOD_CONTROL.replace("nist-csf-2.0@2.0:", "nist-csf-2.0@1.1:"),
        "mapped against nist-csf-2.0 version 1.1 but the loaded catalog is version 2.0",
        line_of("nist-csf-2.0@2.0:", below=1),
    ),
    (
        "unknown framework item",
        "NHI-OWN-001.yaml",
        GOOD_CONTROL.replace('"GV.RR-02"', '"GV.RR-99"'),
        "framework nist-csf-2.0 has no item 'GV.RR-99'",
        line_of("nist-csf-2.0@2.0:", below=1),
    ),
    (
        "mapping without a relationship",
        "NHI-OWN-001.yaml",
        GOOD_CONTROL.replace("relationship: supporting, ", "", 1),
        "'relationship' is a required property",
        line_of("owasp-nhi-top10-2025@2025:", below=1),
    ),
    (
        "mapping in the untyped format of earlier releases",
        "NHI-OWN-001.yaml",
        GOOD_CONTROL.replace(
            'csa-aicm@1.1.0:\n    - {item: "IAM-03"', 'csa-aicm: [IAM-03]\n  x@1:\n    - {item: "IAM-03"'
        ),
        "framework mapping 'csa-aicm' names no catalog version: write 'csa-aicm@<version>:'",
        line_of("csa-aicm@1.1.0:"),
    ),
    (
        "unknown field in a condition",
        "NHI-OWN-001.yaml",
        GOOD_CONTROL.replace("field: owner,", "field: proprietor,"),
        "unknown field 'proprietor' for resource type identity",
        line_of("field: owner,"),
    ),
    (
        "unknown parameter",
        "NHI-OWN-001.yaml",
        GOOD_CONTROL.replace("exists: true}", "exists: '{strict}'}", 1),
        "unknown parameter {strict}",
        line_of("exists: true}"),
    ),
    ("id differs from file name", "NHI-OWN-999.yaml", GOOD_CONTROL, "does not match its file name", ":1"),
]


@pytest.mark.parametrize(
    ("case", "name", "text", "message", "location"), CONTROL_CASES, ids=[c[0] for c in CONTROL_CASES]
)
def test_broken_controls(cli, tmp_path: Path, case: str, name: str, text: str, message: str, location: str) -> None:
    directory = control_dir(tmp_path, name, text)
    result = cli("scan", "demo", "--controls", str(directory), "--output-dir", str(tmp_path / "out"))
    assert result.exit_code == 2
    assert message in result.output
    assert f"{directory / name}{location}" in result.output
    assert result.output.count("\n") == 1 and "Traceback" not in result.output
    assert not (tmp_path / "out").exists(), "nothing is written when the input is invalid"


def test_a_control_duplicating_a_bundled_id_is_rejected(cli, tmp_path: Path) -> None:
    directory = control_dir(tmp_path, "NHI-OWN-001.yaml", GOOD_CONTROL)
    result = cli("scan", "demo", "--controls", str(directory))
    assert result.exit_code == 2 and "is also defined in" in result.output


@pytest.mark.parametrize(
    ("mapped", "guide"),
    [
        ("cis-aws-foundations@3.0.0", ["frameworks", "show", "cis-aws-foundations", "--from-version", "3.0.0"]),
        ("nist-csf-2.0@1.1", ["frameworks", "show", "nist-csf-2.0"]),
    ],
)
def test_a_mapping_of_another_catalog_version_names_a_command_that_works(
    cli, tmp_path: Path, mapped: str, guide: list[str]
) -> None:
    """The crosswalk from the mapped version where the catalog has one; else the catalog's items
    (before, it suggested --from-version 1.1, which nist-csf-2.0 has no crosswalk for)."""
    text = GOOD_CONTROL.replace("nist-csf-2.0@2.0:", f"{mapped}:").replace("id: NHI-OWN-001", "id: ORG-OWN-001")
    refused = cli("controls", "validate", str(control_dir(tmp_path, "ORG-OWN-001.yaml", text)))
    assert refused.exit_code == 2
    assert f"(`nhiscan {' '.join(guide)}`" in refused.output
    assert cli(*guide).exit_code == 0


def test_a_failing_embedded_test_case_fails_validation(cli, tmp_path: Path) -> None:
    broken = GOOD_CONTROL.replace(
        "  - name: a role without owner fails\n    expect: fail",
        "  - name: a role without owner fails\n    expect: pass",
    )
    directory = control_dir(tmp_path, "ORG-OWN-001.yaml", broken.replace("id: NHI-OWN-001", "id: ORG-OWN-001"))
    result = cli("controls", "validate", str(directory))
    assert result.exit_code == 2
    assert "test 'a role without owner fails': expected pass, got fail" in result.output


def test_controls_validate_judges_a_directory_as_a_scan_with_it_would(cli, tmp_path: Path) -> None:
    """An id a bundled control holds is refused by both (before: validate passed, the scan refused
    it); an organisation's catalog item naming a bundled control is accepted by both (before: the
    reverse); a control without both a failing and a passing case is refused."""
    (tmp_path / "clash").mkdir()
    clash = control_dir(tmp_path / "clash", "NHI-OWN-001.yaml", GOOD_CONTROL)
    validated = cli("controls", "validate", str(clash))
    assert validated.exit_code == 2 and "is also defined in" in validated.output
    org = tmp_path / "org"
    (org / "frameworks").mkdir(parents=True)
    (org / "frameworks" / "acme-policy.yaml").write_text(
        "id: acme-policy\nname: ACME identity policy\nversion: '2026.1'\nitems:\n"
        "  - id: AC-1\n    title: Keys rotate every quarter\n"
        "    controls: [{id: NHI-CRED-001, relationship: direct, rationale: The default limit is ours.}]\n"
    )
    (org / "ORG-OWN-001.yaml").write_text(GOOD_CONTROL.replace("id: NHI-OWN-001", "id: ORG-OWN-001"))
    validated = cli("controls", "validate", str(org))
    assert validated.exit_code == 0, validated.output
    assert validated.output.startswith("1 controls valid")
    assert cli("scan", "demo", "--controls", str(org), "-q", "--no-history", "-o", str(tmp_path / "out")).exit_code in (
        0,
        1,
    )
    failing_only = GOOD_CONTROL.replace("id: NHI-OWN-001", "id: ORG-OWN-002").replace("expect: pass", "expect: fail")
    (tmp_path / "one").mkdir()
    one_sided = control_dir(tmp_path / "one", "ORG-OWN-002.yaml", failing_only)
    validated = cli("controls", "validate", str(one_sided))
    assert validated.exit_code == 2 and "needs at least one failing and one passing test case" in validated.output


INVENTORY_CASES = [
    (
        "truncated JSON",
        '{"schema_version": "1.0", "collected_at": "2026-01-01T00:00:00Z", "identities": [',
        "invalid JSON",
        ":1:",
    ),
    (
        "wrong schema",
        '{"schema_version": "1.0", "collected_at": "2026-01-01T00:00:00Z", "identities": [{}]}',
        "'uid' is a required property",
        ":$.identities[0]",
    ),
    ("a list instead of an object", "[]", "not an nhiscan inventory", ":$"),
    ("another tool's export", '{"UserDetailList": [], "RoleDetailList": []}', "is a required property", ":$"),
    ("binary data", "\x00\x01\x02", "binary file", ""),
]


@pytest.mark.parametrize(
    ("case", "content", "message", "location"), INVENTORY_CASES, ids=[c[0] for c in INVENTORY_CASES]
)
def test_broken_inventory_snapshots(cli, tmp_path: Path, case: str, content: str, message: str, location: str) -> None:
    path = tmp_path / "snap.json"
    path.write_text(content)
    result = cli("scan", f"inventory:{path}", "--output-dir", str(tmp_path / "out"))
    assert result.exit_code == 2
    assert message in result.output
    assert f"{path}{location}" in result.output
    assert result.output.count("\n") == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["scan", "inventory:/no/such/snapshot.json"], "/no/such/snapshot.json: no such file"),
        (["scan", "demo", "--waivers", "/no/such/waivers.yaml"], "/no/such/waivers.yaml: no such file"),
        (["scan", "demo", "--baseline", "/no/such/results.json"], "/no/such/results.json: no such file"),
        (["scan", "demo", "--controls", "/no/such/dir"], "/no/such/dir: controls directory not found"),
        (["scan", "inventory:/tmp"], "/tmp: is a directory"),
    ],
)
def test_missing_paths(cli, args: list[str], message: str) -> None:
    result = cli(*args)
    assert result.exit_code == 2
    assert message in result.output


def test_a_bad_waiver_date_names_the_line(cli, tmp_path: Path) -> None:
    path = tmp_path / "waivers.yaml"
    path.write_text(
        "waivers:\n  - control: NHI-CRED-001\n    resource: 'arn:aws:iam::*'\n"
        "    owner: a\n    reason: b\n    expires: 31/12/2026\n"
    )
    result = cli("scan", "demo", "--waivers", str(path))
    assert result.exit_code == 2
    assert f"{path}:6: '31/12/2026' is not a date" in result.output


def test_a_broken_framework_catalog_in_a_controls_directory(cli, tmp_path: Path) -> None:
    directory = tmp_path / "org"
    (directory / "frameworks").mkdir(parents=True)
    catalog = directory / "frameworks" / "acme.yaml"
    catalog.write_text("id: acme\nname: Acme\nversion: 1\nitems:\n  - {id: A-1}\n")
    result = cli("scan", "demo", "--controls", str(directory))
    assert result.exit_code == 2
    assert f"{catalog}:5: 'title' is a required property" in result.output


def test_an_unwritable_output_directory_is_one_line(cli, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the output directory should be")
    result = cli("scan", "demo", "--output-dir", str(blocker / "out"))
    assert result.exit_code == 2
    assert result.output.startswith("nhiscan: error: ") and "cannot write" in result.output
    assert result.output.count("\n") == 1


def test_a_catalog_listing_an_unknown_control_is_rejected(cli, tmp_path: Path) -> None:
    directory = tmp_path / "org"
    (directory / "frameworks").mkdir(parents=True)
    catalog = directory / "frameworks" / "acme.yaml"
    catalog.write_text(
        "id: acme\nname: Acme\nversion: 1\nitems:\n  - {id: A-1, title: Keys rotate, controls: [NHI-NOPE-1]}\n"
    )
    result = cli("frameworks", "show", "acme", "--controls", str(directory))
    assert result.exit_code == 2
    assert f"{catalog}: item A-1 lists unknown control(s) NHI-NOPE-1" in result.output


def test_a_catalog_can_map_existing_controls_to_an_organisations_framework(cli, tmp_path: Path) -> None:
    directory = tmp_path / "org"
    (directory / "frameworks").mkdir(parents=True)
    (directory / "frameworks" / "acme.yaml").write_text(
        "id: acme\nname: Acme\nversion: 1\nitems:\n  - {id: A-1, title: Keys rotate, controls: [NHI-CRED-001]}\n"
    )
    result = cli("frameworks", "show", "acme", "--controls", str(directory))
    assert result.exit_code == 0 and "NHI-CRED-001" in result.output
    out = tmp_path / "out"
    cli("scan", "demo", "-q", "--controls", str(directory), "--framework", "acme", "--output-dir", str(out))
    results = json.loads((out / "results.json").read_text())
    assert [c["id"] for c in results["controls"]] == ["NHI-CRED-001"]
    assert results["controls"][0]["frameworks"]["acme"] == ["A-1"]
    assert results["frameworks"][0]["items"][0]["status"] == "fail"


def test_validating_an_empty_directory_is_an_error(cli, tmp_path: Path) -> None:
    result = cli("controls", "validate", str(tmp_path))
    assert result.exit_code == 2 and "no control files" in result.output


@pytest.mark.parametrize("args", [["scan", "inventory:/proc/self/mem"], ["report", "/proc/self/mem"]])
def test_a_file_the_system_fails_to_read_is_one_line(cli, tmp_path: Path, args: list[str]) -> None:
    """/proc/self/mem answers a read at its start with EIO, as a failing disk does: the file cannot
    be read, which is the input's fault (exit 2), not an internal error (exit 4)."""
    done = cli(*args, "--no-history" if args[0] == "scan" else "--format", *([] if args[0] == "scan" else ["md"]),
               "-o", str(tmp_path / "out"))  # fmt: skip
    assert done.exit_code == 2
    assert done.output == "nhiscan: error: /proc/self/mem: cannot read: Input/output error\n"


def test_a_large_file_whose_reading_fails_partway_is_one_line(cli, tmp_path: Path, monkeypatch) -> None:
    """A results.json read line by line meets the failure after its first pieces."""
    from scanner import streamed_json
    from scanner.resources import demo_inventory_file

    scanned = cli("scan", f"inventory:{demo_inventory_file()}", "--format", "json", "--no-history",
                  "-o", str(tmp_path / "scan"))  # fmt: skip
    assert scanned.exit_code == 1, scanned.output
    monkeypatch.setattr(streamed_json, "STREAM_FROM_BYTES", 0)
    monkeypatch.setattr(streamed_json, "_PIECE", 4096)
    real_open = Path.open
    results = tmp_path / "scan" / "results.json"

    class FailingAfterAPiece:
        def __init__(self, stream: Any) -> None:
            self.stream, self.pieces = stream, 0

        def read(self, size: int) -> bytes:
            self.pieces += 1
            if self.pieces > 2:
                raise OSError(5, "Input/output error")
            return self.stream.read(size)

        def __enter__(self) -> FailingAfterAPiece:
            return self

        def __exit__(self, *exc: object) -> None:
            self.stream.close()

    def open_failing(path: Path, *args: Any, **kwargs: Any) -> Any:
        stream = real_open(path, *args, **kwargs)
        return FailingAfterAPiece(stream) if path == results and "b" in stream.mode else stream

    monkeypatch.setattr(Path, "open", open_failing)
    done = cli("report", str(results), "--format", "md", "-o", str(tmp_path / "out"))
    assert (done.exit_code, done.output) == (2, f"nhiscan: error: {results}: cannot read: Input/output error\n")


def test_a_results_file_missing_a_field_the_schema_leaves_out_is_one_line(cli, tmp_path: Path) -> None:
    """The results schema leaves a control's rationale and remediation out of its required fields
    (files of every 1.x version have them); a file without them was an internal error (exit 4)."""
    from scanner.resources import demo_inventory_file

    scanned = cli("scan", f"inventory:{demo_inventory_file()}", "--format", "json", "--no-history",
                  "-o", str(tmp_path / "scan"))  # fmt: skip
    assert scanned.exit_code == 1, scanned.output
    results = tmp_path / "scan" / "results.json"
    results.write_text(results.read_text().replace('"remediation":', '"xremediation":', 1))
    done = cli("report", str(results), "--format", "md", "-o", str(tmp_path / "out"))
    assert (done.exit_code, done.output) == (2, f"nhiscan: error: {results}: a ControlSummary without 'remediation'\n")
