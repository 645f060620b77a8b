"""What the sources cannot read about an account, declared in nhiscan.yaml's ``accounts``: its
environment (production, staging, development, test, sandbox, vendor...) and, for an account
outside the scan, a name.

An account's environment comes from its tags or labels, which a scan often cannot read (a single
AWS account outside an organisation's management account, a vendor's account a role trusts).
Unread, it is unknown, and controls that separate production from the rest cannot judge the
account's identities. A declaration supplies it: an account the sources read takes the declared
environment, marked as declared (with the collected value kept when the two differ); an account
outside the scan takes it when a control looks the account up through a trust."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from scanner.model import Account, Inventory

DECLARED_IN = "nhiscan.yaml"
# account attributes recording where a declared environment came from, and what the tags said
DECLARED_ATTRIBUTE = "environment_declared_in"
COLLECTED_ATTRIBUTE = "environment_collected"


# The environments controls tell apart, and the spellings tags and declarations use for them:
# NHI-PRIV-009 compares with "production" and lists the rest, so "Prod" or "prd" must not read as
# some other environment (the account silently not production, its roles out of scope).
ENVIRONMENTS = ("production", "non-production", "staging", "development", "test", "sandbox")
_SPELLINGS = {
    "production": ("prod", "prd", "live"),
    "non-production": ("nonprod", "nonproduction", "nonprd"),
    "staging": ("stage", "stg", "preprod", "pre-prod", "pre-production", "uat"),
    "development": ("dev", "develop"),
    "test": ("testing", "tst", "qa"),
    "sandbox": ("sbx", "sand", "playground"),
}
_CANONICAL = {spelling: name for name, spellings in _SPELLINGS.items() for spelling in (name, *spellings)}
# what a declaration may say besides those: an account outside the estate's own environments
DECLARABLE = (*ENVIRONMENTS, "vendor", "shared")


# "non-prod", "eu_pre_prod", "not-live": one word, before a value is split into its words (a word
# of its own, "non" or "not" would leave "prod" to read as production)
_JOINED = re.compile(r"(?<![a-z])(non|not|pre)[-_ ]?(?=prod|prd|live)")


def canonical_environment(value: str | None) -> str | None:
    """An environment as the controls name it: case and spacing folded, known spellings mapped
    ("Prod", "prd" -> production; "dev" -> development), and a value whose words name one
    environment taken for it ("prod-eu", "eu-west-1-dev", "qa-2", "non-prod"); any other value
    folded only (see ``placed``)."""
    if value is None:
        return None
    folded = value.strip().lower()
    if folded in _CANONICAL:
        return _CANONICAL[folded]
    words = re.split(r"[^a-z]+", _JOINED.sub(r"\1", folded))
    named = {_CANONICAL[word] for word in words if word in _CANONICAL}
    return named.pop() if len(named) == 1 else folded or None


def placed(environment: str | None) -> bool:
    """Whether controls can tell what the environment is: none recorded, or one they name."""
    return environment is None or environment in DECLARABLE


def refused_environment(value: str) -> str | None:
    """Why a declared environment is refused (a typo would take an account silently out of the
    controls that keep production apart), or None when it names one of DECLARABLE."""
    if canonical_environment(value) in DECLARABLE:
        return None
    return f"environment '{value[:40]}' is none of {', '.join(DECLARABLE)} (or their usual spellings)"


@dataclass(frozen=True, slots=True)
class AccountDeclaration:
    environment: str
    name: str | None = None


def account_declarations(config_accounts: Mapping[str, Mapping[str, Any]] | None) -> dict[str, AccountDeclaration]:
    """nhiscan.yaml's ``accounts`` (validated by its schema: string ids, an environment each)."""
    return {
        uid: AccountDeclaration(
            environment=canonical_environment(str(entry["environment"])) or "", name=entry.get("name")
        )
        for uid, entry in (config_accounts or {}).items()
    }


def declare_accounts(inventory: Inventory, declarations: Mapping[str, AccountDeclaration]) -> Inventory:
    """The inventory with each declared account the sources read taking its declared environment;
    the same inventory when nothing it holds is declared."""
    if not any(account.uid in declarations for account in inventory.accounts):
        return inventory
    accounts = [
        _declared(account, declarations[account.uid]) if account.uid in declarations else account
        for account in inventory.accounts
    ]
    return dataclasses.replace(inventory, accounts=accounts)


def _declared(account: Account, declaration: AccountDeclaration) -> Account:
    attributes = {**account.attributes, DECLARED_ATTRIBUTE: DECLARED_IN}
    collected = None if "environment" in account.unknown else account.environment
    if collected is not None and collected != declaration.environment:
        attributes[COLLECTED_ATTRIBUTE] = collected
    return dataclasses.replace(
        account,
        name=account.name or declaration.name or "",
        environment=declaration.environment,
        attributes=attributes,
        unknown=[name for name in account.unknown if name != "environment"],
    )


def outside_account(uid: str, provider: str, declaration: AccountDeclaration | None) -> Account:
    """An account a trust names that the scan did not read: external, its tags unread; its
    environment is the declared one, or unknown."""
    if declaration is None:
        return Account(uid=uid, provider=provider, attributes={"external": True}, unknown=["environment", "tags"])
    return Account(
        uid=uid,
        provider=provider,
        name=declaration.name or "",
        environment=declaration.environment,
        attributes={"external": True, DECLARED_ATTRIBUTE: DECLARED_IN},
        unknown=["tags"],
    )
