"""A VS Code input names what it asks for by its ``id`` (``"id": "db-password"``); its ``default``
is what the server is given when nobody answers. Only an input marked ``"password": true`` had its
default checked as a secret: a default password under an input named for it, without the mark,
passed NHI-SECRET-001. An entry's ``id`` now names its ``value`` and ``default`` as ``name`` does."""

from __future__ import annotations

import json
from pathlib import Path

from scanner.redact import redact_value
from scanner.sources import SourceSpec, collect

PASSWORD = "Rt5Yu7Io9Pa1"


def test_an_input_s_default_under_an_id_naming_a_secret_is_a_secret(tmp_path: Path) -> None:
    (tmp_path / ".vscode").mkdir()
    config = {
        "inputs": [
            {"type": "promptString", "id": "db-password", "description": "Database password", "default": PASSWORD},
            {"type": "promptString", "id": "db-host", "description": "Database host", "default": "db.internal"},
        ],
        "servers": {"db": {"type": "stdio", "command": "npx", "args": ["-y", "pkg@1.0.0"],
                           "env": {"PGPASSWORD": "${input:db-password}", "PGHOST": "${input:db-host}"}}},
    }  # fmt: skip
    (tmp_path / ".vscode" / "mcp.json").write_text(json.dumps(config, indent=2))
    inventory = collect(SourceSpec("manifests", str(tmp_path)))
    assert [c.uid.rsplit(":", 1)[-1] for c in inventory.credentials] == ["inputs[0].default"]


def test_a_record_s_entry_named_by_its_id_is_redacted() -> None:
    entry = {"id": "smtp-password", "value": PASSWORD}
    assert redact_value(entry) == {"id": "smtp-password", "value": "[REDACTED]"}
