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
    ],
)
def test_a_condition_that_only_excludes_or_is_always_true_names_no_one(condition: str) -> None:
    assert not condition_names_someone(condition)


def test_a_huge_condition_is_judged_in_bounded_time() -> None:
    started = time.perf_counter()
    assert not condition_names_someone("'" + "a" * 2_000_000 + " == " * 100_000)
    assert time.perf_counter() - started < 2
