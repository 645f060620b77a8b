"""report.pdf: the executive report, rendered by WeasyPrint from an HTML template.

Everything on it is a summary or a top-N list, so its length and render time do not grow with the
estate. The renderer fetches nothing: charts are inlined as ``data:`` images and every other URL
is refused.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from scanner.errors import ReportError
from scanner.model import ScanResult
from scanner.reports import Reporter, ReportSettings
from scanner.reports.executive import executive_view
from scanner.reports.pdf_worker import pdf_in_background
from scanner.reports.templating import asset, environment

FIRST_ACTIONS = 3  # on the cover, under the score: what to do first


def _weasyprint() -> Any:
    try:
        import weasyprint
    except (ImportError, OSError) as exc:  # OSError: the Pango or HarfBuzz libraries are missing
        raise ReportError(
            f"PDF output needs WeasyPrint and its system libraries ({exc}); run scripts/setup-system.sh"
        ) from None
    return weasyprint


def inline_only_fetcher() -> Any:
    """A URL fetcher that serves ``data:`` URLs (already in the document) and refuses the rest."""
    from weasyprint.urls import URLFetcher

    class InlineOnlyFetcher(URLFetcher):
        def __init__(self) -> None:
            super().__init__(allowed_protocols=("data",), allow_redirects=False, timeout=1)
            self.refused: list[str] = []

        def fetch(self, url: str, headers: Any = None) -> Any:
            if not url.startswith("data:"):
                self.refused.append(url)
                raise ValueError(f"nhiscan reports fetch nothing: refused {url[:80]}")
            return super().fetch(url, headers)

    return InlineOnlyFetcher()


def executive_html(result: ScanResult, settings: ReportSettings) -> str:
    """The executive report's HTML, from the view a stored scan carries (``settings.executive``)
    or computed from the result."""
    shown = settings.executive or executive_view(result)
    return (
        environment()
        .get_template("executive.html.j2")
        .render(
            result=result,
            paper=settings.paper,
            style=Markup(asset("executive.css")),
            headline=shown.headline,
            scope=shown.scope,
            matrix=shown.matrix,
            risks=shown.risks,
            actions=shown.risks[:FIRST_ACTIONS],
            verdict=shown.verdict,
            results_line=shown.results_line,
            ages=shown.ages,
            agents=shown.agents,
            agents_total=shown.agents_total,
            agents_failing=shown.agents_failing,
            gaps=shown.gaps,
            trend=result.trend,
        )
    )


def render(result: ScanResult, settings: ReportSettings) -> bytes:
    return pdf_from_html(executive_html(result, settings))


def pdf_from_html(html: str) -> bytes:
    """The executive HTML laid out as PDF (also what the worker process runs, see pdf_worker)."""
    weasyprint = _weasyprint()
    pdf: bytes = weasyprint.HTML(string=html, url_fetcher=inline_only_fetcher()).write_pdf()
    return pdf


REPORTER = Reporter(format="pdf", filename="report.pdf", render=render, background=pdf_in_background)
