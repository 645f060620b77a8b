"""summary.md: the scan in a few lines, for ``$GITHUB_STEP_SUMMARY`` and pull-request comments.

The gate verdict, failing findings by severity, the top failing controls, what is new since the
baseline, waivers that expire within two weeks or have expired, and sources not read completely.
Lists are short (TOP) so the summary fits a comment; results.json has everything.
"""

from __future__ import annotations

import re

from scanner.console import inert
from scanner.engine.waivers import unmatched_label
from scanner.frameworks import grade
from scanner.model import SEVERITIES, SEVERITY_RANK, Finding, ScanResult, SourceStatus
from scanner.reports import Reporter, ReportSettings
from scanner.reports.view import failing_by_severity, gate_verdict, plural, results_line

TOP = 10
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&#])")
# A zero-width space after "@" and inside "://" and "www." keeps GitHub from turning data into
# @mentions (notifying people) and autolinks
_LINKING = re.compile(r"(@|:(?=//)|\bwww(?=\.))", re.I)


def md(text: object, limit: int = 120) -> str:
    """Inert Markdown text: special characters escaped (no raw HTML, links or emphasis), no
    @mentions or autolinks, line breaks flattened, length bounded."""
    value = inert(" ".join(str(text).split()))  # line breaks become spaces, other controls "?"
    if len(value) > limit:
        value = value[: limit - 1] + "…"
    return _LINKING.sub("\\1\u200b", _MARKDOWN_SPECIAL.sub(r"\\\1", value))


def code(text: object, limit: int = 80) -> str:
    """Text for a code span: no backticks or line breaks inside, length bounded."""
    value = inert(" ".join(str(text).split())).replace("`", "'")
    return "`" + (value if len(value) <= limit else value[: limit - 1] + "…") + "`"


def _finding_line(finding: Finding) -> str:
    return f"| {finding.severity} | `{finding.control_id}` | {md(finding.resource.name, 60)} | {md(finding.message)} |"


def render(result: ScanResult, settings: ReportSettings) -> str:
    gate = result.gate
    verdict = ("✅ passed. " if gate["passed"] else "❌ failed. ") + md(gate_verdict(result), 400)
    score = "n/a" if result.score is None else f"{result.score:.1f}"
    failing = failing_by_severity(result.findings)
    lines = [
        "## nhiscan",
        "",
        f"**Gate** (fail on {gate['fail_on']}): {verdict}  ",
        *(
            [f"**Waived** {gate['waived_findings']} failing finding(s) by waivers  "]
            if gate.get("waived_findings")
            else []
        ),
        f"**Posture** {score} / 100, grade {grade(result.score)} · as of {result.scan.as_of:%Y-%m-%d %H:%M} UTC",
        "",
        "| " + " | ".join(s.title() for s in SEVERITIES) + " |",
        "|" + "---:|" * len(SEVERITIES),
        "| " + " | ".join(str(failing.get(s, 0)) for s in SEVERITIES) + " |",
        "",
        results_line(result),
    ]
    controls = {c.id: c for c in result.controls}
    top = sorted(
        (c for c in result.controls if c.counts.get("fail")),
        key=lambda c: (-SEVERITY_RANK[c.severity], -c.counts["fail"], c.id),
    )[:TOP]
    if top:
        lines += ["", "### Top failing controls", "", "| Severity | Control | Failing | Title |", "|---|---|---:|---|"]
        lines += [f"| {c.severity} | `{c.id}` | {c.counts['fail']} | {md(c.title)} |" for c in top]
    new = [f for f in result.findings if f.status == "fail" and f.new]
    if result.scan.baseline is not None:
        lines += ["", f"### New since the baseline ({len(new)})", ""]
        if new:
            new.sort(key=lambda f: (-SEVERITY_RANK[f.severity], f.control_id))
            lines += ["| Severity | Control | Resource | Message |", "|---|---|---|---|"]
            lines += [_finding_line(f) for f in new[:TOP]]
            if len(new) > TOP:
                lines.append(f"\n… and {len(new) - TOP} more.")
        else:
            lines.append("No new failures.")
    waivers = result.waivers
    if waivers.expiring or waivers.expired or waivers.unmatched:
        lines += ["", "### Waivers", ""]
        for label, group in (("expires soon", waivers.expiring), ("expired", waivers.expired),
                             (None, waivers.unmatched)):  # fmt: skip
            for waiver in group:
                lines.append(
                    f"- **{label or unmatched_label(waivers, waiver)}** ({waiver.expires}): "
                    f"{code(waiver.control, 40)} on {code(waiver.resource)}, "
                    f"owner {md(waiver.owner, 60)}"
                )
    incomplete = [s for s in result.scan.sources if s.status != "complete"]
    if incomplete:
        lines += ["", "### Sources not read completely", ""]
        lines += [f"- {md(s.name)} {md(s.account, 80)}: {s.status}{_first_error(s)}" for s in incomplete]
    details = " · full results in results.json" if "json" in settings.formats else ""
    lines += ["", f"{plural(len(controls), 'control')} · scan `{result.scan.id}`{details}"]
    return "\n".join(lines) + "\n"


REPORTER = Reporter(format="md", filename="summary.md", render=render)


def _first_error(source: SourceStatus) -> str:
    """What went wrong first, and how many errors more: ``" (iam:ListUsers: AccessDenied; 2 more)"``;
    nothing where the source named none (a failure is never "0 calls refused")."""
    if not source.errors:
        return ""
    first = source.errors[0]
    more = f"; {len(source.errors) - 1:,} more" if len(source.errors) > 1 else ""
    return f" ({md(first.call, 60)}: {md(first.message, 160)}{more})"
