"""Who owns a managed identity, as a tenant scan reads it: its owner tag is ARM's. A user-assigned
identity carries its own tags; a system-assigned identity belongs to one resource (a VM, a web or
function app), whose tags name its owner. The service principal's ``alternativeNames`` hold
``isExplicit=False`` and that resource's id (Microsoft Graph, servicePrincipal resource type).
Where ARM was not read the owner is unknown, as in the exported path, never a failure."""

from __future__ import annotations

import copy
import json

from scanner.scan import ScanOptions, run_scan

from .azure_estate import MI_ID, PROD, REALWORLD
from .azure_fake import FakeAzure
from .test_azure_source import scan_tenant

VM_SP = "cccc0005-0000-4000-8000-000000000005"
# Graph prints the resource id as ARM stored it when the identity was made ("resourcegroups");
# Resource Graph prints the resource's id with its canonical casing
VM_IN_GRAPH = f"/subscriptions/{PROD}/resourcegroups/rg-batch/providers/Microsoft.Compute/virtualMachines/batch-vm"
VM_IN_ARM = f"/subscriptions/{PROD}/resourceGroups/rg-batch/providers/Microsoft.Compute/virtualMachines/batch-vm"


def system_assigned(fake: FakeAzure, alternative_names: list[str], object_id: str = VM_SP) -> None:
    """A system-assigned identity's service principal, in the shape of the Azure CLI's recorded
    Graph servicePrincipals list."""
    recorded = json.loads((REALWORLD / "azure-cli-recording-graph-list-servicePrincipals-passwordCredentials.json")
                          .read_text())["value"][0]  # fmt: skip
    app_id = "dddd0005-0000-4000-8000-000000000005"
    fake.state.service_principals.append(
        copy.deepcopy(recorded) | {
            "id": object_id, "appId": app_id, "displayName": "batch-vm", "appDisplayName": None,
            "servicePrincipalType": "ManagedIdentity", "alternativeNames": alternative_names,
            "appOwnerOrganizationId": None, "servicePrincipalNames": [app_id], "signInAudience": "AzureADMyOrg",
            "passwordCredentials": [], "keyCredentials": [],
        }
    )  # fmt: skip


def the_vm(tags: dict[str, str]) -> dict:
    """The VM as the collector's Resource Graph query projects it."""
    return {"subscriptionId": PROD, "id": VM_IN_ARM, "type": "microsoft.compute/virtualmachines", "tags": tags,
            "principalId": VM_SP, "identities": None}  # fmt: skip


def scanned(fake: FakeAzure, catalogs) -> tuple[dict, dict[tuple[str, str], str]]:
    inventory, _ = scan_tenant(fake)
    result = run_scan(inventory, catalogs, ScanOptions(keep_passed=True))
    identities = {i.uid: i for i in inventory.identities}
    return identities, {(f.control_id, f.resource.uid): f.status for f in result.findings}


def test_a_system_assigned_identity_is_owned_by_whoever_owns_its_resource(fake_azure, catalogs) -> None:
    system_assigned(fake_azure, ["isExplicit=False", VM_IN_GRAPH])
    fake_azure.state.resource_graph.append(the_vm({"Owner": "batch-team@contoso.example", "env": "prod"}))
    identities, status = scanned(fake_azure, catalogs)
    vm = identities[VM_IN_GRAPH]
    assert vm.kind == "managed_identity" and vm.owner == "batch-team@contoso.example"
    assert "owner" not in vm.unknown and vm.attributes["owner_from"] == VM_IN_ARM
    assert status[("NHI-OWN-001", VM_IN_GRAPH)] == "pass"


def test_a_system_assigned_identity_whose_resource_names_no_owner_has_none(fake_azure, catalogs) -> None:
    """The resource was read and names nobody: nobody is accountable for it or for its identity."""
    system_assigned(fake_azure, ["isExplicit=False", VM_IN_GRAPH])
    fake_azure.state.resource_graph.append(the_vm({"env": "prod"}))
    identities, status = scanned(fake_azure, catalogs)
    assert identities[VM_IN_GRAPH].owner is None and "owner" not in identities[VM_IN_GRAPH].unknown
    assert status[("NHI-OWN-001", VM_IN_GRAPH)] == "fail"


def test_a_system_assigned_identity_whose_resource_was_not_read_has_an_unknown_owner(fake_azure, catalogs) -> None:
    """Before, its owner was taken as absent: NHI-OWN-001 failed every system-assigned identity."""
    system_assigned(fake_azure, ["isExplicit=False", VM_IN_GRAPH])  # Resource Graph does not show the VM
    identities, status = scanned(fake_azure, catalogs)
    assert "owner" in identities[VM_IN_GRAPH].unknown
    assert status[("NHI-OWN-001", VM_IN_GRAPH)] == "unknown"
    fake_azure.state.resource_graph.append(the_vm({"owner": "batch-team@contoso.example"}))
    fake_azure.state.deny.add("/providers/Microsoft.ResourceGraph")
    identities, status = scanned(fake_azure, catalogs)
    assert status[("NHI-OWN-001", VM_IN_GRAPH)] == "unknown", "the query was refused"


def test_a_managed_identity_whose_resource_cannot_be_told_has_an_unknown_owner(fake_azure, catalogs) -> None:
    system_assigned(fake_azure, ["isExplicit=False"])
    identities, status = scanned(fake_azure, catalogs)
    uid = f"azure:mi:{VM_SP}"
    assert "owner" in identities[uid].unknown
    assert status[("NHI-OWN-001", uid)] == "unknown"


def test_a_user_assigned_identity_whose_arm_record_was_not_read_has_an_unknown_owner(fake_azure, catalogs) -> None:
    """mi-payments carries an owner tag in ARM; the userAssignedIdentities list is refused."""
    fake_azure.state.deny.add(f"/subscriptions/{PROD}/providers/Microsoft.ManagedIdentity/userAssignedIdentities")
    identities, status = scanned(fake_azure, catalogs)
    assert "owner" in identities[MI_ID].unknown
    assert status[("NHI-OWN-001", MI_ID)] == "unknown"
    fake_azure.state.deny.clear()
    identities, status = scanned(fake_azure, catalogs)
    assert identities[MI_ID].owner == "payments@contoso.example" and "owner" not in identities[MI_ID].unknown
    assert status[("NHI-OWN-001", MI_ID)] == "pass"
