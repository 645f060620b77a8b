"""A value kept under a key that names a secret (a tag ``password``, an attribute ``client_secret``,
an environment entry ``DB_PASSWORD``) is a secret whatever it looks like, and never leaves the source."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from scanner.model import Identity, Inventory, SourceStatus
from scanner.redact import REDACTED, redact_inventory, redact_value


def test_a_string_under_a_secret_named_key_is_redacted_at_any_depth() -> None:
    value = {
        "password": "hunter2hunter2",
        "config": {"client_secret": "abcdefgh12345678", "env": {"DB_PASSWORD": "x"}},
        "keys": [{"Api-Key": "plain-looking"}],
    }
    assert redact_value(value) == {
        "password": REDACTED,
        "config": {"client_secret": REDACTED, "env": {"DB_PASSWORD": REDACTED}},
        "keys": [{"Api-Key": REDACTED}],
    }


def test_references_other_types_and_keys_that_only_mention_a_secret_word_stay() -> None:
    value = {
        "token": "${env:GITHUB_TOKEN}",
        "password": "",
        "api_key": 5,
        "has_password": True,
        "auth_type": "oauth",
        "password_last_used": "2026-01-01",
        "credentials": ["uid-1"],
    }
    assert redact_value(dict(value)) == value


def test_an_inventory_records_tags_and_attributes_lose_secret_named_values() -> None:
    identity = Identity(
        uid="u1",
        provider="aws",
        account="1",
        kind="user",
        name="deploy",
        tags={"password": "hunter2hunter2", "team": "platform"},
        attributes={"nested": {"client_secret": "abcdefgh12345678"}},
    )
    inventory = Inventory(
        collected_at=datetime(2026, 1, 1, tzinfo=UTC), identities=[identity], sources=[SourceStatus("x", "1")]
    )
    redact_inventory(inventory)
    assert identity.tags == {"password": REDACTED, "team": "platform"}
    assert identity.attributes == {"nested": {"client_secret": REDACTED}}


def test_a_function_key_in_a_urls_query_is_redacted() -> None:
    """?code= is how Azure Functions take their key; the secret detectors find it there, and the
    credential named after the URL carried it into every report before."""
    from scanner.redact import redact_text

    url = "https://tickets.azurewebsites.net/runtime/webhooks/mcp/sse?code=Zk3uP9xQw2Lm7Tb1Vc5Nd8Rf"
    redacted = redact_text(f"url_query_secret in tickets url {url} (redacted)")
    assert "Zk3uP9xQw2Lm7Tb1Vc5Nd8Rf" not in redacted and "?code=" in redacted


def test_an_entry_whose_name_names_a_secret_loses_its_value() -> None:
    """Kubernetes, ECS and Cloud Run environments, Azure app settings and CloudFormation parameters
    are lists of name and value pairs: the name says what the value is, as a key would."""
    value = {
        "env": [
            {"name": "DB_PASSWORD", "value": "Xk9mQ2pL7v"},
            {"name": "DB_PASSWORD", "value": "${DB_PASSWORD}"},
            {"name": "DB_HOST", "value": "db.internal"},
        ],
        "appSettings": [{"name": "Storage__AccountKey", "value": "Zx9Qw2Er5Ty8"}],
        "Parameters": [{"ParameterKey": "AdminPassword", "ParameterValue": "Hunt3rTw0"}],
        "Tags": [{"Key": "ApiKey", "Value": "k9Xm2"}, {"Key": "team", "Value": "platform"}],
    }
    assert redact_value(value) == {
        "env": [
            {"name": "DB_PASSWORD", "value": REDACTED},
            {"name": "DB_PASSWORD", "value": "${DB_PASSWORD}"},
            {"name": "DB_HOST", "value": "db.internal"},
        ],
        "appSettings": [{"name": "Storage__AccountKey", "value": REDACTED}],
        "Parameters": [{"ParameterKey": "AdminPassword", "ParameterValue": REDACTED}],
        "Tags": [{"Key": "ApiKey", "Value": REDACTED}, {"Key": "team", "Value": "platform"}],
    }


@pytest.mark.parametrize(
    ("value", "reference"),
    [
        ("$DB_PASSWORD", True),
        ("$env:DB_PASSWORD", True),
        ("$Secrets.DbPassword", True),
        ("${DB_PASSWORD", True),
        ("%DB_PASSWORD%", True),
        ("${{ secrets.DB_PASSWORD }}", True),
        ("{{resolve:secretsmanager:Db:SecretString:password}}", True),
        ("{{ 'S3cr3tP@ssw0rd!' }}", False),  # a template that holds the literal
        ("{{ lookup('env','DB_PW') | default('ChangeMe123!', true) }}", False),
        ("${{ secrets.X || 'fallbackK3y9mQ2p' }}", False),
        ("$Xk9mQ2pL7v", False),  # "$" before what reads as a generated password
        ("$ecret.Xk9mQ2pL7v", False),
        ("%Xk9mQ2pL7v", False),
        ("%Xk9mQ2pL7v%", False),
    ],
)
def test_under_a_secret_named_key_only_a_reference_stays(value: str, reference: bool) -> None:
    assert redact_value({"password": value}) == {"password": value if reference else REDACTED}


def test_an_arm_parameter_files_secret_value_is_redacted() -> None:
    """ARM parameter files give each parameter as {"value": X} under its name."""
    parameters = {"adminPassword": {"value": "Hunt3rTw0!x"}, "location": {"value": "westeurope"}}
    assert redact_value(parameters) == {"adminPassword": {"value": REDACTED}, "location": {"value": "westeurope"}}


def test_an_arm_expression_or_an_address_under_a_secret_name_says_where_the_secret_is_and_stays() -> None:
    parameters = {
        "storageAccountKey": {"value": "[listKeys(resourceId('x', 'y')).keys[0].value]"},
        "keyVaultSecret": {"value": "https://kv-prod.vault.azure.net/secrets/db-password"},
    }
    assert redact_value(dict(parameters)) == parameters


def test_a_value_the_detector_reports_under_its_key_s_name_is_redacted_whatever_the_name() -> None:
    """The detector reads more names as a secret's (SMTP_PASS, PASSWORD_2, HMAC_KEY, an entry named
    so) than redaction's own words; a value it reports was kept in the outputs."""
    value = "Xk9mQ2pL7vZ"
    settings = {"SMTP_PASS": value, "PASSWORD_2": value, "HMAC_KEY": value,
                "tags": [{"Key": "SMTP_PASS", "Value": value}, {"Key": "team", "Value": "core"}],
                "Key": "Name", "partitionKey": value, "GPG_PASSPHRASE": "${GPG_PASSPHRASE}"}  # fmt: skip
    assert redact_value(settings) == {
        "SMTP_PASS": REDACTED,
        "PASSWORD_2": REDACTED,
        "HMAC_KEY": REDACTED,
        "tags": [{"Key": "SMTP_PASS", "Value": REDACTED}, {"Key": "team", "Value": "core"}],
        "Key": "Name",
        "partitionKey": value,  # named for what it finds
        "GPG_PASSPHRASE": "${GPG_PASSPHRASE}",  # a reference
    }


def test_a_value_an_entry_marks_secret_is_redacted_as_the_detector_reports_it() -> None:
    """An MCP registry variable marked ``isSecret`` names its ``default`` a secret, whatever its name."""
    entry = {"name": "X", "isSecret": True, "default": "Xk9mQ2pL7vZ"}
    assert redact_value({"environmentVariables": [entry]}) == {
        "environmentVariables": [{"name": "X", "isSecret": True, "default": REDACTED}]
    }
