"""Redaction removes every secret the detector reports, in every shape the detector knows: a
``name: value`` pair, a spaced name (``token : X``, ``Pass Word=X``), a connection string's setting,
``Bearer X``, a token in a known format. What the detector holds to be a reference, a placeholder or a
documentation example stays, so a reader still sees it."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scanner.redact import REDACTED, redact_text
from scanner.secret_detection import find_secrets_in_text
from tests.hostile_cases import run_nhiscan

# (text, the secret values it holds): redaction leaves none of them, and the detector finds each
MUST_BE_REDACTED = [
    ("DB login password: Hunt3rTw0Secret99 (rotate yearly)", ["Hunt3rTw0Secret99"]),
    ("Calls the API with api_key: Zx9Qw2Er5Ty8Ui1Op4As7Df0", ["Zx9Qw2Er5Ty8Ui1Op4As7Df0"]),
    ("token : Qw8rTy6uIo4pAs2dFg0hJkLz", ["Qw8rTy6uIo4pAs2dFg0hJkLz"]),
    ("password: Qw8rTy6uIo4pAs2dFg0hJkLz", ["Qw8rTy6uIo4pAs2dFg0hJkLz"]),
    ("the signing secret Mn3bVc8xZl1kJh6gFd4s", ["Mn3bVc8xZl1kJh6gFd4s"]),
    ("Endpoint=sb://x/;Shared Access Key=Qw8rTy6uIo4pAs2dFg0hJkLz", ["Qw8rTy6uIo4pAs2dFg0hJkLz"]),
    ("conn Server=db;Shared Access Key=Qw8rTy6uIo4pAs2dFg0hJkLz", ["Qw8rTy6uIo4pAs2dFg0hJkLz"]),
    ("Server=db;User ID=u;Pass Word=Qw8rTy6uIo4pAs2dFg0hJkLz;", ["Qw8rTy6uIo4pAs2dFg0hJkLz"]),
    ("Server=db;User ID=u;Pass word=Hunt3rTw0Secret99", ["Hunt3rTw0Secret99"]),
    ("Authorization: Bearer Hu8Jk2Lm4Np6Qr8St0Uv2Wx", ["Hu8Jk2Lm4Np6Qr8St0Uv2Wx"]),
    ("use github_pat_" + "A1b2C3d4E5f6G7h8I9j0K1" + "_" + "L2m3N4o5" * 7 + "P6q", ["github_pat_A1b2C3d4E5f6G7h8"]),
    ("mail key SG." + "a" * 22 + "." + "b1" * 21 + "c", ["SG." + "a" * 22]),
    # GitLab's deploy, runner and runner registration tokens
    ("deploy with gldt-Xk9mQ2pL7vAbCdEf1234", ["Xk9mQ2pL7vAbCdEf1234"]),
    ("runner glrt-Xk9mQ2pL7vAbCdEf1234", ["Xk9mQ2pL7vAbCdEf1234"]),
    ("register GR1348941Xk9mQ2pL7vAbCdEf1234", ["Xk9mQ2pL7vAbCdEf1234"]),
    ("password: yourS3cretPassw0rd!9", ["yourS3cretPassw0rd!9"]),
    ("db password:Hunt3rTw0Secret99 (no space)", ["Hunt3rTw0Secret99"]),
    ('{"api_key":"Zx9Qw2Er5Ty8Ui1Op4As7Df0"}', ["Zx9Qw2Er5Ty8Ui1Op4As7Df0"]),
    ("Authorization: Basic c3ZjLWRlcGxveTpTM2NyM3QhUGFzc3cwcmQ=", ["c3ZjLWRlcGxveTpTM2NyM3Qh"]),
    ("Password: Hunt3rTw0Secret99 and again Hunt3rTw0Secret99", ["Hunt3rTw0Secret99"]),
    ("-----BEGIN RSA PRIVATE KEY-----\n" + "MIIEow" * 20 + "\n-----END RSA PRIVATE KEY-----", ["MIIEowMIIEow"]),
    # a password enclosed so that it may hold ";": each part of it goes
    ("Driver={ODBC Driver 18};Server=db;Uid=app;Pwd={Hunt3r;Tw0Secret99};Encrypt=yes;", ["Hunt3r", "Tw0Secret99"]),
    ("Driver={ODBC Driver 18};Server=db;Uid=app;Pwd={Hunt3r}}Tw0;Secret99};", ["Hunt3r", "Tw0", "Secret99"]),
    ('Server=db;User ID=app;Password="Hunt3r;Tw0Secret99";', ["Hunt3r", "Tw0Secret99"]),
    ("Server=db;User ID=app;Password='Hunt3r;Tw0Secret99';", ["Hunt3r", "Tw0Secret99"]),
    ("Server=db;PWD = {Hunt3r;Tw0Secret99};", ["Hunt3r", "Tw0Secret99"]),
    ("Server=db;Pwd={Hunt3r Tw0;Secret99};", ["Hunt3r", "Tw0", "Secret99"]),
    ("Server=db;Pwd={Hunt3r}}Tw0;Secret99}; the password is Hunt3r}Tw0;Secret99", ["Hunt3r", "Tw0", "Secret99"]),
    # a connection string inside another's enclosed value (Entity Framework), or a shell's quotes
    (
        'metadata=res://*/Model.csdl;provider=System.Data.SqlClient;provider connection string="data source=db;'
        'user id=app;password=Hunt3r Tw0Secret99;App=EntityFramework"',
        ["Hunt3r", "Tw0Secret99"],
    ),
    ("export DB_CONN='Server=db;User ID=app;Password=Hunt3r Tw0Secret99;'", ["Hunt3r", "Tw0Secret99"]),
    ("PWD='Secr7tK = Vb5Nn4' and more text", ["Secr7tK", "Vb5Nn4"]),  # one setting, enclosed
    # a generated password's "$", braces and angle brackets are its own, not a reference's
    ("Server=db;User ID=app;Password=Xk9}mQ2#pL7v;", ["Xk9", "mQ2", "pL7v"]),
    ('Server=db;User ID=app;Password="Xk9{mQ2}pL7v";', ["Xk9", "mQ2", "pL7v"]),
    ("Server=db;User ID=app;Password=Xk9$mQ2pL7v<a;", ["Xk9", "mQ2", "pL7v"]),
    ('Server=db;User ID=app;Password="Xk9{{mQ2pL7v";', ["Xk9", "mQ2", "pL7v"]),
    ('Server=db;User ID=app;Password="Xk9$a!mQ2pL7v";', ["Xk9", "mQ2", "pL7v"]),
    ("Server=db;User ID=app;Password=Xk9<AB>mQ2pL7v;", ["Xk9", "mQ2", "pL7v"]),
    ("Server=db;User ID=app;Password=Xk9,{{mQ2pL7v;", ["Xk9", "mQ2", "pL7v"]),
    ("Server=db;User ID=app;Password='$uperS3cret2024';", ["uperS3cret2024"]),
    # "$" and a word, then a dot: a generated password, unless every part reads as a variable's name
    ("Server=db;Database=app;Password=$ecret.Xk9mQ2pL7v;", ["Xk9mQ2pL7v"]),
    ("password: $ecret.Xk9mQ2pL7v", ["Xk9mQ2pL7v"]),
    # quotes escaped by the text around them (a JSON string's, a shell's): the escaped quote closes it
    ('Server=db;Password=\\"Xk9mQ2;pL7v\\";', ["Xk9mQ2", "pL7v"]),
    ('{"conn": "Server=db;User ID=app;Password=\\"Xk9mQ2;pL7v\\";"}', ["Xk9mQ2", "pL7v"]),
    ("Server=db;Pwd=\\'Xk9mQ2;pL7v\\';", ["Xk9mQ2", "pL7v"]),
    # an enclosed setting whose name follows punctuation, in prose or another setting's value
    ('Use: Pwd="Hunt3r Tw0;Secret99" to connect', ["Hunt3r", "Tw0", "Secret99"]),
    ("Run with `Password='Hunt3r Tw0;Secret99'` set", ["Hunt3r", "Tw0", "Secret99"]),
    ("conn=Password='Hunt3r Tw0;Secret99'", ["Hunt3r", "Tw0", "Secret99"]),
    ("(Password='Hunt3r Tw0;Secret99')", ["Hunt3r", "Tw0", "Secret99"]),
    ("x,Password='Hunt3r Tw0;Secret99'", ["Hunt3r", "Tw0", "Secret99"]),
    # enclosed as a driver reads it, though what encloses the connection string closes inside it
    ("export DB='Server=db;User ID=app;PWD='Hunt3r;Tw0Secret99';Database=x;'", ["Hunt3r", "Tw0Secret99"]),
    ('provider connection string="Server=db;PWD={Hunt3r"Tw0;Secret99};"', ["Hunt3r", "Tw0", "Secret99"]),
    ('provider connection string="Server=db;Pass Word="Hunt3r;Tw0 Secret99";"', ["Hunt3r", "Tw0", "Secret99"]),
]

# an AWS key pair pasted whole: the 40 characters after the key's id are its secret
AWS_KEY_PAIRS = [
    "AKIA4XKQ7ZPL3MNB2RTY:j8Kq2mZ9xLp4Vb7Nc3Rt6Yw1Hd5Gf0Ae8Su2Io9P",
    "rotate AKIA4XKQ7ZPL3MNB2RTY j8Kq2mZ9xLp4Vb7Nc3Rt6Yw1Hd5Gf0Ae8Su2Io9P",
    "session ASIA4XKQ7ZPL3MNB2RTY/j8Kq2mZ9xLp4Vb7Nc3Rt6Yw1Hd5Gf0Ae8Su2Io9P",
    "id AKIAIOSFODNN7EXAMPLE, wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    *(
        f"AKIA4XKQ7ZPL3MNB2RTY{sign}j8Kq2mZ9xLp4Vb7Nc3Rt6Yw1Hd5Gf0Ae8Su2Io9P"
        for sign in (" / ", " ; ", " | ", " - ", "=", "-")
    ),
]

# texts the detector reports nothing in; redaction leaves them as they are
MUST_STAY = [
    "Nightly loads. owner: data-team@acme.example",
    "password: your-password",
    "password: yourpassword",
    "Server=localhost,1433;User ID=sa;Pass Word=YourStrong(!)Password;",
    "token: <your-token>",
    "api_key: ${API_KEY}",
    "Rotate the API key quarterly; the token expires daily.",
    "key: arn:aws:kms:eu-west-1:111122223333:key/0a1b2c3d-1111-2222-3333-444455556666",
    "next_token: eyJwYWdlIjogMn0",
    "Server=db;User ID=u;Password=<%= ENV['DB_PASSWORD'] %>;",
    "Server=db;User ID=u;Password=#{DbPassword}#;",
    "Server=db;User ID=u;Password=${env:DB_PASSWORD};",
    "Server=db;User ID=u;Password=$env:DB_PASSWORD;",
    "Server=db;User ID=u;Password=$dbPassword;",
    "Server=db;User ID=u;Password=$Secrets.DbPassword;",
    "Server=db;User ID=u;Password=${DB_PASSWORD",
]


@pytest.mark.parametrize(("text", "secrets"), MUST_BE_REDACTED)
def test_a_secret_the_detector_reports_is_redacted(text: str, secrets: list[str]) -> None:
    assert find_secrets_in_text(text) != []
    redacted = redact_text(text)
    assert [secret for secret in secrets if secret in redacted] == []
    assert REDACTED in redacted


@pytest.mark.parametrize("text", MUST_STAY)
def test_what_the_detector_holds_no_secret_stays(text: str) -> None:
    assert find_secrets_in_text(text) == []
    assert redact_text(text) == text


# a command line whose flag and following word each held a secret: redacted once, then read again
REDACTED_ONCE = [
    *(text for text, _ in MUST_BE_REDACTED),
    "[password=abcd,efgh]",
    'password=hunter2xyz9"x]',
    "secret=abc,def:",
    "password:hunter2xyz9,user:bob",
    "deploy --password=abcdefgh123 sk-ant-abcdefghijklmnopqrstuvwxyz",
    "--token abcdefghijk, then password: Hunt3rTw0Secret99.",
]


@pytest.mark.parametrize("text", REDACTED_ONCE)
def test_a_redacted_text_is_whole_and_redacting_it_again_changes_nothing(text: str) -> None:
    """The marker is no secret: a value already redacted (by nhiscan, or by whoever exported the
    file) is not cut into a secret '[REDACTED' that leaves a stray bracket behind."""
    once = redact_text(text)
    if "]" not in text:  # no bracket of its own after the secret
        assert "]]" not in once and "[[" not in once
    assert redact_text(once) == once
    assert find_secrets_in_text(once) == []


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("access key AKIAIOSFODNN7EXAMPLE of the deployer", "access key AKIA…MPLE of the deployer"),
        ("key:AKIAIOSFODNN7EXAMPLE", "key:AKIA…MPLE"),
    ],
)
def test_an_access_keys_id_is_shown_as_a_display_id_names_the_key(text: str, shown: str) -> None:
    """An access key's id is no secret, but nhiscan never prints one whole (DESIGN.md, Promises):
    it is shown as every key's display_id shows it, which still names the key."""
    assert [secret.detector for secret in find_secrets_in_text(text)] == ["aws_access_key"]
    assert redact_text(text) == shown
    assert redact_text(shown) == shown


@pytest.mark.parametrize("text", AWS_KEY_PAIRS)
def test_an_access_keys_secret_after_its_id_is_redacted(text: str) -> None:
    secret = text[-40:]
    assert any(secret in found.value for found in find_secrets_in_text(text))
    redacted = redact_text(text)
    assert secret not in redacted and REDACTED in redacted
    assert redact_text(redacted) == redacted


@pytest.mark.parametrize("text", ["AKIAIOSFODNN7EXAMPLE arn:aws:iam::123456789012:role/abcdefghijklmnopqrstuvwxyz"])
def test_forty_letters_after_a_key_id_are_no_secret(text: str) -> None:
    assert redact_text(text) == text.replace("AKIAIOSFODNN7EXAMPLE", "AKIA…MPLE")


def test_the_words_around_a_secret_stay() -> None:
    assert redact_text("DB login password: Hunt3rTw0Secret99 (rotate yearly)") == (
        "DB login password: [REDACTED] (rotate yearly)"
    )
    assert redact_text("Server=db;User ID=u;Pass Word=Qw8rTy6uIo4pAs2dFg0hJkLz;") == (
        "Server=db;User ID=u;Pass Word=[REDACTED];"
    )


@pytest.mark.parametrize(
    ("password", "example"),
    [
        ("your-password", True),
        ("yourpassword", True),
        ("your_password", True),
        ("YourStrong(!)Password", True),
        ("yourStrong(!)Password", True),
        ("YourStrong!Passw0rd", True),
        ("YourStrong@Passw0rd", True),
        ("your-secret-token", True),
        ("yourS3cretPassw0rd!9", False),
        ("yourCompanyDb2024!", False),
        ("Yo8urPassw0rd7734", False),
    ],
)
def test_only_an_obvious_placeholder_beginning_with_your_is_an_example(password: str, example: bool) -> None:
    assert (find_secrets_in_text(f"password: {password}") == []) is example


DESCRIBED_SECRETS = {
    "Hunt3rTw0Secret99": "Owner: data-team. DB login password: Hunt3rTw0Secret99 (rotate yearly)",
    "Qw8rTy6uIo4pAs2dFg0hJkLz": "conn Server=db;Shared Access Key=Qw8rTy6uIo4pAs2dFg0hJkLz",
    "Zx9Qw2Er5Ty8Ui1Op4As7Df0": "Calls the API with api_key: Zx9Qw2Er5Ty8Ui1Op4As7Df0",
    "Pw4Spaced7Name2Secret": "Server=db;User ID=u;Pass Word=Pw4Spaced7Name2Secret;",
    "Tk5Spaced8Colon3Secret": "token : Tk5Spaced8Colon3Secret",
}


def test_no_secret_in_a_description_reaches_any_output(tmp_path: Path) -> None:
    run_nhiscan("inventory", "demo", "-o", str(tmp_path / "demo.json"), cwd=tmp_path)
    inventory = json.loads((tmp_path / "demo.json").read_text(encoding="utf-8"))
    texts = iter(DESCRIBED_SECRETS.values())
    gcp_accounts = [i for i in inventory["identities"] if i["provider"] == "gcp"]
    for identity in gcp_accounts[:3]:
        identity["attributes"]["description"] = next(texts)
    for agent in [a for a in inventory["agents"] if a["provider"] == "gcp"][:2]:
        agent["attributes"]["description"] = next(texts)
    outputs = every_output(tmp_path, inventory)
    assert {"inventory.json", "results.json", "report.html", "results.sarif"} <= set(outputs)
    leaks = [(secret, name) for secret in DESCRIBED_SECRETS for name, text in outputs.items() if secret in text]
    assert leaks == []
    assert "DB login password: [REDACTED] (rotate yearly)" in outputs["inventory.json"]


def test_an_aws_key_pair_in_a_name_or_a_tag_reaches_no_output(tmp_path: Path) -> None:
    secret = "j8Kq2mZ9xLp4Vb7Nc3Rt6Yw1Hd5Gf0Ae8Su2Io9P"
    run_nhiscan("inventory", "demo", "-o", str(tmp_path / "demo.json"), cwd=tmp_path)
    inventory = json.loads((tmp_path / "demo.json").read_text(encoding="utf-8"))
    user = next(i for i in inventory["identities"] if i["provider"] == "aws" and i["kind"] == "user")
    user["name"] = f"app AKIA4XKQ7ZPL3MNB2RTY:{secret}"
    user["tags"]["note"] = f"AKIA4XKQ7ZPL3MNB2RTY {secret}"
    outputs = every_output(tmp_path, inventory)
    assert [name for name, text in outputs.items() if secret in text or secret[:20] in text] == []
    assert "app [REDACTED]" in outputs["inventory.json"]


def every_output(tmp_path: Path, inventory: dict) -> dict[str, str]:
    """Every report of a scan of ``inventory`` (the PDF as its text), with the command's stdout and stderr."""
    (tmp_path / "scanned.json").write_text(json.dumps(inventory), encoding="utf-8")
    out = tmp_path / "out"
    completed = run_nhiscan(
        "scan",
        f"inventory:{tmp_path / 'scanned.json'}",
        "--no-history",
        *("--format", "html,pdf,json,sarif,junit,csv,md,ocsf", "--output-dir", str(out), "--fail-on", "none"),
        cwd=tmp_path,
    )
    assert completed.returncode == 0, completed.stderr
    outputs = {path.name: path.read_text(encoding="utf-8-sig") for path in out.iterdir() if path.suffix != ".pdf"}
    pdf = subprocess.run(["pdftotext", str(out / "report.pdf"), "-"], capture_output=True, text=True, check=True)
    return outputs | {"report.pdf (text)": pdf.stdout, "stdout": completed.stdout, "stderr": completed.stderr}


def test_a_text_of_a_hundred_thousand_braced_passwords_is_redacted_in_bounded_time() -> None:
    """Each value is looked for once in the whole text, all of them together (before, one search
    of the whole text per value: 33 s for these 2.4 MB)."""
    import time

    text = "Server=db;" + "".join(f"Pwd={{Hunt3rTw0Sec{index}}};" for index in range(100_000))
    started = time.monotonic()
    redacted = redact_text(text)
    assert time.monotonic() - started < 15
    assert "Hunt3r" not in redacted


@pytest.mark.parametrize(
    ("text", "secrets"),
    [
        (
            'provider connection string="data source=db;Pass Word="Tw0Zx9 Hunt3rQ,Secr7tK"',
            ["Tw0Zx9", "Hunt3rQ", "Secr7tK"],
        ),
        ("Set conn='Server=db;Password='Pq8Lm2  Tw0Zx9  Hunt3rQ' and more text", ["Pq8Lm2", "Tw0Zx9", "Hunt3rQ"]),
    ],
)
def test_a_connection_string_enclosed_by_hand_as_no_driver_reads_it_is_still_redacted(
    text: str, secrets: list[str]
) -> None:
    """The inner quotes close the outer ones, so a driver would not see this password: it is a
    secret in a configured value all the same, and none of it is shown."""
    from scanner.secret_detection import find_secret

    assert find_secret(text) is not None
    redacted = redact_text(text)
    assert [secret for secret in secrets if secret in redacted] == []


# A generated password: parts a reader could recognise, joined by what passwords and drivers hold
_PART = st.tuples(
    st.sampled_from("ABCDEFGHJKLMNPQRSTUVWXYZ"),
    st.sampled_from("abcdefghijkmnopqrstuvwxyz"),
    st.sampled_from("23456789"),
    st.text("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789", min_size=5, max_size=5),
    st.sampled_from("abcdefghijkmnopqrstuvwxyz"),  # a digit inside: no variable's name
).map("".join)
_JOINS = [";", " ", "=", ",", "  ", "; ", " = ", "{", "}", '"', "'", "$", "<", ">", "#"]
_ENCLOSURES = [("{", "}"), ('"', '"'), ("'", "'"), ("", "")]
_NAMES = ["Password", "Pwd", "PWD", "Pass Word", "password", "AccountKey", "SharedAccessKey"]
_LEADS = ["", "$", "%", "<"]  # a reference's first marks, as a password's punctuation
_BEFORE_NAMES = ["Server=db;User ID=app;", "Server=db;User ID=app;Use: ", "Server=db;x,", "Server=db;(", "Server=db;`"]


@st.composite
def _connection_strings(draw: st.DrawFn) -> tuple[str, list[str], bool]:
    """A connection string holding a password as a driver reads it (enclosed when it holds a
    ";", its closing mark doubled inside), in a text around it; the password's parts; whether it is
    unenclosed and of several words. The password may begin with a reference's first marks, and
    the setting's name follow punctuation."""
    opening, closing = draw(st.sampled_from(_ENCLOSURES))
    parts = draw(st.lists(_PART, min_size=1, max_size=4))
    password = draw(st.sampled_from(_LEADS)) + parts[0]
    for part in parts[1:]:
        join = draw(st.sampled_from(_JOINS))
        if not opening:
            join = join.replace(";", " ")  # a driver ends an unenclosed value at its ";"
        password += join.replace(closing, closing * 2) if closing else join
        password += part
    name, space = draw(st.sampled_from(_NAMES)), draw(st.sampled_from(["", " "]))
    tail = draw(st.sampled_from(["", ";", ";Database=x;", ";Encrypt=yes"]))
    before = draw(st.sampled_from(_BEFORE_NAMES))
    setting = f"{before}{name}{space}={space}{opening}{password}{closing}{tail}"
    around = draw(st.sampled_from(["{}", 'metadata=res://*/M.csdl;provider connection string="{}"',
                                   "export DB='{}'", "Connects with {} nightly"]))  # fmt: skip
    read_to = password if tail or not around.endswith(" nightly") else password + " nightly"  # a driver's reading
    return around.format(setting), parts, not opening and " " in read_to


@settings(max_examples=400, deadline=None)
@given(_connection_strings())
def test_no_part_of_a_connection_string_s_password_is_left_whatever_it_holds_or_encloses_it(
    case: tuple[str, list[str], bool],
) -> None:
    """Each part of the password is taken out, and the detector reports it: whether the password
    holds a driver's separators or a reference's punctuation, and whether the text around the
    connection string encloses it as a driver would or, by hand, closes inside the password."""
    text, parts, worded = case
    redacted = redact_text(text)
    assert [part for part in parts if part in redacted] == []
    if worded:  # an unenclosed password of several words in free text is as likely prose: redacted only
        return
    assert find_secrets_in_text(text) != []


def test_connection_strings_are_read_in_linear_time_on_a_megabyte_of_unclosed_values() -> None:
    import time

    for text in (
        "Pwd='a;" * 150_000,
        'x;Password="Hunt3rTw0;' * 50_000 + "Pwd={" * 100_000,
        'Server=db;Password="' + "<%" * 500_000 + '\nx";',  # a template's opening, never closed
        "Pwd=Ab3 xyz9Q;" * 80_000,  # settings spaced from their names
    ):
        started = time.monotonic()
        redacted = redact_text(text)
        # linear takes 9 to 15 s here on a shared 2-core machine; quadratic took hours
        assert time.monotonic() - started < 30
        assert "Hunt3r" not in redacted


@pytest.mark.parametrize(
    "text",
    [
        "x=1 " + "a." * 50_000,  # a name's start at each ".": before, 40 KB took two minutes
        "Server=db;Password=$" + "a." * 50_000,
        "see " + "a." * 50_000 + "://u:p@host",  # a URL's scheme
        '"' + "a." * 50_000 + '":"x"',
    ],
)
def test_a_long_run_of_name_characters_is_redacted_in_linear_time(text: str) -> None:
    """Each place a run of "a." could start a secret's name, or a URL's scheme, looks a bounded
    distance ahead: 100 KB took 35 to 40 s, and a megabyte hours."""
    import time

    started = time.monotonic()
    redact_text(text)
    assert time.monotonic() - started < 10


def test_uids_that_differ_only_in_their_secrets_stay_apart(cli, tmp_path: Path) -> None:
    """Two repositories cloned into folders named ``password=…``: once redacted, both agents had one
    uid. They merged, the token of one was blamed on the other too, and SARIF held two results of
    one fingerprint. The second read is numbered; neither name shows a password."""
    from scanner.scan import ScanOptions, load_catalogs, run_scan
    from scanner.sources import SourceSpec, collect

    token = "ghp_" + "R8x2Kq9ZmT4vLp7WnB3cYd6FhJ1sGe5AoU0i"
    root = tmp_path / "m"
    servers = {
        "Zq8xWv4Tn2Lp6Rb9": {"one": {"command": "npx"}},
        "Ab3dKf7Hs1Jm5Qc8": {"two": {"command": "npx", "env": {"GITHUB_TOKEN": token}}},
    }
    for folder, listed in servers.items():
        (root / f"password={folder}").mkdir(parents=True)
        (root / f"password={folder}" / ".mcp.json").write_text(json.dumps({"mcpServers": listed}))
    inventory = collect(SourceSpec("manifests", str(root)))
    uids = [agent.uid for agent in inventory.agents]
    assert len(set(uids)) == 2 and not any(folder in uid for uid in uids for folder in servers)
    assert {grant.identity_uid for grant in inventory.grants} == set(uids)
    result = run_scan(inventory, load_catalogs(), ScanOptions())
    failing = [f.resource.uid for f in result.findings if f.control_id == "NHI-SECRET-001" and f.status == "fail"]
    assert len(failing) == 1
    out = tmp_path / "out"
    cli("scan", f"manifests:{root}", "--no-history", "--format", "sarif", "-o", str(out), "--fail-on", "none")
    (run,) = json.loads((out / "results.sarif").read_text())["runs"]
    fingerprints = [r["partialFingerprints"]["nhiscan/v1"] for r in run["results"]]
    assert len(fingerprints) == len(set(fingerprints))


def test_a_secret_in_a_grants_actions_or_resources_reaches_no_output(tmp_path: Path) -> None:
    """A grant's actions and resources were never searched (millions of permission names): a
    connection string or an object key holding a token, written into a hand-made inventory's
    policy, came out whole in inventory.json, results.json and the reports. Redacted, the list is
    unknown: what the controls match is no longer what was read."""
    password, token, pat = "Pw7Hq2Zk9Lm4Xs", "Tk5Qz8Lm2Vx9Rb", "ghp_" + "R8x2Kq9ZmT4vLp7WnB3cYd6FhJ1sGe5AoU0i"
    role = "arn:aws:iam::123456789012:role/loader"
    inventory = {
        "schema_version": "1.0",
        "collected_at": "2026-11-01T00:00:00Z",
        "accounts": [{"uid": "123456789012", "provider": "aws", "kind": "account", "name": "prod"}],
        "identities": [{"uid": role, "provider": "aws", "account": "123456789012", "kind": "role", "name": "loader"}],
        "grants": [
            {"identity_uid": role, "kind": "policy", "name": "load", "uid": "g1", "actions": ["s3:PutObject"],
             "resources": ["arn:aws:s3:::uploads/*", f"arn:aws:s3:::uploads/token={token}/*"]},
            {"identity_uid": role, "kind": "policy", "name": "db", "uid": "g2", "actions": ["rds-db:connect"],
             "resources": [f"postgres://admin:{password}@db.internal:5432/app"]},
            {"identity_uid": role, "kind": "policy", "name": "all-but", "uid": "g3", "actions": ["*"],
             "resources": ["*"], "attributes": {"not_actions": [f"iam:{pat}"]}},
        ],
        "sources": [{"name": "aws", "account": "123456789012", "status": "complete"}],
    }  # fmt: skip
    (tmp_path / "inventory.json").write_text(json.dumps(inventory), encoding="utf-8")
    out = tmp_path / "out"

    completed = run_nhiscan(
        "scan", f"inventory:{tmp_path / 'inventory.json'}", "--no-history", "--format",
        "html,pdf,json,sarif,junit,csv,md,ocsf", "--output-dir", str(out), "--fail-on", "none", cwd=tmp_path,
    )  # fmt: skip

    assert completed.returncode == 0, completed.stderr
    outputs = {path.name: path.read_text(encoding="utf-8-sig") for path in out.iterdir() if path.suffix != ".pdf"}
    pdf = subprocess.run(["pdftotext", str(out / "report.pdf"), "-"], capture_output=True, text=True, check=True)
    outputs |= {"report.pdf (text)": pdf.stdout, "stdout": completed.stdout, "stderr": completed.stderr}
    leaks = [(secret, name) for secret in (password, token, pat) for name, text in outputs.items() if secret in text]
    assert leaks == []
    grants = {g["uid"]: g for g in json.loads(outputs["inventory.json"])["grants"]}
    assert grants["g1"]["resources"] == ["arn:aws:s3:::uploads/*", f"arn:aws:s3:::uploads/token={REDACTED}"]
    assert grants["g1"]["unknown"] == ["resources"] and grants["g2"]["unknown"] == ["resources"]
    assert grants["g3"]["unknown"] == ["actions"] and grants["g3"]["resources"] == ["*"]


PGP_BODY = (
    "lQOYBF8xZq8BCADkLm3kQ2v9tXcWq7pZr4sYbN1uH6eJ0aF5dGhK8iLmNoPqRsTu",
    "vWxYz0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV",
)
SSH2_BODY = "AAAAB3NzaC1yc2EAAAADAQABAAABAQDZq8vT3pLmK9xWr2sQh4Yd6FhJ1sGe5AoU0iR8x2Kq9ZmT4vLp7WnB3c"
SIGNER = f"""nhiscan: agent/v1
name: signer
owner: team@example.com
tags:
  gpg: |
    -----BEGIN PGP PRIVATE KEY BLOCK-----

    {PGP_BODY[0]}
    {PGP_BODY[1]}
    =Xk9m
    -----END PGP PRIVATE KEY BLOCK-----
  ssh: |
    ---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----
    Comment: "deploy"
    {SSH2_BODY}
    ---- END SSH2 ENCRYPTED PRIVATE KEY ----
  deploy: AKIAZM84KLTQJRO84S33
tools: []
"""


def test_pgp_and_ssh2_private_keys_and_a_bare_key_id_in_a_manifest_reach_no_output(tmp_path: Path) -> None:
    """Reader: nhiscan found each of these as a secret (tags.gpg a private key, tags.deploy an
    access key, an MCP server named by a key id) and still wrote them whole to results.json,
    inventory.json, the HTML report and the history: the private-key form knew PEM only (PGP's
    armour ends 'KEY BLOCK', SSH2's has four dashes), and a key id alone was never searched for."""
    repository = tmp_path / "repo"
    repository.mkdir()
    (repository / "signer.nhiscan.yaml").write_text(SIGNER)
    server = {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-everything@1.0.0"]}
    (repository / ".mcp.json").write_text(json.dumps({"mcpServers": {"AKIAZM84KLTQJRO84S34": server}}))
    out = tmp_path / "out"
    completed = run_nhiscan(
        "scan", f"manifests:{repository}", "--db", f"sqlite:///{tmp_path / 'h.db'}", "--fail-on", "none",
        "--format", "html,pdf,json,sarif,junit,csv,md,ocsf", "--output-dir", str(out), cwd=tmp_path,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    outputs = {path.name: path.read_text(encoding="utf-8-sig") for path in out.iterdir() if path.suffix != ".pdf"}
    pdf = subprocess.run(["pdftotext", str(out / "report.pdf"), "-"], capture_output=True, text=True, check=True)
    outputs |= {"report.pdf (text)": pdf.stdout, "stdout": completed.stdout, "stderr": completed.stderr}
    outputs["history"] = (tmp_path / "h.db").read_bytes().decode("latin-1")  # stored text is packed: see below
    stored = run_nhiscan("report", "--db", f"sqlite:///{tmp_path / 'h.db'}", "--format", "json", "-o", "again",
                         json.loads(outputs["results.json"])["scan"]["id"], cwd=tmp_path)  # fmt: skip
    assert stored.returncode == 0, stored.stderr
    outputs["stored results"] = (tmp_path / "again" / "results.json").read_text()
    for secret in (*PGP_BODY, SSH2_BODY, "AKIAZM84KLTQJRO84S33", "AKIAZM84KLTQJRO84S34"):
        assert [name for name, text in outputs.items() if secret[:20] in text] == [], secret
