"""An inventory.json past the input size limit, laid out as nhiscan writes it, is read a line at a
time (an estate of about 270,000 identities writes one). The input limit is made small here, so
the demo's and other estates' inventories are past it; each is read as it would be read whole with
the limit where it was. A file past the limit that is not laid out so, or whose layout hides what a
whole parse would see, is refused in one line, as every file past the limit was before."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.synthetic import build
from scanner import loading, results_lines
from scanner.errors import InputError
from scanner.inventory_io import inventory_to_json, load_inventory, save_inventory
from scanner.model import Inventory
from scanner.resources import demo_inventory_file
from tests.conftest import hostile_inventory

SMALL_LIMIT = 16 * 1024
LAYOUT_REFUSED = "larger than 0 MiB and not laid out as nhiscan writes inventory.json"


@pytest.fixture
def small_input_limit(monkeypatch) -> int:
    monkeypatch.setattr(loading, "MAX_INPUT_BYTES", SMALL_LIMIT)
    return SMALL_LIMIT


def written(tmp_path: Path, text: str, name: str = "inventory.json") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def read_whole(path: Path, monkeypatch) -> Inventory:
    with monkeypatch.context() as limit:
        limit.setattr(loading, "MAX_INPUT_BYTES", 512 * 1024 * 1024)
        return load_inventory(path)


def refusal(path: Path) -> str:
    with pytest.raises(InputError) as refused:
        load_inventory(path)
    return str(refused.value)


@pytest.mark.parametrize(
    "estate",
    [
        pytest.param(lambda: load_inventory(demo_inventory_file()), id="demo"),
        pytest.param(hostile_inventory, id="hostile"),
        pytest.param(lambda: build(200, seed=3), id="synthetic"),
    ],
)
def test_an_inventory_past_the_limit_is_read_line_by_line_as_it_is_read_whole(
    estate, tmp_path: Path, monkeypatch, small_input_limit: int
) -> None:
    path = tmp_path / "inventory.json"
    save_inventory(estate(), path)
    assert path.stat().st_size > small_input_limit
    inventory = load_inventory(path)
    assert inventory == read_whole(path, monkeypatch)
    assert inventory_to_json(inventory) == path.read_text(encoding="utf-8")


def test_a_scan_reads_an_inventory_past_the_limit_as_it_reads_it_whole(cli, tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "inventory.json"
    save_inventory(load_inventory(demo_inventory_file()), path)
    monkeypatch.setattr(loading, "MAX_INPUT_BYTES", 200 * 1024)  # past it: the demo's, not the catalogs
    assert path.stat().st_size > loading.MAX_INPUT_BYTES

    def findings(folder: str) -> list[object]:
        done = cli("scan", f"inventory:{path}", "--format", "json", "--no-history", "-o", str(tmp_path / folder))
        assert done.exit_code == 1, done.output  # the demo's gate fails by design
        return json.loads((tmp_path / folder / "results.json").read_text())["findings"]

    line_by_line = findings("lines")
    monkeypatch.setattr(loading, "MAX_INPUT_BYTES", 512 * 1024 * 1024)
    assert line_by_line == findings("whole")


def test_an_inventory_past_the_limit_in_another_layout_is_refused_in_one_line(cli, tmp_path: Path, monkeypatch) -> None:
    """Indented by another writer, no record is on a line of its own: all of it would have to be
    held as the text around the records, which is bounded."""
    path = written(tmp_path, json.dumps(json.loads(demo_text()), indent=2))
    monkeypatch.setattr(loading, "MAX_INPUT_BYTES", 200 * 1024)
    monkeypatch.setattr(results_lines, "FRAME_LIMIT", 100 * 1024)
    done = cli("scan", f"inventory:{path}", "--no-history", "-o", str(tmp_path / "out"))
    assert done.exit_code == 2
    assert done.output.splitlines() == [
        f"nhiscan: error: {path}: larger than 0 MiB and not laid out as nhiscan writes inventory.json"
        " (more than 0 MiB of text around the lines read one by one)"
    ]


def demo_text() -> str:
    return inventory_to_json(load_inventory(demo_inventory_file()))


def closing_the_last_section_on_the_last_line(text: str, separator: str = "") -> str:
    """The log sources, the last section once the sources are taken out, closed on the file's last
    line with no newline after it."""
    end = text.index('\n ],\n "sources": [')
    return text[:end] + separator + "\n ]}"


def test_a_last_line_with_no_newline_after_it_is_read_as_every_other_line(
    tmp_path: Path, monkeypatch, small_input_limit: int
) -> None:
    path = written(tmp_path, closing_the_last_section_on_the_last_line(demo_text()))
    inventory = load_inventory(path)
    assert inventory == read_whole(path, monkeypatch) and inventory.log_sources


@pytest.mark.parametrize(
    ("edit", "why"),
    [
        # a later key of the same name replaces the list read line by line, for a whole parse
        (lambda t: t.replace('\n "sources": [', '\n "identities": [],\n "sources": [', 1), "a key twice"),
        # the records read line by line are a list nested in another value, not the document's own
        (
            lambda t: t.replace('\n "identities": [', '\n "nested": {\n "identities": [', 1).replace(
                '\n ],\n "credentials": [', '\n ]\n },\n "credentials": [', 1
            ),
            "not the document's",
        ),
        (lambda t: t.replace('\n "agents": [', '\n "agents": [\n "agents": [', 1), "the text around"),
        (lambda t: t.replace("},\n  {", "}\n  {", 1), "without a separator"),
        (lambda t: t.replace("}\n ],", "},\n ],", 1), "ends with a separator"),
        (lambda t: t.replace('"attributes":{}', '"attributes":{"n":NaN}', 1), "line"),
        (lambda t: t.replace('"name":"', '"name":"\\ud800', 1), "line"),
        (lambda t: t.replace('"kind":"', '"kind":"\x01', 1), "line"),
        (lambda t: "\ufeff" + t, "the text around"),
        (lambda t: t[: t.rindex("\n ]")], "the text around"),
        (lambda t: closing_the_last_section_on_the_last_line(t, ","), "ends with a separator"),
        (lambda t: t[: t.index('\n ],\n "sources": [')] + "\n", "the log_sources are not closed"),
    ],
)
def test_a_file_past_the_limit_that_breaks_the_layout_is_refused_naming_the_break(
    edit, why: str, tmp_path: Path, small_input_limit: int
) -> None:
    path = written(tmp_path, edit(demo_text()))
    refused = refusal(path)
    assert refused.startswith(f"{path}: {LAYOUT_REFUSED}") and why in refused


def test_a_record_past_the_schema_is_named_as_a_whole_read_names_it(
    tmp_path: Path, monkeypatch, small_input_limit: int
) -> None:
    path = written(tmp_path, demo_text().replace('"kind":"user"', '"kind":7', 1))
    line_by_line = refusal(path)
    with monkeypatch.context() as limit:
        limit.setattr(loading, "MAX_INPUT_BYTES", 512 * 1024 * 1024)
        assert line_by_line == refusal(path)
    assert "$.identities[" in line_by_line


def test_a_duplicate_uid_is_named_as_a_whole_read_names_it(tmp_path: Path, monkeypatch, small_input_limit: int) -> None:
    text = demo_text()
    first = text.index("\n  {", text.index('\n "identities": [')) + 1
    line = text[first : text.index("\n", first)]
    path = written(tmp_path, text[:first] + line.rstrip(",") + ",\n" + text[first:])
    line_by_line = refusal(path)
    with monkeypatch.context() as limit:
        limit.setattr(loading, "MAX_INPUT_BYTES", 512 * 1024 * 1024)
        assert line_by_line == refusal(path)
    assert "duplicate uid" in line_by_line


def test_a_record_nested_too_deep_is_named_so(tmp_path: Path, small_input_limit: int) -> None:
    deep = "[" * (loading.MAX_DEPTH + 5) + "]" * (loading.MAX_DEPTH + 5)
    path = written(tmp_path, demo_text().replace('"attributes":{}', f'"attributes":{{"deep":{deep}}}', 1))
    assert refusal(path) == f"{path}: invalid JSON: nested more than {loading.MAX_DEPTH} levels"


def test_long_integers_keep_every_digit(tmp_path: Path, monkeypatch, small_input_limit: int) -> None:
    text = demo_text().replace('"attributes":{}', '"attributes":{"big":123456789012345678901234567890}', 1)
    path = written(tmp_path, text)
    inventory = load_inventory(path)
    assert inventory == read_whole(path, monkeypatch)
    (account,) = [record for record in inventory.accounts if "big" in record.attributes]
    assert account.attributes["big"] == 123456789012345678901234567890
