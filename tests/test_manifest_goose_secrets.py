"""Without a keyring (headless servers, CI runners, containers), Goose keeps its API keys and its
extensions' secrets in plain text in secrets.yaml beside its config.yaml. That file names no
servers: before, a folder holding both scanned as a Goose agent with no plaintext secret."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from scanner.scan import ScanOptions, run_scan
from scanner.sources import SourceSpec, collect
from tests.repositories import repository_with

OPENAI_KEY = "sk-proj-" + "Lk4Mn7Pq2Rs9Tu3Vw8Xy1Za6Bc5De0Fg2Hi7Jk4Mn7Pq2Rs9T"
GITHUB_TOKEN = "ghp_" + "Lk4Mn7Pq2Rs9Tu3Vw8Xy1Za6Bc5De0Fg2Hi7"
CONFIG = """GOOSE_PROVIDER: openai
GOOSE_MODE: approve
extensions:
  developer:
    enabled: true
    type: builtin
    name: developer
"""
SECRETS = f"OPENAI_API_KEY: {OPENAI_KEY}\nGITHUB_PERSONAL_ACCESS_TOKEN: {GITHUB_TOKEN}\nDATABRICKS_HOST: https://dbc.example.com\n"


def _collect(root: Path):
    return collect(SourceSpec("manifests", str(root)))


def test_the_secrets_goose_keeps_in_plain_text_are_its_agent_s(tmp_path: Path, catalogs) -> None:
    inventory = _collect(repository_with(tmp_path, {"goose/config.yaml": CONFIG, "goose/secrets.yaml": SECRETS}))
    (agent,) = inventory.agents
    assert inventory.sources[0].status == "complete"
    shown = sorted(c.attributes["display_id"] for c in inventory.credentials)
    assert len(shown) == 2  # the host is no secret
    assert all("secrets.yaml" in text for text in shown)
    assert {c.identity_uid for c in inventory.credentials} == {agent.uid}
    assert {c.attributes["location"]["file"] for c in inventory.credentials} == {"goose/secrets.yaml"}
    result = run_scan(inventory, catalogs, ScanOptions())
    assert {f.status for f in result.findings if f.control_id == "NHI-SECRET-001"} == {"fail"}


def test_a_secrets_file_beside_no_goose_configuration_is_not_read(tmp_path: Path) -> None:
    inventory = _collect(repository_with(tmp_path, {"app/secrets.yaml": SECRETS, ".mcp.json": '{"mcpServers": {}}'}))
    assert not inventory.credentials and inventory.sources[0].status == "complete"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("a: &x 1\nb: *x\n", "aliases"),  # YAML nhiscan refuses
        ("OPENAI_API_KEY: [unclosed\n", ""),
    ],
)
def test_a_secrets_file_nhiscan_cannot_read_is_a_named_gap_and_its_credentials_unknown(
    tmp_path: Path, text: str, problem: str
) -> None:
    inventory = _collect(repository_with(tmp_path, {"goose/config.yaml": CONFIG, "goose/secrets.yaml": text}))
    (source,) = inventory.sources
    assert source.status == "partial"
    (error,) = source.errors
    assert error.call == "read goose/secrets.yaml" and problem in error.message
    assert "credentials" in inventory.agents[0].unknown


def test_a_secrets_file_linked_from_outside_the_folder_is_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.yaml"
    outside.write_text(SECRETS)
    root = repository_with(tmp_path, {"goose/config.yaml": CONFIG})
    os.symlink(outside, root / "goose" / "secrets.yaml")
    inventory = _collect(root)
    (error,) = inventory.sources[0].errors
    assert "symbolic link" in error.message and not inventory.credentials


def test_goose_s_secrets_are_in_no_output(cli, tmp_path: Path) -> None:
    root = repository_with(tmp_path, {"goose/config.yaml": CONFIG, "goose/secrets.yaml": SECRETS})
    out = tmp_path / "out"
    outcome = cli("scan", f"manifests:{root}", "--format", "json,html,sarif,md,csv", "-o", str(out), "--no-history")
    assert outcome.exit_code == 1 and "NHI-SECRET-001" in outcome.output
    for text in [outcome.output, *(path.read_text(encoding="utf-8") for path in out.iterdir())]:
        assert OPENAI_KEY[10:40] not in text and GITHUB_TOKEN[8:30] not in text


def test_every_value_goose_keeps_there_is_where_credentials_go_whatever_its_name(tmp_path: Path) -> None:
    """Goose writes only secrets to the file, under names its users choose."""
    secrets = "JIRA_PAT: q8ZrT3vLp9XwQ2mNb7YcK4hJ6fD1sG5a\nCONTEXT7: Xk2Lm9Qp4Rt7Vw1Yz6Bc3Df8Gh5Jn0Ps\n"
    inventory = _collect(repository_with(tmp_path, {"goose/config.yaml": CONFIG, "goose/secrets.yaml": secrets}))
    assert sorted(c.attributes["display_id"].split(" in ")[-1] for c in inventory.credentials) == [
        "secrets.yaml CONTEXT7 (redacted)",
        "secrets.yaml JIRA_PAT (redacted)",
    ]


def test_the_secrets_beside_a_configuration_scanned_alone_are_read(tmp_path: Path) -> None:
    root = repository_with(tmp_path, {"config.yaml": CONFIG, "secrets.yaml": SECRETS})
    inventory = _collect(root / "config.yaml")
    assert len(inventory.credentials) == 2 and inventory.sources[0].status == "complete"


def test_past_the_source_s_budget_the_secrets_file_is_a_named_gap(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr("scanner.sources.manifests.MAX_BYTES_READ", len(CONFIG) - 1)  # spent on config.yaml
    inventory = _collect(repository_with(tmp_path, {"goose/config.yaml": CONFIG, "goose/secrets.yaml": SECRETS}))
    (source,) = inventory.sources
    (error,) = [error for error in source.errors if error.call == "read goose/secrets.yaml"]
    assert error.code == "budget" and error.message.startswith("stopped: more than")
    assert not inventory.credentials and "credentials" in inventory.agents[0].unknown
