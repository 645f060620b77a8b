"""The counts every report shares (scanner.reports.tally) are the plain per-finding counts, whatever
order the findings come in: the engine writes each control's findings together, but a scan read
back or merged from shards may interleave them, and the counts must not depend on it. The
executive report's credential ages are bucketed as the per-credential functions bucket them."""

from __future__ import annotations

import dataclasses
import random
from collections import Counter
from datetime import timedelta

import pytest

from scanner.model import SEVERITIES, Credential, Finding, ScanResult
from scanner.reports.tally import count, credential_holders
from scanner.reports.view import age_bucket, credential_age, credential_age_distribution
from scanner.scan import Catalogs, ScanOptions, run_scan
from scanner.sources import SourceSpec, collect


def whom(finding: Finding, holders: dict[str, str | None]) -> str:
    ref = finding.resource
    if ref.type == "credential":
        return holders.get(ref.uid) or ref.uid
    if ref.type == "grant":
        return ref.uid.split("#", 1)[0]
    return ref.uid


@pytest.fixture(scope="module")
def demo(catalogs: Catalogs) -> ScanResult:
    result = run_scan(collect(SourceSpec("demo")), catalogs, ScanOptions())
    assert {f.resource.type for f in result.findings if f.status == "fail"} >= {"credential", "grant", "identity"}
    return result


@pytest.mark.parametrize("order", ["as scanned", "shuffled"])
def test_the_tally_is_the_per_finding_count_in_any_order(demo: ScanResult, order: str) -> None:
    findings = list(demo.findings)
    if order == "shuffled":
        random.Random(21).shuffle(findings)
    result = dataclasses.replace(demo, findings=findings)
    holders = credential_holders(result.inventory)
    failing = [f for f in findings if f.status == "fail"]

    counted = count(result)

    assert counted.statuses == dict(Counter(f.status for f in findings))
    assert list(counted.statuses) == list(dict.fromkeys(f.status for f in findings))
    assert counted.failing == failing
    assert counted.holders == [whom(f, holders) for f in failing]
    assert counted.failing_per_control() == dict(Counter(f.control_id for f in failing))
    for control_id, start, end in counted.spans:
        assert {f.control_id for f in counted.failing[start:end]} == {control_id}
    assert counted.failing_by_severity == {s: sum(f.severity == s for f in failing) for s in SEVERITIES}
    by_provider = Counter((f.resource.provider, f.severity) for f in failing)
    assert counted.matrix == {
        provider: {s: by_provider[provider, s] for s in SEVERITIES}
        for provider in sorted({f.resource.provider for f in failing})
    }
    per_holder = Counter(whom(f, holders) for f in failing)
    assert counted.failing_per_holder() == per_holder
    for uid in [*per_holder, "no such identity"]:
        assert counted.failing_of(uid) == {
            s: sum(1 for f in failing if f.severity == s and whom(f, holders) == uid) for s in SEVERITIES
        }


def test_credential_ages_fall_in_the_bucket_whose_limit_they_do_not_pass(demo: ScanResult) -> None:
    assert demo.inventory is not None
    holder = demo.inventory.identities[0]
    as_of = demo.scan.as_of
    ages = [-3, 0, 30, 31, 90, 91, 180, 181, 365, 366, 4000]
    credentials = [
        *(Credential(f"key-{age}", holder.uid, "access_key", created=as_of - timedelta(days=age)) for age in ages),
        Credential("key-with-unknown-creation", holder.uid, "access_key", created=as_of, unknown=["created"]),
        Credential("key-never-dated", holder.uid, "access_key"),
        Credential("key-of-nobody", None, "access_key", created=as_of - timedelta(days=10, hours=23)),
        Credential("key-inactive", holder.uid, "access_key", created=as_of, active=False),
        Credential("key-managed", holder.uid, "access_key", created=as_of, managed_by_provider=True),
    ]
    result = dataclasses.replace(demo, inventory=dataclasses.replace(demo.inventory, credentials=credentials))

    assert credential_age_distribution(result) == {
        holder.provider: {
            "up to 30 days": 3,
            "31 to 90 days": 2,
            "91 to 180 days": 2,
            "181 to 365 days": 2,
            "over a year": 2,
            "unknown": 2,
        },
        "no holder": {
            "up to 30 days": 1,
            "31 to 90 days": 0,
            "91 to 180 days": 0,
            "181 to 365 days": 0,
            "over a year": 0,
            "unknown": 0,
        },
    }
    for credential in credentials[:-2]:  # each alone: in the bucket the per-credential functions name
        alone = dataclasses.replace(result, inventory=dataclasses.replace(demo.inventory, credentials=[credential]))
        [row] = credential_age_distribution(alone).values()
        assert [label for label, number in row.items() if number] == [age_bucket(credential_age(credential, as_of))]
