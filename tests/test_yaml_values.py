"""What a YAML value a user or a scanned repository writes is read as, and what is refused.

YAML 1.1 reads ``8080:80`` as a base-60 integer (484880): a port mapping among an MCP server's
arguments came out as a number nobody wrote, and a long ``1:0:0:…`` took time quadratic in its
length. A value its tag cannot hold (``!!bool maybe``), an integer of thousands of digits or a tag
whose %-escapes are not UTF-8 raised the parser's own exceptions, and the command stopped with an
internal error (exit 4). libyaml compares each ``%TAG`` directive with every one before it, and
millions of one-character values took minutes to compose. A number's hash is the number itself
(modulo 2**61 - 1), so keys chosen to share one made a mapping take time quadratic in its keys.
libyaml writes a %TAG prefix out in full into the tag of every node that names it, and takes merge
keys (<<) out of a mapping's keys one at a time.
"""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest
import yaml

from scanner import yaml_input
from scanner.errors import InputError
from scanner.yaml_input import MAX_MERGE_KEYS, MAX_TAG_DIRECTIVES, MAX_YAML_BYTES, parse_yaml, read_yaml, yaml_problem


def test_base_60_numbers_are_text_and_other_numbers_numbers() -> None:
    document = "args: [-p, '8080:80', 8080:80, 1:30, 190:20:30.15, 0x1F, 017, 1_000, 1.5e+3, 12, .inf]\n"
    assert parse_yaml(document)[0]["args"] == [
        "-p", "8080:80", "8080:80", "1:30", "190:20:30.15", 31, 15, 1000, 1500.0, 12, float("inf")
    ]  # fmt: skip


@pytest.mark.parametrize("text", ["x: !!int 1:30\n", "x: !!float 1:30.5\n"])
def test_a_number_tagged_and_written_in_base_60_is_refused(text: str) -> None:
    with pytest.raises(yaml.YAMLError, match="base-60"):
        parse_yaml(text)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("a: !!bool maybe\n", "a value unreadable as its type"),
        ("a: !!timestamp abc\n", "a value unreadable as its type"),
        ("a: !!int ''\n", "a value unreadable as its type"),
        ("a: !!float hunter2\n", "a value unreadable as its type"),
        ("a: " + "7" * 5000 + "\n", "a value unreadable as its type"),
        ("waivers: !<%ED%A0%80> []\n", "a tag that is not UTF-8 text"),
        ("%TAG !e! %ED%A0%80\n---\na: !e!x 1\n", "a tag that is not UTF-8 text"),
    ],
)
def test_a_value_that_cannot_be_read_is_a_yaml_error_that_does_not_repeat_it(text: str, problem: str) -> None:
    with pytest.raises(yaml.YAMLError) as raised:
        parse_yaml(text)
    assert yaml_problem(raised.value)[0] == problem


def test_tag_directives_past_the_limit_are_refused_before_libyaml_compares_them() -> None:
    assert parse_yaml("%TAG !e! tag:example.com,2026:\n---\na: 1\n")[0] == {"a": 1}
    at_the_limit = "".join(f"%TAG !{i:x}! tag:example.com,2026:{i}\n" for i in range(MAX_TAG_DIRECTIVES))
    assert parse_yaml(at_the_limit + "---\na: 1\n")[0] == {"a": 1}
    with pytest.raises(yaml.YAMLError, match="more than"):
        parse_yaml(at_the_limit + "%TAG !last! x\n---\na: 1\n")
    many = "".join(f"%TAG !{i:x}! x\n" for i in range(320_000)) + "---\na: 1\n"  # parsed: 349 s
    with pytest.raises(yaml.YAMLError, match=f"more than {MAX_TAG_DIRECTIVES} %TAG directives"):
        parse_yaml(many)


def test_a_document_of_more_keys_and_values_than_the_limit_is_refused_where_it_passes_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(yaml_input, "MAX_YAML_VALUES", 10)
    assert parse_yaml("a: [1, 2, 3]\nb: {c: 4}\n")[0] == {"a": [1, 2, 3], "b": {"c": 4}}  # 10 with the document
    with pytest.raises(yaml.YAMLError, match="more than 10 keys and values") as raised:
        parse_yaml("a: [1, 2, 3]\nb: {c: 4, d: 5}\n")
    assert yaml_problem(raised.value)[1] == "2:11"  # "d", the eleventh


def test_the_limit_leaves_room_for_a_waivers_file_as_large_as_a_yaml_file_may_be() -> None:
    waiver = (
        '  - control: "NHI-CRED-001"\n    resource: "arn:aws:iam::123456789012:user/svc-0000000"\n'
        "    owner: a@example.com\n    reason: r\n    expires: 2027-01-01\n"
    )
    values_per_byte = 11 / len(waiver)  # a mapping, five keys and five values
    assert yaml_input.MAX_YAML_BYTES * values_per_byte < 0.75 * yaml_input.MAX_YAML_VALUES


COLLIDING = 2**61 - 1  # every multiple of it hashes to 0


def test_keys_chosen_to_share_one_hash_are_refused_before_the_mapping_is_built() -> None:
    document = "servers:\n  a:\n" + "".join(f"    {i * COLLIDING}: x\n" for i in range(1, 20_001))  # 2.6 s
    with pytest.raises(yaml.YAMLError) as raised:
        parse_yaml(document)
    assert yaml_problem(raised.value) == (
        "a mapping whose number keys share one hash (chosen to collide, or one number written many ways)",
        "3:5",
    )


def test_numbers_as_keys_are_read_when_a_person_could_have_written_them() -> None:
    ports = parse_yaml("ports:\n" + "".join(f"  {port}: {port + 1}\n" for port in range(1, 20_001)))[0]["ports"]
    assert len(ports) == 20_000 and ports[8080] == 8081
    few = parse_yaml("a: {" + ", ".join(f"{i * COLLIDING}: x" for i in range(1, 65)) + ", 0: y}\n")[0]["a"]
    assert len(few) == 65  # 64 keys sharing 0's hash: the cost of a few dozen is nothing
    with pytest.raises(yaml.YAMLError, match="names the same key"):
        parse_yaml("a: {1: x, 1.0: y}\n")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("!!seq x: 1\n", ("found unhashable key", "1:1")),
        ("!!set x: 1\n", ("found unhashable key", "1:1")),
        ("!!omap x: 1\n", ("found unhashable key", "1:1")),
        ("a: !!map [x]\n", ("expected a mapping node, but found sequence", "1:4")),
        ("a: !!set [x]\n", ("expected a mapping node, but found sequence", "1:4")),
        ("a: !!map ab\n", ("expected a mapping node, but found scalar", "1:4")),
    ],
)
def test_a_key_or_mapping_of_the_wrong_kind_is_named_by_the_parser(text: str, problem: tuple[str, str]) -> None:
    with pytest.raises(yaml.YAMLError) as raised:
        parse_yaml(text)
    assert yaml_problem(raised.value) == problem


@pytest.mark.parametrize("line_break", ["\r", "\x85", "\u2028", "\u2029", "\r\n"])
def test_tag_directives_are_counted_whatever_ends_their_lines(line_break: str) -> None:
    many = "".join(f"%TAG !{i:x}! x{line_break}" for i in range(MAX_TAG_DIRECTIVES + 1)) + f"---{line_break}a: 1"
    with pytest.raises(yaml.YAMLError, match="%TAG directives"):
        parse_yaml(many)


def test_a_tag_nhiscan_cannot_read_is_refused_at_the_first_node_that_names_it() -> None:
    prefix = "tag:" + "a" * 200_000  # written out in full into each node's tag: 2,000 nodes held 412 MB
    tracemalloc.start()
    try:
        with pytest.raises(yaml.YAMLError) as raised:
            parse_yaml(f"%TAG !e! {prefix}\n---\n" + "- !e!x 1\n" * 2_000)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert yaml_problem(raised.value) == ("could not determine a constructor for the tag (not repeated)", "3:3")
    assert peak < 20_000_000
    assert parse_yaml("%TAG !e! tag:yaml.org,2002:\n---\na: !e!int '5'\nb: !!str 6\n")[0] == {"a": 5, "b": "6"}


def test_merge_keys_past_the_limit_are_refused() -> None:
    merges = ", ".join(f"!!merge m{i}: {{k{i}: {i}}}" for i in range(MAX_MERGE_KEYS))
    assert len(parse_yaml(f"a: {{{merges}, b: 1}}\n")[0]["a"]) == MAX_MERGE_KEYS + 1
    with pytest.raises(yaml.YAMLError, match=f"more than {MAX_MERGE_KEYS} merge keys"):
        parse_yaml(f"a: {{{merges}, !!merge last: {{}}}}\n")


def test_a_yaml_file_is_bounded_in_bytes_not_characters(tmp_path: Path) -> None:
    at_the_limit = tmp_path / "at-the-limit.yaml"
    at_the_limit.write_bytes(b"a: 1\n# " + b"x" * (MAX_YAML_BYTES - 8) + b"\n")
    assert at_the_limit.stat().st_size == MAX_YAML_BYTES
    assert read_yaml(at_the_limit)[0] == {"a": 1}
    four_bytes_each = tmp_path / "four-bytes-each.yaml"  # 16 MiB and one byte, 4 Mi characters
    four_bytes_each.write_text("a: " + "\U0001f600" * (MAX_YAML_BYTES // 4) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match="larger than 16 MiB, too large for a YAML file"):
        read_yaml(four_bytes_each)
