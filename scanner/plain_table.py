"""A long rich table of plain-text cells, drawn exactly as rich draws it, at a fraction of the cost.

rich measures, wraps and pads every cell through its general rendering machinery, a millisecond
or two a row: 1,000 stored scans took one to two seconds to draw (0.03 s here). When the table
fits the console no cell wraps, and a row is its cells padded to the column widths between the
box's bars. rich still draws the title, the header and the first and last rows (so the styles,
the box the console can show and the edges are its own); the rows between are joined here.

A table too wide for the console (a terminal of 80 columns) loses its box instead: columns one
space apart under a rule, the widest narrowed first and their cells wrapped at spaces (a word
longer than its column folds), so every cell is whole. rich would keep the box and fold every
column, headers and numbers included, and could still end wider than the terminal, cutting the
last column's digits off.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from rich.cells import cell_len, chop_cells
from rich.console import Console, ConsoleOptions, RenderResult
from rich.segment import Segment
from rich.table import Table
from rich.text import Text


class _Lines:
    """Rendered lines: rich's (lists of segments) and joined rows (plain strings), in order."""

    def __init__(self, lines: Iterable[list[Segment] | str]) -> None:
        self.lines = lines

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for line in self.lines:
            if isinstance(line, str):
                yield Segment(line)
            else:
                yield from line
            yield Segment.line()


def _header_text(header: object) -> str:
    return header.plain if isinstance(header, Text) else Text.from_markup(str(header)).plain


def _drawn_alike(out: Console, table: Table) -> bool:
    """Whether rich draws every row between the first and the last as bars and padded cells."""
    styles = [table.style, table.border_style, *table.row_styles, *(column.style for column in table.columns)]
    return (
        table.box is not None
        and table.show_header
        and table.show_edge
        and table.pad_edge
        and table.padding == (0, 1, 0, 1)
        and not (table.show_footer or table.show_lines or table.leading or table.caption)
        and not any(out.get_style(style or "") for style in styles)
        and all(
            column.justify == "left" and column.max_width is None and column.width is None for column in table.columns
        )
    )


def print_plain_table(out: Console, table: Table, rows: Sequence[Sequence[str]]) -> None:
    """Print ``table`` (its title and columns, no rows yet) with ``rows`` of plain text: no
    markup, no control characters (see ``console.inert``), one cell a column."""
    widths = [
        max(column.min_width or 0, cell_len(_header_text(column.header)), *(cell_len(row[index]) for row in rows))
        for index, column in enumerate(table.columns)
    ]
    fits = sum(widths) + 2 * len(widths) + len(widths) + 1 <= out.options.max_width  # padding and bars
    drawn_alike = _drawn_alike(out, table)
    if drawn_alike and not fits:
        narrowed = _narrowed(table, rows, widths, out.options.max_width - (len(widths) - 1))
        if narrowed is not None:
            out.print(_Lines(_compact(out, table, rows, narrowed)))
            return
    if len(rows) < 3 or not fits or not drawn_alike:
        for row in rows:
            table.add_row(*(Text(cell) for cell in row))
        out.print(table)
        return
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width
    for row in (rows[0], rows[-1]):
        table.add_row(*(Text(cell) for cell in row))
    drawn = out.render_lines(table, out.options, pad=False)
    box = table.box
    assert box is not None  # _drawn_alike
    box = box.substitute(out.options, safe=out.safe_box if table.safe_box is None else table.safe_box)
    left, divider, right = f"{box.mid_left} ", f" {box.mid_vertical} ", f" {box.mid_right}"
    between = (left + divider.join(_padded(row, widths)) + right for row in rows[1:-1])
    out.print(_Lines([*drawn[:-2], *between, *drawn[-2:]]))


def _padded(row: Sequence[str], widths: Sequence[int]) -> Iterator[str]:
    for cell, width in zip(row, widths, strict=True):
        yield cell + " " * (width - cell_len(cell))


def _narrowed(table: Table, rows: Sequence[Sequence[str]], widths: list[int], room: int) -> list[int] | None:
    """Column widths within ``room``: the widest column narrowed first, down to its longest word,
    then, if that is not enough, below it. None when not even a character a column fits."""
    headers = [_header_text(column.header) for column in table.columns]
    longest_words = [
        max(
            (cell_len(word) for text in (headers[index], *(row[index] for row in rows)) for word in text.split()),
            default=1,
        )
        for index in range(len(widths))
    ]
    narrowed = list(widths)
    for floor in (longest_words, [1] * len(widths)):
        while sum(narrowed) > room:
            index = max(range(len(narrowed)), key=lambda i: (narrowed[i] > floor[i], narrowed[i]))
            if narrowed[index] <= floor[index]:
                break
            narrowed[index] -= 1
    return narrowed if sum(narrowed) <= room else None


def _wrapped(text: str, width: int) -> list[str]:
    """``text`` in lines of at most ``width`` cells, broken at spaces; a longer word folds."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        if line and cell_len(line) + 1 + cell_len(word) <= width:
            line += " " + word
            continue
        if line:
            lines.append(line)
        *whole, line = chop_cells(word, width) if cell_len(word) > width else [word]
        lines.extend(whole)
    return [*lines, line] if line or not lines else lines


def _compact(out: Console, table: Table, rows: Sequence[Sequence[str]], widths: list[int]) -> Iterator[list[Segment]]:
    """The table without its box, its columns ``widths`` wide and one space apart."""
    total = sum(widths) + len(widths) - 1
    if table.title:
        for line in _wrapped(_header_text(table.title), total):
            yield [Segment(" " * ((total - cell_len(line)) // 2) + line, out.get_style("table.title"))]
    header_style = out.get_style("table.header")
    headers = [
        _wrapped(_header_text(column.header), width) for column, width in zip(table.columns, widths, strict=True)
    ]
    height = max(len(lines) for lines in headers)
    headers = [[""] * (height - len(lines)) + lines for lines in headers]  # headers sit on the rule, as rich's do
    for line in _joined(headers, widths):
        yield [Segment(line, header_style)]
    rule = "-" if out.options.ascii_only else "─"
    yield [Segment(rule * total)]
    for row in rows:
        cells = [_wrapped(cell, width) for cell, width in zip(row, widths, strict=True)]
        yield from ([Segment(line)] for line in _joined(cells, widths))


def _joined(cells: list[list[str]], widths: list[int]) -> Iterator[str]:
    for number in range(max(len(lines) for lines in cells)):
        parts = [lines[number] if number < len(lines) else "" for lines in cells]
        yield " ".join(_padded(parts, widths)).rstrip()
