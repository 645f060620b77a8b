"""Splitting a large estate across n runners: ``--shard i/n``.

Each account, subscription or project belongs to exactly one shard, by a hash of its id, so n
runners (a CI matrix, Kubernetes Jobs) scan disjoint parts into one history database and a scan
group merges them. Tenant-wide data (Entra) and sources without accounts (manifests, files) are
read by shard 1 only."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from scanner.errors import UsageError


@dataclass(frozen=True, slots=True)
class Shard:
    index: int  # 1-based
    count: int

    @classmethod
    def parse(cls, text: str | None) -> Shard | None:
        if not text:
            return None
        match = re.fullmatch(r"(\d+)/(\d+)", text.strip())
        if not match or not 1 <= int(match.group(1)) <= int(match.group(2)):
            raise UsageError(f"--shard {text}: expected i/n with 1 <= i <= n (for example 2/4)")
        return cls(int(match.group(1)), int(match.group(2)))

    def owns(self, key: str) -> bool:
        digest = hashlib.sha256(key.encode("utf-8")).digest()
        return int.from_bytes(digest[:8], "big") % self.count == self.index - 1

    @property
    def first(self) -> bool:
        return self.index == 1

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def owned(shard: Shard | None, key: str) -> bool:
    return shard is None or shard.owns(key)
