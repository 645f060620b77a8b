"""Key Vault access policies: a vault that does not use Azure RBAC for its data plane hands out its
secrets by access policy, outside every role assignment. Before, nhiscan never read them: a
service principal reading a vault's secrets through a policy carried no secrets_read, and the
controls that ask for it passed on what nobody had looked at.

The vault is the Key Vault REST reference's "Get a key vault" example response
(Azure/azure-rest-api-specs, tests/data/SOURCES.md), listed by the subscription's "Vaults - List
By Subscription". Graph and ARM are the local HTTPS fake (tests/azure_fake.py) driven through
azure-core's real pipeline.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from scanner.scan import ScanOptions, run_scan
from scanner.sources.azure.vault_policies import vault_policy_grant

from .azure_estate import DEV, PROD, RECORDED
from .azure_fake import FakeAzure
from .test_azure_evidence import AUTOMATION_SP, PAYMENTS_SP, principals
from .test_azure_source import scan_tenant

EXAMPLE = RECORDED / "arm-rest-specs-keyvault-2023-07-01-getVault.json"
GROUP = "eeee0003-0000-4000-8000-000000000003"


VAULTS = f"/subscriptions/{PROD}/providers/Microsoft.KeyVault/vaults"


def vault(object_id: str, name: str = "sample-vault", **properties: Any) -> dict[str, Any]:
    """The reference's vault in the production subscription, its one access policy naming
    ``object_id`` (and the policy's other members ``properties`` names, or the vault's)."""
    body = copy.deepcopy(json.loads(EXAMPLE.read_text(encoding="utf-8"))["responses"]["200"]["body"])
    body["id"] = body["id"].replace("00000000-0000-0000-0000-000000000000", PROD).replace("sample-vault", name)
    body["name"] = name
    policy = body["properties"]["accessPolicies"][0]
    policy["objectId"] = object_id
    for key, value in properties.items():
        (policy if key == "applicationId" else body["properties"])[key] = value
    return body


def listed(fake: FakeAzure, *vaults: dict[str, Any]) -> None:
    fake.state.arm[VAULTS] = list(vaults)


def policy_grants(inventory: Any) -> list[Any]:
    return [g for g in inventory.grants if g.source == "keyVaultAccessPolicy"]


def capabilities_of(fake: FakeAzure, catalogs: Any, principal: str) -> list[str]:
    inventory, _ = scan_tenant(fake)
    result = run_scan(inventory, catalogs, ScanOptions())
    return result.capabilities.get(f"azure:sp:{principal}", [])


def test_a_principal_a_vaults_access_policy_names_reads_its_secrets(fake_azure, catalogs) -> None:
    assert "secrets_read" not in capabilities_of(fake_azure, catalogs, PAYMENTS_SP)
    listed(fake_azure, vault(PAYMENTS_SP))
    inventory, _ = scan_tenant(fake_azure)
    (grant,) = policy_grants(inventory)
    assert grant.identity_uid == f"azure:sp:{PAYMENTS_SP}" and grant.kind == "binding"
    assert grant.name == "Key Vault access policy of sample-vault"
    assert grant.resources == [vault(PAYMENTS_SP)["id"]]
    assert "Microsoft.KeyVault/vaults/secrets/getSecret/action" in grant.attributes["data_actions"]
    assert grant.attributes["permissions"]["secrets"][:2] == ["get", "list"]  # as the policy lists them
    assert "secrets_read" in capabilities_of(fake_azure, catalogs, PAYMENTS_SP)
    assert "grants" not in next(i for i in inventory.identities if i.uid == grant.identity_uid).unknown


def test_a_vault_that_uses_azure_rbac_ignores_its_access_policies(fake_azure) -> None:
    listed(fake_azure, vault(PAYMENTS_SP, enableRbacAuthorization=True))
    inventory, _ = scan_tenant(fake_azure)
    assert policy_grants(inventory) == []
    assert all("grants" not in i.unknown for i in principals(inventory) if i.kind == "service_principal")


def test_a_vault_that_says_nothing_of_azure_rbac_uses_its_access_policies(fake_azure) -> None:
    unsaid = vault(AUTOMATION_SP, "second-vault")
    assert "enableRbacAuthorization" not in unsaid["properties"]  # as the reference's example
    fake_azure.state.page_size = 1  # one vault a page: the list's nextLink is followed
    listed(fake_azure, vault(PAYMENTS_SP, enableRbacAuthorization=False), unsaid)
    inventory, _ = scan_tenant(fake_azure)
    assert sorted(g.identity_uid for g in policy_grants(inventory)) == [
        f"azure:sp:{PAYMENTS_SP}", f"azure:sp:{AUTOMATION_SP}"]  # fmt: skip


def test_a_policy_naming_a_group_is_held_by_the_principals_in_it(fake_azure) -> None:
    listed(fake_azure, vault(GROUP))
    fake_azure.state.directory_objects[GROUP] = {"@odata.type": "#microsoft.graph.group", "id": GROUP}
    fake_azure.state.related[f"/groups/{GROUP}/transitiveMembers/microsoft.graph.servicePrincipal"] = [
        {"id": AUTOMATION_SP}
    ]
    inventory, _ = scan_tenant(fake_azure)
    (grant,) = policy_grants(inventory)
    assert grant.identity_uid == f"azure:sp:{AUTOMATION_SP}" and grant.attributes["via_group"] == GROUP


def test_a_policy_naming_a_user_gives_no_principal_anything_and_leaves_no_gap(fake_azure) -> None:
    listed(fake_azure, vault("ffff0001-0000-4000-8000-00000000000f"))  # not a group
    inventory, _ = scan_tenant(fake_azure)
    assert policy_grants(inventory) == []
    assert all("grants" not in i.unknown for i in principals(inventory) if i.kind == "service_principal")
    assert fake_azure.state.requests["POST /v1.0/directoryObjects/getByIds"] == 1, "looked up, found no group"


def test_a_refused_vault_list_leaves_every_principals_grants_unknown(fake_azure) -> None:
    """Any principal may read a vault's secrets through a policy nobody read. ARM refuses the list
    of a subscription whose vaults the caller may not read (Resource Graph would leave them out
    without a word, which is why the source does not ask it)."""
    listed(fake_azure, vault(PAYMENTS_SP))
    fake_azure.state.deny.add(f"/subscriptions/{DEV}/providers/Microsoft.KeyVault")
    inventory, _ = scan_tenant(fake_azure)
    assert all("grants" in i.unknown for i in principals(inventory))
    assert [g.identity_uid for g in policy_grants(inventory)] == [f"azure:sp:{PAYMENTS_SP}"], "what was read stays"


def test_a_compound_entry_is_its_applications_acting_for_the_principal_named(fake_azure) -> None:
    """``applicationId`` set: the application may act for the user the entry names, and nobody
    else holds it (the service principal it names, if any, has nothing on its own)."""
    user = "ffff0001-0000-4000-8000-00000000000f"
    payments_app = "bbbb0001-0000-4000-8000-000000000001"  # payments-api's appId
    listed(fake_azure, vault(user, applicationId=payments_app), vault(AUTOMATION_SP, "v2", applicationId=payments_app))
    inventory, _ = scan_tenant(fake_azure)
    grants = policy_grants(inventory)
    assert {(g.identity_uid, g.attributes["for_principal"]) for g in grants} == {
        (f"azure:sp:{PAYMENTS_SP}", user), (f"azure:sp:{PAYMENTS_SP}", AUTOMATION_SP)}  # fmt: skip
    assert fake_azure.state.requests["POST /v1.0/directoryObjects/getByIds"] == 0, "nothing to look up"


def test_an_object_id_is_matched_whatever_its_case(fake_azure) -> None:
    listed(fake_azure, vault(PAYMENTS_SP.upper()))
    inventory, _ = scan_tenant(fake_azure)
    assert [g.identity_uid for g in policy_grants(inventory)] == [f"azure:sp:{PAYMENTS_SP}"]


def test_writing_a_vault_or_deploying_with_its_secrets_reads_them(catalogs) -> None:
    """A vault's properties hold its access policies: writing the vault grants any principal
    its data plane (learn.microsoft.com), as writing an access policy does."""
    from .test_azure_named_roles import custom_role

    def tags_of(action: str) -> frozenset[str]:
        return catalogs.capabilities.grant_tags(custom_role("r", f"Microsoft.KeyVault/vaults/{action}"), "azure")

    assert tags_of("write") == tags_of("accessPolicies/write") == {"secrets_read", "privilege_escalation"}
    assert tags_of("deploy/action") == {"secrets_read"}
    assert tags_of("read") == frozenset()


def test_a_refused_lookup_of_the_objects_policies_name_leaves_the_principals_grants_unknown(fake_azure) -> None:
    listed(fake_azure, vault(GROUP))
    fake_azure.state.deny.add("/v1.0/directoryObjects/getByIds")
    inventory, _ = scan_tenant(fake_azure)
    assert all("grants" in i.unknown for i in principals(inventory))


def test_a_failed_read_of_a_named_groups_members_leaves_the_principals_grants_unknown(fake_azure) -> None:
    listed(fake_azure, vault(GROUP))
    fake_azure.state.directory_objects[GROUP] = {"@odata.type": "#microsoft.graph.group", "id": GROUP}
    fake_azure.state.deny.add("/v1.0/groups/")  # 403 inside the $batch
    inventory, _ = scan_tenant(fake_azure)
    assert all("grants" in i.unknown for i in principals(inventory))


def test_a_policys_permissions_carry_what_the_same_rbac_data_actions_do(catalogs) -> None:
    """Permission names are compared without case (the portal writes ``Get``, the reference
    ``get``); ``all`` is every permission of its kind; only reading a secret's value or using a
    key to decrypt, unwrap or release carries secrets_read, as the catalog judges the data actions."""

    def tags_of(permissions: dict[str, list[str]]) -> frozenset[str]:
        vault = {"id": f"/subscriptions/{PROD}/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/v", "name": "v"}
        grant = vault_policy_grant("azure:sp:x", vault, {"objectId": "x", "permissions": permissions})
        return catalogs.capabilities.grant_tags(grant, "azure")

    assert tags_of({"secrets": ["Get"]}) == {"secrets_read"}
    assert tags_of({"secrets": ["all"]}) == {"secrets_read"}
    assert tags_of({"keys": ["unwrapKey"]}) == tags_of({"keys": ["Decrypt"]}) == {"secrets_read"}
    assert tags_of({"keys": ["all"]}) == {"secrets_read"}
    assert tags_of({"secrets": ["list", "set", "delete"], "keys": ["sign", "verify", "get"]}) == frozenset()
    assert tags_of({"certificates": ["get", "list"], "storage": ["getsas"]}) == frozenset()


def test_a_later_shard_finds_the_principals_in_a_group_a_policy_names(fake_azure) -> None:
    from scanner.sharding import Shard

    from .test_azure_tenants import scan

    later = next(Shard(i, n) for n in range(2, 9) for i in range(2, n + 1) if Shard(i, n).owns(PROD))
    listed(fake_azure, vault(GROUP))
    fake_azure.state.directory_objects[GROUP] = {"@odata.type": "#microsoft.graph.group", "id": GROUP}
    automation = {"@odata.type": "#microsoft.graph.servicePrincipal", "id": AUTOMATION_SP}
    fake_azure.state.directory_objects[AUTOMATION_SP] = automation | {"servicePrincipalType": "Application"}
    fake_azure.state.related[f"/groups/{GROUP}/transitiveMembers/microsoft.graph.servicePrincipal"] = [
        {"id": AUTOMATION_SP}
    ]
    inventory = scan(fake_azure, shard=later)
    assert [(g.identity_uid, g.attributes["via_group"]) for g in policy_grants(inventory)] == [
        (f"azure:sp:{AUTOMATION_SP}", GROUP)]  # fmt: skip
