"""Azure tag names are case-insensitive (ARM keeps the casing a tag was first written with, and
treats `OWNER` and `owner` as one tag), so the tags nhiscan reads for meaning are found whatever
their casing: the owner of a user-assigned identity (its own tags) and of a system-assigned one
(its resource's tags, through Resource Graph), and a subscription's environment."""

from __future__ import annotations

import pytest

from .azure_estate import DEV, MI_ID, PROD
from .test_azure_managed_owners import VM_IN_ARM, VM_IN_GRAPH, scanned, system_assigned, the_vm
from .test_azure_source import scan_tenant

SPELLINGS = ["owner", "Owner", "OWNER", "oWner"]
OWNER = "payments@contoso.example"


def user_assigned_tags(fake, tags: dict[str, str]) -> None:
    (identity,) = fake.state.arm[f"/subscriptions/{PROD}/providers/Microsoft.ManagedIdentity/userAssignedIdentities"]
    identity["tags"] = tags


@pytest.mark.parametrize("name", SPELLINGS)
def test_a_user_assigned_identitys_owner_tag_is_read_whatever_its_casing(fake_azure, catalogs, name) -> None:
    user_assigned_tags(fake_azure, {"cost-center": "42", name: OWNER})
    identities, status = scanned(fake_azure, catalogs)
    assert identities[MI_ID].owner == OWNER and "owner" not in identities[MI_ID].unknown
    assert status[("NHI-OWN-001", MI_ID)] == "pass"


@pytest.mark.parametrize("name", SPELLINGS)
def test_a_system_assigned_identitys_owner_is_its_resources_tag_whatever_its_casing(fake_azure, catalogs, name) -> None:
    system_assigned(fake_azure, ["isExplicit=False", VM_IN_GRAPH])
    fake_azure.state.resource_graph.append(the_vm({"ENV": "prod", name: "batch-team@contoso.example"}))
    identities, status = scanned(fake_azure, catalogs)
    assert identities[VM_IN_GRAPH].owner == "batch-team@contoso.example"
    assert identities[VM_IN_GRAPH].attributes["owner_from"] == VM_IN_ARM
    assert status[("NHI-OWN-001", VM_IN_GRAPH)] == "pass"


def test_an_empty_owner_tag_names_nobody(fake_azure, catalogs) -> None:
    user_assigned_tags(fake_azure, {"OWNER": ""})
    identities, status = scanned(fake_azure, catalogs)
    assert identities[MI_ID].owner is None and "owner" not in identities[MI_ID].unknown
    assert status[("NHI-OWN-001", MI_ID)] == "fail"


@pytest.mark.parametrize("name", ["environment", "Environment", "ENVIRONMENT", "env", "Env", "ENV"])
def test_a_subscriptions_environment_tag_is_read_whatever_its_casing(fake_azure, name) -> None:
    for subscription in fake_azure.state.subscriptions:
        subscription["tags"] = {name: "production" if subscription["subscriptionId"] == PROD else "development"}
    inventory, _ = scan_tenant(fake_azure)
    environments = {a.uid: a.environment for a in inventory.accounts if a.kind == "subscription"}
    assert environments == {PROD: "production", DEV: "development"}
