"""The declared dependencies: every runtime one is capped below the release that may break us."""

from __future__ import annotations

import tomllib
from pathlib import Path

from packaging.requirements import Requirement

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"
RUNTIME_EXTRAS = ("langchain", "bedrock", "semantic")


def _runtime_requirements() -> list[Requirement]:
    """The core dependencies and those of the extras the code imports at run time."""
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
    lines = list(project["dependencies"])
    for extra in RUNTIME_EXTRAS:
        lines += project["optional-dependencies"][extra]
    return [Requirement(line) for line in lines]


def test_every_runtime_dependency_has_an_upper_bound() -> None:
    unbounded = [
        str(requirement)
        for requirement in _runtime_requirements()
        if not any(spec.operator in {"<", "<=", "==", "~="} for spec in requirement.specifier)
    ]
    assert unbounded == []


def test_the_current_sdk_majors_are_allowed() -> None:
    """A fresh install gets these majors; the bounds must not push it back to older ones."""
    allowed = {r.name: r.specifier for r in _runtime_requirements()}
    assert allowed["google-genai"].contains("3.6.1")
    assert allowed["langchain-google-genai"].contains("4.4.3")
    assert allowed["openai"].contains("3.57.0")
    assert allowed["anthropic"].contains("2.14.0")
