"""Framework fidelity: whole catalogs equal to the reference, typed mappings, provider scope,
incomplete sources and what a framework score means."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from scanner.framework_posture import framework_score
from scanner.frameworks import DECIDING
from scanner.model import FrameworkItemPosture, ScanResult
from scanner.scan import Catalogs, ScanOptions, load_catalogs, run_scan

from .conftest import SHARED, make_inventory

CATALOGS = load_catalogs()
REFERENCE = SHARED / "reference" / "catalogs"
BENCHMARKS = {"cis-aws-foundations": "aws", "cis-gcp-foundations": "gcp", "cis-azure-foundations": "azure"}


def reference(framework_id: str) -> dict[str, Any]:
    for path in REFERENCE.glob("*.yaml"):
        data = yaml.safe_load(path.read_text())
        if data["id"] == framework_id:
            return data
    raise AssertionError(f"no reference catalog for {framework_id}")


def test_the_bundled_catalogs_are_the_reference_frameworks_plus_nist_ai_600_1_and_cis_azure() -> None:
    assert set(CATALOGS.frameworks) == {
        "owasp-asi-top10-2026",
        "owasp-nhi-top10-2025",
        "csa-maestro",
        "csa-aicm",
        "nist-ai-rmf-1.0",
        "nist-ai-600-1",
        "nist-csf-2.0",
        "cis-aws-foundations",
        "cis-gcp-foundations",
        "cis-azure-foundations",
    }


@pytest.mark.skipif(not REFERENCE.is_dir(), reason="shared reference catalogs not beside the repository")
@pytest.mark.parametrize("framework_id", sorted(CATALOGS.frameworks))
def test_every_item_of_the_reference_is_shipped_with_its_version_title_and_flags(framework_id: str) -> None:
    framework = CATALOGS.frameworks[framework_id]
    ref = reference(framework_id)
    assert framework.version == ref["version"]
    assert len(framework.items) == ref["item_count"] == len(ref["items"])
    for item, ref_item in zip(framework.items, ref["items"], strict=True):
        assert (item.id, item.title, item.official) == (ref_item["id"], ref_item["title"], ref_item["official"])


def test_cis_aws_is_version_7_where_2_12_is_key_rotation_and_old_ids_read_through_the_crosswalk() -> None:
    aws = CATALOGS.frameworks["cis-aws-foundations"]
    assert aws.version == "7.0.0"
    assert next(i for i in aws.items if i.id == "2.12").title == "Ensure access keys are rotated every 90 days or less"
    v3 = aws.crosswalks["3.0.0"]
    assert v3["1.14"] == "2.12"  # rotation
    assert v3["1.13"] == ""  # "one active key" is gone from v7.0.0
    assert aws.crosswalks["6.0.0"]["2.12"] == ""  # v6.0.0 2.12 (one active key) is not v7.0.0 2.12
    assert CATALOGS.frameworks["csa-aicm"].crosswalks["1.0.3"]["IAM-15"] == "IAM-14"


def test_paraphrased_titles_and_sample_verified_catalogs_are_labelled() -> None:
    rmf = CATALOGS.frameworks["nist-ai-rmf-1.0"]
    assert all(not item.official for item in rmf.items)  # AI RMF subcategories have no official titles
    azure = CATALOGS.frameworks["cis-azure-foundations"]
    assert not azure.verified
    assert 0 < sum(item.verified for item in azure.items) < len(azure.items)


def test_every_mapping_has_a_relationship_a_rationale_and_the_catalog_version() -> None:
    mappings = [m for control in CATALOGS.controls for m in control.mappings]
    assert len(mappings) > 150
    for mapping in mappings:
        assert mapping.relationship in ("direct", "partial", "supporting")
        assert len(mapping.rationale) >= 20, mapping
        assert mapping.version == CATALOGS.frameworks[mapping.framework].version


@pytest.mark.parametrize(
    ("control_id", "framework_id", "item_id"),
    [
        ("NHI-CRED-001", "nist-ai-rmf-1.0", "MANAGE 2.4"),
        ("NHI-CRED-006", "nist-ai-rmf-1.0", "MANAGE 2.4"),
        ("NHI-CRED-002", "nist-ai-rmf-1.0", "GOVERN 1.7"),
        ("NHI-COV-001", "csa-maestro", "Layer 6"),
        ("NHI-COV-001", "nist-ai-rmf-1.0", "GOVERN 1.5"),
        ("NHI-LOG-004", "owasp-nhi-top10-2025", "NHI4:2025"),
        ("NHI-LOG-006", "owasp-nhi-top10-2025", "NHI4:2025"),
        ("NHI-OWN-002", "owasp-asi-top10-2026", "ASI09"),
        ("NHI-SECRET-001", "cis-gcp-foundations", "1.17"),
        ("NHI-SECRET-001", "cis-gcp-foundations", "1.18"),
    ],
)
def test_mappings_found_wrong_in_review_are_gone(control_id: str, framework_id: str, item_id: str) -> None:
    control = next(c for c in CATALOGS.controls if c.id == control_id)
    assert item_id not in control.frameworks.get(framework_id, [])


def test_key_hygiene_unrelated_to_agents_only_supports_asi03() -> None:
    for control in CATALOGS.controls:
        if control.id.startswith(("NHI-CRED-", "NHI-PRIV-")):
            for mapping in control.mappings:
                if mapping.item == "ASI03":
                    assert mapping.relationship == "supporting", control.id


def scan(fragment: dict[str, Any], catalogs: Catalogs = CATALOGS) -> ScanResult:
    return run_scan(make_inventory(fragment), catalogs, ScanOptions())


def posture(result: ScanResult, framework_id: str, item_id: str) -> FrameworkItemPosture:
    framework = next(f for f in result.frameworks if f.id == framework_id)
    return next(i for i in framework.items if i.id == item_id)


OLD_KEYS = {
    "accounts": [
        {"uid": "111111111111", "provider": "aws", "kind": "account"},
        {"uid": "proj-1", "provider": "gcp", "kind": "project"},
        {"uid": "sub-1", "provider": "azure", "kind": "subscription"},
    ],
    "identities": [
        {"uid": "u1", "provider": "aws", "account": "111111111111", "kind": "user", "owner": "team"},
        {"uid": "sa1", "provider": "gcp", "account": "proj-1", "kind": "service_account", "owner": "team"},
        {"uid": "app1", "provider": "azure", "account": "sub-1", "kind": "app_registration", "owner": "team"},
    ],
    "credentials": [
        {"uid": "aws-key", "identity_uid": "u1", "kind": "access_key", "created": "-400d", "last_used": "-1d"},
        {"uid": "gcp-key", "identity_uid": "sa1", "kind": "sa_key", "created": "-10d", "last_used": "-1d"},
        {"uid": "az-secret", "identity_uid": "app1", "kind": "client_secret", "created": "-500d", "last_used": "-1d"},
    ],
}


def test_a_benchmark_item_is_judged_only_on_its_own_providers_resources() -> None:
    result = scan(OLD_KEYS)
    assert posture(result, "cis-aws-foundations", "2.12").status == "fail"
    assert posture(result, "cis-aws-foundations", "2.12").counts == {"fail": 1, "pass": 0, "waived": 0, "unknown": 0}
    # the GCP key is fresh: the old AWS key and Azure secret must not fail the GCP rotation item
    gcp_rotation = posture(result, "cis-gcp-foundations", "1.8")
    assert gcp_rotation.status == "pass" and gcp_rotation.counts["pass"] == 1
    assert posture(result, "cis-gcp-foundations", "1.16").status == "not_applicable"  # no API keys


def test_no_benchmark_item_fails_on_another_providers_resource(demo_result: ScanResult) -> None:
    failures = [f for f in demo_result.findings if f.status == "fail"]
    failing_items = 0
    for result in demo_result.frameworks:
        if result.id not in BENCHMARKS:
            continue
        framework = CATALOGS.frameworks[result.id]
        for item, item_result in zip(framework.items, result.items, strict=True):
            scope = framework.item_scope(item)
            assert scope.providers == (BENCHMARKS[result.id],)
            own = [
                f
                for f in failures
                if f.control_id in item_result.controls and scope.admits(f.resource.provider, f.resource.kind)
            ]
            assert item_result.counts["fail"] == len(own), (result.id, item.id)
            assert (item_result.status == "fail") == bool(own), (result.id, item.id)
            failing_items += item_result.status == "fail"
    assert failing_items


def test_a_benchmark_without_its_provider_in_the_estate_is_not_in_scope() -> None:
    result = scan(
        {
            "identities": [{"uid": "u1", "owner": "team"}],
            "credentials": [{"uid": "k1", "identity_uid": "u1", "created": "-400d"}],
        }
    )
    by_id = {f.id: f for f in result.frameworks}
    assert by_id["cis-aws-foundations"].in_scope and by_id["cis-aws-foundations"].score is not None
    for framework_id in ("cis-gcp-foundations", "cis-azure-foundations"):
        assert not by_id[framework_id].in_scope and by_id[framework_id].score is None
        assert {item.status for item in by_id[framework_id].items} == {"not_in_scope"}


def test_items_whose_source_was_read_partially_are_incomplete_not_passing() -> None:
    fresh = {
        "accounts": [{"uid": "111111111111", "provider": "aws", "kind": "account"}],
        "identities": [{"uid": "u1", "owner": "team"}],
        "credentials": [{"uid": "k1", "identity_uid": "u1", "created": "-10d", "last_used": "-1d"}],
    }
    assert posture(scan(fresh), "cis-aws-foundations", "2.12").status == "pass"
    partial = {**fresh, "sources": [{"name": "aws", "account": "111111111111", "status": "partial"}]}
    result = scan(partial)
    assert posture(result, "cis-aws-foundations", "2.12").status == "incomplete"
    assert posture(result, "owasp-nhi-top10-2025", "NHI7:2025").status == "incomplete"
    nhi = next(f for f in result.frameworks if f.id == "owasp-nhi-top10-2025")
    assert nhi.score is not None and nhi.score < 100


def test_supporting_mappings_are_listed_but_do_not_decide_an_item() -> None:
    result = scan(OLD_KEYS)
    asi03 = posture(result, "owasp-asi-top10-2026", "ASI03")
    assert "NHI-CRED-001" in asi03.supporting and "NHI-CRED-001" not in asi03.controls
    assert all(asi03.relationships[c] in DECIDING for c in asi03.controls)


def test_a_framework_whose_every_assessed_item_fails_scores_zero_and_the_score_is_stated() -> None:
    items = [FrameworkItemPosture("a", "A", "fail"), FrameworkItemPosture("b", "B", "fail")]
    assert framework_score([*items, FrameworkItemPosture("c", "C", "not_assessed")]) == 0.0
    assert framework_score([*items, FrameworkItemPosture("d", "D", "pass")]) == pytest.approx(33.3)
    assert framework_score([FrameworkItemPosture("e", "E", "not_applicable")]) is None
    result = scan(OLD_KEYS)
    for framework in result.frameworks:
        assert framework.score_definition.startswith("share of assessed items that pass")
        assert (
            framework.coverage == f"{framework.assessed} of {framework.item_count} items (version {framework.version})"
        )


def test_frameworks_show_from_an_earlier_version_gives_the_crosswalk_in_every_format(cli) -> None:
    """CIS AWS 3.0.0 1.13 ('only one active access key') was dropped by 7.0.0; 1.1 is 7.0.0's 2.2.
    The table, JSON and CSV all give the crosswalk (JSON and CSV gave the plain item list before)."""
    import csv
    import io
    import json

    shown = cli("frameworks", "show", "cis-aws-foundations", "--from-version", "3.0.0", "--format", "json")
    assert shown.exit_code == 0, shown.output
    rows = {row["old_item"]: row for row in json.loads(shown.output)}
    assert rows["1.1"]["item"] == "2.2" and rows["1.13"]["item"] is None
    assert {row["from_version"] for row in rows.values()} == {"3.0.0"}
    listed = cli("frameworks", "show", "cis-aws-foundations", "--from-version", "v3.0.0", "--format", "csv")
    assert {row["old_item"] for row in csv.DictReader(io.StringIO(listed.output))} == set(rows)
    table = cli("frameworks", "show", "cis-aws-foundations", "--from-version", "3.0.0")
    assert "dropped in this version" in table.output


@pytest.mark.parametrize(
    ("scope", "named"),
    [
        ("{kinds: [access-key]}", "item AC-1: scope names an unknown kind 'access-key'"),
        ("{providers: [AWS]}", "item AC-1: scope names an unknown provider 'AWS' (known: aws, azure, gcp, manifest)"),
    ],
)
def test_an_item_scoped_to_a_provider_or_kind_no_resource_has_is_refused(
    tmp_path: Path, scope: str, named: str
) -> None:
    """An organisation's catalog with ``kinds: [access-key]`` (for access_key) or ``providers: [AWS]``
    came out "2 of 2 items assessed", each not applicable, on an estate full of failing AWS keys."""
    from scanner.errors import InputError
    from scanner.frameworks import load_framework

    catalog = tmp_path / "acme-policy.yaml"
    catalog.write_text(
        "id: acme-policy\nname: ACME policy\nversion: '1'\nitems:\n"
        f"  - id: AC-1\n    title: Keys are rotated\n    scope: {scope}\n    controls: [NHI-CRED-001]\n"
    )
    with pytest.raises(InputError, match=re.escape(named)):
        load_framework(catalog)
    catalog.write_text(catalog.read_text().replace(scope, "{providers: [aws], kinds: [access_key]}"))
    assert load_framework(catalog).items[0].scope.kinds == ("access_key",)
