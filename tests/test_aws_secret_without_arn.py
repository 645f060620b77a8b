"""A secret ListSecrets names without an ARN (AWS lists none, but an answer through a proxy or an
emulator may be cut) stopped the whole scan with an internal error (exit 4, KeyError 'ARN'). It is
now a named gap of the account's source, which is partial, and the secrets listed whole are judged
as before. The front adds the entry to moto's own answer over real HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .aws_estate import MANAGEMENT, scan_one_region, seeded
from .aws_fake import FakeAws


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeAws]:
    with seeded() as (fake, _):
        yield fake


def test_a_secret_listed_without_an_arn_is_a_named_gap_not_the_end_of_the_scan(
    fake: FakeAws, cli: Any, tmp_path: Path
) -> None:
    fake.clear_faults()
    fake.state.listed_secrets = [{"Name": "cut/short", "RotationEnabled": False}]
    try:
        outcome = scan_one_region(cli, tmp_path)
    finally:
        fake.state.listed_secrets = []
    assert outcome.exit_code == 3, outcome.output  # partial, not 4
    results = json.loads((tmp_path / "results.json").read_text())
    gaps = [(e["call"], e["message"]) for s in results["scan"]["sources"] for e in s.get("errors", [])]
    assert ("secretsmanager:ListSecrets in us-east-1", "1 listed secret(s) without an ARN: not judged") in gaps
    judged = {f["resource"]["name"] for f in results["findings"] if f["resource"]["kind"] == "managed_secret"}
    assert judged == {"managed_secret prod/payments/api-key"}  # the secret listed whole, and no other
    assert any(s["status"] == "partial" and s["account"] == MANAGEMENT for s in results["scan"]["sources"])
