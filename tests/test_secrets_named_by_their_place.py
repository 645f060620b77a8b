"""A secret that looks like nothing in particular (a short or plain password) is still found where
its place names it: a URL's query parameter named briefly (``?pass=``, ``?access=``, an MCP
session's ``?sessionId=``), a secret-named key of JSON carried in an environment value, an
``Authorization`` header after its scheme, and the default of a VS Code input asked for as a
password. Each fails NHI-SECRET-001 and reaches no output; a reference or placeholder in the same
place is no secret.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scanner.redact import redact_text
from scanner.secret_detection import find_secret, find_secret_given_to, find_secret_in_text

from .hostile_cases import run_nhiscan

PASSWORD = "Hunter2Pass9x"
SESSION = "9f2c1a7e-5b3d-4c8e-a1f0-2d7e9b4c6a83"


@pytest.mark.parametrize(
    "url",
    [
        f"https://mcp.example.com/sse?pass={PASSWORD}",
        f"https://mcp.example.com/sse?pw={PASSWORD}",
        f"https://mcp.example.com/sse?access={PASSWORD}",
        f"https://mcp.example.com/messages?sessionId={SESSION}",
        f"https://mcp.example.com/messages#session_id={SESSION}",
        "https://mcp.example.com/mcp?passphrase=correcthorsebatterystaple",  # words, but a pass phrase's
        # found kept by a review: a personal access token, a token, a SAS and an HMAC named briefly
        f"https://mcp.example.com/mcp?pat={PASSWORD}",
        f"https://mcp.example.com/mcp?tok={PASSWORD}",
        f"https://mcp.example.com/mcp?sas={PASSWORD}",
        f"https://mcp.example.com/mcp?hmac={PASSWORD}",
    ],
)
def test_a_credential_a_query_names_briefly_is_found_and_redacted(url: str) -> None:
    assert find_secret(url, entropy=False) is not None
    assert PASSWORD not in redact_text(url) and SESSION not in redact_text(url)
    assert "battery" not in redact_text(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://mcp.example.com/sse?access=public",
        "https://mcp.example.com/mcp?access=readonly",
        "https://mcp.example.com/mcp?session=stateless",
        "https://mcp.example.com/sse?pass=${MCP_PASSWORD}",
    ],
)
def test_a_word_or_a_reference_in_such_a_query_is_no_secret(url: str) -> None:
    assert find_secret(url, entropy=False) is None
    assert "[REDACTED]" not in redact_text(url) or "${" in url


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("Authorization: Bearer 7fK2pQ9xLm4v", True),  # mcp-remote's --header, as its README writes it
        ("Authorization:Bearer 7fK2pQ9xLm4v", True),
        ("Bearer 7fK2pQ9xLm4v", False),  # in prose, a short word after Bearer is no token's shape
        ("Authorization: Bearer ${AUTH_TOKEN}", False),
    ],
)
def test_a_short_credential_in_an_authorization_header_written_as_text_is_found(text: str, secret: bool) -> None:
    assert (find_secret_in_text(text) is not None) is secret


def test_a_secret_named_key_of_json_in_a_value_gives_a_secret() -> None:
    assert find_secret(json.dumps({"host": "db.internal", "password": PASSWORD}, separators=(",", ":"))) is not None
    assert find_secret(json.dumps({"host": "db.internal", "password": "${DB_PASSWORD}"})) is None
    assert find_secret(json.dumps({"host": "db.internal", "port": "5432"})) is None


@pytest.mark.parametrize(
    ("value", "secret"),
    [
        ("Bearer 7fK2pQ9xLm4v", True),  # shorter than a token's shape asks
        ("Token 7fK2pQ9xLm4v", True),
        ("Basic dXNlcjpIdW50ZXIy", True),  # user:Hunter2
        ("Basic dXNlcjpwYXNzd29yZA==", False),  # user:password, the documentation's example
        ("Bearer ${input:token}", False),
        ("Bearer YOUR_TOKEN", False),
        ("Bearer <token>", False),
        ("Bearer {file:~/.secrets/github}", False),  # OpenCode's substitution
    ],
)
def test_an_authorization_header_gives_a_secret_after_its_scheme(value: str, secret: bool) -> None:
    assert (find_secret_given_to("Authorization", value) is not None) is secret


def _scan(tmp_path: Path, relpath: str, document: dict[str, object]) -> tuple[list[str], str]:
    (tmp_path / "repo" / relpath).parent.mkdir(parents=True)
    (tmp_path / "repo" / relpath).write_text(json.dumps(document))
    completed = run_nhiscan("scan", "manifests:repo", "--format", "json,html", "--no-history", cwd=tmp_path)
    out = tmp_path / "nhiscan-out"
    results = json.loads((out / "results.json").read_text())
    written = "".join((out / name).read_text() for name in ("results.json", "inventory.json", "report.html"))
    statuses = [f["status"] for f in results["findings"] if f["control_id"] == "NHI-SECRET-001"]
    assert completed.returncode in (0, 1), completed.stderr
    return statuses, written


@pytest.mark.parametrize(
    ("relpath", "document", "secret"),
    [
        (
            ".mcp.json",
            {
                "mcpServers": {
                    "db": {
                        "command": "npx",
                        "args": ["-y", "@acme/db@1.0.0"],
                        "env": {"DB_CONFIG": json.dumps({"host": "db", "password": PASSWORD}, separators=(",", ":"))},
                    }
                }
            },
            PASSWORD,
        ),
        (
            ".mcp.json",
            {
                "mcpServers": {
                    "api": {
                        "type": "http",
                        "url": "https://api.example.com/mcp",
                        "headers": {"Authorization": "Bearer 7fK2pQ9xLm4v"},
                    }
                }
            },
            "7fK2pQ9xLm4v",
        ),
        (
            ".mcp.json",
            {"mcpServers": {"api": {"type": "sse", "url": f"https://api.example.com/messages?sessionId={SESSION}"}}},
            SESSION,
        ),
        (
            ".vscode/mcp.json",
            {
                "inputs": [
                    {
                        "type": "promptString",
                        "id": "db-pass",
                        "description": "Database",
                        "password": True,
                        "default": PASSWORD,
                    }
                ],
                "servers": {
                    "db": {"command": "npx", "args": ["-y", "@acme/db@1.0.0"], "env": {"DB_PASS": "${input:db-pass}"}}
                },
            },
            PASSWORD,
        ),
        (
            ".mcp.json",
            {
                "mcpServers": {
                    "api": {
                        "command": "npx",
                        "args": [
                            "-y",
                            "mcp-remote@0.1.29",
                            "https://api.example.com/sse",
                            "--header",
                            "Authorization: Bearer 7fK2pQ9xLm4v",
                        ],
                    }
                }
            },
            "7fK2pQ9xLm4v",
        ),
    ],
    ids=["json-in-env", "short-bearer", "session-in-url", "vscode-password-input", "header-argument"],
)
def test_each_fails_secret_001_and_reaches_no_output(tmp_path: Path, relpath: str, document, secret: str) -> None:
    statuses, written = _scan(tmp_path, relpath, document)
    assert statuses == ["fail"]
    assert secret not in written
