"""Which trust conditions restrict who may assume a role, and which federated subjects name one workload."""

from __future__ import annotations

import pytest

from scanner.engine.trust import CALLER_KEYS, SOURCE_KEYS, restricting_keys, subject_is_specific


@pytest.mark.parametrize(
    ("conditions", "expected"),
    [
        ({"StringEquals": {"sts:ExternalId": "a7f3"}}, ["sts:externalid"]),
        ({"StringEquals": {"aws:PrincipalOrgID": "o-abc"}}, ["aws:principalorgid"]),
        ({"Bool": {"aws:SecureTransport": "true"}}, []),
        ({"Bool": {"aws:MultiFactorAuthPresent": "true"}}, []),
        ({"StringLike": {"aws:PrincipalOrgID": "*"}}, []),  # a wildcard restricts nothing
        ({"StringEqualsIfExists": {"aws:SourceAccount": "1"}}, []),  # met when the key is absent
        ({"Null": {"aws:SourceArn": "false"}}, []),
        (["sts:ExternalId"], ["sts:externalid"]),  # exports that keep only the keys
        (None, []),
    ],
)
def test_only_conditions_naming_the_caller_count(conditions: object, expected: list[str]) -> None:
    assert restricting_keys(conditions, CALLER_KEYS) == expected


def test_source_conditions_are_the_confused_deputy_keys() -> None:
    conditions = {
        "StringEquals": {"aws:SourceAccount": "1"},
        "ArnLike": {"aws:SourceArn": "arn:aws:bedrock:*:1:agent/*"},
    }
    assert restricting_keys(conditions, SOURCE_KEYS) == ["aws:sourceaccount", "aws:sourcearn"]


@pytest.mark.parametrize(
    ("subject", "specific"),
    [
        ("repo:acme/deploy:ref:refs/heads/main", True),
        ("repo:acme/deploy:*", True),  # one repository, any ref
        ("repo:acme/*", False),  # every repository of the organisation
        ("repo:*:*", False),
        ("*", False),
        ("", False),
        (None, False),
        ("repo:acme/deploy:environment:prod, repo:acme/*", False),  # one broad value admits all
        ("system:serviceaccount:ci:deployer", True),
        ("system:serviceaccount:*:*", False),
        ("project_path:acme/infra:ref_type:branch:ref:main", True),
        ("attribute.repository/acme/deploy", True),
    ],
)
def test_a_federated_subject_must_name_one_workload(subject: str | None, specific: bool) -> None:
    assert subject_is_specific(subject) is specific
