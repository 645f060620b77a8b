"""Which federated subjects name one workload (NHI-PRIV-005): a wildcard is allowed outside the
part of a format that names the workload, never inside it; a wildcard in a format nhiscan does not
know is not judged (a repository may set its own subject template), and the finding says why.

Formats, as their providers document them: GitHub Actions (repo:OWNER/NAME:…, and subject
templates of KEY:VALUE pairs), GitLab (project_path:GROUP/PROJECT:…), Kubernetes
(system:serviceaccount:NS:NAME), Terraform Cloud (organization:O:project:P:workspace:W:…),
Buildkite (organization:ORG:pipeline:PIPELINE:…), Spacelift (space:SPACE:stack:STACK:…),
Bitbucket Pipelines ({REPOSITORY_UUID}[{ENVIRONMENT_UUID}]:{STEP_UUID}) and CircleCI
(org/ORG/project/PROJECT/user/USER)."""

from __future__ import annotations

import pytest

from scanner.engine.trust import subject_is_specific
from scanner.scan import ScanOptions, run_scan
from scanner.sources.aws.policy import trust_entries

from .conftest import make_inventory

BITBUCKET_REPOSITORY = "{7ac8a4b2-9f3e-4c1d-8b6a-2e5f0d9c3a71}"


@pytest.mark.parametrize(
    ("subject", "specific"),
    [
        ("repo:acme/app:environment:prod", True),
        ("repo:acme/app:*", True),
        ("repo:acme/*", False),
        ("repo*", False),
        ("*", False),
        ("project_path:acme/app:ref_type:branch:ref:main", True),
        ("system:serviceaccount:payments:api", True),
        ("system:serviceaccount:payments:*", False),
        ("organization:acme:project:core:workspace:prod:run_phase:*", True),
        ("organization:acme:project:*:workspace:*:run_phase:*", False),
        ("organization:acme:pipeline:deploy:ref:refs/heads/main", True),
        ("organization:acme:pipeline:*:ref:refs/heads/main", False),
        ("space:legacy:stack:prod:*", True),
        ("space:legacy:stack:*:*", False),
        (f"{BITBUCKET_REPOSITORY}:*", True),
        (f"{BITBUCKET_REPOSITORY}*:*", True),  # any deployment environment of the one repository
        ("org/8f1c/project/2b7e/user/*", True),
        ("org/8f1c/project/*/user/*", False),
        ("repository_owner_id:123:repository_id:456:*", True),
        ("repository_owner_id:123:repository_id:*:*", False),
        ("job_workflow_ref:*", None),
        ("repository_owner:acme:*", None),
        ("REPO:acme/*", None),
        ("sc://acme/core/prod-connection", True),  # Azure DevOps' service connection, as written
        ("1234567890", True),
        (None, False),
    ],
)
def test_a_subject_names_one_workload_by_its_format(subject: str | None, specific: bool | None) -> None:
    assert subject_is_specific(subject) is specific


def test_a_subject_nhiscan_cannot_judge_is_unknown_and_says_why(catalogs) -> None:
    trust = {"principal": "token.actions.githubusercontent.com", "principal_type": "federated",
             "provider": "github", "subject": "job_workflow_ref:*"}  # fmt: skip
    inventory = make_inventory({"identities": [{"uid": "r1", "kind": "role", "attributes": {"trust": [trust]}}]})
    (finding,) = [f for f in run_scan(inventory, catalogs, ScanOptions()).findings if f.control_id == "NHI-PRIV-005"]
    assert finding.status == "unknown"
    assert "what subject 'job_workflow_ref:*' of token.actions.githubusercontent.com admits" in finding.message


GITHUB_SUB = "token.actions.githubusercontent.com:sub"


@pytest.mark.parametrize(
    ("conditions", "status"),
    [
        ({"StringLike": {GITHUB_SUB: "repo:acme/*"}}, "fail"),
        # StringEquals compares the text as written: only a token whose subject is "repo:acme/*"
        ({"StringEquals": {GITHUB_SUB: "repo:acme/*"}}, "pass"),
        ({"stringequalsignorecase": {GITHUB_SUB: ["repo:acme/*"]}}, "pass"),
        ({"ForAnyValue:StringEquals": {GITHUB_SUB: ["repo:acme/*", "repo:acme/app:*"]}}, "pass"),
        # every test of a block must hold: the equality restricts what the pattern beside it admits
        (
            {
                "StringLike": {GITHUB_SUB: "repo:acme/*"},
                "StringEquals": {GITHUB_SUB: "repo:acme/app:ref:refs/heads/main"},
            },
            "pass",
        ),
        # an absent subject satisfies ...IfExists, and StringNotEquals admits every other subject
        ({"StringEqualsIfExists": {GITHUB_SUB: "repo:acme/app:*"}}, "fail"),
        ({"StringNotEquals": {GITHUB_SUB: "repo:acme/app:*"}}, "fail"),
        ({"StringEquals": {GITHUB_SUB: ""}, "StringLike": {GITHUB_SUB: "repo:acme/*"}}, "fail"),
    ],
)
def test_an_aws_subject_compared_for_equality_is_the_text_as_written(catalogs, conditions, status) -> None:
    provider = "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"
    statement = {"Effect": "Allow", "Principal": {"Federated": provider},
                 "Action": "sts:AssumeRoleWithWebIdentity", "Condition": conditions}  # fmt: skip
    trust = trust_entries({"Statement": [statement]}, "111122223333")
    inventory = make_inventory({"identities": [{"uid": "r1", "kind": "role", "attributes": {"trust": trust}}]})
    findings = run_scan(inventory, catalogs, ScanOptions(keep_passed=True)).findings
    (finding,) = [f for f in findings if f.control_id == "NHI-PRIV-005"]
    assert finding.status == status
