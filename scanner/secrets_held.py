"""Which plaintext secrets each record holds, by their fingerprints: what a --baseline gate
(engine.baseline) and a diff (diff.py) compare to tell a token replaced under the same key, or
another pasted beside it, from one that was there before."""

from __future__ import annotations

from collections.abc import Iterable

from scanner.model import PLAINTEXT_SECRET, Credential, Finding


def secrets_held(credentials: Iterable[Credential]) -> dict[str, frozenset[str]]:
    """By holder uid, the fingerprints of the plaintext secrets among ``credentials`` (a secret
    without one is known by its uid)."""
    return by_holder(
        (str(c.identity_uid), str(c.attributes.get("fingerprint") or c.uid))
        for c in credentials
        if c.kind == PLAINTEXT_SECRET
    )


def by_holder(pairs: Iterable[tuple[str, str]]) -> dict[str, frozenset[str]]:
    found: dict[str, set[str]] = {}
    for holder, fingerprint in pairs:
        found.setdefault(holder, set()).add(fingerprint)
    return {holder: frozenset(fingerprints) for holder, fingerprints in found.items()}


def on_plaintext_secrets(finding: Finding) -> bool:
    """Whether the finding's evidence names a plaintext secret among the credentials it failed on
    (named first where the list is cut short: finding_evidence._relation_value)."""
    listed = finding.evidence.get("credentials") if isinstance(finding.evidence, dict) else None
    return isinstance(listed, list) and any(str(item).startswith(PLAINTEXT_SECRET) for item in listed)
