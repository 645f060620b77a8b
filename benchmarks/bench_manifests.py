"""Manifests source benchmark: a repository of N files, M of them agent manifests, scanned end to end.

The repository mixes source files, JSON and YAML that are not manifests (read only far enough to
tell), Claude Desktop and VS Code configurations with literal secrets and references, and nhiscan
agent manifests. Reported: the time to discover and parse (best of three) and what was found.

    python benchmarks/bench_manifests.py                 # 5,000 files, 200 manifests
    python benchmarks/bench_manifests.py 20000 800
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _token(rng: random.Random) -> str:
    return "ghp_" + "".join(rng.choice("abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456789") for _ in range(36))


def build(root: Path, files: int, manifests: int) -> None:
    rng = random.Random(11)
    for index in range(files - manifests):
        folder = root / f"pkg{index % 97}" / f"mod{index % 13}"
        folder.mkdir(parents=True, exist_ok=True)
        kind = index % 4
        if kind == 0:
            (folder / f"file{index}.py").write_text("def f():\n    return 1\n" * rng.randint(5, 50))
        elif kind == 1:
            (folder / f"data{index}.json").write_text(json.dumps({"items": list(range(rng.randint(5, 200)))}))
        elif kind == 2:
            (folder / f"conf{index}.yaml").write_text("name: service\nreplicas: 3\n" * 10)
        else:
            (folder / f"README{index}.md").write_text("# notes\n" * 20)
    for index in range(manifests):
        folder = root / "agents" / f"team{index % 20}" / f"agent{index}"
        folder.mkdir(parents=True, exist_ok=True)
        if index % 2:
            servers = {
                "filesystem": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "/data"]},
                "github": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-github@2025.4.8"],
                           "env": {"GITHUB_PERSONAL_ACCESS_TOKEN": "${input:token}" if index % 3 else _token(rng)}},
                "fetch": {"command": "uvx", "args": ["mcp-server-fetch==2025.4.7"]},
            }  # fmt: skip
            (folder / "claude_desktop_config.json").write_text(json.dumps({"mcpServers": servers}, indent=2))
        else:
            tools = "\n".join(f"  - name: tool_{t}\n    requires_approval: {str(t % 2 == 0).lower()}" for t in range(6))
            manifest = f"nhiscan: agent/v1\nname: agent-{index}\nowner: team{index % 20}@example.com\ntools:\n{tools}\n"
            (folder / "agent.nhiscan.yaml").write_text(manifest)


def measure(files: int, manifests: int) -> dict[str, object]:
    sys.path.insert(0, str(REPO))
    from scanner.sources import SourceSpec, collect

    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        build(root, files, manifests)
        timings = []
        for _ in range(3):
            started = time.perf_counter()
            inventory = collect(SourceSpec("manifests", str(root)))
            timings.append(time.perf_counter() - started)
    return {
        "files": files,
        "manifests": manifests,
        "agents": len(inventory.agents),
        "tools": len(inventory.grants),
        "plaintext_secrets": len(inventory.credentials),
        "seconds": round(min(timings), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="?", type=int, default=5000)
    parser.add_argument("manifests", nargs="?", type=int, default=200)
    arguments = parser.parse_args()
    print(json.dumps(measure(arguments.files, arguments.manifests)))


if __name__ == "__main__":
    main()
