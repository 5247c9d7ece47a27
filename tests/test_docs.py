"""Docs kept honest by tests: the CLI and settings references and the analysis
schema are regenerated from the code and must equal the committed files."""

from __future__ import annotations

import json
from pathlib import Path

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


def test_every_command_is_documented_with_help_text() -> None:
    text = (DOCS / "CLI.md").read_text(encoding="utf-8")
    for path in command_paths():
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


def test_readme_holds_the_two_setup_commands() -> None:
    readme = (DOCS.parent / "README.md").read_text(encoding="utf-8")
    assert "cxgap demo" in readme
    assert "scripts/test" in readme
