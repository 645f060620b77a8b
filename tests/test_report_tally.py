"""The counts every report shares (scanner.reports.tally) are the plain per-finding counts, whatever
order the findings come in: the engine writes each control's findings together, but a scan read
back or merged from shards may interleave them, and the counts must not depend on it."""

from __future__ import annotations

import dataclasses
import random
from collections import Counter

import pytest

from scanner.model import SEVERITIES, Finding, ScanResult
from scanner.reports.tally import count, credential_holders
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
