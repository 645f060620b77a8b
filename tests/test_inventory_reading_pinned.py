"""Reading an inventory file, pinned: the model the inventory source hands on (after redaction and
linking) for a synthetic estate salted with the values JSON readers disagree on stays exactly what
it was on main at 3fca25d. A change that means to alter it updates the digests below, saying why
in its commit."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from benchmarks.synthetic import build
from scanner import loading
from scanner.inventory_io import inventory_to_json, save_inventory
from scanner.linking import link_runtime_identities
from scanner.model import Agent, Identity, Inventory
from scanner.sources import SourceSpec, collect

# sha256 of _read() for each file below, as read on main at 3fca25d, but for the values of the tag
# 'password' and the attribute 'client_secret', redacted since the key names a secret, and for the
# hand-edited time at +05:30, read as the same moment in UTC since every time read is (the JSON
# written back is the same; only repr's zone differs), and for the synthetic keys' exposure reports
# (an empty list on each AWS and GCP key, as a live read finds them)
PINNED = {
    "as-written": "b37193425a44cb90c2c98db3d754c3e807bdd050a0d605f94d2d51e21f5687e3",
    "hand-edited": "b4d274086f2295ffbb49a5d022ff16a65456ab31c1845fd3cd6f7b0d9e02589c",
    "ordinary": "1fe4855b7fa83823050ea5cfb451dff9924f251c824c2b37477d8377ac36a866",
}

# Values the standard library and the faster readers may read differently: integers past 64 bits,
# floats at the edges of their range, escapes, secrets in every kind of field, times in other zones
ODD_ATTRIBUTES = {
    "big": 2**70,
    "big_negative": -(2**64) - 3,
    "u64": 2**64 - 1,
    "i64": -(2**63),
    "nineteen_digits": 9_999_999_999_999_999_999,
    "tiny": 5e-324,
    "huge": 1.7976931348623157e308,
    "negative_zero": -0.0,
    "fraction": 0.1,
    "unicode": "na\u00efve \u2028 \U0001f600 \x7f",
    "connection": "Server=db;Password=hunter2hunter2;Database=x",
    "url": "https://admin:s3cretpass@example.com/path?api_key=abcdef123456",
    "nested": {"client_secret": "abcdefgh12345678", "list": ["--token abcdefghijk", 1, None, True]},
}


def _salted(long_integers: bool = True) -> Inventory:
    inventory = build(300, seed=5)
    attributes = {key: value for key, value in ODD_ATTRIBUTES.items() if long_integers or type(value) is not int}
    inventory.identities.append(
        Identity(
            uid="aws:odd:identity/1",
            provider="aws",
            account="aws-account-0000",
            kind="user",
            name="deploy --password=abcdefgh123 sk-ant-abcdefghijklmnopqrstuvwxyz",
            created=datetime(2025, 3, 1, 12, 30, tzinfo=timezone(timedelta(hours=5, minutes=30))),
            last_used=datetime(2026, 10, 1, tzinfo=UTC),
            tags={"password": "hunter2hunter2", "team": "a=b"},
            attributes={**attributes, "app_id": "11111111-2222-3333-4444-555555555555"},
        )
    )
    inventory.agents.append(
        Agent(
            uid="agent/odd",
            provider="azure",
            account="azure-account-0000",
            name="odd agent",
            runs_as="11111111-2222-3333-4444-555555555555",
            memory_retention_days=2**65 if long_integers else 400,
        )
    )
    return inventory


# Hand edits no writer of nhiscan makes: a byte order mark, a repeated key (the last one stands),
# escaped pairs of surrogates, an exponent below the float range, times with offsets and fractions.
# An exponent above it (1E400) was read as infinity and written back as null; it is refused since
# 80061eb (see test_a_number_past_the_float_range_is_refused), so it left the hand edits, and the
# digest pinned for them is what main at c0d147c read from the file without it.
HAND_EDITS = (
    ('"app_id":', '"app_id":"first","app_id":'),
    (
        '"fraction":0.1',
        '"fraction":0.1,"underflow":-1e-400,"pair":"\\ud83d\\ude00","esc":"\\/\\u0041"',
    ),
    ('"created":"2025-03-01T07:00:00Z"', '"created":"2025-03-01T12:30:00.123456+05:30"'),
)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("pinned-reading")
    as_written = folder / "as-written.json"
    save_inventory(_salted(), as_written)
    text = as_written.read_text(encoding="utf-8")
    for old, new in HAND_EDITS:
        assert old in text
        text = text.replace(old, new, 1)
    hand_edited = folder / "hand-edited.json"
    hand_edited.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    # without integers past 64 bits or numbers past the float range
    ordinary = folder / "ordinary.json"
    save_inventory(_salted(long_integers=False), ordinary)
    text = ordinary.read_text(encoding="utf-8")
    for old, new in HAND_EDITS:
        text = text.replace(old, new, 1)
    ordinary.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    return {"as-written": as_written, "hand-edited": hand_edited, "ordinary": ordinary}


def _read(path: Path) -> str:
    inventory = collect(SourceSpec("inventory", str(path)))
    link_runtime_identities(inventory)
    # repr tells an int from a float and names each time's zone; the JSON is what is written back
    text = repr(inventory) + inventory_to_json(inventory)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


@pytest.mark.parametrize("name", sorted(PINNED))
def test_an_inventory_file_is_read_as_before(files: dict[str, Path], name: str) -> None:
    assert _read(files[name]) == PINNED[name]


def test_an_inventory_file_past_the_input_limit_is_read_line_by_line_as_before(
    files: dict[str, Path], monkeypatch
) -> None:
    """Written by nhiscan, the file is read a line at a time once it is past the limit (see
    scanner/inventory_lines.py): the same model, the odd values above and all."""
    monkeypatch.setattr(loading, "MAX_INPUT_BYTES", 16 * 1024)
    assert files["as-written"].stat().st_size > loading.MAX_INPUT_BYTES
    assert _read(files["as-written"]) == PINNED["as-written"]


def test_a_number_past_the_float_range_is_refused(files: dict[str, Path], tmp_path: Path) -> None:
    from scanner.errors import InputError

    text = files["hand-edited"].read_bytes().replace(b'"fraction":0.1', b'"fraction":0.1,"overflow":1E400', 1)
    overflowing = tmp_path / "overflowing.json"
    overflowing.write_bytes(text)
    with pytest.raises(InputError, match="a number too large for a float"):
        collect(SourceSpec("inventory", str(overflowing)))
