"""What a trust entry's conditions restrict: who may assume a role, and which token subjects a
federated trust accepts.

Sources record conditions either as an IAM ``Condition`` block (operator -> {key: values}) or, in
exports that keep only the keys, as a list of condition keys. Only conditions that narrow *who*
can assume count as restrictions; ``aws:SecureTransport`` or ``aws:MultiFactorAuthPresent`` on a
trust open to everyone still admit everyone.
"""

from __future__ import annotations

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
}


def restricting_keys(conditions: Any, keys: frozenset[str]) -> list[str]:
    """The condition keys among ``keys`` that restrict to a concrete value (not only wildcards,
    not an ...IfExists test that an absent key satisfies, not a Null test)."""
    found: set[str] = set()
    if isinstance(conditions, list | tuple):
        found = {str(key).lower() for key in conditions if str(key).lower() in keys}
    elif isinstance(conditions, dict):
        for operator, tests in conditions.items():
            name = str(operator)
            if not isinstance(tests, dict) or name.endswith("IfExists") or name == "Null":
                continue
            for key, value in tests.items():
                values = value if isinstance(value, list) else [value]
                if str(key).lower() in keys and any(_literal(str(v)) for v in values):
                    found.add(str(key).lower())
    return sorted(found)


def subject_is_specific(subject: Any) -> bool:
    """Whether every subject a federated trust accepts names one workload: not absent, not only
    wildcards, and no wildcard in a format's identifying part (``repo:acme/*`` admits every
    repository of the organisation)."""
    values = [part.strip() for part in str(subject).split(",")] if subject else []
    return bool(values) and all(_specific(value) for value in values)


def _specific(value: str) -> bool:
    if not _literal(value):
        return False
    segments = value.split(":")
    for index in _IDENTIFYING_SEGMENTS.get(segments[0], ()):
        if index >= len(segments) or not _literal(segments[index]) or any(c in segments[index] for c in "*?"):
            return False
    return True


def _literal(value: str) -> bool:
    return bool(value.replace("*", "").replace("?", "").strip(" :/"))
