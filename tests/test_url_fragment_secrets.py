"""A token handed on in a URL's fragment is a secret as it is in its query.

OAuth's implicit grant returns ``#access_token=…`` (RFC 6749, 4.2.2), and such a URL pasted into
an MCP client's configuration carries the token. Only the query was read: NHI-SECRET-001 passed
and the token reached results.json and the HTML report in ``attributes.url``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

TOKEN = "Xk9mQ2pL7vB4nR8ZtW3y"


def test_a_token_in_a_url_fragment_fails_and_is_redacted(cli: Any, tmp_path: Path) -> None:
    folder = tmp_path / "repo"
    folder.mkdir()
    url = f"https://mcp.example.com/sse#access_token={TOKEN}&token_type=bearer"
    (folder / ".mcp.json").write_text(json.dumps({"mcpServers": {"tickets": {"type": "sse", "url": url}}}))
    out = tmp_path / "out"
    outcome = cli("scan", f"manifests:{folder}", "--format", "json,html", "-o", str(out), "--no-history", "-q",
                  "--fail-on", "none")  # fmt: skip
    assert outcome.exit_code == 0, outcome.output
    results = json.loads((out / "results.json").read_text())
    assert [f["status"] for f in results["findings"] if f["control_id"] == "NHI-SECRET-001"] == ["fail"]
    for written in out.iterdir():
        assert TOKEN not in written.read_text(), written.name
