"""Generated documentation: the CLI reference from ``--help`` and the JSON
Schema of ``cxgap analyze --json``. Tests compare the committed files with
what these functions produce, so the docs cannot drift from the code."""

from __future__ import annotations

from typing import Any

import click
import typer
from typer.testing import CliRunner


def _commands(group: Any, prefix: list[str]) -> list[list[str]]:
    out: list[list[str]] = []
    for name in sorted(group.commands):
        cmd = group.commands[name]
        path = [*prefix, name]
        if getattr(cmd, "hidden", False):
            continue
        out.append(path)
        if hasattr(cmd, "commands"):
            out.extend(_commands(cmd, path))
    return out


def command_paths() -> list[list[str]]:
    """Every command and sub-command of the CLI, e.g. ``["study", "apply"]``."""
    from cxgap.cli import app

    return _commands(typer.main.get_command(app), [])


def cli_reference() -> str:
    """docs/CLI.md: the ``--help`` of every command."""
    from cxgap.cli import app

    runner = CliRunner()
    parts = [
        "# Command reference\n",
        "Generated from `--help` by `scripts/gen_docs.py`; do not edit by hand.\n",
    ]
    root = runner.invoke(app, ["--help"], terminal_width=100)
    parts.append("## cxgap\n\n```text\n" + click.unstyle(root.stdout).strip() + "\n```\n")
    for path in command_paths():
        res = runner.invoke(app, [*path, "--help"], terminal_width=100)
        text = click.unstyle(res.stdout).strip()
        parts.append(f"## cxgap {' '.join(path)}\n\n```text\n{text}\n```\n")
    return "\n".join(parts)


def study_analysis_schema() -> dict[str, Any]:
    """JSON Schema of ``cxgap analyze --json``."""
    from cxgap.analysis.study import StudyAnalysis

    schema = StudyAnalysis.model_json_schema(mode="serialization")
    schema["$id"] = "https://cxgap.dev/schema/study-analysis.json"
    schema["title"] = "cxgap analyze --json"
    return schema
