"""Meta-tests over every bundled control, catalog and capability tag."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from scanner.engine.controls import control_files
from scanner.engine.selftest import run_case
from scanner.resources import controls_dir
from scanner.scan import load_catalogs

CATALOGS = load_catalogs()
CONTROLS = CATALOGS.controls


def test_there_are_at_least_thirty_controls() -> None:
    assert len(CONTROLS) >= 30


@pytest.mark.parametrize("control", CONTROLS, ids=lambda c: c.id)
def test_control_is_complete_and_its_cases_hold(control) -> None:
    assert Path(control.path).stem == control.id
    for mapping in control.mappings:
        assert mapping.relationship in ("direct", "partial", "supporting"), mapping
        assert len(mapping.rationale.split()) >= 4 and "\n" not in mapping.rationale.strip(), mapping
    assert control.rationale.strip() and control.remediation.strip()
    expectations = {case["expect"] for case in control.tests}
    assert {"fail", "pass"} <= expectations, "each control needs a failing and a passing case"
    for case in control.tests:
        outcome = run_case(control, case, CATALOGS)
        assert outcome.ok, f"{case['name']}: {outcome.detail}"


def test_every_control_file_is_loaded() -> None:
    assert len(control_files(controls_dir())) == len(CONTROLS)


@pytest.mark.parametrize("framework_id", ["owasp-asi-top10-2026", "owasp-nhi-top10-2025"])
def test_every_owasp_item_is_covered_or_marked_not_assessable(framework_id: str) -> None:
    framework = CATALOGS.frameworks[framework_id]
    mapped = {item for c in CONTROLS for item in c.frameworks.get(framework_id, [])}
    for item in framework.items:
        assert item.id in mapped or (not item.assessable and item.reason), item.id


def test_not_assessable_items_carry_a_reason() -> None:
    for framework in CATALOGS.frameworks.values():
        for item in framework.items:
            if not item.assessable:
                assert item.reason and len(item.reason) > 20


def test_capability_tags_named_by_controls_exist_in_the_catalog() -> None:
    named = set()
    for path in control_files(controls_dir()):
        named.update(re.findall(r"field: capabilities, contains: ([a-z_]+)", path.read_text()))
    assert named
    assert named <= set(CATALOGS.capabilities.tags), named - set(CATALOGS.capabilities.tags)


def test_bundled_files_read_with_libyaml_give_the_documents_the_guarded_loader_gives() -> None:
    from scanner.resources import controls_dir, is_bundled
    from scanner.yaml_input import parse_yaml

    files = sorted(controls_dir().rglob("*.yaml"))
    assert len(files) > 60 and all(is_bundled(path) for path in files)
    for path in files:
        text = path.read_text()
        assert parse_yaml(text, bundled=True)[0] == parse_yaml(text)[0], path


def test_a_users_control_directory_is_never_read_as_bundled(tmp_path) -> None:
    from scanner.resources import is_bundled

    (tmp_path / "c.yaml").write_text("id: X\n")
    assert not is_bundled(tmp_path / "c.yaml")
