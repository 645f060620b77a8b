"""Patterns over text a repository's author writes find what they found before, and read a run of
characters once: an unclosed JSON string of escaped quotes, a word of glued AWS key pairs and a
shell script of braces were each searched again from every place in them (100 KB of the first took
42 s, of the second 3.6 s and growing as its square; 128 KB of braces about a minute), and so was
a run of "eyJ-" by the JWT pattern of redaction (4.8 s for 128 KB). The hostile suite bounds the
time of the first three end to end.
"""

from __future__ import annotations

import pytest

from scanner.redact import REDACTED, redact_text
from scanner.secret_detection import find_secret_in_text
from scanner.sources.manifests.formats import load_document

JWT = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"


def test_json_with_comments_keeps_its_strings_whole_whatever_they_escape() -> None:
    text = '{"a": "x\\"y // not a comment", "b": "ends in \\\\", // a comment\n "c": [1, 2,],}'
    assert load_document(text, "mcp.json") == {"a": 'x"y // not a comment', "b": "ends in \\", "c": [1, 2]}


@pytest.mark.parametrize("text", ['{"a": "x\\"y', '{"a": "x\\', '{"a": ' + '"\\"' * 3])
def test_a_json_string_never_closed_is_no_json(text: str) -> None:
    with pytest.raises(ValueError):
        load_document(text, "mcp.json")


@pytest.mark.parametrize("separator", ["=", ":", "/", "-", "|"])
def test_a_key_pair_glued_into_one_word_is_found_where_the_word_ends(separator: str) -> None:
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    found = find_secret_in_text(f"use xAKIAIOSFODNN7EXAMPLE{separator}{secret} now")
    assert found is not None and found.detector == "aws_access_key"


@pytest.mark.parametrize("before", ["", "token ", "Bearer:", '"jwt": "', "x-", "é"])
def test_a_jwt_is_redacted_wherever_it_begins(before: str) -> None:
    assert JWT not in redact_text(f"{before}{JWT} tail") and REDACTED in redact_text(f"{before}{JWT} tail")


def test_a_run_of_jwt_beginnings_without_dots_is_no_jwt() -> None:
    text = "eyJ-" * 1_000
    assert redact_text(text) == text
