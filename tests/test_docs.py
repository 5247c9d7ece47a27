"""Docs kept honest by tests: the CLI and settings references and the analysis
schema are regenerated from the code and must equal the committed files."""

from __future__ import annotations

import json
import stat
import tomllib
from pathlib import Path
from typing import Any

import pytest
import typer

from cxgap.docs_gen import (
    cli_reference,
    command_paths,
    settings_reference,
    study_analysis_schema,
)

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_cli_reference_is_current() -> None:
    committed = (DOCS / "CLI.md").read_text(encoding="utf-8")
    assert committed == cli_reference(), "run: .venv/bin/python scripts/gen_docs.py"


def _command(path: list[str]) -> Any:
    """The click command of ``cxgap PATH`` (Typer's own click classes)."""
    from cxgap.cli import app

    cmd = typer.main.get_command(app)
    for name in path:
        cmd = cmd.commands[name]  # type: ignore[attr-defined]
    return cmd


@pytest.mark.parametrize("path", command_paths(), ids=" ".join)
def test_every_command_has_help_text_for_itself_and_each_parameter(path: list[str]) -> None:
    cmd = _command(path)
    assert (cmd.help or "").strip(), f"cxgap {' '.join(path)} has no help text"
    for param in cmd.params:
        if getattr(param, "hidden", False) or param.name == "help":
            continue
        help_text = getattr(param, "help", None) or ""
        assert help_text.strip(), f"cxgap {' '.join(path)}: {param.name} has no help text"
    text = (DOCS / "CLI.md").read_text(encoding="utf-8")
    assert f"## cxgap {' '.join(path)}\n" in text


def test_settings_reference_is_current() -> None:
    committed = (DOCS / "SETTINGS.md").read_text(encoding="utf-8")
    assert committed == settings_reference(), "run: .venv/bin/python scripts/gen_docs.py"


def test_the_readme_and_the_development_guide_link_the_settings_reference() -> None:
    assert "(docs/SETTINGS.md)" in (DOCS.parent / "README.md").read_text(encoding="utf-8")
    assert "(SETTINGS.md)" in (DOCS / "DEVELOPMENT.md").read_text(encoding="utf-8")


def test_analysis_schema_is_current() -> None:
    committed = json.loads((DOCS / "study-analysis.schema.json").read_text(encoding="utf-8"))
    assert committed == study_analysis_schema(), "run: .venv/bin/python scripts/gen_docs.py"


def _setup_blocks() -> list[str]:
    """The code blocks of the README's "Set up" section, in order."""
    readme = (DOCS.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Set up", 1)[1].split("\n## ", 1)[0]
    return [b.split("\n", 1)[1].strip() for b in section.split("```")[1::2]]


def test_readme_sets_up_with_the_two_commands_ci_and_people_run() -> None:
    demo, tests = _setup_blocks()
    # The first installs the package as a user would and runs its main job ...
    assert demo == "python3 -m venv .venv && .venv/bin/pip install -e . && .venv/bin/cxgap demo"
    project = tomllib.loads((DOCS.parent / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["scripts"]["cxgap"] == "cxgap.cli:main"
    # ... the second is the test command, the one CI runs last.
    assert tests == "scripts/test"
    script = DOCS.parent / "scripts" / "test"
    assert script.stat().st_mode & stat.S_IXUSR, "scripts/test is not executable"
    ci = (DOCS.parent / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()
    assert ci[-1] == "scripts/test"
