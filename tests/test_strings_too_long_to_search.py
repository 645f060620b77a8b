"""A string longer than any argument a program can be given (MAX_SEARCHED_LENGTH, Linux's 131,072
characters) is not searched for secrets: the search is linear, but a 16 MB command line took five
minutes and a 50 MB IAM user name 200 seconds and 4 GB, writing it three times into the outputs.

Such a string is never shown either, since it was never searched: it stands as its length and a
digest. Where a manifest launches or reaches a server with it (command, arguments,
environment, headers, URL) it leaves the file's credentials unknown (a named gap, the source partial);
a command or URL that long leaves what the server runs or where it is reached unknown. In any
source's record, the field it filled is unknown, so no control judges the stand-in. Free text (an
agent's instructions, a client's pasted history) has no such bound: it is searched whole.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from scanner.redact import redact_text
from scanner.scan import ScanOptions, run_scan
from scanner.secret_detection import MAX_SEARCHED_LENGTH
from scanner.sources import SourceSpec, collect

from .conftest import SHARED
from .hostile_cases import run_nhiscan

REALWORLD = SHARED / "realworld"
GITHUB_TOKEN = "ghp_" + "Wd3Fg6Hj9Kl2Zx5Cv8Bn1Mq4Rt7Yu0Io3Pa6"
# the shape that took longest: every "-p" is a password flag of some program, read word by word
FLAGS = "-p x " * (MAX_SEARCHED_LENGTH // 5 + 1)


def _manifest(tmp_path: Path, server_name: str, server: dict[str, object]) -> Path:
    (tmp_path / "repo").mkdir()
    (tmp_path / "repo" / ".mcp.json").write_text(json.dumps({"mcpServers": {server_name: server}}))
    return tmp_path / "repo"


def _statuses(inventory, catalogs) -> dict[str, str]:
    result = run_scan(inventory, catalogs, ScanOptions(keep_passed=True))
    return {f.control_id: f.status for f in result.findings if f.resource.type == "agent"}


def test_a_command_too_long_to_search_leaves_the_files_credentials_and_the_servers_launch_unknown(
    tmp_path: Path, catalogs
) -> None:
    command = FLAGS + GITHUB_TOKEN  # a token at its end is not looked for
    inventory = collect(SourceSpec("manifests", str(_manifest(tmp_path, "db", {"command": command}))))
    (status,) = inventory.sources
    assert status.status == "partial"
    (gap,) = status.errors
    assert (gap.call, gap.code) == ("read .mcp.json", "budget")
    assert f"longer than {MAX_SEARCHED_LENGTH:,} characters" in gap.message and "credentials are unknown" in gap.message
    assert "credentials" in inventory.agents[0].unknown
    (tool,) = inventory.grants
    assert "command" not in tool.attributes  # neither read nor kept
    assert {"attributes.command", "attributes.package", "attributes.package_pinned"} <= set(tool.unknown)
    assert _statuses(inventory, catalogs)["NHI-SECRET-001"] == "unknown"


def test_opencodes_environment_is_held_to_one_arguments_bound_as_env_is(tmp_path: Path, catalogs) -> None:
    """OpenCode names a server's environment ``environment``: a 15 MB value there was searched whole
    (34 s) and the file read as complete."""
    (tmp_path / "repo").mkdir()
    server = {"type": "local", "command": ["npx", "-y", "@acme/tool@1.0.0"], "environment": {"A": FLAGS}}
    (tmp_path / "repo" / "opencode.json").write_text(json.dumps({"mcp": {"db": server}}))
    inventory = collect(SourceSpec("manifests", str(tmp_path / "repo")))
    assert [s.status for s in inventory.sources] == ["partial"]
    assert _statuses(inventory, catalogs)["NHI-SECRET-001"] == "unknown"


@pytest.mark.parametrize(
    "server",
    [
        {"command": "npx", "env": {"OPTIONS": {"inner": FLAGS}}},
        {"command": "npx", "headers": {"X-Options": [{"deeper": {"still": FLAGS}}]}},
    ],
    ids=["env value's member", "header nested three deep"],
)
def test_a_string_nested_anywhere_under_a_launch_key_is_held_to_one_arguments_bound(
    tmp_path: Path, catalogs, server: dict[str, object]
) -> None:
    """Searched whole, a 16 MB string two levels under ``env`` took 30 s; it is no more an argument
    than one a level up, and is not searched either."""
    inventory = collect(SourceSpec("manifests", str(_manifest(tmp_path, "db", server))))
    (status,) = inventory.sources
    assert status.status == "partial"
    assert "credentials" in inventory.agents[0].unknown
    assert _statuses(inventory, catalogs)["NHI-SECRET-001"] == "unknown"


@pytest.mark.parametrize("where", ["server name", "url", "environment value", "args"])
def test_no_string_too_long_to_search_reaches_an_output(tmp_path: Path, where: str) -> None:
    hostile = "x" * MAX_SEARCHED_LENGTH + GITHUB_TOKEN
    server: dict[str, object] = {"command": "npx", "args": ["-y", "@acme/tool@1.0.0"]}
    name = "db"
    if where == "server name":
        name = hostile
    elif where == "url":
        server = {"url": "https://mcp.example.com/" + hostile}
    elif where == "environment value":
        server["env"] = {"NOTES": "a " + hostile}
    else:
        server["args"] = ["-y", "@acme/tool@1.0.0", hostile]
    _manifest(tmp_path, name, server)
    completed = run_nhiscan("scan", "manifests:repo", "--format", "json,html", "--no-history", cwd=tmp_path)
    assert completed.returncode == 3, completed.stderr  # partial: the file's credentials are unknown
    out = tmp_path / "nhiscan-out"
    for written in ("results.json", "inventory.json", "report.html"):
        text = (out / written).read_text()
        assert GITHUB_TOKEN not in text and "x" * 1000 not in text, written
    results = json.loads((out / "results.json").read_text())
    assert {f["status"] for f in results["findings"] if f["control_id"] == "NHI-SECRET-001"} == {"unknown"}


def test_a_plain_name_too_long_to_search_is_not_shown_either(tmp_path: Path) -> None:
    """Nothing in it looks like a secret, so redaction's first, cheap test passes it: its length
    alone keeps it out of the outputs."""
    _manifest(tmp_path, "a" * (MAX_SEARCHED_LENGTH + 1), {"command": "npx", "args": ["-y", "@acme/tool@1.0.0"]})
    run_nhiscan("scan", "manifests:repo", "--format", "json,html", "--no-history", cwd=tmp_path)
    for written in ("results.json", "inventory.json", "report.html"):
        assert "a" * 1000 not in (tmp_path / "nhiscan-out" / written).read_text(), written


def test_a_bridges_argument_too_long_to_search_leaves_where_it_is_reached_unknown(tmp_path: Path, catalogs) -> None:
    url = "http://mcp.example.com/sse?x=" + "a" * MAX_SEARCHED_LENGTH
    server = {"command": "npx", "args": ["-y", "mcp-remote@0.1.29", url]}
    inventory = collect(SourceSpec("manifests", str(_manifest(tmp_path, "remote", server))))
    (tool,) = inventory.grants
    assert "url" not in tool.attributes and "attributes.url" in tool.unknown
    assert _statuses(inventory, catalogs)["NHI-AGENT-010"] == "unknown"  # it passed


def test_an_attribute_too_long_to_search_is_unknown(tmp_path: Path) -> None:
    """Any source's attribute: what a control would read there is the stand-in, not the value."""
    from scanner.model import Grant, Inventory
    from scanner.redact import redact_inventory

    grant = Grant("agent", "tool", "remote", attributes={"url": "http://" + "a" * MAX_SEARCHED_LENGTH})
    redact_inventory(Inventory(collected_at=datetime.now(UTC), grants=[grant]))
    assert grant.attributes["url"].startswith("[NOT SHOWN: ") and "attributes.url" in grant.unknown


def test_a_trust_holding_a_string_too_long_to_search_is_unknown() -> None:
    """A trust policy's subject condition nobody searched stands as the stand-in, which names no
    subject: read as one, a wildcard beside it passed NHI-PRIV-005."""
    from scanner.model import Identity, Inventory
    from scanner.redact import redact_inventory

    subject = "repo:*, repo:acme/" + "a" * MAX_SEARCHED_LENGTH
    role = Identity("arn:aws:iam::111122223333:role/ci", "aws", "111122223333", "role", "ci")
    role.attributes["trust"] = [
        {"principal": "token.actions.githubusercontent.com", "principal_type": "federated", "subject": subject}
    ]
    redact_inventory(Inventory(collected_at=datetime.now(UTC), identities=[role]))
    assert {"attributes.trust", "trust"} <= set(role.unknown)


def test_a_url_too_long_to_search_leaves_where_the_server_is_reached_unknown(tmp_path: Path) -> None:
    url = "https://mcp.example.com/" + "a:" * MAX_SEARCHED_LENGTH
    inventory = collect(SourceSpec("manifests", str(_manifest(tmp_path, "remote", {"url": url}))))
    (tool,) = inventory.grants
    assert "url" not in tool.attributes
    assert {"attributes.url", "attributes.transport"} <= set(tool.unknown)


def test_free_text_has_no_such_bound_and_is_searched_whole(tmp_path: Path, catalogs) -> None:
    """Claude Code keeps what a user pasted in ~/.claude.json: one paste may be longer than any
    argument, and a token in it is still found."""
    pasted = "log line\n" * (MAX_SEARCHED_LENGTH // 9 + 1) + f"export GITHUB_TOKEN={GITHUB_TOKEN}\n"
    document = {
        "projects": {
            "/home/dev/app": {
                "history": [{"display": "[Pasted text #1]", "pastedContents": {"1": {"content": pasted}}}]
            }
        },
        "mcpServers": {"github": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-github@2025.4.8"]}},
    }
    (tmp_path / ".claude.json").write_text(json.dumps(document))
    inventory = collect(SourceSpec("manifests", str(tmp_path)))
    assert [s.status for s in inventory.sources] == ["complete"]
    assert _statuses(inventory, catalogs)["NHI-SECRET-001"] == "fail"


def test_an_exported_user_name_too_long_to_search_is_unknown_and_never_written(tmp_path: Path) -> None:
    """An unedited CloudMapper export, but for one user's name."""
    export = json.loads((REALWORLD / "aws" / "cloudmapper-demo-iam-get-account-authorization-details.json").read_text())
    user = export["UserDetailList"][0]
    arn, user["UserName"] = user["Arn"], FLAGS
    (tmp_path / "aws").mkdir()
    (tmp_path / "aws" / "iam.json").write_text(json.dumps(export))
    inventory = collect(SourceSpec("file", str(tmp_path / "aws")))
    named = next(i for i in inventory.identities if i.uid == arn)
    assert "name" in named.unknown
    assert named.name.startswith("[NOT SHOWN: ") and "-p x" not in named.name
    command = ("scan", "file:aws", "--format", "json,html", "--no-history", "--fail-on", "none")
    completed = run_nhiscan(*command, cwd=tmp_path)
    assert completed.returncode in (0, 3), completed.stderr
    for written in ("results.json", "inventory.json", "report.html"):
        assert "-p x -p x" not in (tmp_path / "nhiscan-out" / written).read_text(), written


def test_a_string_too_long_to_search_stands_as_its_length_and_a_digest() -> None:
    one, other = "a" * (MAX_SEARCHED_LENGTH + 1), "b" * (MAX_SEARCHED_LENGTH + 1)
    assert redact_text(one).startswith(f"[NOT SHOWN: {MAX_SEARCHED_LENGTH + 1:,} characters")
    assert redact_text(one) != redact_text(other)  # two such uids stay apart
    at_the_limit = "word " * ((MAX_SEARCHED_LENGTH - len(GITHUB_TOKEN)) // 5) + GITHUB_TOKEN
    assert len(at_the_limit) <= MAX_SEARCHED_LENGTH
    assert redact_text(at_the_limit).endswith("word [REDACTED]")  # still searched
