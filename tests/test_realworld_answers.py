"""Real third-party exports (tests/data, see its SOURCES.md; ../shared/realworld), read unedited: each
test states what a reader of the file answers, and checks that nhiscan answers the same."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.scan import ScanOptions, run_scan
from scanner.sources import SourceSpec, collect
from scanner.sources.aws.exports import NO_DETAILS

from .conftest import SHARED

DATA = Path(__file__).parent / "data"
REALWORLD = SHARED / "realworld"


def statuses(path: Path, catalogs, source: str = "file") -> dict[tuple[str, str], str]:
    result = run_scan(collect(SourceSpec(source, str(path))), catalogs, ScanOptions())
    return {(f.control_id, f.resource.name): f.status for f in result.findings}


def failing(found: dict[tuple[str, str], str], control: str) -> set[str]:
    return {name for (control_id, name), status in found.items() if control_id == control and status == "fail"}


@pytest.mark.parametrize("provider", ["aws", "azure", "gcp"])
def test_every_shared_export_is_read_or_named(provider: str) -> None:
    inventory = collect(SourceSpec("file", str(REALWORLD / provider)))
    gaps = {e.call for s in inventory.sources for e in s.errors}
    expected = {
        "aws": {
            "read custodian-placebo-bedrock-agent-ListAgents.json",  # names no account: get-agent is needed
            "iam:GetAccountAuthorizationDetails",  # accounts of which only a credential report or an agent is shared
            "iam:GetCredentialReport",  # accounts of which only authorization details or an agent is shared
            "cloudtrail:DescribeTrails",  # accounts whose trails no shared export lists
        },
        "azure": {  # federated credentials of applications the exports do not hold
            "read azure-cli-recording-graph-list-federatedIdentityCredentials.json",
            "read msgraph-docs-application-list-federatedidentitycredentials.json",
            "arm:roleAssignments, graph:appRoleAssignments",  # in no export: every grant is unknown
        },
        "gcp": {
            "read custodian-flight-projects-getIamPolicy-auditConfigs.json",  # whose policy? (see docs)
            "cloudresourcemanager:projects.getIamPolicy",  # projects of which only accounts or keys are shared
            "iam:serviceAccounts.list",  # a project of which only a key list is shared
            "iam:serviceAccounts.keys.list",  # accounts whose keys no shared list holds
        },
    }
    assert gaps == expected[provider]
    assert inventory.identities


def test_a_report_with_upper_case_flags_and_an_impossible_creation_date(catalogs) -> None:
    """Reader: zscholl has no console password and no MFA (FALSE), two active keys (TRUE), no
    signing certificate (FALSE, N/A); its creation "2099-08-10" is after the report was generated
    (2020-04-02), so wrong. Before, the upper-case flags read as unknown (the keys' state, two
    certificates that do not exist), and the 2099 date moved the evaluation time to the day of the
    scan, six years past the report."""
    path = DATA / "aws" / "custodian-placebo-iam-GetCredentialReport-2020-04-02-upper-case.json"
    inventory = collect(SourceSpec("file", str(path)))
    assert inventory.collected_at.isoformat() == "2020-04-02T16:20:57+00:00"
    (user,) = inventory.identities
    assert user.interactive is False and user.attributes["mfa"] is False and user.created is None
    assert "created" in user.unknown and user.attributes["reported_created"] == "2099-08-10T11:07:38+00:00"
    assert [(c.kind, c.active) for c in inventory.credentials] == [("access_key", True), ("access_key", True)]
    found = statuses(path, catalogs)
    assert found[("NHI-CRED-004", "zscholl")] == "fail", "two active keys"


def test_account_619193117841_root_key_and_never_used_keys(catalogs) -> None:
    """Reader: the root user has an active access key (created 2011, last used 2015); the keys of
    charmworld, Hazmat, kaleb and kapilt were never used; kaleb can also log in with a password."""
    found = statuses(DATA / "aws" / "custodian-placebo-iam-GetCredentialReport-619193117841.json", catalogs)
    assert failing(found, "NHI-CRED-010") == {"619193117841 root"}
    assert failing(found, "NHI-CRED-002") == {"access_key key 1 of 619193117841 root"}
    assert failing(found, "NHI-CRED-003") == {
        f"access_key key 1 of {u}" for u in ("charmworld", "Hazmat", "kaleb", "kapilt")
    }
    assert failing(found, "NHI-OWN-002") == {"kaleb"}
    assert found[("NHI-OWN-001", "kaleb")] == "unknown", "a credential report has no tags: owner not collected"


def test_six_credential_reports_of_one_account_the_newest_wins(tmp_path: Path, catalogs) -> None:
    """Reader: three reports of 644160558196 (2016-11-25, 2018-06-01, 2021-02-04) and the shared one
    of 2017-02-22: the one of 2021 is current, with test1 whose active key is dated 2099."""
    for name in (
        "custodian-placebo-iam-GetCredentialReport-2016-11-25.json",
        "custodian-placebo-iam-GetCredentialReport-2018-06-01.json",
        "custodian-placebo-iam-GetCredentialReport-2021-02-04.json",
    ):
        (tmp_path / name).write_bytes((DATA / "aws" / name).read_bytes())
    (tmp_path / "shared.json").write_bytes(
        (REALWORLD / "aws" / "custodian-placebo-iam-GetCredentialReport.json").read_bytes()
    )
    inventory = collect(SourceSpec("file", str(tmp_path)))
    assert sorted(i.name for i in inventory.identities) == ["644160558196 root", "test1"]
    notes = [n for s in inventory.sources for n in s.notes]
    assert len(notes) == 3 and all("superseded by the newer" in n and "2021-02-04" in n for n in notes)
    (key,) = [c for c in inventory.credentials if c.active]
    assert key.created is None and key.attributes["reported_created"].startswith("2099"), "a date after the report"
    found = statuses(tmp_path, catalogs)
    assert found[("NHI-CRED-001", "access_key key 2 of test1")] == "unknown"


def test_a_recorded_error_response_is_a_named_gap_not_an_account() -> None:
    inventory = collect(SourceSpec("file", str(DATA / "aws")))
    (gap,) = [e for s in inventory.sources for e in s.errors if e.code != NO_DETAILS.code]
    assert gap.message == "a recorded error response (ReportNotPresent), not an export"
    assert {a.uid for a in inventory.accounts} == {"123456789012", "619193117841", "644160558196"}


def test_test_user_holds_a_key_and_a_console_password(catalogs) -> None:
    """Reader (2018-06-01): test_user has a console password and an active key created a minute ago."""
    found = statuses(DATA / "aws" / "custodian-placebo-iam-GetCredentialReport-2018-06-01.json", catalogs)
    assert failing(found, "NHI-OWN-002") == {"test_user"}
    assert not failing(found, "NHI-CRED-001") and not failing(found, "NHI-CRED-003")


def test_a_public_bucket_is_named_not_taken_for_a_project(tmp_path: Path) -> None:
    """Reader: bucket cloud-custodian-test-1 grants roles/cloudbuild.builds.builder to allUsers."""
    (tmp_path / "policy.json").write_bytes(
        (DATA / "gcp" / "custodian-flight-storage-bucket-getIamPolicy.json").read_bytes()
    )
    (tmp_path / "accounts.json").write_bytes(
        (REALWORLD / "gcp" / "custodian-flight-iam-serviceAccounts-list.json").read_bytes()
    )
    inventory = collect(SourceSpec("file", str(tmp_path)))
    notes = [n for s in inventory.sources for n in s.notes]
    bucket = "projects/custodian/buckets/cloud-custodian-test-1"
    assert f"{bucket} (not assessed) grants roles/cloudbuild.builds.builder to allUsers" in notes
    assert not any(a.attributes.get("public_bindings") for a in inventory.accounts)


def test_a_folder_policy_is_not_read_as_a_project_policy(tmp_path: Path) -> None:
    """Reader: the policy of folder 222222222222 (roles/admin to abc@testproject and a user)."""
    exports = tmp_path / "exports_of_2021"
    exports.mkdir()
    (exports / "policy.json").write_bytes((DATA / "gcp" / "custodian-flight-folder-getIamPolicy.json").read_bytes())
    (exports / "accounts.json").write_bytes(
        (REALWORLD / "gcp" / "custodian-flight-iam-serviceAccounts-list.json").read_bytes()
    )
    inventory = collect(SourceSpec("file", str(exports)))
    assert not inventory.grants
    (gap,) = [e for s in inventory.sources for e in s.errors if e.call.startswith("read ")]
    assert gap.call == "read policy.json" and "folder named by the project id" in gap.message


@pytest.mark.parametrize(
    ("file", "server", "reach"),
    [
        ("mcp-servers-slack-readme-claude_desktop_config-npx.json", "slack", {"messaging", "external_egress"}),
        ("mcp-servers-postgres-readme-claude_desktop_config-npx.json", "postgres", {"data_read", "data_write"}),
        ("mcp-servers-brave-search-readme-claude_desktop_config-npx.json", "brave-search", {"external_egress"}),
    ],
)
def test_mcp_readme_configs_hold_placeholders_not_secrets(file: str, server: str, reach: set[str], catalogs) -> None:
    """Reader: "xoxb-your-bot-token", "YOUR_API_KEY_HERE" and postgresql://localhost/mydb are
    placeholders or carry no credential: no plaintext secret; the server's reach is its tools'."""
    from scanner.engine.context import EvalContext

    inventory = collect(SourceSpec("manifests", str(DATA / "mcp" / file)))
    assert not [c for c in inventory.credentials if c.kind == "plaintext_secret"]
    (tool,) = inventory.grants
    assert tool.name == server
    context = EvalContext(inventory, inventory.collected_at, catalogs.capabilities)
    assert reach <= context.grant_tags(tool)


def _in_folder(tmp_path: Path, file: str, relpath: str) -> Path:
    """A repository holding one of the real files under the name its client reads it by."""
    root = tmp_path / "repository"
    (root / relpath).parent.mkdir(parents=True)
    (root / relpath).write_bytes((DATA / "mcp" / file).read_bytes())
    return root


@pytest.mark.parametrize(
    ("file", "relpath", "tools"),
    [
        # Reader: one server, playwright, launched with npx from @playwright/mcp@latest (no version pinned)
        ("codex-langfuse-langfuse-config.toml", ".codex/config.toml", {"playwright": ("@playwright/mcp@latest", None)}),
        # Reader: phrocs runs a Python script from a virtual environment; posthog-local is reached on localhost
        (
            "codex-PostHog-posthog-config.toml",
            ".codex/config.toml",
            {"phrocs": (".flox/cache/venv/bin/python", None), "posthog-local": (None, "http://localhost:8787/mcp")},
        ),
        # Reader: figma over http; its header's value and the token's variable are placeholders
        (
            "codex-openai-codex-docs-config-md-block25-http.toml",
            "config.toml",
            {"figma": (None, "https://mcp.figma.com/mcp")},
        ),
        # Reader: OpenCode reaches Linear's server; its key comes from the environment (${env:…})
        (
            "opencode-anomalyco-opencode-dot-opencode-opencode.jsonc",
            ".opencode/opencode.jsonc",
            {"linear": (None, "https://mcp.linear.app/mcp")},
        ),
        # Reader: the dev container runs Playwright's server with npx, no version pinned
        (
            "devcontainer-microsoft-vscode-docs-mcp-servers-md-block2.json",
            ".devcontainer/devcontainer.json",
            {"playwright": ("@microsoft/mcp-server-playwright", None)},
        ),
    ],
)
def test_mcp_servers_in_codex_opencode_and_dev_container_files_are_read_as_their_readers_read_them(
    tmp_path: Path, file: str, relpath: str, tools: dict[str, tuple[str | None, str | None]]
) -> None:
    inventory = collect(SourceSpec("manifests", str(_in_folder(tmp_path, file, relpath))))
    assert inventory.sources[0].status == "complete"
    (agent,) = inventory.agents
    assert agent.attributes["location"]["file"] == relpath
    found = {g.name: (g.attributes.get("package"), g.attributes.get("url")) for g in inventory.grants}
    assert found == tools
    assert not inventory.credentials  # no literal secret in any of them


def test_the_codex_documentation_s_stdio_example_is_no_valid_toml_and_is_a_named_gap(tmp_path: Path) -> None:
    """Reader: the block gives ``env`` as an inline table and then as a sub-table; TOML forbids
    defining a table twice, so Codex could not load this file either. A gap, not a clean pass."""
    file = "codex-openai-codex-docs-config-md-block24-stdio.toml"
    inventory = collect(SourceSpec("manifests", str(_in_folder(tmp_path, file, ".codex/config.toml"))))
    assert not inventory.agents
    (gap,) = inventory.sources[0].errors
    assert gap.call == "read .codex/config.toml" and gap.code == "invalid"
    assert gap.message.startswith("Cannot declare ('mcp_servers', 'server_name', 'env') twice (at line 12")
    assert inventory.sources[0].status == "partial"
