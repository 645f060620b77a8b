"""Secrets never leave the source: one distinct fake secret per hiding place, and not one of them
in any output (every report format, inventory.json, the PDF's text, the history database, stdout,
stderr), through the installed console script."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import zlib
from pathlib import Path

from scanner.history.drift_index import INDEX_MAGIC
from scanner.history.store import STORED_MAGIC
from tests.hostile_cases import run_nhiscan

SEEDS = {
    "url user-info": "Seed1UserinfoPassw0rd",
    "query api_key": "Seed2QueryApiKeyValue",
    "query sig": "Seed3QuerySignatureValue",
    "command --token": "Seed4CommandFlagToken",
    "command TOKEN=": "Seed5CommandAssignToken",
    "bearer header": "Seed6BearerHeaderValue",
    "env value": "Seed7EnvApiKeyValue9f8e7d6c5b4a",
    "json in env": "Seed8JsonCarriedBearer",
    "data scope url": "Seed9DataScopePassword",
    "connection string": "Seed10ConnStringPassword",
    "schema error echo": "sk-proj-Seed11SchemaEchoAAAAAAAAAAAAAAAAAAAAAA",
    "--flag=value": "Seed12FlagEqualsValue",
    "agent instructions": "ghp_Seed13AgentInstructions" + "0" * 17,
    "agent connection key": "sk-proj-Seed14AgentConnectionKey" + "0" * 12,
    "agent tool url query": "Seed15AgentToolUrlQuery",
    "registry packageArguments": "ghp_Seed16RegistryPackageArgs" + "0" * 15,
    "registry default": "ghp_Seed17RegistryDefault" + "0" * 19,
    "gemini httpUrl query": "Seed18GeminiHttpUrlQuery",
}
# The seeds 13-18 sit where the source once read nothing: each is found and named by its place, never its value
NEW_PLACES = (
    "github_token in instructions (redacted)",
    "openai_api_key in model.connection.key (redacted)",
    "url_query_secret in tickets url (redacted)",
    "github_token in @example/tickets packageArguments[0].value (redacted)",
    "github_token in @example/tickets environmentVariables[0].default (redacted)",
    "url_query_secret in tickets httpUrl (redacted)",
)


def _repository(root: Path) -> Path:
    repo = root / "repo"
    (repo / "agents").mkdir(parents=True)
    (repo / "server.json").write_text(
        json.dumps(
            {
                "name": "io.example/tickets",
                "packages": [
                    {
                        "registryType": "npm",
                        "identifier": "@example/tickets",
                        "version": "1.0.0",
                        "packageArguments": [
                            {"type": "named", "name": "--token", "value": SEEDS["registry packageArguments"]}
                        ],
                        "environmentVariables": [{"name": "TICKETS_TOKEN", "default": SEEDS["registry default"]}],
                    }
                ],
                "remotes": [
                    {"type": "streamable-http", "url": f"https://deploy:{SEEDS['url user-info']}@mcp.example.com/mcp"},
                    {
                        "type": "sse",
                        "url": f"https://mcp.example.org/sse?api_key={SEEDS['query api_key']}&sig={SEEDS['query sig']}",
                    },
                ],
            }
        )
    )
    (repo / ".mcp.json").write_text(
        json.dumps(
            {
                "mcpServers": {
                    "runner": {
                        "command": f"bash -c 'serve --token {SEEDS['command --token']}' "
                        f"TOKEN={SEEDS['command TOKEN=']}",
                        "args": [f"--api-key={SEEDS['--flag=value']}"],
                        "env": {
                            "API_KEY": SEEDS["env value"],
                            "HEADERS": json.dumps({"Authorization": f"Bearer {SEEDS['json in env']}"}),
                        },
                    },
                    "remote": {
                        "url": "https://mcp.example.net/mcp",
                        "headers": {"Authorization": f"Bearer {SEEDS['bearer header']}"},
                    },
                }
            }
        )
    )
    (repo / "agents" / "learn.yaml").write_text(
        "kind: Prompt\nname: LearnAgent\n"
        f"instructions: Answer from Microsoft Learn; the ticket API key is {SEEDS['agent instructions']}.\n"
        f"model:\n  connection: {{kind: key, key: {SEEDS['agent connection key']}}}\n"
        "tools:\n  - {kind: mcp, name: tickets, "
        f"url: 'https://mcp.example.com/mcp?api_key={SEEDS['agent tool url query']}'}}\n"
    )
    (repo / ".gemini").mkdir()
    (repo / ".gemini" / "settings.json").write_text(
        json.dumps(
            {
                "mcpServers": {
                    "tickets": {"httpUrl": f"https://mcp.example.com/mcp?access_token={SEEDS['gemini httpUrl query']}"}
                }
            }
        )
    )
    (repo / "agents" / "reporting.nhiscan.yaml").write_text(
        "nhiscan: agent/v1\n"
        "name: reporting\n"
        "owner: data@example.com\n"
        "data_scopes:\n"
        f"  - postgresql://report:{SEEDS['data scope url']}@db.internal:5432/prod\n"
        f"  - 'Server=tcp:sql.example.net;Database=prod;User ID=r;Password={SEEDS['connection string']};'\n"
    )
    (repo / "agents" / "broken.nhiscan.yaml").write_text(
        f"nhiscan: agent/v1\nname: {{token: {SEEDS['schema error echo']}}}\nowner: a@example.com\n"
    )
    return repo


def _history_text(database: Path) -> str:
    connection = sqlite3.connect(database)
    try:
        texts = []
        for row in connection.execute("SELECT * FROM scans"):
            for value in row:
                if isinstance(value, bytes) and value.startswith(INDEX_MAGIC):
                    texts.extend(_drift_index_texts(value))
                elif isinstance(value, bytes) and value:  # failing_fingerprints is empty since revision 0004
                    stored = value[len(STORED_MAGIC) + 32 :] if value.startswith(STORED_MAGIC) else value
                    texts.append(zlib.decompress(stored).decode("utf-8"))
                else:
                    texts.append(str(value))
        return "\n".join(texts)
    finally:
        connection.close()


def _drift_index_texts(stored: bytes) -> list[str]:
    """A drift index's header and each compressed section as text (the layout drift_index's
    docstring gives: magic, SHA-256, the header's length in 4 bytes, the header, the sections)."""
    body = stored[len(INDEX_MAGIC) + 32 :]
    length = int.from_bytes(body[:4], "big")
    header = json.loads(body[4 : 4 + length])
    texts, start = [body[4 : 4 + length].decode("utf-8")], 4 + length
    for name, size in header["sections"]:
        section = body[start : start + size]
        start += size
        if name != "fingerprints":  # 16 bytes per finding, digests: the only section not zlib
            texts.append(zlib.decompress(section).decode("utf-8"))
    assert start == len(body), "every byte of the drift index was read"
    return texts


def test_no_seeded_secret_reaches_any_output(tmp_path: Path) -> None:
    repo = _repository(tmp_path)
    out = tmp_path / "out"
    database = tmp_path / "history.db"
    completed = run_nhiscan(
        "scan",
        f"manifests:{repo}",
        "--format",
        "html,pdf,json,sarif,junit,csv,md,ocsf",
        "--output-dir",
        str(out),
        "--db",
        str(database),
        "--fail-on",
        "none",
        cwd=tmp_path,
    )
    assert completed.returncode == 3, completed.stderr  # the broken manifest is a gap
    outputs = {path.name: path.read_text(encoding="utf-8-sig") for path in out.iterdir() if path.suffix != ".pdf"}
    pdf = subprocess.run(["pdftotext", str(out / "report.pdf"), "-"], capture_output=True, text=True, check=True)
    outputs["report.pdf (text)"] = pdf.stdout
    outputs["history database"] = _history_text(database)
    outputs["stdout"] = completed.stdout
    outputs["stderr"] = completed.stderr
    listing = run_nhiscan("history", "--db", str(database), cwd=tmp_path)
    outputs["history listing"] = listing.stdout + listing.stderr

    leaks = [(place, name) for place, seed in SEEDS.items() for name, text in outputs.items() if seed in text]
    assert leaks == []
    # the records are still there, with the secret's place shown and its value gone
    results = outputs["results.json"]
    assert "https://[REDACTED]@mcp.example.com/mcp" in results
    assert "api_key=[REDACTED]" in results and "postgresql://[REDACTED]@db.internal" in results
    assert "an object is not of type 'string'" in results
    assert [place for place in NEW_PLACES if place not in results] == []
    assert "https://mcp.example.com/mcp?access_token=[REDACTED]" in results  # the Gemini server's httpUrl
