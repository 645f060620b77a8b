"""Whether a remote MCP server is reached over TLS (NHI-AGENT-010) is read from the URL as written.
A URL that begins with a reference the client fills in when it starts (Claude Code's documented
``${API_BASE_URL:-https://…}``, VS Code's ``${input:…}``, a bridge given ``${REMOTE_URL}``) has no
scheme yet: it passed as TLS, and is now unknown. A bridge run from a tagged container image
(``ghcr.io/sparfenyuk/mcp-proxy:latest``) was not known for one, so its plain-HTTP URL went unread
and the control passed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from scanner.scan import ScanOptions, run_scan
from scanner.sources import SourceSpec, collect


def judged(tmp_path: Path, catalogs: Any, servers: dict[str, Any]) -> tuple[str, list[Any]]:
    (tmp_path / ".mcp.json").write_text(json.dumps({"mcpServers": servers}, indent=2))
    inventory = collect(SourceSpec("manifests", str(tmp_path)))
    (finding,) = [
        f
        for f in run_scan(inventory, catalogs, ScanOptions(keep_passed=True)).findings
        if f.control_id == "NHI-AGENT-010"
    ]
    return finding.status, inventory.grants


@pytest.mark.parametrize(
    "server",
    [
        {"type": "sse", "url": "${API_BASE_URL:-https://api.example.com}/mcp"},
        {"type": "http", "url": "${input:server_url}"},
        {"type": "http", "url": "{env:MCP_URL}"},
        {"command": "npx", "args": ["-y", "mcp-remote@0.1.0", "${REMOTE_URL}"]},
    ],
)
def test_a_url_whose_scheme_is_filled_in_at_start_is_unknown(tmp_path: Path, catalogs: Any, server: Any) -> None:
    status, grants = judged(tmp_path, catalogs, {"remote": server})
    assert status == "unknown"
    assert "attributes.url" in grants[0].unknown


@pytest.mark.parametrize("image", ["ghcr.io/sparfenyuk/mcp-proxy:latest", "supercorp/supergateway:3.4.0"])
def test_a_bridge_from_a_tagged_image_is_read_for_its_url(tmp_path: Path, catalogs: Any, image: str) -> None:
    server = {"command": "docker", "args": ["run", "-i", "--rm", image, "--sse", "http://mcp.example.com/sse"]}
    status, grants = judged(tmp_path, catalogs, {"bridge": server})
    assert grants[0].attributes["url"] == "http://mcp.example.com/sse"
    assert status == "fail"


def test_a_url_written_out_is_judged_as_before(tmp_path: Path, catalogs: Any) -> None:
    assert judged(tmp_path, catalogs, {"remote": {"type": "http", "url": "https://mcp.example.com/mcp"}})[0] == "pass"
