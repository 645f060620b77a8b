"""manifests:PATH finds a literal secret wherever a manifest holds it: every string of an MCP client
configuration, an MCP registry entry or an Agent Framework agent is checked, free text word by word.
Each one found fails NHI-SECRET-001, is named by its key path and line, and is never written
anywhere; references and placeholders in the same places are not secrets."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pytest

from scanner.model import Inventory
from scanner.scan import ScanOptions, run_scan
from scanner.sources import SourceSpec, collect

GITHUB_TOKEN = "ghp_" + "Qm7Rt2Wx9Lp4Zk8Vn3Hs6Jd1Fb5Gc0Ty2Ae"
OPENAI_KEY = "sk-proj-" + "Hq4Lm8Rt2Vx6Nb0Zs3Kd7Pw1Fj5Gy9Tc2Ue"


def _collect(root: Path, relpath: str, content: str | dict) -> Inventory:
    path = root / relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content if isinstance(content, str) else json.dumps(content, indent=2))
    return collect(SourceSpec("manifests", str(root)))


def _secret_001(inventory: Inventory, catalogs) -> str:
    result = run_scan(inventory, catalogs, ScanOptions(keep_passed=True))
    (finding,) = [f for f in result.findings if f.control_id == "NHI-SECRET-001"]
    return finding.status


def _places(inventory: Inventory) -> dict[str, int]:
    """Each found secret's place (scope and key path) and line; the value itself is nowhere."""
    for credential in inventory.credentials:
        assert GITHUB_TOKEN not in repr(credential) and OPENAI_KEY not in repr(credential)
    return {
        c.attributes["display_id"].split(" in ", 1)[1].removesuffix(" (redacted)"): c.attributes["location"]["line"]
        for c in inventory.credentials
    }


def _line(text: str, needle: str) -> int:
    return next(number for number, line in enumerate(text.splitlines(), 1) if needle in line)


AGENT_FRAMEWORK = f"""kind: Prompt
name: LearnAgent
instructions: |
  You answer questions by searching Microsoft Learn.
  When asked about tickets, call the API with the key {GITHUB_TOKEN}.
model:
  id: gpt-4o
  connection:
    kind: key
    endpoint: https://myproj.openai.azure.com/
    key: {OPENAI_KEY}
tools:
  - kind: mcp
    name: microsoft_learn
    url: https://learn.microsoft.com/api/mcp?api_key={GITHUB_TOKEN}
    approvalMode:
      kind: never
"""


def test_an_agent_framework_agent_s_connection_key_tool_url_and_instructions_fail_secret_001(
    tmp_path: Path, catalogs
) -> None:
    inventory = _collect(tmp_path, "agent.yaml", AGENT_FRAMEWORK)
    assert _places(inventory) == {
        "instructions": _line(AGENT_FRAMEWORK, "with the key"),
        "model.connection.key": _line(AGENT_FRAMEWORK, "key: sk-proj-"),
        "microsoft_learn url": _line(AGENT_FRAMEWORK, "api_key="),
    }
    assert _secret_001(inventory, catalogs) == "fail"


def test_an_agent_framework_connection_endpoint_with_a_query_secret_is_a_secret(tmp_path: Path) -> None:
    manifest = f"""kind: Prompt
name: a
model:
  connection: {{kind: remote, endpoint: "https://x.example/v1?api-key={GITHUB_TOKEN}"}}
tools: []
"""
    assert list(_places(_collect(tmp_path, "agent.yaml", manifest))) == ["model.connection.endpoint"]


def _registry(package: dict, remote: dict | None = None) -> dict:
    entry = {"name": "io.example/tickets", "version": "1.2.3", "packages": [
        {"registryType": "npm", "identifier": "@example/tickets-mcp", "version": "1.2.3", **package}
    ]}  # fmt: skip
    if remote is not None:
        entry["remotes"] = [{"type": "streamable-http", "url": "https://mcp.example.com/mcp", **remote}]
    return entry


@pytest.mark.parametrize(
    ("package", "remote", "place"),
    [
        ({"packageArguments": [{"type": "named", "name": "--token", "value": GITHUB_TOKEN}]}, None,
         "@example/tickets-mcp packageArguments[0].value"),
        ({"packageArguments": [{"type": "named", "name": "--token", "default": GITHUB_TOKEN}]}, None,
         "@example/tickets-mcp packageArguments[0].default"),
        ({"runtimeArguments": [{"type": "named", "name": "--token", "default": GITHUB_TOKEN}]}, None,
         "@example/tickets-mcp runtimeArguments[0].default"),
        ({"environmentVariables": [{"name": "GITHUB_TOKEN", "isSecret": True, "default": GITHUB_TOKEN}]}, None,
         "@example/tickets-mcp environmentVariables[0].default"),
        ({"runtimeArguments": [{"type": "named", "name": "-e", "value": "GITHUB_TOKEN={token}",
                                "variables": {"token": {"isSecret": True, "default": GITHUB_TOKEN}}}]}, None,
         "@example/tickets-mcp runtimeArguments[0].variables.token.default"),
        ({}, {"headers": [{"name": "Authorization", "value": f"Bearer {GITHUB_TOKEN}"}]},
         "https://mcp.example.com/mcp headers[0].value"),
        ({}, {"headers": [{"name": "Authorization", "default": f"Bearer {GITHUB_TOKEN}"}]},
         "https://mcp.example.com/mcp headers[0].default"),
    ],
)  # fmt: skip
def test_a_token_anywhere_in_a_registry_entry_fails_secret_001_named_by_its_key_path(
    tmp_path: Path, catalogs, package: dict, remote: dict | None, place: str
) -> None:
    inventory = _collect(tmp_path, "server.json", _registry(package, remote))
    text = (tmp_path / "server.json").read_text()
    assert _places(inventory) == {place: _line(text, GITHUB_TOKEN)}
    assert _secret_001(inventory, catalogs) == "fail"


def test_the_same_token_twice_in_a_registry_entry_is_located_on_each_line(tmp_path: Path) -> None:
    package = {
        "packageArguments": [{"type": "named", "name": "--token", "value": GITHUB_TOKEN}],
        "environmentVariables": [{"name": "GITHUB_TOKEN", "default": GITHUB_TOKEN}],
    }
    inventory = _collect(tmp_path, "server.json", _registry(package))
    lines = [n for n, line in enumerate((tmp_path / "server.json").read_text().splitlines(), 1) if GITHUB_TOKEN in line]
    assert sorted(_places(inventory).values()) == lines and len(lines) == 2


def test_a_token_in_a_gemini_cli_server_s_http_url_fails_secret_001(tmp_path: Path, catalogs) -> None:
    settings = {"theme": "Default", "mcpServers": {"tickets": {
        "httpUrl": f"https://mcp.tickets.example/mcp?access_token={GITHUB_TOKEN}", "timeout": 5000}}}  # fmt: skip
    inventory = _collect(tmp_path, ".gemini/settings.json", settings)
    assert list(_places(inventory)) == ["tickets httpUrl"]
    assert _secret_001(inventory, catalogs) == "fail"


def test_a_secret_under_any_key_of_a_client_entry_is_found(tmp_path: Path) -> None:
    """Gemini CLI's oauth block, a key no format lists: a random-looking value under a secret name."""
    oauth = {"clientId": "tickets-cli", "clientSecret": "Zr8Xq2Lm5Vt9Nw4Kc7Hb1Pj6"}
    settings = {"mcpServers": {"tickets": {"httpUrl": "https://mcp.tickets.example/mcp", "oauth": oauth}}}
    assert list(_places(_collect(tmp_path, ".gemini/settings.json", settings))) == ["tickets oauth.clientSecret"]


def test_beside_references_placeholders_and_digests_only_the_literal_token_is_found(tmp_path: Path) -> None:
    agent = f"""kind: Prompt
name: Safe
instructions: Use the token ${{env:TICKETS_TOKEN}}; never print <YOUR_TOKEN> or the key =Env.KEY.
model:
  connection: {{kind: key, endpoint: =Env.FOUNDRY_PROJECT_ENDPOINT, key: =Env.FOUNDRY_KEY}}
tools:
  - {{kind: mcp, name: tickets, url: "https://mcp.tickets.example/mcp?api_key=${{input:tickets_key}}"}}
  - {{kind: mcp, name: leaky, url: https://mcp.example.org/mcp, headers: {{Authorization: "Bearer {GITHUB_TOKEN}"}}}}
"""
    registry = _registry({
        "packageArguments": [{"type": "named", "name": "--token", "value": "${input:token}"}],
        "environmentVariables": [{"name": "GITHUB_TOKEN", "default": "<YOUR_TOKEN>"},
                                 {"name": "OPENAI_API_KEY", "default": OPENAI_KEY}],
        "fileSha256": "fe333e598595000ae021bd27117db32ec69af6987f507ba7a63c90638ff633ce",
    })  # fmt: skip
    registry["description"] = "Built from commit 3f9a1c0e7b2d4f6a8c1e3b5d7f9a2c4e6b8d0f1a; see the README."
    agent_inventory = _collect(tmp_path / "a", "agent.yaml", agent)
    assert list(_places(agent_inventory)) == ["leaky headers.Authorization"]
    registry_inventory = _collect(tmp_path / "b", "server.json", registry)
    assert list(_places(registry_inventory)) == ["@example/tickets-mcp environmentVariables[1].default"]


def test_a_manifest_with_more_strings_than_are_checked_has_unknown_credentials(
    tmp_path: Path, catalogs, monkeypatch: pytest.MonkeyPatch
) -> None:
    from scanner.sources.manifests import walk

    monkeypatch.setattr(walk, "MAX_STRINGS", 5)
    variables = [{"name": f"V{index}", "value": "plain"} for index in range(10)]
    inventory = _collect(tmp_path, "server.json", _registry({"environmentVariables": variables}))
    (agent,) = inventory.agents
    assert "credentials" in agent.unknown
    assert _secret_001(inventory, catalogs) == "unknown"


@pytest.mark.parametrize(("url", "expected"), [("http://mcp.tickets.example/mcp", "fail"),
                                               ("https://mcp.tickets.example/mcp", "pass")])  # fmt: skip
def test_a_gemini_cli_server_reached_by_http_url_is_a_remote_tool_judged_for_tls(
    tmp_path: Path, catalogs, url: str, expected: str
) -> None:
    settings = {"mcpServers": {"tickets": {"httpUrl": url, "headers": {"Authorization": "Bearer ${TICKETS_TOKEN}"}}}}
    inventory = _collect(tmp_path, ".gemini/settings.json", settings)
    (tool,) = inventory.grants
    assert (tool.source, tool.attributes["url"], tool.attributes["tool_type"]) == (
        "mcp:http",
        url,
        "mcp.tickets.example",
    )
    result = run_scan(inventory, catalogs, ScanOptions(keep_passed=True))
    assert [f.status for f in result.findings if f.control_id == "NHI-AGENT-010"] == [expected]


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("Log in with password: hunter2hunter2 when asked.", True),  # low entropy, but given to a password
        ("serve --token Cm7dCommandToken5x4y3z2w", True),
        ("Use the token ${env:TICKETS_TOKEN}; never the key =Env.KEY.", False),
        ("The key file is /etc/nhiscan/key.pem and the token endpoint https://login.example/token.", False),
        ("Pass the api_key as a header named Authorization.", False),
        # ordinary agent instructions: ARNs, key ids, table keys, dates, page tokens, a key's name
        (
            "Encrypt with the KMS key arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab.",
            False,
        ),
        ("Use KMS key 1234abcd-12ab-34cd-56ef-1234567890ab for the bucket.", False),
        ("The secret arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf holds it.", False),
        ("The partition key: tenant_id2 and the sort key: created_at.", False),
        ("The token 2024-01-01T00:00:00Z marks the start.", False),
        ("Pass nextToken: eyJuZXh0IjoiYWJjIn0 to get the next page.", False),
        ("Never print a -----BEGIN RSA PRIVATE KEY----- header.", False),
        # prose gives a value with "is" as with ":" (these passed)
        ("The admin password is Hunter2Pass9x, change it after the demo.", True),
        ("The API key is Xk9mQ2pL7vBn3Rt8.", True),
        ("The password is stored in the vault; the token is ${GITHUB_TOKEN}.", False),
        ("The password is required and the key is rotated every 90 days.", False),
    ],
)
def test_a_value_given_to_a_secret_named_word_is_a_secret_whatever_its_entropy(text: str, secret: bool) -> None:
    """detect-secrets' entropy limit (4.5 bits per character) no 24-character token can reach: a
    literal after 'password', '--token' or 'api_key' is the secret, as a secret-named URL parameter is."""
    from scanner.secret_detection import find_secret_in_command, find_secrets_in_text

    found = find_secret_in_command(text) if text.startswith("serve") else (find_secrets_in_text(text) or None)
    assert (found is not None) == secret


def test_a_long_run_of_slashes_is_read_in_linear_time() -> None:
    """detect-secrets' npm token pattern is quadratic on a run of '/': 200 KB took two minutes
    before words that long stopped reaching it (no token is that long)."""
    import time

    from scanner.secret_detection import find_secrets_in_text

    started = time.monotonic()
    assert find_secrets_in_text("/" * 200_000) == []
    assert time.monotonic() - started < 10


def test_a_short_password_given_to_a_secret_named_variable_fails_secret_001(tmp_path: Path, catalogs) -> None:
    """No password of fewer than 23 characters reaches detect-secrets' entropy limit; what a
    secret-named variable, key or registry entry is given is the secret whatever its entropy, as
    the word after ``password:`` in text is. References, placeholders, names and the keys that
    only find or identify something stay clean."""
    env = {
        "DB_PASSWORD": "Xk9mQ2pL7v",
        "API_TOKEN": "$ecret.Xk9mQ2pL7v",
        "SMTP_PASS": "Hunt3rTw0!x",
        "GPG_PASSPHRASE": "Hunt3rTw0!y",
        "PASSWORD_2": "Hunt3rTw0!z",
        "COSMOS_PRIMARY_KEY": "Hunt3rTw0!w",
        "OTHER_PASSWORD": "${DB_PASSWORD}",
        "GITHUB_TOKEN": "your-token-here",
        "SEARCH_API_KEY": "REPLACE_ME_123",
        "DB_HOST": "Xk9mQ2pL7v",
    }
    settings = {"mcpServers": {"db": {"command": "db-mcp", "env": env, "partitionKey": "tenant#2024"}}}
    inventory = _collect(tmp_path / "a", ".mcp.json", settings)
    assert sorted(_places(inventory)) == [
        "db env.API_TOKEN", "db env.COSMOS_PRIMARY_KEY", "db env.DB_PASSWORD", "db env.GPG_PASSPHRASE",
        "db env.PASSWORD_2", "db env.SMTP_PASS",
    ]  # fmt: skip
    assert _secret_001(inventory, catalogs) == "fail"
    variables = [
        {"name": "TICKETS_API_KEY", "default": "Zx9Qw2Er5Ty8"},
        {"name": "TICKETS_URL", "default": "Zx9Qw2Er5Ty8"},
        {"name": "TICKETS_CONN", "isSecret": True, "default": "Zx9Qw2Er5Ty9"},  # the registry marks it secret
        {"Name": "TICKETS_SECRET", "Value": "Zx9Qw2Er5Ty7"},
    ]
    registry = _registry({"environmentVariables": variables})
    assert list(_places(_collect(tmp_path / "b", "server.json", registry))) == [
        "@example/tickets-mcp environmentVariables[0].default",
        "@example/tickets-mcp environmentVariables[2].default",
        "@example/tickets-mcp environmentVariables[3].Value",
    ]


PLACEHOLDERS = [
    "ntn_****",  # Notion's README
    "fc-YOUR_API_KEY",  # Firecrawl's
    "tvly-YOUR-KEY",  # Tavily's
    "YOUR API KEY",
    "Get one from the dashboard",
    "[YOUR_API_KEY]",
    "(your key)",
    "XXXX-XXXX-XXXX-XXXX",
    "sk-or-v1-XXXXXXXXXXXX",
    "secret_****",
    "AIzaSy...",
    "••••••••",
    "1234567890",
    "[parameters('adminPassword')]",
    "!secret api_key",
    "ghp_" + "x" * 36,  # a token's prefix, then its mask: no detector's token
    "sk-ant-api03-" + "x" * 32,
    "sk_live_" + "X" * 24,
    "glpat-" + "x" * 20,
]


@pytest.mark.parametrize("placeholder", PLACEHOLDERS)
def test_a_placeholder_given_to_a_secret_named_variable_is_no_secret(tmp_path: Path, placeholder: str) -> None:
    """What READMEs of popular MCP servers tell their users to replace is no plaintext secret."""
    settings = {"mcpServers": {"x": {"command": "x-mcp", "env": {"X_API_KEY": placeholder}}}}
    assert list(_places(_collect(tmp_path, ".mcp.json", settings))) == []


@pytest.mark.parametrize(
    "password",
    ["!Qaz2wsx#Edc4", "Tr0ub4dor &3 z9", "Hunt3r***2024x", "Xk9mQ2pL7vxxxx9", "yourMom4Ever!23", "[Hunt3rTw0!x]",
     "84736251904736"],
)  # fmt: skip
def test_a_password_holding_a_placeholder_s_part_is_still_a_secret(tmp_path: Path, password: str) -> None:
    """Only a whole placeholder is one: a mask, "your" or brackets inside a password do not make it one."""
    settings = {"mcpServers": {"x": {"command": "x-mcp", "env": {"DB_PASSWORD": password}}}}
    assert list(_places(_collect(tmp_path, ".mcp.json", settings))) == ["x env.DB_PASSWORD"]


def test_a_password_given_by_a_flag_or_an_assignment_in_args_fails_secret_001(tmp_path: Path, catalogs) -> None:
    """``args`` is a command line: the flag before a value names it (``--password X``), and so does
    ``--password=X`` or docker's ``-e DB_PASSWORD=X``, whatever the value's entropy."""
    servers = {
        "pg": {"command": "pg-mcp", "args": ["--password", "Hk3Lm9Pq2Rs7Tu", "--user", "Hk3Lm9Pq2Rs7"]},
        "pg2": {"command": "pg-mcp", "args": ["--password=Hk3Lm9Pq2Rs8Tu"]},
        "dk": {"command": "docker", "args": ["run", "-e", "DB_PASSWORD=Hk3Lm9Pq2Rs9Tu", "-e", "GITHUB_TOKEN", "img"]},
        "ok": {"command": "x", "args": ["--token", "${input:token}", "--api-key", "YOUR_API_KEY", "-e", "K=${K}"]},
    }
    inventory = _collect(tmp_path, ".mcp.json", {"mcpServers": servers})
    assert sorted(_places(inventory)) == ["dk args[2]", "pg args[1]", "pg2 args[0]"]
    assert _secret_001(inventory, catalogs) == "fail"


@pytest.mark.parametrize(
    "password",
    ["q3Xv/9Lk2Jm0PzW", "aB3/xY9+kL2mN0pQ", "Pa55:word9xQ", "app:Hk3Lm9Pq2R", "xYkLmNpQ/Tr0ub4dor"],
)
def test_a_password_holding_a_slash_or_a_colon_given_to_a_secret_named_variable_fails_secret_001(
    tmp_path: Path, password: str, catalogs
) -> None:
    """A base64 password (``openssl rand -base64 12``) holds ``/`` and ``+``: a ``/`` or ``:`` made
    any value a path or a URL, and NHI-SECRET-001 passed it."""
    settings = {"mcpServers": {"x": {"command": "x-mcp", "env": {"DB_PASSWORD": password}}}}
    inventory = _collect(tmp_path, ".mcp.json", settings)
    assert list(_places(inventory)) == ["x env.DB_PASSWORD"]
    assert _secret_001(inventory, catalogs) == "fail"


@pytest.mark.parametrize(
    "place",
    [
        "/run/secrets/db_password",
        "./secrets/db_password",
        "secrets/db_password.txt",
        "Config/Production/DbPassword",
        "C:\\secrets\\db.txt",
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf",
        "projects/my-project/secrets/db-pass/versions/latest",
        "vault:secret/data/db",
        "op://Private/Postgres/password",
        "localhost:5432",
        "kv/data/prod/db",
    ],
)
def test_a_path_or_an_address_given_to_a_secret_named_variable_is_no_secret(tmp_path: Path, place: str) -> None:
    """Where a secret is kept (a file, an ARN, a Secret Manager or Vault path) is no secret."""
    settings = {"mcpServers": {"x": {"command": "x-mcp", "env": {"DB_PASSWORD": place}}}}
    assert list(_places(_collect(tmp_path, ".mcp.json", settings))) == []


def test_a_password_given_by_a_flag_or_an_assignment_in_a_command_fails_secret_001(tmp_path: Path, catalogs) -> None:
    """A ``command`` string is judged as ``args`` are: the flag before a value, or its assignment, names it."""
    servers = {
        "pg": {"command": "bash -c 'pg-mcp --password Hk3Lm9Pq2Rs7Tu --user Hk3Lm9Pq2Rs7'"},
        "pg2": {"command": "pg-mcp --password=Hk3Lm9Pq2Rs8Tu"},
        "dk": {"command": "docker run -e DB_PASSWORD=Hk3Lm9Pq2Rs9Tu -e GITHUB_TOKEN img"},
        "sig": {"command": "fetch-mcp --sig Hk3Lm9Pq2Rs6Tu"},  # a flag may name a secret as a variable does not
        "ok": {"command": "x --token ${TOKEN} --api-key YOUR_API_KEY -e K=${K}"},
    }
    inventory = _collect(tmp_path, ".mcp.json", {"mcpServers": servers})
    assert sorted(_places(inventory)) == ["dk command", "pg command", "pg2 command", "sig command"]
    assert _secret_001(inventory, catalogs) == "fail"


@pytest.mark.parametrize(
    "command",
    [
        "bash -c 'serve --passphrase Xk9mQ2pL7vZ'",
        "docker run -e SMTP_PASS=Xk9mQ2pL7vZ img",
        "docker run -e GPG_PASSPHRASE=Xk9mQ2pL7vZ img",
        "bash -c 'serve --db-pass Xk9mQ2pL7vZ'",
        "bash -c 'serve --token-2 Xk9mQ2pL7vZ'",
        "serve -pass Xk9mQ2pL7vZ",
        "serve --password='Xk9mQ2pL7vZ'",
        'docker run -e DB_PASSWORD="Xk9mQ2pL7vZ" img',
        "serve Xk9mQ2pL7vZ --password Xk9mQ2pL7vZ",  # its unnamed copy too
    ],
)
def test_a_secret_found_in_a_command_is_taken_out_of_the_command_kept(tmp_path: Path, command: str) -> None:
    """What the detector reports by a flag's or an assignment's name, redaction removes: the
    command each tool keeps held it as written (--passphrase, SMTP_PASS, -pass, a quoted value)."""
    inventory = _collect(tmp_path, ".mcp.json", {"mcpServers": {"x": {"command": command}}})
    assert list(_places(inventory)) == ["x command"]
    kept = [g.attributes.get("command") for g in inventory.grants] + [a.attributes for a in inventory.agents]
    assert "Xk9mQ2pL7vZ" not in repr(kept)
    assert "[REDACTED]" in repr(kept)


@pytest.mark.parametrize(
    ("server", "secret"),
    [
        ({"command": "serve --sig 75$+yx$8;{xm5Msl&~"}, "xm5Msl"),
        ({"command": "serve --password=Ab3;dE5fG7hJ9&x --name alpha"}, "dE5fG7hJ9"),
    ],
)
def test_a_value_a_flag_names_is_taken_out_whole(tmp_path: Path, server: dict, secret: str) -> None:
    """Not only up to the ";" or "&" where the text forms end a value."""
    inventory = _collect(tmp_path, ".mcp.json", {"mcpServers": {"x": server}})
    assert len(inventory.credentials) == 1
    assert secret not in repr([inventory.agents, inventory.grants, inventory.credentials])
    assert "alpha" in repr(inventory.grants) or "--name" not in server["command"], "the rest of the command stays"


@pytest.mark.parametrize(
    ("server", "secret", "package"),
    [
        ({"command": "serve Zq8Xv2Lk9Jm4PzW7Tr0ub4dorX1"}, "Zq8Xv2Lk9Jm4PzW7Tr0ub4dorX1", "serve [REDACTED]"),
        (
            {"command": "npx", "args": ["--password", "Xk9mQ2pL7vZ", "@example/server"]},
            "Xk9mQ2pL7vZ",
            "@example/server",
        ),
        (
            {"command": "serve --password=Xk9mQ2pL7vZ --name alpha"},
            "Xk9mQ2pL7vZ",
            "serve --password=[REDACTED] --name alpha",
        ),
    ],
)
def test_a_secret_in_a_command_or_its_args_is_neither_the_package_nor_kept_in_the_command(
    tmp_path: Path, server: dict, secret: str, package: str
) -> None:
    """A random token written into a command was reported but kept as the command and the package
    read from it; a value after ``--password`` in ``args`` was read as npx's package."""
    inventory = _collect(tmp_path, ".mcp.json", {"mcpServers": {"x": server}})
    assert len(inventory.credentials) == 1
    assert secret not in repr([inventory.agents, inventory.grants, inventory.credentials])
    (tool,) = inventory.grants
    assert tool.attributes["package"] == package


def test_a_url_s_short_password_after_a_flag_takes_only_itself_out() -> None:
    """Searched for wherever it is, a one-letter password would take every such letter with it."""
    from scanner.redact import redact_text

    assert redact_text("serve --password redis://:a@localhost:6379 --name alpha") == (
        "serve --password [REDACTED] --name alpha"
    )


def test_a_negation_is_a_flag_s() -> None:
    """``--no-auth`` names no secret; a variable named NO_REPLY_PASSWORD holds a password."""
    from scanner.secret_detection import find_secret_given_to, find_secret_in_command

    assert find_secret_given_to("NO_REPLY_PASSWORD", "Xk9mQ2pL7vZ") is not None
    assert find_secret_in_command("x --no-auth Xk9mQ2pL7vZ") is None


@pytest.mark.parametrize(
    "password",
    [
        "/BnrtfYVF1FPKykj",
        "u:/Xk9mQ2pL7v",
        "admin:vlpi8f1cg1jt",
        "app:hunter2hunter2",
        "q3Xv9Lk2Jm0PzWab=",
        "admin:X7K2M9QP4R",  # upper-case letters and digits are no name
        "hunter2#secret9x",  # "#" separates a path's parts only
        "admin:hunter2",
        "root:passw0rd",
        "api:5f4dcc3b5aa765d61d8327deb882cf99",  # hex, but no digest's algorithm names it
        "user:@dmin2024",  # a package scope's mark is a path's
    ],
)
def test_a_password_that_begins_as_a_path_or_is_a_user_s_is_still_a_secret(tmp_path: Path, password: str) -> None:
    """base64 may begin with "/" and end with "=", and a user's password may be lower-case letters
    and digits: none of these is a path, a drive, an assignment or a host and port."""
    settings = {"mcpServers": {"x": {"command": "x-mcp", "env": {"DB_PASSWORD": password}}}}
    assert list(_places(_collect(tmp_path, ".mcp.json", settings))) == ["x env.DB_PASSWORD"]


@pytest.mark.parametrize(
    "given",
    [
        {"env": {"DB_PASSWORD": "@Microsoft.KeyVault(SecretUri=https://kv1.vault.azure.net/secrets/db/)"}},
        {"env": {"DB_PASSWORD": "ENC[AES256_GCM,data:Tr7o9k2L,iv:aB3dE=,tag:Xy9z==,type:str]"}},  # SOPS
        {"env": {"DB_PASSWORD": "projects/p/secrets/dbPassword2/versions/1"}},
        {"env": {"DB_PASSWORD": "Secrets/Prod/DBPassword"}},
        {"env": {"API_KEY": "keys/SA-Key.json"}},
        {"env": {"DB_PASSWORD": "vault:secret/data/db#password"}},
        {"env": {"REDIS_AUTH": "DB-HOST01:6379"}},
        {"env": {"GOOGLE_APPLICATION_CREDENTIALS": "/home/app/.config/gcloud/application_default_credentials.json"}},
        {"env": {"AWS_SHARED_CREDENTIALS_FILE": "c:/Users/app/.aws/credentials"}},
        {"env": {"API_KEY_FILE_PASSWORD": "node_modules/@scope/pkg/key.pem"}},
        {"env": {"IMAGE_TOKEN": "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}},
        {"args": ["--no-auth", "@scope/server-pkg"]},
        {"args": ["--key", "Reports/2024/Q1-Summary.pdf"]},
        {"args": ["build", "--secret", "id=npmrc,src=/home/app/.npmrc"]},
        {"args": ["lambda", "update-function-code", "--code", "S3Bucket=artifacts,S3Key=fn.zip"]},
    ],
)
def test_where_a_secret_is_kept_or_what_a_flag_configures_is_no_secret(tmp_path: Path, given: dict) -> None:
    """A Key Vault reference, a SOPS-encrypted value, a secret manager's or a file's path, a host,
    and flags that name no secret's value (--no-auth, an S3 object's --key, docker's --secret spec)."""
    settings = {"mcpServers": {"x": {"command": "x-mcp", **given}}}
    assert list(_places(_collect(tmp_path, ".mcp.json", settings))) == []


@pytest.mark.parametrize("placeholder", [p for p in PLACEHOLDERS if not re.search(r"[\s'\"]", p)])
def test_a_placeholder_given_by_a_flag_in_a_command_is_no_secret(tmp_path: Path, placeholder: str) -> None:
    """The placeholders a variable may hold are none after a flag either (a command string's rule
    was the entropy-free one alone, so ``--api-key fc-YOUR_API_KEY`` was a secret)."""
    settings = {"mcpServers": {"x": {"command": f"x-mcp --api-key {placeholder}"}}}
    assert list(_places(_collect(tmp_path, ".mcp.json", settings))) == []


@pytest.mark.parametrize("flag", ["--page-token", "--next-token", "--public-key", "--partition-key"])
def test_a_flag_naming_what_finds_or_identifies_gives_no_secret(tmp_path: Path, flag: str) -> None:
    """A page's token or a public key's value is no secret, in a command string as in ``args``."""
    servers = {
        "cmd": {"command": f"x-mcp {flag} Hk3Lm9Pq2Rs7Tu"},
        "args": {"command": "x-mcp", "args": [flag, "Hk3Lm9Pq2Rs7Tu"]},
    }
    assert list(_places(_collect(tmp_path, ".mcp.json", {"mcpServers": servers}))) == []


PASTED_TOKEN = "ghp_" + "Lk4Mn7Pq2Rs9Tu3Vw8Xy1Za6Bc5De0Fg2Hi7"  # 36 characters: GitHub's format


@pytest.mark.parametrize(
    ("relpath", "content", "place"),
    [
        (".mcp.json", {"mcpServers": {PASTED_TOKEN: {"command": "npx", "args": ["-y", "srv"]}}}, "mcpServers.[key]"),
        (
            ".vscode/mcp.json",
            {"servers": {PASTED_TOKEN: {"type": "http", "url": "https://x.example"}}},
            "servers.[key]",
        ),
        (".codex/config.toml", f'[mcp_servers.{PASTED_TOKEN}]\ncommand = "npx"\n', "mcp_servers.[key]"),
        ("opencode.json", {"mcp": {PASTED_TOKEN: {"type": "local", "command": ["npx", "srv"]}}}, "mcp.[key]"),
    ],
)
def test_a_secret_pasted_as_a_server_s_name_fails_secret_001(
    tmp_path: Path, catalogs, relpath: str, content: str | dict, place: str
) -> None:
    """The name was redacted wherever it was shown, but never reported: the file passed."""
    inventory = _collect(tmp_path, relpath, content)
    assert [c.attributes["display_id"] for c in inventory.credentials] == [f"github_token in {place} (redacted)"]
    assert _secret_001(inventory, catalogs) == "fail"


def test_a_secret_an_agent_manifest_s_tool_is_named_by_is_reported_once(tmp_path: Path) -> None:
    """A manifest's tool names itself under ``name``, which is checked with the tool: its name is
    no key of a section of servers, to be checked again."""
    manifest = (
        "nhiscan: agent/v1\nname: bot\nowner: team@example.com\ntools:\n"
        f"  - name: {PASTED_TOKEN}\n    mcp:\n      command: npx\n      args: [-y, srv]\n"
    )
    inventory = _collect(tmp_path, "bot.nhiscan.yaml", manifest)
    assert len(inventory.credentials) == 1


HEROKU_KEY = "6f1c2a9e-3b7d-4e58-9a0c-2d4e6f8a1b3c"  # Heroku's API keys, and MongoDB Atlas's private keys, are UUIDs


@pytest.mark.parametrize(
    "server",
    [
        {"command": "npx", "args": ["-y", "heroku-mcp-server@1.0.7"], "env": {"HEROKU_API_KEY": HEROKU_KEY}},
        {"url": "https://mcp.example.com/mcp", "headers": {"x-api-key": HEROKU_KEY}},
        {"command": "npx", "args": ["-y", "some-mcp@2.0.0", f"--api-key={HEROKU_KEY}"]},
    ],
    ids=["env", "header", "flag"],
)
def test_a_uuid_given_to_a_secret_named_key_is_a_secret(tmp_path: Path, catalogs, server: dict) -> None:
    """It was taken for a KMS key's id, whatever its name: NHI-SECRET-001 passed and the key was written out."""
    inventory = _collect(tmp_path, ".mcp.json", {"mcpServers": {"heroku": server}})
    assert [c.kind for c in inventory.credentials] == ["plaintext_secret"]
    assert HEROKU_KEY not in repr(inventory)
    assert _secret_001(inventory, catalogs) == "fail"


def test_a_kms_keys_id_is_no_secret(tmp_path: Path, catalogs) -> None:
    server = {"command": "npx", "args": ["-y", "s3-mcp@1.0.0"], "env": {"AWS_KMS_KEY": HEROKU_KEY}}
    inventory = _collect(tmp_path, ".mcp.json", {"mcpServers": {"s3": server}})
    assert inventory.credentials == []
    assert _secret_001(inventory, catalogs) == "pass"


def _smithery(settings: dict) -> str:
    encoded = base64.b64encode(json.dumps(settings).encode()).decode()
    return f"https://server.smithery.ai/@smithery-ai/github/mcp?config={encoded}"


def test_a_token_in_a_gateways_encoded_settings_is_a_secret(tmp_path: Path, catalogs) -> None:
    """Smithery hands a hosted server its settings as base64 JSON in ?config=: a token there passed
    NHI-SECRET-001 and the whole URL was written out."""
    url = _smithery({"githubPersonalAccessToken": GITHUB_TOKEN})
    inventory = _collect(tmp_path, ".mcp.json", {"mcpServers": {"github": {"url": url}}})
    assert [c.kind for c in inventory.credentials] == ["plaintext_secret"]
    assert url.split("config=")[1] not in repr(inventory)
    assert _secret_001(inventory, catalogs) == "fail"


def test_encoded_settings_without_a_secret_stay(tmp_path: Path, catalogs) -> None:
    url = _smithery({"debug": True, "region": "us-east-1"})
    inventory = _collect(tmp_path, ".mcp.json", {"mcpServers": {"github": {"url": url}}})
    assert inventory.credentials == []
    assert url in repr(inventory.grants)


def test_encoded_settings_are_read_whatever_base64_alphabet_and_however_the_query_writes_plus(tmp_path: Path) -> None:
    """Standard base64 holds "+", which a query reads as a space when it is not percent-encoded."""
    settings = {"apiKey": GITHUB_TOKEN, "note": ">>>???"}  # ">>>???" encodes to "+" and "/" in base64
    encoded = base64.b64encode(json.dumps(settings).encode()).decode()
    assert "+" in encoded
    url = f"https://server.smithery.ai/@acme/tool/mcp?config={encoded}"
    inventory = _collect(tmp_path, ".mcp.json", {"mcpServers": {"tool": {"url": url}}})
    assert [c.kind for c in inventory.credentials] == ["plaintext_secret"]


def test_a_uuid_after_a_name_in_free_text_is_an_id(tmp_path: Path) -> None:
    from scanner.secret_detection import find_secrets_in_text

    assert find_secrets_in_text(f"Run with kms_key={HEROKU_KEY} and public_key={HEROKU_KEY}.") == []


@pytest.mark.parametrize(
    ("value", "shown"),
    [("PAGXk9mQ2pL7vR4tW8yZ3bN6cF1hJ5sD", False), ("sometimes", True)],
    ids=["a generated password", "a word"],
)
def test_a_schema_error_names_a_short_word_but_not_a_password_pasted_where_a_boolean_goes(
    tmp_path: Path, value: str, shown: bool
) -> None:
    """Reader: a schema error showed any value of 32 characters or fewer without a space ('PAGX…'
    is not of type 'boolean'), in the gap written to every report and the history. A word stays
    named (it tells what was wrong); one the detector reads as a generated secret does not."""
    (tmp_path / "signer.nhiscan.yaml").write_text(
        f"nhiscan: agent/v1\nname: signer\nowner: a@example.com\n"
        f"tools:\n  - name: sign\n    requires_approval: {value}\n"
    )
    inventory = collect(SourceSpec("manifests", str(tmp_path)))
    (source,) = inventory.sources
    messages = " ".join(error.message for error in source.errors)
    assert "is not of type 'boolean'" in messages
    assert (value in messages) is shown
