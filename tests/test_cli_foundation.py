"""The foundation commands through the CLI: demo, init, studies, study, db.

Most tests use Typer's runner on the real app; a few run the installed
``cxgap`` entry point in a subprocess, as a user would."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from cxgap.cli import app
from cxgap.demo import generate_demo
from cxgap.store.migrate import head_revision

runner = CliRunner()


def _run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_init_then_list_as_json(db_url: str) -> None:
    code, out, _ = _run("init", "acme", "--org", "Acme Ltd", "--db", db_url)
    assert code == 0, out
    assert "Created study acme" in out
    code, out, _ = _run("studies", "list", "--json", "--db", db_url)
    assert code == 0
    [study] = json.loads(out)
    assert study["slug"] == "acme" and study["organisation"] == "Acme Ltd"
    assert study["waves"] == ["w1"] and study["responses"] == 0


def test_export_edit_apply_round_trip(db_url: str, tmp_path: Path) -> None:
    _run("init", "acme", "--org", "Acme", "--db", db_url)
    file = tmp_path / "acme.yaml"
    assert _run("study", "export", "acme", str(file), "--db", db_url)[0] == 0
    data = yaml.safe_load(file.read_text())
    data["promise"] = ["We answer within a day."]
    data["waves"].append({"key": "w2", "label": "Wave 2"})
    data["factors"][0]["label"] = "Personal touch"
    file.write_text(yaml.safe_dump(data, sort_keys=False))
    code, out, _ = _run("study", "apply", str(file), "--db", db_url)
    assert code == 0 and "Updated study acme" in out
    code, out, _ = _run("study", "show", "acme", "--json", "--db", db_url)
    shown = json.loads(out)
    assert shown["promise"] == ["We answer within a day."]
    assert [w["key"] for w in shown["waves"]] == ["w1", "w2"]
    assert shown["factors"][0]["label"] == "Personal touch"


def test_invalid_study_file_is_one_line_with_exit_2(tmp_path: Path) -> None:
    file = tmp_path / "bad.yaml"
    file.write_text("slug: acme\nname: x\norganisation: y\nfactors: []\n")
    code, out, err = _run("study", "apply", str(file), "--db", f"sqlite:///{tmp_path}/x.db")
    assert code == 2
    assert err.startswith(f"Error: {file}: ")
    assert "Traceback" not in out + err
    assert len(err.strip().splitlines()) == 1


def test_unknown_study_is_exit_2(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path}/x.db"
    _run("init", "acme", "--org", "Acme", "--db", db)
    code, _, err = _run("study", "show", "nope", "--db", db)
    assert code == 2 and "no study 'nope' (known: acme)" in err


def test_unreachable_database_names_url_with_password_masked() -> None:
    code, out, err = _run(
        "studies", "list", "--db", "postgresql+psycopg://ann:hunter2@127.0.0.1:1/none"
    )
    assert code == 2
    assert "postgresql+psycopg://ann:***@127.0.0.1:1/none" in err
    assert "hunter2" not in out + err


def test_db_upgrade_then_current(db_url: str) -> None:
    code, out, _ = _run("db", "upgrade", "--db", db_url)
    assert code == 0 and "Upgraded" in out
    code, out, _ = _run("db", "upgrade", "--db", db_url)
    assert "already at revision" in out
    code, out, _ = _run("db", "current", "--db", db_url)
    assert code == 0 and f"database: {head_revision()}" in out


def test_demo_creates_the_demo_study(db_url: str, tmp_path: Path) -> None:
    code, out, err = _run("demo", "--db", db_url, "--seed", "5", "--out", str(tmp_path / "r"))
    assert code == 0, err
    assert "Brightwell Systems" in out and "interaction events" in out
    code, out, _ = _run("studies", "list", "--json", "--db", db_url)
    [study] = json.loads(out)
    # every response the generator made is stored, none invented (the count
    # follows response-by-satisfaction, so it is read from the generator)
    made = generate_demo(seed=5).counts()
    assert study["slug"] == "demo" and study["accounts"] == made["accounts"] == 120
    assert study["responses"] == made["responses"] > 300
    # running it again replaces the demo rather than duplicating it
    assert _run("demo", "--db", db_url, "--seed", "5", "--out", str(tmp_path / "r"))[0] == 0
    [again] = json.loads(_run("studies", "list", "--json", "--db", db_url)[1])
    assert again == study


def test_environment_variable_picks_the_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CXGAP_DATABASE_URL", f"sqlite:///{tmp_path}/env.db")
    assert _run("init", "acme", "--org", "Acme")[0] == 0
    assert (tmp_path / "env.db").exists()


def test_installed_entry_point_runs(tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("cxgap")
    if not exe.exists():
        pytest.skip(f"cxgap is not installed next to {sys.executable}")
    db = f"sqlite:///{tmp_path}/e.db"
    done = subprocess.run(
        [str(exe), "init", "acme", "--org", "Acme", "--db", db],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    done = subprocess.run(
        [str(exe), "study", "show", "zzz", "--db", db],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert done.returncode == 2
    assert done.stderr.startswith("Error: no study 'zzz'")
    assert "Traceback" not in done.stderr
    module = subprocess.run(
        [sys.executable, "-m", "cxgap", "version"], capture_output=True, text=True, check=False
    )
    assert module.returncode == 0 and module.stdout.strip()


def test_a_study_name_that_looks_like_markup_is_shown_as_written(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path}/x.db"
    assert _run("init", "acme", "--org", "[/]Acme", "--name", "[bold]Q1 [/]", "--db", db)[0] == 0
    code, out, err = _run("study", "show", "acme", "--db", db)
    assert code == 0, err
    assert "[bold]Q1 [/] (acme) — [/]Acme" in out
