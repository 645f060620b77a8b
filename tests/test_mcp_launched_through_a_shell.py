"""On Windows a client cannot start npx (a batch file) itself, so configurations launch every server
through the command interpreter: ``"command": "cmd", "args": ["/c", "npx", "-y", PACKAGE]`` (the
form the MCP troubleshooting guides give, e.g. ailevelup-ai/heal-mcp's reference/windows-issues.md).
A server launched so, or through ``sh -c "…"``, runs the package the shell is told to run: its
pinning is judged (NHI-AGENT-011) and an mcp-remote bridge's URL is where it is reached
(NHI-AGENT-010). A script of more than one command leaves what runs unknown, never guessed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scanner.scan import ScanOptions, run_scan
from scanner.secret_detection import MAX_SEARCHED_LENGTH
from scanner.sources import SourceSpec, collect
from scanner.sources.manifests.mcp import SCRIPT_NOT_READ, through_shell


@pytest.mark.parametrize(
    ("command", "args", "runs"),
    [
        ("cmd", ["/c", "npx", "-y", "@modelcontextprotocol/server-filesystem", "C:\\Users\\me"],
         ("npx", ["-y", "@modelcontextprotocol/server-filesystem", "C:\\Users\\me"])),
        ("C:\\Windows\\System32\\cmd.exe", ["/s", "/C", "npx -y mcp-remote https://mcp.example.com/sse"],
         ("npx", ["-y", "mcp-remote", "https://mcp.example.com/sse"])),
        ("sh", ["-c", "exec npx -y 'mcp-remote' http://mcp.example.com/sse"],
         ("npx", ["-y", "mcp-remote", "http://mcp.example.com/sse"])),
        ("/bin/bash", ["-c", "uvx mcp-server-fetch==2025.1.1"], ("uvx", ["mcp-server-fetch==2025.1.1"])),
        ("cmd", ["/c", 'npx -y "@acme/files@1.2.3" "C:\\Users"'], ("npx", ["-y", "@acme/files@1.2.3", "C:\\Users"])),
        ("bash", ["-lc", "NODE_OPTIONS=--max-old-space-size=4096 npx -y pkg"], ("npx", ["-y", "pkg"])),
        ("sh", ["-c", "cd /srv && npx -y pkg"], SCRIPT_NOT_READ),  # two commands
        ("sh", ["-c", "npx -y $(cat pkg.txt)"], SCRIPT_NOT_READ),  # what runs is another command's output
        ("sh", ["-c", "npx -y $MCP_PACKAGE"], SCRIPT_NOT_READ),  # a variable
        ("sh", ["-c", "npx -y pkg 2>/tmp/mcp.log"], SCRIPT_NOT_READ),  # a redirection
        ("sh", ["-c", "npx -y 'pkg"], SCRIPT_NOT_READ),  # a quote never closed
        ("sh", ["-c", "npx -y pkg " + "a" * MAX_SEARCHED_LENGTH], SCRIPT_NOT_READ),  # longer than any argument
        ("cmd", ["/c", "npx -y a & npx -y b"], SCRIPT_NOT_READ),
        ("cmd", ["/c", "npx", "-y", "%MCP_PACKAGE%"], SCRIPT_NOT_READ),
        ("cmd", ["npx", "/c"], None),  # /c after the program: no shell switch
        ("sh", ["start.sh"], None),  # a script file: no command line given
        ("bash", ["-l", "-c", "npx -y pkg"], ("npx", ["-y", "pkg"])),  # options before -c
        ("bash", ["--login", "-c", "cd /srv && npx -y pkg"], SCRIPT_NOT_READ),
        ("bash", ["-l", "start.sh"], None),
        ("bash", ["-c"], SCRIPT_NOT_READ),
        ("npx", ["-y", "pkg"], None),  # no shell
        # wsl runs a Linux command line after its own options (Microsoft's "Basic commands for WSL")
        ("wsl", ["npx", "-y", "@acme/files@1.2.3"], ("npx", ["-y", "@acme/files@1.2.3"])),
        ("C:\\Windows\\System32\\wsl.exe", ["-d", "Ubuntu", "-u", "me", "--", "npx", "-y", "pkg"],
         ("npx", ["-y", "pkg"])),
        ("wsl", ["--cd", "~", "-e", "uvx", "mcp-server-fetch==2025.1.1"], ("uvx", ["mcp-server-fetch==2025.1.1"])),
        ("wsl", ["bash", "-lc", "npx -y pkg"], ("npx", ["-y", "pkg"])),  # a shell in Linux told to run it
        ("wsl", ["npx", "-y", "pkg", "--ref=<ref>"], SCRIPT_NOT_READ),  # a redirection for Linux's shell
        ("wsl", ["--install"], SCRIPT_NOT_READ),  # no command line: a management command
        # Linux's shell joins what the quotes hold: the package that runs is the unpinned one
        ("wsl", ["npx", "--yes", "--foo='", "@acme/files@1.2.3", "--bar='", "@acme/files"],
         ("npx", ["--yes", "--foo= @acme/files@1.2.3 --bar=", "@acme/files"])),
        ("wsl", ["-e", "npx", "--foo='", "pkg@1"], ("npx", ["--foo='", "pkg@1"])),  # run as it is: no shell
        ("wsl", ["npx", "-y", 'a "b c'], SCRIPT_NOT_READ),  # a quote left open for Linux's shell
        # a comment drops what follows, braces expand into other words: what runs is not what is read
        ("wsl", ["npx", "-y", "@acme/files", "#", "-p", "@acme/files@1.2.3"], SCRIPT_NOT_READ),
        ("wsl", ["npx", "-y", "{-p,evil-pkg}", "-p", "@acme/files@1.2.3", "files"], SCRIPT_NOT_READ),
        ("bash", ["-c", "npx -y @acme/files # -p @acme/files@1.2.3"], SCRIPT_NOT_READ),
        ("sh", ["-c", "npx -y pkg@{1..3}"], SCRIPT_NOT_READ),
        ("sh", ["-c", "npx -y {@acme/files,{evil}}"], SCRIPT_NOT_READ),  # the outer pair expands
        ("sh", ["-c", "npx -y x{a{-p,evil}"], SCRIPT_NOT_READ),  # the inner pair expands
        ("sh", ["-c", "npx -y {a} } {-p,evil}"], SCRIPT_NOT_READ),  # after a pair that does not
        ("sh", ["-c", "npx -y pkg@1 {a} }{"], ("npx", ["-y", "pkg@1", "{a}", "}{"])),  # no "," or "..": a word
        ("sh", ["-c", "npx -y @acme/files@1.2.3 --name=a#b"], ("npx", ["-y", "@acme/files@1.2.3", "--name=a#b"])),
        ("wsl", [], SCRIPT_NOT_READ),
    ],
)  # fmt: skip
def test_what_a_shell_is_told_to_run(command: str, args: list[str], runs) -> None:
    assert through_shell(command, args) == runs


def _verdicts(tmp_path: Path, servers: dict[str, object], catalogs) -> dict[str, tuple[str, str]]:
    (tmp_path / ".mcp.json").write_text(json.dumps({"mcpServers": servers}))
    result = run_scan(collect(SourceSpec("manifests", str(tmp_path))), catalogs, ScanOptions(keep_passed=True))
    return {f.control_id: (f.status, f.message) for f in result.findings if f.control_id.startswith("NHI-AGENT-01")}


def test_an_unpinned_package_launched_through_cmd_fails_pinning(tmp_path: Path, catalogs) -> None:
    servers = {"files": {"command": "cmd", "args": ["/c", "npx", "-y", "@modelcontextprotocol/server-filesystem"]}}
    status, message = _verdicts(tmp_path, servers, catalogs)["NHI-AGENT-011"]
    assert status == "fail" and "files" in message  # before: unknown, "cmd" taken for the package


def test_a_server_launched_through_wsl_is_judged_on_what_runs_in_linux(tmp_path: Path, catalogs) -> None:
    """Supabase's README launches its server through ``wsl``: "wsl" was recorded as the package, and
    NHI-AGENT-011 came out unknown without a reason. As written, its last argument holds
    ``<project-ref>``, which Linux's shell reads as a redirection: what runs is unknown, and said so.
    Without it, the unpinned ``@latest`` fails, as it does launched by npx."""
    readme = Path(__file__).parent / "data" / "mcp" / "supabase-community-supabase-mcp-readme-block3-wsl.json"
    servers = json.loads(readme.read_text())["mcpServers"]
    status, message = _verdicts(tmp_path, servers, catalogs)["NHI-AGENT-011"]
    assert status == "unknown" and "attributes.package of supabase" in message
    servers["supabase"]["args"] = servers["supabase"]["args"][:-1]
    status, message = _verdicts(tmp_path, servers, catalogs)["NHI-AGENT-011"]
    assert status == "fail" and "supabase" in message


def test_a_pinned_package_launched_through_cmd_passes_pinning(tmp_path: Path, catalogs) -> None:
    pinned = "@modelcontextprotocol/server-filesystem@2025.8.21"
    servers = {"files": {"command": "cmd", "args": ["/c", "npx", "-y", pinned]}}
    assert _verdicts(tmp_path, servers, catalogs)["NHI-AGENT-011"][0] == "pass"


@pytest.mark.parametrize(
    "server",
    [
        {"command": "cmd", "args": ["/c", "npx", "-y", "mcp-remote@0.1.29", "http://mcp.example.com/sse"]},
        {"command": "sh", "args": ["-c", "npx -y mcp-remote@0.1.29 http://mcp.example.com/sse"]},
    ],
    ids=["cmd", "sh"],
)
def test_a_bridge_launched_through_a_shell_to_plain_http_fails_tls(tmp_path: Path, server, catalogs) -> None:
    assert _verdicts(tmp_path, {"remote": server}, catalogs)["NHI-AGENT-010"][0] == "fail"  # before: pass


def test_a_script_of_several_commands_leaves_pinning_unknown(tmp_path: Path, catalogs) -> None:
    servers = {"files": {"command": "sh", "args": ["-c", "cd /srv && npx -y @modelcontextprotocol/server-filesystem"]}}
    assert _verdicts(tmp_path, servers, catalogs)["NHI-AGENT-011"][0] == "unknown"


@pytest.mark.parametrize(
    "server",
    [
        {"command": "sh", "args": ["-c", "cd /srv && npx -y mcp-remote@0.1.29 http://mcp.example.com/sse"]},
        {"command": "cmd", "args": ["/c", "npx -y mcp-remote@0.1.29 http://mcp.example.com/sse?team=a&env=b"]},
        {"command": "bash", "args": ["-lc", "npx -y mcp-remote@0.1.29 $MCP_URL"]},
    ],
    ids=["two-commands", "ampersand-in-url", "variable"],
)
def test_a_script_not_read_leaves_where_the_server_is_reached_unknown(tmp_path: Path, server, catalogs) -> None:
    """It may bridge to a remote server over plain HTTP: NHI-AGENT-010 cannot pass (it did)."""
    assert _verdicts(tmp_path, {"remote": server}, catalogs)["NHI-AGENT-010"][0] == "unknown"


@pytest.mark.parametrize(
    "args",
    [
        ["/c", "npx -y mcp-remote@0.1.29 http:mcp.example.com/sse"],
        ["/c", 'npx -y mcp-remote@0.1.29 "http://mcp.example.com/sse"'],  # cmd's quotes are not the URL's
        ["/c", "npx", "-y", "mcp-remote@0.1.29", "ht\ttp://mcp.example.com/sse"],  # the parser drops the tab
    ],
)
def test_a_bridges_url_is_read_as_node_reads_it(tmp_path: Path, args: list[str], catalogs) -> None:
    servers = {"remote": {"command": "cmd", "args": args}}
    assert _verdicts(tmp_path, servers, catalogs)["NHI-AGENT-010"][0] == "fail"


@pytest.mark.parametrize(
    "server",
    [
        {"command": "cmd", "args": ["/c", "docker", "run", "-i", "--rm", "mcp/fetch:1.0"]},
        {"command": "sh", "args": ["-c", "docker run -i --rm mcp/fetch:1.0"]},
        {"command": "docker", "args": ["run", "-i", "--rm", "mcp/fetch:1.0"]},
    ],
    ids=["cmd", "sh", "direct"],
)
def test_an_image_by_its_tag_fails_pinning_however_it_is_launched(tmp_path: Path, catalogs, server: dict) -> None:
    """A tag can be moved to another image: launched through a shell, the command was the shell's,
    the image was taken for pinned by its tag, and NHI-AGENT-011 passed."""
    assert _verdicts(tmp_path, {"fetch": server}, catalogs)["NHI-AGENT-011"][0] == "fail"


def test_an_image_by_its_digest_passes_pinning_through_a_shell(tmp_path: Path, catalogs) -> None:
    image = "mcp/fetch@sha256:" + "a1" * 32
    server = {"command": "cmd", "args": ["/c", "docker", "run", "-i", "--rm", image]}
    assert _verdicts(tmp_path, {"fetch": server}, catalogs)["NHI-AGENT-011"][0] == "pass"
