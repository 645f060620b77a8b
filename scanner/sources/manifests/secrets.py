"""Literal credentials in configuration values, found with detect-secrets' detectors.

A value that refers to a secret instead of holding it (``${input:token}``, ``${env:TOKEN}``,
``$TOKEN``, ``=Env.TOKEN``, ``{token}``) is the safe pattern; placeholders from documentation
(``<YOUR_TOKEN>``, ``YOUR_GITHUB_PAT``) hold nothing. Only a fingerprint (a hash prefix) of a
found secret is kept, never the value.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

_REFERENCE = re.compile(r"^\s*(?:Bearer\s+|token\s+)?(?:\$\{[^}]+\}|\$[A-Za-z_][A-Za-z0-9_]*|=Env\.\w+|\{\w+\})\s*$")
_PLACEHOLDER = re.compile(
    r"(?i)^\s*(?:bearer\s+)?(?:<[^>]*>|your[_-][\w-]*|[\w-]*[_-]here|x{4,}|\*{4,}|changeme|example[\w-]*|dummy|test|none|null|)\s*$"
)
# Token formats detect-secrets 1.5 has no detector for
_EXTRA_DETECTORS = (
    ("anthropic_api_key", re.compile(r"sk-ant-(?:api|admin)\d{2}-[A-Za-z0-9_-]{40,}")),
    ("google_api_key", re.compile(r"AIza[0-9A-Za-z_-]{35}")),
    ("openai_api_key", re.compile(r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{32,}")),
)
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=(.*)$", re.S)
_IDENTIFIER = re.compile(r"^[A-Z][A-Z0-9_]*$|^[a-z][a-z0-9_.-]*$")  # an environment variable or package name
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


def is_reference(value: str) -> bool:
    """A reference to a secret, or a placeholder; ``NAME=<reference>`` (a docker -e argument) too."""
    assignment = _ASSIGNMENT.match(value)
    if assignment:
        value = assignment.group(1)
    return bool(_REFERENCE.match(value)) or bool(_PLACEHOLDER.match(value))


def find_secret(value: Any) -> FoundSecret | None:
    """The kind of literal credential ``value`` holds, if any."""
    if not isinstance(value, str) or is_reference(value):
        return None
    assignment = _ASSIGNMENT.match(value)  # NAME=VALUE (a docker -e argument): judge the value
    if assignment:
        value = assignment.group(1)
    if len(value) < 8:
        return None
    detector = _detector_for(value)
    if detector is None:
        return None
    return FoundSecret(detector, "sha256:" + hashlib.sha256(value.encode("utf-8")).hexdigest()[:12])


def _detector_for(value: str) -> str | None:
    for name, pattern in _EXTRA_DETECTORS:
        if pattern.search(value):
            return name
    for name, plugin in _detectors():
        if any(True for _ in plugin.analyze_string(value)):
            return name
    token = value.split()[-1] if value.split() else value
    if len(token) >= 20 and not token.startswith(("http://", "https://", "/")) and not _IDENTIFIER.match(token):
        for plugin in _entropy_detectors():
            if any(True for _ in plugin.analyze_string(f'"{token}"')):
                return "high_entropy_string"
    return None
