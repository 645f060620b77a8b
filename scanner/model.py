"""The data model every source produces and every reporter reads.

Records are plain dataclasses. Timestamps are timezone-aware UTC datetimes. A field a source
could not collect is named in the record's ``unknown`` list; ``None`` means "collected, and empty"
(for example a credential that was never used). Controls turn an unknown field into an *unknown*
finding instead of a pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

INVENTORY_SCHEMA_VERSION = "1.0"
SEVERITIES = ("critical", "high", "medium", "low")  # worst first
SEVERITY_RANK = {name: len(SEVERITIES) - index for index, name in enumerate(SEVERITIES)}  # critical 4 … low 1
RESULTS_SCHEMA_VERSION = "1.7"
# The provider of the records a source reads, by its name; a file or inventory source can hold any.
SOURCE_PROVIDERS = {"aws": "aws", "azure": "azure", "gcp": "gcp", "manifests": "manifest"}


@dataclass(slots=True)
class Account:
    """A scope a source reads: AWS account, Azure tenant or subscription, GCP project, manifest repo."""

    uid: str
    provider: str
    name: str = ""
    kind: str = "account"  # account | tenant | subscription | project | organization | repository
    parent: str | None = None
    environment: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    attributes: dict[str, Any] = field(default_factory=dict)
    unknown: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Identity:
    uid: str
    provider: str
    account: str
    kind: str
    name: str
    owner: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    created: datetime | None = None
    last_used: datetime | None = None
    interactive: bool | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    unknown: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Credential:
    """A secret or key material bound to an identity. Never holds the secret value itself."""

    uid: str
    identity_uid: str | None
    kind: str
    created: datetime | None = None
    expires: datetime | None = None
    last_used: datetime | None = None
    last_rotated: datetime | None = None
    active: bool = True  # not deactivated at its source (an AWS key's Status); see active_at
    managed_by_provider: bool = False
    attributes: dict[str, Any] = field(default_factory=dict)
    unknown: list[str] = field(default_factory=list)

    def active_at(self, moment: datetime) -> bool:
        """Whether it works at ``moment``: active, and not expired by then (a client secret has no
        state of its own: its end date ends it, at whatever time a scan is judged)."""
        return self.active and (self.expires is None or self.expires > moment)


# a grant's attributes that name permissions, read with its actions from the same policy or role:
# what an Allow of everything leaves out (an AWS NotAction, an Azure "*"), an Azure role's data actions
PERMISSION_ATTRIBUTES = ("not_actions", "data_actions")


@dataclass(slots=True)
class Grant:
    identity_uid: str
    kind: str  # policy | role | app_permission | delegated_permission | tool | binding
    name: str
    actions: list[str] = field(default_factory=list)
    resources: list[str] = field(default_factory=list)
    source: str = ""
    capabilities: list[str] = field(default_factory=list)  # tags a source derived itself
    uid: str = ""
    attributes: dict[str, Any] = field(default_factory=dict)
    unknown: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.uid:
            self.uid = f"{self.identity_uid}#{self.kind}:{self.name}"


@dataclass(slots=True)
class Agent:
    """An AI agent. Its tools are grants of kind ``tool`` whose ``identity_uid`` is the agent's uid."""

    uid: str
    provider: str
    account: str
    name: str
    runs_as: str | None = None
    owner: str | None = None
    platform: str = ""
    guardrail: str | None = None
    human_approval: bool | None = None
    memory_enabled: bool | None = None
    memory_retention_days: int | None = None
    created: datetime | None = None
    tags: dict[str, str] = field(default_factory=dict)
    attributes: dict[str, Any] = field(default_factory=dict)
    unknown: list[str] = field(default_factory=list)


@dataclass(slots=True)
class LogSource:
    uid: str
    provider: str
    account: str
    kind: str  # cloudtrail | model_invocation | activity_log | entra_signin | audit_config | ...
    name: str = ""
    scope: str = ""
    enabled: bool = False
    covers: list[str] = field(default_factory=list)
    retention_days: int | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    unknown: list[str] = field(default_factory=list)


PLAINTEXT_SECRET = "plaintext_secret"  # the kind of a credential written into a configuration

# An identity's attribute: a shard holds it only because its own subscriptions grant it a role,
# and another shard reads it whole. Such a stand-in is judged only by the controls that read an
# identity's grants (a failure there is the principal's); its other evidence is the other shard's.
HELD_BY_ANOTHER_SHARD = "held_by_another_shard"
# An identity's or credential's attribute: its source's last use counts sign-in attempts that may
# not have succeeded (Entra's service principal sign-in activity report, during its preview), so
# its last successful use is no later than ``last_used`` and may be earlier.
COUNTS_ATTEMPTS = "last_used_counts_attempts"
# What a stand-in does not know: every identity field controls read as evidence but its grants
STAND_IN_UNKNOWN = ("owner", "tags", "created", "last_used", "interactive", "credentials")


def is_stand_in(identity: Identity) -> bool:
    return bool(identity.attributes) and identity.attributes.get(HELD_BY_ANOTHER_SHARD) is True


RECORD_TYPES: dict[str, type] = {  # each record section of an inventory and its model class
    "accounts": Account,
    "identities": Identity,
    "credentials": Credential,
    "grants": Grant,
    "agents": Agent,
    "log_sources": LogSource,
}


@dataclass(slots=True)
class SourceError:
    call: str
    message: str
    code: str = ""


@dataclass(slots=True)
class SourceStatus:
    name: str
    account: str
    status: str = "complete"
    errors: list[SourceError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # how the source resolved what it read (which export won)


@dataclass(slots=True)
class Inventory:
    collected_at: datetime
    accounts: list[Account] = field(default_factory=list)
    identities: list[Identity] = field(default_factory=list)
    credentials: list[Credential] = field(default_factory=list)
    grants: list[Grant] = field(default_factory=list)
    agents: list[Agent] = field(default_factory=list)
    log_sources: list[LogSource] = field(default_factory=list)
    sources: list[SourceStatus] = field(default_factory=list)
    schema_version: str = INVENTORY_SCHEMA_VERSION

    def holds_subjects(self) -> bool:
        """Whether it holds an identity, credential or agent, the records controls are about;
        accounts and log sources alone are an empty estate (a wrong path, a folder with no agent)."""
        return bool(self.identities or self.credentials or self.agents)

    def merge(self, other: Inventory) -> Inventory:
        """One inventory holding both; the later collection time stands for the whole. Judged at the
        earlier one, a key created since (or a secret expiring since) would have a negative age and
        pass what it fails; at the later one, an older source's ages only grow, toward failing."""
        return Inventory(
            collected_at=max(self.collected_at, other.collected_at),
            accounts=self.accounts + other.accounts,
            identities=self.identities + other.identities,
            credentials=self.credentials + other.credentials,
            grants=self.grants + other.grants,
            agents=self.agents + other.agents,
            log_sources=self.log_sources + other.log_sources,
            sources=self.sources + other.sources,
        )


@dataclass(slots=True, frozen=True)
class ResourceRef:
    uid: str
    type: str  # identity | credential | grant | agent | log_source | account
    kind: str
    name: str
    provider: str
    account: str
    location: dict[str, Any] | None = None  # {"file", "line"} for records read from files (manifests)


@dataclass(slots=True)
class Waiver:
    control: str
    resource: str  # shell-style pattern over the resource uid
    owner: str
    reason: str
    expires: str  # ISO date
    created: str | None = None
    ticket: str | None = None
    scope: str | None = None  # "all": the waiver deliberately matches every control or resource


@dataclass(slots=True)
class Finding:
    fingerprint: str
    control_id: str
    status: str
    severity: str
    resource: ResourceRef
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)
    waiver: Waiver | None = None
    new: bool | None = None  # against --baseline; None when no baseline was given


@dataclass(slots=True, frozen=True)
class FrameworkMapping:
    """One control's relation to one framework item, with the catalog version its id was read against."""

    framework: str
    version: str
    item: str
    relationship: str  # direct | partial | supporting
    rationale: str
    control: str = ""


@dataclass(slots=True)
class ControlSummary:
    id: str
    title: str
    severity: str
    resource: str
    frameworks: dict[str, list[str]]  # framework id -> item ids (every relationship)
    rationale: str
    remediation: str
    counts: dict[str, int] = field(default_factory=dict)  # fail/pass/waived/unknown
    mappings: list[FrameworkMapping] = field(default_factory=list)  # empty in results older than 1.3
    # "provider/kind" -> resources evaluated, so a benchmark judges only its own provider's resources
    evaluated_by_scope: dict[str, int] = field(default_factory=dict)
    # SHA-256 of what the control judged (engine.definition.definition_digest); None before 1.5
    definition: str | None = None
    # "provider/kind" patterns ("aws/*") of the resources a --framework scan judged it on (the
    # framework's scope); None: every resource it applies to
    limited_to: list[str] | None = None


# Item statuses: pass | fail | unknown | incomplete (a source that could hold its evidence was not
# read completely) | not_applicable (nothing in scope to judge) | not_in_scope (the item's provider
# is absent) | not_assessed (no control decides it) | not_assessable (configuration cannot show it).
# Results older than 1.3 may say not_covered for not_assessed.
ITEM_RESULT_STATUSES = ("pass", "fail", "unknown", "incomplete")


@dataclass(slots=True)
class FrameworkItemPosture:
    id: str
    title: str
    status: str
    controls: list[str] = field(default_factory=list)  # controls that decide the item (direct, partial)
    counts: dict[str, int] = field(default_factory=dict)
    reason: str | None = None
    official: bool = True  # False: the title is a paraphrase, not the publisher's text
    supporting: list[str] = field(default_factory=list)  # controls listed as evidence only
    relationships: dict[str, str] = field(default_factory=dict)  # control id -> direct | partial | supporting


@dataclass(slots=True)
class FrameworkPosture:
    id: str
    name: str
    version: str
    score: float | None  # share of assessed items that pass, 0-100 (SCORE_DEFINITION)
    items: list[FrameworkItemPosture] = field(default_factory=list)
    item_count: int = 0  # every item of the catalog (0 in results older than 1.3)
    assessed: int = 0  # items some control in the scan decides
    in_scope: bool = True  # False: none of the framework's providers is in the estate
    providers: list[str] = field(default_factory=list)  # the providers the framework applies to (empty: any)
    coverage: str = ""  # "x of N items (version V)"
    score_definition: str = ""


@dataclass(slots=True)
class ScanMeta:
    id: str
    started: datetime
    finished: datetime
    as_of: datetime
    sources: list[SourceStatus] = field(default_factory=list)
    fail_on: str = "high"
    baseline: str | None = None
    # Seconds spent per phase ("collect", "evaluate"); empty in results older than 1.2.
    timings: dict[str, float] = field(default_factory=dict)
    # Controls the configuration turned off (nhiscan.yaml controls.disabled), since 1.6: a report
    # says what it did not judge, not only how many controls it judged; None in older results
    # (not recorded, which is not "none")
    disabled_controls: list[str] | None = None


@dataclass(slots=True)
class WaiverReport:
    applied: list[Waiver] = field(default_factory=list)
    expired: list[Waiver] = field(default_factory=list)
    unmatched: list[Waiver] = field(default_factory=list)
    expiring: list[Waiver] = field(default_factory=list)  # still in force, but end within EXPIRING_DAYS
    # of the unmatched, those whose control and resource match unknown results only (since 1.4): a
    # waiver never turns unknown into pass, and applies once the evidence is collected and it fails
    unknown_only: list[Waiver] = field(default_factory=list)


@dataclass(slots=True)
class TrendPoint:
    """An earlier scan's headline figures, for the trend in reports (filled from scan history)."""

    scan_id: str
    finished: datetime
    score: float | None
    failing: int = 0
    failing_by_severity: dict[str, int] = field(default_factory=dict)
    frameworks: dict[str, float | None] = field(default_factory=dict)  # framework id -> score
    median_credential_age: float | None = None
    new: int | None = None  # failures the scan before did not have
    resolved: int | None = None  # failures of the scan before that this one no longer has
    # Sources the scan read partly or not at all (None: recorded before 1.7): its fewer failures
    # are less seen, not fewer risks
    incomplete_sources: int | None = None


@dataclass(slots=True)
class ScanResult:
    scan: ScanMeta
    score: float | None
    controls: list[ControlSummary]
    findings: list[Finding]
    frameworks: list[FrameworkPosture]
    waivers: WaiverReport = field(default_factory=WaiverReport)
    inventory_summary: dict[str, Any] = field(default_factory=dict)
    gate: dict[str, Any] = field(default_factory=dict)
    tool: dict[str, str] = field(default_factory=dict)
    # The evaluated records reports show (grants: agent tools only); None in results older than 1.1.
    inventory: Inventory | None = None
    capabilities: dict[str, list[str]] = field(default_factory=dict)  # identity/agent uid -> tags
    trend: list[TrendPoint] = field(default_factory=list)
    schema_version: str = RESULTS_SCHEMA_VERSION
