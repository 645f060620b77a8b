"""What a trust entry's conditions restrict: who may assume a role, and which token subjects a
federated trust accepts.

Sources record conditions either as an IAM ``Condition`` block (operator -> {key: values}) or, in
exports that keep only the keys, as a list of condition keys. Only conditions that narrow *who*
can assume count as restrictions; ``aws:SecureTransport`` or ``aws:MultiFactorAuthPresent`` on a
trust open to everyone still admit everyone.
"""

from __future__ import annotations

import re
from typing import Any

# Keys that name the caller (its account, organisation, ARN) or a secret agreed with it.
CALLER_KEYS = frozenset(
    {
        "sts:externalid",
        "aws:principalaccount",
        "aws:principalarn",
        "aws:principalorgid",
        "aws:principalorgpaths",
        "aws:sourceaccount",
        "aws:sourcearn",
        "aws:sourceorgid",
        "aws:sourceorgpaths",
    }
)
# Keys a service sends about the resource it acts for (confused-deputy protection).
SOURCE_KEYS = frozenset({"aws:sourcearn", "aws:sourceaccount", "aws:sourceorgid", "aws:sourceorgpaths"})
# Subject formats whose identifying segments (1-based, split on ':') must be free of wildcards.
_IDENTIFYING_SEGMENTS = {
    "repo": (1,),  # GitHub Actions: repo:OWNER/NAME:...
    "project_path": (1,),  # GitLab: project_path:GROUP/PROJECT:...
    "system": (2, 3),  # Kubernetes: system:serviceaccount:NAMESPACE:NAME
    "organization": (1, 3, 5),  # Terraform Cloud: organization:O:project:P:workspace:W:...
    "space": (1, 3),  # Spacelift: space:SPACE:stack:STACK:... (or module:MODULE)
}
_BUILDKITE = (1, 3)  # organization:ORG:pipeline:PIPELINE:... (Terraform's name, another layout)
# keys of a GitHub subject template (include_claim_keys: KEY:VALUE:KEY:VALUE…) that name one repository
_REPOSITORY_KEYS = frozenset({"repo", "repository", "repository_id"})
# Bitbucket Pipelines: {REPOSITORY_UUID}[{ENVIRONMENT_UUID}]:{STEP_UUID}
_BITBUCKET = re.compile(r"^\{[0-9a-fA-F-]{36}\}")
# CircleCI: org/ORGANIZATION_ID/project/PROJECT_ID/user/USER_ID
_CIRCLECI = re.compile(r"^org/[^/*?]+/project/[^/*?]+(?:/|$)")


def restricting_keys(conditions: Any, keys: frozenset[str], principal_account: str | None = None) -> list[str]:
    """The condition keys among ``keys`` that restrict to a concrete value: not a negated test
    (``StringNotEquals`` admits every other caller), not an ...IfExists test or a
    ``ForAllValues:`` one that an absent key satisfies, not a Null test, not a value whose
    wildcards leave the caller open (``o-*``, ``arn:aws:iam::*:*``), and not one that admits the
    principal's own account whole (``principal_account``: an account trusted whole, and a condition
    listing that account, or any ARN of it, among its values admits every principal of it still)."""
    found: set[str] = set()
    if isinstance(conditions, list | tuple):
        found = {str(key).lower() for key in conditions if str(key).lower() in keys}
    elif isinstance(conditions, dict):
        for operator, tests in conditions.items():
            if not isinstance(tests, dict) or not narrows(str(operator)):
                continue
            for key, value in tests.items():
                values = value if isinstance(value, list) else [value]
                name = str(key).lower()
                if (
                    name in keys
                    and values
                    and all(_is_value(v) and _names_the_caller(name, str(v)) for v in values)
                    and not any(_restates(name, str(v), principal_account) for v in values)
                ):
                    found.add(name)
    return sorted(found)


def _is_value(value: Any) -> bool:
    """A condition value: text, or a number written without quotes (never null, a list or true)."""
    return isinstance(value, str | int) and not isinstance(value, bool)


_ACCOUNT_KEYS = ("aws:principalaccount", "aws:sourceaccount")
_ARN_KEYS = ("aws:principalarn", "aws:sourcearn")


def _restates(key: str, value: str, principal_account: str | None) -> bool:
    """Whether a caller key's value admits the whole of the principal's own account: the account
    itself, an ARN of it whose resource is only wildcards (``arn:aws:iam::999988887777:*``), or
    its organisation (the account is in one)."""
    if principal_account is None:
        return False
    if key in ("aws:principalorgid", "aws:principalorgpaths"):
        return True  # the trusted account is in one organisation: naming it narrows nothing
    if key in _ACCOUNT_KEYS:
        return value == principal_account
    parts = value.split(":", 5)
    if key in _ARN_KEYS and len(parts) == 6 and parts[0] == "arn":
        return parts[4] == principal_account and not parts[5].strip("*?")
    return False


def condition_accounts(conditions: Any) -> list[str] | None:
    """The accounts a trust's conditions admit callers of (``aws:PrincipalAccount``, and the
    account of each ``aws:PrincipalArn``), by a test that admits only the values it lists; None
    where they admit callers of accounts they do not name (no such condition, an organisation, a
    wildcard in an account)."""
    found: set[str] = set()
    if not isinstance(conditions, dict):
        return None
    for operator, tests in conditions.items():
        if not isinstance(tests, dict) or not narrows(str(operator)):
            continue
        for key, value in tests.items():
            name = str(key).lower()
            for one in value if isinstance(value, list) else [value]:
                text = str(one)
                if name == "aws:principalaccount":
                    found.add(text)
                elif name == "aws:principalarn":
                    parts = text.split(":", 5)
                    found.add(parts[4] if len(parts) == 6 and parts[0] == "arn" else "")
    if not found or not all(a.isdigit() and len(a) == 12 for a in found):
        return None
    return sorted(found)


def narrows(operator: str) -> bool:
    """Whether a condition operator can only admit the values it lists: an equality or a pattern
    test of strings or ARNs, alone or ``ForAnyValue:``, in any letter case; never a negated,
    ``…IfExists``, ``Null``, ``ForAllValues:`` (true when the key is absent), numeric or date test
    (``NumericGreaterThan 0`` admits every account)."""
    qualifier, _, test = operator.lower().rpartition(":")
    return qualifier in ("", "foranyvalue") and test in _NARROWING_TESTS


_NARROWING_TESTS = frozenset(
    {"stringequals", "stringequalsignorecase", "stringlike", "arnequals", "arnlike", "numericequals"}
)


def _names_the_caller(key: str, value: str) -> bool:
    """Whether one value of a caller key names a caller, wildcards and all: an account or an
    organisation in full, an ARN whose account (or, without one, whose resource) is named, an
    external id without wildcards."""
    if key in ("aws:principalaccount", "aws:sourceaccount", "aws:principalorgid", "aws:sourceorgid", "sts:externalid"):
        return _literal(value) and not _wild(value)
    if key in ("aws:principalorgpaths", "aws:sourceorgpaths"):
        organisation = value.split("/", 1)[0]
        return _literal(organisation) and not _wild(organisation)
    parts = value.split(":", 5)  # aws:PrincipalArn, aws:SourceArn
    if len(parts) < 6 or parts[0] != "arn":
        return _literal(value) and not _wild(value)
    account, resource = parts[4], parts[5]
    if account:
        return not _wild(account)
    named = resource.split("/", 1)[0]  # an S3 bucket's ARN names no account: its bucket names it
    return bool(named) and not _wild(named)


def subject_is_specific(subject: Any) -> bool | None:
    """Whether every subject a federated trust accepts names one workload: not absent, not only
    wildcards, and no wildcard in a format's identifying part (``repo:acme/*`` admits every
    repository of the organisation). None where a subject with wildcards is in a format whose
    identifying part nhiscan does not know (a repository may set its own subject template)."""
    values = [part.strip() for part in str(subject).split(",")] if subject else []
    if not values:
        return False
    judged = [_specific(value) for value in values]
    return False if False in judged else None if None in judged else True


def entry_subject_specific(entry: dict[str, Any]) -> bool | None:
    """``subject_is_specific`` of a trust entry's subject; but a subject its conditions compare for
    equality (``StringEquals``) is the very text listed, ``*`` and ``?`` included: only ``…Like``
    tests read them as wildcards, so ``StringEquals`` on ``repo:acme/*`` admits no repository but a
    token whose subject is those characters."""
    if subject_compared_exactly(entry.get("conditions")):
        return True
    return subject_is_specific(entry.get("subject"))


def subject_compared_exactly(conditions: Any) -> bool:
    """Whether an IAM condition block tests the token's subject (``…:sub``) for equality with
    values that are all written out. The block's tests must all hold, so one such test restricts
    the subject to its values whatever a ``StringLike`` beside it admits."""
    if not isinstance(conditions, dict):
        return False
    for operator, tests in conditions.items():
        if not isinstance(tests, dict) or not narrows(str(operator)):
            continue
        if str(operator).lower().rpartition(":")[2] not in _EQUALITY_TESTS:
            continue
        for key, values in tests.items():
            listed = values if isinstance(values, list) else [values]
            if str(key).lower().endswith(_SUBJECT_KEYS) and listed and all(_written_out(v) for v in listed):
                return True
    return False


_EQUALITY_TESTS = frozenset({"stringequals", "stringequalsignorecase"})
_SUBJECT_KEYS = (":sub", ":subject")


def _written_out(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def subject_gap(entry: dict[str, Any]) -> str | None:
    """Why whether a trust entry's subject names one workload was not judged, or None."""
    if "claims_matching" in entry or entry_subject_specific(entry) is not None:
        return None
    return (
        f"what subject {entry.get('subject')!r} of {entry.get('principal')} admits (a wildcard in a format "
        "whose identifying part nhiscan does not know)"
    )


def _specific(value: str) -> bool | None:
    if not _literal(value):
        return False
    if _BITBUCKET.match(value) or _CIRCLECI.match(value):
        return True  # the repository's UUID, the project's id, written out
    segments = value.split(":")
    if _wild(segments[0]):  # repo*: the format itself is left open, and every subject with it
        return False
    identifying = _IDENTIFYING_SEGMENTS.get(segments[0])
    if segments[0] == "organization" and len(segments) > 2 and segments[2] == "pipeline":
        identifying = _BUILDKITE
    if identifying is None:
        named = [i + 1 for i in range(0, len(segments) - 1, 2) if segments[i] in _REPOSITORY_KEYS]
        if named:  # a subject template: KEY:VALUE pairs, one of them the repository
            identifying = tuple(named)
        elif not _wild(value):
            return True  # a subject as written: one
        else:
            return None  # a wildcard where the identifying part is not known
    for index in identifying:
        if index >= len(segments) or not _literal(segments[index]) or any(c in segments[index] for c in "*?"):
            return False
    return True


def _literal(value: str) -> bool:
    return bool(value.replace("*", "").replace("?", "").strip(" :/"))


def _wild(value: str) -> bool:
    return "*" in value or "?" in value
