"""manifests:PATH: real manifests written by third parties, synthetic repositories with each toxic
combination and its safe counterpart, secrets that never reach an output, gaps for bad files, and
drift between two scans."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from scanner.inventory_io import save_inventory
from scanner.sources import SourceSpec, collect
from scanner.sources.manifests.discover import MAX_JSON_BYTES

from .conftest import SHARED, make_inventory

AGENTS = SHARED / "realworld" / "agents"
GITHUB_TOKEN = "ghp_" + "Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0FeDcBa98"
AWS_KEY = "AKIA" + "Q3EXAMPLEZ7K2M4P6R8T"
SLACK_TOKEN = "xoxb-" + "482910376251-5829104736251-Qw8Er7Ty6Ui5Op4As3Df2Gh"
SECRETS = (GITHUB_TOKEN, AWS_KEY, SLACK_TOKEN)
ADMIN_ROLE = "arn:aws:iam::111111111111:role/agent-admin"
READER_ROLE = "arn:aws:iam::111111111111:role/agent-reader"


def collect_manifests(path: Path):
    return collect(SourceSpec("manifests", str(path)))


@pytest.mark.parametrize(
    ("file", "platform", "tools"),
    [
        ("mcp-servers-readme-claude_desktop_config-multi.json", "claude-desktop",
         {"filesystem": ("server-filesystem", False), "git": ("mcp-server-git", False),
          "github": ("server-github", False), "postgres": ("server-postgres", False)}),
        ("github-mcp-server-claude_desktop_config-pat-env.json", "claude-desktop",
         {"github": ("github-mcp-server", False)}),
        ("github-mcp-server-cursor-mcp-remote-bearer.json", "cursor", {"github": ("api.githubcopilot.com", None)}),
        ("github-mcp-server-vscode-mcp-inputs.json", "vscode", {"github": ("github-mcp-server", False)}),
        ("mcp-servers-repo-dot-mcp.json", "mcp-client", {"mcp-docs": ("modelcontextprotocol.io", None)}),
        ("agent-framework-foundry-MicrosoftLearnAgent-mcp-tool.yaml", "agent-framework",
         {"microsoft_learn": ("learn.microsoft.com", None)}),
        ("agent-framework-GetWeather-function-tool.yaml", "agent-framework", {"GetWeather": ("function", None)}),
        ("github-mcp-server-registry-server.json", "mcp-server",
         {"ghcr.io/github/github-mcp-server:${VERSION}": ("github-mcp-server", False),
          "https://api.githubcopilot.com/mcp/": ("api.githubcopilot.com", None)}),
    ],
)  # fmt: skip
def test_real_manifests_parse_as_they_are(file: str, platform: str, tools: dict) -> None:
    inventory = collect_manifests(AGENTS / file)
    (agent,) = inventory.agents
    assert agent.platform == platform
    found = {g.name: (g.attributes.get("tool_type"), g.attributes.get("package_pinned")) for g in inventory.grants}
    assert found == tools
    assert inventory.credentials == [], (
        "placeholders and references (<YOUR_TOKEN>, ${input:…}, {token}) are not secrets"
    )
    assert [s.status for s in inventory.sources] == ["complete"]


def test_the_learn_agent_tool_needs_no_approval() -> None:
    inventory = collect_manifests(AGENTS / "agent-framework-foundry-MicrosoftLearnAgent-mcp-tool.yaml")
    (tool,) = inventory.grants
    assert tool.attributes["requires_approval"] is False and tool.attributes["allowed_tools"] == [
        "microsoft_docs_search"
    ]


def _write(root: Path, relpath: str, content: str | dict) -> None:
    path = root / relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content if isinstance(content, str) else json.dumps(content, indent=2))


def _manifest(name: str, tools: list[dict], **fields) -> str:
    lines = ["nhiscan: agent/v1", f"name: {name}", "owner: team@example.com", "guardrail: gr-1", "tools:"]
    for field, value in fields.items():
        lines.insert(2, f"{field}: {json.dumps(value)}")
    for tool in tools:
        lines.append(f"  - {json.dumps(tool)}")
    return "\n".join(lines) + "\n"


def build_repository(root: Path) -> None:
    """Each toxic combination, and beside it the safe counterpart."""
    _write(root, "laptops/analyst/claude_desktop_config.json", {"mcpServers": {
        "filesystem": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem@2025.8.21", "/data"]},
        "fetch": {"command": "uvx", "args": ["mcp-server-fetch==2025.4.7"]},
        "github": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-github@2025.4.8"],
                   "env": {"GITHUB_PERSONAL_ACCESS_TOKEN": GITHUB_TOKEN}},
    }})  # fmt: skip
    # a local repository's git server, not GitHub's: GitHub's writes issues and pull requests anyone can read
    _write(root, "laptops/safe/claude_desktop_config.json", {"mcpServers": {
        "filesystem": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem@2025.8.21", "/data"]},
        "git": {"command": "uvx", "args": ["mcp-server-git==2025.7.1", "--repository", "/data/repo"],
                "env": {"GIT_TOKEN": "${input:git_token}"}},
    }})  # fmt: skip
    _write(root, "laptops/github/claude_desktop_config.json", {"mcpServers": {
        "github": {"command": "docker", "args": ["run", "-i", "--rm", "-e", "GITHUB_PERSONAL_ACCESS_TOKEN",
                                                 "ghcr.io/github/github-mcp-server:v0.13.0"],
                   "env": {"GITHUB_PERSONAL_ACCESS_TOKEN": "${input:github_token}"}},
    }})  # fmt: skip
    tickets = f'"url": "https://mcp.tickets.example/mcp", "headers": {{"Authorization": "Bearer {SLACK_TOKEN}"}}'
    _write(root, ".vscode/mcp.json", '{\n  // team tools\n  "servers": {\n    "tickets": {"type": "http", '
           + tickets + "},\n  }\n}\n")  # fmt: skip
    vault, webhook = {"name": "vault_read_secret"}, {"name": "post_webhook"}
    _write(root, "agents/leaky.nhiscan.yaml", _manifest("leaky", [vault, webhook]))
    _write(root, "agents/vault-only.nhiscan.yaml", _manifest("vault-only", [vault]))
    shell = {"name": "run_shell_command", "sandboxed": False}
    _write(root, "agents/ops-admin.nhiscan.yaml", _manifest("ops-admin", [shell], runs_as=ADMIN_ROLE))
    _write(root, "agents/ops-reader.nhiscan.yaml", _manifest("ops-reader", [shell], runs_as=READER_ROLE))
    _write(root, "agents/refunds.nhiscan.yaml", _manifest("refunds", [{"name": "issue_refund"}]))
    _write(root, "agents/refunds-approved.nhiscan.yaml",
           _manifest("refunds-approved", [{"name": "issue_refund", "requires_approval": True}]))  # fmt: skip
    _write(root, "src/app.py", f"TOKEN = '{AWS_KEY}'  # not a manifest: not read\n")


def cloud_inventory(path: Path) -> Path:
    inventory = make_inventory({
        "identities": [{"uid": ADMIN_ROLE, "kind": "role", "owner": "ops@example.com"},
                       {"uid": READER_ROLE, "kind": "role", "owner": "ops@example.com"}],
        "grants": [{"identity_uid": ADMIN_ROLE, "name": "AdministratorAccess", "actions": ["*"], "resources": ["*"]},
                   {"identity_uid": READER_ROLE, "name": "ReadOnly", "actions": ["s3:GetObject"], "resources": ["*"]}],
    })  # fmt: skip
    save_inventory(inventory, path)
    return path


@pytest.fixture
def scanned(cli, tmp_path: Path) -> dict:
    repository = tmp_path / "repo"
    build_repository(repository)
    cloud = cloud_inventory(tmp_path / "cloud.json")
    out = tmp_path / "out"
    outcome = cli("scan", f"manifests:{repository}", f"inventory:{cloud}", "--format", "json,html,pdf",
                  "--output-dir", str(out), "-q")  # fmt: skip
    assert outcome.exit_code == 1, outcome.output
    return {"results": json.loads((out / "results.json").read_text()), "out": out, "repository": repository}


def failing(results: dict, control: str) -> set[str]:
    return {f["resource"]["name"] for f in results["findings"] if f["control_id"] == control and f["status"] == "fail"}


def test_each_toxic_combination_fails_and_its_safe_counterpart_passes(scanned) -> None:
    results = scanned["results"]
    analyst, safe = (
        "Claude Desktop (laptops/analyst/claude_desktop_config.json)",
        "Claude Desktop (laptops/safe/claude_desktop_config.json)",
    )
    assert analyst in failing(results, "NHI-AGENT-013") and safe not in failing(results, "NHI-AGENT-013")
    github_alone = "Claude Desktop (laptops/github/claude_desktop_config.json)"
    assert github_alone in failing(results, "NHI-AGENT-013"), "private repositories, anyone's issues, public writes"
    assert "leaky" in failing(results, "NHI-AGENT-004") and "vault-only" not in failing(results, "NHI-AGENT-004")
    assert "ops-admin" in failing(results, "NHI-AGENT-014") and "ops-reader" not in failing(results, "NHI-AGENT-014")
    assert "refunds" in failing(results, "NHI-AGENT-006")
    assert "refunds-approved" not in failing(results, "NHI-AGENT-006")
    assert failing(results, "NHI-SECRET-001") == {analyst, "VS Code (.vscode/mcp.json)"}


def test_runtime_identities_are_linked_to_the_cloud_identities(scanned) -> None:
    agents = {a["name"]: a for a in scanned["results"]["inventory"]["agents"]}
    assert agents["ops-admin"]["runs_as"] == ADMIN_ROLE
    assert "admin" in scanned["results"]["capabilities"][agents["ops-admin"]["uid"]]


def test_secrets_are_located_but_never_written_anywhere(scanned) -> None:
    results = scanned["results"]
    secrets = {c["attributes"]["display_id"]: c for c in results["inventory"]["credentials"]}
    github = next(c for name, c in secrets.items() if name.startswith("github_token"))
    text = (scanned["repository"] / "laptops/analyst/claude_desktop_config.json").read_text()
    line = next(number for number, content in enumerate(text.splitlines(), 1) if GITHUB_TOKEN in content)
    assert github["attributes"]["location"] == {"file": "laptops/analyst/claude_desktop_config.json", "line": line}
    assert github["attributes"]["fingerprint"].startswith("sha256:")
    out = scanned["out"]
    pdf_text = subprocess.run(["pdftotext", str(out / "report.pdf"), "-"], capture_output=True, text=True).stdout
    for path in out.iterdir():
        data = path.read_bytes()
        for secret in SECRETS:
            assert secret.encode() not in data, f"{secret[:6]}… in {path.name}"
            assert secret not in pdf_text
    located = {f["resource"]["location"]["file"] for f in results["findings"] if f["control_id"] == "NHI-SECRET-001"}
    assert located == {"laptops/analyst/claude_desktop_config.json", ".vscode/mcp.json"}, "findings point at the file"


def test_a_long_path_is_not_a_high_entropy_secret_but_a_random_key_is(tmp_path: Path) -> None:
    """The entropy test applies detect-secrets' limit: a path of ordinary words is no secret, a
    random 40-character key (AWS's documented example secret key) is one."""
    random_key = "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYEXAMPLEKEY"
    servers = {
        "files": {"command": "mcp-server-filesystem", "args": ["--allowed-dir=projects/customer-data"]},
        "storage": {"command": "storage-mcp", "env": {"STORAGE_SECRET": random_key}},
    }
    _write(tmp_path, ".vscode/mcp.json", {"servers": servers})
    inventory = collect_manifests(tmp_path)
    assert [c.attributes["display_id"] for c in inventory.credentials] == [
        "high_entropy_string in storage env.STORAGE_SECRET (redacted)"
    ]


def _bad_repository(root: Path) -> None:
    _write(root, "good/mcp.json", {"servers": {"time": {"command": "uvx", "args": ["mcp-server-time==0.6.2"]}}})
    _write(root, "invalid/mcp.json", '{"servers": {"x": ')
    _write(root, "deep/mcp.json", '{"servers": ' + "[" * 5000 + "]" * 5000 + "}")
    (root / "huge").mkdir()
    (root / "huge" / "mcp.json").write_text('{"mcpServers": {}, "pad": "' + "x" * (MAX_JSON_BYTES + 1) + '"}')
    (root / "binary").mkdir()
    (root / "binary" / "mcp.json").write_bytes(b"\x00\x01\x02mcpServers\xff")
    (root / "loop").mkdir()
    os.symlink("mcp.json", root / "loop" / "mcp.json")
    os.symlink("/etc/hostname", root / "outside.nhiscan.yaml")
    os.symlink(root, root / "cycle")  # a directory cycle: not followed
    _write(root, "agents/wrong.nhiscan.yaml", "nhiscan: agent/v1\nname: wrong\ntools:\n  - {title: no name}\n")


def test_bad_files_are_named_gaps_and_the_rest_is_read(cli, tmp_path: Path) -> None:
    repository = tmp_path / "repo"
    _bad_repository(repository)
    inventory = collect_manifests(repository)
    assert [a.name for a in inventory.agents] == ["VS Code (good/mcp.json)"]
    (status,) = inventory.sources
    assert status.status == "partial"
    gaps = {e.call.removeprefix("read "): e.message for e in status.errors}
    assert set(gaps) == {"invalid/mcp.json", "deep/mcp.json", "huge/mcp.json", "binary/mcp.json", "loop/mcp.json",
                         "outside.nhiscan.yaml", "agents/wrong.nhiscan.yaml"}  # fmt: skip
    assert gaps["deep/mcp.json"] == "nested more than 100 levels"
    assert gaps["huge/mcp.json"].startswith("too large for a manifest")
    assert gaps["binary/mcp.json"] == "a binary file, not a manifest"
    assert gaps["loop/mcp.json"] == "a symbolic link loop"
    assert "out of the scanned folder" in gaps["outside.nhiscan.yaml"]
    assert "'name' is a required property" in gaps["agents/wrong.nhiscan.yaml"]
    outcome = cli("scan", f"manifests:{repository}", "--output-dir", str(tmp_path / "out"), "-q", "--fail-on", "none")
    assert outcome.exit_code == 3, "partial"
    assert cli("scan", f"manifests:{repository}", "--output-dir", str(tmp_path / "o2"), "-q", "--fail-on", "none",
               "--allow-partial").exit_code == 0  # fmt: skip


def test_a_link_out_of_the_folder_under_any_name_is_a_named_gap(tmp_path: Path) -> None:
    """A link named like no manifest may still point at one (servers.json -> ~/.cursor/mcp.json): it
    is not followed out of the folder, so it is a gap, as one named like a manifest is (it was
    skipped without a word). A link to a file inside the folder is read there, and a link to
    nothing holds nothing."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "mcp.json").write_text(json.dumps({"mcpServers": {"db": {"command": "npx", "args": ["-y", "db"]}}}))
    repository = tmp_path / "repo"
    (repository / "config").mkdir(parents=True)
    (repository / "config" / "tools.json").write_text('{"name": "not a manifest"}')
    os.symlink(elsewhere / "mcp.json", repository / "servers.json")
    os.symlink(repository / "config" / "tools.json", repository / "tools-link.json")
    os.symlink(tmp_path / "missing.json", repository / "dangling.json")
    os.symlink(elsewhere, repository / ".vscode")  # a folder linked from out of the scanned one
    os.symlink(repository / "config", repository / "config-link")  # a folder linked from inside: walked there
    inventory = collect_manifests(repository)
    (status,) = inventory.sources
    assert status.status == "partial"
    assert [(e.call, e.message) for e in status.errors] == [
        ("read .vscode", "a symbolic link out of the scanned folder; not followed"),
        ("read servers.json", "a symbolic link out of the scanned folder; not followed"),
    ]


def test_a_missing_path_is_one_line_and_exit_2(cli, tmp_path: Path) -> None:
    outcome = cli("scan", f"manifests:{tmp_path / 'nope'}", "--output-dir", str(tmp_path / "out"), "-q")
    assert outcome.exit_code == 2 and outcome.output.strip().endswith("no such file or folder")


def test_drift_between_two_scans_and_reach_that_grew(cli, tmp_path: Path) -> None:
    repository = tmp_path / "repo"
    _write(repository, "agents/helper.nhiscan.yaml", _manifest("helper", [{"name": "search_docs"}]))
    first, second = tmp_path / "first", tmp_path / "second"
    assert cli("scan", f"manifests:{repository}", "--format", "json", "--output-dir", str(first), "-q",
               "--fail-on", "none").exit_code == 0  # fmt: skip
    _write(repository, "agents/helper.nhiscan.yaml", _manifest("helper", [{"name": "search_docs"}, {"name": "fetch"}]))
    _write(repository, ".mcp.json", {"mcpServers": {"slack": {"command": "npx", "args": ["-y", "slack-mcp@1.2.3"]}}})
    outcome = cli("scan", f"manifests:{repository}", "--format", "json", "--output-dir", str(second), "-q",
                  "--fail-on", "none", "--baseline", str(first / "results.json"))  # fmt: skip
    assert outcome.exit_code == 0
    results = json.loads((second / "results.json").read_text())
    assert failing(results, "NHI-AGENT-015") == {"helper"}, "its reach grew since the baseline"

    drift_file = tmp_path / "drift.json"
    outcome = cli("diff", str(first / "results.json"), str(second / "results.json"), "-o", str(drift_file))
    assert outcome.exit_code == 0, outcome.output
    drift = json.loads(drift_file.read_text())
    added = {(r["type"], r["name"]) for r in drift["added"]}
    assert ("grant", "fetch") in added and ("agent", "Claude Code (.mcp.json)") in added
    (change,) = drift["reach_changes"]
    assert change["name"] == "helper" and "external_egress" in change["added"] and change["removed"] == []
    assert {f["control_id"] for f in drift["new_failures"]} >= {"NHI-AGENT-015"}
    assert "Reach changed (1)" in outcome.output
    assert cli("diff", str(first / "results.json"), str(second / "results.json"), "--fail-on", "high").exit_code == 1


@pytest.mark.parametrize("separator", [(",", ": "), (",", ":")], ids=["spaced", "compact"])
def test_an_agent_framework_agent_written_as_json_is_found_in_a_folder(tmp_path: Path, separator) -> None:
    """The declarative agent format is YAML or JSON; a folder scan found only the YAML form, so a JSON
    agent (here the real Learn agent, converted to JSON in a temporary folder) was not inventoried."""
    import yaml

    agent = yaml.safe_load((AGENTS / "agent-framework-foundry-MicrosoftLearnAgent-mcp-tool.yaml").read_text())
    (tmp_path / "agents").mkdir()
    (tmp_path / "agents" / "learn.json").write_text(json.dumps(agent, separators=separator))
    inventory = collect_manifests(tmp_path)
    assert [a.platform for a in inventory.agents] == ["agent-framework"]
    assert [g.name for g in inventory.grants] == ["microsoft_learn"]


@pytest.mark.parametrize(
    ("args", "package", "pinned"),
    [
        (["run", "-i", "--rm", "-e", "GITHUB_PERSONAL_ACCESS_TOKEN", "ghcr.io/github/github-mcp-server:1.2.0"],
         "ghcr.io/github/github-mcp-server:1.2.0", False),  # a tag can be moved: only a digest pins
        # options the image reader took for flags without a value, and then took their values for the image
        (["run", "-i", "--rm", "-h", "mcp-host", "mcp/fetch:latest"], "mcp/fetch:latest", False),
        (["run", "-i", "--pull", "always", "mcp/fetch@sha256:" + "a" * 64], "mcp/fetch@sha256:" + "a" * 64, True),
        (["container", "run", "-i", "--gpus", "all", "--cpus", "2", "mcp/fetch:1.0"], "mcp/fetch:1.0", False),
        (["run", "-i", "--rm", "--no-healthcheck", "mcp/fetch:1.0"], "mcp/fetch:1.0", False),
    ],
)  # fmt: skip
def test_a_container_server_s_image_is_the_word_after_run_s_options(
    tmp_path: Path, args: list[str], package: str, pinned: bool
) -> None:
    _write(tmp_path, ".mcp.json", {"mcpServers": {"fetch": {"command": "docker", "args": args}}})
    (tool,) = collect_manifests(tmp_path).grants
    assert (tool.attributes["package"], tool.attributes["package_pinned"]) == (package, pinned)


@pytest.mark.parametrize(
    ("command", "args", "package", "pinned"),
    [
        ("npx", ["-y", "@scope/server@1.2.3"], "@scope/server@1.2.3", True),
        ("npx", ["-y", "server@1.2.3-beta.1"], "server@1.2.3-beta.1", True),
        # a range, a URL: whatever the registry or the host serves next time
        ("npx", ["-y", "server@1.2.3||>=2.0.0"], "server@1.2.3||>=2.0.0", False),
        ("npx", ["-y", "https://files.example/server@1.2.3.tgz"], "https://files.example/server@1.2.3.tgz", False),
        # each package --with adds runs in the server's environment: the first word after it is no package
        ("uvx", ["--with", "helper", "server==1.0"], "server==1.0", False),
        ("uvx", ["server==1.0", "--with=helper==2.0"], "server==1.0", True),
        ("uvx", ["-w", "helper", "server==1.0"], "server==1.0", False),
        ("uvx", ["server@2025.4.7"], "server@2025.4.7", True),  # uvx's own version syntax
        ("uvx", ["--with-requirements", "requirements.txt", "server==1.0"], "server==1.0", False),  # not read
        # npx -p installs what runs: each package it names is to be pinned
        ("npx", ["-y", "-p", "@acme/lib@1.0.0", "-p", "@acme/tasks", "tasks"], "tasks", False),
        ("npx", ["-y", "-p", "@acme/tasks@1.0.0", "tasks"], "tasks", True),
    ],
)
def test_a_package_is_pinned_only_to_one_exact_version_with_everything_it_adds(
    tmp_path: Path, command: str, args: list[str], package: str, pinned: bool
) -> None:
    _write(tmp_path, ".mcp.json", {"mcpServers": {"server": {"command": command, "args": args}}})
    (tool,) = collect_manifests(tmp_path).grants
    assert (tool.attributes["package"], tool.attributes["package_pinned"]) == (package, pinned)


@pytest.mark.parametrize(
    "args",
    [
        ["-y", "mcp-remote@0.1.18", "http://mcp.corp.example.com/sse", "--allow-http"],
        ["-y", "supergateway@2.0.0", "--sse", "http://mcp.corp.example.com/sse"],
        ["-y", "supergateway@3.0.0", "--sse=http://mcp.corp.example.com/sse"],
    ],
)
def test_a_bridge_to_a_remote_server_records_the_url_it_reaches(tmp_path: Path, args: list[str]) -> None:
    """A local bridge reaches its remote server over the URL it is given: over plain HTTP, the
    server's tools are reached unencrypted (NHI-AGENT-010), whatever runs locally."""
    _write(tmp_path, ".mcp.json", {"mcpServers": {"corp": {"command": "npx", "args": args}}})
    (tool,) = collect_manifests(tmp_path).grants
    assert tool.attributes["transport"] == "stdio"
    assert tool.attributes["url"] == "http://mcp.corp.example.com/sse"


@pytest.mark.parametrize(
    ("command", "args"),
    [
        ("uvx", ["mcp-server-fetch==2025.4.7", "--proxy-url", "http://proxy.corp.internal:3128"]),
        ("npx", ["-y", "@acme/grafana-mcp@1.0.0", "--grafana-url", "http://grafana.internal:3000"]),
    ],
)
def test_a_url_another_server_is_given_is_not_where_it_is_reached(
    tmp_path: Path, command: str, args: list[str]
) -> None:
    _write(tmp_path, ".mcp.json", {"mcpServers": {"server": {"command": command, "args": args}}})
    (tool,) = collect_manifests(tmp_path).grants
    assert "url" not in tool.attributes


def test_a_bridge_url_holding_credentials_is_redacted_in_every_output(cli, tmp_path: Path) -> None:
    password, token = "Sup3rS3cretPassw0rd", "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789"
    url = f"https://bob:{password}@mcp.corp.example.com/sse?access_token={token}"
    _write(
        tmp_path / "repo",
        ".mcp.json",
        {"mcpServers": {"corp": {"command": "npx", "args": ["-y", "mcp-remote@0.1.18", url]}}},
    )
    out = tmp_path / "out"
    outcome = cli("scan", f"manifests:{tmp_path / 'repo'}", "--format", "json,html,sarif,md", "-o", str(out),
                  "--no-history", "--fail-on", "none")  # fmt: skip
    assert outcome.exit_code == 0, outcome.output
    written = "".join(path.read_text() for path in out.iterdir()) + outcome.output
    assert password not in written and token not in written
    assert "mcp.corp.example.com/sse" in (out / "results.json").read_text(), "the URL is kept, its secrets not"
