"""A manifest folder's account is its repository, named from the origin remote in .git/config.

An Azure DevOps project whose name has a space gives a remote such as
``https://contoso@dev.azure.com/contoso/My%20Project/_git/agents`` (what ``git clone`` of the
portal's URL writes); a remote may also carry an encoded password. Both were read with
configparser's interpolation, which took ``%20`` for a reference: every manifests scan of such a
repository stopped with exit 4, and the error quoted the remote from the ``%`` on, the rest of a
password with it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

PASSWORD_TAIL = "pL7vB4nR8Zt"


def _repository(root: Path, remote: str) -> Path:
    (root / ".git").mkdir(parents=True)
    (root / ".git" / "config").write_text(
        "[core]\n\trepositoryformatversion = 0\n\tbare = false\n"
        f'[remote "origin"]\n\turl = {remote}\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n'
    )
    agents = root / "agents"
    agents.mkdir()
    (agents / ".mcp.json").write_text(
        json.dumps({"mcpServers": {"time": {"command": "uvx", "args": ["mcp-server-time==0.6.2"]}}})
    )
    return agents


@pytest.mark.parametrize(
    ("remote", "account"),
    [
        (
            "https://contoso@dev.azure.com/contoso/My%20Project/_git/agents",
            "dev.azure.com/contoso/My%20Project/_git/agents",
        ),
        (f"https://deploy:Xk9mQ2%40{PASSWORD_TAIL}@git.example.com/acme/agents.git", "git.example.com/acme/agents"),
        # an "@" left unencoded in the password: the user-info ends at the last one before the host
        (
            f"https://deploy:S3cr%40t-p@{PASSWORD_TAIL}@dev.azure.com/acme/My%20Project/_git/repo",
            "dev.azure.com/acme/My%20Project/_git/repo",
        ),
    ],
)
def test_a_remote_with_percent_signs_names_the_account(cli: Any, tmp_path: Path, remote: str, account: str) -> None:
    folder = _repository(tmp_path / "repo", remote)
    out = tmp_path / "out"
    outcome = cli("scan", f"manifests:{folder}", "--format", "json", "-o", str(out), "--no-history", "-q",
                  "--fail-on", "none")  # fmt: skip
    assert outcome.exit_code == 0, outcome.output
    assert PASSWORD_TAIL not in outcome.output
    results = json.loads((out / "results.json").read_text())
    assert [a["uid"] for a in results["inventory"]["accounts"]] == [account]
    assert PASSWORD_TAIL not in (out / "results.json").read_text()


def _scanned_accounts(cli: Any, folder: Path, out: Path) -> list[str]:
    outcome = cli("scan", f"manifests:{folder}", "--format", "json", "-o", str(out), "--no-history", "-q",
                  "--fail-on", "none")  # fmt: skip
    assert outcome.exit_code == 0, outcome.output
    return [a["uid"] for a in json.loads((out / "results.json").read_text())["inventory"]["accounts"]]


def test_a_linked_worktree_is_named_by_its_repository_s_remote(cli: Any, tmp_path: Path) -> None:
    """``git worktree add`` writes a .git file (``gitdir: <repository>/.git/worktrees/<name>``) whose
    folder names the repository's own in ``commondir``: the worktree was named after its folder,
    and every finding's fingerprint differed from the clone's."""
    _repository(tmp_path / "repo", "git@github.com:acme/agents.git")
    linked = tmp_path / "repo" / ".git" / "worktrees" / "review"
    linked.mkdir(parents=True)
    (linked / "commondir").write_text("../..\n")
    (linked / "gitdir").write_text(f"{tmp_path / 'review' / '.git'}\n")
    worktree = tmp_path / "review"
    (worktree / "agents").mkdir(parents=True)
    (worktree / ".git").write_text(f"gitdir: {linked}\n")
    (worktree / "agents" / ".mcp.json").write_text((tmp_path / "repo" / "agents" / ".mcp.json").read_text())
    clone = _scanned_accounts(cli, tmp_path / "repo" / "agents", tmp_path / "out-clone")
    assert _scanned_accounts(cli, worktree / "agents", tmp_path / "out-worktree") == clone == ["github.com/acme/agents"]


def test_a_submodule_is_named_by_its_own_remote(cli: Any, tmp_path: Path) -> None:
    """A submodule's .git file names a relative folder under the superproject's .git/modules."""
    _repository(tmp_path / "super", "https://github.com/acme/platform.git")
    module = tmp_path / "super" / ".git" / "modules" / "agents"
    module.mkdir(parents=True)
    (module / "config").write_text('[remote "origin"]\n\turl = https://github.com/acme/agent-configs.git\n')
    sub = tmp_path / "super" / "vendor" / "agents"
    sub.mkdir(parents=True)
    (sub / ".git").write_text("gitdir: ../../.git/modules/agents\n")
    (sub / ".mcp.json").write_text((tmp_path / "super" / "agents" / ".mcp.json").read_text())
    assert _scanned_accounts(cli, sub, tmp_path / "out") == ["github.com/acme/agent-configs"]
