"""results.json: the public, versioned, schema-described result of a scan."""

from __future__ import annotations

import json
from typing import Any

from scanner.frameworks import grade
from scanner.model import ScanResult
from scanner.reports import Reporter
from scanner.serialize import to_dict

_KEY_ORDER = (
    "schema_version",
    "tool",
    "scan",
    "score",
    "grade",
    "gate",
    "controls",
    "findings",
    "frameworks",
    "waivers",
    "inventory_summary",
)


def results_dict(result: ScanResult) -> dict[str, Any]:
    data = to_dict(result)
    data["grade"] = grade(result.score)
    for finding in data["findings"]:
        if finding["waiver"] is None:
            del finding["waiver"]
        if finding["new"] is None:
            del finding["new"]
    return {key: data[key] for key in _KEY_ORDER}


def render(result: ScanResult) -> str:
    return json.dumps(results_dict(result), indent=1, ensure_ascii=False) + "\n"


REPORTER = Reporter(format="json", filename="results.json", render=render)
