"""A credential that a hosted service puts in its URL's path is a secret like one in the URL's
user-info or query: found, failing NHI-SECRET-001, and in no output.

Zapier's MCP server URL is ``https://mcp.zapier.com/api/mcp/s/<secret>/mcp`` ("treat this URL like
a password": the part after ``/s/`` is base64 of two UUIDs); a Discord webhook's token, a
Telegram bot's token and Firecrawl's key (``https://mcp.firecrawl.dev/<key>/v2/mcp``) are path
parts too. The secrets below are fakes in those formats, made for
these tests."""

from __future__ import annotations

import json
import random
import string
import time
from pathlib import Path

import pytest

from scanner.redact import redact_text
from scanner.scan import ScanOptions, run_scan
from scanner.secret_detection import find_secret, find_secret_in_command, find_secrets_in_text
from scanner.sources import SourceSpec, collect

ZAPIER_SECRET = "YzZlN2E5OTMtZWVkYy00YTliLTk4YWItMmIyZWI3NjE4OGZkOmY2ZjVkMzBhLTEyNTUtNGM5ZC05NGZiLWYwZjgxMTM0NzgwNw=="
ZAPIER_URL = f"https://mcp.zapier.com/api/mcp/s/{ZAPIER_SECRET}/mcp"
DISCORD_TOKEN = "jsbfipt0vz3ETe_Kgo_6JwVco6_lO0598A88P6ljarW7Mvwd2clEvkHgUaRJWtBitdWv"
TELEGRAM_TOKEN = "GS176mFtmh2DlBhxM3sXPL89zArvUEWhK9j"
FIRECRAWL_KEY = "fc-9f3b2c7d1e8a4b6c0d5e2f7a1b3c9d4e"

IN_PATHS = [
    (ZAPIER_URL, ZAPIER_SECRET),
    (ZAPIER_URL.replace("==", "%3D%3D"), ZAPIER_SECRET.replace("==", "%3D%3D")),  # its padding encoded
    ("https://actions.zapier.com/mcp/sk-ak-4Hk3Lm9Pq2RzQw8Xv7Tn5Yb1Jc6Df0/sse", "sk-ak-4Hk3Lm9Pq2RzQw8Xv7Tn5Yb1Jc6Df0"),
    (f"https://discord.com/api/webhooks/123456789012345678/{DISCORD_TOKEN}", DISCORD_TOKEN),
    (f"https://api.telegram.org/bot123456789:{TELEGRAM_TOKEN}/sendMessage", TELEGRAM_TOKEN),
    # after a part that names it, a credential of any case: IFTTT's key (22 characters), a Teams
    # incoming webhook's secret (32 hex digits, before the connector's id), a Mattermost hook's id
    # (26 lowercase), Rocket.Chat's /hooks/<id>/<token> (both parts: the URL is the credential)
    ("https://maker.ifttt.com/trigger/door_open/with/key/dQw4w9WgXcQ8rTyU2bLmZk", "dQw4w9WgXcQ8rTyU2bLmZk"),
    (
        "https://contoso.webhook.office.com/webhookb2/7aa49aa6-7840-443d-806c-08ebe8f59966@"
        "c662313f-14fc-43a2-9a7a-d2e27f4f3478/IncomingWebhook/8592f62b50cf41b9b93ba0c0a00a0b88/"
        "eff4cd58-1bb8-4899-94de-795f656b4a18",
        "8592f62b50cf41b9b93ba0c0a00a0b88",
    ),
    ("https://chat.example.com/hooks/xi3pwd1ejbb8xkf7yq1z7w4p3c", "xi3pwd1ejbb8xkf7yq1z7w4p3c"),
    (
        "https://rocket.example.com/hooks/Hk3Lm9Pq2RzQw8Xv7/Tn5Yb1Jc6Df0gHiJkLmNoPqRsTuVwXyZ0123456789AbCdEfGh",
        "Hk3Lm9Pq2RzQw8Xv7/Tn5Yb1Jc6Df0gHiJkLmNoPqRsTuVwXyZ0123456789AbCdEfGh",
    ),
    # found missing by a review: a random id or key may hold no digit, or letters that read as words
    (
        "https://rocket.example.com/hooks/EaAGQqBWnucENtxvS/M9dur4P6QpLom3LNdPGbPJvTdeCRpsB5TfRQoQcvy5wpkBN7",
        "EaAGQqBWnucENtxvS/M9dur4P6QpLom3LNdPGbPJvTdeCRpsB5TfRQoQcvy5wpkBN7",
    ),
    ("https://maker.ifttt.com/trigger/e/with/key/acNCkCJRIWcpQSroGsfSjl", "acNCkCJRIWcpQSroGsfSjl"),
    ("https://maker.ifttt.com/trigger/e/with/key/pYhdrE-XOqKrrssEzdB-6U", "pYhdrE-XOqKrrssEzdB-6U"),
    # found kept by a review: Firecrawl's hosted MCP server takes its key (fc- and 32 hex digits,
    # lowercase like a digest) as the path's first part
    (f"https://mcp.firecrawl.dev/{FIRECRAWL_KEY}/v2/mcp", FIRECRAWL_KEY),
    (f"https://mcp.firecrawl.dev/{FIRECRAWL_KEY}/sse", FIRECRAWL_KEY),
]
# found missing by a review: a path beyond a password in the user-info, a URL in angle brackets
TOGETHER = [
    f"https://svc:Tr0ub4dorXqZv93k@mcp.zapier.com/api/mcp/s/{ZAPIER_SECRET}/mcp",
    f"See <{ZAPIER_URL}> for the tools.",
    f"https://gw.example.com/sse?url={ZAPIER_URL}",  # a URL handed on in another's query
    f"http://localhost:6274/?transport=sse&serverUrl={ZAPIER_URL}",
]

NOT_SECRETS = [
    "https://mcp.zapier.com/api/mcp/s/YOUR_SECRET/mcp",  # the documentation's placeholder
    "https://mcp.zapier.com/api/mcp/s/[token]/mcp",
    "https://mcp.pipedream.net/6f1c2b9e-3a47-4d1e-9f0b-2c8d7e5a4b31/gmail",  # a UUID identifies
    "https://github.com/org/repo/blob/3f786850e387550fdab836ed7e6dc881de23001b/README.md",  # a commit id
    "https://oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE",  # an EKS issuer's id
    "https://registry.npmjs.org/@modelcontextprotocol/server-filesystem/-/server-filesystem-2025.8.21.tgz",
    "https://example.com/docs/ConfiguringTheModelContextProtocolServer2025/index.html",  # words
    # shapes a review found taken for secrets: a file's name, an API object's id, an IPFS id, a
    # diagram encoded in the path, a cloud API's resource name
    "https://fonts.gstatic.com/s/roboto/v30/KFOmCnqEu92Fr1Mu4mxKKTU1Kg.woff2",
    "https://platform.openai.com/assistants/asst_Hk3Lm9Pq2RzQw8Xv7Tn5Yb1Jc",
    "https://ipfs.io/ipfs/QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG",
    "https://mermaid.ink/img/pako:eNpVkMFqwzAMhl9F6NRC8wI5DNYm7XYYjK03x2uYJR1nZrYJDJj4jp2rCFmka",
    "https://sqs.us-east-1.amazonaws.com/123456789012/MyStack-MyQueueE6CA6235-Hk3Lm9Pq2RzQ",
    # documents' ids, common in agents' descriptions (Google's own quickstart sheet)
    "https://docs.google.com/spreadsheets/d/1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms/edit",
    "https://script.google.com/macros/s/AKfycbx3Hk3Lm9Pq2RzQw8Xv7Tn5Yb1Jc6Df0gHiJkLmNo/exec",
    "https://contoso.sharepoint.com/:w:/s/Team/EaHk3Lm9Pq2RzQw8Xv7Tn5Yb1Jc6Df0gHiJkLmNo?e=x",
    # after a part that names a credential: a number, a word, a page's name, a placeholder
    "https://api.github.com/repos/org/repo/hooks/123456789",
    "https://example.com/oauth/token/refresh",
    "https://github.com/org/repo/tree/main/secret/secret-manager-v2-examples",
    "https://maker.ifttt.com/trigger/door_open/with/key/YOUR_IFTTT_KEY_2024",
    "https://maker.ifttt.com/trigger/{event}/with/key/{your_key}",
    # found taken for secrets by a review: pages named in words and digits, the ids that name a key,
    # a hook or a commit (UUIDs, hex), a contract's address, a documentation's sequence
    "https://example.com/docs/token/OAuth2TokenExchange",
    "https://example.com/docs/secret/KubernetesSecrets101",
    "https://example.com/docs/key/rotation2024guide",
    "https://github.com/acme/app/blob/main/src/hooks/useLocalStorage2",
    "https://console.cloud.google.com/security/secret-manager/secret/openai-api-key-2024/versions",
    "https://consul.example.com:8500/v1/acl/token/6a1253d2-1785-24fd-91c2-f8e78c745511",
    "https://api.bitbucket.org/2.0/repositories/acme/app/hooks/f47ac10b-58cc-4372-a567-0e02b2c3d479",
    "https://raw.githubusercontent.com/acme/hooks/3f2c1a9b8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b/install.sh",
    "https://etherscan.io/token/0xdAC17F958D2ee523a2206206994597C13D831ec7",
    "https://birdeye.so/token/So11111111111111111111111111111111111111112",
    "https://example.com/apikey/ABCDEFGHIJKLMNOPQRSTUVWXYZ012345",
]


@pytest.mark.parametrize(("url", "secret"), IN_PATHS)
def test_a_credential_in_a_url_s_path_is_found_and_redacted_wherever_the_url_is(url: str, secret: str) -> None:
    found = find_secret(url)
    assert found is not None and (found.detector, found.value) == ("url_path_secret", secret)
    assert find_secret_in_command(f"npx -y mcp-remote {url} --transport http-only") is not None
    assert [s.detector for s in find_secrets_in_text(f"Connect to {url} for the tools.")] == ["url_path_secret"]
    redacted = redact_text(f"url: {url}")
    assert secret not in redacted and "[REDACTED]" in redacted
    assert redacted.startswith(f"url: {url[: url.index(secret)]}")  # the rest of the URL is kept


@pytest.mark.parametrize(
    ("shape", "alphabet", "length"),
    [
        ("IFTTT's key", string.ascii_letters + string.digits + "-_", 22),
        ("a Mattermost hook's id", string.ascii_lowercase + string.digits, 26),
        ("a Rocket.Chat hook's id (Meteor's Random.id)", "23456789ABCDEFGHJKLMNPQRSTWXYZabcdefghijkmnopqrstuvwxyz", 17),
        ("a Teams webhook's secret", "0123456789abcdef", 32),
    ],
)
def test_random_credentials_after_a_name_are_found_whatever_letters_they_draw(
    shape: str, alphabet: str, length: int
) -> None:
    """The rules that tell a page's name from a key (words, digits in a few places) miss few keys:
    of 2,000 drawn at random in each service's alphabet, at most 3 in 100."""
    draw = random.Random(20261205)
    keys = ["".join(draw.choice(alphabet) for _ in range(length)) for _ in range(2_000)]
    missed = [key for key in keys if find_secret(f"https://hooks.example.com/hooks/{key}") is None]
    assert len(missed) <= 60, (shape, missed[:5])


@pytest.mark.parametrize("text", TOGETHER)
def test_a_url_s_path_is_redacted_with_what_else_the_url_or_its_brackets_hold(text: str) -> None:
    redacted = redact_text(text)
    assert ZAPIER_SECRET not in redacted and "Tr0ub4dor" not in redacted


@pytest.mark.parametrize(
    "markup",
    [
        "Posts the alerts to **{url}** when a job fails.",  # Markdown's bold
        'Send the report to <a href="{url}">the team</a>.',  # HTML
        "Alerts go to <{url}|the tools> now.",  # a Slack link
    ],
)
def test_a_url_in_markup_in_free_text_is_read_as_a_url(markup: str) -> None:
    """A word of free text was judged whole: markup glued to the URL hid its path's credential (a
    Mattermost hook's id, whose part then ended in the markup)."""
    text = markup.format(url="https://chat.example.com/hooks/xi3pwd1ejbb8xkf7yq1z7w4p3c")
    assert [s.detector for s in find_secrets_in_text(text)] == ["url_path_secret"]
    redacted = redact_text(text)
    assert "xi3pwd1ejbb8" not in redacted and "https://chat.example.com/hooks/[REDACTED]" in redacted


@pytest.mark.parametrize("url", NOT_SECRETS)
def test_a_url_whose_path_holds_names_ids_or_a_placeholder_is_no_secret(url: str) -> None:
    assert find_secret(url) is None
    assert redact_text(f"url: {url}") == f"url: {url}"


def test_a_zapier_server_fails_secret_001_and_its_url_s_secret_is_in_no_output(cli, tmp_path: Path, catalogs) -> None:
    servers = {
        "mcpServers": {
            "zapier": {"type": "http", "url": ZAPIER_URL},
            "zapier-bridge": {"command": "npx", "args": ["-y", "mcp-remote@0.1.29", ZAPIER_URL]},
        }
    }
    manifests = tmp_path / "manifests"
    manifests.mkdir()
    (manifests / ".mcp.json").write_text(json.dumps(servers, indent=2))
    inventory = collect(SourceSpec("manifests", str(manifests)))
    found = sorted(c.attributes["display_id"] for c in inventory.credentials if c.kind == "plaintext_secret")
    assert found == ["url_path_secret in zapier url (redacted)", "url_path_secret in zapier-bridge args[2] (redacted)"]
    result = run_scan(inventory, catalogs, ScanOptions(keep_passed=True))
    secret_001 = {f.resource.name: f.status for f in result.findings if f.control_id == "NHI-SECRET-001"}
    assert secret_001 == {"Claude Code (.mcp.json)": "fail"}

    out = tmp_path / "out"
    outcome = cli(
        "scan", f"manifests:{manifests}", "--format", "json,html,sarif,md,csv", "-o", str(out), "--no-history"
    )
    middle = ZAPIER_SECRET[10:40]
    assert middle not in outcome.output
    for path in out.iterdir():
        assert middle not in path.read_text(encoding="utf-8"), path.name


def test_a_secret_a_server_s_name_or_package_url_holds_is_in_no_uid_or_tool_type(cli, tmp_path: Path) -> None:
    """A uid glues the name to its holder (…#tool:NAME, …#plaintext_secret:NAME.env.KEY), where the
    secret was no longer read as one; the tool type was read from the package's last path part."""
    servers = {
        "mcpServers": {
            ZAPIER_URL: {"command": "npx", "env": {"API_KEY": "Kq8wL2mZp5Xv9Rt3Hn4Jd7"}},
            "bridge": {"command": "npx", "args": ["-y", f"https://discord.com/api/webhooks/1234567/{DISCORD_TOKEN}"]},
            "rabbitmqctl add_user agent Rbq3Mz8kT9": {"command": "npx", "env": {"TOKEN": "Kq8wL2mZp5Xv9Rt3Hn4Jd7"}},
        }
    }
    manifests = tmp_path / "manifests"
    manifests.mkdir()
    (manifests / ".mcp.json").write_text(json.dumps(servers, indent=2))
    out = tmp_path / "out"
    cli("scan", f"manifests:{manifests}", "--format", "json", "-o", str(out), "--no-history", "-q")
    for name in ("results.json", "inventory.json"):
        text = (out / name).read_text(encoding="utf-8")
        for secret in (ZAPIER_SECRET[10:40], DISCORD_TOKEN[10:40], "Rbq3Mz8kT9"):
            assert secret not in text, (name, secret)
    inventory = json.loads((out / "inventory.json").read_text())
    tools = {g["attributes"]["tool_type"] for g in inventory["grants"]}
    assert "[REDACTED]" in tools  # the package's last path part was the token


def test_a_url_nested_in_its_own_query_thousands_of_times_is_read_in_bounded_time() -> None:
    """Each URL a query handed on was judged by the same function again: a thousand levels ran past
    Python's recursion limit."""
    started = time.monotonic()
    nested = "https://gw.example.com/?url=" * 50_000 + ZAPIER_URL
    assert find_secret(nested) is None  # read three URLs deep; the rest is text
    redact_text(nested)
    assert find_secret("https://gw.example.com/?url=" * 3 + ZAPIER_URL) is not None
    assert time.monotonic() - started < 10


def test_a_megabyte_of_path_is_judged_in_bounded_time() -> None:
    url = "https://example.com/" + "aB3" * 350_000 + "/" + "/".join(["Ab1" * 10] * 30_000)
    started = time.monotonic()
    find_secret(url)
    redact_text(url)
    assert time.monotonic() - started < 10
