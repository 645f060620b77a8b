"""Joining what different sources saw: an agent's declared runtime identity to the identity a
cloud source collected.

Agents name their runtime identity the way their platform does: an AWS role ARN, an Entra
application (client) id, a GCP service-account e-mail. Cloud sources key identities by their own
uids, so each agent whose ``runs_as`` is an alias of a collected identity is pointed at that
identity's uid; its effective reach then includes the identity's grants.
"""

from __future__ import annotations

from scanner.model import Inventory

ALIAS_ATTRIBUTES = ("app_id", "client_id", "email", "principal_id", "arn")


def link_runtime_identities(inventory: Inventory) -> int:
    """Resolve aliases in place; returns how many agents were linked."""
    uids = {identity.uid for identity in inventory.identities}
    unresolved = [agent for agent in inventory.agents if agent.runs_as and agent.runs_as not in uids]
    if not unresolved:  # every agent names its identity by uid: no aliases to gather
        return 0
    aliases: dict[str, str] = {}
    # a service principal, not its application object, holds an application's role assignments
    for identity in sorted(inventory.identities, key=lambda i: i.kind != "service_principal"):
        aliases.setdefault(identity.uid.lower(), identity.uid)
        for key in ALIAS_ATTRIBUTES:
            value = identity.attributes.get(key)
            if isinstance(value, str) and value:
                aliases.setdefault(value.lower(), identity.uid)
    linked = 0
    for agent in unresolved:
        found = aliases.get((agent.runs_as or "").strip().lower())
        if found is not None:
            agent.attributes["runs_as_declared"] = agent.runs_as
            agent.runs_as = found
            linked += 1
    return linked
