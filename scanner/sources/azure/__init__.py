"""The ``azure`` source: an Entra tenant (Microsoft Graph) and its subscriptions (Azure Resource
Manager), read with azure-identity's DefaultAzureCredential (environment, workload identity,
managed identity, Azure CLI …) against the cloud ``--azure-cloud`` names (public, usgov, usgov-dod, china).
``azure:TENANT`` names the tenant the credentials must reach."""

from __future__ import annotations

import logging

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
    "azure:microsoft.aadiam/diagnosticSettings/read",
)


# How azure-identity says a credential of its chain is not set up on this machine at all (as opposed
# to set up and failing): unavailable, or its tool or package missing
_NOT_SET_UP = ("unavailable", "not configured", "not installed", "not found", "could not be found", "to be installed")


def credential_problem(error: Exception) -> str:
    """The line of azure-identity's message that says why: the credential that was configured and
    failed, rather than the chain's header or the ones that were not configured at all."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    attempts = [line for line in lines if line.split(":")[0].endswith("Credential") and ":" in line]
    failed = [line for line in attempts if not any(words in line.lower() for words in _NOT_SET_UP)]
    chosen = (failed or attempts or lines or [type(error).__name__])[0]
    return chosen[:300]


def collect(spec: SourceSpec) -> Inventory:
    from azure.core.exceptions import ClientAuthenticationError
    from azure.identity import DefaultAzureCredential

    from scanner.exits import OWN_LOGGER
    from scanner.sources.azure.client import AzureCalls
    from scanner.sources.azure.clouds import KNOWN_AUTHORITIES, resolve_cloud
    from scanner.sources.azure.collector import collect_azure

    if not logging.getLogger(OWN_LOGGER).isEnabledFor(logging.DEBUG):  # --debug lets its warnings through
        # azure-identity logs every credential it tried; the one line nhiscan prints says it all
        logging.getLogger("azure").setLevel(logging.CRITICAL)
    cloud = resolve_cloud(spec.options.get("azure_cloud"))
    # an authority host of nhiscan's own (NHISCAN_AZURE_AUTHORITY) is unknown to Entra's instance discovery
    private = cloud.authority not in KNOWN_AUTHORITIES
    try:
        credential = spec.options.get("azure_credential") or DefaultAzureCredential(
            authority=cloud.authority, **({"disable_instance_discovery": True} if private else {})
        )
    except ValueError as error:  # a malformed setting, e.g. AZURE_CLIENT_ID set but empty
        raise SourceReadError(f"azure: no usable credentials ({credential_problem(error)})") from None
    try:
        inventory = collect_azure(credential, spec.argument, AzureCalls(credential, cloud), spec.options.get("shard"))
    except ClientAuthenticationError as error:
        raise SourceReadError(f"azure: no usable credentials ({credential_problem(error)})") from None
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
