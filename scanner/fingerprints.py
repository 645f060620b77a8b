"""A finding's fingerprint: 32 hex digits naming one control's result for one resource, the same
from scan to scan (baselines, waivers by fingerprint, diffs and the history compare them)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable


def fingerprint(control_id: str, resource_uid: str) -> str:
    """32 hex digits naming one control's result for one resource, stable across scans."""
    return fingerprinter(control_id)(resource_uid)


def fingerprinter(control_id: str) -> Callable[[str], str]:
    """``fingerprint`` for one control, its prefix encoded once (it runs once per finding)."""
    hashed_prefix = hashlib.blake2b(f"{control_id}\x1f".encode(), digest_size=16)

    def fingerprint_of(resource_uid: str) -> str:
        digest = hashed_prefix.copy()
        digest.update(resource_uid.encode())
        return digest.hexdigest()

    return fingerprint_of
