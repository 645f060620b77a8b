"""Literal credentials in configuration values and free text, found with detect-secrets' detectors.

A value that refers to a secret instead of holding it (``${input:token}``, ``${env:TOKEN}``,
``$TOKEN``, ``=Env.TOKEN``, ``{token}``, ``{{ secrets.TOKEN }}``, ``os.environ["TOKEN"]``) is the
safe pattern; placeholders from documentation (``<YOUR_TOKEN>``, ``YOUR_GITHUB_PAT``,
``postgres://user:password@localhost``) hold nothing. Only a fingerprint (a hash prefix) of a
found secret is kept, never the value.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from itertools import chain, pairwise
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import re2

from scanner.connection_strings import Setting, name_ending, plain_settings, settings, settings_where_they_stand
from scanner.model import Credential
from scanner.program_passwords import given_passwords

# A variable's name reads as one: one case (DB_PASSWORD, db2_password), or letters and then digits
# (dbPassword, DbPassword2). Mixed case with digits inside ($uperS3cret2024, $Xk9mQ2pL7v) is how a
# generated password reads. Matched one way only (an atomic group), in linear time.
_VARIABLE_NAME = r"(?>[A-Z_][A-Z0-9_]*\b|[a-z_][a-z0-9_]*\b|[A-Za-z_][A-Za-z_]*[0-9]*\b)"
# $VAR, $env:VAR, $Secrets.DbPassword: each part a variable's name ($ecret.Xk9mQ2pL7v is a password)
VARIABLE_REFERENCE = rf"\${_VARIABLE_NAME}(?:[:.]{_VARIABLE_NAME})*"
# {{ secrets.DB }}, ${{ secrets.GITHUB_TOKEN }}, {{resolve:secretsmanager:Db:SecretString:password}}: a
# template of names alone; one holding a literal ({{ 'S3cr3t' }}, a default('X') fallback) is no reference
TEMPLATE_REFERENCE = rf"\$?\{{\{{\s*{_VARIABLE_NAME}(?:[.:]{_VARIABLE_NAME})*\s*\}}\}}"
PERCENT_REFERENCE = rf"%{_VARIABLE_NAME}%"  # %TOKEN% (Windows, Octopus); %Xk9mQ2pL7v% is a password
# {"name": "DB_PASSWORD", "value": X}: an entry's name says what its value is (Kubernetes, ECS and
# Cloud Run environments, Azure app settings, CloudFormation parameters, MCP registry variables)
ENTRY_NAME_KEYS = ("name", "Name", "key", "Key", "ParameterKey", "id")  # id: a VS Code input
ENTRY_VALUE_KEYS = frozenset({"value", "Value", "default", "ParameterValue"})


def named_by_entry(entry: dict[Any, Any]) -> str | None:
    """The name an entry gives its ``value`` or ``default``: its ``name`` (``{"name": "API_KEY",
    "value": X}``), or a secret's when the entry is marked one (an MCP registry's ``isSecret``)."""
    if entry.get("isSecret") is True:
        return "secret"
    return next((name for key in ENTRY_NAME_KEYS if isinstance(name := entry.get(key), str)), None)


# ${VAR}, $VAR, =Env.VAR, {name}, {{ secrets.X }}, ${{ secrets.X }}, $(Build.Token), %TOKEN%
_REFERENCE = re.compile(
    rf"^\s*(?:Bearer\s+|token\s+)?(?:\$\{{[^}}]+\}}|\${_VARIABLE_NAME}|=Env\.\w+|\{{\w+\}}"
    rf"|\$?\{{\{{[^{{}}]*\}}\}}|\$\([\w.]+\)|{PERCENT_REFERENCE})\s*$"
)
# os.environ["TOKEN"], os.getenv("TOKEN", ...), process.env.TOKEN: code that reads a secret from the environment
_ENV_LOOKUP = re.compile(
    r"^(?:os\.environ(?:\.get)?|os\.getenv|getenv|System\.getenv|Environment\.GetEnvironmentVariable|ENV(?:\.fetch)?)"
    r"[\[(]['\"]?[A-Za-z_]\w*['\"]?[\])]?,?$|^process\.env(?:\.[A-Za-z_]\w*|\[['\"][A-Za-z_]\w*['\"]\])$"
)
_PLACEHOLDER = re.compile(
    r"(?i)^\s*(?:bearer\s+)?(?:<(?![a-z][a-z0-9+.-]*://)[^>]*>|your[_-][\w-]*|[\w-]*[_-]here|x{4,}|\*{4,}|changeme|example[\w-]*|dummy|test|none|null"
    r"|(?:[a-z0-9]+[_-]){1,3}(?:x{8,}|\*{8,})"  # a token's prefix, then its mask: ghp_xxxx…, sk-ant-api03-xxxx…
    r"|\[?redacted\]?"  # a value redacted already, by nhiscan or by whoever exported it
    r"|(?:akia|asia|abia|acca)…[0-9a-z]{4}|)\s*$"  # an access key's id as nhiscan shows it (redact.masked_key_id)
)
# Token formats detect-secrets 1.5 has no detector for
_EXTRA_DETECTORS = (
    ("anthropic_api_key", re.compile(r"sk-ant-(?:api|admin)\d{2}-[A-Za-z0-9_-]{40,}")),
    ("github_token", re.compile(r"github_pat_[0-9A-Za-z]{22}_[0-9A-Za-z]{59}")),  # fine-grained: 1.5 knows ghp_ only
    # Firecrawl's key: its hosted MCP server takes it as the first part of the URL's path
    # (https://mcp.firecrawl.dev/fc-<32 hex>/v2/mcp), where hex alone reads as a digest
    ("firecrawl_api_key", re.compile(r"\bfc-[0-9a-f]{32}\b")),
    ("google_api_key", re.compile(r"AIza[0-9A-Za-z_-]{35}")),
    ("openai_api_key", re.compile(r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{32,}")),
)
_ASSIGNMENT = re.compile(r"^(?:--?[A-Za-z][\w.-]*|[A-Za-z_][A-Za-z0-9_]*)=(.*)$", re.S)  # NAME=V, --flag=V
_ENV_NAME = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$")  # STRIPE_SECRET_KEY: a variable's name, not its value
_SECRET_PARAMETER = re.compile(
    r"(?i)^(?:.*(?:key|token|secret|password|passwd|pwd|sig|signature|credential|auth)|code)$"
)
# A URL's query names a credential more briefly than a variable does: ?pass=, ?pw=, ?pat= (a personal
# access token), ?tok=, ?sas=, ?hmac=
SECRET_QUERY_NAMES = r"pass|pw|passphrase|passcode|jwt|bearer|pat|tok|sas|hmac"
# ?access= and ?sessionId= (of a session an MCP server opened, which whoever holds the URL may use)
# name a setting as often (?access=readonly, ?session=stateless): there a word is a setting,
# anything else a credential
SETTING_QUERY_NAMES = r"access|session(?:[_\-]?id)?"
_SECRET_QUERY_NAME = re.compile(rf"(?i)^(?:{SECRET_QUERY_NAMES})$")
_SETTING_QUERY_NAME = re.compile(rf"(?i)^(?:{SETTING_QUERY_NAMES})$")
_PLAIN_WORD = re.compile(r"[A-Za-z_\-]+")
MAX_EMBEDDED_JSON = 64 * 1024
# detect-secrets' detectors see strings up to this long: a JWT or a PEM key is shorter, and its npm
# token pattern takes quadratic time on a long run of "/" (200 KB: two minutes)
MAX_DETECTED_LENGTH = 4096
# Linux's MAX_ARG_STRLEN: no program is given a longer argument, nor a shell a longer script, and no
# name, command or URL of a real estate comes near it. A longer string is not searched: the search
# is linear, but at about 2 µs a character a 16 MB command took minutes and a gigabyte.
MAX_SEARCHED_LENGTH = 131_072
_WORD = re.compile(r"\S+")
_PUNCTUATION = "\"'`.,;:!?()[]{}<>"
# A whole PEM private key (the detector alone matches its header line, which every key shares)
_PRIVATE_KEY_BLOCK = re.compile(
    r"-----BEGIN [A-Z ]{0,40}PRIVATE KEY-----\s*[A-Za-z0-9+/=][A-Za-z0-9+/=\s]{63,}"
    r"(?:-----END [A-Z ]{0,40}PRIVATE KEY-----)?"
)
# what a secret-named parameter's value is when it is no secret: a path, an ARN or URL (see
# _names_a_place), a date, a value SOPS encrypted; or it holds a reference's part (_REFERENCE_PART,
# below). A UUID given to a secret-named key is a secret: Heroku's API keys and MongoDB Atlas's
# private keys are UUIDs (a KMS key's id is given to a name of a KMS key, not of a secret; in prose,
# "the KMS key 1234abcd-…" names one)
_NOT_A_SECRET_VALUE = re.compile(r"^~|^ENC\[AES256_GCM,|^\d{4}-\d{2}-\d{2}", re.I)
_UUID_TEXT = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_UUID = re.compile(rf"^{_UUID_TEXT}$")
# a place by its beginning: a relative path, a Windows share, an ARN, a URL (an absolute path or a
# drive is one by its parts: "/" and "X:/" begin base64 passwords too)
_PLACE_START = re.compile(r"^(?:\.{1,2}[/\\]|\\\\|arn:|[A-Za-z][A-Za-z0-9+.-]*://)")
_PLACE_SEPARATOR = re.compile(r"[/:\\#]")
_PATH_SEPARATOR = re.compile(r"[/:\\]")  # "#" separates a part only in a path (vault:secret/x#password)
# user:password, its password lower-case letters and digits (admin:hunter2, app:vlpi8f1cg1jt); not a
# digest (sha256:9f86d0…)
_USER_AND_PASSWORD = re.compile(r"^(?!(?i:sha\d*|md5|blake2\w*):)[^/:\\#]+:(?=[a-z]*\d)(?=\d*[a-z])[a-z0-9]{5,}$")
# a part of a path or reference: a lower-case name or number (db_password.txt, us-east-1, 5432), an
# upper-case one (DB-HOST01, RS256) or words, an acronym or a number after them (Production, DbPassword,
# dbPassword2, APIKey, SA-Key.json, Q1-Summary.pdf); a base64 password's parts (q3Xv, 9Lk2Jm0PzW) are none
_PLACE_WORD = r"(?:[A-Z]{2,}|[A-Za-z][a-z]*)(?:[A-Z][a-z]+)*\d{0,3}"
_NAME_PART = rf"[a-z0-9][a-z0-9_.-]*|[A-Z][A-Z_.-]*\d{{0,3}}|{_PLACE_WORD}(?:[_.-]{_PLACE_WORD})*(?:\.[a-z0-9]+)?"
_PLACE_PART = re.compile(_NAME_PART)
# in a path, a dot-directory's or a package scope's mark may come first (~/.aws/credentials, @scope/pkg)
_PATH_PART = re.compile(rf"[.@]?(?:{_NAME_PART})")
# code in prose, not a literal: a call (os.urandom(32), Credentials.from_info(...)) or an attribute (config.apiKey)
_CALL = re.compile(r"^@?[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*\(")  # @Microsoft.KeyVault(SecretUri=…) too
_ATTRIBUTE = re.compile(r"^[A-Za-z_]+(?:\.[A-Za-z_]+)+$")
# A reference, which makes a connection string's setting no literal:
# - anywhere in its value, a form no password is written in: ${VAR}, $(VAR), $(cat file), $[var],
#   #{Var}, %{Var}, {{ template }}, {% tag %}, <% code %>, <<VAR>>;
# - a value that begins with one of these, its end cut off by prose, by quotes inside it, or not
#   (${VAR:-default}, {{ lookup('env','X') }}, #{Octopus.Action[Step].Output.Password});
# - the whole value: $VAR, $env:VAR, $Secrets.Var, %VAR%, <password>, a placeholder in braces
#   ({password}, {0:password}, {config.Password}, {os.environ['DB_PASSWORD']}), its end cut off or not.
# A variable's name reads as one (see _VARIABLE_NAME), quoted or not: PowerShell expands
# "$dbPassword" inside the quotes a connection string adds, so quotes do not tell a variable from a
# password. A "$", "%", brace or angle bracket among a value's other characters is a generated
# password's punctuation (Xk9}mQ2#pL7v, Xk9$a!mQ2, Xk9%mQ2%pL7v, Xk9<AB>mQ2, Xk9{{mQ2): a literal.
# Each form is bounded by its own marks, and a name is matched one way only, so a search takes
# linear time whatever the value holds.
_OPENER = r"\$[{(\[]|#\{|%\{|\{\{|\{%|<%|<<"
_WHOLE_REFERENCE = (
    rf"{VARIABLE_REFERENCE}|{PERCENT_REFERENCE}|<[A-Za-z][A-Za-z _.-]*>?"
    r"|\{[\w.:'\"\[\]()-]*\}?"
    r"|\{(?:file|env):[^{}\s]*\}"  # OpenCode's substitutions: {file:~/.secrets/gh}, {env:TOKEN}
)
_REFERENCE_PART = re.compile(
    r"\$\{[^{}]*\}|\$\([^()]*\)|\$\[[^\[\]]*\]|#\{[^{}]*\}|%\{[^{}]*\}|\{\{[^{}]*\}\}|\{%[^%]*%\}|<%[^%]*%>"
    r"|<<[\w .:-]+>>"
    rf"""|^["'{{]?(?:{_OPENER})|^["'{{]?(?:{_WHOLE_REFERENCE})["'}}]?$"""
)
# a placeholder's word inside a value (github_pat_<your-token>); <AB> in Xk9<AB>mQ2 is a password's
_PLACEHOLDER_PART = re.compile(r"<[A-Za-z][A-Za-z_-]{3,}(?:>|$)")  # its ">" stripped as punctuation, or not
# {{ secrets.DB }}, {{.Values.db.password}}, {% if prod %}: as written, before unescaping
_TEMPLATE = re.compile(r"\{\{[^{}]*\}\}|\{%[^{}]*%\}")
# a key named for what it finds or identifies, not a secret: partitionKey, sort_key, publicKey, hotkey,
# a KMS key (its id, ARN or alias: the key itself never leaves KMS)
_NOT_A_SECRET_KEY = re.compile(
    r"(?i)(?:^|[_.-]|[a-z](?=[A-Z]))(?:public|partition|sort|foreign|hot|shortcut|cache|idempotency|row|kms"
    r"|range|lookup|dedup(?:lication)?|field|column|map|ssh[_-]?public)[_.-]?key$|^(?:hot|mon)key$",
)
# a variable's name that says it holds a secret: a secret's word (DB_PASSWORD, apiKey), pass, auth or
# passphrase after a separator (SMTP_PASS, REDIS_AUTH, GPG_PASSPHRASE), numbered or not (PASSWORD_2), and
# SSHPASS (what sshpass -e reads)
_GIVEN_SECRET_NAME = re.compile(
    r"(?i)^(?:[\w.-]*(?:key|token|secret|password|passwd|pwd|passphrase|credentials?)"
    r"|(?:[\w.-]*[_.-])?(?:pass|auth)|sshpass)(?:[_-]?\d{1,3})?$"
)
# what documentation writes for a secret to be filled in, as a whole: "your" as a word, a mask between
# separators, a value cut off, a bracketed name or ARM expression (and words without a digit); a password
# that only holds such a part (yourMom4Ever!23, Hunt3r***2024x, [Hunt3rTw0!x]) is still one
_GIVEN_PLACEHOLDER = re.compile(
    r"(?:^|[^A-Za-z0-9])(?i:your)(?:[_\-\s.]|$)"  # fc-YOUR_API_KEY, your-token (not yourMom4Ever)
    r"|(?:^|[\W_])(?i:x{4,}|\*{3,}|•{3,})(?:[\W_]|$)"  # a mask of x, * or • between separators: ntn_****
    r"|(?:\.{3}|…)$"  # cut off: AIzaSy...
    r"|^\[(?:[A-Z][A-Z0-9_]*|[A-Za-z]+\(.*)\]$"  # [YOUR_KEY], an ARM expression [parameters('x')]
)
_COUNTING = "01234567890123456789"  # digits that only count (1234567890) are a placeholder's
_NEGATION = re.compile(r"(?i)^(?:no|skip|disable|without)[_-]")  # a flag's: --no-auth, --skip-token
_SECRET_FLAG = re.compile(r"(?i)^.*(?:sig|signature)$")  # a flag's other names for a secret: --sig, --sas-signature
FLAG = re.compile(r"^--?([A-Za-z][\w.-]*)$")  # --password, -token
COMMAND_WORD = re.compile(r"[^\s'\"]+")  # a word of a command line, its quotes taken away
# what an argument names itself: --password=X, DB_PASSWORD=X (the flag's dashes kept: a flag's name)
_GIVEN_BY_ASSIGNMENT = re.compile(r"^(-{0,2}[A-Za-z_][\w.-]*)=(.+)$", re.S)
# what a secret's flag is given when it says where the secret is: docker's --secret id=npmrc,src=~/.npmrc
_MOUNT_SPEC = re.compile(r"^(?:id|src|source|type|target|env|mode|uid|gid|required)=[^,\s]*(?:,[a-z]+=[^,\s]*)*$")
MIN_REDACTED_BY_VALUE = 8
_REDACTED_ALREADY = re.compile(r"^\[REDACTED\][\]\[\"'`)}>.,;]*$")  # its brackets and quotes kept
_QUOTED_APART = re.compile(r"^(-{0,2}[A-Za-z_][\w.-]*)=$")
_PAGINATION = re.compile(r"(?i)^(?:next|page|continuation|pagination)[_-]?token$")  # a page's place, no secret
_SECRET_WORD = re.compile(r"(?i)^[\w-]*(?:key|token|secret|password|passwd|pwd|credentials?)$")  # in prose
_IDENTIFIER = re.compile(r"^[A-Z][A-Z0-9_]*$|^[a-z][a-z0-9_.-]*$")  # an environment variable or package name
# a password of documentation (postgres://user:password@localhost, your-password, yourpassword,
# YourStrong(!)Password, YourStrong@Passw0rd): "your", letters and the punctuation of Microsoft's
# examples, then a secret's word; yourS3cretPassw0rd!9 is a password
_EXAMPLE_PASSWORD = re.compile(
    r"(?i)^(?:my|your)?[_-]?(?:pass(?:word|wd)?|pwd|secret)$"
    r"|^your[a-z_!()@-]*(?:pass(?:word|wd|w0rd)?|pwd|secret|key|token)$"
)
_SEPARATOR = frozenset({"=", ":", ":=", "=>", "=="})  # token = X: the sign between a name and its value
# a connection string's setting whose name has spaces (Shared Access Key=X, Pass Word=X), in free text
_SPACED_SETTING = re.compile(r"(?:^|(?<=[\s;,(`'\"]))([A-Za-z]+(?: [A-Za-z]+){1,3})[ \t]*=[ \t]*([^\s;]+)")
# an access key's id (AKIA...): the detector reports it, but it names the key, as the inventory does
_KEY_ID = re.compile(r"^(?:A3T[A-Z0-9]|ABIA|ACCA|AKIA|ASIA)[0-9A-Z]{16}$")
# an access key's secret (40 characters of base64, given after its id: "AKIA… wJalr…", the way a
# key pair is pasted); a word of only letters or only digits is no secret
_AWS_SECRET_KEY = re.compile(r"^(?=.*[0-9/+])(?=.*[a-z])(?=.*[A-Z])[A-Za-z0-9/+]{40}$")
_PAIR_SEPARATORS = "=:/,;|-"  # what stands between a key's id and its secret, as a word of its own
# the last 61 characters of a word (20, a separator, 40): matched there only, since searched from
# every "AKIA" of a word of such pairs each lookahead ran to its end (100 KB took 3.6 s)
_KEY_PAIR = re.compile(
    r"(?:A3T[A-Z0-9]|ABIA|ACCA|AKIA|ASIA)[0-9A-Z]{16}[=:/,;|-]((?=[A-Za-z0-9/+]*[0-9/+])(?=[A-Za-z0-9/+]*[a-z])"
    r"(?=[A-Za-z0-9/+]*[A-Z])[A-Za-z0-9/+]{40})"
)
_KEY_PAIR_LENGTH = 61
_BASE64 = re.compile(r"[A-Za-z0-9+/_-]{4,}={0,2}")  # standard or URL-safe, padded or not
# password:X or "password":"X" in one word (the name's quotes kept when the word's were stripped)
_COLON_PAIR = re.compile(r"""^["']?([\w-]+)["']?:["']?(.+?)["']?$""", re.S)
# where the next pair of a word begins: ",user:", ";host=", "&user=", ',"password":'
# (only where a run of separators begins, all of it: else each place in a long run of "&" was
# tried again with every shorter run, and 60 KB of them took 80 s)
_NEXT_PAIR = re.compile(r"""(?<![,;&{}\[\]()])[,;&{}\[\]()]++(?=["']?-{0,2}[A-Za-z_][\w.-]*["']?[:=])""")
# what glues an authorization scheme to the word before it ("Authorization":"Basic, Authorization:Basic)
_COPULAS = frozenset({"is", "was", "remains", "reads", "equals"})
_SCHEME_SEPARATOR = re.compile(r"""[:="'{(\[,]+""")
_BEARER = re.compile(r"[A-Za-z0-9._~+/-]{20,}=*")  # an RFC 6750 b64token long enough to be a credential
_DETECTOR_NAMES = {
    "AWSKeyDetector": "aws_access_key",
    "GitHubTokenDetector": "github_token",
    "GitLabTokenDetector": "gitlab_token",
    "SlackDetector": "slack_token",
    "OpenAIDetector": "openai_api_key",
    "PrivateKeyDetector": "private_key",
    "StripeDetector": "stripe_key",
    "TwilioKeyDetector": "twilio_key",
    "SendGridDetector": "sendgrid_key",
    "NpmDetector": "npm_token",
    "PypiTokenDetector": "pypi_token",
    "JwtTokenDetector": "jwt",
    "BasicAuthDetector": "basic_auth_url",
    "DiscordBotTokenDetector": "discord_token",
    "AzureStorageKeyDetector": "azure_storage_key",
}


@dataclass(frozen=True, slots=True)
class FoundSecret:
    detector: str
    fingerprint: str
    at: int = 0  # where in the checked text the secret-bearing word starts (free text), for its line
    # the value found, for redaction to remove from the text it was found in; never stored or shown
    value: str = field(default="", repr=False, compare=False)


@cache
def _detectors() -> tuple[tuple[str, Any], ...]:
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class

    found = []
    plugin_class: Any
    for plugin_class in get_mapping_from_secret_type_to_class().values():
        name = _DETECTOR_NAMES.get(plugin_class.__name__)
        if name:
            found.append((name, plugin_class()))
    return tuple(sorted(found))


@cache
def _entropy_detectors() -> tuple[Any, ...]:
    from detect_secrets.plugins.high_entropy_strings import Base64HighEntropyString, HexHighEntropyString

    return (Base64HighEntropyString(limit=4.5), HexHighEntropyString(limit=3.0))


def _assignment(value: str) -> re.Match[str] | None:
    """``NAME=VALUE`` or ``--flag=VALUE``; not a word that ends in ``=`` or ``==``, which is base64's
    padding (``q3Xv9Lk2Jm0PzWab=``), not an assignment of nothing."""
    assignment = _ASSIGNMENT.match(value)
    return assignment if assignment and assignment.group(1).strip("=") else None


def is_reference(value: str) -> bool:
    """A reference to a secret, or a placeholder (``${VAR}``, ``<your-token>``, ``****``, a variable
    name such as ``STRIPE_SECRET_KEY``); ``NAME=<reference>`` and ``--flag=<reference>`` too."""
    assignment = _assignment(value)
    if assignment:
        value = assignment.group(1)
    value = value.strip()
    return bool(
        _REFERENCE.match(value) or _PLACEHOLDER.match(value) or _ENV_NAME.match(value) or _ENV_LOOKUP.match(value)
    )


def is_secret_name(name: str) -> bool:
    """A parameter, variable or key whose name says it holds a secret (``api_key``, ``clientSecret``)."""
    return bool(_SECRET_PARAMETER.match(name))


def find_secret(value: Any, *, entropy: bool = True) -> FoundSecret | None:
    """The kind of literal credential ``value`` holds, if any: the value itself, the value of a
    ``NAME=VALUE`` or ``--flag=VALUE`` pair, a password in a URL's user-info or a secret-named
    query parameter, a secret-named setting of a connection string (``...;Password=X;``), or any
    string inside JSON carried in the value (an env var of headers).
    Without ``entropy``, only known token formats count, not any random-looking string: for values
    that are not where a credential is configured (a file digest is random-looking too)."""
    if not isinstance(value, str) or is_reference(value):
        return None
    assignment = _assignment(value)  # NAME=VALUE (a docker -e argument): judge the value
    if assignment:
        value = assignment.group(1)
    embedded = _embedded_json_strings(value)
    if embedded is not None:  # each string judged by its shape, and as what its key names it
        return next(
            (
                found
                for name, item in embedded
                if (found := find_secret(item, entropy=entropy) or (find_secret_given_to(name, item) if name else None))
            ),
            None,
        )
    in_url = _url_secret(value)
    if in_url is not None:
        return _found(in_url[0], in_url[1])
    if len(value) < 8:
        return None
    detector = _detector_for(value, entropy=entropy)
    return _connection_string_secret(value) if detector is None else _found(detector, value)


def find_secrets_in_text(text: str) -> list[FoundSecret]:
    """Every literal credential inside free text (an agent's instructions, a prompt template, an
    API schema, a description), each once, in the order they come: private key blocks, words in a
    known token format, URLs or connection strings carrying credentials, the word after a
    secret-named one (``password: X``, ``token = X``, ``--token X``, ``api_key=X``), a connection
    string's setting named with spaces (``Pass Word=X``) and the credential after ``Bearer``.
    Random-looking words count only there: prose holds digests and identifiers too. References and
    placeholders among the words are not secrets."""
    found: dict[str, FoundSecret] = {}
    for secret, _, _ in _secrets_in_text(text):
        found.setdefault(secret.fingerprint, secret)
    return sorted(found.values(), key=lambda secret: secret.at)


def secret_spans(text: str) -> list[tuple[int, int]]:
    """Where in ``text`` the secrets are that ``find_secrets_in_text`` finds, and those
    ``find_secret`` finds in the text as a whole when it is a connection string (``Password=my
    secret;``): each occurrence of each value, or the word a value was decoded from (a URL's query
    parameter). An access key's id is not among them: it names the key."""
    spans: list[tuple[int, int]] = []
    values: set[str] = set()  # each found where it was found: every place it is in the text goes
    for secret, start, end in _secrets_in_text(text):
        if _KEY_ID.match(secret.value):
            continue
        if secret.value and text.find(secret.value, start, end) >= 0:
            values.add(secret.value)
        else:  # decoded from what the text holds (a URL's query parameter): the word it was in
            spans.append((start, end))
    for setting in _connection_string_literals(text):
        spans.append((setting.start, setting.end))  # as written: enclosed, its escapes kept
        values.add(setting.value)  # and wherever else it is (never searched for one by one)
    return spans + occurrences(text, values)


def argument_secret_spans(text: str) -> list[tuple[int, int]]:
    """Where the secrets are that ``find_secret_in_command`` finds by a word's name (the flag
    before it, its own assignment: ``--passphrase X``, ``-e SMTP_PASS=X``), each value wherever it
    is: to be taken out whole before anything cuts a value at its ``;`` or ``&``."""
    values: set[str] = set()
    spans: list[tuple[int, int]] = []
    for word, secret in _named_in_command(text, by_shape=False):
        if len(secret.value) >= MIN_REDACTED_BY_VALUE:
            values.add(secret.value)
            continue
        # a short value is taken out where it was given (searched for, "root" is everywhere: -uroot)
        at = word.group(0).rfind(secret.value) if secret.value else -1
        if at >= 0:
            spans.append((word.start() + at, word.start() + at + len(secret.value)))
    return spans + occurrences(text, values)


def _argument_secrets(text: str) -> Iterator[FoundSecret]:
    return (found for _, found in _named_in_command(text, by_shape=False))


def enclosed_secret_spans(text: str) -> list[tuple[int, int]]:
    """Where the secrets are that a connection string encloses (``Pwd={a;b}``, ``Password="a;b"``),
    as written and wherever else their values are: to be taken out before anything that reads the
    text as words and would cut such a value at its ``;``."""
    found = [setting for setting in _connection_string_literals(text) if setting.enclosed]
    if not found:
        return []
    return [(s.start, s.end) for s in found] + occurrences(text, {s.value for s in found})


def occurrences(text: str, values: set[str]) -> list[tuple[int, int]]:
    """Each place each of ``values`` is in ``text``: a text of thousands of secrets is searched
    once for all of them (RE2, linear), not once for each."""
    if len(values) > 16:
        try:
            return [match.span() for match in _any_of(values).finditer(text)]
        except (UnicodeEncodeError, re2.error):  # a lone surrogate RE2 cannot read; too many to compile
            pass
    spans = []
    for value in values:
        at = text.find(value)
        while at >= 0:
            spans.append((at, at + len(value)))
            at = text.find(value, at + len(value))
    return spans


def _any_of(values: set[str]) -> Any:
    options = re2.Options()
    options.log_errors = False
    options.longest_match = True  # where two values start at one place, the longer one
    options.max_mem = 256 << 20
    return re2.compile("|".join(re.escape(value) for value in sorted(values)), options)


def _secrets_in_text(text: str) -> Iterator[tuple[FoundSecret, int, int]]:
    """Each secret of ``find_secrets_in_text`` where it is found, with the range of the word (or
    block, or setting) it is in; a secret found twice is given twice."""
    for block in _PRIVATE_KEY_BLOCK.finditer(text):
        yield _found("private_key", block.group(0), block.start()), block.start(), block.end()
    prose = _PRIVATE_KEY_BLOCK.sub(lambda block: " " * len(block.group(0)), text)  # offsets kept
    assigned = False  # the word before names a secret: "password:", "--token", "the key"
    bearer = False  # the word before is "Bearer": "Authorization: Bearer X"
    basic = False  # the word before is "Basic": "Authorization: Basic base64(user:password)"
    header = False  # the word before names an Authorization header ("Authorization:", "--header Authorization:")
    in_header = False  # "Bearer" came in an Authorization header: its credential is one however short
    after_key_id = False  # the word before is an AWS access key's id: the pair's secret may follow
    for word in _WORD.finditer(prose):
        raw = word.group(0)
        if raw in _SEPARATOR or not raw.strip(_PAIR_SEPARATORS):  # "token = X", "AKIA… / X": the
            continue  # word before still names the word after the sign
        if assigned and raw.lower().rstrip(":") in _COPULAS:  # "the password is X": as "password: X"
            continue
        token = raw.strip(_PUNCTUATION)
        found = _secrets_of_word(raw, token, assigned)
        # a scheme's credential is judged by its own rules: base64's "=" padding reads as "NAME="
        secret = _bearer_token(token) if bearer and not found else None
        if secret is None and in_header and not found:
            secret = find_secret_given_to("password", token)
        secret = _basic_credentials(token) if basic and not found else secret
        found += [secret] if secret is not None else []
        if after_key_id and not found and _AWS_SECRET_KEY.match(token):
            found = [_found("aws_access_key", token, word.start())]
        if not found and (pair := _KEY_PAIR.fullmatch(token[-_KEY_PAIR_LENGTH:])):  # AKIA…=secret: one word
            found = [_found("aws_access_key", pair.group(1), word.start())]
        after_key_id = bool(_KEY_ID.match(token.split(":", 1)[-1].split("=", 1)[-1]))
        for secret in found:
            yield FoundSecret(secret.detector, secret.fingerprint, word.start(), secret.value), word.start(), word.end()
        name = token.rstrip(":=").lstrip("-")
        assigned = bool(_SECRET_WORD.match(name)) and not _PAGINATION.match(name)
        parts = _SCHEME_SEPARATOR.split(token)  # Bearer, "Authorization":"Bearer, Authorization:Basic
        scheme = parts[-1].lower()
        bearer, basic = scheme == "bearer", scheme == "basic"
        named_here = len(parts) > 1 and parts[-2].strip("\"'").lower().endswith("authorization")
        in_header = bearer and (header or named_here)
        header = name.lower().endswith("authorization")
    for spaced in _SPACED_SETTING.finditer(prose):  # Server=db;Shared Access Key=X: the words split it
        literal = spaced.group(2).strip(_PUNCTUATION)
        if _names_setting(spaced.group(1)) and _literal_setting(literal):
            yield _found("connection_string_secret", literal, spaced.start()), spaced.start(2), spaced.end(2)
    first_sign = prose.find("=")
    for setting in _connection_string_literals(prose):  # Pwd={a b;c}, "...;password=a b;": spaces split it too
        if setting.enclosed or setting.depth or _spaced_from_its_name(prose, setting, first_sign):
            yield _found("connection_string_secret", setting.value, setting.start), setting.start, setting.end


def _spaced_from_its_name(text: str, setting: Setting, first_sign: int) -> bool:
    """Whether a connection string's setting in free text is one the words do not hold whole: a
    value of one word after a spaced sign (``Server=db;Password = X``), after another setting (a
    connection string, not prose that holds a ";"). An enclosed value is read as such; a value of
    several words there is as likely prose (``Password = stored in Key Vault``)."""
    value = setting.value
    if not value or not text[setting.start - 1].isspace() or value[0] in "{\"'":
        return False
    return not any(character.isspace() for character in value) and 0 <= first_sign < text.rfind(";", 0, setting.start)


def _secrets_of_word(raw: str, token: str, assigned: bool) -> list[FoundSecret]:
    """The secrets one word of free text holds (``token``: the word without its punctuation);
    ``assigned``: the word before names a secret (``password:``, ``--token``, ``the key``)."""
    if is_reference(raw) or is_reference(token):
        return []
    values = _values_named_in_word(token)
    # a word of several settings may be a connection string or a URL, judged whole first
    if len(values) != 1 or _NEXT_PAIR.search(token):
        whole = find_secret(token, entropy=False)
        if whole is not None:
            return [whole]
    # api_key=X, password:X, {"user":"u","password":"X"}: each value judged alone, so that
    # "key:AKIA..." is an access key's id and "password:ghp_..." the token it holds
    # in free text a UUID after a name is taken for an id (kms_key=…, public_key=…, "the KMS key …"):
    # the name's kind is not read here, as it is for a key of settings (find_secret_given_to)
    found = [
        secret
        for value in values
        if (secret := find_secret(value, entropy=False) or (None if _UUID.match(value) else _named_value(value)))
    ]
    if not found and assigned and not _CALL.match(raw.lstrip(_PUNCTUATION)):  # not "key = make_key("
        secret = None if _UUID.match(token) else _named_value(token)
        found = [secret] if secret is not None else []
    if not found and "://" in token:  # **https://…**, href="https://…">, <https://…|label>: the URL inside
        found = [secret for url in _EMBEDDED_URL.findall(token) if (secret := find_secret(url, entropy=False))]
    return found


# a URL inside a word of markup: up to what closes it in Markdown, HTML or a Slack link
_EMBEDDED_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]{0,31}://[^\s\"'<>|*`()\[\]{}]+")


def find_secret_in_text(text: str) -> FoundSecret | None:
    """The first of ``find_secrets_in_text``, or None."""
    secrets = find_secrets_in_text(text)
    return secrets[0] if secrets else None


def _names_secret(word: str) -> bool:
    """``api_key=X``, ``--token=X``: a word that says it holds a secret."""
    assignment = _ASSIGNMENT.match(word)
    return bool(assignment) and bool(_SECRET_WORD.match(word.split("=", 1)[0].lstrip("-")))


def _values_named_in_word(word: str) -> list[str]:
    """The values of the pairs in one word that name a secret and hold it: ``api_key=X``,
    ``--token=X``, ``password:X``, ``"password":"X"``, and each such pair among others
    (``{"user":"u","password":"X"}``, ``password:X,user:u``, ``password=X&user=u``); none for any
    other word (``https://host``, ``key:``). A pair ends where the next one begins, so a value
    keeps the commas it holds (``password:a,b``)."""
    values = []
    for part in _NEXT_PAIR.split(word):
        part = part.lstrip(_PUNCTUATION.replace('"', "").replace("'", ""))
        if _names_secret(part):
            values.append(part.split("=", 1)[1])
            continue
        pair = _COLON_PAIR.match(part)
        if pair is not None and _SECRET_WORD.match(pair.group(1)) and not _PAGINATION.match(pair.group(1)):
            values.append(pair.group(2))
    return [value for value in values if value]


def _basic_credentials(value: str) -> FoundSecret | None:
    """The credentials after ``Basic``: base64 of ``user:password`` (RFC 7617) whose password is
    no placeholder, reference or documentation example (``Basic dXNlcjpwYXNzd29yZA==`` is
    user:password); anything that does not decode to such a pair is not."""
    if not _BASE64.fullmatch(value):
        return None
    unpadded = value.rstrip("=").replace("-", "+").replace("_", "/")  # base64url, padding left out
    try:
        decoded = base64.b64decode(unpadded + "=" * (-len(unpadded) % 4), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, colon, password = decoded.partition(":")
    if not colon or not password or not password.isprintable() or _example_password(password, user):
        return None
    return _found("basic_auth_header", value)


def find_secret_in_command(command: str) -> FoundSecret | None:
    """A literal credential among the words of a command line (``bash -c 'serve --token X'``): a
    word that is one, or the value a flag before it (``--token X``) or its own assignment
    (``--token=X``, ``DB_PASSWORD=X``) names a secret, judged as in an ``args`` list."""
    return next((found for _, found in command_secrets(command)), None)


def command_secrets(command: str) -> Iterator[tuple[re.Match[str], FoundSecret]]:
    """Each word of a command line that ``find_secret_in_command`` reports, with its secret."""
    return _named_in_command(command, by_shape=True)


def _named_in_command(command: str, *, by_shape: bool) -> Iterator[tuple[re.Match[str], FoundSecret]]:
    """Each word of a command line that holds a secret by the name it is given (a secret-named flag
    or assignment, a program's password flag: ``sshpass -p X``), or ``by_shape`` by its own shape
    too, with its secret. A value a flag gives in quotes is all that the quotes hold
    (``--password 'a b'``), not its first word."""
    words = [word for word in COMMAND_WORD.finditer(command) if not _continues_the_line(command, word)]
    texts = [word.group(0) for word in words]
    values = [_quoted_value(command, word) for word in words]
    new_lines, glued = set(), set()
    for index in range(1, len(words)):
        between = command[words[index - 1].end() : words[index].start()]
        if "\n" in between and not _CONTINUED.search(between):
            new_lines.add(index)
        elif between in ("'", '"'):
            glued.add(index)
    by_program = program_secrets(texts, values, new_lines, glued)
    for index, word in enumerate(words):
        found = find_secret(texts[index]) if by_shape else None
        if found is None:
            before = texts[index - 1] if index else None
            name = _name_before(before) if values[index] != texts[index] else None
            whole = find_secret_given_to(name, values[index]) if name else None  # --password 'a b'
            found = whole or find_secret_in_argument(texts[index], before) or by_program.get(index)
        if found is not None:
            yield word, found


# a line continued: bash's "\", PowerShell's "`" and cmd's "^" just before the new line
_CONTINUED = re.compile(r"[\\`^]\r?\n")


def _continues_the_line(command: str, word: re.Match[str]) -> bool:
    """Whether the word is only the mark that continues its line (``curl -sS \\`` ⏎ ``-u …``)."""
    return word.group(0) in ("\\", "`", "^") and command.startswith(("\n", "\r\n"), word.end())


def _quoted_value(command: str, word: re.Match[str]) -> str:
    """What a word gives as a value: all that the quotes before it hold when they hold more than
    the word (``'a b'``), else the word. The closing quote is looked for within
    ``MAX_DETECTED_LENGTH``, so that a line of quotes never closed is read in linear time."""
    start = word.start()
    quote = command[start - 1] if start else ""
    if quote not in ("'", '"'):
        return word.group(0)
    end = command.find(quote, word.end(), start + MAX_DETECTED_LENGTH)
    return command[start:end] if end > word.end() else word.group(0)


def program_argument_secrets(command: str, args: Sequence[Any]) -> dict[int, FoundSecret]:
    """``program_secrets`` of a launched program's ``args`` list (``"command": "sshpass", "args":
    ["-p", X, ...]``), by the argument's index; an argument that is no string gives none."""
    words = COMMAND_WORD.findall(command)
    arguments = [argument if isinstance(argument, str) else "" for argument in args]
    found = program_secrets(words + arguments)
    return {index - len(words): secret for index, secret in found.items() if index >= len(words)}


def program_secrets(
    words: Sequence[str],
    values: Sequence[str] | None = None,
    new_lines: Collection[int] = (),
    glued: Collection[int] = (),
) -> dict[int, FoundSecret]:
    """The secret each of a command's ``words`` gives a program by its password flag (see
    ``program_passwords.given_passwords``), judged as a value a secret's name is given, by its index."""
    found = {}
    for index, given in given_passwords(words, values, new_lines, glued).items():
        if given.startswith(("$(", "<(", "`")) or _BRACKETED.match(given.strip()):
            continue  # a command's output, a placeholder in brackets ([db_pass], <user_pass>): no literal
        password = _unglued(given)
        secret = find_secret_given_to("--password", password) or _literal_password(password)
        if secret is not None:
            found[index] = secret
    return found


def _unglued(password: str) -> str:
    """A password as a program's flag gives it, without what prose or markdown glues to it
    (`redis-cli -a PASSWORD`. or (… -a X).) and without a shell's escape before a reference
    (\\$RDP_PASS inside bash -c "…")."""
    bare = password.strip().lstrip("`'\"([{").rstrip("`'\".,;:)]}")
    return bare[1:] if bare.startswith("\\$") else bare


def _literal_password(value: str) -> FoundSecret | None:
    """What a program's own password flag gives, where the rule for a value a secret's name is
    given finds none (a word, a short value): the program takes it as its password whatever it
    reads like (``redis-cli -a foobared``, ``sshpass -p raspberry``, ``mysql -proot``), so a
    literal of 4 characters or more is one. A reference, a placeholder, a name in capitals
    (``PASSWORD``), a documentation example (``password``, ``your_password``) or a flag is none."""
    literal = value.strip()
    if len(literal) < 4 or literal.startswith("-"):  # a flag
        return None
    if is_reference(literal) or _GIVEN_PLACEHOLDER.search(literal) or _example_password(literal):
        return None
    if _REFERENCE_PART.search(literal) or _CAPITALS.match(literal) or literal.lower() in _PUBLIC_CONVENTIONS:
        return None
    # a port, where a word was taken for the program (docker run --name mongo -p 27017:27017), or a
    # key file a flag takes instead of a password (az login -p cert.pem)
    if _NUMBERS.match(literal) or _FILE_OR_PATH.search(literal):
        return None
    return _found("secret_parameter", literal)


_CAPITALS = re.compile(r"^[A-Z][A-Z0-9_]*$")  # PASSWORD, DB_PASS: a name standing for the value
_BRACKETED = re.compile(r"^[\[<{(][\w -]*[\]>})][.,;:!?`'\"]*$")  # [password], <password>, {password}
_NUMBERS = re.compile(r"^[\d:.,-]+$")
_FILE_OR_PATH = re.compile(r"^~?[/\\]|^[A-Za-z]:[/\\]|\.[a-z][a-z0-9]{1,4}$")
# passwords everyone knows by convention, protecting nothing: the JDK's trust store, malware samples' archives
_PUBLIC_CONVENTIONS = frozenset({"changeit", "infected"})


def find_secret_in_argument(argument: str, before: Any = None) -> FoundSecret | None:
    """The secret a command line's argument holds by its name: the flag ``before`` it names it
    (``["--password", X]``), or it is an assignment (``--password=X``, docker's ``-e DB_PASSWORD=X``).
    See ``find_secret_given_to``; an argument that is a credential by its own shape is
    ``find_secret``'s."""
    name = _name_before(before)
    found = find_secret_given_to(name, argument) if name else None
    assigned = _GIVEN_BY_ASSIGNMENT.match(argument) if found is None else None
    if assigned:
        found = find_secret_given_to(assigned.group(1), assigned.group(2))
    return found


def _name_before(before: Any) -> str | None:
    """The name a command line's word gives the word after it: a flag (``--password``), or an
    assignment its quotes cut short (``--password='X'``, ``NAME="X"``)."""
    if not isinstance(before, str):
        return None
    if FLAG.match(before):
        return before
    opened = _QUOTED_APART.match(before)
    return opened.group(1) if opened else None


def find_secret_given_to(name: str, value: str) -> FoundSecret | None:
    """The secret ``value`` is when a variable, key, setting or flag ``name`` gives it a secret's
    name (``DB_PASSWORD``, ``apiKey``, ``client_secret``, ``SMTP_PASS``, ``PASSWORD_2``; a flag,
    ``--token``, may also be ``--sig`` or ``--signature``): as the word after a
    secret-named one in text, a literal of 8 characters or more whatever its entropy; a
    documentation placeholder (``ntn_****``, ``fc-YOUR_API_KEY``, ``[YOUR_KEY]``, words) is none.
    None for other names, and for names of what finds or identifies (``--page-token``,
    ``publicKey``). An ``Authorization`` header gives one after its scheme (``Bearer X``, ``Basic
    X``) as a secret-named key does: 8 characters or more, even where a token's shape asks 20."""
    if name.lower() in _AUTHORIZATION_HEADERS:
        scheme = _AUTHORIZATION_SCHEME.match(value)
        if scheme is None:
            return None
        credential = value[scheme.end() :].strip()
        if scheme.group(1).lower() == "basic":  # user:password in base64, judged as such
            return _basic_credentials(credential)
        # a token of a bearer's length is reported as one, as in text; a shorter one as the password it is
        return find_secret_in_text(value) or find_secret_given_to("password", credential)
    if not names_a_secret(name):
        return None
    literal = value.strip()
    if _MOUNT_SPEC.match(literal) or _REDACTED_ALREADY.match(literal):
        return None
    if _GIVEN_PLACEHOLDER.search(literal) or (literal.isdigit() and (literal in _COUNTING or len(set(literal)) == 1)):
        return None
    if any(c.isspace() for c in literal) and not any(c.isdigit() for c in literal):  # "YOUR API KEY", "!secret x"
        return None
    return _named_value(value)


_AUTHORIZATION_HEADERS = frozenset({"authorization", "proxy-authorization"})
_AUTHORIZATION_SCHEME = re.compile(r"(?i)\s*(bearer|basic|token|bot|apikey|api-key|key|sso-key)\s+(?=\S)")


@lru_cache(maxsize=8192)  # asked of every key of every mapping redaction walks: a few hundred names
def names_a_secret(name: str) -> bool:
    """Whether a variable, key, setting or flag ``name`` says it holds a secret (see
    ``find_secret_given_to``): ``DB_PASSWORD``, ``SMTP_PASS``, ``PASSWORD_2``, ``--token``, ``--sig``;
    not ``--page-token``, ``publicKey`` or ``--no-auth``."""
    bare = name.lstrip("-")
    flag = bare != name
    if not (_GIVEN_SECRET_NAME.match(bare) or (flag and _SECRET_FLAG.match(bare))):
        return False
    return not (_PAGINATION.match(bare) or _NOT_A_SECRET_KEY.search(bare) or (flag and _NEGATION.match(bare)))


def _named_value(value: str) -> FoundSecret | None:
    """The value a secret-named parameter is given (``--token X``, ``password: X``): a literal of
    8 characters or more is the secret, whatever its entropy (a word, a path, a URL, a name without
    digits, a reference or a placeholder is not). As for a secret-named URL parameter."""
    if len(value) < 8 or is_reference(value) or value.isalpha() or _NOT_A_SECRET_VALUE.search(value):
        return find_secret(value)
    if _names_a_place(value):
        return find_secret(value)
    if _REFERENCE_PART.search(value) or _PLACEHOLDER_PART.search(value):  # Pre${SUFFIX}, github_pat_<your-token>
        return find_secret(value)
    if _is_name(value) or _CALL.match(value) or _EXAMPLE_PASSWORD.match(value):
        return find_secret(value)  # a name (tickets_key, tenant_id2), a call (os.urandom(32)), an example
    return _found("secret_parameter", value)


def _names_a_place(value: str) -> bool:
    """A path, URL, ARN or reference that a secret-named setting may be given instead of the
    secret (``/run/secrets/db``, ``secrets/db_password.txt``, ``vault:secret/data/x#password``,
    ``localhost:5432``, ``Config/Production/DbPassword``). A value whose parts between ``/``, ``:``,
    ``\\`` and ``#`` are not all names, words or numbers is none: ``q3Xv/9Lk2Jm0PzW``,
    ``/BnrtfYVF1FPKykj`` and ``aB3/xY9+kL2mN0pQ`` are base64 passwords, ``app:Hk3Lm9Pq2R`` and
    ``admin:vlpi8f1cg1jt`` a user and password."""
    if _PLACE_START.match(value):
        return True
    if _USER_AND_PASSWORD.match(value) or not _PATH_SEPARATOR.search(value):
        return False
    parts = _PLACE_SEPARATOR.split(value)
    named = _PATH_PART if "/" in value or "\\" in value else _PLACE_PART  # user:@dmin2024 is no path
    return len(parts) > 1 and all(not part or named.fullmatch(part) or _is_name(part) for part in parts)


def _is_name(value: str) -> bool:
    """An environment variable's, a package's or an attribute's name (``tickets_key``, ``tenant_id2``,
    ``config.apiKey``), not a literal."""
    if _ATTRIBUTE.match(value):
        return True
    return bool(_IDENTIFIER.match(value)) and (not any(c.isdigit() for c in value) or any(c in value for c in "_.-"))


def _bearer_token(value: str) -> FoundSecret | None:
    """The credential after ``Bearer``: a b64token of 20 characters or more that is no word, name,
    reference or placeholder (``Bearer YOUR_GITHUB_PAT``, ``Bearer $TOKEN``, ``Bearer 0000...``)."""
    if not _BEARER.fullmatch(value) or value.isalpha() or _is_name(value) or _EXAMPLE_PASSWORD.match(value):
        return None
    if len(set(value)) < 6:  # 000000..., abababab...: a filler, not a token
        return None
    return _found("bearer_token", value)


def _connection_string_secret(value: str) -> FoundSecret | None:
    """The first secret-named setting of a connection string that holds a literal
    (``Server=tcp:db;User ID=app;Password=X;``, ``Endpoint=sb://...;SharedAccessKey=X``,
    ``Pwd={X}``): its value of 8 characters or more, unless a word, a name, a reference, a
    placeholder or a documentation example (``Password=;``, ``Password=${DB_PASSWORD}``,
    ``Password=<password>``, ``Password={password}``)."""
    setting = next(_connection_string_literals(value), None)
    return None if setting is None else _found("connection_string_secret", setting.value)


def _connection_string_literals(value: str) -> Iterator[Setting]:
    """Each secret-named setting of a connection string that holds a literal: read as drivers
    read it, then split at every ``;``, then each enclosed one from where it stands (what a
    hand-written string encloses wrongly)."""
    split = ";" in value  # else one setting: its value runs to the end, unless enclosed
    if "=" not in value or not (split or "{" in value or '"' in value or "'" in value):
        return
    as_written = settings_where_they_stand(value, _names_setting)
    for setting in chain(settings(value), plain_settings(value) if split else (), as_written):
        if not split and not setting.enclosed:
            continue
        if not _names_setting(setting.name) or not _literal_setting(setting.value):
            continue
        if not setting.enclosed or not _TEMPLATE.search(value, setting.start, setting.end):
            yield setting


def _names_setting(name: str) -> bool:
    """Whether a connection string's setting is named for a secret (``Pwd``, ``Pass Word``); in
    prose, the name is what follows the last mark no name holds (``Use: Pwd``, ``x,Password``)."""
    return _SECRET_WORD.match(name_ending(name).replace(" ", "")) is not None


_PUBLIC_KEY = re.compile(r"^(?:ssh-(?:rsa|dss|ed25519)|ecdsa-sha2-nistp\d+|sk-ssh-ed25519@openssh\.com) AAAA")


def _literal_setting(literal: str) -> bool:
    """Whether a secret-named setting's value is a literal secret: 8 characters or more, and not a
    word, a name, a reference, a placeholder or a documentation example, nor holding a reference's
    part (``Pre${SUFFIX}``). Unlike a named value's, "/", "+" and "=" may be a literal's here: a
    base64 key (SharedAccessKey); and so may "$", braces and angle brackets. An SSH public key is
    none either."""
    literal = literal.strip()
    return len(literal) >= 8 and not (
        literal.isalpha()
        or _is_name(literal)
        or _example_password(literal)
        or _REFERENCE_PART.search(literal)
        or _PUBLIC_KEY.match(literal)  # a public key (an authorized_keys line) is no secret
    )


def _example_password(password: str, username: str | None = None) -> bool:
    """A password that holds nothing: a reference, a placeholder, a documentation example
    (``password``, ``pass``, ``your_password``) or the user's name again (``guest:guest``)."""
    return is_reference(password) or bool(_EXAMPLE_PASSWORD.match(password)) or password == username


def plaintext_credential(
    holder: str, place: str, where: str, secret: FoundSecret, location: dict[str, Any]
) -> Credential:
    """The credential a found secret becomes: held by ``holder``, its uid naming ``place``, its
    display id ``where`` it is; the fingerprint is kept, never the value."""
    return Credential(
        uid=f"{holder}#plaintext_secret:{place}",
        identity_uid=holder,
        kind="plaintext_secret",
        attributes={
            "display_id": f"{secret.detector} in {where} (redacted)",
            "detector": secret.detector,
            "fingerprint": secret.fingerprint,
            "location": location,
        },
    )


def _found(detector: str, value: str, at: int = 0) -> FoundSecret:
    digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()
    return FoundSecret(detector, "sha256:" + digest[:12], at, value)


def _embedded_json_strings(value: str) -> list[tuple[str | None, str]] | None:
    """The strings of a JSON object or list carried in ``value``, each with the key it is the
    value of (None in a list), else None."""
    text = value.strip()
    if not text.startswith(("{", "[")) or len(text) > MAX_EMBEDDED_JSON:
        return None
    from scanner.loading import parse_json

    try:
        document = parse_json(text)
    except ValueError:
        return None
    found: list[tuple[str | None, str]] = []
    pending: list[tuple[str | None, Any]] = [(None, document)]
    while pending:
        name, item = pending.pop()
        if isinstance(item, str):
            found.append((name, item))
        elif isinstance(item, dict):
            pending.extend((str(key), child) for key, child in item.items())
        elif isinstance(item, list):
            pending.extend((None, child) for child in item)
    return found


MAX_HANDED_ON = 3  # a gateway's ?url= of an inspector's ?serverUrl= of the server: deeper is no configuration


def _url_secret(value: str, handed_on: int = MAX_HANDED_ON) -> tuple[str, str] | None:
    """(detector, secret) for a password in a URL's user-info, a secret-named query parameter or a
    credential in its path (see ``_path_secret``), also in a URL its query hands on, up to
    ``handed_on`` URLs deep (a URL nested in itself thousands of times is read that deep only)."""
    if "://" not in value:
        return None
    try:
        parts = urlsplit(value.strip())
    except ValueError:  # a host in brackets that is none (user-info redacted already: https://[REDACTED]@host)
        beyond_host = _PATH_BEYOND_HOST.match(value.strip())
        in_path = _path_secret(beyond_host.group(1), "") if beyond_host else None
        return None if in_path is None else ("url_path_secret", in_path)
    if parts.password and not _example_password(unquote(parts.password), unquote(parts.username or "")):
        return "url_credentials", parts.password
    if parts.username and not parts.password and find_secret(unquote(parts.username)):
        return "url_credentials", parts.username  # https://<token>@host
    # an implicit-grant redirect hands its token on in the fragment (#access_token=…), as a query would
    for name, parameter in [*parse_qsl(parts.query), *parse_qsl(parts.fragment)]:
        secret_named = (
            _SECRET_PARAMETER.match(name)
            or _SECRET_QUERY_NAME.match(name)
            or (_SETTING_QUERY_NAME.match(name) and not _PLAIN_WORD.fullmatch(parameter))
        )
        if secret_named and len(parameter) >= 8 and not is_reference(parameter):
            return "url_query_secret", parameter
        if _encoded_settings_with_a_secret(parameter):  # Smithery's ?config=base64({"apiKey": …})
            return "url_query_secret", parameter
        if handed_on and "://" in parameter:  # a URL handed on (?url=…, an inspector's ?serverUrl=…)
            inner = _url_secret(parameter, handed_on - 1)
            if inner is not None:
                return inner
    in_path = _path_secret(parts.path, parts.hostname or "")
    return None if in_path is None else ("url_path_secret", in_path)


_BASE64_TEXT = re.compile(r"[A-Za-z0-9+/_-]{16,}={0,2}")
MAX_ENCODED_SETTINGS = 65_536  # characters of a query value decoded and read as settings


def _encoded_settings_with_a_secret(value: str) -> bool:
    """Whether a query value is base64 (or base64url) of a JSON object of settings that gives a
    secret-named key a secret, or holds a token of a known shape: hosted MCP gateways pass a
    server's whole configuration so (Smithery's ``?config=``)."""
    value = value.replace(" ", "+")  # a query's "+" reads as a space: base64's "+" written unencoded
    if len(value) > MAX_ENCODED_SETTINGS or not _BASE64_TEXT.fullmatch(value):
        return False
    unpadded = value.rstrip("=").replace("-", "+").replace("_", "/")
    try:
        settings = json.loads(base64.b64decode(unpadded + "=" * (-len(unpadded) % 4), validate=True))
    except (ValueError, RecursionError):  # not base64, not UTF-8, not JSON, or nested past the parser
        return False
    pending: list[tuple[str | None, Any]] = [(None, settings)]
    while pending:
        name, item = pending.pop()
        if isinstance(item, dict):
            pending.extend((str(key), child) for key, child in item.items())
        elif isinstance(item, list):
            pending.extend((name, child) for child in item)
        elif isinstance(item, str) and (
            (name is not None and find_secret_given_to(name, item) is not None)
            or find_secret(item, entropy=False) is not None  # a known token's shape: an id's hex is none
        ):
            return True
    return False


def _path_secret(path: str, host: str) -> str | None:
    """The parts of a URL's path (between ``/``, ``:``, ``;`` and ``,``) that are a credential, as
    written, from the first to the last (Rocket.Chat's ``/hooks/<id>/<token>`` is one secret of two
    parts). A part is one by its shape: 24 characters or more of base64 or a token's alphabet, with
    digits and letters of both cases, above detect-secrets' entropy limit for base64; or after a
    part that names a credential (see ``_given_in_path``). Hosted services put the credential there
    (``https://mcp.zapier.com/api/mcp/s/<secret>/mcp``, a Discord webhook's token, ``/bot<id>:<token>/``
    of Telegram, IFTTT's ``/with/key/<key>``, a Teams webhook's ``/IncomingWebhook/<secret>/``);
    names, words, UUIDs and hex digests (a commit id) are none, and so are a file's name
    (``…/KFOmCnqEu92Fr1Mu4mxK.woff2``), an API object's id (``asst_…``, ``price_…``), an IPFS
    content id, and the paths of the clouds' own APIs and of diagram services (which encode the
    diagram there), where no credential goes."""
    if any(host == known or host.endswith("." + known) for known in _HOSTS_WITHOUT_PATH_SECRETS):
        return None
    first, last = -1, -1
    named = False  # the part before names what follows it as a credential
    at = 0
    for part in _PATH_PARTS.split(path):
        candidate = unquote(part)
        if (named and _given_in_path(candidate)) or _shaped_like_a_credential(candidate) or _known_token(candidate):
            first, last = first if first >= 0 else at, at + len(part)
        named = part.lower() in _PATH_NAMES_OF_SECRETS
        at += len(part) + 1
    return path[first:last] if first >= 0 else None


def _token_written(candidate: str) -> bool:
    """A path part in a token's alphabet that is no file's name, API object's id or content id."""
    return _PATH_TOKEN.fullmatch(candidate) is not None and not _NAMED_PATH_PART.match(candidate)


def _known_token(candidate: str) -> bool:
    """A path part in a token format the detectors know (Firecrawl's ``fc-`` and 32 hex digits,
    which the shape test takes for a digest)."""
    return any(pattern.fullmatch(candidate) for _, pattern in _EXTRA_DETECTORS)


def _shaped_like_a_credential(candidate: str) -> bool:
    if len(candidate) < 24 or not _token_written(candidate):
        return False
    if candidate.lower() == candidate or candidate.upper() == candidate or not any(c.isdigit() for c in candidate):
        return False
    base64 = _entropy_detectors()[0]
    return bool(base64.calculate_shannon_entropy(candidate) > base64.entropy_limit)


def _given_in_path(candidate: str) -> bool:
    """Whether a path part that a credential's name comes before is one: 16 characters or more of a
    token's alphabet with letters, of any case (IFTTT's key, a Teams webhook's hex, a Mattermost
    hook's id are lowercase; a Rocket.Chat id may hold no digit). None: a number, a name or page of
    words (``secret-manager-v2-examples``, ``OAuth2TokenExchange``), a placeholder, and the ids that
    name a key or a commit rather than hold one (a UUID, a commit's or a digest's hex, an address)."""
    return (
        len(candidate) >= 16
        and _token_written(candidate)
        and any(c.isalpha() for c in candidate)
        and not _PLACEHOLDER.search(candidate)
        and not _IDENTIFIER_IN_PATH.match(candidate)
        and not _SEQUENCE.search(candidate)
        and not _words_joined(candidate)
    )


def _words_joined(candidate: str) -> bool:
    """A page's or a setting's name: mostly words (``rotation2024guide``, ``OAuth2TokenExchange``),
    its digits together in a few places; a random key's letters run in short words only, or its
    digits are strewn among them (Mattermost's lowercase ids)."""
    if sum(len(word) for word in _WORDS.findall(candidate)) < 0.6 * len(candidate):
        return False
    alphanumeric = [c.isdigit() for c in candidate if c.isalnum()]
    return sum(a != b for a, b in pairwise(alphanumeric)) <= 3


# the parts a service names the credential after: IFTTT's /with/key/<key>, a token or key given
# in the path, Mattermost's /hooks/<id>, a Teams webhook's /IncomingWebhook/<secret>/<id>
_PATH_NAMES_OF_SECRETS = frozenset(
    {"key", "apikey", "api_key", "api-key", "token", "access_token", "secret", "hooks", "incomingwebhook"}
)
_WORDS = re.compile(r"[A-Z]?[a-z]{3,}")  # a page's name is mostly words; a random key's runs are short
# a UUID (a key's or a hook's id), a commit's SHA-1, a SHA-256 digest, an Ethereum address
_IDENTIFIER_IN_PATH = re.compile(
    rf"^{_UUID_TEXT}$"
    r"|^[0-9a-f]{40}$|^[0-9a-f]{64}$|^0x[0-9a-fA-F]{40}$"
)
_SEQUENCE = re.compile(r"(?i)abcdefgh|01234567")  # a documentation's placeholder: ABCDEFGHIJ…012345
_PATH_PARTS = re.compile(r"[/:;,]")
_PATH_BEYOND_HOST = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*(/[^?#]*)")
# a file's name, an API object's id (asst_…, vs_…, price_…), an IPFS content id (CIDv0)
_NAMED_PATH_PART = re.compile(r"^.*\.[a-z][a-z0-9]{1,4}$|^[a-z]{2,12}_[A-Za-z0-9]+$|^Qm[1-9A-HJ-NP-Za-km-z]{44}$")
_HOSTS_WITHOUT_PATH_SECRETS = (
    "amazonaws.com", "googleapis.com", "azure.com", "azure.net", "windows.net", "microsoft.com",
    "mermaid.ink", "kroki.io", "plantuml.com",
    # documents' and sharing links' ids (a sheet, a form, a drive file, an Apps Script deployment)
    "docs.google.com", "drive.google.com", "script.google.com", "sharepoint.com", "1drv.ms",
    "onedrive.live.com", "notion.so", "notion.site", "hex.tech",
    # block explorers and market pages name a token by its contract's address: /token/0x…, /token/So1…
    "etherscan.io", "bscscan.com", "basescan.org", "polygonscan.com", "arbiscan.io", "oklink.com",
    "coinmarketcap.com", "birdeye.so", "solscan.io", "dexscreener.com",
)  # fmt: skip
_PATH_TOKEN = re.compile(r"[A-Za-z0-9+_~.-]+={0,2}")  # base64 (padded), base64url, and the marks of tokens (sk-…)


def _detector_for(value: str, *, entropy: bool = True) -> str | None:
    for name, pattern in _EXTRA_DETECTORS:
        if pattern.search(value):
            return name
    if len(value) > MAX_DETECTED_LENGTH:  # no token is this long, and some detectors take quadratic time
        return None
    for name, plugin in _detectors():
        found = plugin.analyze_string(value)
        if name == "basic_auth_url":  # the password of ://user:password@: not one of documentation
            found = (password for password in found if not _example_password(password, _user_of(value, password)))
        if any(True for _ in found):
            return name
    if not entropy:
        return None
    token = value.split()[-1] if value.split() else value
    if len(token) >= 20 and not token.startswith(("http://", "https://", "/")) and not _IDENTIFIER.match(token):
        for plugin in _entropy_detectors():
            # analyze_string yields every string of the plugin's alphabet; the limit is the caller's to apply
            found = plugin.analyze_string(f'"{token}"')
            if any(plugin.calculate_shannon_entropy(s) > plugin.entropy_limit for s in found):
                return "high_entropy_string"
    return None


def _user_of(value: str, password: str) -> str | None:
    """The user name before ``password`` in a URL's user-info, when it is the same word
    (``amqp://guest:guest@``): only that case makes a password a documentation example."""
    return password if f"://{password}:{password}@" in value else None
