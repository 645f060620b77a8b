"""The one redaction step at the model boundary: secrets never leave the source.

Every source hands its records to the model through ``sources.collect``, which passes them through
``redact_inventory`` before anything is evaluated, stored, printed or rendered. Each string in a
record (names, uids, URLs, commands, attributes, source error messages) loses the secret values it
carries: URL user-info, secret-named query parameters, ``NAME=VALUE`` / ``--flag VALUE`` pairs
whose name says secret, ``Authorization`` schemes, JSON carried in a string, connection strings and
well-known token formats. The structure around a value stays, so a reader still sees where it was.
Error messages echoed to the terminal pass through ``redact_text`` too.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from scanner.model import Inventory

REDACTED = "[REDACTED]"

_SECRET_NAME = (
    r"(?:[\w.\-]*?(?:password|passwd|pwd|secret|token|api[_\-]?key|apikey|access[_\-]?key|private[_\-]?key"
    r"|accountkey|sharedaccesskey|sharedaccesssignature|client[_\-]?secret|credentials?|auth|sig|signature"
    r"|session[_\-]?key))"
)
# A value that names a secret instead of holding it (${VAR}, $VAR, <your-token>, {name}) stays.
_REFERENCE = re.compile(r"^(?:\$\{?[\w:.\-]+\}?|<[^>]*>|\{[\w.\-]+\}|%[\w]+%?|\[REDACTED\])$")

# Whole secrets in a known format, wherever they appear.
_TOKENS = re.compile(
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----(?:.|\n)*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)"
    r"|\bsk-ant-[A-Za-z0-9_\-]{20,}"
    r"|\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{32,}"
    r"|\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{30,}|\bgithub_pat_[A-Za-z0-9_]{40,}"
    r"|\bglpat-[A-Za-z0-9_\-]{20,}"
    r"|\bxox[abposr]-[A-Za-z0-9\-]{10,}"
    r"|\bAIza[0-9A-Za-z_\-]{35}"
    r"|\b[rs]k_(?:live|test)_[A-Za-z0-9]{16,}"
    r"|\bnpm_[A-Za-z0-9]{36}"
    r"|\bpypi-AgE[A-Za-z0-9_\-]{50,}"
    r"|\bhf_[A-Za-z0-9]{30,}"
    r"|\beyJ[A-Za-z0-9_\-]{10,}\.eyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{10,}"
)
# scheme://user:password@host -> scheme://[REDACTED]@host
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)([^\s/@?#\"']+)@")
# ?api_key=VALUE&sig=VALUE ; connection strings (Password=VALUE;) ; --token=VALUE ; TOKEN=VALUE
_ASSIGNMENT = re.compile(rf"(?i)((?<![\w\-])-{{0,2}}{_SECRET_NAME}\s*=\s*)([^\s&;,#\"'<>]+)")
# --token VALUE
_FLAG_VALUE = re.compile(rf"(?i)((?<![\w\-])--?{_SECRET_NAME}\s+)([^\s\-][^\s;&,\"']*)")
# "token": "VALUE" (JSON carried inside a string)
_JSON_MEMBER = re.compile(rf"(?i)(\"{_SECRET_NAME}\"\s*:\s*\")([^\"]+)(\")")
# Authorization: Bearer VALUE / Basic VALUE
_SCHEME = re.compile(r"(?i)\b((?:bearer|basic)\s+)([A-Za-z0-9._~+/=\-]{8,})")
# Cheap first test: most strings (ids, names, kinds) contain none of these.
_MAYBE = re.compile(
    r'://|=|"|--|sk-|AIza|eyJ|xox|_pat_|glpat|hf_|npm_|pypi-|_live_|_test_|gh[oprsu]_|-----|earer|EARER|asic|ASIC'
)


def _keep_references(match: re.Match[str]) -> str:
    value = match.group(2)
    if _REFERENCE.match(value):
        return match.group(0)
    return match.group(1) + REDACTED + (match.group(3) if match.lastindex and match.lastindex >= 3 else "")


def redact_text(text: str) -> str:
    """``text`` without the secret values it carries."""
    if len(text) < 8 or not _MAYBE.search(text):
        return text
    text = _TOKENS.sub(REDACTED, text)
    text = _USERINFO.sub(lambda m: m.group(1) + REDACTED + "@", text)
    for pattern in (_JSON_MEMBER, _ASSIGNMENT, _FLAG_VALUE, _SCHEME):
        text = pattern.sub(_keep_references, text)
    return text


def redact_value(value: Any) -> Any:
    """``value`` (a string, list, dict or record) with every string in it redacted; lists, dicts
    and records are changed in place."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, str | list | dict) or hasattr(item, "__dataclass_fields__"):
                value[index] = redact_value(item)
    elif isinstance(value, dict):
        if not value:
            return value
        renamed = [key for key in value if isinstance(key, str) and redact_text(key) != key]
        for key in renamed:
            value[redact_text(key)] = value.pop(key)
        for key, item in value.items():
            if isinstance(item, str | list | dict) or hasattr(item, "__dataclass_fields__"):
                value[key] = redact_value(item)
    elif hasattr(value, "__dataclass_fields__") and not isinstance(value, type):
        _redact_record(value)
    return value


def _redact_record(record: Any) -> None:
    for name in _field_names(type(record)):
        current = getattr(record, name)
        if type(current) is str:
            if len(current) >= 8:
                redacted = redact_text(current)
                if redacted is not current:
                    object.__setattr__(record, name, redacted)
        elif current:  # a non-empty list, dict or nested record
            redact_value(current)


# Names of permissions, resources, derived tags and uncollected fields: never values, and the bulk
# of a cloud estate's strings (a policy lists hundreds of actions), so they are not walked
_NOT_VALUES = frozenset({"actions", "resources", "capabilities", "unknown", "created", "expires", "last_used"})


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(record_type: type) -> tuple[str, ...]:
    names = _FIELD_NAMES.get(record_type)
    if names is None:
        names = tuple(f.name for f in dataclasses.fields(record_type) if f.name not in _NOT_VALUES)
        _FIELD_NAMES[record_type] = names
    return names


def redact_inventory(inventory: Inventory) -> Inventory:
    """The inventory with every record's strings redacted (in place; returned for chaining)."""
    for name in ("accounts", "identities", "credentials", "grants", "agents", "log_sources", "sources"):
        for record in getattr(inventory, name):
            _redact_record(record)
    return inventory
