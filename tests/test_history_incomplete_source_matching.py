"""A failure the newer scan no longer lists, in a source it did not read completely, is no longer
assessed, and names that source: the first (by name, then account) of the incomplete sources that
could hold its resource. A source could hold it when it is of the resource's account or of an
account above it; a source of no account either scan knows could hold any resource of its
provider, and a file source any resource at all. A diff finds that source by lookups, not by
trying every incomplete source for every failure; the answers are the rule's, source by source."""

from __future__ import annotations

from itertools import combinations

import pytest

from scanner.diff import Side, SourceRead, judged_since
from scanner.model import Finding, ResourceRef
from scanner.source_gaps import holds

PARENTS: dict[str, str | None] = {
    "o-org": None,  # an AWS organisation
    "111111111111": "o-org",
    "222222222222": "o-org",
    "tenant-a": None,  # an Azure tenant and its subscription
    "sub-a": "tenant-a",
    "project-g": None,
}
SOURCES = [
    SourceRead("aws", "111111111111", "partial"),  # an account
    SourceRead("azure", "tenant-a", "failed"),  # the account above a subscription
    SourceRead("aws", "listing", "partial"),  # no account the scans know: any AWS resource
    SourceRead("gcp", "export-set", "not read"),  # no account the scans know: any GCP resource
    SourceRead("file", "exports", "partial"),  # a file source: any resource at all
    SourceRead("manifests", "repo-x", "partial"),  # no account the scans know: any manifest record
    SourceRead("aws", "o-org", "partial"),  # the organisation itself, above both accounts
]
RESOURCES = {  # name: (provider, account)
    "key in 111111111111": ("aws", "111111111111"),
    "key in 222222222222": ("aws", "222222222222"),
    "secret in sub-a": ("azure", "sub-a"),
    "secret in tenant-a": ("azure", "tenant-a"),
    "key in project-g": ("gcp", "project-g"),
    "agent in repo-x": ("manifest", "repo-x"),
    "agent in another repo": ("manifest", "repo-y"),
    "key in an account no scan knows": ("aws", "333333333333"),
    "record of no account": ("azure", ""),
}
# the first (by name, then account) of all the SOURCES that could hold each resource
EXPECTED = {
    "key in 111111111111": "aws:111111111111",
    "key in 222222222222": "aws:listing",  # ahead of aws:o-org in name order
    "secret in sub-a": "azure:tenant-a",
    "secret in tenant-a": "azure:tenant-a",
    "key in project-g": "file:exports",  # ahead of gcp:export-set
    "agent in repo-x": "file:exports",
    "agent in another repo": "file:exports",
    "key in an account no scan knows": "aws:listing",
    "record of no account": "file:exports",  # tenant-a is known and not above it: only the file source
}


def finding(name: str) -> Finding:
    provider, account = RESOURCES[name]
    resource = ResourceRef(name, "credential", "key", name, provider, account)
    return Finding(f"NHI-CRED-001:{name}", "NHI-CRED-001", "fail", "high", resource, "fails")


def side(sources: list[SourceRead], parents: dict[str, str | None] | None, failing: list[Finding]) -> Side:
    by_fingerprint = {f.fingerprint: f for f in failing}
    return Side(
        scan_id="scan",
        score=None,
        records=None,
        names={},
        capabilities={},
        failing=by_fingerprint.keys(),
        waived=frozenset(),
        findings=lambda fingerprints: [by_fingerprint[k] for k in fingerprints],
        listed=lambda fingerprints: {},
        controls={"NHI-CRED-001"},
        sources=sources,
        parents=parents,
    )


def attributed(sources: list[SourceRead], parents: dict[str, str | None] | None) -> dict[str, str | None]:
    """Each resource's failure, gone from a newer scan that read ``sources`` as they say: the source
    the diff names (None: resolved)."""
    failing = [finding(name) for name in RESOURCES]
    old = side([], parents, failing)
    new = side(sources, parents, [])
    resolved, unassessed = judged_since(old, new, sorted(f.fingerprint for f in failing))
    named = {u.finding.resource.name: u.source.label if u.source else None for u in unassessed}
    assert all(u.reason == "source_incomplete" for u in unassessed)
    return {**{f.resource.name: None for f in resolved}, **named}


def by_the_rule(sources: list[SourceRead], parents: dict[str, str | None] | None) -> dict[str, str | None]:
    """The rule applied source by source, in the diff's order of sources."""
    ordered = sorted(sources, key=lambda s: (s.name, s.account))
    return {name: next((s.label for s in ordered if holds(s, finding(name), parents)), None) for name in RESOURCES}


def test_each_failure_names_the_first_incomplete_source_that_could_hold_it() -> None:
    assert attributed(SOURCES, PARENTS) == EXPECTED


def test_without_an_inventory_a_source_holds_only_its_own_account_or_its_provider() -> None:
    """Results from before inventories were kept say nothing of accounts above accounts: every
    source's account is unknown, so a source could hold its own account's resources and (all
    but the file source by provider) those of its provider."""
    expected = {
        "key in 111111111111": "aws:111111111111",
        "key in 222222222222": "aws:111111111111",
        "secret in sub-a": "azure:tenant-a",
        "secret in tenant-a": "azure:tenant-a",
        "key in project-g": "file:exports",
        "agent in repo-x": "file:exports",
        "agent in another repo": "file:exports",
        "key in an account no scan knows": "aws:111111111111",
        "record of no account": "azure:tenant-a",
    }
    assert attributed(SOURCES, None) == expected == by_the_rule(SOURCES, None)


@pytest.mark.parametrize("parents", [PARENTS, None], ids=["with accounts", "without an inventory"])
def test_every_set_of_incomplete_sources_gives_the_rules_answers(parents: dict[str, str | None] | None) -> None:
    for size in range(len(SOURCES) + 1):
        for chosen in combinations(SOURCES, size):
            assert attributed(list(chosen), parents) == by_the_rule(list(chosen), parents), chosen
