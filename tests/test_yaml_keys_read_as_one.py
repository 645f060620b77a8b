"""Keys written differently that YAML reads as one key (``1`` and ``true``, ``yes`` and ``on``,
``null`` and ``~``, ``1`` and ``1.0``, a key merged in by ``<<`` and the same key after it): the
parser keeps the last value and drops the others without a word, so a token under one of them was
never seen and the file passed. Such a mapping is refused, like a key named twice."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from scanner.yaml_input import parse_yaml

TOKEN = "ghp_R8x2Kq9ZmT4vLp7WnB3cYd6FhJ1sGe5AoU0i"

READ_AS_ONE = [
    pytest.param("1: a\ntrue: b\n", "'true' names the same key as '1' (line 1)", id="one and true"),
    pytest.param("yes: a\non: b\n", "'on' names the same key as 'yes' (line 1)", id="yes and on"),
    pytest.param("null: a\n~: b\n", "'~' names the same key as 'null' (line 1)", id="null and tilde"),
    pytest.param("x:\n  1.0: a\n  1: b\n", "'1' names the same key as '1.0' (line 2)", id="float and int"),
    pytest.param("<<: {token: a}\ntoken: b\n", "'token' is named twice in one mapping (first on line 1)", id="merged"),
]


@pytest.mark.parametrize(("text", "problem"), READ_AS_ONE)
def test_two_keys_read_as_one_are_refused_with_both_named(text: str, problem: str) -> None:
    with pytest.raises(yaml.YAMLError) as raised:
        parse_yaml(text)
    assert isinstance(raised.value, yaml.MarkedYAMLError)
    assert raised.value.problem == problem + ("" if "twice" in problem else " in one mapping")


def test_keys_that_stay_apart_are_read() -> None:
    assert parse_yaml("1: a\n'true': b\n2: c\nfalse: d\n")[0] == {1: "a", "true": "b", 2: "c", False: "d"}


def test_a_token_under_a_key_read_as_another_is_a_named_gap_not_a_pass(cli, tmp_path: Path) -> None:
    """Goose's envs with ``1:`` and ``true:``: the token under ``1`` was lost, and the scan exited 0."""
    goose = tmp_path / "goose"
    goose.mkdir()
    (goose / "config.yaml").write_text(
        "GOOSE_MODE: chat\n"
        "extensions:\n"
        "  github:\n"
        "    enabled: true\n"
        "    type: stdio\n"
        "    cmd: npx\n"
        "    args: [-y, '@modelcontextprotocol/server-github']\n"
        "    envs:\n"
        f"      1: {TOKEN}\n"
        "      true: 'yes'\n"
    )
    out = tmp_path / "out"
    outcome = cli("scan", f"manifests:{goose}", "--format", "json", "-o", str(out), "--no-history", "-q")
    assert outcome.exit_code == 3
    text = (out / "results.json").read_text()
    assert "'true' names the same key as '1' (line 9) in one mapping" in text
    assert TOKEN[4:20] not in text
