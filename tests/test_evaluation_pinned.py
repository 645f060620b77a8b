"""Evaluation of a synthetic estate, pinned: what every finding says (fingerprint, status,
resource, message, evidence) and every control's counts stay exactly what they were when the
engine was made faster. A change that means to alter results updates the digests below, saying why
in its commit; the demo's results are pinned in full by test_demo's golden file."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from benchmarks.synthetic import build
from scanner.inventory_io import save_inventory
from scanner.scan import Catalogs, ScanOptions, run_scan
from scanner.serialize import dumps
from scanner.sources import SourceSpec, collect

# sha256 of _answers() for build(1500, seed=11) read back from its file, as evaluated before the
# reading and the engine were made faster
PINNED = {
    False: "d17e0d824c0a652b4bfcb1edc70febf83331b95955af4ff0531b4a1ab75beb39",
    True: "8bb0e6135fa3bc16668d728300ff2473635263bd445711ba6a661d3c0abc2016",
}


@pytest.fixture(scope="module")
def synthetic_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("synthetic") / "inventory.json"
    save_inventory(build(1500, seed=11), path)
    return path


def _answers(catalogs: Catalogs, inventory_file: Path, keep_passed: bool) -> str:
    inventory = collect(SourceSpec("inventory", str(inventory_file)))
    result = run_scan(inventory, catalogs, ScanOptions(keep_passed=keep_passed))
    findings = [
        [f.fingerprint, f.control_id, f.status, f.severity, f.resource, f.message, f.evidence] for f in result.findings
    ]
    controls = [[c.id, c.counts, c.evaluated_by_scope] for c in result.controls]
    postures = [[p.id, p.score, dumps(p)] for p in result.frameworks]
    text = dumps([findings, controls, postures, result.score, result.capabilities])
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.mark.parametrize("keep_passed", [False, True], ids=["failing", "with-passed"])
def test_a_synthetic_estate_is_judged_as_before(catalogs: Catalogs, synthetic_file: Path, keep_passed: bool) -> None:
    assert _answers(catalogs, synthetic_file, keep_passed) == PINNED[keep_passed]
