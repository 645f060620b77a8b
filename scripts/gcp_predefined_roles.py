"""Write scanner/sources/gcp/predefined_roles.json from a copy of iann0036/iam-dataset.

Every predefined role the dataset records (``gcp/roles/<name>.json``: the IAM API's Role, as
``gcloud iam roles describe`` prints it), with the permissions of its published definition that act
as a service account. The GCP source reads the file to tell who may impersonate a service account
and which predefined roles it knows at all: a person bound to a role the file does not hold (a
role Google published after the dataset was recorded) leaves NHI-PRIV-013 unknown.

    python scripts/gcp_predefined_roles.py PATH/TO/iam-dataset COMMIT DATE
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from scanner.sources.gcp.records import IMPERSONATION_PERMISSIONS  # noqa: E402

TARGET = HERE.parent / "scanner" / "sources" / "gcp" / "predefined_roles.json"


def main(dataset: Path, commit: str, date: str) -> None:
    roles: dict[str, list[str]] = {}
    for path in sorted((dataset / "gcp" / "roles").glob("*.json")):
        role = json.loads(path.read_text())
        permissions = set(role.get("includedPermissions") or ())
        roles[str(role["name"])] = sorted(permissions & IMPERSONATION_PERMISSIONS)
    document = {
        "source": f"iann0036/iam-dataset gcp/roles/*.json at {commit} ({date}), MIT licence",
        "roles": roles,
    }
    TARGET.write_text(json.dumps(document, indent=0, sort_keys=False) + "\n")
    print(f"{len(roles)} roles, {sum(1 for p in roles.values() if p)} act as a service account -> {TARGET}")


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2], sys.argv[3])
