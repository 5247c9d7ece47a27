"""`cxgap report` and `cxgap demo`: the extension picks the format, bad
requests are one-line errors, and the demo ends with its report."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from cxgap.cli import app
from cxgap.demo.install import install_demo
from cxgap.settings import Settings
from cxgap.store.db import Database

runner = CliRunner()


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('cli') / 'demo.db'}"
    with Database.open(Settings.load(database_url=url)) as db:
        install_demo(db, seed=7)
    return url


def test_team_briefing_from_the_cli(demo_url: str, tmp_path: Path) -> None:
    out = tmp_path / "support.html"
    result = runner.invoke(
        app,
        [
            "report",
            "demo",
            "--team",
            "support",
            "--out",
            str(out),
            "--bootstrap",
            "0",
            "--db",
            demo_url,
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Support" in out.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--out", "r.docx"], "use one of .html, .pdf, .xlsx, .pptx"),
        (["--out", "r.xlsx", "--team", "support"], "team briefing"),
        (["--out", "r.html", "--team", "marketing"], "no team 'marketing'"),
        (["--out", "r.html", "--wave", "w9"], "w9"),
    ],
)
def test_bad_requests_are_one_line_errors(
    demo_url: str, tmp_path: Path, args: list[str], message: str
) -> None:
    args = [a if not a.startswith("r.") else str(tmp_path / a) for a in args]
    result = runner.invoke(app, ["report", "demo", *args, "--bootstrap", "0", "--db", demo_url])
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: ")
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_unknown_study_is_an_error(demo_url: str, tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["report", "nosuch", "--out", str(tmp_path / "r.html"), "--db", demo_url]
    )
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: ")


@pytest.mark.slow
def test_demo_ends_by_writing_its_report(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    result = runner.invoke(app, ["demo", "--db", url, "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    report = tmp_path / "out" / "report.html"
    assert report.is_file()
    assert f"Report: {report.resolve()}" in result.stdout
    html = report.read_text(encoding="utf-8")
    assert "Brightwell" in html
    # It ends with the report's own headline, with each audience's n and interval.
    headline = next(line for line in result.stdout.splitlines() if "call the service" in line)
    assert headline.strip() in html
    assert "Customer NPS" in result.stdout and "n = " in result.stdout
    # The README shows this output; it must stay what the command prints.
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    shown = readme.split("Database: sqlite:////home/you/cxgap/cxgap.db\n", 1)[1]
    shown = shown.split("Report: ", 1)[0]
    out = result.stdout.replace(str(tmp_path / "out"), "cxgap-demo")
    printed = [line.rstrip() for line in out.splitlines()]
    start = next(i for i, line in enumerate(printed) if line.startswith("Database: ")) + 1
    assert [line.rstrip() for line in shown.splitlines()] == printed[
        start : start + len(shown.splitlines())
    ]
    # So does the table of what it created (the rows before "Database:").
    created = readme.split("┃ created", 1)[1].split("Database: ", 1)[0]
    rows = [line for line in created.splitlines() if line.startswith("│")]
    assert rows == [line for line in printed[:start] if line.startswith("│")]


def test_report_reads_sqlite_and_postgresql_alike(db_url: str, tmp_path: Path) -> None:
    import json

    with Database.open(Settings.load(database_url=db_url)) as db:
        install_demo(db, seed=7)
    out = tmp_path / "r.xlsx"
    result = runner.invoke(
        app, ["report", "demo", "--out", str(out), "--bootstrap", "0", "--db", db_url]
    )
    assert result.exit_code == 0, result.output
    assert f"Report written: {out.resolve()}" in result.stdout
    analysis = runner.invoke(app, ["analyze", "demo", "--json", "--bootstrap", "0", "--db", db_url])
    parsed = json.loads(analysis.stdout)
    shares = {s["audience"]: s["estimate"]["share"] for s in parsed["excellent"]["shares"]}
    rows = list(load_workbook(out)["Excellent"].iter_rows(min_row=2, max_row=4, values_only=True))
    assert [r[0] for r in rows] == ["Leadership", "Staff", "Customers"]
    assert [r[2] for r in rows] == pytest.approx(
        [shares["leadership"], shares["staff"], shares["customer"]], rel=1e-13
    )
