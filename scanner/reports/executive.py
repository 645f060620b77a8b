"""The executive report's view of a scan: every summary and top-N list report.pdf shows that is
derived from the findings and the inventory.

It is computed once per scan (for the PDF, and for the history, which stores it beside the
results), so ``nhiscan report SCAN_ID --format pdf`` renders a stored scan of any size without
reading its findings back. The stored form is plain JSON and reads back into the same objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from scanner.loading import is_valid
from scanner.model import Agent, ControlSummary, Identity, ScanResult
from scanner.reports import view
from scanner.reports.tally import tally
from scanner.serialize import dumps, from_dict

SUMMARY_VERSION = 1  # of summary_document's layout: a stored summary of another is not used
TOP_RISKS = 10
AGENTS_AT_RISK = 10
COVERAGE_GAPS = 12


@dataclass(slots=True)
class ExecutiveView:
    headline: dict[str, Any]
    scope: list[tuple[str, int, list[str]]]
    matrix: dict[str, dict[str, int]]
    risks: list[view.Risk]
    verdict: str
    results_line: str
    ages: dict[str, dict[str, int]]
    agents: list[view.AgentRisk]  # the agents at risk, worst first, at most AGENTS_AT_RISK
    agents_total: int
    agents_failing: int
    gaps: list[view.CoverageGap]


def executive_view(result: ScanResult) -> ExecutiveView:
    risks = view.agent_risks(result)
    return ExecutiveView(
        headline=view.headline(result),
        scope=view.scope(result),
        matrix=tally(result).matrix,
        risks=view.top_risks(result, TOP_RISKS),
        verdict=view.gate_verdict(result),
        results_line=view.results_line(result),
        ages=view.credential_age_distribution(result),
        agents=[r for r in risks if r.worst][:AGENTS_AT_RISK],
        agents_total=len(risks),
        agents_failing=sum(1 for r in risks if r.worst),
        gaps=view.coverage_gaps(result, COVERAGE_GAPS),
    )


def summary_document(result: ScanResult, executive: ExecutiveView) -> str:
    """What the executive report needs of a scan, as JSON: the result without its findings, its
    inventory and its capabilities (they are in the view as far as the report shows them), and
    the view."""
    header = {
        "schema_version": result.schema_version,
        "tool": result.tool,
        "scan": result.scan,
        "score": result.score,
        "gate": result.gate,
        "controls": result.controls,
        "findings": [],
        "frameworks": result.frameworks,
        "waivers": result.waivers,
        "inventory_summary": result.inventory_summary,
        "trend": result.trend,
    }
    return dumps({"version": SUMMARY_VERSION, "result": header, "view": executive})


def from_summary_document(data: Any) -> tuple[ScanResult, ExecutiveView] | None:
    """``summary_document`` read back (a document nhiscan stored, its checksum checked); None when
    it was stored in another layout, or holds what nhiscan never writes there (a checksum says
    the text is what was stored, not that nhiscan stored it)."""
    if not isinstance(data, dict) or data.get("version") != SUMMARY_VERSION or not _is_summary(data):
        return None
    stored = data["view"]
    executive = ExecutiveView(
        headline=stored["headline"],
        scope=[(name, count, names) for name, count, names in stored["scope"]],
        matrix=stored["matrix"],
        risks=[
            view.Risk(
                control=from_dict(ControlSummary, risk["control"]),
                failing=risk["failing"],
                resources=risk["resources"],
                owners=[(name, count) for name, count in risk["owners"]],
                unowned=risk["unowned"],
                other_owners=risk.get("other_owners", 0),  # not in summaries stored before it
                owner_unread=risk.get("owner_unread", 0),  # likewise
            )
            for risk in stored["risks"]
        ],
        verdict=stored["verdict"],
        results_line=stored["results_line"],
        ages=stored["ages"],
        agents=[
            view.AgentRisk(
                agent=from_dict(Agent, agent["agent"]),
                runtime=None if agent["runtime"] is None else from_dict(Identity, agent["runtime"]),
                failing=agent["failing"],
                capabilities=agent["capabilities"],
                tools=agent["tools"],
            )
            for agent in stored["agents"]
        ],
        agents_total=stored["agents_total"],
        agents_failing=stored["agents_failing"],
        gaps=[view.CoverageGap(**gap) for gap in stored["gaps"]],
    )
    return from_dict(ScanResult, data["result"]), executive


_RESULT_PARTS = ("schema_version", "tool", "scan", "score", "gate", "controls", "findings", "frameworks", "waivers",
                 "inventory_summary", "trend")  # fmt: skip


def _is_summary(data: dict[str, Any]) -> bool:
    """Whether ``data`` has summary_document's layout: executive-summary.schema.json, and each part
    of the result and each model record in the view (a risk's control, an agent and its runtime)
    as results.schema.json and inventory.schema.json say."""
    if not is_valid(data, "executive-summary"):
        return False
    result, stored = data["result"], data["view"]
    parts = [(result[name], f"results#/properties/{name}") for name in _RESULT_PARTS]
    parts.append((stored["headline"]["gate"], "results#/properties/gate"))
    parts += [(risk["control"], "results#/properties/controls/items") for risk in stored["risks"]]
    parts += [(agent["agent"], "inventory#/$defs/agent") for agent in stored["agents"]]
    parts += [(agent["runtime"], "inventory#/$defs/identity") for agent in stored["agents"] if agent["runtime"]]
    return all(is_valid(part, schema) for part, schema in parts)
