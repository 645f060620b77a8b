"""What the manifests source walks: no folder or file that may declare an agent is passed over
without a word. A folder it cannot list is a named gap (os.walk left it out silently, and a token in
it passed with exit 0), a folder nested a thousand deep is walked (os.walk's recursion stopped the
scan), and a file is recognised by its keys however the clients' parsers read them: JSON's \\u
escapes, YAML's space before a colon, UTF-16."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import pytest

from scanner.sources import SourceSpec, collect
from scanner.sources.manifests import discover

from .conftest import SHARED

TOKEN = "ghp_" + "R8x2Kq9ZmT4vLp7WnB3cYd6FhJ1sGe5AoU0i"
SERVER = {"mcpServers": {"github": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-github@1.0.0"],
                                    "env": {"GITHUB_PERSONAL_ACCESS_TOKEN": TOKEN}}}}  # fmt: skip


def _scan(root: Path):
    inventory = collect(SourceSpec("manifests", str(root)))
    (source,) = inventory.sources
    return inventory, source


def test_a_folder_that_cannot_be_listed_is_a_named_gap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As root every folder lists, so the refusal is the operating system's error where it is listed."""
    (tmp_path / "ops" / "agents").mkdir(parents=True)
    (tmp_path / "ops" / "agents" / ".mcp.json").write_text(json.dumps(SERVER))
    (tmp_path / "mcp.json").write_text(json.dumps({"mcpServers": {}}))
    real_scandir = os.scandir

    def scandir_unless_refused(path: str):  # type: ignore[no-untyped-def]
        if Path(path).name == "ops":
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), path)
        return real_scandir(path)

    monkeypatch.setattr(discover.os, "scandir", scandir_unless_refused)
    inventory, source = _scan(tmp_path)
    assert source.status == "partial"
    assert [(e.call, e.message, e.code) for e in source.errors] == [
        ("read ops", "folder not read: Permission denied", "unreadable")
    ]
    assert "agents" in inventory.accounts[0].unknown


def test_a_manifest_a_thousand_folders_deep_is_read(tmp_path: Path) -> None:
    folders = [tmp_path]
    for _ in range(1100):
        folders.append(folders[-1] / "d")
        folders[-1].mkdir()
    try:
        (folders[-1] / ".mcp.json").write_text(json.dumps(SERVER))
        inventory, source = _scan(tmp_path)
        assert source.status == "complete"
        assert [c.kind for c in inventory.credentials] == ["plaintext_secret"]
    finally:  # deepest first: pytest's own clean-up of old folders recurses, and would stop here
        (folders[-1] / ".mcp.json").unlink(missing_ok=True)
        for folder in reversed(folders[1:]):
            folder.rmdir()


@pytest.mark.parametrize(
    "name, text",
    [
        ("team.json", json.dumps(SERVER).replace("mcpServers", "mcp\\u0053ervers")),  # JSON reads it as mcpServers
        ("team.yaml", f"mcpServers :\n  github:\n    command: npx\n    env:\n      GITHUB_TOKEN: {TOKEN}\n"),
    ],
)
def test_a_file_is_known_by_its_keys_as_the_clients_read_them(tmp_path: Path, name: str, text: str) -> None:
    (tmp_path / name).write_text(text)
    inventory, source = _scan(tmp_path)
    assert source.status == "complete"
    assert [c.kind for c in inventory.credentials] == ["plaintext_secret"]


def test_a_utf16_file_that_declares_servers_is_a_named_gap_not_passed_over(tmp_path: Path) -> None:
    (tmp_path / ".gemini").mkdir()
    (tmp_path / ".gemini" / "settings.json").write_bytes(json.dumps(SERVER).encode("utf-16"))
    inventory, source = _scan(tmp_path)
    assert source.status == "partial"
    assert [(e.call, e.message) for e in source.errors] == [("read .gemini/settings.json", "UTF-16 text, not UTF-8")]
    assert "agents" in inventory.accounts[0].unknown


def test_an_mcp_registry_entry_under_another_name_is_found_in_a_folder(tmp_path: Path) -> None:
    """Reader: the github-mcp-server's registry entry (unedited, /work/shared/realworld) read
    alone gave its server and two tools; in a folder, under the name it was saved by, it was passed
    over without a word, while `mcp-publisher publish PATH` publishes any file. Its `$schema`, the
    registry's server schema, makes it a manifest under any name."""
    recorded = SHARED / "realworld" / "agents" / "github-mcp-server-registry-server.json"
    (tmp_path / "publishing").mkdir()
    (tmp_path / "publishing" / "github.json").write_bytes(recorded.read_bytes())
    (tmp_path / "other.json").write_text('{"$schema": "https://json.schemastore.org/package.json", "servers": {}}')
    inventory, source = _scan(tmp_path)
    assert source.status == "complete"
    assert [(a.name, a.platform) for a in inventory.agents] == [("io.github.github/github-mcp-server", "mcp-server")]
    assert len(inventory.grants) == 2


def test_a_file_declaring_the_registry_schema_that_is_no_entry_is_a_named_gap(tmp_path: Path) -> None:
    """Found by its $schema, as by its name: one that cannot be read as a registry entry is a
    named gap (the source partial), not passed over as a file that merely mentioned servers."""
    schema = "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json"
    (tmp_path / "pub").mkdir()
    (tmp_path / "pub" / "odd.json").write_text(json.dumps({"$schema": schema, "name": "odd", "servers": 5}))
    _, source = _scan(tmp_path)
    assert source.status == "partial"
    assert [error.call for error in source.errors] == ["read pub/odd.json"]
