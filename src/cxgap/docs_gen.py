"""Generated documentation: the CLI reference from ``--help``, the settings
reference from their declaration and the JSON Schema of ``cxgap analyze
--json``. Tests compare the committed files with what these functions
produce, so the docs cannot drift from the code."""

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


def perception_schema() -> dict[str, Any]:
    """JSON Schema of the perception analysis (docs/analysis.schema.json)."""
    from cxgap.analysis.perception.assembly import PerceptionAnalysis

    return PerceptionAnalysis.model_json_schema()


def study_analysis_schema() -> dict[str, Any]:
    """JSON Schema of ``cxgap analyze --json``."""
    from cxgap.analysis.study import StudyAnalysis

    schema = StudyAnalysis.model_json_schema(mode="serialization")
    schema["$id"] = "https://cxgap.dev/schema/study-analysis.json"
    schema["title"] = "cxgap analyze --json"
    return schema


def settings_reference() -> str:
    """docs/SETTINGS.md: every setting, from its one declaration in :mod:`cxgap.settings`.

    >>> print(settings_reference().splitlines()[0])
    # Settings reference
    """
    from cxgap.settings import FALSE_WORDS, TRUE_WORDS, declared_settings, env_var, show_value

    rows = [
        f"| `{s.env}`{' (secret)' if s.secret else ''} | {_cell(s.default)} | {s.expected} "
        f"| {s.help} |"
        for s in declared_settings()
        if s.env
    ]
    in_code = [
        f"- `{s.name}` (default {show_value(s.default)}): {s.help}"
        for s in declared_settings()
        if not s.env
    ]
    # One sentence a line: the file reads well in a diff.
    intro = [
        "cxgap reads these environment variables when a command or a `cxgap serve` worker starts.",
        "A variable that is unset or empty keeps its default, except that an empty true/false "
        f"one is false; true/false ones take {', '.join(TRUE_WORDS)} or "
        f"{', '.join(FALSE_WORDS)}, in any case.",
        "A value of the wrong form stops the command with one line naming the variable and "
        "what it expects.",
        f"`--db` and `--base-url` override `{env_var('database_url')}` and "
        f"`{env_var('base_url')}` for one command.",
        "Each variable sets the attribute of `cxgap.Settings` named like it, in lower case "
        f"without `CXGAP_` (`{env_var('db_pool_size')}` sets `db_pool_size`).",
        "A secret one is left out of the settings' `repr` and masked in messages.",
    ]
    return "\n".join(
        [
            "# Settings reference",
            "",
            "Generated from `cxgap.settings.Settings` by `scripts/gen_docs.py`; "
            "do not edit by hand.",
            "",
            *intro,
            "",
            "| Variable | Default | Expects | Meaning |",
            "| --- | --- | --- | --- |",
            *rows,
            "",
            "Set in code only (`Settings(...)`, `settings.model_copy(update=...)`):",
            "",
            *in_code,
            "",
        ]
    )


def _cell(default: object) -> str:
    """A default in a table cell: as code, unless there is none."""
    from cxgap.settings import show_value

    return show_value(default) if default is None else f"`{show_value(default)}`"
