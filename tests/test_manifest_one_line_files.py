"""A minified manifest, thousands of servers on one line: each server's line, and each secret's,
was looked for from the start of that line again, so the work grew with the square of the file
(3 MB took 533 s, with exit 0). Every search now resumes where the last one ended: the text
searched over a whole file is a small multiple of the file, and the lines found are the same."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scanner.sources import SourceSpec, collect
from scanner.sources.manifests import walk
from scanner.sources.manifests.walk import LineFinder

SECRET = "Qz7vLm2Rk9Xw4Tn8Pb3H"


def scanned_counting(root: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[object, int]:
    searched = 0
    real_find = LineFinder.find

    def find(self: LineFinder, needle: str, offset: int) -> int:
        nonlocal searched
        found = real_find(self, needle, offset)
        searched += (len(self.text) if found < 0 else found + len(needle)) - offset
        return found

    monkeypatch.setattr(walk.LineFinder, "find", find)
    return collect(SourceSpec("manifests", str(root))), searched


def test_a_one_line_file_of_many_servers_is_searched_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    servers = {f"s{i}": {"command": "npx", "args": ["-y", f"pkg-{i}@1.0.0"], "env": {"API_KEY": f"{SECRET}{i}"}}
               for i in range(2000)}  # fmt: skip
    text = json.dumps({"mcpServers": servers}, separators=(",", ":"))
    (tmp_path / "mcp.json").write_text(text)
    inventory, searched = scanned_counting(tmp_path, monkeypatch)
    assert len(inventory.grants) == 2000 and len(inventory.credentials) == 2000
    assert {g.attributes["location"]["line"] for g in inventory.grants} == {1}
    assert searched <= 3 * len(text), f"searched {searched:,} characters of a {len(text):,}-character file"


def test_lines_are_found_as_before_in_a_file_laid_out_by_lines(tmp_path: Path) -> None:
    servers = {"a": {"command": "npx", "args": ["-y", "pkg-a@1.0.0"], "env": {"API_KEY": SECRET}},
               "b": {"command": "npx", "args": ["-y", "pkg-b@1.0.0"], "env": {"API_KEY": SECRET}}}  # fmt: skip
    (tmp_path / "mcp.json").write_text(json.dumps({"mcpServers": servers}, indent=2))
    inventory = collect(SourceSpec("manifests", str(tmp_path)))
    assert {g.name: g.attributes["location"]["line"] for g in inventory.grants} == {"a": 3, "b": 13}
    # the same secret twice: each where it is written
    assert sorted(c.attributes["location"]["line"] for c in inventory.credentials) == [10, 20]


def test_a_secret_pasted_as_a_key_does_not_move_the_lines_of_the_values_before_it(tmp_path: Path) -> None:
    token = "ghp_" + "Qz7vLm2Rk9Xw4Tn8Pb3HcYd6FhJ1sGe5AoU0"
    other = "ghp_" + "R8x2Kq9ZmT4vLp7WnB3cYd6FhJ1sGe5AoU0i"
    text = (
        '{\n "mcpServers": {\n  "a": {"command": "npx", "args": ["-y", "pkg-a@1.0.0"],\n   "env": {\n'
        f'    "API_KEY": "{token}",\n    "{other}": "x"\n   }}\n  }},\n'
        f'  "b": {{"command": "npx", "args": ["-y", "pkg-b@1.0.0"], "env": {{"API_KEY": "{token}"}}}}\n }}\n}}\n'
    )
    (tmp_path / "mcp.json").write_text(text)
    inventory = collect(SourceSpec("manifests", str(tmp_path)))
    lines = {c.uid.rsplit(":", 1)[-1]: c.attributes["location"]["line"] for c in inventory.credentials}
    assert lines["a.env.API_KEY"] == 5 and lines["b.env.API_KEY"] == 9
