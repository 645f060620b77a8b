"""A workload identity provider's attribute condition names who may sign in, or admits every token
of its issuer however it is written (NHI-PRIV-014)."""

from __future__ import annotations

import time

import pytest

from scanner.engine.federation_conditions import condition_names_someone


@pytest.mark.parametrize(
    "condition",
    [
        "assertion.repository == 'acme/deploy'",
        "assertion.repository_owner=='acme'",
        "'acme' == assertion.repository_owner",
        'assertion.repository_owner == "acme"',
        "assertion.repository in ['acme/app', 'acme/infra']",
        "assertion.sub.startsWith('repo:acme/')",
        "attribute.repository == 'acme/app' && assertion.ref == 'refs/heads/main'",
        # every alternative names someone
        "assertion.repository == 'acme/app' || assertion.repository == 'acme/infra'",
        "(assertion.repository_owner == 'acme') && (assertion.ref == 'refs/heads/main' || assertion.ref_type == 'tag')",
        "assertion['repository'] == 'acme/app'",
        "assertion.sub.matches('^repo:acme/app:ref:refs/heads/(main|release)$')",
        "google.subject == 'repo:acme/app:environment:prod'",
        "assertion.repository == 'acme/o\\'brien'",
        # claims named with dots and slashes (CircleCI's), and a pattern naming the organisation
        "assertion['oidc.circleci.com/project-id'] == '2b7e5c1a-0d4f-4c8e-9a3b-6f1e2d7c8b90'",
        "assertion.sub.matches('^repo:acme/[a-z-]+:ref:refs/heads/main$')",
        "assertion.sub.startsWith('system:serviceaccount:payments:')",
        "assertion.terraform_organization_name == 'acme' && assertion.terraform_workspace_name == 'prod'",
    ],
)
def test_a_condition_comparing_an_attribute_with_a_value_it_must_equal_names_someone(condition: str) -> None:
    assert condition_names_someone(condition)


@pytest.mark.parametrize(
    "condition",
    [
        "true",
        "assertion.sub != ''",
        "google.subject == ''",
        "assertion.repository != 'evil/x'",
        "assertion.repository == 'acme/app' || true",
        "true || assertion.repository == 'acme/app'",
        "assertion.aud >= 'x'",
        # the reviewer's: each admits every repository of the issuer
        "assertion.repository == 'acme/deploy' || assertion.sub != ''",
        "!(assertion.repository == 'evil/x')",
        "assertion.repository.matches('.*')",
        "assertion.iss == 'https://token.actions.githubusercontent.com'",
        # a branch or an environment is named by every repository that has one
        "assertion.ref == 'refs/heads/main'",
        "assertion.environment == 'prod' && assertion.ref_type == 'branch'",
        "assertion.sub.startsWith('repo:')",
        "assertion.sub.matches('repo:acme/.*')",
        "assertion.sub.matches('^repo:acme/app|.*')",
        "assertion.repository in ['acme/app', '']",
        "(assertion.repository == 'acme/app'",
        "assertion.repository == 'acme/app' ? true : true",
        "(" * 40 + "assertion.repository == 'acme/app'" + ")" * 40,
        # from the review of this reader: a raw string ends at its second quote, so || true is real
        "assertion.repository == 'acme/app' && r'\\' != '' || true || '\\'' == 'x'",
        "true // && assertion.repository == 'acme/app'",
        "assertion.repository == 'acme/app' && true ? true : true",
        "assertion.sub.matches('^\\\\w+')",
        "assertion.sub.matches('^.{1,}')",
        "assertion.sub.matches('^(.)+')",
        "assertion.sub.matches('^[^x]')",
        "assertion.sub.matches('^repo:.')",
        "assertion.repository_visibility == 'private'",
        "assertion.terraform_run_phase == 'apply'",
        "assertion.runner_id == '42'",
        "attribute.branch == 'main'",
        "assertion.sub.startsWith('repo:acme')",
        "assertion.repository.startsWith('acme')",
        "assertion.sub.startsWith('system:serviceaccount:')",
    ],
)
def test_a_condition_that_only_excludes_or_is_always_true_names_no_one(condition: str) -> None:
    assert not condition_names_someone(condition)


def test_a_huge_condition_is_judged_in_bounded_time() -> None:
    started = time.perf_counter()
    assert not condition_names_someone("'" + "a" * 2_000_000 + " == " * 100_000)
    assert time.perf_counter() - started < 2
