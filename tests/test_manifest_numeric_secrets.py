"""A secret written as a number. JSON and YAML read ``"DB_PASSWORD": 80651234977`` as an integer,
and only strings were checked: the password was never found, NHI-SECRET-001 passed, and the same
value in quotes failed it. A client hands the number to the server as its text, so it is checked
as that text, in env, Goose's envs and Goose's secrets.yaml alike."""

from __future__ import annotations

import json
from pathlib import Path

from scanner.sources import SourceSpec, collect


def secrets_found(root: Path) -> set[str]:
    inventory = collect(SourceSpec("manifests", str(root)))
    assert [s.status for s in inventory.sources] == ["complete"]
    return {c.uid.rsplit(":", 1)[-1] for c in inventory.credentials if c.kind == "plaintext_secret"}


def test_a_password_written_as_a_number_is_found(tmp_path: Path) -> None:
    servers = {"mcpServers": {"db": {"command": "npx", "args": ["-y", "pkg-a@1.0.0"],
                                     "env": {"DB_PASSWORD": 80651234977, "PORT": 5432, "RETRIES": 3.5}}}}  # fmt: skip
    (tmp_path / "claude_desktop_config.json").write_text(json.dumps(servers, indent=2))
    assert secrets_found(tmp_path) == {"db.env.DB_PASSWORD"}


def test_goose_numbers_in_envs_and_secrets_yaml_are_found(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text(
        "GOOSE_MODE: chat\nextensions:\n  db:\n    type: stdio\n    cmd: npx\n    args: [-y, pkg-db@1.0.0]\n"
        "    enabled: true\n    envs:\n      DB_PASSWORD: 80651234977\n      DB_PORT: 5432\n"
    )
    (tmp_path / "secrets.yaml").write_text("OPENAI_API_KEY: 12345098765432123\n")
    assert secrets_found(tmp_path) == {"db.envs.DB_PASSWORD", "secrets.yaml.OPENAI_API_KEY"}
