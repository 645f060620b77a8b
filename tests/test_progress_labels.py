"""A progress line shows a path as it is written: braces in it are no format fields. A path
holding ``{0}`` raised an internal error (exit 4) on a terminal, and ``{task.fields}`` was filled in."""

from __future__ import annotations

import io

from rich.console import Console

from scanner import console


def _on_a_terminal() -> tuple[Console, io.StringIO]:
    written = io.StringIO()
    return Console(file=written, force_terminal=True, width=200, highlight=False), written


def test_the_phase_spinner_shows_braces_in_a_path_as_they_are() -> None:
    terminal, written = _on_a_terminal()
    with console._spinner(terminal, "collect · manifests:br{0}/repo {task.fields}"):
        pass
    assert "manifests:br{0}/repo {task.fields}" in written.getvalue()


def test_a_progress_bar_shows_braces_in_its_description_as_they_are(monkeypatch) -> None:
    terminal, written = _on_a_terminal()
    monkeypatch.setattr(console, "Console", lambda **_: terminal)
    with console.progress("reading out{0}", total=1) as ticks:
        ticks()
    assert "reading out{0}" in written.getvalue()
