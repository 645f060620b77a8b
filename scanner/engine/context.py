"""An inventory indexed for evaluation: links between records, resolved once per scan."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from scanner.engine.capabilities import UNKNOWN_TOOL_TAG, CapabilityCatalog, denied_whole
from scanner.engine.classification import Classification, classify
from scanner.engine.declarations import (
    COLLECTED_ATTRIBUTE,
    AccountDeclaration,
    canonical_environment,
    outside_account,
    placed,
)
from scanner.model import (
    SOURCE_PROVIDERS,
    Account,
    Agent,
    Credential,
    Grant,
    Identity,
    Inventory,
    LogSource,
    SourceStatus,
    is_stand_in,
)

if TYPE_CHECKING:
    from scanner.engine.controls import CompiledControl

GRANTS_READ = ("identity", "grants")  # the evidence a control reads that a stand-in holds (see records_judged_by)
# What a grant's tags are computed from: when one of these was not collected, its tags are partial.
GRANT_EVIDENCE = ("actions", "resources")
UNJUDGED_ROLE_NEVER = frozenset({"admin", "basic_role"})
_STATUS_RANK = {"complete": 0, "partial": 1, "failed": 2}
INVENTORY_LISTS = {
    "identity": "identities",
    "credential": "credentials",
    "grant": "grants",
    "agent": "agents",
    "log_source": "log_sources",
    "account": "accounts",
}


class EvalContext:
    def __init__(
        self,
        inventory: Inventory,
        as_of: datetime,
        capabilities: CapabilityCatalog,
        baseline_reach: dict[str, frozenset[str]] | None = None,
        declared_accounts: Mapping[str, AccountDeclaration] | None = None,
    ) -> None:
        self.inventory = inventory
        self.declared_accounts = declared_accounts or {}  # nhiscan.yaml's, for accounts outside the scan
        self.baseline_reach = baseline_reach  # agent uid -> capability tags in the --baseline scan
        self.as_of = as_of
        self.capabilities = capabilities
        self.identities: dict[str, Identity] = {i.uid: i for i in inventory.identities}
        self._held_here: list[Identity] | None = None  # the identities but stand-ins, once asked for
        self._stand_in_ids: frozenset[int] | None = None
        self.agents_by_uid: dict[str, Agent] = {a.uid: a for a in inventory.agents}
        self.accounts: dict[str, Account] = {}
        for account in inventory.accounts:
            self.accounts.setdefault(account.uid, _environment_named(account))
        self.credentials_by_holder: dict[str, list[Credential]] = defaultdict(list)
        for credential in inventory.credentials:
            if credential.identity_uid:
                self.credentials_by_holder[credential.identity_uid].append(credential)
        self.grants_by_holder: dict[str, list[Grant]] = defaultdict(list)
        for grant in inventory.grants:
            self.grants_by_holder[grant.identity_uid].append(grant)
        self.agents_by_runtime: dict[str, list[Agent]] = defaultdict(list)
        self.agents_by_account: dict[str, list[Agent]] = defaultdict(list)
        # agents whose runtime identity is not known (versions not read, or running as several): an
        # identity of their account that could run them may be one they run as (see could_run)
        self.unplaced_agents: dict[str, list[Agent]] = defaultdict(list)
        for agent in inventory.agents:
            for runtime in _runtimes(agent):
                self.agents_by_runtime[runtime].append(agent)
            self.agents_by_account[agent.account].append(agent)
            if agent.unknown and "runs_as" in agent.unknown:
                self.unplaced_agents[agent.account].append(agent)
        self.agents_unread_elsewhere = self._agents_unread_by_host(inventory.sources)
        self.identities_by_account: dict[str, list[Identity]] = defaultdict(list)
        for identity in inventory.identities:
            self.identities_by_account[identity.account].append(identity)
        self.log_sources_by_account: dict[str, list[LogSource]] = defaultdict(list)
        for log_source in inventory.log_sources:
            self.log_sources_by_account[log_source.account].append(log_source)
        self.collection_status: dict[str, str] = {}
        for status in inventory.sources:
            current = self.collection_status.get(status.account, "complete")
            if _STATUS_RANK[status.status] >= _STATUS_RANK[current]:
                self.collection_status[status.account] = status.status
        self._grant_tags: dict[str, frozenset[str]] = {}
        self._denied_of: dict[str, tuple[str, ...]] = {}  # holder uid -> its unconditional Deny patterns
        self._identity_tags: dict[str, frozenset[str]] = {}
        self._agent_tags: dict[str, frozenset[str]] = {}
        self._classes: dict[str, Classification] = {}
        self._identity_gaps: dict[str, str | None] = {}  # asked for each identity by every control reading its tags
        # id of a grant, identity or agent of the inventory (held as long as the context) -> its
        # capabilities field (tags, or Incomplete): the same whichever of the controls reading it asks
        self.capability_values: dict[int, Any] = {}

    def _agents_unread_by_host(self, sources: list[SourceStatus]) -> dict[str, list[tuple[str, str]]]:
        """Accounts (uid, name) whose agents were not all read (a repository with a manifest that
        could not be read or parsed says so), or that hold an agent whose runtime identity is not
        known, by whose identities such an agent may run as (``_host_key``); and the accounts of
        failed sources the inventory holds no record of."""
        unread: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for account in self.accounts.values():
            if (account.unknown and "agents" in account.unknown) or self.unplaced_agents.get(account.uid):
                unread[self._host_key(account.provider, account.uid)].append((account.uid, account.name or account.uid))
        for source in sources:
            provider = SOURCE_PROVIDERS.get(source.name)
            if provider is not None and source.status == "failed" and source.account not in self.accounts:
                unread[self._host_key(provider, source.account)].append((source.account, source.account))
        return dict(unread)

    def _host_key(self, provider: str, account_uid: str) -> str:
        """What an account's agents may run as: a manifest's agent, any identity it names; an agent
        in an Azure subscription, any identity of its tenant (a user-assigned managed identity or a
        service principal of another subscription); in a GCP project, a service account of any
        project; a Bedrock agent, only a role of its own account (its service role is passed in
        that account)."""
        if provider == "manifest":
            return "manifest"
        if provider == "azure":  # a subscription the inventory holds no record of: its tenant is not known
            return f"azure:{self._root(account_uid)}" if account_uid in self.accounts else _ANY_AZURE_TENANT
        return provider if provider == "gcp" else f"{provider}:{account_uid}"

    def _root(self, account_uid: str) -> str:
        """The topmost account above one (an Azure subscription's tenant)."""
        seen = {account_uid}
        account = self.accounts.get(account_uid)
        while account is not None and account.parent and account.parent not in seen:
            seen.add(account.parent)
            account_uid, account = account.parent, self.accounts.get(account.parent)
        return account_uid

    def agents_unread_elsewhere_for(self, identity: Identity) -> str | None:
        """An account other than the identity's own whose unread agents may run as it, or None."""
        if not self.agents_unread_elsewhere:
            return None
        keys = ["manifest", self._host_key(identity.provider, identity.account)]
        if identity.provider == "azure":
            keys.append(_ANY_AZURE_TENANT)
        for key in keys:
            for uid, name in self.agents_unread_elsewhere.get(key, ()):
                if uid != identity.account:  # its own: see account_gap and could_run
                    return name
        return None

    # ------------------------------------------------------------------ records by type

    def records(self, resource_type: str) -> list[Any]:
        records: list[Any] = getattr(self.inventory, INVENTORY_LISTS[resource_type])
        return records

    def _stand_ins(self) -> frozenset[int]:
        """The ``id`` of each identity another shard reads whole (``is_stand_in``), worked out once:
        most scans hold none."""
        if self._stand_in_ids is None:
            self._stand_in_ids = frozenset(id(i) for i in self.inventory.identities if is_stand_in(i))
        return self._stand_in_ids

    def stand_ins_among(self, records: list[Any]) -> frozenset[int] | None:
        """The stand-ins' ``id`` when ``records`` are the identities and hold any, else None."""
        return (self._stand_ins() or None) if records is self.inventory.identities else None

    def records_judged_by(self, compiled: CompiledControl) -> tuple[list[Any], str]:
        """The records a control judges, and a name for that listing: every record of its type, but
        for the stand-ins, which only the controls on an identity's grants judge."""
        resource_type = compiled.control.resource
        records = self.records(resource_type)
        if resource_type != "identity" or GRANTS_READ in compiled.reads or not self._stand_ins():
            return records, resource_type
        if self._held_here is None:
            stand_ins = self._stand_ins()
            self._held_here = [identity for identity in records if id(identity) not in stand_ins]
        return self._held_here, "identity held here"

    # ------------------------------------------------------------------ capabilities

    def grant_tags(self, grant: Grant) -> frozenset[str]:
        """The tags a grant certainly carries (all of them, unless ``grant_gap`` names a gap), less
        the actions an unconditional Deny of its holder's takes away on every resource."""
        cached = self._grant_tags.get(grant.uid)
        if cached is None:
            provider = self._provider_of(grant)
            tags = self.capabilities.grant_tags(grant, provider, self._holder_denied(grant.identity_uid))
            cached = self._grant_tags[grant.uid] = _certain(grant, tags)
        return cached

    def _holder_denied(self, holder_uid: str) -> tuple[str, ...]:
        """``_denied`` of the holder's grants, worked out once per holder."""
        denied = self._denied_of.get(holder_uid)
        if denied is None:
            denied = self._denied_of[holder_uid] = self._denied(self.grants_by_holder.get(holder_uid, ()))
        return denied

    def grant_gap(self, grant: Grant) -> str | None:
        """What was not collected about what a grant allows, or None when all of it was (or where
        it is not needed: an Azure built-in role the catalog judges by its name); or, for a GCP
        predefined role the catalog does not judge, or a tool it does not know, that nobody judged
        what it allows."""
        provider = self._provider_of(grant)
        if grant.unknown and any(name in grant.unknown for name in GRANT_EVIDENCE):
            if self.capabilities.judged_by_name(grant, provider):
                return None
            return f"policy document of {grant.name}"
        if self.capabilities.unjudged_role(grant, provider):  # the catalog does not name it
            return f"reach of {'app permission' if grant.kind == 'app_permission' else 'role'} {grant.name}"
        if grant.kind == "tool" and UNKNOWN_TOOL_TAG in self.grant_tags(grant):  # nor says what it reaches
            return f"reach of tool {grant.name}"
        return None

    def grant_gap_never(self, grant: Grant) -> frozenset[str]:
        """The tags what ``grant_gap`` names cannot add: a GCP predefined role nobody judged is never
        a basic role (Owner, Editor and Viewer are judged) nor administration."""
        return UNJUDGED_ROLE_NEVER if self.capabilities.unjudged_role(grant, self._provider_of(grant)) else frozenset()

    def identity_gap_never(self, identity: Identity) -> frozenset[str]:
        """The tags no gap of the identity's grants can add (see ``grant_gap_never``)."""
        if identity.unknown and "grants" in identity.unknown:
            return frozenset()
        never = UNJUDGED_ROLE_NEVER
        for grant in self.grants_by_holder.get(identity.uid, ()):
            if self.grant_gap(grant) is not None:
                never &= self.grant_gap_never(grant)
        return never

    def agent_gap_never(self, agent: Agent) -> frozenset[str]:
        """The tags an agent's gap cannot add: only where the gap is its runtime identity's grants."""
        runtime = self.identities.get(agent.runs_as) if agent.runs_as else None
        if runtime is None or is_stand_in(runtime) or self._agent_own_gap(agent) is not None:
            return frozenset()
        return self.identity_gap_never(runtime)

    def _provider_of(self, grant: Grant) -> str:
        """The provider whose catalog rules judge a grant: its holder's."""
        holder = self.holder(grant.identity_uid)
        return holder.provider if holder is not None else "aws"

    def identity_gap(self, identity: Identity) -> str | None:
        """What was not collected about an identity's grants, or None when all of it was."""
        gap = self._identity_gaps.get(identity.uid, _NOT_YET)
        if gap is _NOT_YET:
            gap = self._identity_gaps[identity.uid] = self._find_identity_gap(identity)
        return gap

    def _find_identity_gap(self, identity: Identity) -> str | None:
        if identity.unknown and "grants" in identity.unknown:
            return f"grants of {identity.name or identity.uid}"
        for grant in self.grants_by_holder.get(identity.uid, ()):
            if gap := self.grant_gap(grant):
                return gap
        return None

    def agent_gap(self, agent: Agent) -> str | None:
        """What was not collected about an agent's reach: its tools, what a tool reaches (one the
        capability catalog does not know), or its runtime identity (unread, or none declared, as in
        MCP client configurations: the agent then acts with whatever its host holds)."""
        own = self._agent_own_gap(agent)
        if own is not None or not agent.runs_as:  # without runs_as, its own gap names that
            return own
        runtime = self.identities.get(agent.runs_as)
        if runtime is None or is_stand_in(runtime):  # a stand-in holds only this shard's grants
            return f"runtime identity {agent.runs_as}"
        return self.identity_gap(runtime)

    def _agent_own_gap(self, agent: Agent) -> str | None:
        """``agent_gap`` but for what its runtime identity's grants leave out."""
        if agent.unknown and "tools" in agent.unknown:
            return f"tools of {agent.name or agent.uid}"
        if agent.unknown and "runs_as" in agent.unknown:
            return f"runtime identity of {agent.name or agent.uid}"
        for tool in self.grants_by_holder.get(agent.uid, ()):
            if gap := self.grant_gap(tool):
                return gap
        if not agent.runs_as:  # none declared: it acts with whatever its host or caller holds
            return f"runtime identity of {agent.name or agent.uid}"
        return None

    def account_gap(self, account_uid: str, name: str) -> str | None:
        """``name`` (agents, log_sources, ...) when the scan did not collect it for this account."""
        account = self.accounts.get(account_uid)
        if account is not None and account.unknown and name in account.unknown:
            return f"{name} of account {account.name or account.uid}"
        return None

    def identity_tags(self, identity: Identity) -> frozenset[str]:
        cached = self._identity_tags.get(identity.uid)
        if cached is None:
            grants = self.grants_by_holder.get(identity.uid, ())
            denied = self._holder_denied(identity.uid)
            tags: set[str] = set()
            actions: set[str] = set()
            for grant in grants:
                if grant.attributes.get("effect") == "Deny":
                    continue
                tags |= self.grant_tags(grant)  # the holder's denials taken away already
                allowed = self.capabilities.effective_actions(grant, identity.provider)
                if denied:
                    actions.update(a for a in allowed if not denied_whole(a, denied))
                else:
                    actions.update(allowed)
            if actions:
                tags |= self.capabilities.combined_tags(identity.provider, actions)
            cached = self._identity_tags[identity.uid] = frozenset(tags)
        return cached

    @staticmethod
    def _denied(grants: Iterable[Grant]) -> tuple[str, ...]:
        """Unconditional Deny patterns on every resource: what the holder can never do. A Deny grant
        that also names other resources (an inventory written before the AWS source kept Deny
        statements on named resources apart) cannot say which of its actions are denied everywhere,
        so none of them is taken as such."""
        return tuple(
            action.lower()
            for grant in grants
            if grant.attributes.get("effect") == "Deny"
            and grant.resources == ["*"]
            and not grant.attributes.get("not_resources")
            and not grant.attributes.get("conditional")
            for action in grant.actions
        )

    def agent_tags(self, agent: Agent) -> frozenset[str]:
        """An agent's reach: its own tools plus what its runtime identity may do."""
        cached = self._agent_tags.get(agent.uid)
        if cached is None:
            tags: set[str] = set()
            for tool in self.grants_by_holder.get(agent.uid, ()):
                tags |= self.grant_tags(tool)
            runtime = self.identities.get(agent.runs_as or "")
            if runtime is not None:
                tags |= self.identity_tags(runtime)
            cached = self._agent_tags[agent.uid] = frozenset(tags)
        return cached

    def classification(self, identity: Identity) -> Classification:
        cached = self._classes.get(identity.uid)
        if cached is None:
            cached = self._classes[identity.uid] = classify(identity)
        return cached

    def holder(self, uid: str | None) -> Identity | Agent | None:
        """The identity or agent that holds a credential or grant (agents hold their tools)."""
        if not uid:
            return None
        return self.identities.get(uid) or self.agents_by_uid.get(uid)

    # ------------------------------------------------------------------ accounts

    def account_record(self, uid: str, provider: str = "aws") -> Account:
        """The account with this uid; one outside the scan (named in a trust) is marked external, and
        its environment is not known (the scan never read its tags) unless nhiscan.yaml declares it."""
        return self.accounts.get(uid) or outside_account(uid, provider, self.declared_accounts.get(uid))


_NOT_YET: Any = object()


def _environment_named(account: Account) -> Account:
    """The account with its environment as the controls name it ("Prod" from a tag is
    production); one no control can place ("blue", "prod-dev") is unknown, what was read kept
    beside it. The inventory's record keeps what was read."""
    named = canonical_environment(account.environment)
    if not placed(named) and "environment" not in account.unknown:
        return dataclasses.replace(
            account,
            environment=None,
            unknown=[*account.unknown, "environment"],
            attributes={**account.attributes, COLLECTED_ATTRIBUTE: account.environment},
        )
    return account if named == account.environment else dataclasses.replace(account, environment=named)


def _certain(grant: Grant, tags: frozenset[str]) -> frozenset[str]:
    """Leave out ``admin`` when the resources a grant covers were not collected: on named resources
    only, ``*`` is not administration, so the tag is not certain."""
    if grant.unknown and "resources" in grant.unknown and "admin" in tags:
        return tags - {"admin"}
    return tags


def _runtimes(agent: Agent) -> list[str]:
    """The identities an agent is known to run as: its runtime identity, and where its serving
    versions run as different roles (``runs_as`` then unknown), each of those."""
    found = [agent.runs_as] if agent.runs_as else []
    versions = agent.attributes.get("versions")
    if isinstance(versions, dict):
        for settings in versions.values():
            role = settings.get("runs_as") if isinstance(settings, dict) else None
            if isinstance(role, str) and role and role not in found:
                found.append(role)
    return found


_ANY_AZURE_TENANT = "azure:?"  # what an unread subscription of no known tenant may host


def could_run(agent: Agent, identity: Identity) -> bool:
    """Whether ``identity`` may be the runtime identity of ``agent``, whose own is not known: a
    Bedrock agent runs as a role that trusts bedrock.amazonaws.com; of other agents, any identity."""
    if agent.platform != "bedrock-agent":
        return True
    trust = identity.attributes.get("trust") or []
    return identity.kind == "role" and any(
        isinstance(entry, dict) and entry.get("principal") == "bedrock.amazonaws.com" for entry in trust
    )
