"""A file the manifests source cannot open is a named gap, whatever its name: a JSON or YAML file
that could not be read to see whether it declares agents is not taken to declare none. (As root
every file opens, so the refusal is the operating system's error raised where the file is opened.)"""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import pytest

from scanner.sources import SourceSpec, collect
from scanner.sources.manifests import discover

SERVER = {"mcpServers": {"files": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem"]}}}


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    (tmp_path / "mcp.json").write_text(json.dumps(SERVER))
    (tmp_path / "team-servers.json").write_text(json.dumps(SERVER))  # found by what it mentions
    (tmp_path / "notes.yaml").write_text("title: nothing about agents\n")
    return tmp_path


def _refusing(monkeypatch: pytest.MonkeyPatch, refused: str, error: int = errno.EACCES) -> None:
    real_open = os.open

    def open_unless_refused(path: os.PathLike[str] | str, flags: int, *args: int) -> int:
        if Path(path).name == refused:
            raise OSError(error, os.strerror(error), str(path))
        return real_open(path, flags, *args)

    monkeypatch.setattr(discover.os, "open", open_unless_refused)


@pytest.mark.parametrize("refused", ["team-servers.json", "notes.yaml", "mcp.json"])
def test_a_file_that_cannot_be_opened_is_a_gap_named_by_its_path(
    repository: Path, monkeypatch: pytest.MonkeyPatch, refused: str
) -> None:
    _refusing(monkeypatch, refused)
    inventory = collect(SourceSpec("manifests", str(repository)))
    (source,) = inventory.sources
    assert source.status == "partial"
    assert [(e.call, e.message, e.code) for e in source.errors] == [
        (f"read {refused}", "Permission denied", "unreadable")
    ]


def test_every_file_read_leaves_the_source_complete(repository: Path) -> None:
    inventory = collect(SourceSpec("manifests", str(repository)))
    (source,) = inventory.sources
    assert source.status == "complete" and source.errors == []
    assert len(inventory.agents) == 2


def test_a_file_gone_between_listing_and_reading_is_no_gap_unless_named(
    repository: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A scratch file of a live folder deleted while the folder is walked held nothing to read."""
    _refusing(monkeypatch, "notes.yaml", errno.ENOENT)
    (source,) = collect(SourceSpec("manifests", str(repository))).sources
    assert source.status == "complete" and source.errors == []


def test_a_socket_is_never_opened_and_is_a_gap_only_where_a_manifest_was_expected(repository: Path) -> None:
    import socket

    sockets = []
    for name in ("server.sock.json", ".mcp.json"):
        listening = socket.socket(socket.AF_UNIX)
        listening.bind(str(repository / name))
        sockets.append(listening)
    try:
        (source,) = collect(SourceSpec("manifests", str(repository))).sources
    finally:
        for listening in sockets:
            listening.close()
    assert [(e.call, e.message) for e in source.errors] == [
        ("read .mcp.json", "not a regular file (a pipe, device or socket); not read")
    ]
