"""Continue's own configuration (``.continue/config.yaml``) declares the assistant's models and
their keys whether or not it lists MCP servers. One without ``mcpServers`` was not read at all (not
even sniffed as a candidate): a real dotfiles repository's config, holding an OpenRouter key for
two models, scanned complete with no agent and NHI-SECRET-001 passed. It is now read as a Continue
agent without servers, its keys plaintext secrets. The file below is in the shape Continue's
config.yaml reference gives (name, version, schema, models with provider, model, apiKey)."""

from __future__ import annotations

from pathlib import Path

from scanner.scan import ScanOptions, run_scan
from scanner.sources import SourceSpec, collect

KEY = "sk-or-v1-" + "3f9a1c7e5b2d8046" * 4
CONFIG = f"""name: Local Assistant
version: 1.0.0
schema: v1
models:
  - name: GLM 4 32B
    provider: openrouter
    model: thudm/glm-4-32b
    apiBase: "https://openrouter.ai/api/v1"
    apiKey: {KEY}
    roles:
      - chat
context:
  - provider: code
"""


def test_a_continue_config_without_servers_is_an_agent_and_its_keys_are_secrets(tmp_path: Path, catalogs) -> None:
    (tmp_path / ".continue").mkdir()
    (tmp_path / ".continue" / "config.yaml").write_text(CONFIG)
    inventory = collect(SourceSpec("manifests", str(tmp_path)))
    (agent,) = inventory.agents
    assert agent.platform == "continue" and [s.status for s in inventory.sources] == ["complete"]
    (secret,) = inventory.credentials
    assert secret.uid.endswith("models[0].apiKey") and secret.attributes["location"]["line"] == 9
    findings = run_scan(inventory, catalogs, ScanOptions()).findings
    assert [f.status for f in findings if f.control_id == "NHI-SECRET-001"] == ["fail"]
    assert KEY not in repr(inventory)


def test_a_config_yaml_elsewhere_is_still_looked_into_by_its_keys(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text(CONFIG)
    assert collect(SourceSpec("manifests", str(tmp_path))).agents == []
