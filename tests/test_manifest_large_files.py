"""A manifest larger than the old 1 MB cut is read within the source's bounds, in a folder as when
named: a user's ~/.claude.json (Claude Code keeps each project's history in it) often exceeds
1 MB. A JSON manifest may be up to discover.MAX_JSON_BYTES, a YAML one up to
discover.MAX_YAML_BYTES (its parser is slower); a larger file that mentions agents or MCP servers
is a named gap, naming the file and its size, never skipped without a word."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

import scanner.sources.manifests.discover as discover
from scanner.sources import SourceSpec, collect


def _claude_json(projects: int, history_bytes: int) -> str:
    """A ~/.claude.json as Claude Code writes it: projects with their history, the user's servers."""
    entry = {"display": "x" * (history_bytes // max(projects, 1)), "pastedContents": {}}
    project = {"allowedTools": [], "history": [entry], "mcpServers": {}}
    document = {
        "numStartups": 12,
        "projects": {f"/home/dev/project-{n}": json.loads(json.dumps(project)) for n in range(projects)},
        "mcpServers": {"github": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-github"]}},
    }
    document["projects"]["/home/dev/project-0"]["mcpServers"] = {"db": {"url": "http://db.example.com/mcp"}}
    return json.dumps(document, indent=2)


def test_a_claude_json_over_1_mb_in_a_folder_is_read_with_its_servers(tmp_path: Path) -> None:
    text = _claude_json(projects=200, history_bytes=3_000_000)
    assert len(text) > 3_000_000
    (tmp_path / ".claude.json").write_text(text, encoding="utf-8")
    inventory = collect(SourceSpec("manifests", str(tmp_path)))
    (agent,) = inventory.agents
    assert agent.platform == "claude-code"
    assert sorted(g.name for g in inventory.grants) == ["db", "github"]
    assert [s.status for s in inventory.sources] == ["complete"]


def test_a_claude_json_at_the_json_limit_is_read_in_seconds(tmp_path: Path) -> None:
    text = _claude_json(projects=2_000, history_bytes=discover.MAX_JSON_BYTES - 1_000_000)
    assert discover.MAX_JSON_BYTES - 2_000_000 < len(text.encode()) <= discover.MAX_JSON_BYTES
    (tmp_path / ".claude.json").write_text(text, encoding="utf-8")
    started = time.monotonic()
    inventory = collect(SourceSpec("manifests", str(tmp_path)))
    assert time.monotonic() - started < 10
    assert sorted(g.name for g in inventory.grants) == ["db", "github"]


@pytest.mark.parametrize(
    ("name", "content", "limit"),
    [
        (".claude.json", '{"mcpServers": {}, "history": "' + "x" * 5_000 + '"}', "MAX_JSON_BYTES"),
        ("settings.json", '{"mcpServers": {}, "history": "' + "x" * 5_000 + '"}', "MAX_JSON_BYTES"),
        ("agent.yaml", "kind: Prompt\nname: a\ntools: []\ninstructions: " + "x" * 5_000 + "\n", "MAX_YAML_BYTES"),
    ],
    ids=["known name", "found by what it mentions", "yaml agent"],
)
def test_a_manifest_over_its_limit_is_a_named_gap_in_a_folder(
    tmp_path: Path, monkeypatch, name: str, content: str, limit: str
) -> None:
    monkeypatch.setattr(discover, limit, 1_000)
    (tmp_path / name).write_text(content, encoding="utf-8")
    inventory = collect(SourceSpec("manifests", str(tmp_path)))
    assert inventory.agents == []
    (source,) = inventory.sources
    assert source.status == "partial"
    assert [(e.call, e.code) for e in source.errors] == [(f"read {name}", "unreadable")]
    assert source.errors[0].message.startswith(f"too large for a manifest ({len(content):,} bytes; limit 1,000)")


def test_a_large_json_file_that_mentions_no_agent_is_no_gap(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(discover, "MAX_JSON_BYTES", 1_000)
    (tmp_path / "package-lock.json").write_text(json.dumps({"packages": {"x": "y" * 5_000}}), encoding="utf-8")
    inventory = collect(SourceSpec("manifests", str(tmp_path)))
    assert [s.status for s in inventory.sources] == ["complete"]
