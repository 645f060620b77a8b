"""Folders laid out as repositories, for the manifests source's tests."""

from __future__ import annotations

from pathlib import Path


def repository_with(tmp_path: Path, files: dict[str, str]) -> Path:
    """A folder holding each of ``files`` (relative path: text) under ``tmp_path``."""
    root = tmp_path / "repo"
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root
