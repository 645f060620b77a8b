"""A terminal escape sequence in scanned data (a folder's name, a server's name) is written to no
report as it is: a reader who shows findings.csv or summary.md in a terminal would have its screen
cleared and its title set, and a bidirectional override makes a name read as another. The HTML and
the PDF show each such character as its code point (``⟦U+001B⟧``), summary.md as ``?``, the CSV and
the SARIF (whose messages and names code-scanning views show to people) as its code point. The JSON
files (results, inventory) escape C0 control characters, as JSON does, and hold the data's other
characters as they are, for the programs that read them."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

ESCAPES = "\x1b[2J\x1b]0;pwned\x07\u202e"
RAW = ("\x1b", "\x07", "\u202e", "\x9b")


def test_no_control_character_from_scanned_data_reaches_a_report(cli, tmp_path: Path) -> None:
    scanned = tmp_path / "repo"
    hostile = scanned / f"x{ESCAPES}evil\x9b"
    hostile.mkdir(parents=True)
    (hostile / "mcp.json").write_text("{ not json")  # a failed read names the file's path
    server = {"command": "npx", "args": ["-y", "@acme/tool@1.0.0"]}
    (scanned / ".mcp.json").write_text(json.dumps({"mcpServers": {f"db{ESCAPES}": server}}))
    out = tmp_path / "out"
    formats = "json,html,sarif,pdf,md,junit,csv"
    cli("scan", f"manifests:{scanned}", "--allow-partial", "--no-history", "--format", formats, "-o", str(out))
    written = {path.name: path for path in out.iterdir()}
    assert {"report.html", "summary.md", "findings.csv", "report.pdf"} <= set(written)
    for name, path in written.items():
        if name.endswith(".pdf"):
            text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
        else:
            text = path.read_text(encoding="utf-8")
        shown = RAW[:2] if name.endswith(".json") else RAW
        assert not [c for c in shown if c in text], name
    sarif = json.loads(written["results.sarif"].read_text(encoding="utf-8"))
    assert not [c for c in RAW if c in json.dumps(sarif, ensure_ascii=False)], "nor once the SARIF is read"
    assert "⟦U+001B⟧" in json.dumps(sarif, ensure_ascii=False)
    html = written["report.html"].read_text()
    assert "x⟦U+001B⟧[2J⟦U+001B⟧]0;pwned⟦U+0007⟧⟦U+202E⟧evil" in html, "the folder's name, readable"
    assert "⟦U+001B⟧" in written["findings.csv"].read_text(encoding="utf-8-sig")


def test_summary_lines_and_the_terminal_show_invisible_marks_as_question_marks() -> None:
    """A right-to-left mark or an Arabic letter mark in a folder's name reached summary.md and the
    terminal's error line raw: each makes a name read as another."""
    from scanner.console import inert
    from scanner.reports.markdown import code, md

    name = "re\u200fpo\u061cx\u2060y\ufeffz\u200b"
    for shown in (md(name), code(name), inert(name)):
        assert not [c for c in "\u200f\u061c\u2060\ufeff\u200b" if c in shown], shown
    assert md("read failed:\nline two") == "read failed: line two", "a line break is still a space"


def test_the_html_data_island_escapes_delete_in_an_all_ascii_text() -> None:
    from scanner.reports.templating import script_json

    assert "\x7f" not in script_json({"name": "bot\x7fX"})
    assert json.loads(script_json({"name": "bot\x7fX"})) == {"name": "bot\x7fX"}


TAGGED = "repo" + "".join(chr(0xE0000 + ord(c)) for c in "evil") + "\u00ad\u206a"  # hidden text, a soft hyphen


def test_unicode_tags_and_other_invisible_characters_are_shown_never_hidden() -> None:
    """Tag characters carry text no reader sees ("ASCII smuggling"): the name read "repo"."""
    from scanner.console import inert
    from scanner.reports.markdown import md
    from scanner.reports.reveal import reveal
    from scanner.reports.templating import script_json

    assert inert(TAGGED) == md(TAGGED) == "repo??????"
    assert reveal(TAGGED).startswith("repo⟦U+E0065⟧⟦U+E0076⟧") and reveal(TAGGED).endswith("⟦U+00AD⟧⟦U+206A⟧")
    island = script_json({"name": TAGGED})
    assert island.isascii() and json.loads(island) == {"name": TAGGED}, "escaped as JSON escapes it"


def _revealable_code_points() -> list[str]:
    from scanner.reports.reveal import reveal

    every = [chr(code) for code in range(0x110000) if not 0xD800 <= code <= 0xDFFF]
    return [character for character in every if reveal(character) != character]


def test_sarif_reveals_every_hidden_character_wherever_it_sits_in_the_results() -> None:
    """The SARIF reporter looks for hidden characters once in the results' JSON before revealing
    string by string: each character ``reveal`` changes is found there, as orjson and as the
    standard library's encoder (used for integers past 64 bits) write it, in a value or a key."""
    import orjson

    from scanner.reports.sarif import _HIDDEN_IN_JSON, _revealed

    revealable = _revealable_code_points()
    assert {"\x1b", "\x08", "\x0c", "\x7f", "\x9b", "\u202e", "\U000e0065"} <= set(revealable)
    for character in revealable:
        results = [{"message": {"text": f"bot{character}"}, "properties": {"n": 1}}]
        shown = _revealed(results)
        assert character not in json.dumps(shown, ensure_ascii=False), hex(ord(character))
        for encoded in (
            orjson.dumps(results).decode(),
            json.dumps(results, ensure_ascii=False, separators=(",", ":")),
        ):
            assert _HIDDEN_IN_JSON.search(encoded), (hex(ord(character)), encoded)
    huge = [{"message": {"text": "bot\x1b"}, "properties": {"n": 2**70}}]  # written by the slow encoder
    assert _revealed(huge)[0]["message"]["text"] == "bot⟦U+001B⟧"


def test_sarif_results_with_nothing_hidden_are_kept_as_they_are() -> None:
    from scanner.reports.sarif import _revealed

    plain = [{"message": {"text": "a tab\tand a line break\nare not hidden"}}]
    assert _revealed(plain) is plain
    written_as_text = [{"message": {"text": "a \\b and a \\u0041 written as text"}}]
    assert _revealed(written_as_text) == written_as_text
