"""The ``azure`` source: an Entra tenant (Microsoft Graph) and its subscriptions (Azure Resource
Manager), read with azure-identity's DefaultAzureCredential (environment, workload identity,
managed identity, Azure CLI …). ``azure:TENANT`` names the tenant the credentials must reach."""

from __future__ import annotations

from scanner.errors import SourceReadError, UsageError
from scanner.model import Inventory
from scanner.sources import SourceInfo, SourceSpec, register

# Read-only application permissions (Graph) and Azure roles; docs/permissions/azure.md explains each.
PERMISSIONS = (
    "graph:Application.Read.All",
    "graph:Directory.Read.All",
    "graph:RoleManagement.Read.Directory",
    "graph:AuditLog.Read.All",
    "azure:Reader",
    "azure:Monitoring Reader",
)


def collect(spec: SourceSpec) -> Inventory:
    from azure.core.exceptions import ClientAuthenticationError
    from azure.identity import DefaultAzureCredential

    from scanner.sources.azure.collector import collect_azure

    credential = spec.options.get("azure_credential") or DefaultAzureCredential()
    try:
        inventory = collect_azure(credential, spec.argument, shard=spec.options.get("shard"))
    except ClientAuthenticationError as error:
        raise SourceReadError(f"azure: no usable credentials ({str(error).splitlines()[0][:200]})") from None
    tenant = inventory.accounts[0].uid
    if spec.argument and tenant != spec.argument:
        raise UsageError(f"azure:{spec.argument}: the credentials reach tenant {tenant}")
    return inventory


register(
    SourceInfo(
        name="azure",
        summary="Entra tenant and its subscriptions (DefaultAzureCredential; TENANT optional)",
        collect=collect,
        permissions=PERMISSIONS,
        argument="TENANT",
        divides_accounts=True,
    )
)
