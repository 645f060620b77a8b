"""The fields and relations a control may name, per resource type.

Each field is an accessor ``(record, ctx) -> value``. A value the source could not collect is
``UNKNOWN``; a value the source collected only part of is ``Incomplete`` (what was collected, a
lower bound: tags an identity certainly holds, agents known to use it). Conditions turn either
into an unknown result unless the part collected already decides it. Naming a field or relation
that is not listed here is a load error for the control.

Every accessor and relation declares the evidence it reads (``reads``): pairs of a record type and
the name a source puts in that record's ``unknown`` list when it could not collect it. The
no-evidence-no-pass check (``scanner.engine.evidence``) withholds each of them in turn and proves
the control is then unknown, never pass.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from operator import attrgetter
from typing import Any

from scanner.arn_patterns import every_action_of_a_service, every_resource, every_resource_of_a_type, whole_service
from scanner.engine.claims_expression import admitted
from scanner.engine.classification import HUMAN, UNCLASSIFIED
from scanner.engine.context import EvalContext, could_run
from scanner.engine.federation_conditions import condition_names_someone
from scanner.engine.trust import CALLER_KEYS, SOURCE_KEYS, condition_accounts, entry_subject_specific, restricting_keys
from scanner.model import COUNTS_ATTEMPTS, is_stand_in


class _Unknown:
    __slots__ = ()

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Any = _Unknown()


class Incomplete:
    """Part of a value: ``known`` was collected (tags, records, or a count as a lower bound), the
    rest was not; ``reason`` names what is missing ("grants of ci-deploy"); ``never`` holds the
    items the missing rest cannot hold (tags a GCP role nobody judged cannot carry)."""

    __slots__ = ("known", "never", "reason")

    def __init__(self, known: Any, reason: str, never: frozenset[str] = frozenset()) -> None:
        self.known = known
        self.reason = reason
        self.never = never

    def __repr__(self) -> str:
        return f"Incomplete({self.known!r}, {self.reason!r})"


Accessor = Callable[[Any, EvalContext], Any]
Evidence = tuple[str, str]  # (record type, name a source marks not collected on that record)


def reads(*evidence: Evidence) -> Callable[[Accessor], Accessor]:
    """Declare the evidence an accessor or relation reads."""

    def declare(accessor: Accessor) -> Accessor:
        accessor.reads = evidence  # type: ignore[attr-defined]
        return accessor

    return declare


def evidence_read(accessor: Any) -> tuple[Evidence, ...]:
    return tuple(getattr(accessor, "reads", ()))


def _marked(record: Any, name: str) -> bool:
    return bool(record.unknown) and name in record.unknown


def _attr(rtype: str, name: str) -> Accessor:
    @reads((rtype, name))
    def get(record: Any, ctx: EvalContext) -> Any:
        if record.unknown and name in record.unknown:
            return UNKNOWN
        return getattr(record, name)

    get.attribute = name  # type: ignore[attr-defined]  # lets the compiler inline plain attributes
    return get


# What is written where an owner's name should be, and names nobody: a placeholder word (alone or
# beside "owner": owner-tbd), a template's or a variable's slot not filled in (<team-name>, ${OWNER},
# $OWNER, $(OWNER), {{ .Values.owner }}, %OWNER%, #{owner}, __OWNER__, @@OWNER@@), "your-team@…",
# or marks (dashes, question marks, dots). Matched against the owner stripped (no surrounding \s*:
# a pattern that starts and ends with one backtracks in time of the square of a run of spaces).
_NO_ONE = re.compile(
    r"(?i)(?:"
    r"(?:owner[-_ ]?)?(?:tb[acd]|todo|fixme|unknown|unassigned|undefined|none(?: yet)?|null|nil|n/?a\.?|n\.a\.?"
    r"|owner|owner[-_ ]?name|change[-_ ]?me|replace[-_ ]?me|placeholder|nobody|no one)(?:[-_ ]?owner)?"
    r"|@owner|(?-i:your)[-_]\S*"
    r"|<[^<>@]*>|\$\{[^{}]*\}|\$\([^()]*\)|\$[a-z_][a-z0-9_]*|\{\{.*\}\}|%[a-z_][a-z0-9_]*%|#\{[^{}]*\}"
    r"|__[a-z0-9_]+__|@@[a-z0-9_]+@@"
    r"|[-\u2013\u2014_]+|\?+|x+|\.+"
    r")?"
)


def _named_owner(rtype: str) -> Accessor:
    """The owner a record names: none where it holds a placeholder ("TBD", "unknown", "n/a", "-")."""

    @reads((rtype, "owner"))
    def get(record: Any, ctx: EvalContext) -> Any:
        if record.unknown and "owner" in record.unknown:
            return UNKNOWN
        owner = record.owner
        return None if isinstance(owner, str) and _NO_ONE.fullmatch(owner.strip()) else owner

    return get


def plain_attribute(accessor: Accessor) -> str | None:
    """The record attribute an accessor reads directly, or None for derived and dotted fields."""
    return getattr(accessor, "attribute", None)


def _days_since(rtype: str, name: str) -> Accessor:
    """Whole days from the timestamp ``name`` to the evaluation time (None if never set); a
    timestamp after it is 0 days or unknown (see ``_age``). A last use that counts attempts
    (``COUNTS_ATTEMPTS``) is a lower bound: the last successful use may be longer ago."""
    attempts = name == "last_used"

    @reads((rtype, name))
    def get(record: Any, ctx: EvalContext) -> Any:
        if record.unknown and name in record.unknown:
            return UNKNOWN
        value: datetime | None = getattr(record, name)
        if value is None:
            return None
        days = _age(value, ctx)
        if attempts and days is not UNKNOWN and record.attributes.get(COUNTS_ATTEMPTS) is True:
            return Incomplete(days, f"successful sign-ins of {record.name or record.uid}")
        return days

    get.dates = attrgetter(name)  # type: ignore[attr-defined]
    return get


def _age(since: datetime, ctx: EvalContext) -> Any:
    """Whole days from ``since`` to the evaluation time. A time after it is 0 days where the records
    were read at or before the evaluation time and it falls while they were being read (within
    READ_TAKES: a key used during a live scan); otherwise it says nothing of that day (an ``--as-of``
    before the records were read: a key created since, a use since; or a date after the read itself),
    and the age is unknown, never negative, which passed every age limit."""
    as_of = ctx.as_of
    if since <= as_of:
        return (as_of - since).days
    read_at = ctx.inventory.collected_at
    return 0 if read_at <= as_of and since - read_at <= READ_TAKES else UNKNOWN


READ_TAKES = timedelta(days=1)  # how long after its collection time a source may still be reading

DATED_AFTER = "counted from a date after the day judged"


def dated_after(accessor: Accessor, record: Any) -> bool:
    """Whether an age the ``accessor`` found unknown for ``record`` is unknown only because its date,
    collected, falls after the day judged (see ``_age``): a finding says so, not "not collected"."""
    dates = getattr(accessor, "dates", None)
    if dates is None or (record.unknown and any(name in record.unknown for _, name in evidence_read(accessor))):
        return False
    return dates(record) is not None


@reads(("credential", "expires"))
def _days_to_expiry(record: Any, ctx: EvalContext) -> Any:
    if record.unknown and "expires" in record.unknown:
        return UNKNOWN
    return None if record.expires is None else (record.expires - ctx.as_of).days


@reads(("credential", "active"), ("credential", "expires"))
def _active(record: Any, ctx: EvalContext) -> Any:
    """Whether a credential works at the evaluation time (``--as-of``), not when it was read: an
    export read today holds a secret that expired last year, and that secret was in force as of
    the year before."""
    if record.unknown and ("active" in record.unknown or "expires" in record.unknown):
        return UNKNOWN
    return record.active_at(ctx.as_of)


@reads(("credential", "expires"), ("credential", "created"))
def _validity_days(record: Any, ctx: EvalContext) -> Any:
    if record.unknown and ("expires" in record.unknown or "created" in record.unknown):
        return UNKNOWN
    if record.expires is None or record.created is None:
        return None
    return (record.expires - record.created).days


@reads(("credential", "created"), ("credential", "last_rotated"))
def _rotation_age(record: Any, ctx: EvalContext) -> Any:
    """Days since the secret material last changed: last rotation, else creation."""
    if record.unknown and ("created" in record.unknown or "last_rotated" in record.unknown):
        return UNKNOWN
    changed = record.last_rotated or record.created
    return None if changed is None else _age(changed, ctx)


_rotation_age.dates = lambda record: record.last_rotated or record.created  # type: ignore[attr-defined]


def _dotted(rtype: str, root: str, path: tuple[str, ...]) -> Accessor:
    full = ".".join((root, *path))

    @reads((rtype, full))
    def get(record: Any, ctx: EvalContext) -> Any:
        if record.unknown and (root in record.unknown or full in record.unknown):
            return UNKNOWN
        value: Any = getattr(record, root)
        for step in path:
            if not isinstance(value, dict):
                return None
            value = value.get(step)
        return value

    return get


@reads(("account", "environment"))
def _account_environment(record: Any, ctx: EvalContext) -> Any:
    """The environment of the record's account: unknown where the account's tags were not read,
    including an account the sources named but did not describe (unless nhiscan.yaml declares it)."""
    if not record.account:
        return None
    account = ctx.account_record(record.account, record.provider)
    return UNKNOWN if _marked(account, "environment") else account.environment


def _agents_gap(identity: Any, ctx: EvalContext) -> str | None:
    """Agents running as an identity are all known only where its account's agents were collected,
    and those of every account whose agents may run as it (a manifest's, another subscription of
    its tenant, another GCP project): a failed repository source left an agent sharing a role
    unseen, and the role passed NHI-PRIV-008."""
    if _marked(identity, "agents"):
        return f"agents of {identity.name or identity.uid}"
    for unplaced in ctx.unplaced_agents.get(identity.account, ()):
        if could_run(unplaced, identity):
            return f"runtime identity of {unplaced.name or unplaced.uid}"
    own = ctx.account_gap(identity.account, "agents")
    if own is not None:
        return own
    elsewhere = ctx.agents_unread_elsewhere_for(identity)
    return None if elsewhere is None else f"agents of account {elsewhere}"


@reads(("identity", "agents"), ("account", "agents"), ("agent", "runs_as"), ("identity", "attributes.workloads"))
def _consumer_count(record: Any, ctx: EvalContext) -> Any:
    """The agents and workloads using the identity; where either was not all read, the count of
    those read is a lower bound (two agents already share it, whatever else does)."""
    if _marked(record, "attributes"):
        return UNKNOWN
    workloads = record.attributes.get("workloads") or []
    count = len(ctx.agents_by_runtime.get(record.uid, ())) + len(workloads)
    gap = _agents_gap(record, ctx)
    if gap is None and _marked(record, "attributes.workloads"):
        gap = f"workloads of {record.name or record.uid}"
    return count if gap is None else Incomplete(count, gap)


_GRANT_TAG_EVIDENCE: tuple[Evidence, ...] = (("grant", "actions"), ("grant", "resources"))
_IDENTITY_TAG_EVIDENCE: tuple[Evidence, ...] = (("identity", "grants"), *_GRANT_TAG_EVIDENCE)
_AGENT_TAG_EVIDENCE: tuple[Evidence, ...] = (("agent", "tools"), ("agent", "runs_as"), *_IDENTITY_TAG_EVIDENCE)


@reads(*_GRANT_TAG_EVIDENCE)
def _grant_capabilities(grant: Any, ctx: EvalContext) -> Any:
    value = ctx.capability_values.get(id(grant))
    if value is None:
        value = _remembered(grant, ctx, ctx.grant_tags, ctx.grant_gap, ctx.grant_gap_never)
    return value


@reads(*_IDENTITY_TAG_EVIDENCE)
def _identity_capabilities(identity: Any, ctx: EvalContext) -> Any:
    value = ctx.capability_values.get(id(identity))
    if value is None:
        value = _remembered(identity, ctx, ctx.identity_tags, ctx.identity_gap, ctx.identity_gap_never)
    return value


@reads(*_AGENT_TAG_EVIDENCE)
def _agent_capabilities(agent: Any, ctx: EvalContext) -> Any:
    value = ctx.capability_values.get(id(agent))
    if value is None:
        value = _remembered(agent, ctx, ctx.agent_tags, ctx.agent_gap, ctx.agent_gap_never)
    return value


def _remembered(
    record: Any,
    ctx: EvalContext,
    tags_of: Callable[[Any], frozenset[str]],
    gap_of: Callable[[Any], str | None],
    never_of: Callable[[Any], frozenset[str]],
) -> Any:
    """A record's capabilities field, worked out once and kept for every control that reads it:
    its tags, or (where its gap names what was not collected) the tags known and what the gap
    cannot add."""
    tags, gap = tags_of(record), gap_of(record)
    value = ctx.capability_values[id(record)] = tags if gap is None else Incomplete(tags, gap, never_of(record))
    return value


@reads(("grant", "actions"))
def _wildcard_action(grant: Any, ctx: EvalContext) -> Any:
    if _marked(grant, "actions"):
        return UNKNOWN
    # an Allow with NotAction grants every action of each service it does not exclude
    return bool(grant.attributes.get("not_actions")) or any(map(every_action_of_a_service, grant.actions))


@reads(("grant", "resources"))
def _wildcard_resource(grant: Any, ctx: EvalContext) -> Any:
    if _marked(grant, "resources"):
        return UNKNOWN
    return any(every_resource(r) or whole_service(r) or every_resource_of_a_type(r) for r in grant.resources)


@reads(*_AGENT_TAG_EVIDENCE)
def _capabilities_added(agent: Any, ctx: EvalContext) -> Any:
    """Tags the agent holds now that it did not hold in the --baseline scan."""
    if ctx.baseline_reach is None or agent.uid not in ctx.baseline_reach:
        return UNKNOWN
    added = sorted(ctx.agent_tags(agent) - ctx.baseline_reach[agent.uid])
    gap = ctx.agent_gap(agent)
    return added if gap is None else Incomplete(added, gap)


@reads(("identity", "attributes.app_owner_tenant"))
def _third_party_app(record: Any, ctx: EvalContext) -> Any:
    """Whether a service principal's application is registered in another tenant (multi-tenant
    app of a third party); unknown where the owning tenant was not recorded."""
    owner_tenant = record.attributes.get("app_owner_tenant")
    if not owner_tenant or _marked(record, "attributes.app_owner_tenant"):
        return UNKNOWN
    return str(owner_tenant).lower() != str(record.account).lower()


@reads(("identity", "attributes.impersonators"))
def _human_impersonators(record: Any, ctx: EvalContext) -> Any:
    """People (users, groups, domains) a service account's own or inherited policy lets act as it."""
    found = record.attributes.get("impersonators")
    if found is None or "attributes.impersonators" in record.unknown:
        return UNKNOWN
    people = sorted({f"{entry.get('member')} ({entry.get('role')})" for entry in found if entry.get("human")})
    not_read = record.attributes.get("impersonation_roles_not_read")
    if not_read:  # people bound to roles whose permissions were not read may be more of them
        return Incomplete(people, f"permissions of {', '.join(map(str, not_read[:3]))}")
    through = record.attributes.get("impersonated_through_unread")
    if through:  # an account that may act as it, whose own impersonators are not all known
        return Incomplete(people, f"who may act as {', '.join(map(str, through[:3]))}")
    pools = record.attributes.get("pool_policies_unread")
    if pools:  # who may administer a pool it trusts (the pool's own policy is not read)
        return Incomplete(people, f"IAM policy of {', '.join(map(str, pools[:3]))}")
    return people


@reads(("account", "attributes.workload_identity_providers"))
def _open_identity_providers(record: Any, ctx: EvalContext) -> Any:
    """Enabled workload identity providers of a project that accept any token of their issuer."""
    providers = record.attributes.get("workload_identity_providers")
    if providers is None or "attributes.workload_identity_providers" in record.unknown:
        return UNKNOWN
    open_providers = []
    for provider in providers:
        if provider.get("disabled") or provider.get("state", "ACTIVE") not in ("", "ACTIVE"):
            continue
        condition = provider.get("attribute_condition")
        if not condition:
            open_providers.append(str(provider.get("name")))
        elif not condition_names_someone(str(condition)):  # `true`, `assertion.sub != ''`: everyone still
            open_providers.append(f"{provider.get('name')} (its condition names no one: {str(condition)[:80]})")
    return open_providers


@reads(("identity", "interactive"), ("identity", "trust"))
def _human(record: Any, ctx: EvalContext) -> Any:
    """True for a person's identity, False for a workload's, unknown where the evidence cannot tell."""
    kind = ctx.classification(record).kind
    return UNKNOWN if kind == UNCLASSIFIED else kind == HUMAN


def _in_baseline(agent: Any, ctx: EvalContext) -> Any:
    return ctx.baseline_reach is not None and agent.uid in ctx.baseline_reach


def _collection_status(account: Any, ctx: EvalContext) -> Any:
    """How the sources read the account; unknown where no source says it read it (a project only
    named as the home of some member, an account only a trail names): nothing says it was read."""
    return ctx.collection_status.get(account.uid, UNKNOWN)


def _attrs(rtype: str, *names: str) -> dict[str, Accessor]:
    return {name: _attr(rtype, name) for name in names}


_COMMON = ("uid", "name", "provider", "account", "kind")

FIELDS: dict[str, dict[str, Accessor]] = {
    "identity": {
        **_attrs("identity", *_COMMON, "created", "last_used", "interactive"),
        "owner": _named_owner("identity"),
        "age_days": _days_since("identity", "created"),
        "days_since_used": _days_since("identity", "last_used"),
        "capabilities": _identity_capabilities,
        "account_environment": _account_environment,
        "consumer_count": _consumer_count,
        "classification": lambda r, ctx: ctx.classification(r).kind,
        "classification_reason": lambda r, ctx: ctx.classification(r).reason,
        "human": _human,
        "third_party_app": _third_party_app,
        "human_impersonators": _human_impersonators,
    },
    "credential": {
        **_attrs(
            "credential",
            "uid",
            "identity_uid",
            "kind",
            "created",
            "expires",
            "last_used",
            "last_rotated",
            "managed_by_provider",
        ),
        "active": _active,
        "age_days": _days_since("credential", "created"),
        "days_since_used": _days_since("credential", "last_used"),
        "days_since_rotated": _rotation_age,
        "days_to_expiry": _days_to_expiry,
        "validity_days": _validity_days,
    },
    "grant": {
        **_attrs("grant", "uid", "identity_uid", "kind", "name", "actions", "resources", "source"),
        "capabilities": _grant_capabilities,
        "wildcard_action": _wildcard_action,
        "wildcard_resource": _wildcard_resource,
    },
    "agent": {
        "owner": _named_owner("agent"),
        **_attrs(
            "agent",
            *_COMMON,
            "runs_as",
            "platform",
            "guardrail",
            "human_approval",
            "memory_enabled",
            "memory_retention_days",
            "created",
        ),
        "age_days": _days_since("agent", "created"),
        "capabilities": _agent_capabilities,
        "in_baseline": _in_baseline,
        "capabilities_added": _capabilities_added,
    },
    "log_source": _attrs("log_source", *_COMMON, "scope", "enabled", "covers", "retention_days"),
    "account": {
        **_attrs("account", "uid", "name", "provider", "kind", "parent", "environment"),
        "collection_status": _collection_status,
        "open_identity_providers": _open_identity_providers,
    },
    # Trust entries of an identity, as sources record them in attributes.trust: read whole or not at
    # all (the identity's "trust" evidence), so an entry has no gaps of its own; only what its subject
    # (a wildcard in a format nhiscan does not know) or an Entra claims matching expression admits may
    # be left unjudged (see trust.subject_gap and claims_expression).
    "trust": {
        **{
            name: (lambda key: lambda r, ctx: r.get(key))(name)
            for name in ("principal", "principal_type", "account", "external", "conditions", "provider", "subject")
        },
        "caller_conditions": lambda r, ctx: restricting_keys(r.get("conditions"), CALLER_KEYS, r.get("account")),
        "source_conditions": lambda r, ctx: restricting_keys(r.get("conditions"), SOURCE_KEYS),
        "subject_specific": lambda r, ctx: _subject_specific(r),
    },
}


def _subject_specific(entry: dict[str, Any]) -> Any:
    """Whether a federated trust admits one workload: by its subject, or by the claims matching
    expression an Entra credential holds in its place."""
    if "claims_matching" not in entry:
        specific = entry_subject_specific(entry)
        return UNKNOWN if specific is None else specific
    specific = admitted(entry["claims_matching"]).specific
    return UNKNOWN if specific is None else specific


DOTTED_ROOTS = {
    "identity": ("tags", "attributes"),
    "credential": ("attributes",),
    "grant": ("attributes",),
    "agent": ("tags", "attributes"),
    "log_source": ("attributes",),
    "account": ("tags", "attributes"),
    "trust": (),
}


def field_accessor(resource_type: str, name: str) -> Accessor | None:
    accessor = FIELDS[resource_type].get(name)
    if accessor is not None:
        return accessor
    root, _, rest = name.partition(".")
    if rest and root in DOTTED_ROOTS[resource_type]:
        return _dotted(resource_type, root, tuple(rest.split(".")))
    return None


# ---------------------------------------------------------------------- relations

# A relation returns a list of records, or Incomplete(records) when its records were not all collected.
Relation = Callable[[Any, EvalContext], Any]


@reads(("agent", "runs_as"))
def _runtime_identity(agent: Any, ctx: EvalContext) -> Any:
    """The agent's runtime identity; Incomplete when it declares none (what it runs as is not known)
    or names one this scan did not collect, or holds only as a stand-in (another shard reads it whole)."""
    if _marked(agent, "runs_as"):
        return Incomplete([], f"runtime identity of {agent.name or agent.uid}")
    if not agent.runs_as:
        return Incomplete([], f"runtime identity of {agent.name or agent.uid}")  # none declared
    identity = ctx.identities.get(agent.runs_as)
    if identity is None:
        return Incomplete([], f"runtime identity {agent.runs_as}")
    if is_stand_in(identity):  # what this shard read of it, and not all it is
        return Incomplete([identity], f"runtime identity {agent.runs_as}")
    return [identity]


def _of_runtime(name: str, index: dict[str, list[Any]], agent: Any, ctx: EvalContext) -> Any:
    """Records (grants or credentials) held by the agent's runtime identity: of a stand-in, those
    this shard read (an Owner role here still fails), not all it holds."""
    runtime = _runtime_identity(agent, ctx)
    if type(runtime) is Incomplete:
        held = index.get(runtime.known[0].uid, []) if runtime.known else []
        return Incomplete(held, runtime.reason)
    if not runtime:
        return runtime
    identity = runtime[0]
    records = index.get(identity.uid, [])
    if _marked(identity, name):
        return Incomplete(records, f"{name} of {identity.name or identity.uid}")
    return records


@reads(("agent", "runs_as"), ("identity", "grants"))
def _runtime_grants(agent: Any, ctx: EvalContext) -> Any:
    return _of_runtime("grants", ctx.grants_by_holder, agent, ctx)


@reads(("agent", "runs_as"), ("identity", "credentials"))
def _runtime_credentials(agent: Any, ctx: EvalContext) -> Any:
    return _of_runtime("credentials", ctx.credentials_by_holder, agent, ctx)


@reads(("agent", "tools"), ("agent", "runs_as"), ("identity", "grants"))
def _reach(agent: Any, ctx: EvalContext) -> Any:
    tools = _tools(agent, ctx)
    runtime = _runtime_grants(agent, ctx)
    if type(runtime) is Incomplete:
        return Incomplete(tools + runtime.known, runtime.reason)
    if _marked(agent, "tools"):
        return Incomplete(tools + runtime, f"tools of {agent.name or agent.uid}")
    return tools + runtime


def _account_log_sources(agent: Any, ctx: EvalContext) -> Any:
    """The log sources of the agent's account; unknown where they were not collected."""
    account = ctx.accounts.get(agent.account)
    if account is not None and "log_sources" in account.unknown:
        return UNKNOWN
    return ctx.log_sources_by_account.get(agent.account, [])


def _regional_log_sources(agent: Any, ctx: EvalContext) -> Any:
    """The log sources of the agent's account that record its region: for an AWS agent (its ARN
    names the region), a trail of every region or of its own and invocation logging of its own
    region (a source whose region is not recorded counts); for any other agent, all of them."""
    sources = _account_log_sources(agent, ctx)
    region = _aws_region(agent.uid) if agent.provider == "aws" else None
    if region is None or sources is UNKNOWN:
        return sources
    return [s for s in sources if s.provider != "aws" or s.scope in ("", "all regions", region)]


def _aws_region(arn: str) -> str | None:
    parts = arn.split(":", 5)
    return parts[3] if len(parts) == 6 and parts[0] == "arn" and parts[3] else None


def _tools(agent: Any, ctx: EvalContext) -> list[Any]:
    return [g for g in ctx.grants_by_holder.get(agent.uid, ()) if g.kind == "tool"]


def _trusted_accounts(identity: Any, ctx: EvalContext) -> Any:
    """The other accounts a role trusts: each principal's, and, for a principal of any account
    (``AWS: "*"``) or one not read as an account's, those its conditions name (``aws:PrincipalAccount``,
    ``aws:PrincipalArn``); known only in part where such a principal's conditions admit accounts
    they do not name (none, an organisation, a wildcard)."""
    seen: dict[str, Any] = {}
    open_to: list[str] = []
    for entry in identity.attributes.get("trust") or ():
        account = entry.get("account")
        if account:
            accounts: list[str] | None = [account]
        elif entry.get("principal_type") in ("wildcard", "unknown"):
            accounts = condition_accounts(entry.get("conditions"))
        else:
            accounts = []  # a service or a federated provider: no account
        if accounts is None:
            open_to.append(str(entry.get("principal")))
            continue
        for one in accounts:
            if one != identity.account and one not in seen:
                seen[one] = ctx.account_record(one, identity.provider)
    if open_to:
        return Incomplete(list(seen.values()), f"accounts trusted through {', '.join(sorted(set(open_to)))}")
    return list(seen.values())


@reads(("identity", "agents"), ("account", "agents"), ("agent", "runs_as"))
def _identity_agents(identity: Any, ctx: EvalContext) -> Any:
    records = ctx.agents_by_runtime.get(identity.uid, [])
    gap = _agents_gap(identity, ctx)
    return records if gap is None else Incomplete(records, gap)


def _holder(grant_or_credential: Any, ctx: EvalContext) -> list[Any]:
    identity = ctx.identities.get(grant_or_credential.identity_uid or "")
    return [] if identity is None else [identity]


# relation name -> (target resource type, resolver)
RELATIONS: dict[str, dict[str, tuple[str, Relation]]] = {
    "identity": {
        "credentials": ("credential", lambda r, ctx: ctx.credentials_by_holder.get(r.uid, [])),
        "grants": ("grant", lambda r, ctx: ctx.grants_by_holder.get(r.uid, [])),
        "agents": ("agent", _identity_agents),
        "trust": ("trust", lambda r, ctx: r.attributes.get("trust") or []),
        "trusted_accounts": ("account", _trusted_accounts),
    },
    "credential": {"identity": ("identity", _holder)},
    "grant": {"identity": ("identity", _holder)},
    "agent": {
        "runtime_identity": ("identity", _runtime_identity),
        "tools": ("grant", _tools),
        "runtime_grants": ("grant", _runtime_grants),
        "reach": ("grant", _reach),
        "credentials": ("credential", lambda r, ctx: ctx.credentials_by_holder.get(r.uid, [])),
        "runtime_credentials": ("credential", _runtime_credentials),
        "account": ("account", lambda r, ctx: [ctx.account_record(r.account, r.provider)]),
        "account_log_sources": ("log_source", _account_log_sources),
        "regional_log_sources": ("log_source", _regional_log_sources),
    },
    "log_source": {"account": ("account", lambda r, ctx: [ctx.account_record(r.account, r.provider)])},
    "account": {
        "identities": ("identity", lambda r, ctx: ctx.identities_by_account.get(r.uid, [])),
        "agents": ("agent", lambda r, ctx: ctx.agents_by_account.get(r.uid, [])),
        "log_sources": ("log_source", lambda r, ctx: ctx.log_sources_by_account.get(r.uid, [])),
    },
    "trust": {},
}

# Relations whose records a source may not have collected, and the name it then marks on the record
# holding them. The others either resolve their own gaps (runtime, agents) or cannot have one.
_MARKED: dict[tuple[str, str], str] = {
    ("identity", "credentials"): "credentials",
    ("identity", "grants"): "grants",
    ("identity", "trust"): "trust",
    ("identity", "trusted_accounts"): "trust",
    ("agent", "tools"): "tools",
    ("agent", "credentials"): "credentials",
    ("account", "identities"): "identities",
    ("account", "agents"): "agents",
    ("account", "log_sources"): "log_sources",
}


def _compile_relations() -> dict[tuple[str, str], tuple[str, Relation]]:
    compiled: dict[tuple[str, str], tuple[str, Relation]] = {}
    for rtype, relations in RELATIONS.items():
        for name, (target, resolve) in relations.items():
            marker = _MARKED.get((rtype, name))
            compiled[(rtype, name)] = (target, resolve if marker is None else _marked_relation(rtype, marker, resolve))
    return compiled


def _marked_relation(rtype: str, marker: str, resolve: Relation) -> Relation:
    @reads((rtype, marker))
    def get(record: Any, ctx: EvalContext) -> Any:
        records = resolve(record, ctx)
        if record.unknown and marker in record.unknown:
            return Incomplete(records, f"{marker} of {getattr(record, 'name', '') or record.uid}")
        return records

    return get


_COMPILED_RELATIONS = _compile_relations()


def relation(resource_type: str, name: str) -> tuple[str, Relation] | None:
    return _COMPILED_RELATIONS.get((resource_type, name))
