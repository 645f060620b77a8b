"""Secrets written where a manifest's author would not look for them, or written oddly, never
reach an output, and text shaped to make a pattern search again and again is read in bounded time.
Each case was found leaking (or hanging a scan) by a hostile-input review; the secrets are fakes
in the providers' formats."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from scanner.model import Identity, Inventory
from scanner.redact import redact_inventory, redact_text
from scanner.sources.manifests.formats import load_document

CAPABILITIES = """\
nhiscan: agent/v1
name: release-bot
owner: platform-team
tools:
  - name: github
    capabilities: ["ghp_R8x2Kq9ZmT4vLp7WnB3cYd6FhJ1sGe5AoU0i", "token=wJ8rXUtnFEMIq7K7MDENGzbPxRfiCYq3x9KLm2Pz",
                   "postgres://app:Tr0ub4dorXqZv93kCap@db/prod"]
"""
# a name and an owner whose secret follows a no-break space and a vertical tab
ODD_SPACES = (
    'nhiscan: agent/v1\nname: "bot password\\u00a0Tr0ub4dorXqZv93kName"\n'
    'owner: "token\\x0b8f3kq9ZxLm2Vt7Rp4Wn6Yb1Hc5Jd0Gs"\n'
)
AT_IN_PASSWORD = {
    "mcpServers": {
        "remote-at": {"type": "http", "url": "https://svc:Tr0ub@4dorXqZv93kUrl@mcp.example.com/sse"},
        "uvx-index": {
            "command": "uvx",
            "args": ["--index-url", "https://deploy:Hx7pQ2@mVz9KdL4wBIdx@pypi.corp.example/simple", "mcp-server"],
        },
        "pgcmd": {
            "command": "npx -y @modelcontextprotocol/server-postgres postgresql://app:Tr0ub#4dorXqZv93kPg@db:5432/p"
        },
        "db password\u00a0Hx7pQ2mVz9KdL4wBSrv": {"command": "npx", "args": ["-y", "x"]},
    }
}
# what of each secret may not appear anywhere: its distinctive middle
SECRET_PARTS = [
    "Kq9ZmT4vLp7WnB3cYd6F",
    "MDENGzbPxRfiCYq3x9KL",
    "4dorXqZv93kCap",
    "4dorXqZv93kName",
    "Vt7Rp4Wn6Yb1Hc5Jd0Gs",
    "4dorXqZv93kUrl",
    "mVz9KdL4wBIdx",
    "4dorXqZv93kPg",
    "mVz9KdL4wBSrv",
]


def test_no_secret_written_in_an_odd_place_or_way_reaches_any_output(cli, tmp_path: Path) -> None:
    """A tool's declared capabilities were never redacted (an agent manifest may write anything
    there); a no-break space or a vertical tab between a secret's name and its value hid it from the
    first, fast search for anything secret (RE2's white space is ASCII's); a password holding "@"
    or "#" kept what followed its first "@" (the detector named it, the redaction missed it)."""
    manifests = tmp_path / "manifests"
    manifests.mkdir()
    (manifests / "bot.nhiscan.yaml").write_text(CAPABILITIES)
    (manifests / "odd.nhiscan.yaml").write_text(ODD_SPACES)
    (manifests / ".mcp.json").write_text(json.dumps(AT_IN_PASSWORD, ensure_ascii=False))
    out = tmp_path / "out"
    outcome = cli(
        "scan", f"manifests:{manifests}", "--format", "json,html,sarif,md,csv", "-o", str(out), "--no-history"
    )
    written = {path.name: path.read_text(encoding="utf-8") for path in out.iterdir()}
    assert {"results.json", "inventory.json", "report.html", "results.sarif"} <= set(written)
    data = json.loads(written["results.json"])
    assert any(g["name"] == "github" for g in data["inventory"]["grants"]), "the tool was read"
    for part in SECRET_PARTS:
        assert part not in outcome.output, part
        for name, text in written.items():
            assert part not in text and part not in json.dumps(text), (part, name)


@pytest.mark.parametrize("space", [chr(c) for c in range(0x3001) if chr(c).isspace()])
def test_every_white_space_python_knows_is_white_space_to_the_first_search(space: str) -> None:
    """The records' names are searched all at once, by RE2, for anything that may be a secret,
    and only then one by one: both searches know the same white space."""
    named = Identity(uid="u", provider="aws", account="1", kind="user", name=f"password{space}Tr0ub4dorXqZv93k")
    redact_inventory(Inventory(collected_at=datetime.now(UTC), identities=[named]))
    assert named.name == f"password{space}[REDACTED]"


def test_a_json_file_of_comments_never_closed_is_refused_in_bounded_time() -> None:
    """390 KB of "/*a" took three minutes: every "/*" was searched to the end of the file again."""
    started = time.perf_counter()
    with pytest.raises(ValueError, match="invalid JSON"):
        load_document('{"mcpServers": {}, ' + "/*a" * 130_000, ".mcp.json")
    assert time.perf_counter() - started < 10


def test_a_comment_never_closed_leaves_the_text_no_json_however_short() -> None:
    with pytest.raises(ValueError):
        load_document('{"mcpServers": {"a": {"command": "x"}}} /* "b": {"command": "y"}', ".mcp.json")
    with pytest.raises(ValueError):  # "/*/" opens a comment and closes none
        load_document('{"mcpServers": {"a": {"command": "x"}}} /*/', ".mcp.json")
    assert load_document('{"a": 1, /* c */ "b": [1, 2,], // d\n}', ".mcp.json") == {"a": 1, "b": [1, 2]}


def test_a_long_run_of_separators_is_read_in_bounded_time() -> None:
    """60 KB of "&" in a description took 80 s: each place in the run was tried again with every
    shorter run before it."""
    started = time.perf_counter()
    assert redact_text("a" + "&" * 60_000 + "a") == "a" + "&" * 60_000 + "a"
    assert time.perf_counter() - started < 10


def test_a_key_named_twice_is_named_in_the_gap_without_the_secret_it_holds(cli, tmp_path: Path) -> None:
    """The key is cut to 80 characters for the message: cut first, a token after 50 characters kept
    26 of its 36 characters, too few for redaction to know it as one."""
    token = "ghp_R8x2Kq9ZmT4vLp7WnB3cYd6FhJ1sGe5AoU0i"
    key = "k" * 50 + token
    manifests = tmp_path / "manifests"
    manifests.mkdir()
    (manifests / "dup.nhiscan.yaml").write_text(f"nhiscan: agent/v1\nname: x\ntags:\n  {key}: a\n  {key}: b\n")
    out = tmp_path / "out"
    cli("scan", f"manifests:{manifests}", "--format", "json", "-o", str(out), "--no-history", "-q")
    text = (out / "results.json").read_text()
    assert "is named twice in one mapping" in text
    assert token[4:20] not in text


# an unquoted value that begins with "!" is a YAML tag to the parser, one that begins with "*" an alias
UNQUOTED_PASSWORDS = ["!Xk9mQ2pL7vTr0ub4dor", "*Xk9mQ2pL7vTr0ub4dor"]


@pytest.mark.parametrize("password", UNQUOTED_PASSWORDS)
def test_an_unquoted_password_yaml_reads_as_a_tag_or_an_alias_is_not_repeated_in_the_gap(
    cli, tmp_path: Path, password: str
) -> None:
    """PyYAML quotes the tag it cannot read, and the gap repeated it in every output (an alias is
    refused by nhiscan's own loader, whose message never named it); the gap says where instead."""
    manifests = tmp_path / "manifests"
    manifests.mkdir()
    (manifests / "bot.nhiscan.yaml").write_text(f"nhiscan: agent/v1\nname: bot\nowner: {password}\n")
    out = tmp_path / "out"
    outcome = cli("scan", f"manifests:{manifests}", "--format", "json,html", "-o", str(out), "--no-history")
    results = (out / "results.json").read_text()
    assert "(at 3:8)" in results, "the gap still says where"
    for text in (outcome.output, results, (out / "report.html").read_text()):
        assert "Xk9mQ2pL7v" not in text


def test_an_unquoted_password_in_a_control_is_not_repeated_in_the_one_line_error(cli, tmp_path: Path) -> None:
    controls = tmp_path / "controls"
    controls.mkdir()
    (controls / "ORG-001.yaml").write_text(f"id: ORG-001\ntitle: !{UNQUOTED_PASSWORDS[0][1:]}\n")
    outcome = cli("scan", "demo", "--controls", str(controls), "-o", str(tmp_path / "out"))
    assert outcome.exit_code == 2
    assert "could not determine a constructor for the tag (not repeated)" in outcome.output
    assert "ORG-001.yaml:2:8" in outcome.output and "Xk9mQ2pL7v" not in outcome.output
