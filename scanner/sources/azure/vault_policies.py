"""Key Vault access policies: the data-plane grants of a vault that does not use Azure RBAC.

A vault whose ``enableRbacAuthorization`` is not true (false, or absent, as older API versions left
it) authorizes reading its secrets, keys and certificates by the access policies in its
properties, outside any role assignment. Each policy names a principal by object id (a service
principal, a managed identity, a user or a group) and its permissions per kind; a compound entry
(``applicationId`` set) is that application acting for the principal. They become ``binding``
grants whose ``data_actions`` are the RBAC data actions that allow the same (secrets ``get`` is
``Microsoft.KeyVault/vaults/secrets/getSecret/action``), so the catalog judges them as it judges
Key Vault Secrets User.

The vaults are ARM's "Vaults - List By Subscription", one list per subscription, authorized at
the subscription (a refusal is a gap), not Azure Resource Graph, which leaves out without a word
the subscriptions and resources the caller may not read.
"""

from __future__ import annotations

from typing import Any

from scanner.model import Grant
from scanner.sources.azure.client import AzureCalls
from scanner.sources.azure.directory_roles import principals_by_object_id, principals_in_groups_among

VAULTS_API = "api-version=2023-07-01"
_VAULT = "Microsoft.KeyVault/vaults"
# access-policy permission (lower case) -> the data action of the RBAC model that allows the same, as
# the Key Vault built-in roles list them ("all" is every permission of the kind)
_DATA_ACTIONS: dict[str, dict[str, str]] = {
    "secrets": {
        "get": f"{_VAULT}/secrets/getSecret/action",
        "list": f"{_VAULT}/secrets/readMetadata/action",
        "all": f"{_VAULT}/secrets/*",
    },
    "keys": {
        "get": f"{_VAULT}/keys/read",
        "list": f"{_VAULT}/keys/read",
        "update": f"{_VAULT}/keys/update/action",
        "backup": f"{_VAULT}/keys/backup/action",
        "encrypt": f"{_VAULT}/keys/encrypt/action",
        "decrypt": f"{_VAULT}/keys/decrypt/action",
        "wrapkey": f"{_VAULT}/keys/wrap/action",
        "unwrapkey": f"{_VAULT}/keys/unwrap/action",
        "sign": f"{_VAULT}/keys/sign/action",
        "verify": f"{_VAULT}/keys/verify/action",
        "release": f"{_VAULT}/keys/release/action",
        "all": f"{_VAULT}/keys/*",
    },
    "certificates": {"get": f"{_VAULT}/certificates/read", "list": f"{_VAULT}/certificates/read"},
}


def vault_policy_grants(
    calls: AzureCalls,
    tenant: str,
    vaults: list[dict[str, Any]],
    every_list_read: bool,
    by_object_id: dict[str, str],
    by_app_id: dict[str, str],
    resolve_service_principals: bool,
) -> tuple[list[Grant], bool]:
    """The grants the access policies of ``vaults`` give the known principals (directly, through a
    group among their transitive members, or as the application of a compound entry,
    ``by_app_id``), and whether all of them were read: where not, any principal may read a vault's
    secrets through a policy nobody saw (``every_list_read`` False: a subscription's list of vaults
    was refused).
    ``resolve_service_principals``: look up the service principals a policy names that are not in
    ``by_object_id`` (a shard that does not read the whole tenant)."""
    complete = every_list_read
    named: list[tuple[str, dict[str, Any], dict[str, Any]]] = []  # (object id, vault, policy)
    for vault in vaults:
        properties = vault.get("properties")
        if not isinstance(properties, dict):
            complete = False  # a vault listed without its properties: its policies unread
            continue
        if properties.get("enableRbacAuthorization") is True:
            continue  # the data plane is Azure RBAC's: its access policies are ignored
        policies = properties.get("accessPolicies")
        if not isinstance(policies, list):
            complete = complete and policies is None  # none listed is none held
            continue
        for policy in policies:
            if isinstance(policy, dict) and policy.get("objectId"):
                named.append((str(policy["objectId"]).lower(), vault, policy))
    unresolved = sorted(
        {
            object_id
            for object_id, _, policy in named
            if object_id not in by_object_id and not policy.get("applicationId")
        }
    )
    if resolve_service_principals and unresolved:
        found = principals_by_object_id(calls, tenant, unresolved)
        complete = complete and found is not None
        by_object_id.update(found or {})
        unresolved = [object_id for object_id in unresolved if object_id not in by_object_id]
    members, members_read = principals_in_groups_among(
        calls, tenant, unresolved, by_object_id, resolve_service_principals
    )
    grants = []
    for object_id, vault, policy in named:
        application = str(policy.get("applicationId") or "").lower()
        if application:  # the application, acting for the principal named: the principal alone has nothing
            holder = by_app_id.get(application)
            if holder is not None:
                grants.append(vault_policy_grant(holder, vault, policy, for_principal=object_id))
            continue
        holder = by_object_id.get(object_id)
        if holder is not None:
            grants.append(vault_policy_grant(holder, vault, policy))
        for member in members.get(object_id, ()):
            grants.append(vault_policy_grant(member, vault, policy, via_group=object_id))
    return grants, complete and members_read


def vault_policy_grant(
    holder: str,
    vault: dict[str, Any],
    policy: dict[str, Any],
    via_group: str | None = None,
    for_principal: str | None = None,
) -> Grant:
    """One access policy of a vault as the grant of one principal: ``via_group``, the group the
    policy names, which the principal is in; ``for_principal``, the principal a compound entry lets
    the holder, its application, act for."""
    vault_id = str(vault.get("id"))
    given = policy.get("permissions")
    permissions: dict[str, Any] = given if isinstance(given, dict) else {}
    listed = {kind: _names(permissions.get(kind)) for kind in ("keys", "secrets", "certificates", "storage")}
    attributes: dict[str, Any] = {
        "vault": vault_id,
        "permissions": {kind: names for kind, names in listed.items() if names},
        "data_actions": _data_actions(listed),
    }
    if for_principal:
        attributes["for_principal"] = for_principal
    if via_group:
        attributes["via_group"] = via_group
    return Grant(
        holder,
        "binding",
        f"Key Vault access policy of {vault.get('name') or vault_id}",
        resources=[vault_id],
        source="keyVaultAccessPolicy",
        uid=f"{holder}#accessPolicy:{vault_id}"
        + (f" for {for_principal}" if for_principal else "")
        + (f" via {via_group}" if via_group else ""),
        attributes=attributes,
    )


def _names(value: Any) -> list[str]:
    return [str(name) for name in value] if isinstance(value, list) else []


def _data_actions(listed: dict[str, list[str]]) -> list[str]:
    """The RBAC data actions the permissions amount to; a permission no data action judged by the
    catalog stands for (secrets ``set``, a storage account's keys) stays in ``permissions`` only."""
    actions = {_DATA_ACTIONS.get(kind, {}).get(name.lower()) for kind, names in listed.items() for name in names}
    return sorted(action for action in actions if action is not None)
