"""Start-up: the ``cxgap`` command imports only what the command it runs uses.

Each check runs in a fresh interpreter (a subprocess), since this test
process has long imported everything. Timings are never asserted here;
benchmarks/bench_startup.py measures them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: What no command should pay for before it starts (issue 19). cxgap.settings
#: builds pydantic's Settings model (a third of `cxgap --help` when the --db
#: option's help came from it): commands build it when they run.
HEAVY = (
    *("statsmodels", "scipy", "sklearn", "pandas", "sqlalchemy", "alembic", "numpy"),
    *("cxgap.settings", "pydantic_settings"),
    # Rich's tables and progress bars: imported by the functions that draw them.
    *("rich.table", "rich.progress"),
)

_PROBE = """
import json, sys
from typer.testing import CliRunner
import cxgap.cli
# pydantic only up to --help: Typer itself imports it to convert a command's
# parameters once one runs (typer._adapters), which no CLI of it avoids.
loaded = {"import": sorted(m for m in (*HEAVY, "pydantic") if m in sys.modules)}
for name, args, extra in (("help", ["--help"], ("pydantic",)), ("version", ["version"], ())):
    result = CliRunner().invoke(cxgap.cli.app, args)
    assert result.exit_code == 0, (args, result.output)
    loaded[name] = sorted(m for m in (*HEAVY, *extra) if m in sys.modules)
print(json.dumps(loaded))
"""


def _run(code: str) -> str:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT / "src"), str(ROOT), *filter(None, [env.get("PYTHONPATH")])]
    )
    done = subprocess.run(
        [sys.executable, "-c", f"HEAVY = {HEAVY!r}\n{code}"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_import_help_and_version_load_no_heavy_module() -> None:
    loaded = json.loads(_run(_PROBE))
    assert loaded == {"import": [], "help": [], "version": []}


@pytest.mark.parametrize(
    "module",
    sorted(
        p.stem for p in (ROOT / "src" / "cxgap" / "cli").glob("*_cmd.py") if p.stem != "invite_cmd"
    ),
)
def test_each_command_module_imports_no_heavy_module(module: str) -> None:
    # invite_cmd is offered lazily instead (cxgap.cli._app.LazyGroup) until its
    # imports move into its functions like the others'.
    out = _run(
        f"import sys, cxgap.cli.{module}\nprint(sorted(m for m in HEAVY if m in sys.modules))"
    )
    assert json.loads(out) == []


def test_setting_texts_match_the_declaration() -> None:
    # The CLI writes out what its help says of settings (so --help need not
    # build the Settings model): it must be what cxgap.settings declares.
    from cxgap.cli import _settings_text
    from cxgap.settings import env_var, option_help

    assert option_help("database_url") == _settings_text.DB_OPTION_HELP
    assert {name: env_var(name) for name in _settings_text.ENV_VARS} == _settings_text.ENV_VARS


def test_lazy_invite_group_matches_the_module() -> None:
    # The help line of `cxgap invite` is written in cxgap.cli (so --help need not
    # import the module): it must be the module's own.
    from cxgap.cli import app
    from cxgap.cli._app import _LAZY
    from cxgap.cli.invite_cmd import invite_app

    assert [lazy.help for _, lazy in _LAZY if lazy.name == "invite"] == [invite_app.info.help]
    assert app is not None
