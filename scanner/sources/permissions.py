"""The least-privilege policy a source needs, generated from the permissions it declares.

python -m scanner.sources.permissions aws > docs/permissions/aws-scanner-policy.json
python -m scanner.sources.permissions gcp > docs/permissions/gcp.md
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from typing import Any

from scanner.sources import registered


def aws_policy(permissions: Iterable[str]) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "NhiscanReadOnly",
                "Effect": "Allow",
                "Action": sorted(set(permissions)),
                "Resource": "*",
            }
        ],
    }


def render(source: str) -> str:
    if source == "gcp":
        from scanner.sources.gcp.calls import render_markdown

        return render_markdown()
    info = registered()[source]
    return json.dumps(aws_policy(info.permissions), indent=2) + "\n"


if __name__ == "__main__":  # pragma: no cover
    sys.stdout.write(render(sys.argv[1] if len(sys.argv) > 1 else "aws"))
