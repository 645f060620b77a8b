"""Which source not read completely by a scan could hold a finding's resource: a source of its
account or of an account above it (a tenant, an organisation); one of no account either scan knows
(an organisation's listing, a set of export files) any resource of its provider, and a file source
any resource at all. A diff names it for each failure the newer scan no longer lists."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from scanner.model import SOURCE_PROVIDERS, Finding

if TYPE_CHECKING:
    from scanner.diff import SourceRead


def holds(source: SourceRead, finding: Finding, parents: Mapping[str, str | None] | None) -> bool:
    """Whether a source could hold the finding's resource: the source is of its account or of an
    account above it (a tenant, an organisation). A source of no account either scan knows (an
    organisation's listing, a set of export files) could hold any resource of its provider, and a
    file source any resource at all. The rule as stated, one source at a time; ``GapIndex``
    answers the same for many findings at once."""
    above = _accounts_above(finding.resource.account, parents)
    if source.account in above:
        return True
    known = parents is not None and (source.account in parents or source.account in set(parents.values()))
    if known:
        return False
    provider = SOURCE_PROVIDERS.get(source.name)
    return provider is None or finding.resource.provider == provider


def _accounts_above(account: str | None, parents: Mapping[str, str | None] | None) -> list[str]:
    """The account and those above it, nearest first (a cycle in the parents ends the walk)."""
    above: list[str] = []
    while account and account not in above:
        above.append(account)
        account = parents.get(account) if parents is not None else None
    return above


class GapIndex:
    """The sources not read completely, indexed so that the first of them (in their order) that
    ``holds`` a finding's resource is found by a few lookups: by account, for each account on the
    resource's chain, and for a source of no account either scan knows, by the provider it reads
    (any provider for a file source). A diff asks this for every failure no longer listed, of
    which a large estate has tens of thousands, with thousands of partial sources."""

    def __init__(self, gaps: list[SourceRead], parents: Mapping[str, str | None] | None) -> None:
        self.gaps = gaps
        self.parents = parents
        known: set[str | None] = set() if parents is None else {*parents.keys(), *parents.values()}
        self.by_account: dict[str, int] = {}
        self.unknown_by_provider: dict[str, int] = {}
        self.unknown_any: int | None = None
        for position, gap in enumerate(gaps):  # the first of each key is kept: the one returned
            self.by_account.setdefault(gap.account, position)
            if gap.account in known:
                continue
            provider = SOURCE_PROVIDERS.get(gap.name)
            if provider is None:
                if self.unknown_any is None:
                    self.unknown_any = position
            else:
                self.unknown_by_provider.setdefault(provider, position)

    def holder(self, finding: Finding) -> SourceRead | None:
        """The first source that could hold the finding's resource, or None."""
        if not self.gaps:
            return None
        positions = [
            self.by_account[a] for a in _accounts_above(finding.resource.account, self.parents) if a in self.by_account
        ]
        if (position := self.unknown_by_provider.get(finding.resource.provider)) is not None:
            positions.append(position)
        if self.unknown_any is not None:
            positions.append(self.unknown_any)
        return self.gaps[min(positions)] if positions else None
