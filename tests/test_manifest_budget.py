"""A scanned repository is untrusted: reading its manifests has a budget of files looked at, bytes
read and seconds. Past it the reading stops with a named gap, and the source says it is partial."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import scanner.sources.manifests as manifests
from scanner.sources import SourceSpec, collect


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    for n in range(5):
        folder = tmp_path / f"service-{n}"
        folder.mkdir()
        (folder / ".mcp.json").write_text(json.dumps({"mcpServers": {f"s{n}": {"command": "npx", "args": ["x"]}}}))
    return tmp_path


def test_within_the_budget_every_manifest_is_read(repository: Path) -> None:
    inventory = collect(SourceSpec("manifests", str(repository)))
    assert len(inventory.agents) == 5
    assert [s.status for s in inventory.sources] == ["complete"]


@pytest.mark.parametrize(
    ("limit", "value", "reason"),
    [("MAX_FILES_LOOKED_AT", 2, "files looked at"), ("MAX_BYTES_READ", 100, "bytes of manifests read"),
     ("MAX_SECONDS", -1.0, "s spent reading")],
)  # fmt: skip
def test_past_the_budget_reading_stops_with_a_named_gap(repository: Path, monkeypatch, limit, value, reason) -> None:
    monkeypatch.setattr(manifests, limit, value)
    inventory = collect(SourceSpec("manifests", str(repository)))
    (status,) = inventory.sources
    assert status.status == "partial"
    assert [e.code for e in status.errors] == ["budget"]
    assert reason in status.errors[0].message and "the rest is not read" in status.errors[0].message
    assert len(inventory.agents) < 5
