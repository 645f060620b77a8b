"""The source registry: names, arguments, and the permissions every source declares."""

from __future__ import annotations

import re

import pytest

from scanner.errors import UsageError
from scanner.sources import SourceSpec, parse_spec, registered

PERMISSION = re.compile(r"^[A-Za-z0-9.-]+[:/.][A-Za-z0-9.*/][A-Za-z0-9.*/ ]*$")  # "azure:Monitoring Reader"


def test_every_source_declares_the_permissions_its_calls_need() -> None:
    sources = registered()
    assert {"demo", "inventory"} <= set(sources)
    for info in sources.values():
        assert isinstance(info.permissions, tuple)
        assert all(PERMISSION.match(p) for p in info.permissions), info.name
        assert info.summary


def test_specs_carry_their_argument() -> None:
    assert parse_spec("inventory:/tmp/a:b.json") == SourceSpec("inventory", "/tmp/a:b.json")
    assert str(parse_spec("demo")) == "demo"


@pytest.mark.parametrize("text", ["", "aws-but-not-installed", "demo:x", "inventory", "inventory:"])
def test_bad_specs_are_usage_errors(text: str) -> None:
    with pytest.raises(UsageError):
        parse_spec(text)
