"""A manifest is checked for secrets string by string, up to a budget per file (walk.MAX_STRINGS,
20,000): a hostile file cannot make the check run for ever. A file cut short there is a named gap:
the source is partial and says which file was read only up to how many strings, and that file's
agent has unknown credentials, so a secret past the cut never lets its secret controls pass. A
secret found before the cut still fails them, and the other files of the folder are judged as
usual.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scanner.model import Inventory
from scanner.scan import ScanOptions, run_scan
from scanner.sources import SourceSpec, collect
from scanner.sources.manifests.walk import MAX_STRINGS

from .hostile_cases import run_nhiscan

GITHUB_TOKEN = "ghp_" + "Wd3Fg6Hj9Kl2Zx5Cv8Bn1Mq4Rt7Yu0Io3Pa6"
SECRET_CONTROLS = ("NHI-SECRET-001", "NHI-AGENT-005")


def _servers(count: int) -> dict[str, dict[str, object]]:
    """Servers of four strings each (command, two arguments, one environment value)."""
    return {
        f"tool-{index}": {"command": "npx", "args": ["-y", f"@acme/tool-{index}@1.0.0"], "env": {"LOG_LEVEL": "info"}}
        for index in range(count)
    }


def _leaky() -> dict[str, object]:
    return {"command": "npx", "args": ["-y", "@acme/leaky@1.0.0"], "env": {"GITHUB_TOKEN": GITHUB_TOKEN}}


def _over_the_budget(secret_first: bool = False) -> str:
    """An .mcp.json of more strings than are checked (well under the 1 MB a manifest may be)."""
    servers = _servers(MAX_STRINGS // 4 + 500)
    servers = {"leaky": _leaky(), **servers} if secret_first else {**servers, "leaky": _leaky()}
    text = json.dumps({"mcpServers": servers})
    assert len(text) < 1_000_000
    return text


def _folder(root: Path, big: str) -> Path:
    (root / "big").mkdir(parents=True)
    (root / "big" / ".mcp.json").write_text(big)
    (root / "small").mkdir()
    (root / "small" / ".mcp.json").write_text(json.dumps({"mcpServers": _servers(3)}))
    return root


def _statuses(inventory: Inventory, catalogs) -> dict[tuple[str, str], str]:
    result = run_scan(inventory, catalogs, ScanOptions(keep_passed=True))
    return {(f.resource.name, f.control_id): f.status for f in result.findings if f.control_id in SECRET_CONTROLS}


def test_a_secret_past_the_cut_leaves_the_secret_controls_unknown_never_passed(tmp_path: Path, catalogs) -> None:
    inventory = collect(SourceSpec("manifests", str(_folder(tmp_path, _over_the_budget()))))
    statuses = _statuses(inventory, catalogs)
    assert statuses[("Claude Code (big/.mcp.json)", "NHI-SECRET-001")] == "unknown"
    assert statuses[("Claude Code (big/.mcp.json)", "NHI-AGENT-005")] == "unknown"
    assert statuses[("Claude Code (small/.mcp.json)", "NHI-SECRET-001")] == "pass"  # the other file: read whole


def test_a_file_cut_short_is_a_named_gap_saying_how_far_it_was_read(tmp_path: Path) -> None:
    inventory = collect(SourceSpec("manifests", str(_folder(tmp_path, _over_the_budget()))))
    (status,) = inventory.sources
    assert status.status == "partial"
    (gap,) = status.errors
    assert (gap.call, gap.code) == ("read big/.mcp.json", "budget")
    assert f"only the first {MAX_STRINGS:,} strings" in gap.message and "secrets" in gap.message
    big = next(a for a in inventory.agents if a.name == "Claude Code (big/.mcp.json)")
    assert "credentials" in big.unknown
    assert len(inventory.agents) == 2 and len(inventory.grants) == MAX_STRINGS // 4 + 500 + 1 + 3  # all tools


def test_a_secret_before_the_cut_still_fails(tmp_path: Path, catalogs) -> None:
    inventory = collect(SourceSpec("manifests", str(_folder(tmp_path, _over_the_budget(secret_first=True)))))
    assert _statuses(inventory, catalogs)[("Claude Code (big/.mcp.json)", "NHI-SECRET-001")] == "fail"


@pytest.mark.parametrize("strings", [MAX_STRINGS - 1, MAX_STRINGS])
def test_a_file_within_the_budget_is_read_whole(tmp_path: Path, strings: int) -> None:
    """Exactly as many strings as the budget: nothing is left unchecked, so nothing is cut."""
    document = {"mcpServers": {"tool": {"command": "npx", "args": ["x"] * (strings - 1)}}}
    (tmp_path / ".mcp.json").write_text(json.dumps(document))
    inventory = collect(SourceSpec("manifests", str(tmp_path)))
    assert [s.status for s in inventory.sources] == ["complete"]
    assert "credentials" not in inventory.agents[0].unknown


def test_the_command_line_names_the_file_and_exits_3(tmp_path: Path) -> None:
    (tmp_path / "repo").mkdir()
    (tmp_path / "repo" / ".mcp.json").write_text(_over_the_budget())
    completed = run_nhiscan("scan", "manifests:repo", "--format", "json", "--no-history", cwd=tmp_path)
    assert completed.returncode == 3, completed.stderr
    assert "read .mcp.json" in completed.stdout + completed.stderr
    results = json.loads((tmp_path / "nhiscan-out" / "results.json").read_text())
    assert [f["status"] for f in results["findings"] if f["control_id"] == "NHI-SECRET-001"] == ["unknown"]
