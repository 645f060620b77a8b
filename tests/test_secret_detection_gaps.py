"""Credentials that free text carries in shapes other than a bare token: a password inside a
connection string or a URL, a secret-named assignment with spaces around its sign, an
``Authorization: Bearer`` header and a fine-grained GitHub token. Each is found wherever text is
searched (an agent's instructions, a Bedrock prompt, a manifest's description); references,
placeholders and documentation examples in the same shapes are not secrets. What is found is
named by its kind and a fingerprint, never by its value."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from scanner.model import Agent
from scanner.scan import ScanOptions, run_scan
from scanner.secret_detection import find_secret, find_secrets_in_text
from scanner.sources import SourceSpec, collect
from scanner.sources.aws.agent_secrets import plaintext_secrets

PASSWORD = "S3cr3t!Passw0rd"
URL_PASSWORD = "S3cr3tPassw0rd"
HEX_TOKEN = "8f2a9c3e1b7d4f6a0e5c2b8d9a1f3e7c"
HEX_40 = "8f2a9c3e1b7d4f6a0e5c2b8d9a1f3e7c6b5a4d3e"
BASE64URL_43 = "Zk9xQ2lMbW5vcFFyU3RVdld4WXotXzAxMjM0NTY3O"
ASSIGNED = "Zx9Qw2Er5Ty8Ui1Op4As7Df0"
SERVICE_BUS_KEY = "q8Lw3+Zr5Vt9Nw4Kc7Hb1Pj6/Mx2Gy0Fd8Ts5Ue3Rk4="
BASIC = "c3ZjLWRlcGxveTpTM2NyM3QhUGFzc3cwcmQ="  # base64 of svc-deploy:S3cr3t!Passw0rd
GITHUB_PAT = (
    "github_pat_" + "11ABCDEFG0123456789abc" + "_" + "Qm7Rt2Wx9Lp4Zk8Vn3Hs6Jd1Fb5Gc0Ty2AeQm7Rt2Wx9Lp4Zk8Vn3Hs6Jd1Fb5G"
)

# (text, the kind of secret found in it or None, the secret's value)
FOUND = [
    # passwords inside connection strings
    (f"Server=tcp:x.database.windows.net;Database=d;User ID=u;Password={PASSWORD};",
     "connection_string_secret", PASSWORD),
    (f"Connect with Server=tcp:x.database.windows.net,1433;Initial Catalog=d;User ID=u;Password={PASSWORD};"
     "Encrypt=True; and nothing else.", "connection_string_secret", PASSWORD),
    (f"Driver={{ODBC Driver 18 for SQL Server}};Server=tcp:db,1433;Uid=app;Pwd={PASSWORD};",
     "connection_string_secret", PASSWORD),
    (f"Host=db;Username=app;Password={PASSWORD};Database=app", "connection_string_secret", PASSWORD),
    (f"Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;"
     f"SharedAccessKey={SERVICE_BUS_KEY}", "connection_string_secret", SERVICE_BUS_KEY),
    (f"jdbc:sqlserver://db.internal:1433;databaseName=app;user=app;password={PASSWORD};",
     "connection_string_secret", PASSWORD),
    (f"User ID=u; Password={PASSWORD}; Encrypt=True", "secret_parameter", PASSWORD),
    (f"Server=db;User ID=u;Password = {PASSWORD};Database=d", "connection_string_secret", PASSWORD),
    # ... enclosed, as ODBC (braces, "}}" for "}") and ADO.NET (quotes) write a value holding ";"
    (f"Driver={{ODBC Driver 18 for SQL Server}};Server=tcp:db,1433;Uid=app;Pwd={{{PASSWORD};x}};Encrypt=yes;",
     "connection_string_secret", PASSWORD),
    (f"Driver={{ODBC Driver 18}};Server=db;Uid=app;Pwd={{{PASSWORD}}}}}x}};", "connection_string_secret", PASSWORD),
    (f'Server=db;User ID=app;Password="{PASSWORD};x";', "connection_string_secret", PASSWORD),
    (f"Server=db;User ID=app;Password='{PASSWORD};x';", "connection_string_secret", PASSWORD),
    # URLs carrying credentials
    (f"postgres://app:{URL_PASSWORD}@db.internal:5432/app", "url_credentials", URL_PASSWORD),
    (f"Use postgresql://app:{URL_PASSWORD}@db.internal:5432/app for reports.", "url_credentials", URL_PASSWORD),
    (f"mysql://root:{URL_PASSWORD}@db:3306/x", "url_credentials", URL_PASSWORD),
    (f"mongodb+srv://app:{URL_PASSWORD}@cluster0.abcde.mongodb.net/db?retryWrites=true",
     "url_credentials", URL_PASSWORD),
    (f"redis://:{URL_PASSWORD}@cache:6379/0", "url_credentials", URL_PASSWORD),
    (f"amqp://worker:{URL_PASSWORD}@mq:5672/", "url_credentials", URL_PASSWORD),
    (f"DATABASE_URL=postgres://app:{URL_PASSWORD}@localhost:5432/app", "url_credentials", URL_PASSWORD),
    # assignments in prose or configuration text
    (f"token = {HEX_TOKEN}", "secret_parameter", HEX_TOKEN),
    (f"Then set token = {HEX_TOKEN} in the config.", "secret_parameter", HEX_TOKEN),
    (f'api_key: "{ASSIGNED}"', "secret_parameter", ASSIGNED),
    (f'API_KEY = "{ASSIGNED}"', "secret_parameter", ASSIGNED),
    (f"SECRET_KEY = '{ASSIGNED}'", "secret_parameter", ASSIGNED),
    (f"client_secret := {ASSIGNED}", "secret_parameter", ASSIGNED),
    (f"export GITHUB_TOKEN={ASSIGNED}", "secret_parameter", ASSIGNED),
    (f"database:\n  password : {ASSIGNED}\n", "secret_parameter", ASSIGNED),
    # Authorization: Bearer
    (f"Authorization: Bearer {HEX_40}", "bearer_token", HEX_40),
    (f"Send the header Authorization: Bearer {BASE64URL_43} with each call.", "bearer_token", BASE64URL_43),
    (f'curl -H "Authorization: Bearer {HEX_TOKEN}" https://api.example.com/v1', "bearer_token", HEX_TOKEN),
    (f"authorization: bearer {HEX_40}", "bearer_token", HEX_40),
    (f"Authorization: Bearer {SERVICE_BUS_KEY}", "bearer_token", SERVICE_BUS_KEY),  # base64, "=" padded
    # a name and its value in one word: YAML or JSON written without spaces
    (f"password:{ASSIGNED}", "secret_parameter", ASSIGNED),
    (f'{{"client_secret":"{ASSIGNED}"}}', "secret_parameter", ASSIGNED),
    # ... and among other pairs in the same word
    (f"password:{ASSIGNED},user:bob", "secret_parameter", ASSIGNED),
    (f"{{user:bob,password:{ASSIGNED}}}", "secret_parameter", ASSIGNED),
    (f'{{"user":"bob","password":"{ASSIGNED}"}}', "secret_parameter", ASSIGNED),
    (f"password:{ASSIGNED}&user=bob", "secret_parameter", ASSIGNED),
    # Authorization: Basic, base64 of user:password (RFC 7617)
    (f"Authorization: Basic {BASIC}", "basic_auth_header", BASIC),
    (f'curl -H "Authorization: basic {BASIC}" https://api.example.com', "basic_auth_header", BASIC),
    (f'{{"Authorization":"Basic {BASIC}"}}', "basic_auth_header", BASIC),
    (f'curl -H "Authorization:Basic {BASIC}" x', "basic_auth_header", BASIC),
    (f"Authorization: Basic {BASIC.rstrip('=')}", "basic_auth_header", BASIC.rstrip("=")),  # padding left out
    (f'{{"Authorization":"Bearer {HEX_40}"}}', "bearer_token", HEX_40),
    # fine-grained GitHub tokens
    (GITHUB_PAT, "github_token", GITHUB_PAT),
    (f"Push with the token {GITHUB_PAT}, then open a pull request.", "github_token", GITHUB_PAT),
    (f"Run: GH_TOKEN={GITHUB_PAT} gh pr create --fill", "github_token", GITHUB_PAT),
    (f"({GITHUB_PAT})", "github_token", GITHUB_PAT),
]  # fmt: skip

NOT_FOUND = [
    # references and placeholders in connection strings
    "password=${DB_PASSWORD}",
    "Server=tcp:x.database.windows.net;Database=d;User ID=u;Password=${DB_PASSWORD};",
    "Server=tcp:x.database.windows.net;Database=d;User ID=u;Password=;",
    "Server=db;User ID=u;Password=<your-password>;",
    "Server=db;User ID=u;Password={password};",
    "Server=db;User ID=u;Pwd={{password}};",
    'Server=db;User ID=u;Password="${DB_PASSWORD}";',
    "Server=db;User ID=u;Pwd={<your-password>};",
    "Driver={ODBC Driver 18 for SQL Server};Server=db;Trusted_Connection=yes;",
    "Server=db;User ID=u;Password=changeme;",
    "Server=db;User ID=u;Password=xxxxxxxx;",
    "Server=db;User ID=u;Password=%DB_PASSWORD%;",
    "Server=db;Database=d;Integrated Security=True;TrustServerCertificate=True;",
    "Server=myServerAddress;Database=myDataBase;User Id=myUsername;Password=myPassword;",
    "Server=localhost,1433;User ID=sa;Password=yourStrong(!)Password;TrustServerCertificate=True",
    "Password=YourStrong@Passw0rd;",
    "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=<key>",
    "Server=db;User ID=u;Password=$(DB_PASSWORD);",
    "Server=db;User ID=u;Password=$(DbPassword)",
    "Server=db;User ID=u;Password=#{DbPassword};",
    "Server=db;User ID=u;Password=%{X};",
    "Server=db;User ID=u;Password=<<DB_PASSWORD>>;",
    "Server=db;User ID=u;Password={{resolve:secretsmanager:S:SecretString:password}};",
    'docker run -e DB_PASSWORD="$(cat /run/secrets/db)" app',
    'export PGPASSWORD="$(vault kv get -field=password secret/db)"',
    'public_key = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC user@host"',
    # prose that holds ";" and "="
    "x = 1; secret = base64 encoded value",
    "Server=db;User ID=app;Password = stored in Key Vault",
    "Server=db;User ID=app;Password=your password here;",
    # documentation examples of URLs with credentials
    "postgres://user:password@localhost",
    "postgres://user:password@localhost:5432/mydb",
    "Point it at postgresql://USER:PASSWORD@HOST:5432/DB to start.",
    "mongodb://user:pass@localhost:27017",
    "redis://:password@localhost:6379",
    "amqp://guest:guest@localhost:5672/",
    "mysql://root:root@127.0.0.1/test",
    "postgres://postgres:postgres@localhost:5432/postgres",
    "postgres://app:${DB_PASSWORD}@db:5432/app",
    "postgres://app:<password>@db:5432/app",
    "postgres://app:changeme@db:5432/app",
    "postgresql://localhost/mydb",
    # references and placeholders assigned to secret names
    "token: <your-token>",
    "token = <your-token>",
    "api_key = xxxx",
    'api_key = "xxxxxxxxxxxxxxxx"',
    "password = changeme",
    "token = $TOKEN",
    'token = "${TOKEN}"',
    "token: {{ secrets.X }}",
    "token: {{secrets.GITHUB_TOKEN}}",
    "token: ${{ secrets.GITHUB_TOKEN }}",
    "api_key = os.environ['API_KEY']",
    'api_key = os.environ.get("API_KEY")',
    'token = os.getenv("GITHUB_TOKEN")',
    "apiKey = process.env.API_KEY",
    "password = $(DB_PASSWORD)",
    "The token = the value you copied from the settings page.",
    "KEY = os.urandom(32)",
    "credentials = service_account.Credentials.from_service_account_file(\n    'key.json')",
    "const options = {\n  key: fs.readFileSync('server-key.pem'),\n  cert: fs.readFileSync('cert.pem')\n};",
    "apiKey = config.apiKey",
    '"id_token": "HEADER.PAYLOAD.SIGNATURE"',
    "Set the primary key = customer_id in the table.",
    # Authorization headers naming their credential
    "Authorization: Bearer $GITHUB_TOKEN",
    "Authorization: Bearer ${TOKEN}",
    "Authorization: Bearer <token>",
    "Authorization: Bearer YOUR_GITHUB_PAT",
    "Authorization: Bearer your_token_here",
    "Authorization: Bearer {{ token }}",
    "Authorization: Bearer xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    "Authorization: Bearer 0000000000000000000000000000000000000000",
    "Send the access token as a Bearer token in the Authorization header.",
    "The bearer authentication scheme is described in RFC 6750.",
    "Authorization: Basic dXNlcjpwYXNzd29yZA==",  # user:password, the RFC's own example's shape
    "Authorization: Basic Z3Vlc3Q6Z3Vlc3Q=",  # guest:guest
    "Authorization: Basic $CREDENTIALS",
    "Authorization: Basic dXNlcm5hbWU=",  # no password
    "Basic Authentication sends credentials with each request.",
    # a name and its value in one word, no secret
    "key:arn:aws:kms:eu-west-1:111122223333:key/0a1b2c3d-1111-2222-3333-444455556666",
    "next_token:eyJwYWdlIjogMn0",
    "password:changeme",
    "token:${API_TOKEN}",
    # not a fine-grained GitHub token
    "Create a github_pat_ token in the developer settings.",
    "GH_TOKEN=github_pat_xxxx",
    "GH_TOKEN=github_pat_<your-token>",
]


@pytest.mark.parametrize(("text", "detector", "secret"), FOUND)
def test_a_credential_in_free_text_is_found_by_its_kind(text: str, detector: str, secret: str) -> None:
    found = find_secrets_in_text(text)
    assert [s.detector for s in found] == [detector]
    assert secret not in repr(found)


@pytest.mark.parametrize("text", NOT_FOUND)
def test_a_reference_placeholder_or_example_in_free_text_is_not_a_secret(text: str) -> None:
    assert find_secrets_in_text(text) == []


@pytest.mark.parametrize(
    ("value", "detector"),
    [
        (f"Server=tcp:db;Database=d;Uid=app;Pwd={PASSWORD};", "connection_string_secret"),
        (f"Driver={{ODBC Driver 18}};Server=db;Uid=app;Pwd={{{PASSWORD};x}};", "connection_string_secret"),
        (f'Server=db;User ID=app;Password="quoted {PASSWORD}";', "connection_string_secret"),
        (f'provider=System.Data.SqlClient;provider connection string="data source=db;user id=app;'
         f'password={PASSWORD};App=EntityFramework"', "connection_string_secret"),
        (f"export DB_CONN='Server=db;User ID=app;Password={PASSWORD};'", "connection_string_secret"),
        (f"Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=x;SharedAccessKey={SERVICE_BUS_KEY}",
         "connection_string_secret"),
        # a generated password's "$", braces and angle brackets are its own, not a reference's
        ("Server=db;User ID=app;Password=Xk9}mQ2#pL7v;", "connection_string_secret"),
        ('Server=db;User ID=app;Password="Xk9{mQ2}pL7v";', "connection_string_secret"),
        ("Server=db;User ID=app;Password=Xk9$mQ2<pL7v>;", "connection_string_secret"),
        ('Server=db;User ID=app;Password="Xk9{{mQ2pL7v";', "connection_string_secret"),
        ('Server=db;User ID=app;Password="Xk9{%mQ2pL7v";', "connection_string_secret"),
        ("Server=db;User ID=app;Password=Xk9%mQ2%pL7v;", "connection_string_secret"),
        ('Server=db;User ID=app;Password="Xk9$a!mQ2pL7v";', "connection_string_secret"),
        ('Server=db;User ID=app;Password="Xk9{ab}mQ2pL7v";', "connection_string_secret"),
        ("Server=db;User ID=app;Password=Xk9<AB>mQ2pL7v;", "connection_string_secret"),
        # a "$" before a generated password does not make it a variable
        ("Server=db;User ID=app;Password='$uperS3cret2024';", "connection_string_secret"),
        ("Server=db;User ID=app;Password=$uperS3cret2024;", "connection_string_secret"),
        ("Driver=x;Server=db;Pwd={$uperS3cret2024};", "connection_string_secret"),
        ("Server=db;User ID=app;Password=%Xk9mQ2pL7v%;", "connection_string_secret"),
        # enclosed where it stands, though the shell's quotes close inside it
        ("export DB='Server=db;User ID=app;PWD='Xk9;mQ2pL7v';'", "connection_string_secret"),
        (f"postgres://app:{URL_PASSWORD}@db.internal:5432/app", "url_credentials"),
        (GITHUB_PAT, "github_token"),
        (f"GITHUB_TOKEN={GITHUB_PAT}", "github_token"),
        (f"https://{GITHUB_PAT}@github.com/acme/app.git", "url_credentials"),
    ],
)  # fmt: skip
def test_a_configured_value_holding_a_credential_is_found(value: str, detector: str) -> None:
    found = find_secret(value, entropy=False)
    assert found is not None and found.detector == detector


@pytest.mark.parametrize(
    "value",
    [
        "postgres://user:password@localhost:5432/mydb",
        "amqp://guest:guest@localhost:5672/",
        "see postgres://user:password@localhost:5432/mydb",
        "Server=db;User ID=u;Password=${DB_PASSWORD};",
        "Server=db;User ID=u;Password=;",
        # templates and format placeholders inside braces or quotes
        "Server=db;Pwd={{ secrets.DB }};",
        "Server=db;Uid=app;Pwd={{ db_password }};",
        "Server=db;Pwd={{.Values.db.password}};",
        'Server=db;Password="{db.password}";',
        'Server=db;Password="{0:password}";',
        "Server=db;Pwd={your_password};",
        'provider connection string="data source=db;password=${DB_PASSWORD};"',
        # variables and templates of other tools
        "Server=db;Password=<%= ENV['DB_PASSWORD'] %>;",
        "Server=db;Password=#{DbPassword}#;",
        "Server=db;Password=$env:DB_PASSWORD;",
        "Server=db;Password=${env:DB_PASSWORD};",
        "Server=db;Password=$(DbPassword);",
        "Server=db;Password={% if prod %}{{ db_password }}{% endif %};",
        "Server=db;Password=$(cat /run/secrets/db_password);",
        "Server=db;Password=$(shell cat pw.txt);",
        "Server=db;Password=$(db-password);",
        "Server=db;Password=$[variables.dbPassword];",
        "Server=db;Password=$($DbPassword);",
        "Server=db;Password=#{Project.Db.Password};",
        "Server=db;Password={config.Password};",
        "Server=db;Password={os.environ['DB_PASSWORD']};",
        'Server=db;Password="{dbPassword2}";',
        "Server=db;Password=$Env:DbPassword;",
        "Server=db;Password=$Secrets.DbPassword;",
        "Server=db;Password=%{db_password};",
        "Server=db;Password=<<DB_PASSWORD>>;",
        # a variable's name: one case, or letters and then digits
        "Server=db;Password=$dbPassword;",
        "Server=db;Password='$DbPassword2';",
        "Server=db;Password=$DB2_PASSWORD;",
        "Server=db;Password=$db2_password;",
        "Server=db;Password=%DbPassword%;",
        # a reference cut off by prose or by quotes inside it
        "Server=db;Password=${DB_PASSWORD",
        "Server=db;Password=#{Project.Db.Password",
        "Server=db;User ID=u;Password=${DB_PASSWORD:-default};",
        "Server=db;User ID=u;Password='{{ lookup('env','DB_PASSWORD') }}';",
        "Server=db;User ID=u;Password='<%= ENV['DB_PASSWORD'] %>';",
        "Server=db;User ID=u;Password='$($dbPassword)';",
        "Server=db;Password={{resolve:secretsmanager:S:SecretString:password}};",
        'public_key = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC user@host"',
    ],
)
def test_a_configured_value_holding_an_example_or_reference_is_not_a_secret(value: str) -> None:
    assert find_secret(value) is None


def test_a_bedrock_instruction_holding_each_credential_fails_and_names_none_of_them() -> None:
    agent = Agent(
        uid="arn:aws:bedrock:us-east-1:111111111111:agent/A", provider="aws", account="111111111111", name="a"
    )
    texts = [(f"field{index}", text) for index, (text, _, _) in enumerate(FOUND)]
    credentials = plaintext_secrets(agent, "1", texts)
    assert len(credentials) == len(FOUND)
    shown = repr(credentials)
    for _, _, secret in FOUND:
        assert secret not in shown


def test_an_agent_s_instructions_holding_a_connection_string_fail_secret_001_without_its_password(
    tmp_path: Path, catalogs
) -> None:
    manifest = (
        f"kind: Prompt\nname: Reports\ndescription: 'Calls the API with Authorization: Bearer {HEX_40}'\n"
        "instructions: |\n"
        "  Answer questions about sales.\n"
        f"  Connect with Server=tcp:x.database.windows.net;Database=d;User ID=u;Password={PASSWORD};\n"
        "model: {id: gpt-4o}\ntools: []\n"
    )
    (tmp_path / "agent.yaml").write_text(manifest)
    servers = {"mcpServers": {"db": {"command": "npx", "args": ["-y", "@example/db-mcp@1.0.0"],
                                     "env": {"DB": f"Server=db;Uid=app;Pwd={PASSWORD};",
                                             "URL": "postgres://user:password@localhost:5432/mydb"}}}}  # fmt: skip
    (tmp_path / ".mcp.json").write_text(json.dumps(servers, indent=2))
    inventory = collect(SourceSpec("manifests", str(tmp_path)))
    found = sorted(c.attributes["display_id"] for c in inventory.credentials if c.kind == "plaintext_secret")
    assert found == [
        "bearer_token in description (redacted)",
        "connection_string_secret in db env.DB (redacted)",
        "connection_string_secret in instructions (redacted)",
    ]
    result = run_scan(inventory, catalogs, ScanOptions(keep_passed=True))
    assert {f.status for f in result.findings if f.control_id == "NHI-SECRET-001"} == {"fail"}
    shown = repr(inventory) + repr(result)
    assert PASSWORD not in shown and HEX_40 not in shown


def test_an_mcp_server_given_an_odbc_connection_string_with_a_braced_password_fails_secret_001(
    tmp_path: Path, catalogs
) -> None:
    """ODBC encloses a value holding ";" in braces: the password is the whole of it, and no part
    of it is shown."""
    first, second = "Hunt3r!Tw0", "Secret99x"
    odbc = f"Driver={{ODBC Driver 18 for SQL Server}};Server=tcp:db,1433;Uid=app;Pwd={{{first};{second}}};Encrypt=yes;"
    servers = {"mcpServers": {"db": {"command": "npx", "args": ["-y", "@example/db-mcp@1.0.0"],
                                     "env": {"DB": odbc}}}}  # fmt: skip
    (tmp_path / ".mcp.json").write_text(json.dumps(servers, indent=2))
    inventory = collect(SourceSpec("manifests", str(tmp_path)))
    found = [c.attributes["display_id"] for c in inventory.credentials if c.kind == "plaintext_secret"]
    assert found == ["connection_string_secret in db env.DB (redacted)"]
    result = run_scan(inventory, catalogs, ScanOptions(keep_passed=True))
    assert {f.status for f in result.findings if f.control_id == "NHI-SECRET-001"} == {"fail"}
    shown = repr(inventory) + repr(result)
    assert first not in shown and second not in shown


@pytest.mark.parametrize(
    "text",
    [
        "a=b;" * 250_000,
        "Password=" * 100_000,
        "Password=x;" * 90_000,
        "token = " * 120_000,
        "Bearer " * 140_000,
        "postgres://a:" * 80_000 + "@",
        "github_pat_" + "A" * 1_000_000,
        "://" + ":" * 1_000_000 + "@",
        'a="' * 300_000,
        "Pwd={" * 200_000,
        "a='b=\"c={d=e;" * 70_000,
    ],
    ids=[
        "pairs",
        "names",
        "empty-passwords",
        "assignments",
        "bearers",
        "userinfo",
        "pat-run",
        "colons",
        "quotes",
        "braces",
        "enclosed-in-enclosed",
    ],
)
def test_a_megabyte_of_hostile_text_is_searched_in_bounded_time(text: str) -> None:
    started = time.monotonic()
    find_secrets_in_text(text)
    find_secret(text)
    assert time.monotonic() - started < 20


def test_a_token_is_one_secret_with_one_fingerprint_however_its_name_is_attached() -> None:
    token = "ghp_" + "Qm7Rt2Wx9Lp4Zk8Vn3Hs6Jd1Fb5Gc0Ty2Ae"
    prints = {find_secrets_in_text(text)[0].fingerprint for text in (f"password:{token}", f"password: {token}")}
    assert len(prints) == 1


def test_an_access_key_id_after_a_glued_name_is_the_key_id_it_is() -> None:
    assert [s.detector for s in find_secrets_in_text("key:AKIAIOSFODNN7EXAMPLE")] == ["aws_access_key"]
